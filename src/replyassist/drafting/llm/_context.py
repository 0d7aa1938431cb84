"""What goes into a model's prompt: the rules for this channel and brand, and the data, kept small.

Only what matters is sent: the passages that answer (at most a few, trimmed), and the turns
of the conversation that carry the case. A long thread keeps its opening customer message
and its last turns in full; the turns between become one short line each. Internal notes
never enter a prompt (the model might quote them to the customer).
"""

from __future__ import annotations

from dataclasses import dataclass

from replyassist._text import split_sentences, truncate
from replyassist.channels import ChannelProfile, Format
from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.llm._prompts import PromptSet, escape_attr, escape_data
from replyassist.models import Decision, Message, Role, SearchHit, Signals, Ticket
from replyassist.policy import Policy

__all__ = [
    "LANGUAGE_NAMES",
    "DraftPrompt",
    "condensed_conversation",
    "draft_prompt",
    "language_name",
    "passages_block",
]

MAX_PASSAGES = 3
PASSAGE_CHARS = 900
FULL_TAIL = 4  # the last turns, always in full
MAX_CONDENSED = 6  # one-line turns kept between the opening message and the tail
OPENING_CHARS = 800
TURN_CHARS = 1200
LINE_CHARS = 120

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "sv": "Swedish",
    "da": "Danish",
    "no": "Norwegian",
    "nb": "Norwegian",
    "fi": "Finnish",
    "pl": "Polish",
    "cs": "Czech",
    "tr": "Turkish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "el": "Greek",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "ja": "Japanese",
    "zh": "Chinese",
    "ko": "Korean",
    "id": "Indonesian",
    "vi": "Vietnamese",
    "th": "Thai",
}


def language_name(code: str) -> str:
    """``"Spanish (es)"`` for ``"es"``; the code itself when the name is not known."""
    base = code.split("-")[0].lower()
    name = LANGUAGE_NAMES.get(base)
    return f"{name} ({code})" if name else code


@dataclass(frozen=True)
class DraftPrompt:
    """The two messages of a draft request, and the passage ids the model was shown."""

    system: str
    user: str
    passage_ids: tuple[str, ...]


def draft_prompt(request: ComposeRequest, prompts: PromptSet, *, json_in_text: bool) -> DraftPrompt:
    """The system and user messages that ask a model for this reply."""
    profile, policy, signals = request.profile, request.policy, request.signals
    first_name = request.ticket.customer.first_name
    passages = _passages_for(request)
    values = {
        **persona_values(policy, request.language),
        "customer": first_name or "unknown (do not guess a name)",
        "first_name_rule": f"their first name is {escape_attr(first_name)}"
        if first_name
        else "you do not know their name: greet without one",
        "channel": profile.label,
        "visibility": "public: everyone can read it" if profile.public else "private",
        "length_rule": _length_rule(profile),
        "format_rule": _format_rule(profile),
        "greeting_rule": _greeting_rule(profile, first_name),
        "sign_off_rule": "Do not sign: the signature is added for you.",
        "links_rule": "You may give the URL of a passage you rely on."
        if profile.links and policy.links
        else "Do not include links.",
        "private_rule": _private_rule(profile),
        "decision": request.decision.value,
        "decision_rule": _decision_rule(request),
        "reasons": "; ".join(request.reasons) or "none given",
        "signals": _signals_line(signals),
        "conversation": condensed_conversation(request.ticket),
        "passages": passages_block(passages, links=profile.links and policy.links),
    }
    values["decide"] = prompts.decide.render(values)
    values["output_format"] = prompts.output_json.render(values) if json_in_text else ""
    return DraftPrompt(
        system=prompts.system.render(values),
        user=prompts.draft.render(values),
        passage_ids=tuple(h.passage.id for h in passages),
    )


def persona_values(policy: Policy, language: str) -> dict[str, str]:
    """The brand persona's values, shared by every prompt."""
    return {
        "brand": escape_attr(policy.brand) if policy.brand else "the company",
        "agent": escape_attr(policy.agent_name) if policy.agent_name else "the support team",
        "tone": "friendly and warm, plain words, contractions are fine"
        if policy.tone == "friendly"
        else "formal and courteous, no slang, no contractions",
        "language_name": language_name(language),
    }


def _passages_for(request: ComposeRequest) -> list[SearchHit]:
    # The KB is silent when nothing answers: then no passage is shown, so none can be leaned on.
    if request.decision is Decision.SKIP:
        return []
    return request.answering_hits[:MAX_PASSAGES]


def passages_block(hits: list[SearchHit], *, links: bool) -> str:
    """The passages as tagged data, each trimmed at a sentence end."""
    if not hits:
        return "<passages>\n(none: the knowledge base has nothing that answers this)\n</passages>"
    lines = ["<passages>"]
    for hit in hits:
        p = hit.passage
        url = f' url="{escape_attr(p.url)}"' if links and p.url else ""
        text = escape_data(_trim_sentences(p.text.strip(), PASSAGE_CHARS))
        lines.append(
            f'<passage id="{escape_attr(p.id)}" title="{escape_attr(p.title)}"{url}>\n{text}\n</passage>'
        )
    lines.append("</passages>")
    return "\n".join(lines)


