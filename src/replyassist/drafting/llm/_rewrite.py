"""Rephrasing a reply in another tone, and summarising a thread: with a model, or honestly without one.

Without a model only what can be done faithfully is done: ``shorter`` drops sentences (never
those carrying a figure or a link, never the greeting or the signature) and a summary is an
extract of the customer's own words. Any other tone needs a model, and says so.
"""

from __future__ import annotations

import re
import time
from enum import StrEnum
from typing import TYPE_CHECKING

from replyassist._errors import ConfigurationError, InvalidInputError, ModelError, ModelTimeoutError
from replyassist._text import split_sentences, truncate
from replyassist.channels import ChannelProfile, fit_to_profile
from replyassist.drafting.llm._context import condensed_conversation, persona_values
from replyassist.drafting.llm._prompts import escape_data
from replyassist.models import Role, Ticket
from replyassist.policy import Policy

if TYPE_CHECKING:
    from replyassist.drafting.llm._composer import LLMComposer

__all__ = ["Tone", "cap_words", "offline_summary", "rephrase_text", "shorten", "summarize_ticket"]

MAX_SUMMARY_WORDS = 100


class Tone(StrEnum):
    """How a reply can be rephrased."""

    FRIENDLIER = "friendlier"
    MORE_FORMAL = "more_formal"
    SHORTER = "shorter"
    MORE_EMPATHETIC = "more_empathetic"
    SIMPLER = "simpler"

    @classmethod
    def parse(cls, value: Tone | str) -> Tone:
        """``"more formal"``, ``"more-formal"``, ``"formal"`` → ``Tone.MORE_FORMAL``.

        Raises:
            ConfigurationError: not a known tone.
        """
        if isinstance(value, Tone):
            return value
        key = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
        key = {"formal": "more_formal", "friendly": "friendlier", "empathetic": "more_empathetic",
               "short": "shorter", "simple": "simpler", "plainer": "simpler"}.get(key, key)  # fmt: skip
        try:
            return cls(key)
        except ValueError:
            raise ConfigurationError(
                f"unknown tone {value!r}; choose one of: {', '.join(t.value for t in cls)}"
            ) from None


_TONE_RULES = {
    Tone.FRIENDLIER: "friendlier and warmer, still professional",
    Tone.MORE_FORMAL: "more formal and courteous, with no slang and no contractions",
    Tone.SHORTER: "shorter: about half as long, keeping only what the customer needs",
    Tone.MORE_EMPATHETIC: (
        "more empathetic: acknowledge how the customer feels about their specific problem, "
        "without over-apologising"
    ),
    Tone.SIMPLER: "simpler: short sentences and everyday words that a non-native speaker understands",
}
_FACT = re.compile(r"https?://\S+|www\.\S+|\d+(?:[.,:]\d+)*")
_SIGNATURE_TAIL = re.compile(r"\s(\^[A-Z]{1,3}|[–-] \S+)$")


async def rephrase_text(
    composer: LLMComposer | None,
    text: str,
    tone: Tone | str,
    *,
    profile: ChannelProfile,
    language: str,
    policy: Policy,
) -> str:
    """``text`` rewritten in ``tone``, its facts kept, fitted to ``profile``.

    Raises:
        InvalidInputError: no text.
        ConfigurationError: an unknown tone, or a tone that needs a model and there is none.
        ModelAuthError, ModelRequestError: the provider refused.
        ModelError: the model failed (or changed the facts) and the tone cannot be done offline.
    """
    tone = Tone.parse(tone)
    if not text.strip():
        raise InvalidInputError("there is no text to rephrase")
    if composer is None:
        if tone is not Tone.SHORTER:
            raise ConfigurationError(
                f"rephrasing to be {tone.value.replace('_', ' ')} needs a language model: set OPENAI_API_KEY "
                "or pass llm=... (without a model only 'shorter' is available)"
            )
        return _fit(shorten(text), profile)
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    from replyassist.drafting.llm._calls import GiveUp, Meter

    values = {
        **persona_values(policy, language),
        "tone_rule": _TONE_RULES[tone],
        "length_rule": _length_hint(profile),
        "text": escape_data(text.strip()),
    }
    messages = [SystemMessage(composer.prompts.system.render(_system_values(values))),
                HumanMessage(composer.prompts.rephrase.render(values))]  # fmt: skip
    deadline_at = time.monotonic() + composer.retry.deadline
    meter = Meter()
    try:
        for _ in range(2):
            answer = _clean(await composer.complete_text(messages, meter, deadline_at))
            changed = _new_facts(text, answer)
            if answer and not changed:
                return _fit(answer, profile)
            messages += [AIMessage(answer or "(empty)"),
                         HumanMessage(f"That rewrite adds {', '.join(changed) or 'nothing'}: keep exactly "
                                      "the facts of the original and add none. Answer with the reply only.")]  # fmt: skip
        reason = "the model changed the facts twice"
    except GiveUp as give_up:
        reason = give_up.reason
        if tone is not Tone.SHORTER:
            error = ModelTimeoutError if give_up.kind == "timeout" else ModelError
            raise error(f"rephrasing with {composer.name} failed: {reason}") from give_up
    if tone is Tone.SHORTER:
        return _fit(shorten(text), profile)
    raise ModelError(f"rephrasing with {composer.name} failed: {reason}; the text is unchanged")


