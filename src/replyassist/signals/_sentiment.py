"""A VADER-style sentiment and emotion scorer over small per-language lexicons.

Each word, phrase or emoji in ``lexicons/sentiment.json`` has a valence from -4 to 4 and
sometimes an emotion. The valences of a message are summed after VADER's adjustments:
a negation within three words flips and damps a word (x -0.74; also "pas"/"nicht" after it,
and ない after a Japanese word), an intensifier before it pushes it further, a word in CAPS
in a mixed-case message is emphasised, what follows "but" counts more than what precedes it,
and exclamation marks add weight. The sum is squashed into -1..1.

A message is scored with the lexicon of its language merged over the English one, since
customers mix in English words ("el servicio es horrible, worst experience ever"). When the
language is unsure, ``"*"`` scores with all the lexicons merged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from replyassist.signals._resources import load_lexicon

__all__ = ["SentimentResult", "score_sentiment"]

_NEGATION_SCALAR = -0.74
_CAPS_INCREMENT = 0.733
_EXCLAMATION_INCREMENT = 0.292
_ALPHA = 15.0  # VADER's normalisation constant
_WINDOW = 3

_Entry = tuple[float, str | None]


@dataclass
class SentimentResult:
    """Sentiment of one text."""

    score: float = 0.0
    """From -1 to 1."""
    emotions: dict[str, float] = field(default_factory=dict)
    """Evidence per emotion (sum of the absolute valences that carried it)."""
    hits: int = 0
    """How many lexicon entries and emoji were found."""
    shouting: bool = False


@dataclass(frozen=True)
class _Lexicon:
    words: dict[str, _Entry]
    prefixes: dict[str, tuple[tuple[str, float, str | None], ...]]
    phrases: dict[str, tuple[tuple[tuple[str, ...], float, str | None], ...]]
    negations: frozenset[str]
    post_negations: frozenset[str]
    boosters: dict[str, float]
    dampeners: frozenset[str]
    contrast: frozenset[str]
    conjunctions: frozenset[str]
    """Words that end a negation's reach: "no funciona y estoy harto" is not "not fed up"."""
    spaceless: re.Pattern[str] | None
    """For Chinese and Japanese: one pattern finding any lexicon entry in running text."""
    spaceless_entries: dict[str, _Entry]
    spaceless_negations: tuple[str, ...]
    spaceless_post: tuple[str, ...]
    spaceless_boosters: dict[str, float]


def _entry(value: Any) -> _Entry:
    if isinstance(value, list):
        return float(value[0]), str(value[1]) if value[1] else None
    return float(value), None


_SPACELESS = ("zh", "ja")


@cache
def _lexicon(language: str) -> _Lexicon:
    data = load_lexicon("sentiment")["languages"]
    # The message's language wins over English where both list a word. "*" (language
    # unsure) merges every spaced language, in file order.
    if language == "*":
        order = [lang for lang in data if lang not in _SPACELESS]
    else:
        order = ["en", language] if language != "en" and language in data else ["en"]
    words: dict[str, _Entry] = {}
    prefixes: dict[str, list[tuple[str, float, str | None]]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], float, str | None]]] = {}
    negations: set[str] = set()
    post: set[str] = set()
    boosters: dict[str, float] = {}
    dampeners: set[str] = set()
    contrast: set[str] = set()
    conjunctions: set[str] = set()
    spaceless_entries: dict[str, _Entry] = {}
    for lang in order:
        entry = data[lang]
        if lang in _SPACELESS:
            spaceless_entries.update({k: _entry(v) for k, v in entry["words"].items()})
            continue
        for word, value in entry["words"].items():
            valence, emotion = _entry(value)
            if word.endswith("*"):
                stem = word[:-1]
                prefixes.setdefault(stem[:3], []).append((stem, valence, emotion))
            else:
                words[word] = (valence, emotion)
        for phrase, value in entry["phrases"].items():
            tokens = tuple(_TOKEN.findall(phrase.replace("’", "'")))
            valence, emotion = _entry(value)
            phrases.setdefault(tokens[0], []).append((tokens, valence, emotion))
        negations.update(entry["negations"])
        post.update(entry["post_negations"])
        boosters.update(entry["boosters"])
        dampeners.update(entry["dampeners"])
        contrast.update(entry["contrast"])
        conjunctions.update(entry.get("conjunctions", ()))
    spaceless = None
    sl_neg: tuple[str, ...] = ()
    sl_post: tuple[str, ...] = ()
    sl_boost: dict[str, float] = {}
    if spaceless_entries:
        terms = sorted(spaceless_entries, key=len, reverse=True)
        spaceless = re.compile("|".join(re.escape(t) for t in terms))
        entry = data[language]
        sl_neg = tuple(entry["negations"])
        sl_post = tuple(entry["post_negations"])
        sl_boost = dict(entry["boosters"])
        contrast.update(entry["contrast"])
    return _Lexicon(
        words=words,
        prefixes={k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in prefixes.items()},
        phrases={k: tuple(sorted(v, key=lambda e: -len(e[0]))) for k, v in phrases.items()},
        negations=frozenset(negations),
        post_negations=frozenset(post),
        boosters=boosters,
        dampeners=frozenset(dampeners),
        contrast=frozenset(contrast),
        conjunctions=frozenset(conjunctions),
        spaceless=spaceless,
        spaceless_entries=spaceless_entries,
        spaceless_negations=sl_neg,
        spaceless_post=sl_post,
        spaceless_boosters=sl_boost,
    )


