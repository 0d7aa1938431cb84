"""``analyze``: everything the drafter needs to know about a ticket before it writes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from replyassist._errors import ConfigurationError
from replyassist.models import ComplaintType, Emotion, Role, Sentiment, Signals, Ticket, Urgency
from replyassist.signals._addressing import addressed_to_brand
from replyassist.signals._banks import Match, find, normalize
from replyassist.signals._clean import prepare
from replyassist.signals._intent import is_question, is_spam, is_thanks_only
from replyassist.signals._language import detect_prepared
from replyassist.signals._mentions import extract_mentions
from replyassist.signals._sentiment import SentimentResult, score_sentiment

__all__ = ["analyze"]

REASONS = ("outage", "safety", "legal_threat", "payment", "deadline", "repeated_contact", "data_breach")
RISKS = ("legal_threat", "safety", "data_breach", "abuse", "self_harm")
UNSURE = 0.5
"""Below this language confidence, earlier messages and then the customer's locale are asked."""
_SENTIMENT_BAND = 0.15
_EMOTION_ORDER = ("anger", "frustration", "worry", "disappointment", "confusion", "gratitude", "joy")
_NEGATIVE_EMOTIONS = frozenset(("anger", "frustration", "worry", "disappointment", "confusion"))
# The tone an incident carries even when told in neutral words ("my phone caught fire").
_TONE: dict[str, tuple[float, str | None]] = {
    "safety": (-2.5, "worry"),
    "data_breach": (-2.5, "worry"),
    "self_harm": (-3.0, "worry"),
    "abuse": (-2.8, "anger"),
    "legal_threat": (-2.0, "anger"),
    "payment": (-1.6, "frustration"),
    "outage": (-1.6, "frustration"),
    "repeated_contact": (-1.2, "frustration"),
}
_CLEAN_FOR_SENTIMENT = re.compile(r"https?://\S+|www\.\S+|(?<!\S)[^\s@]+@[^\s@]+\.\w+|[@＠]\w+")


def _without(matches: list[Match], excluded: list[Match]) -> list[Match]:
    """Matches that do not overlap any excluded span ("again" inside "never again")."""
    return [m for m in matches if not any(e.start < m.end and m.start < e.end for e in excluded)]


def _language(ticket: Ticket, text: str) -> tuple[str, float]:
    language, confidence = detect_prepared(text)
    if confidence >= UNSURE:
        return language, confidence
    # A short last message ("ok 👍") says little: the customer's earlier words say more.
    earlier = [m.body for m in ticket.customer_messages[-4:-1] if m.body.strip()]
    if earlier:
        joined = prepare("\n".join([*earlier, text]))
        other, other_confidence = detect_prepared(joined)
        if other_confidence >= UNSURE:
            return other, round(other_confidence * 0.9, 3)
    locale = (ticket.customer.locale or "").replace("_", "-").split("-")[0].strip().lower()
    if len(locale) == 2 and locale.isalpha():
        return locale, max(confidence, UNSURE)
    return language, confidence


def _unanswered(ticket: Ticket) -> int:
    """Customer messages since the last message by a person on the brand's side."""
    count = 0
    for message in reversed(ticket.messages):
        if message.author is Role.AGENT:
            break
        if message.author is Role.CUSTOMER and message.body.strip():
            count += 1
    return count


def _waited_long(ticket: Ticket) -> bool:
    """Two unanswered customer messages a day or more apart."""
    stamps = []
    for message in reversed(ticket.messages):
        if message.author is Role.AGENT:
            break
        if message.author is Role.CUSTOMER and message.created_at is not None:
            stamps.append(message.created_at)
    if len(stamps) < 2:
        return False
    try:
        return (max(stamps) - min(stamps)).total_seconds() >= 86400
    except TypeError:  # naive and aware datetimes mixed
        return False


