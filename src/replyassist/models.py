"""Typed data the library takes and gives: tickets in, drafts out.

All models are pydantic v2 models. Input models (``Ticket``, ``Message``, ``Customer``,
``Article``) are lenient about what they accept (ids as numbers, channel names in the
vocabularies helpdesks use) and strict about what they keep.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from replyassist._text import html_to_text

__all__ = [
    "Article",
    "Channel",
    "Citation",
    "ComplaintType",
    "Customer",
    "Decision",
    "Draft",
    "DraftWarning",
    "Emotion",
    "Feedback",
    "FeedbackKind",
    "Message",
    "Passage",
    "Priority",
    "Role",
    "SearchHit",
    "Sentiment",
    "Signals",
    "Ticket",
    "Timings",
    "Urgency",
    "Usage",
]


class Channel(StrEnum):
    """Where a customer wrote, and so where the reply goes."""

    EMAIL = "email"
    WEB_FORM = "web_form"
    CHAT = "chat"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TWITTER = "twitter"
    """A public reply on X/Twitter (a mention or a reply to a tweet)."""
    TWITTER_DM = "twitter_dm"
    FACEBOOK_POST = "facebook_post"
    """A public post or comment on the brand's Facebook page."""
    FACEBOOK_MESSENGER = "facebook_messenger"
    INSTAGRAM_COMMENT = "instagram_comment"
    INSTAGRAM_DM = "instagram_dm"
    VOICE = "voice"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> Channel | None:
        """Map a channel name in any common vocabulary to a ``Channel``; ``None`` if unknown."""
        if isinstance(value, Channel):
            return value
        if value is None:
            return None
        key = re.sub(r"[\s\-/.]+", "_", str(value).strip().lower())
        if key in _CHANNEL_VALUES:
            return cls(key)
        return _CHANNEL_ALIASES.get(key)

    @property
    def is_public(self) -> bool:
        """True where everyone can read the reply (public social posts)."""
        return self in _PUBLIC_CHANNELS


_CHANNEL_VALUES = {c.value for c in Channel}
_PUBLIC_CHANNELS = {Channel.TWITTER, Channel.FACEBOOK_POST, Channel.INSTAGRAM_COMMENT}
_CHANNEL_ALIASES: dict[str, Channel] = {
    **dict.fromkeys(["mail", "e_mail", "email_inbound", "outbound_email"], Channel.EMAIL),
    **dict.fromkeys(
        [
            "web",
            "webform",
            "form",
            "portal",
            "api",
            "feedback_widget",
            "help_center",
            "helpcenter",
            "web_widget",
            "contact_form",
        ],
        Channel.WEB_FORM,
    ),
    **dict.fromkeys(
        [
            "messaging",
            "native_messaging",
            "live_chat",
            "livechat",
            "chat_transcript",
            "web_messaging",
            "sunshine_conversations",
            "line",
            "telegram",
            "slack",
            "wechat",
            "viber",
            "apple_business_chat",
            "google_rcs",
            "mobile_sdk",
            "mobile",
        ],
        Channel.CHAT,
    ),
    **dict.fromkeys(["text", "text_message", "sms_text", "any_channel_sms"], Channel.SMS),
    **dict.fromkeys(["whats_app", "wa"], Channel.WHATSAPP),
    **dict.fromkeys(
        [
            "x",
            "tweet",
            "twitter_public",
            "x_public",
            "twitter_mention",
            "x_reply",
            "twitter_reply",
            "twitter_favorite",
        ],
        Channel.TWITTER,
    ),
    **dict.fromkeys(
        ["x_dm", "twitter_direct_message", "twitter_dm_message", "direct_message"], Channel.TWITTER_DM
    ),
    **dict.fromkeys(
        [
            "facebook",
            "facebook_comment",
            "facebook_wall",
            "fb",
            "fb_post",
            "facebook_page",
            "facebook_post_comment",
        ],
        Channel.FACEBOOK_POST,
    ),
    **dict.fromkeys(
        ["messenger", "facebook_message", "fb_messenger", "facebook_dm", "facebook_private_message"],
        Channel.FACEBOOK_MESSENGER,
    ),
    **dict.fromkeys(["instagram", "instagram_post", "ig_comment"], Channel.INSTAGRAM_COMMENT),
    **dict.fromkeys(
        ["instagram_direct", "instagram_message", "ig_dm", "instagram_direct_message"], Channel.INSTAGRAM_DM
    ),
    **dict.fromkeys(
        [
            "phone",
            "call",
            "voice_call",
            "voicemail",
            "phone_call",
            "phone_call_inbound",
            "phone_call_outbound",
            "talk",
        ],
        Channel.VOICE,
    ),
}


class Role(StrEnum):
    """Who wrote a message."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Customer(BaseModel):
    """The person the reply is for."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    name: str | None = None
    first_name: str | None = None
    handle: str | None = None
    """Social handle (``@name``) or other public identifier."""
    email: str | None = None
    locale: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_to_str(cls, value: object) -> object:
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _derive_first_name(self) -> Customer:
        if not self.first_name and self.name:
            self.first_name = _first_name_of(self.name)
        return self


