"""Channel profiles: how a reply must look on each channel, and fitting a text to it.

A profile fixes the hard length limit (counted the way the channel counts), a softer
target length, the format, the greeting and sign-off style, and whether and where a
conversation may move to a private channel. Brands override fields through
``Policy.channel_overrides``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from replyassist._errors import ConfigurationError
from replyassist._text import split_sentences
from replyassist.models import Channel

__all__ = [
    "ChannelProfile",
    "FitResult",
    "Format",
    "SignOff",
    "default_profiles",
    "fit_to_profile",
    "get_profile",
    "x_weighted_length",
]


class Format(StrEnum):
    PLAIN = "plain"
    """One short block of plain text (social, chat, SMS)."""
    PARAGRAPHS = "paragraphs"
    """Greeting line, paragraphs, sign-off block (email, web form)."""
    CALL_NOTE = "call_note"
    """A note for the agent's phone follow-up: what to say, not a message to send."""


class SignOff(StrEnum):
    NONE = "none"
    INITIALS = "initials"
    """``^AG`` after the text, as brands do on X."""
    FIRST_NAME = "first_name"
    """``– Ana`` after the text."""
    FULL = "full"
    """A closing line, the agent's name and the brand's signature, on their own lines."""


@dataclass(frozen=True)
class ChannelProfile:
    """How replies look on one channel.

    Attributes:
        channel: the channel this profile is for.
        label: a human name for the channel.
        max_chars: hard limit of one message, counted as the channel counts (``None``: no limit).
        target_chars: the length a good reply aims at; the composer stays near it.
        max_parts: how many messages a long answer may be split into (a numbered thread on X).
        format: plain text, paragraphs with greeting and sign-off, or a call note.
        greeting: whether the reply opens by greeting the customer by name.
        sign_off: how the reply is signed.
        public: whether everyone can read the reply.
        private_channel: where to move when the customer must share private details.
        twitter_counting: count length the way X does (URLs 23, CJK and emoji weigh 2).
        links: whether links to articles may appear in the text.
    """

    channel: Channel
    label: str
    max_chars: int | None
    target_chars: int
    max_parts: int = 1
    format: Format = Format.PLAIN
    greeting: bool = True
    sign_off: SignOff = SignOff.NONE
    public: bool = False
    private_channel: Channel | None = None
    twitter_counting: bool = False
    links: bool = True

    def length(self, text: str) -> int:
        """Length of ``text`` as this channel counts it."""
        return x_weighted_length(text) if self.twitter_counting else len(text)

    def fits(self, text: str) -> bool:
        return self.max_chars is None or self.length(text) <= self.max_chars

    def with_overrides(self, overrides: dict[str, Any]) -> ChannelProfile:
        """A copy with some fields replaced; unknown field names are a ConfigurationError."""
        known = set(self.__dataclass_fields__)
        unknown = set(overrides) - known
        if unknown:
            raise ConfigurationError(
                f"unknown channel profile field(s) {sorted(unknown)}; known: {sorted(known - {'channel'})}"
            )
        values = dict(overrides)
        for name, kind in (("format", Format), ("sign_off", SignOff)):
            if isinstance(values.get(name), str):
                values[name] = kind(values[name])
        if isinstance(values.get("private_channel"), str):
            values["private_channel"] = Channel.parse(values["private_channel"])
        return replace(self, **values)


_P = ChannelProfile
_DEFAULTS: tuple[ChannelProfile, ...] = (
    _P(Channel.EMAIL, "Email", None, 900, format=Format.PARAGRAPHS, sign_off=SignOff.FULL),
    _P(Channel.WEB_FORM, "Web form", None, 900, format=Format.PARAGRAPHS, sign_off=SignOff.FULL),
    _P(Channel.CHAT, "Chat / messaging", 1000, 450),
    _P(Channel.SMS, "SMS", 480, 300, links=True),
    _P(Channel.WHATSAPP, "WhatsApp", 4096, 500),
    _P(
        Channel.TWITTER,
        "X (Twitter) public reply",
        280,
        260,
        max_parts=3,
        sign_off=SignOff.INITIALS,
        public=True,
        private_channel=Channel.TWITTER_DM,
        twitter_counting=True,
    ),
    _P(
        Channel.TWITTER_DM,
        "X (Twitter) direct message",
        10000,
        600,
        sign_off=SignOff.INITIALS,
        twitter_counting=True,
    ),
    _P(
        Channel.FACEBOOK_POST,
        "Facebook post or comment",
        8000,
        400,
        sign_off=SignOff.FIRST_NAME,
        public=True,
        private_channel=Channel.FACEBOOK_MESSENGER,
    ),
    _P(Channel.FACEBOOK_MESSENGER, "Facebook Messenger", 2000, 500, sign_off=SignOff.FIRST_NAME),
    _P(
        Channel.INSTAGRAM_COMMENT,
        "Instagram comment",
        2200,
        300,
        sign_off=SignOff.FIRST_NAME,
        public=True,
        private_channel=Channel.INSTAGRAM_DM,
        links=False,
    ),
    _P(Channel.INSTAGRAM_DM, "Instagram direct message", 1000, 450, sign_off=SignOff.FIRST_NAME),
    _P(Channel.VOICE, "Phone / voice (call note)", None, 700, format=Format.CALL_NOTE, greeting=False),
    # Unknown: the safest shape is a short, plain, self-contained reply that reads well anywhere.
    _P(Channel.UNKNOWN, "Unknown channel", 1000, 450),
)


