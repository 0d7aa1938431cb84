"""What one composer produced for one case: the shape every composer's result is scored in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from replyassist.models import Decision, Passage

__all__ = ["Outcome", "Score"]


class Score(NamedTuple):
    """A check's result on one case: ``hits`` of ``n`` (a pass/fail check is 1 of 1 or 0 of 1).

    Figures are sums of hits over sums of ``n``, so a case with ten factual sentences weighs
    ten times one with a single sentence in the grounding figure.
    """

    hits: float
    n: int

    @property
    def value(self) -> float:
        return self.hits / self.n if self.n else 0.0


@dataclass
class Outcome:
    """A draft, in the form the scoring reads, whichever composer wrote it.

    Attributes:
        composer: ``offline``, ``model`` or ``baseline``.
        case_id: the case drafted.
        text: the reply as it would be sent (``""`` for a skip without a reply).
        parts: the messages it is sent as (a thread on X); ``[text]`` otherwise.
        decision: reply, skip or escalate (``None`` when the composer does not decide).
        language: the language the composer says it wrote in.
        cited_articles: article ids the draft cites, in order.
        cited_passages: the passages the draft cites (for the baseline, which cites nothing: every
            passage of the articles in its prompt).
        article_passages: every passage of the cited articles (a citation names an article; the
            text may quote more than the one passage the citation shows).
        retrieved_articles: article ids retrieved for the case, best first (for recall@k).
        move_to_private: the draft invites the customer to a private channel.
        latency_ms: wall time of the draft.
        input_tokens: tokens sent to a model (0 without one).
        output_tokens: tokens a model wrote.
        prompts: everything sent to a model, as text (for the private-data check).
        warnings: the draft's warning codes.
        actual_composer: who really wrote it (``offline`` when a model fell back or was bypassed).
        error: why there is no draft, when drafting failed.
    """

    composer: str
    case_id: str
    text: str = ""
    parts: list[str] = field(default_factory=list)
    decision: Decision | None = None
    language: str | None = None
    cited_articles: list[str] = field(default_factory=list)
    cited_passages: list[Passage] = field(default_factory=list)
    article_passages: list[Passage] = field(default_factory=list)
    retrieved_articles: list[str] = field(default_factory=list)
    move_to_private: bool = False
    latency_ms: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    prompts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    actual_composer: str | None = None
    error: str | None = None
