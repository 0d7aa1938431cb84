"""The seam between the drafting pipeline and whatever writes the text.

The pipeline reads the signals, retrieves passages and decides (reply / skip / escalate);
a ``Composer`` then writes the words. The offline composer is one implementation, a
language model through LangChain another; the pipeline depends only on this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from replyassist.channels import ChannelProfile
from replyassist.models import Decision, DraftWarning, SearchHit, Signals, Ticket, Usage
from replyassist.policy import Policy

__all__ = ["ComposeRequest", "Composer", "Composition"]


@dataclass(frozen=True)
class ComposeRequest:
    """Everything a composer needs to write one reply.

    Attributes:
        ticket: the conversation.
        signals: what was read from the customer's messages.
        hits: passages retrieved for the customer's question, best first.
        answering_hits: the subset of ``hits`` that cover the question well enough to answer
            from (empty when the KB is silent: then the composer must not state facts).
        profile: the channel profile the reply must fit.
        policy: the brand's policy (agent name, tone, brand, links…).
        decision: what the pipeline decided; the composer writes for it (an ``escalate``
            draft is a holding reply; a ``skip`` draft is a short closing reply or nothing).
        reasons: why, in words an agent reads.
        language: the language to write in (ISO 639-1).
        query: what the KB was searched with: the customer's ask plus the English terms of the
            support concepts found in it, so that a composer can match a question in one
            language against passages in another.
    """

    ticket: Ticket
    signals: Signals
    hits: list[SearchHit]
    answering_hits: list[SearchHit]
    profile: ChannelProfile
    policy: Policy
    decision: Decision
    reasons: list[str]
    language: str
    query: str = ""


@dataclass
class Composition:
    """What a composer wrote.

    Attributes:
        text: the whole reply, signed and greeted as the profile says (not yet fitted to
            hard limits: the pipeline does that, keeping ``sign_off`` at the end).
        sign_off: the trailing sign-off contained at the end of ``text`` (``""`` if none),
            so that fitting to a channel can keep it while trimming the body.
        used_passage_ids: passages the text relies on, for citations.
        move_to_private: the reply asks the customer to continue on a private channel.
        warnings: what the agent should know.
        language: the language actually written (may differ from the request's when the
            composer has no words for it; then it also warns).
        composer: who actually wrote the text when it is not the composer asked (a model
            composer that fell back to the offline one sets ``"offline"``); ``None``: the
            composer's own ``name``.
        usage: tokens and model time, when a language model wrote the text.
    """

    text: str
    sign_off: str = ""
    used_passage_ids: list[str] = field(default_factory=list)
    move_to_private: bool = False
    warnings: list[DraftWarning] = field(default_factory=list)
    language: str | None = None
    composer: str | None = None
    usage: Usage | None = None


@runtime_checkable
class Composer(Protocol):
    """Writes the reply text for a request. ``name`` is reported as ``Draft.composer``."""

    name: str

    async def acompose(self, request: ComposeRequest) -> Composition:
        """Write the reply for ``request``."""
        ...
