"""The support-domain concept glossary: loading ``concepts.json`` and finding its concepts in a text.

Forms are matched on text that is NFKC-normalised, case-folded and stripped of Latin accents
("réembolso" meets "reembolso", Vietnamese typed without marks still matches). A form is a sequence
of words; ``word*`` matches any word starting with ``word``, ``*part*`` any word containing ``part``
(German and Dutch compounds), and ``~`` up to four other words ("pick ~ up" matches "pick it up"). In
inflected languages a word of five letters or more inside a multi-word form also matches its other
endings. Chinese and Japanese forms are substrings. When matches overlap, the longest wins ("gift
card" is not also *card*). The glossary is read on first use, not at import.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Glossary", "Reading", "asks", "glossary", "languages_for", "normalize", "read", "tokens"]

_DATA = Path(__file__).with_name("concepts.json")
_MAX_GAP = 4
_INFLECTED = frozenset(("es", "fr", "de", "pt", "it", "nl", "pl", "id"))
"""Languages whose words change their endings: words of multi-word forms match their inflections."""
_FAMILIES = {"es": ("pt", "it"), "pt": ("es", "it"), "it": ("es", "pt"), "nl": ("de",), "de": ("nl",)}
"""Languages easily taken for one another: their forms are tried too when detection is unsure."""
_SURE = 0.8
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[^\W_]+")
_CONTRACTION = re.compile(r"(?<=[a-z])'(?=(?:t|s|re|ll|d|ve|m)\b)")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPECIAL = {"ł": "l", "đ": "d", "ø": "o", "ı": "i", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"}
_LATIN_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")


# -- text normalisation -------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or char


def normalize(text: str) -> str:
    """Text as the glossary sees it: NFKC, case-folded, Latin accents removed, contractions joined.

    Chinese and Japanese characters are kept as they are (their marks are part of the letter).
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    text = _LATIN_ACCENTED.sub(lambda m: _fold_char(m.group()), text)
    # "don't" → "dont" as customers type it; "l'ordine" → "l ordine"
    return _CONTRACTION.sub("", text).replace("'", " ")


def tokens(text: str) -> list[str]:
    """The words of a normalised text; runs of Chinese and Japanese characters are left out."""
    return _WORD.findall(_CJK_RUN.sub(" ", text))