def _emotion(sentiment: SentimentResult, boosts: dict[str, float]) -> Emotion:
    weights = dict(sentiment.emotions)
    for name, amount in boosts.items():
        weights[name] = weights.get(name, 0.0) + amount
    score = sentiment.score
    if score <= -_SENTIMENT_BAND:
        candidates = {k: v for k, v in weights.items() if k in _NEGATIVE_EMOTIONS}
        if not candidates:
            return Emotion.FRUSTRATION if score <= -0.35 else Emotion.NEUTRAL
    elif score >= _SENTIMENT_BAND:
        candidates = {k: v for k, v in weights.items() if k not in _NEGATIVE_EMOTIONS}
        if not candidates:
            return Emotion.JOY if score >= 0.5 else Emotion.NEUTRAL
    else:
        candidates = {k: v for k, v in weights.items() if v >= 1.5}
        if not candidates:
            return Emotion.NEUTRAL
    best = max(candidates.items(), key=lambda kv: (kv[1], -_EMOTION_ORDER.index(kv[0])))
    return Emotion(best[0])


def _complaint(
    *,
    sentiment: float,
    emotion: Emotion,
    problem: bool,
    asks: bool,
    question: bool,
    chronic: bool,
    thanks_only: bool,
    gratitude: bool,
    mentions: bool,
) -> ComplaintType:
    negative = sentiment <= -_SENTIMENT_BAND
    if thanks_only or (sentiment >= 0.3 and gratitude and not problem and not question and not asks):
        return ComplaintType.PRAISE
    if chronic and (negative or problem):
        return ComplaintType.CHRONIC
    # a problem told in anger, with no ask and nothing specific, is venting all the same
    hot = sentiment <= -0.7 and emotion is Emotion.ANGER
    if negative and not asks and not question and (not problem or (hot and not mentions)):
        return ComplaintType.VENTING
    if problem or (negative and (asks or question)):
        return ComplaintType.WANTS_FIX
    if question or asks:
        return ComplaintType.QUESTION
    return ComplaintType.PRAISE if sentiment >= 0.3 else ComplaintType.QUESTION


def _as_tuple(values: Sequence[str] | str | None, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)  # a single name given where a list was expected
    try:
        return tuple(str(v) for v in values if v)
    except TypeError as exc:
        raise ConfigurationError(
            f"{name} must be a sequence of strings, got {type(values).__name__}"
        ) from exc