_NON_NAME = re.compile(r"[@\d_]|^(customer|user|guest|unknown|anonymous|visitor|n/?a)$", re.I)
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sr", "sra", "herr", "frau", "mme", "m", "mlle"}


def _first_name_of(name: str) -> str | None:
    words = [w.strip(".,") for w in name.split()]
    words = [w for w in words if w and w.lower().rstrip(".") not in _TITLES]
    if not words or "@" in name:
        return None
    first = words[0]
    if _NON_NAME.search(first) or (len(first) < 2 and not first.isalpha()):
        return None
    # A name written in all lower or all upper case is put in title case; "McDonald" is kept.
    if first.islower() or (first.isupper() and len(first) > 1):
        first = first[:1].upper() + first[1:].lower()
    return first


class Message(BaseModel):
    """One message of a conversation."""

    model_config = ConfigDict(extra="ignore")

    author: Role = Role.CUSTOMER
    text: str = ""
    html: str | None = None
    created_at: datetime | None = None
    public: bool = True
    author_name: str | None = None

    @field_validator("author", mode="before")
    @classmethod
    def _parse_role(cls, value: object) -> object:
        if isinstance(value, str):
            key = value.strip().lower()
            aliases = {
                "end-user": "customer",
                "end_user": "customer",
                "requester": "customer",
                "user": "customer",
                "contact": "customer",
                "admin": "agent",
                "staff": "agent",
                "system": "bot",
                "automation": "bot",
            }
            return aliases.get(key, key)
        return value

    @property
    def body(self) -> str:
        """The message as plain text (``text``, else ``html`` turned into text)."""
        if self.text.strip():
            return self.text
        if self.html:
            return html_to_text(self.html)
        return ""


class Ticket(BaseModel):
    """A customer conversation to reply to.

    ``channel`` accepts the names helpdesks use (``"mail"``, ``"native_messaging"``,
    ``"x"``…). A name no profile knows becomes ``Channel.UNKNOWN`` and the original string
    is kept in ``metadata["channel_raw"]``; the draft then carries a warning.
    """

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    subject: str | None = None
    channel: Channel = Channel.UNKNOWN
    customer: Customer = Field(default_factory=Customer)
    messages: list[Message] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    priority: Priority | None = None
    brand: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lenient(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if data.get("id") is not None:
            data["id"] = str(data["id"])
        raw = data.get("channel")
        if raw is not None and not isinstance(raw, Channel):
            parsed = Channel.parse(raw)
            if parsed is None:
                meta = dict(data.get("metadata") or {})
                meta.setdefault("channel_raw", str(raw))
                data["metadata"] = meta
                parsed = Channel.UNKNOWN
            data["channel"] = parsed
        if isinstance(data.get("priority"), str):
            data["priority"] = data["priority"].strip().lower() or None
        if isinstance(data.get("customer"), str):
            data["customer"] = {"name": data["customer"]}
        return data

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        channel: Channel | str = Channel.UNKNOWN,
        customer: Customer | str | None = None,
        subject: str | None = None,
        **fields: Any,
    ) -> Ticket:
        """A one-message ticket: the quickest way to draft a reply to a single message."""
        cust = Customer(name=customer) if isinstance(customer, str) else (customer or Customer())
        return cls.model_validate(
            {
                "channel": channel,
                "customer": cust,
                "subject": subject,
                "messages": [Message(author=Role.CUSTOMER, text=text)],
                **fields,
            }
        )

    @property
    def customer_messages(self) -> list[Message]:
        return [m for m in self.messages if m.author is Role.CUSTOMER]

    @property
    def last_customer_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.author is Role.CUSTOMER and message.body.strip():
                return message
        return None


def _web_url(value: object) -> object:
    """Keep a link only if it is an absolute http(s) URL.

    Article links end up in replies and in agents' sidebars; a ``javascript:``, ``data:`` or
    ``file:`` link from a KB (or an attacker who can edit one) must never get there. The article
    is kept, without its link.
    """
    if value is None or not isinstance(value, str):
        return value
    url = value.strip()
    return url if re.match(r"(?i)^https?://[^\s/]", url) else None