def condensed_conversation(ticket: Ticket) -> str:
    """The conversation as tagged data: opening and last turns in full, the middle one line per turn."""
    turns = [(n, m) for n, m in enumerate(ticket.messages, 1) if m.public and m.body.strip()]
    subject = f' subject="{escape_attr(ticket.subject)}"' if ticket.subject else ""
    lines = [f"<conversation{subject}>"]
    if len(turns) <= FULL_TAIL + 2:
        lines.extend(_turn(m, TURN_CHARS) for _, m in turns)
    else:
        opening = next(((n, m) for n, m in turns if m.author is Role.CUSTOMER), turns[0])
        tail = turns[-FULL_TAIL:]
        kept = {opening[0], *(n for n, _ in tail)}
        middle = [t for t in turns if t[0] not in kept]
        middle = [t for t in middle if len(t[1].body.strip()) >= 25]  # "ok", "thanks!" carry nothing
        lines.append(_turn(opening[1], OPENING_CHARS))
        dropped = max(0, len(middle) - MAX_CONDENSED)
        lines.append(
            f"<omitted>{dropped} earlier turns left out; the next {len(middle) - dropped} are cut to their "
            "first sentence</omitted>"
            if dropped
            else f"<omitted>the next {len(middle)} turns are cut to their first sentence</omitted>"
        )
        lines.extend(_line(m) for _, m in middle[dropped:])
        lines.extend(_turn(m, TURN_CHARS) for _, m in tail)
    lines.append("</conversation>")
    return "\n".join(lines)


def _author(message: Message) -> str:
    return {Role.CUSTOMER: "customer", Role.AGENT: "agent", Role.BOT: "bot"}[message.author]


def _turn(message: Message, limit: int) -> str:
    text = escape_data(_trim_sentences(message.body.strip(), limit))
    return f'<message from="{_author(message)}">{text}</message>'


def _line(message: Message) -> str:
    sentences = split_sentences(message.body.strip())
    first = sentences[0] if sentences else message.body.strip()
    text = escape_data(truncate(" ".join(first.split()), LINE_CHARS))
    return f'<message from="{_author(message)}">{text}</message>'


def _trim_sentences(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in split_sentences(text):
        if len(kept) + len(sentence) + 1 > limit:
            break
        kept = f"{kept} {sentence}".strip()
    return (kept or truncate(text, limit)) + " […]"


def _length_rule(profile: ChannelProfile) -> str:
    counting = " (counted as X counts: a link is 23, an emoji 2)" if profile.twitter_counting else ""
    if profile.max_chars is None:
        return f"Length: about {profile.target_chars} characters; shorter is better."
    thread = (
        f" If the answer truly needs more, it may run to a thread of {profile.max_parts} posts, but one is best."
        if profile.max_parts > 1
        else ""
    )
    return (
        f"Length: aim for {profile.target_chars} characters, never over {profile.max_chars}{counting}, "
        f"signature included.{thread}"
    )


def _format_rule(profile: ChannelProfile) -> str:
    if profile.format is Format.PARAGRAPHS:
        return (
            "Format: a greeting line, short paragraphs, then a closing phrase such as 'Best regards,' in "
            "the customer's language on its own line. Plain text, no markdown."
        )
    if profile.format is Format.CALL_NOTE:
        return (
            "Format: a note for the agent's phone call back, in short lines (what to acknowledge, what "
            "to say, the next step). It is not a message to send."
        )
    return "Format: one short block of plain text; no markdown, no lists, no subject line."


def _greeting_rule(profile: ChannelProfile, first_name: str | None) -> str:
    if not profile.greeting or profile.format is Format.CALL_NOTE:
        return "No greeting."
    if first_name:
        return f"Greet them by first name ({escape_attr(first_name)})."
    return "Greet them without a name."


def _private_rule(profile: ChannelProfile) -> str:
    if profile.public and profile.private_channel is not None:
        return (
            "This is public. Never ask them to call, email or visit us. If you need private details "
            "(order number, address, email, payment), invite them to continue by direct message and "
            "ask for nothing private here."
        )
    if profile.public:
        return "This is public: never ask for private details here, and never send them to another channel."
    return "Keep the conversation on this channel; do not send them to phone or email."


def _decision_rule(request: ComposeRequest) -> str:
    if request.decision is Decision.ESCALATE:
        return (
            "A colleague will take this over. Write a short holding reply: acknowledge the problem, "
            "apologise if it fits, say a specialist will follow up. Promise nothing specific and state no facts."
        )
    if not request.answering_hits:
        return (
            "No passage answers their question. State no facts; acknowledge, say you will find out "
            "and follow up."
        )
    return "Answer their question from the passages."


def _signals_line(signals: Signals) -> str:
    parts = [f"mood {signals.sentiment.value}"]
    if signals.emotion.value != "neutral":
        parts.append(f"feeling {signals.emotion.value}")
    parts.append(f"kind {signals.complaint_type.value.replace('_', ' ')}")
    if signals.urgency.value != "normal":
        reasons = ", ".join(signals.urgency_reasons)
        parts.append(f"urgency {signals.urgency.value}" + (f" ({reasons})" if reasons else ""))
    if signals.mentions:
        parts.append("they mentioned: " + ", ".join(escape_attr(m) for m in signals.mentions[:6]))
    return "; ".join(parts)
