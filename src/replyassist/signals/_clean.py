"""Preparing message text for the detectors: quoted history, size caps, noise."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

__all__ = ["MAX_SCAN_CHARS", "prepare", "strip_noise"]

MAX_SCAN_CHARS = 5000
"""How much of a message the detectors read; enough for any real message, bounded for pasted logs."""

# Where an e-mail client starts quoting the previous message. What follows is not the customer's
# new text and would skew language, sentiment and urgency (agents' "thank you" and "urgent" included).
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_QUOTE_START = re.compile(
    r"^(?:-{2,} ?(?:original message|mensaje original|message d'origine|ursprüngliche nachricht)"
    r"|_{10,}"
    r"|(?:on|am|le|el|il|em|op|w dniu) .{4,120}(?:wrote|schrieb|a écrit|escribió|ha scritto|escreveu"
    r"|schreef|napisał\(a\)|napisał|napisała) ?:?\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


def prepare(text: str) -> str:
    """The part of a message the detectors look at: NFC, without quoted history, capped."""
    if not text:
        return ""
    # Cap before any other work so that a pasted log costs no more than a long e-mail.
    text = text[: MAX_SCAN_CHARS * 2]
    if "&" in text:
        text = unescape(text)
    text = unicodedata.normalize("NFC", text)
    if ">" in text:
        stripped = _QUOTED_LINE.sub("", text)
        # A message made only of quoted lines keeps them: something beats nothing.
        text = stripped if stripped.strip() else text
    quote = _QUOTE_START.search(text)
    if quote and quote.start() > 0:
        text = text[: quote.start()]
    return text[:MAX_SCAN_CHARS]


_NOISE = re.compile(
    r"https?://\S+|www\.\S+|(?<!\S)[^\s@]+@[^\s@]+\.\w+"  # links and e-mail addresses
    r"|@[A-Za-z0-9_.]+"  # @mentions (handles are ASCII)
    r"|#[A-Za-z0-9_\u00c0-\u024f]+"  # Latin #hashtags: often brand or topic names in English
    # numbers, order ids, times, prices, versions; ASCII only so that CJK text around them stays
    r"|(?<![A-Za-z0-9_\-./:#$€£%+])[A-Za-z0-9_\-./:#$€£%+]*\d[A-Za-z0-9_\-./:#$€£%+]*"
    r"|&\w+;",  # left-over HTML entities
    re.UNICODE,
)


def strip_noise(text: str) -> str:
    """Remove what says nothing about the language: links, handles, hashtags, numbers, ids."""
    return _NOISE.sub(" ", text)