def default_profiles() -> dict[Channel, ChannelProfile]:
    """The built-in profile of every channel."""
    return {p.channel: p for p in _DEFAULTS}


_PROFILES = default_profiles()


def get_profile(channel: Channel | str, overrides: dict[str, Any] | None = None) -> ChannelProfile:
    """The profile of ``channel`` (unknown names get the ``unknown`` profile), with overrides applied."""
    parsed = Channel.parse(channel) or Channel.UNKNOWN
    profile = _PROFILES[parsed]
    return profile.with_overrides(overrides) if overrides else profile


# X counts by twitter-text's v3 configuration: code points in these ranges weigh 1, all others
# 2; any URL counts 23; an emoji sequence (with ZWJ joins, skin tones, flags) counts 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*"
    r"\.(?:com|org|net|io|co|app|example|dev|ly|me|info|shop|store)(?:/[^\s<>\"]*)?"
)
_EMOJI = re.compile(
    "(?:[\U0001f1e6-\U0001f1ff]{2})"  # flags
    "|(?:[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff]"
    "[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]*"
    "(?:\u200d[\U0001f000-\U0001faff\u2600-\u27bf\u2640\u2642\u2695\u2708\u2764][\ufe0f"
    "\U0001f3fb-\U0001f3ff]*)*)"
)


def x_weighted_length(text: str) -> int:
    """Length of ``text`` as X counts it against its 280 limit."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    text, n_urls = _URL.subn("", text)
    total += 23 * n_urls
    text, n_emoji = _EMOJI.subn("", text)
    total += 2 * n_emoji
    for ch in text:
        cp = ord(ch)
        total += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2
    return total


@dataclass
class FitResult:
    """A text fitted to a channel profile."""

    text: str
    parts: list[str]
    trimmed: bool = False
    notes: list[str] = field(default_factory=list)


def fit_to_profile(text: str, profile: ChannelProfile, *, keep_last: str = "") -> FitResult:
    """Fit ``text`` to the profile's limits.

    Within the limit: one part. Too long for one message on a channel that threads (X):
    a numbered thread of at most ``max_parts`` parts split at sentence ends. Still too long:
    sentences are dropped from the end of the body (``keep_last``, e.g. the sign-off, is
    kept) and the result is marked ``trimmed``.
    """
    text = text.strip()
    full = f"{text} {keep_last}".strip() if keep_last else text
    if profile.fits(full):
        return FitResult(full, [full])
    sentences = split_sentences(text)
    trimmed = False
    while sentences:
        candidate = sentences + ([keep_last] if keep_last else [])
        if profile.max_parts > 1:
            parts = _thread(candidate, profile)
            if parts is not None:
                return FitResult(
                    "\n\n".join(parts),
                    parts,
                    trimmed,
                    [f"split into a thread of {len(parts)} parts"] if len(parts) > 1 else [],
                )
        else:
            joined = " ".join(candidate)
            if profile.fits(joined):
                return FitResult(joined, [joined], trimmed)
        if len(sentences) == 1:
            break
        sentences = sentences[:-1]
        trimmed = True
    # A single sentence that alone is over the limit: cut it at a word boundary.
    limit = profile.max_chars or len(full)
    budget = limit - (profile.length(keep_last) + 1 if keep_last else 0) - 1
    body = sentences[0] if sentences else text
    while body and profile.length(body) > budget:
        body = body[: max(0, len(body) - max(1, (profile.length(body) - budget) // 2))].rstrip()
        body = body.rsplit(" ", 1)[0] if " " in body else body
    cut = f"{body}… {keep_last}".strip() if keep_last else f"{body}…"
    return FitResult(cut, [cut], True, ["cut to the channel's limit"])


def _thread(sentences: list[str], profile: ChannelProfile) -> list[str] | None:
    """Pack sentences into at most ``max_parts`` numbered parts, or ``None`` if they don't fit."""
    assert profile.max_chars is not None
    for n in range(2, profile.max_parts + 1):
        parts: list[str] = []
        current = ""
        suffix_len = profile.length(f" {n}/{n}")
        for sentence in sentences:
            joined = f"{current} {sentence}".strip()
            if profile.length(joined) + suffix_len <= profile.max_chars:
                current = joined
            elif current and profile.length(sentence) + suffix_len <= profile.max_chars:
                parts.append(current)
                current = sentence
            else:
                break
        else:
            if current:
                parts.append(current)
            if len(parts) <= n:
                total = len(parts)
                return [f"{p} {i}/{total}" for i, p in enumerate(parts, 1)] if total > 1 else parts
    return None
