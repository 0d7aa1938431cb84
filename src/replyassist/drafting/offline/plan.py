"""Read a request the way an agent would before writing: what happened, how they feel, what's next.

Everything here is a decision, not wording: which empathy moves to make (in order), what the
customer's specific reference is, whether it's a fault of ours, and whether the conversation
must move to a private channel. The wording comes from the phrase bank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline.extract import base_language
from replyassist.drafting.offline.markdown import has_cjk
from replyassist.drafting.offline.phrasebook import Phrasebook
from replyassist.models import ComplaintType, Decision, Emotion, Sentiment

__all__ = [
    "Move",
    "Reading",
    "customer_words",
    "has_cue",
    "plan_empathy",
    "read_request",
    "risks_of",
    "topic_of",
]

# KB labels → the topic keys of the phrase banks ("your delivery", "your refund"…).
_TOPIC_ALIASES = {
    "shipping": "shipping",
    "delivery": "shipping",
    "international-shipping": "shipping",
    "customs": "shipping",
    "tracking": "tracking",
    "lost-parcel": "tracking",
    "order-tracking": "tracking",
    "orders": "orders",
    "order": "orders",
    "returns": "returns",
    "return": "returns",
    "exchanges": "exchanges",
    "exchange": "exchanges",
    "refunds": "refunds",
    "refund": "refunds",
    "payments": "payments",
    "payment": "payments",
    "billing": "payments",
    "checkout": "payments",
    "pricing": "pricing",
    "price-match": "pricing",
    "account": "account",
    "login": "account",
    "password": "account",
    "2fa": "account",
    "security": "account",
    "fraud": "account",
    "privacy": "privacy",
    "gdpr": "privacy",
    "data": "privacy",
    "club": "club",
    "membership": "club",
    "rewards": "club",
    "loyalty": "club",
    "app": "app",
    "technical": "app",
    "troubleshooting": "app",
    "warranty": "warranty",
    "repairs": "repairs",
    "repair": "repairs",
    "recall": "recall",
    "safety": "recall",
    "products": "products",
    "product-care": "products",
    "product-support": "products",
    "stock": "products",
    "stores": "stores",
    "store-pickup": "stores",
    "promotions": "promotions",
    "promo-codes": "promotions",
    "gift-cards": "gift_cards",
    "gift_cards": "gift_cards",
    "cancellation": "cancellation",
    "damaged": "damaged",
    "wrong-item": "damaged",
}
# Topics where helping means looking at the customer's own order, payment or account.
_PERSONAL_TOPICS = {
    "shipping",
    "tracking",
    "orders",
    "returns",
    "exchanges",
    "refunds",
    "payments",
    "account",
    "privacy",
    "club",
    "warranty",
    "repairs",
    "cancellation",
    "damaged",
    "gift_cards",
}
_FAULTS = ("double_charge", "wrong_item", "damaged", "missing", "outage", "delay")
_REF = re.compile(r"#\s?[A-Za-z0-9][A-Za-z0-9-]{3,}|\b[A-Z]{1,4}-?\d{4,}\b|\b\d{6,}\b")


@dataclass(frozen=True)
class Move:
    """One sentence to write: a phrase-bank slot and what fills it."""

    slot: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class Reading:
    """What the composer takes from a request before writing."""

    query: str
    ref: str | None = None
    topic: str | None = None
    fault: str | None = None
    private: str | None = None
    risks: set[str] = field(default_factory=set)


@lru_cache(maxsize=512)
def _cue_pattern(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    if not cues:
        return None
    parts = []
    for cue in cues:
        body = re.escape(cue)
        if not has_cjk(cue):  # whole words: "late" must not match "chocolate"
            body = (
                ("(?<!\\w)" if cue[:1].isalnum() else "") + body + ("(?!\\w)" if cue[-1:].isalnum() else "")
            )
        parts.append(body)
    return re.compile("|".join(parts), re.IGNORECASE)


def has_cue(text: str, cues: Iterable[str]) -> bool:
    """True when ``text`` contains one of the cue phrases (whole words outside CJK)."""
    pattern = _cue_pattern(tuple(cues))
    return bool(pattern and pattern.search(text))


def topic_of(labels: Iterable[str]) -> str | None:
    """The phrase-bank topic of a passage's labels (the first label that maps)."""
    for label in labels:
        key = _TOPIC_ALIASES.get(label.strip().lower())
        if key:
            return key
    return None


def _reference(request: ComposeRequest, query: str) -> str | None:
    """An order/booking reference the customer wrote, exactly as they wrote it."""
    said = " ".join(m.body for m in request.ticket.messages)
    for source in [*request.signals.mentions, query]:
        for match in _REF.finditer(source):
            ref = match.group(0).replace("# ", "#")
            if ref in said:  # never repeat a number the customer did not write
                return ref
    return None


def customer_words(request: ComposeRequest) -> str:
    """The text to answer: the customer's last message (the subject when there is none)."""
    last = request.ticket.last_customer_message
    return last.body if last else (request.ticket.subject or "")


def risks_of(request: ComposeRequest) -> set[str]:
    """Reasons a person must handle the ticket, from the signals."""
    signals = request.signals
    return set(signals.risks) | (set(signals.urgency_reasons) & {"legal_threat", "safety", "data_breach"})


