"""Is a public post talking *to* the brand, or only *about* it?

On X/Twitter, Facebook and Instagram people mention brands in posts meant for their friends
("lol @friend my @AcmeAir flight got delayed again, classic"). Answering those uninvited is
intrusive, so such mentions can be skipped. The decision is a small score:

* the post opens with the brand's handle (a reply to the brand, or "Hey @brand, …")  → to the brand;
* it opens with someone else's handle and names the brand later                      → to that person;
* no handle opens it, but the brand is tagged                                         → to the brand,
  unless it reads as talk to friends ("my @brand flight … lol", "they lost it again, classic");
* "you/your", questions and requests next to the brand's name push towards the brand;
  third-person talk ("flying with @brand", "@brand lost my bag", "they") and chat markers
  ("lol", "smh", "classic") push away.

When nothing is known about the brand, or the brand is not named at all (a reply deep in a
thread), the post is taken as addressed: skipping a real customer is worse than answering one
who did not ask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from replyassist.signals._resources import load_lexicon

__all__ = ["addressed_to_brand"]

_HANDLE = re.compile(r"[@＠]([A-Za-z0-9_]{1,30})")
_LEAD_HANDLES = re.compile(r"^\W*(?:(?:[A-Za-z]{1,6}[,!.]?\s+){0,2})((?:[@＠][A-Za-z0-9_]{1,30}[\s,:]*)+)")
_GREETING = r"(?:hey|hi|hello|dear|yo|ok|okay|oi|hola|bonjour|salut|hallo|hoi|ciao|olá|oi|cześć|halo|chào)"
_DIRECT_AFTER = (
    r"\s*[,:!-]*\s*(?:you|your|you're|u|ur|y'?all|pls|please|plz|why|how|can|could|when|where|what|"
    r"fix|help|sort|stop|give|refund|answer|reply|respond|dm|thanks|thank|shame|"
    r"vous|votre|tu|usted|ustedes|você|vocês|voi|ihr|jullie|wy|bạn|kamu|anda|kalian)\b"
)


@cache
def _word_sets() -> tuple[frozenset[str], frozenset[str], tuple[str, ...], frozenset[str]]:
    data = load_lexicon("cues")
    second = frozenset(w for words in data["second_person"].values() for w in words)
    friend = frozenset(w for w in data["friend_talk"] if " " not in w)
    friend_phrases = tuple(w for w in data["friend_talk"] if " " in w)
    after = frozenset(data["third_person_after"])
    return second, friend, friend_phrases, after


def _brand_pattern(handles: Sequence[str], names: Sequence[str]) -> re.Pattern[str] | None:
    parts = [rf"[@＠]{re.escape(h.lstrip('@＠'))}(?![A-Za-z0-9_])" for h in handles if h.strip("@＠ ")]
    for name in names:
        name = name.strip()
        if name:
            words = r"\s*".join(re.escape(w) for w in name.split())
            parts.append(rf"(?<![\w@＠]){words}(?!\w)")
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


_THIRD_BEFORE = re.compile(
    r"(?:\b(?:my|our|the|with|by|from|at|on|via|about|than|like|thanks to|flying|fly|flew|using|used|use|"
    r"love|hate|mi|mon|ma|mein|meine|mijn|il mio|la mia)\s+)$",
    re.IGNORECASE,
)
_THEY = re.compile(r"\b(?:they|their|them|they're|theyre|they've)\b", re.IGNORECASE)


def addressed_to_brand(
    text: str,
    *,
    brand_handles: Sequence[str],
    brand_names: Sequence[str],
    is_question: bool,
    is_request: bool,
) -> bool:
    """Whether a public post speaks to the brand (see the module docstring)."""
    brand = _brand_pattern(brand_handles, brand_names)
    if brand is None or not text.strip():
        return True
    second, friend, friend_phrases, after_words = _word_sets()
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", lowered)
    chatty = any(w in friend for w in words) or any(p in lowered for p in friend_phrases)

    lead = _LEAD_HANDLES.match(text)
    leading = [h.lower() for h in _HANDLE.findall(lead.group(1))] if lead else []
    handles = {h.lstrip("@＠").lower() for h in brand_handles}
    first_is_brand = bool(leading) and leading[0] in handles
    brand_in_lead = any(h in handles for h in leading)
    if first_is_brand:
        return True
    mentions = [m for m in brand.finditer(text) if not (lead and m.start() < lead.end(1))]

    if brand_in_lead:
        # A reply in a thread the brand is part of: to the brand unless it is chat about "them".
        score = 0.5
    elif not mentions:
        # The brand is not named: a reply deep in a thread, or its handle is one we were not told.
        return not (leading and chatty and not is_question and not is_request)
    elif leading:
        score = -2.0  # opens with someone else's handle and names the brand later
    else:
        score = 1.0  # tagging the brand in one's own post is asking for its attention

    for mention in mentions:
        before = text[max(0, mention.start() - 40) : mention.start()]
        rest = text[mention.end() : mention.end() + 40]
        if re.match(_DIRECT_AFTER, rest, re.IGNORECASE) or re.search(
            rf"\b{_GREETING}\W{{0,3}}$", before, re.IGNORECASE
        ):
            score += 2.5
        if _THIRD_BEFORE.search(before):
            score -= 1.0
        next_word = re.match(r"\W{0,2}(['’]?\w+)", rest)
        if (
            next_word
            and next_word.group(1).lower().replace("’", "'") in after_words
            and not re.match(_DIRECT_AFTER, rest, re.IGNORECASE)
        ):
            score -= 1.0
    if not leading or brand_in_lead:
        if any(w in second for w in words):
            score += 1.0
        if is_question or is_request:
            score += 0.5
    if _THEY.search(text):
        score -= 0.5
    if chatty:
        score -= 1.0
    return score >= 0