def analyze(
    ticket: Ticket,
    *,
    brand_names: Sequence[str] = (),
    brand_handles: Sequence[str] = (),
) -> Signals:
    """Read the customer's side of a ticket: language, tone, urgency, risks and intent.

    The customer's last message is what is read; the rest of the thread adds what one
    message cannot show (repeated contact, the language of a terse "ok"). Deterministic,
    offline, and about a millisecond per message; only the first 5,000 characters count.

    Args:
        ticket: the conversation.
        brand_names: how the brand is written in text ("Acme Air"), to tell posts to the
            brand from posts about it on public channels. ``ticket.brand`` is added.
        brand_handles: the brand's social handles ("@AcmeAir" or "AcmeAir").

    Returns:
        The :class:`~replyassist.models.Signals`. A ticket without customer text gives the
        defaults, with the customer's locale as the language when it has one.

    Raises:
        ConfigurationError: ``ticket`` is not a :class:`~replyassist.models.Ticket`.
    """
    if not isinstance(ticket, Ticket):
        raise ConfigurationError(
            f"analyze() takes a Ticket, got {type(ticket).__name__}; wrap text with Ticket.from_text(...)"
        )
    names = _as_tuple(brand_names, "brand_names") + ((ticket.brand,) if ticket.brand else ())
    handles = _as_tuple(brand_handles, "brand_handles")
    message = ticket.last_customer_message
    if message is None:
        locale = (ticket.customer.locale or "en").split("-")[0].split("_")[0].lower()
        return Signals(language=locale if len(locale) == 2 else "en")

    text = prepare(message.body)
    language, confidence = _language(ticket, text)
    banks = find(normalize(text), None if confidence < 0.3 else (language, "en"))
    legal = _without(banks.get("legal_threat", []), banks.get("legal_joke", []))
    self_harm = _without(banks.get("self_harm", []), banks.get("self_harm_exclude", []))
    safety = _without(banks.get("safety", []), banks.get("safety_exclude", []))
    found = {**banks, "legal_threat": legal, "self_harm": self_harm, "safety": safety}
    tone = [_TONE[bank] for bank in _TONE if found.get(bank)]
    lexicon = language if confidence >= UNSURE else "*"  # "no funciona" alone is es or pt
    sentiment = score_sentiment(_CLEAN_FOR_SENTIMENT.sub(" ", text), lexicon, tone)

    chronic_cues = _without(banks.get("chronic", []), banks.get("chronic_exclude", []))
    problems = _without(banks.get("problem", []), banks.get("problem_exclude", []))
    found["problem"] = problems
    problem = bool(problems) or bool(banks.get("outage")) or bool(banks.get("payment"))
    asks = bool(banks.get("ask"))
    question = is_question(text, language)
    unanswered = _unanswered(ticket)
    repeated = bool(banks.get("repeated_contact")) or unanswered >= 3 or _waited_long(ticket)

    present = {
        "outage": bool(banks.get("outage")),
        "safety": bool(safety),
        "legal_threat": bool(legal),
        "payment": bool(banks.get("payment")),
        "deadline": bool(banks.get("deadline")),
        "repeated_contact": repeated,
        "data_breach": bool(banks.get("data_breach")),
    }
    reasons = [r for r in REASONS if present[r]]
    risk_present = {
        "legal_threat": bool(legal),
        "safety": present["safety"],
        "data_breach": present["data_breach"],
        "abuse": bool(banks.get("abuse")),
        "self_harm": bool(self_harm),
    }
    risks = [r for r in RISKS if risk_present[r]]

    agent_names = {
        w
        for m in ticket.messages
        if m.author is not Role.CUSTOMER and m.author_name
        for w in m.author_name.split()
    }
    customer_names = {ticket.customer.first_name or "", *(ticket.customer.name or "").split()}
    thanks_only = is_thanks_only(
        text,
        language,
        found=found,
        sentiment=sentiment.score,
        names={*agent_names, *customer_names, *(w for n in names for w in n.split())} - {""},
    )
    spam = is_spam(text, found, problem=problem or sentiment.score <= -0.3)
    mentions = extract_mentions(text)

    boosts: dict[str, float] = {}
    if chronic_cues or repeated:
        boosts["frustration"] = 1.5
    if present["safety"] or present["data_breach"] or self_harm:
        boosts["worry"] = 2.0
    if banks.get("abuse") or (sentiment.shouting and sentiment.score < 0):
        boosts["anger"] = 2.0
    if question and text.count("?") >= 2 and sentiment.score <= 0:
        boosts["confusion"] = 1.0
    if thanks_only:
        boosts["gratitude"] = 2.0
    emotion = _emotion(sentiment, boosts)

    complaint = _complaint(
        sentiment=sentiment.score,
        emotion=emotion,
        problem=problem,
        asks=asks,
        question=question,
        chronic=bool(chronic_cues) or repeated or (len(ticket.customer_messages) >= 3 and problem),
        thanks_only=thanks_only,
        gratitude="gratitude" in sentiment.emotions or "joy" in sentiment.emotions,
        mentions=bool(mentions),
    )
    addressed = True
    if ticket.channel.is_public:
        addressed = addressed_to_brand(
            text,
            brand_handles=handles,
            brand_names=names,
            is_question=question,
            is_request=asks,
        )

    if present["safety"] or present["data_breach"] or self_harm or len(reasons) >= 3:
        urgency = Urgency.CRITICAL
    elif reasons or risks:
        urgency = Urgency.HIGH
    elif thanks_only or spam or not addressed or complaint is ComplaintType.PRAISE:
        urgency = Urgency.LOW
    else:
        urgency = Urgency.NORMAL

    score = sentiment.score
    label = (
        Sentiment.NEGATIVE
        if score <= -_SENTIMENT_BAND
        else Sentiment.POSITIVE
        if score >= _SENTIMENT_BAND
        else Sentiment.NEUTRAL
    )
    return Signals(
        language=language,
        language_confidence=confidence,
        sentiment=label,
        sentiment_score=score,
        emotion=emotion,
        urgency=urgency,
        urgency_reasons=reasons,
        complaint_type=complaint,
        is_question=question,
        thanks_only=thanks_only,
        addressed_to_brand=addressed,
        risks=risks,
        spam=spam,
        mentions=mentions,
    )