def read_request(
    request: ComposeRequest,
    book: Phrasebook,
    english: Phrasebook,
    passage_book: dict[str, Phrasebook],
    topic_labels: list[str] | None = None,
) -> Reading:
    """Read the customer's last message, the signals and the passages.

    ``topic_labels`` are the labels of the passage the answer comes from; without them the
    topic is taken from the best answering hit.
    """
    query = customer_words(request)
    signals = request.signals
    books = [book] if book is english else [book, english]

    def cue(key: str) -> bool:
        return any(has_cue(query, b.cues(key)) for b in books)

    reading = Reading(query=query, ref=_reference(request, query), risks=risks_of(request))
    if topic_labels is not None:
        reading.topic = topic_of(topic_labels)
    topic_hits = request.answering_hits or [h for h in request.hits[:1] if h.coverage >= 0.25]
    if reading.topic is None and topic_hits:
        reading.topic = topic_of(topic_hits[0].passage.labels)

    complaining = (
        signals.complaint_type in (ComplaintType.WANTS_FIX, ComplaintType.CHRONIC, ComplaintType.VENTING)
        or signals.sentiment is Sentiment.NEGATIVE
    )
    if complaining:
        reading.fault = next((f for f in _FAULTS if cue(f"fault_{f}")), None)
        if reading.fault is None and "outage" in signals.urgency_reasons:
            reading.fault = "outage"

    if request.profile.public:
        reading.private = _private_details(request, reading, cue, passage_book, english)
    return reading


def _private_details(
    request: ComposeRequest,
    reading: Reading,
    cue: Callable[[str], bool],
    passage_book: dict[str, Phrasebook],
    english: Phrasebook,
) -> str | None:
    """Which private details the customer must share, if helping needs them (public channels only)."""
    signals = request.signals
    fixing = signals.complaint_type in (ComplaintType.WANTS_FIX, ComplaintType.CHRONIC)
    about_their_order = reading.topic in _PERSONAL_TOPICS or any(
        cue(k) for k in ("order", "payment", "account")
    )
    personal = bool(reading.ref) or cue("personal") or (fixing and about_their_order)
    if request.decision is Decision.ESCALATE and reading.risks & {"legal_threat", "data_breach", "safety"}:
        personal = True
    if not personal and fixing:
        for hit in request.answering_hits:
            bank = passage_book.get(base_language(hit.passage.locale), english)
            if has_cue(hit.passage.text, bank.cues("passage_asks") + english.cues("passage_asks")):
                personal = True
                break
    if not personal:
        return None
    return _which_details(reading, cue)


# What to ask for privately: the fault and the article's topic say more than a passing word
# ("I paid for express shipping" is about a parcel, not a payment).
_TOPIC_DETAILS = {
    "payments": "payment",
    "account": "account",
    "privacy": "account",
    "club": "account",
    "repairs": "booking",
}


def _which_details(reading: Reading, cue: Callable[[str], bool]) -> str:
    if reading.fault == "double_charge":
        return "payment"
    if "data_breach" in reading.risks:
        return "account"
    if cue("address"):
        return "address"
    if reading.topic in _TOPIC_DETAILS:
        return _TOPIC_DETAILS[reading.topic]
    if reading.ref or reading.topic in _PERSONAL_TOPICS or reading.fault or cue("order"):
        return "order"
    for key, details in (("account", "account"), ("payment", "payment"), ("booking", "booking")):
        if cue(key):
            return details
    return "generic"


def plan_empathy(request: ComposeRequest, reading: Reading, subject: str | None) -> list[Move]:
    """The empathy moves, in order (at most two): acknowledge, apologise, own it, reassure, thank."""
    signals = request.signals
    risks = reading.risks
    if "self_harm" in risks:
        return [Move("care_ack")]
    if "safety" in risks:
        return [Move("safety_ack")]
    # Sorry to hear it, never "our fault": the acknowledgement admits no liability. It thanks the
    # customer too, so no "thanks for telling us about …" comes before it.
    if "legal_threat" in risks:
        return [Move("legal_ack")]
    if "data_breach" in risks:
        return [Move("privacy_ack")]
    if "abuse" in risks:
        return [Move("ack_about", {"subject": subject})] if subject else []

    def about(slot: str) -> Move:
        return Move(f"{slot}_about", {"subject": subject}) if subject else Move(slot)

    emotion = signals.emotion
    # "Thanks in advance" in a question or a complaint is politeness, not praise to answer.
    praise = signals.complaint_type is ComplaintType.PRAISE or (
        emotion in (Emotion.GRATITUDE, Emotion.JOY)
        and signals.sentiment is Sentiment.POSITIVE
        and not signals.is_question
        and signals.complaint_type is ComplaintType.QUESTION
    )
    praise = praise and signals.sentiment is not Sentiment.NEGATIVE
    venting = signals.complaint_type is ComplaintType.VENTING and not signals.is_question
    repeated = (
        signals.complaint_type is ComplaintType.CHRONIC or "repeated_contact" in signals.urgency_reasons
    )
    moves: list[Move] = []
    if praise:
        moves.append(Move("empathy_praise"))
    elif venting:
        moves.append(Move("listen"))
    elif repeated:
        moves.append(about("empathy_repeat"))
    elif emotion in (Emotion.ANGER, Emotion.FRUSTRATION):
        moves.append(about("empathy_frustration"))
    elif emotion is Emotion.DISAPPOINTMENT:
        moves.append(Move("empathy_disappointment"))
    elif emotion is Emotion.WORRY:
        moves.append(Move("empathy_worry"))
    elif emotion is Emotion.CONFUSION:
        moves.append(Move("empathy_confusion"))
    elif reading.fault:
        if subject:  # the apology comes with owning the fault, right after
            moves.append(Move("ack_about", {"subject": subject}))
    elif signals.sentiment is Sentiment.NEGATIVE:
        moves.append(Move("ack_about", {"subject": subject}) if subject else Move("empathy_disappointment"))
    else:
        moves.append(about("opener"))
    if reading.fault and not praise:
        moves.append(Move("empathy_own_it", {"fault": reading.fault}))
    return moves