@cache
def _emoji() -> tuple[dict[str, _Entry], dict[str, _Entry]]:
    data = load_lexicon("sentiment")
    return (
        {k: _entry(v) for k, v in data["emoji"].items()},
        {k: _entry(v) for k, v in data["emoticons"].items()},
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Candidates for text faces; each is checked against the lexicon and must stand alone,
# so that "3:30", "(a)" or "http://" are not faces.
_FACE = re.compile(r"(?<![\w:/])[:;<>][-'@:(/)D3]{1,3}")


def _symbols(text: str) -> list[_Entry]:
    emoji, faces = _emoji()
    found: list[_Entry] = []
    seen: dict[str, int] = {}
    for char in _NON_ASCII.findall(text):
        entry = emoji.get(char)
        if entry is not None:
            seen[char] = seen.get(char, 0) + 1
            if seen[char] <= 3:  # "😡😡😡😡😡" is not five times angrier than three
                found.append(entry)
    if ":" in text or "<" in text or ";" in text:
        for match in _FACE.finditer(text):
            candidate = match.group()
            # the longest known face at this spot, e.g. ":-(" rather than ":-"
            for size in range(len(candidate), 1, -1):
                face = candidate[:size]
                end = match.start() + size
                if face in faces and (end >= len(text) or not text[end].isalnum()):
                    found.append(faces[face])
                    break
    return found


_TOKEN = re.compile(r"[^\W\d_]+(?:['·][^\W\d_]+)*|[.,;:!?¿¡…]")
_ELISION = re.compile(r"^(?:l|d|j|n|qu|c|s|m|t|un|dell|all|nell|dall|sull)'(?=\w)")
_BREAK = frozenset(".,;:!?¿¡…")


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(text.replace("’", "'")):
        elision = _ELISION.match(token.lower()) if "'" in token else None
        if elision:
            out.append(token[: elision.end()])
            out.append(token[elision.end() :])
        else:
            out.append(token)
    return out


def _lookup(lex: _Lexicon, word: str) -> _Entry | None:
    found = lex.words.get(word)
    if found is not None:
        return found
    for stem, valence, emotion in lex.prefixes.get(word[:3], ()):
        if word.startswith(stem):
            return valence, emotion
    return None


def _score_tokens(
    lex: _Lexicon, tokens: list[str], mixed_case: bool, out: list[tuple[int, float, str | None]]
) -> int:
    """Append (position, valence, emotion) for each hit; return the contrast position or -1."""
    lowered = [t.lower() for t in tokens]
    contrast_at = -1
    consumed = -1  # tokens up to here belong to a phrase already scored
    i = 0
    while i < len(tokens):
        low = lowered[i]
        if low in lex.contrast:
            contrast_at = i
        found: _Entry | None = None
        span = 1
        # A phrase that holds its own negation ("not working") is not negated again; others
        # ("hài lòng", "luar biasa": words written in two parts) are, like single words.
        self_negated = False
        for seq, valence, emotion in lex.phrases.get(low, ()):
            if tuple(lowered[i : i + len(seq)]) == seq:
                found, span = (valence, emotion), len(seq)
                self_negated = any(t in lex.negations or t.endswith("n't") for t in seq)
                break
        if found is None and low not in lex.negations and low not in lex.boosters:
            found = _lookup(lex, low)
        if found is None or found[0] == 0.0:
            if found is not None and found[1]:
                out.append((i, 0.0, found[1]))
            i += span
            continue
        valence, emotion = found
        sign = 1.0 if valence > 0 else -1.0
        token = tokens[i]
        if mixed_case and token.isupper() and len(token) > 1:
            valence += sign * _CAPS_INCREMENT
        negated = False
        for distance in range(1, _WINDOW + 1):
            j = i - distance
            if j <= consumed or lowered[j] in _BREAK or lowered[j] in lex.conjunctions:
                break
            before = lowered[j]
            boost = lex.boosters.get(before)
            if boost:
                valence += sign * boost * (1.0 - 0.05 * (distance - 1))
            elif before in lex.dampeners:
                valence -= sign * 0.29
            elif not self_negated and (before in lex.negations or before.endswith("n't")):
                negated = True
        if not self_negated and lex.post_negations:
            for j in range(i + span, min(len(tokens), i + span + 2)):
                if lowered[j] in _BREAK:
                    break
                if lowered[j] in lex.post_negations:
                    negated = True
        if negated:
            valence *= _NEGATION_SCALAR
            # "not happy" is disappointment, "not bad" is no emotion worth naming
            emotion = "disappointment" if valence < 0 and emotion in ("joy", "gratitude") else None
        out.append((i, valence, emotion))
        if span > 1:
            consumed = i + span - 1
        i += span
    return contrast_at


def _score_spaceless(lex: _Lexicon, text: str, out: list[tuple[int, float, str | None]]) -> None:
    if lex.spaceless is None:
        return
    for match in lex.spaceless.finditer(text):
        term = match.group()
        valence, emotion = lex.spaceless_entries[term]
        if valence == 0.0:
            continue
        sign = 1.0 if valence > 0 else -1.0
        before = text[max(0, match.start() - 3) : match.start()]
        after = text[match.end() : match.end() + 6]
        negated = (
            bool(before)
            and any(before.endswith(n) for n in lex.spaceless_negations)
            and not term.startswith(tuple(lex.spaceless_negations))
        ) or any(after.startswith(p) for p in lex.spaceless_post)
        for booster, amount in lex.spaceless_boosters.items():
            if before.endswith(booster):
                valence += sign * amount
                break
        if negated:
            valence *= _NEGATION_SCALAR
            emotion = "disappointment" if valence < 0 and emotion in ("joy", "gratitude") else None
        out.append((match.start(), valence, emotion))


def score_sentiment(
    text: str, language: str = "en", extra: Sequence[tuple[float, str | None]] = ()
) -> SentimentResult:
    """Score the sentiment and emotions of ``text`` (already cleaned of links and handles).

    ``extra`` adds (valence, emotion) pairs found by other means, such as a safety incident
    or an insult, which carry tone that no single word does.
    """
    result = SentimentResult()
    if not text:
        return result
    lex = _lexicon(language)
    hits: list[tuple[int, float, str | None]] = []
    uppers = sum(map(str.isupper, text))
    lowers = sum(map(str.islower, text))
    result.shouting = uppers >= 12 and uppers >= 0.8 * (uppers + lowers)
    contrast_at = -1
    if language in _SPACELESS:
        _score_spaceless(lex, text, hits)
        # Chinese "但是" and Japanese "でも" shift the weight to what follows, as "but" does.
        positions = [text.find(c) for c in lex.contrast if c in text]
        contrast_at = max(positions) if positions else -1
        latin = re.sub(r"[^\x00-\x7f]+", " ", text)
        if latin.strip():  # English words mixed in ("app 闪退 wtf")
            english: list[tuple[int, float, str | None]] = []
            _score_tokens(_lexicon("en"), _tokens(latin), True, english)
            hits.extend((-1, v, e) for _, v, e in english)
    else:
        contrast_at = _score_tokens(lex, _tokens(text), uppers > 0 and lowers > 0, hits)
    total = 0.0
    emotions: dict[str, float] = {}
    hits.extend((-1, valence, emotion) for valence, emotion in extra)
    for position, valence, emotion in hits:
        if contrast_at >= 0 and position >= 0:
            valence *= 0.5 if position < contrast_at else 1.5
        total += valence
        if emotion:
            emotions[emotion] = emotions.get(emotion, 0.0) + max(abs(valence), 0.5)
    for valence, emotion in _symbols(text):
        total += valence
        hits.append((-1, valence, emotion))
        if emotion:
            emotions[emotion] = emotions.get(emotion, 0.0) + abs(valence)
    if total:
        bangs = min(text.count("!") + text.count("！"), 4)
        total += math.copysign(bangs * _EXCLAMATION_INCREMENT, total)
        if result.shouting:
            total *= 1.25
    result.score = round(total / math.sqrt(total * total + _ALPHA), 4)
    result.emotions = emotions
    result.hits = len(hits)
    return result
