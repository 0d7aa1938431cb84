"""Brand policy: who is writing, how, and when to hold back.

A ``Policy`` is set once per brand (``ReplyAssistant(policy=...)``) and may be overridden
per call. Overrides merge over the defaults field by field — brand, then channel, then
call — instead of multiplying keyword arguments.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from replyassist._errors import ConfigurationError
from replyassist.channels import ChannelProfile, get_profile
from replyassist.models import Channel

__all__ = ["GUARDRAILS", "Policy"]

GUARDRAILS = frozenset({"mask", "injection", "output", "grounding", "promises", "tone"})
"""The checks a brand can turn on or off (see ``Policy.guardrails``)."""


class Policy(BaseModel):
    """How a brand wants its replies drafted.

    Attributes:
        brand: the brand's name, used in sign-offs and to recognise mentions.
        brand_handles: the brand's social handles (``@PineconeHelp``), to tell whether a
            public post is addressed to the brand.
        agent_name: the agent who signs (first name or full name); ``None`` signs as the team.
        signature: a block under the agent's name in email replies (brand name by default).
        tone: ``friendly`` (contractions, warm) or ``formal``.
        channel_overrides: per channel, profile fields to replace, e.g.
            ``{"twitter": {"sign_off": "first_name"}}``.
        reply_to_thanks: on ``skip`` for a thank-you, still write a short closing reply
            where the channel expects one (chat, DMs, email).
        escalate_when_kb_silent: escalate a question of fact the KB cannot answer
            (the draft then says you will find out, and never invents).
        min_coverage: the share (0-1) of what the customer asks about that the retrieved
            passages must cover for the KB to count as answering. What is asked about is read
            with a support-domain glossary: the concepts of the question (full weight), of the
            story around it (half weight) and, for passages in the customer's language, its other
            content words; a concept a passage only names in passing counts a quarter (see
            ``replyassist.drafting.query.answering_hits``). When no concept is recognised, the
            search's lexical ``coverage`` is compared to it instead.
        max_citations: at most this many articles are cited.
        search_k: passages retrieved per draft.
        language: force the reply language (ISO 639-1); ``None`` follows the customer.
        links: include a link to the cited article where the channel allows links.
        guardrails: the checks to run: ``mask`` (private data masked before a model sees it),
            ``injection`` (instructions hidden in customer text detected and neutralised),
            ``output`` (no leaked prompt, attack payload, or link and contact nobody gave),
            ``grounding`` (unsupported factual sentences removed) and ``promises`` (no refund,
            credit or date the cited passages do not allow) and ``tone`` (blaming or sarcastic
            wording flagged). All by default.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    brand: str | None = None
    brand_handles: tuple[str, ...] = ()
    agent_name: str | None = None
    signature: str | None = None
    tone: Literal["friendly", "formal"] = "friendly"
    channel_overrides: dict[Channel, dict[str, Any]] = Field(default_factory=dict)
    reply_to_thanks: bool = True
    escalate_when_kb_silent: bool = True
    min_coverage: float = Field(default=0.65, ge=0.0, le=1.0)
    max_citations: int = Field(default=2, ge=0, le=10)
    search_k: int = Field(default=5, ge=1, le=50)
    language: str | None = None
    links: bool = True
    guardrails: frozenset[str] = GUARDRAILS

    @field_validator("guardrails", mode="before")
    @classmethod
    def _known_checks(cls, value: Any) -> Any:
        names = {value} if isinstance(value, str) else set(value or ())
        unknown = names - GUARDRAILS
        if unknown:
            raise ValueError(f"unknown guardrail(s) {sorted(unknown)}; known: {sorted(GUARDRAILS)}")
        return frozenset(names)

    @field_validator("channel_overrides", mode="before")
    @classmethod
    def _channel_keys(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[Channel, Any] = {}
        for key, fields in value.items():
            channel = Channel.parse(key)
            if channel is None:
                raise ValueError(f"unknown channel {key!r} in channel_overrides")
            out[channel] = fields
        return out

    @field_validator("brand_handles", mode="before")
    @classmethod
    def _handles(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return tuple("@" + str(h).lstrip("@") for h in value or ())

    @property
    def agent_first_name(self) -> str | None:
        return self.agent_name.split()[0] if self.agent_name and self.agent_name.split() else None

    @property
    def agent_initials(self) -> str | None:
        """``"AG"`` for "Ana Gomez", ``"A"`` for "Ana"."""
        if not self.agent_name:
            return None
        return "".join(w[0].upper() for w in self.agent_name.split() if w[:1].isalpha())[:3] or None

    def profile_for(self, channel: Channel) -> ChannelProfile:
        """The channel's profile with this brand's overrides applied."""
        return get_profile(channel, self.channel_overrides.get(channel))

    def merged(self, overrides: Policy | dict[str, Any] | None) -> Policy:
        """This policy with the fields set in ``overrides`` replaced (channel overrides merge per field)."""
        if overrides is None:
            return self
        if isinstance(overrides, Policy):
            values = overrides.model_dump(exclude_unset=True)
        elif isinstance(overrides, dict):
            values = dict(overrides)
        else:
            raise ConfigurationError(f"policy must be a Policy or a dict, not {type(overrides).__name__}")
        if "channel_overrides" in values:
            merged = {k: dict(v) for k, v in self.channel_overrides.items()}
            extra = Policy.model_validate({"channel_overrides": values["channel_overrides"]})
            for channel, fields in extra.channel_overrides.items():
                merged.setdefault(channel, {}).update(fields)
            values["channel_overrides"] = merged
        try:
            return Policy.model_validate({**self.model_dump(exclude_unset=True), **values})
        except ValueError as exc:
            raise ConfigurationError(f"invalid policy: {exc}") from exc