class Article(BaseModel):
    """A knowledge-base article."""

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str
    body: str
    url: str | None = None
    locale: str | None = None
    labels: list[str] = Field(default_factory=list)
    updated_at: datetime | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_to_str(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    _only_web_url = field_validator("url", mode="before")(_web_url)


class Passage(BaseModel):
    """A retrievable piece of an article (a section or a few paragraphs)."""

    id: str
    """``"{article_id}#{n}"``: stable across re-indexing of the same article text."""
    article_id: str
    title: str
    text: str
    url: str | None = None
    locale: str | None = None
    labels: list[str] = Field(default_factory=list)

    _only_web_url = field_validator("url", mode="before")(_web_url)


class SearchHit(BaseModel):
    """A passage found for a query."""

    passage: Passage
    score: float
    """The ranking score (BM25); comparable only within one search."""
    coverage: float = 0.0
    """Share (0–1) of the query's information, weighted by IDF, that the passage contains.

    Comparable across searches: it is what the drafter uses to decide whether the KB
    answers the question at all."""


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Emotion(StrEnum):
    ANGER = "anger"
    FRUSTRATION = "frustration"
    DISAPPOINTMENT = "disappointment"
    WORRY = "worry"
    CONFUSION = "confusion"
    GRATITUDE = "gratitude"
    JOY = "joy"
    NEUTRAL = "neutral"


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class ComplaintType(StrEnum):
    VENTING = "venting"
    """Wants to be heard more than to get a fix."""
    WANTS_FIX = "wants_fix"
    """Reports a problem and wants it solved."""
    CHRONIC = "chronic"
    """A problem they have reported before, or that keeps happening."""
    QUESTION = "question"
    """Not a complaint: a question or a request."""
    PRAISE = "praise"
    """Thanks or a compliment."""


class Signals(BaseModel):
    """What the library read from the customer's messages, before drafting."""

    language: str = "en"
    """ISO 639-1 code of the customer's last message."""
    language_confidence: float = 0.0
    sentiment: Sentiment = Sentiment.NEUTRAL
    sentiment_score: float = 0.0
    """From -1 (very negative) to 1 (very positive)."""
    emotion: Emotion = Emotion.NEUTRAL
    urgency: Urgency = Urgency.NORMAL
    urgency_reasons: list[str] = Field(default_factory=list)
    """Among: outage, safety, legal_threat, payment, deadline, repeated_contact, data_breach."""
    complaint_type: ComplaintType = ComplaintType.QUESTION
    is_question: bool = False
    thanks_only: bool = False
    addressed_to_brand: bool = True
    risks: list[str] = Field(default_factory=list)
    """Reasons a person must handle it: legal_threat, safety, data_breach, abuse, self_harm."""
    spam: bool = False
    mentions: list[str] = Field(default_factory=list)
    """Specifics the customer named (order numbers, products, amounts, dates), in their words."""


class Decision(StrEnum):
    REPLY = "reply"
    SKIP = "skip"
    ESCALATE = "escalate"


class Citation(BaseModel):
    """An article a draft relies on, and the passage it took from it."""

    article_id: str
    title: str
    url: str | None = None
    passage_id: str
    quote: str

    _only_web_url = field_validator("url", mode="before")(_web_url)


class DraftWarning(BaseModel):
    """Something the agent should know before sending the draft."""

    code: str
    """Stable machine-readable code, e.g. ``unknown_channel``, ``kb_language_mismatch``."""
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Timings(BaseModel):
    """Where the time went, in milliseconds."""

    total_ms: float = 0.0
    signals_ms: float = 0.0
    retrieval_ms: float = 0.0
    compose_ms: float = 0.0
    check_ms: float = 0.0


class Usage(BaseModel):
    """What a language model call cost: tokens in and out, and the model's own time."""

    input_tokens: int = 0
    output_tokens: int = 0
    model_ms: float = 0.0
    """Wall time spent waiting for the model (all attempts, retries included)."""
    calls: int = 0
    """Model calls made for this result, retries included."""
    estimated: bool = False
    """True when the provider reported no counts and the tokens were estimated from the text."""


class Draft(BaseModel):
    """A suggested reply, with what the agent needs to judge it."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    ticket_id: str | None = None
    decision: Decision
    reasons: list[str] = Field(default_factory=list)
    text: str = ""
    """The reply as it would be sent; empty only when ``decision`` is ``skip``."""
    parts: list[str] = Field(default_factory=list)
    """The reply split as the channel sends it (a numbered thread on X); ``[text]`` otherwise."""
    language: str = "en"
    channel: Channel = Channel.UNKNOWN
    move_to_private: bool = False
    """True when the draft asks the customer to continue on a private channel."""
    citations: list[Citation] = Field(default_factory=list)
    signals: Signals = Field(default_factory=Signals)
    warnings: list[DraftWarning] = Field(default_factory=list)
    composer: str = "offline"
    timings: Timings = Field(default_factory=Timings)
    usage: Usage | None = None
    """Tokens and model time when a language model wrote the draft; ``None`` for the offline composer."""
    masked: dict[str, int] = Field(default_factory=dict)
    """Private data replaced by placeholders before a model saw the ticket: kinds and counts, never values."""
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def warn(self, code: str, message: str) -> None:
        """Add a warning unless one with the same code and message is there."""
        if not any(w.code == code and w.message == message for w in self.warnings):
            self.warnings.append(DraftWarning(code=code, message=message))


class FeedbackKind(StrEnum):
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"


class Feedback(BaseModel):
    """What an agent did with a draft."""

    draft_id: str
    kind: FeedbackKind
    final_text: str | None = None
    reason: str | None = None
    agent_id: str | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