async def summarize_ticket(
    composer: LLMComposer | None, ticket: Ticket, *, max_words: int = MAX_SUMMARY_WORDS, language: str = "en"
) -> str:
    """A gist of the thread for an agent picking it up, at most ``max_words`` words.

    With a model that fails (or none), an extract of the conversation instead.

    Raises:
        ModelAuthError, ModelRequestError: the provider refused.
    """
    if composer is not None:
        from langchain_core.messages import HumanMessage, SystemMessage

        from replyassist.drafting.llm._calls import GiveUp, Meter

        values = {
            **persona_values(Policy(), language),
            "conversation": condensed_conversation(ticket),
            "max_words": str(max_words),
        }
        messages = [SystemMessage(composer.prompts.system.render(_system_values(values))),
                    HumanMessage(composer.prompts.summarize.render(values))]  # fmt: skip
        try:
            answer = _clean(
                await composer.complete_text(messages, Meter(), time.monotonic() + composer.retry.deadline)
            )
        except GiveUp:
            answer = ""
        if answer:
            return cap_words(answer, max_words)
    return offline_summary(ticket, max_words=max_words)


def offline_summary(ticket: Ticket, *, max_words: int = MAX_SUMMARY_WORDS) -> str:
    """An extract: who wrote, where, what they first asked, what they said last, what we last said."""
    public = [m for m in ticket.messages if m.public and m.body.strip()]
    customer = [m for m in public if m.author is Role.CUSTOMER]
    agents = [m for m in public if m.author is not Role.CUSTOMER]
    who = ticket.customer.first_name or "The customer"
    where = ticket.channel.value.replace("_", " ")
    parts = [f"{who} wrote by {where} ({len(public)} message{'s' if len(public) != 1 else ''})."]
    if ticket.subject:
        parts.append(f"Subject: {_gist(ticket.subject, 12)}")
    if customer:
        parts.append(f"First: “{_gist(customer[0].body, 30)}”")
    if len(customer) > 1:
        parts.append(f"Latest: “{_gist(customer[-1].body, 30)}”")
    if agents:
        parts.append(f"Our last reply: “{_gist(agents[-1].body, 18)}”")
    return cap_words(" ".join(parts), max_words)


def shorten(text: str, ratio: float = 0.6) -> str:
    """Drop sentences from the end of the body until it is about ``ratio`` as long.

    The greeting (first sentence), the signature, and sentences with a figure or a link stay.
    """
    body, signature = _split_signature(text.strip())
    sentences = split_sentences(body)
    if len(sentences) <= 2:
        return text.strip()
    target = len(body) * ratio
    kept = list(sentences)
    for sentence in reversed(sentences[1:]):
        if sum(len(s) + 1 for s in kept) <= target:
            break
        if not _FACT.search(sentence):
            kept.remove(sentence)
    shortened = " ".join(kept)
    if "\n" in body and sentences[0] in body.split("\n", 1)[0]:
        # A greeting on its own line (email) stays on its own line.
        shortened = sentences[0] + "\n\n" + " ".join(kept[1:])
    return f"{shortened}{signature}".strip()


def cap_words(text: str, max_words: int) -> str:
    """At most ``max_words`` words, ending at a sentence end when one is near."""
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    cut = " ".join(words[:max_words])
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind("” "))
    if end > len(cut) * 0.6:
        return cut[: end + 1]
    return cut.rstrip(",;:") + "…"


def _split_signature(text: str) -> tuple[str, str]:
    blocks = text.rsplit("\n\n", 1)
    if len(blocks) == 2:
        tail = blocks[1].split("\n")
        if len(tail) <= 3 and all(
            len(line) <= 40 and not line.rstrip().endswith((".", "?", "!")) for line in tail
        ):
            return blocks[0], "\n\n" + blocks[1]
    match = _SIGNATURE_TAIL.search(text)
    if match:
        return text[: match.start()], match.group(0)
    return text, ""


def _gist(text: str, words: int) -> str:
    sentences = split_sentences(" ".join(text.split()))
    gist = " ".join(sentences[:2]) if sentences else text
    return cap_words(truncate(gist, 400), words)


def _new_facts(original: str, rewrite: str) -> list[str]:
    known = set(_FACT.findall(original))
    return [f for f in dict.fromkeys(_FACT.findall(rewrite)) if f not in known]


def _clean(answer: str) -> str:
    answer = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", answer.strip())
    answer = re.sub(r"^<reply>\s*|\s*</reply>$", "", answer.strip())
    return answer.strip()


def _fit(text: str, profile: ChannelProfile) -> str:
    return fit_to_profile(text, profile).text


def _length_hint(profile: ChannelProfile) -> str:
    if profile.max_chars is None:
        return "Keep it about as long as it is, unless asked for shorter."
    return f"Stay under {profile.max_chars} characters."


def _system_values(values: dict[str, str]) -> dict[str, str]:
    # The system prompt's draft-only values, given neutral words for rephrasing and summaries.
    return {"first_name_rule": "as in the text", **values}
