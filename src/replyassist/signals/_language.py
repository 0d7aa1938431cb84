"""Language identification tuned for short customer messages.

Two stages, both cheap:

1. **Script.** Letters are counted by Unicode script. Most scripts name their language outright
   (Hangul → ko, Greek → el, Thai → th…); kana means Japanese even among kanji; a few letters
   tell Cyrillic and Arabic-script languages apart (``ы`` → ru, ``ї`` → uk, ``پ`` → fa…).
2. **Latin script.** Each word is looked up in per-language lists of function words and common
   support vocabulary (a word shared by *k* languages gives each 1/*k*), and its character
   n-grams in per-language cue lists (``ção`` → pt, ``ij`` → nl, ``ñ`` → es…). Function words
   carry short texts; the n-grams help when a message has none.

The profiles live in ``lexicons/langid.json`` and are read on first use. When the text is long
enough to be in a language the lists do not cover and the score is still unsure, py3langid is
asked (lazily: its model takes most of a second to load, so short texts never wait for it).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache

from replyassist.signals._clean import prepare, strip_noise
from replyassist.signals._resources import load_lexicon

__all__ = ["FALLBACK_LANGUAGE", "detect_language", "detect_prepared"]

FALLBACK_LANGUAGE = "en"
"""What ``detect_language`` answers, with confidence 0.0, when the text has no letters to go on."""

# (first code point, last code point, script); sorted, non-overlapping. Latin is handled apart.
_RANGES: list[tuple[int, int, str]] = sorted(
    [
        (0x0041, 0x005A, "latin"),
        (0x0061, 0x007A, "latin"),
        (0x00C0, 0x024F, "latin"),
        (0x1E00, 0x1EFF, "latin"),
        (0xFF21, 0xFF3A, "latin"),
        (0xFF41, 0xFF5A, "latin"),
        (0x0370, 0x03FF, "el"),
        (0x1F00, 0x1FFF, "el"),
        (0x0400, 0x052F, "cyrillic"),
        (0x0530, 0x058F, "hy"),
        (0x0590, 0x05FF, "he"),
        (0x0600, 0x06FF, "arabic"),
        (0x0750, 0x077F, "arabic"),
        (0xFB50, 0xFDFF, "arabic"),
        (0xFE70, 0xFEFF, "arabic"),
        (0x0900, 0x097F, "hi"),
        (0x0980, 0x09FF, "bn"),
        (0x0A00, 0x0A7F, "pa"),
        (0x0A80, 0x0AFF, "gu"),
        (0x0B00, 0x0B7F, "or"),
        (0x0B80, 0x0BFF, "ta"),
        (0x0C00, 0x0C7F, "te"),
        (0x0C80, 0x0CFF, "kn"),
        (0x0D00, 0x0D7F, "ml"),
        (0x0D80, 0x0DFF, "si"),
        (0x0E00, 0x0E7F, "th"),
        (0x0E80, 0x0EFF, "lo"),
        (0x0F00, 0x0FFF, "bo"),
        (0x1000, 0x109F, "my"),
        (0x10A0, 0x10FF, "ka"),
        (0x1100, 0x11FF, "ko"),
        (0x1200, 0x137F, "am"),
        (0x1780, 0x17FF, "km"),
        (0x3040, 0x30FF, "kana"),
        (0x31F0, 0x31FF, "kana"),
        (0xFF66, 0xFF9F, "kana"),
        (0x3130, 0x318F, "ko"),
        (0xAC00, 0xD7AF, "ko"),
        (0x3400, 0x4DBF, "han"),
        (0x4E00, 0x9FFF, "han"),
        (0xF900, 0xFAFF, "han"),
        (0x20000, 0x2FFFF, "han"),
    ]
)
_STARTS = [r[0] for r in _RANGES]

# A CJK character carries about as much as a short word; count it as several Latin letters.
_WEIGHT = {"han": 3.0, "kana": 3.0, "ko": 2.5}

_CYRILLIC_HINTS = (("uk", "іїєґ"), ("be", "ў"), ("sr", "ђћџ"), ("mk", "ѓќѕ"), ("kk", "әғқңөұүһ"))
_ARABIC_HINTS = (("ur", "ٹڈڑںے"), ("fa", "پچژگکی"))

_TOKEN = re.compile(r"[^\W\d_]+(?:['·][^\W\d_]+)*")


def _script_of(char: str) -> str | None:
    code = ord(char)
    i = bisect_right(_STARTS, code) - 1
    if i >= 0 and code <= _RANGES[i][1]:
        return _RANGES[i][2]
    return None


@dataclass(frozen=True)
class _Profiles:
    languages: tuple[str, ...]
    priors: tuple[float, ...]
    words: dict[str, tuple[tuple[int, float], ...]]
    cues: dict[str, tuple[tuple[int, float], ...]]
    longest_cue: int
    trigrams: dict[str, tuple[tuple[int, float], ...]]
    """Trigram → (language, log-probability above that language's floor), only where seen."""
    floors: tuple[float, ...]


def _build_trigrams(
    texts: list[str],
) -> tuple[dict[str, tuple[tuple[int, float], ...]], tuple[float, ...]]:
    counts: list[Counter[str]] = []
    for text in texts:
        grams: Counter[str] = Counter()
        for token in _TOKEN.findall(text.lower()):
            padded = f" {token} "
            grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
        counts.append(grams)
    vocabulary = len(set().union(*counts))
    table: dict[str, list[tuple[int, float]]] = {}
    floors = []
    for index, grams in enumerate(counts):
        denominator = sum(grams.values()) + 0.5 * vocabulary
        floor = math.log(0.5 / denominator)
        floors.append(floor)
        for gram, n in grams.items():
            table.setdefault(gram, []).append((index, math.log((n + 0.5) / denominator) - floor))
    return {g: tuple(v) for g, v in table.items()}, tuple(floors)


@cache
def _profiles() -> _Profiles:
    data = load_lexicon("langid")
    languages = tuple(data["latin"])
    word_langs: dict[str, list[tuple[int, float]]] = {}
    cue_langs: dict[str, list[int]] = {}
    texts = []
    for index, lang in enumerate(languages):
        entry = data["latin"][lang]
        for weight, field in ((1.0, "words"), (0.6, "vocab")):
            for word in entry[field].split():
                word_langs.setdefault(word, []).append((index, weight))
        for cue in entry["cues"].split():
            cue_langs.setdefault(cue.replace("_", " "), []).append(index)
        texts.append(" ".join((entry["words"], entry["vocab"], entry["sample"], entry["sample"])))
    # A word known in k languages is worth 1/k to each: "de" says little, "het" says Dutch.
    words = {w: tuple((i, wt / len(ls)) for i, wt in ls) for w, ls in word_langs.items()}
    cues = {c: tuple((i, 0.15 / len(ls)) for i in ls) for c, ls in cue_langs.items()}
    for cue, lang in data["strong_chars"].items():
        cues[cue] = ((languages.index(lang), 1.5),)
    priors = tuple(float(data["priors"].get(lang, 1.0)) for lang in languages)
    trigrams, floors = _build_trigrams(texts)
    return _Profiles(languages, priors, words, cues, max(len(c) for c in cues), trigrams, floors)


_KNOWN_WORD_TRIGRAM_WEIGHT = 0.25
_UNKNOWN_WORD_TRIGRAM_WEIGHT = 0.8
_TEMPERATURE = 2.0


@lru_cache(maxsize=32768)
def _token_votes(token: str) -> tuple[tuple[int, float], ...]:
    """What one word says about each language; cached, since customers reuse their words."""
    profiles = _profiles()
    votes: dict[int, float] = {}
    hits = profiles.words.get(token)
    if hits is None and "'" in token:
        # "j'ai", "l'ordine", "don't": the pieces are words too
        for piece in token.split("'"):
            for index, weight in profiles.words.get(piece, ()):
                votes[index] = votes.get(index, 0.0) + weight * 0.7
    elif hits is not None:
        for index, weight in hits:
            votes[index] = weight
    padded = f" {token} "
    size = len(padded)
    cues = profiles.cues
    for n in range(1, min(profiles.longest_cue, size) + 1):
        for start in range(size - n + 1):
            for index, weight in cues.get(padded[start : start + n], ()):
                votes[index] = votes.get(index, 0.0) + weight
    # Naive Bayes over character trigrams, turned into a share of one vote per word.
    n_grams = size - 2
    likelihood = [n_grams * f for f in profiles.floors]
    for start in range(n_grams):
        for index, bonus in profiles.trigrams.get(padded[start : start + 3], ()):
            likelihood[index] += bonus
    top = max(likelihood)
    shares = [math.exp((x - top) / _TEMPERATURE) for x in likelihood]
    scale = (_KNOWN_WORD_TRIGRAM_WEIGHT if hits else _UNKNOWN_WORD_TRIGRAM_WEIGHT) / sum(shares)
    for index, share in enumerate(shares):
        if share > 0.02:
            votes[index] = votes.get(index, 0.0) + share * scale
    return tuple(sorted(votes.items()))


def _latin_scores(text: str) -> dict[str, float]:
    profiles = _profiles()
    scores = [0.0] * len(profiles.languages)
    for token in _TOKEN.findall(text.lower()):
        for index, weight in _token_votes(token[:40]):
            scores[index] += weight
    return {
        lang: s * prior
        for lang, s, prior in zip(profiles.languages, scores, profiles.priors, strict=True)
        if s > 0
    }


def _confidence(best: float, second: float, scale: float) -> float:
    """Share of the evidence the winner has, damped when there is little evidence at all."""
    if best <= 0:
        return 0.0
    margin = (best - second) / best
    return round(max(0.0, min(1.0, math.sqrt(margin) * (1.0 - math.exp(-best / scale)))), 3)


def _refine(script: str, text: str) -> str:
    if script == "cyrillic":
        if any(c in text for c in "ыэё"):
            return "ru"
        for lang, letters in _CYRILLIC_HINTS:
            if any(c in text for c in letters):
                return lang
        # Bulgarian writes ъ inside words and has no ы/э.
        return "bg" if re.search(r"\wъ\w", text) else "ru"
    if script == "arabic":
        for lang, letters in _ARABIC_HINTS:
            if any(c in text for c in letters):
                return lang
        return "ar"
    if script == "han":
        return "zh"
    return script


def _count_scripts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for char, n in Counter(text).items():
        if char.isascii():
            if char.isalpha():
                counts["latin"] += n
        elif char.isalpha() or 0x3040 <= ord(char) <= 0x30FF:
            script = _script_of(char)
            if script is not None:
                counts[script] += n
    return counts


def _fallback_model(text: str) -> tuple[str, float] | None:
    """Ask py3langid, when installed; ``None`` when it is not or it fails."""
    try:
        import py3langid
    except ImportError:
        return None
    try:
        lang, _ = py3langid.classify(text)
        ranked = py3langid.rank(text)[:2]
    except Exception:
        return None
    # rank() gives log-probabilities; a gap of ~10 nats is a clear call.
    gap = float(ranked[0][1] - ranked[1][1]) if len(ranked) > 1 else 10.0
    return str(lang), round(min(0.9, 0.3 + gap / 20.0), 3)


_FALLBACK_MIN_LETTERS = 40
_FALLBACK_BELOW = 0.35


def detect_language(text: str) -> tuple[str, float]:
    """Guess the language of a (short) message.

    Links, @mentions, #hashtags, emoji, numbers and order ids are ignored; quoted e-mail
    history is cut off; only the first 5,000 characters are read.

    Args:
        text: the message, any length, any script.

    Returns:
        ``(code, confidence)``: an ISO 639-1 code and a confidence from 0 to 1. Texts with no
        letters left (empty, only emoji, links or numbers) give ``("en", 0.0)``; Latin-script
        texts that none of the word lists recognise give ``"en"`` with a confidence below 0.2.
        Callers should treat a confidence under 0.5 as "unsure".
    """
    if not isinstance(text, str) or not text:
        return FALLBACK_LANGUAGE, 0.0
    return detect_prepared(prepare(text))


def detect_prepared(text: str) -> tuple[str, float]:
    """:func:`detect_language` for text already through ``_clean.prepare``."""
    clean = strip_noise(text)
    counts = _count_scripts(clean)
    if not counts:
        return FALLBACK_LANGUAGE, 0.0
    weighted = {s: n * _WEIGHT.get(s, 1.0) for s, n in counts.items()}
    # Kanji with any kana is Japanese: Chinese text does not use kana, except a stylish "の".
    kana = counts.get("kana", 0)
    if kana and (kana >= 2 or "の" not in clean):
        weighted["kana"] = weighted.get("kana", 0.0) + weighted.pop("han", 0.0)
    script = max(weighted, key=lambda s: (weighted[s], s))
    total = sum(weighted.values())
    share = weighted[script] / total
    if script != "latin":
        lang = "ja" if script == "kana" else _refine(script, clean)
        letters = counts.get(script, 0) + (counts.get("han", 0) if script == "kana" else 0)
        # Kanji alone could still be Japanese: a few of them are not much to go on.
        sureness = 1.0 - math.exp(-letters / (6.0 if script == "han" else 1.5))
        return lang, round(share * (0.5 + 0.5 * sureness), 3)
    scores = _latin_scores(clean)
    if not scores:
        guess: tuple[str, float] = (FALLBACK_LANGUAGE, 0.1 if counts["latin"] >= 3 else 0.0)
    else:
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best, second = ranked[0][1], ranked[1][1] if len(ranked) > 1 else 0.0
        confidence = round(share * _confidence(best, second, 1.5), 3)
        # Below this the winner is noise ("ok" is not Turkish): say so with the fallback.
        guess = (ranked[0][0], confidence) if confidence >= 0.1 else (FALLBACK_LANGUAGE, confidence)
    if guess[1] < _FALLBACK_BELOW and counts["latin"] >= _FALLBACK_MIN_LETTERS:
        model = _fallback_model(clean)
        if model is not None and model[1] > guess[1]:
            return model
    return guess