def _phrases(items: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(t for t in (tuple(tokens(normalize(p))) or (normalize(p),) for p in items) if t)


# -- the glossary --------------------------------------------------------------------------------------


class _Form(NamedTuple):
    concept: str
    pieces: tuple[tuple[str, str], ...]
    """(kind, text) with kind ``=`` (exact word), ``*`` (prefix), ``~`` (gap)."""


class _Index:
    """The forms of some languages, ready to match."""

    def __init__(
        self, forms: Iterable[_Form], infix: Iterable[tuple[str, str]], cjk: Iterable[tuple[str, str]]
    ):
        self.exact: dict[str, list[_Form]] = {}
        self.prefix: dict[str, list[_Form]] = {}
        for form in forms:
            kind, text = form.pieces[0]
            (self.exact if kind == "=" else self.prefix).setdefault(text, []).append(form)
        self.prefix_lengths = tuple(sorted({len(p) for p in self.prefix}))
        self.infix: dict[str, list[str]] = {}
        for concept, part in infix:
            self.infix.setdefault(part, []).append(concept)
        self.infix_re = (
            re.compile("|".join(re.escape(p) for p in sorted(self.infix, key=len, reverse=True)))
            if self.infix
            else None
        )
        self.cjk: dict[str, list[tuple[str, str]]] = {}
        for concept, text in cjk:
            self.cjk.setdefault(text[0], []).append((text, concept))


class Glossary:
    """Concepts with their weights, search terms and surface forms, and the cue words of asking.

    Attributes:
        languages: the languages the forms are written in (ISO 639-1).
        weights: per concept, how much it counts when judging an answer (generic ones less).
        terms: per concept, its English canonical search terms (normalised words).
        ask_start, ask_any: per language, the phrases that open a question, or mark a request anywhere.
        filler: per language, words that carry no topic (greetings, function words, "help", "issue").
        stopwords: ``filler`` plus the asking cues.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.languages: tuple[str, ...] = tuple(data["languages"])
        self.weights: dict[str, float] = {}
        self.terms: dict[str, tuple[str, ...]] = {}
        self._forms: dict[str, list[_Form]] = {}
        self._infix: dict[str, list[tuple[str, str]]] = {}
        self._cjk: dict[str, list[tuple[str, str]]] = {}
        self._raw: dict[str, dict[str, str]] = data["concepts"]
        for concept, entry in self._raw.items():
            self.weights[concept] = float(entry.get("w", 1.0))
            self.terms[concept] = tuple(tokens(normalize(entry.get("terms", ""))))
        self.ask_start = {lang: _phrases(cues["start"]) for lang, cues in data["ask"].items()}
        self.ask_any = {lang: _phrases(cues["any"]) for lang, cues in data["ask"].items()}
        self.filler = {
            lang: frozenset(tokens(normalize(" ".join(words)))) for lang, words in data["stopwords"].items()
        }
        # question and request words say that something is asked, not what
        self.stopwords = {
            lang: words
            | frozenset(
                w for cue in (*self.ask_start.get(lang, ()), *self.ask_any.get(lang, ())) for w in cue
            )
            for lang, words in self.filler.items()
        }
        self._indexes: dict[tuple[str, ...], _Index] = {}
        self._lock = threading.Lock()

    def _add(self, concept: str, lang: str, raw: str) -> None:
        if not raw:
            return
        if lang in ("zh", "ja"):
            self._cjk[lang].append((concept, normalize(raw)))
            return
        if raw.startswith("*") and " " not in raw:
            part = normalize(raw.strip("*"))
            if part:
                self._infix[lang].append((concept, part))
            return
        pieces: list[tuple[str, str]] = []
        words = normalize(raw).split()
        for word in words:
            if word == "~":
                pieces.append(("~", ""))
                continue
            star = word.endswith("*")
            # "e-mail" is two words once normalised, like the text it is matched against
            parts = tokens(word)
            for i, part in enumerate(parts):
                if star and i == len(parts) - 1:
                    pieces.append(("*", part))
                elif len(words) > 1 and lang in _INFLECTED:
                    pieces.append(_inflected(part, lang))
                else:
                    pieces.append(("=", part))
        if pieces and pieces[0][0] != "~" and pieces[-1][0] != "~":
            self._forms[lang].append(_Form(concept, tuple(pieces)))

    def _parse(self, lang: str) -> None:
        """Read the forms of one language (each language on first use: most tickets need two)."""
        self._forms[lang], self._infix[lang], self._cjk[lang] = [], [], []
        for concept, entry in self._raw.items():
            for raw in str(entry.get(lang, "")).split("|"):
                self._add(concept, lang, raw.strip())

    def index(self, languages: tuple[str, ...]) -> _Index:
        """The forms of these languages, ready to match (built once per combination)."""
        found = self._indexes.get(languages)
        if found is None:
            with self._lock:
                for lang in languages:
                    if lang not in self._forms:
                        self._parse(lang)
                found = _Index(
                    (f for lang in languages for f in self._forms.get(lang, ())),
                    (p for lang in languages for p in self._infix.get(lang, ())),
                    (p for lang in languages for p in self._cjk.get(lang, ())),
                )
                self._indexes[languages] = found
        return found


def _inflected(word: str, lang: str) -> tuple[str, str]:
    """A word of a multi-word form in an inflected language: its endings may vary."""
    if lang == "id":
        # suffixes are added ("kirim" → "kirimnya", "pesanan" → "pesanannya")
        return ("*", word) if len(word) >= 4 else ("=", word)
    cut = 2 if lang == "pl" and len(word) >= 6 else 1
    return ("*", word[:-cut]) if len(word) >= 5 else ("=", word)


_GLOSSARY: Glossary | None = None
_GLOSSARY_LOCK = threading.Lock()


def glossary() -> Glossary:
    """The shipped glossary, read and indexed on first use."""
    global _GLOSSARY
    if _GLOSSARY is None:
        with _GLOSSARY_LOCK:
            if _GLOSSARY is None:
                _GLOSSARY = Glossary(json.loads(_DATA.read_text(encoding="utf-8")))
    return _GLOSSARY


# -- matching -----------------------------------------------------------------------------------------


class _Match(NamedTuple):
    concept: str
    slots: frozenset[int]
    size: int


def _match_from(pieces: tuple[tuple[str, str], ...], k: int, words: list[str], j: int) -> list[int] | None:
    if k == len(pieces):
        return []
    kind, text = pieces[k]
    if kind == "~":
        for skip in range(_MAX_GAP + 1):
            rest = _match_from(pieces, k + 1, words, j + skip)
            if rest is not None:
                return rest
        return None
    if j >= len(words):
        return None
    word = words[j]
    if word == text or (kind == "*" and word.startswith(text)):
        rest = _match_from(pieces, k + 1, words, j + 1)
        return None if rest is None else [j, *rest]
    return None


def _word_matches(words: list[str], index: _Index) -> list[_Match]:
    found: list[_Match] = []
    exact, prefix, lengths = index.exact, index.prefix, index.prefix_lengths
    for i, word in enumerate(words):
        candidates = list(exact.get(word, ()))
        for size in lengths:
            if size > len(word):
                break
            candidates.extend(prefix.get(word[:size], ()))
        for form in candidates:
            slots = _match_from(form.pieces, 0, words, i)
            if slots is not None:
                found.append(_Match(form.concept, frozenset(slots), sum(len(words[s]) for s in slots)))
        if index.infix_re is not None and index.infix_re.search(word):
            for part, concepts in index.infix.items():
                if part in word:
                    found.extend(_Match(c, frozenset((i,)), len(part)) for c in concepts)
    return found


def _cjk_matches(text: str, index: _Index) -> list[_Match]:
    found: list[_Match] = []
    for i, char in enumerate(text):
        for form, concept in index.cjk.get(char, ()):
            if text.startswith(form, i):
                found.append(_Match(concept, frozenset(range(i, i + len(form))), len(form)))
    return found


def _longest(matches: list[_Match]) -> list[_Match]:
    """Drop matches inside a longer one ("card" inside "gift card"), and repeats of a concept.

    Overlapping matches of the same length and different concepts all stay: the words say both.
    """
    kept: list[_Match] = []
    owner: dict[int, int] = {}  # slot -> length of the longest match kept over it
    taken: set[tuple[str, int]] = set()  # (concept, slot) already explained
    for match in sorted(matches, key=lambda m: (-len(m.slots), -m.size)):
        size = len(match.slots)
        if any(owner.get(slot, 0) > size or (match.concept, slot) in taken for slot in match.slots):
            continue
        kept.append(match)
        for slot in match.slots:
            owner[slot] = max(owner.get(slot, 0), size)
            taken.add((match.concept, slot))
    return kept


class Reading(NamedTuple):
    """What the glossary finds in a text."""

    concepts: tuple[str, ...]
    """Concepts in order of first appearance, each once."""
    counts: dict[str, int]
    explained: frozenset[int]
    """Indexes of the words some concept explains."""
    words: tuple[str, ...]


@lru_cache(maxsize=8192)
def read(text: str, languages: tuple[str, ...]) -> Reading:
    """The concepts of a normalised text, and which of its words they explain."""
    gloss = glossary()
    index = gloss.index(languages)
    words = tokens(text)
    matches = _longest(_word_matches(words, index))
    cjk = _longest(_cjk_matches(text, index)) if _CJK_RUN.search(text) else []
    ordered = sorted(matches, key=lambda m: min(m.slots)) + sorted(cjk, key=lambda m: min(m.slots))
    counts: dict[str, int] = {}
    for match in ordered:
        counts[match.concept] = counts.get(match.concept, 0) + 1
    explained = frozenset(s for m in matches for s in m.slots)
    return Reading(tuple(counts), counts, explained, tuple(words))


def languages_for(language: str | None, confidence: float = 1.0) -> tuple[str, ...]:
    """The languages whose forms to try for a text: its own and English (and look-alikes when unsure).

    A language the glossary lacks, or none, tries every language.
    """
    gloss = glossary()
    lang = (language or "").split("-")[0].split("_")[0].lower()
    if lang not in gloss.languages:
        return gloss.languages
    family = _FAMILIES.get(lang, ()) if confidence < _SURE else ()
    return tuple(dict.fromkeys((lang, "en", *family)))


# -- asking -------------------------------------------------------------------------------------------


def _has_phrase(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    return any(
        words[i] == first and tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)
    )


def asks(sentence: str, language: str) -> bool:
    """A question or a request: a question mark, a question word first, or a request phrase."""
    if "?" in sentence or "？" in sentence or "¿" in sentence:
        return True
    gloss = glossary()
    text = normalize(sentence)
    words = tokens(text)
    for lang in dict.fromkeys((language, "en")):
        starts = gloss.ask_start.get(lang, ())
        filler = gloss.filler.get(lang, frozenset())
        # "also how long will you hold it": a greeting or a linking word may come first
        lead = 0
        while (
            lead < 2
            and lead < len(words)
            and words[lead] in filler
            and not any(c[0] == words[lead] for c in starts)
        ):
            lead += 1
        for cue in starts:
            if tuple(words[lead : lead + len(cue)]) == cue:
                return True
        for cue in gloss.ask_any.get(lang, ()):
            if (len(cue) == 1 and _CJK_RUN.match(cue[0]) and cue[0] in text) or _has_phrase(words, cue):
                return True
    return False
