"""Finding the phrases of many keyword banks in one pass over a message.

One regular expression alternating hundreds of phrases is slow in Python's ``re`` (it tries
every branch at every position: about a millisecond per bank on a tweet), and compiling
thousands of small ones is slow too. So each phrase is indexed by its first word; the message
is split into words once, and only the phrases whose first word occurs are tried. Plain
phrases are compared as strings; only phrases using ``*``, ``~`` or ``re:`` become regular
expressions, compiled the first time they are tried. Phrases in scripts written without
spaces (Chinese, Japanese, Thai) are indexed by their first character.

The text given to :func:`find` must come from :func:`normalize`: lower case, one space between
words, straight apostrophes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from replyassist.signals._resources import load_lexicon, phrase_to_regex

__all__ = ["BANKS", "Match", "find", "normalize"]

BANKS = (
    "outage",
    "safety",
    "self_harm",
    "self_harm_exclude",
    "legal_threat",
    "legal_joke",
    "payment",
    "deadline",
    "repeated_contact",
    "data_breach",
    "abuse",
    "chronic",
    "chronic_exclude",
    "problem",
    "ask",
    "spam_strong",
    "spam_weak",
    "friend_talk",
    "problem_exclude",
    "safety_exclude",
)

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_LEADING_WORD = re.compile(r"[^\W_]+")
_SPACELESS_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u0e00-\u0eff]")
_SPACES = re.compile(r"\s+")
_DIGIT_KEY = "<digit>"
_QUANTIFIERS = ("?", "*", "+", "{")


def normalize(text: str) -> str:
    """Lower-case ``text``, fold whitespace runs to one space, straighten apostrophes."""
    return _SPACES.sub(" ", text.lower().replace("’", "'"))


@dataclass(frozen=True)
class Match:
    """One phrase of one bank found in the normalised text."""

    bank: str
    start: int
    end: int
    text: str
    language: str
    """The language of the bank list the phrase is from; ``"*"`` for lists of any language."""


class _Phrase(NamedTuple):
    bank: str
    language: str
    literal: str | None
    """The phrase itself when plain text is enough; else ``None`` and ``source`` is used."""
    source: str
    needs_boundary: bool


@dataclass(frozen=True)
class _Index:
    words: dict[str, frozenset[tuple[str, str]]]
    """One-word phrases (apostrophes removed) → (bank, language)."""
    pairs: dict[tuple[str, str], tuple[tuple[str, str, tuple[str, ...]], ...]]
    """First two words → (bank, language, all the words) of longer word-only phrases."""
    by_word: dict[str, tuple[_Phrase, ...]]
    """First word → phrases that need a pattern (``re:``, ``*``, ``~``, or symbols inside)."""
    by_stem: dict[str, tuple[tuple[str, _Phrase], ...]]
    """First four letters (or fewer for short stems) → (stem, phrase) for ``word*`` phrases."""
    by_char: dict[str, tuple[_Phrase, ...]]
    always: tuple[_Phrase, ...]


def _is_spaceless(char: str) -> bool:
    return bool(_SPACELESS_CHAR.match(char))


def _split_top(group: str) -> list[str]:
    """Split a regex group body on its top-level ``|``."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(group):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(group[start:i])
            start = i + 1
    parts.append(group[start:])
    return parts


def _first_group(pattern: str) -> str | None:
    if not pattern.startswith("(?:"):
        return None
    depth = 0
    for i, char in enumerate(pattern):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pattern[3:i]
    return None


def _raw_keys(pattern: str) -> list[tuple[str, bool]] | None:
    """(key, is_stem) for each word a raw pattern can start with; ``None`` if unclear."""
    group = _first_group(pattern)
    alternatives = _split_top(group) if group is not None else [pattern]
    keys: list[tuple[str, bool]] = []
    for alternative in alternatives:
        alternative = alternative.replace("['’]?", "").replace("'?", "")
        if alternative.startswith("\\d"):
            keys.append((_DIGIT_KEY, False))
            continue
        word = _LEADING_WORD.match(alternative)
        if not word:
            return None
        following = alternative[word.end() : word.end() + 1]
        if following in _QUANTIFIERS:
            keys.append((word.group()[:-1], True))  # "cancell?ed" → stem "cancel"
        elif following in ("(", "[", "\\"):
            keys.append((word.group(), True))  # "crash(?:ed|ing)?" → stem "crash"
        else:
            keys.append((word.group(), False))
    return keys


def _bank_phrases(value: object) -> Iterable[tuple[str, str]]:
    """(language, phrase) of a bank: a list (any language) or a mapping language → list."""
    if isinstance(value, dict):
        for language, items in value.items():
            yield from ((str(language), str(p)) for p in items)
    elif isinstance(value, list):
        yield from (("*", str(p)) for p in value)


_PURE_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)*(?: [^\W_]+(?:'[^\W_]+)*)*")
_STEM_KEY = 4


@cache
def _index() -> _Index:
    data = load_lexicon("cues")
    words: dict[str, set[tuple[str, str]]] = {}
    pairs: dict[tuple[str, str], list[tuple[str, str, tuple[str, ...]]]] = {}
    by_word: dict[str, list[_Phrase]] = {}
    by_stem: dict[str, list[tuple[str, _Phrase]]] = {}
    by_char: dict[str, list[_Phrase]] = {}
    always: list[_Phrase] = []

    def add(table: dict[str, list[_Phrase]], key: str, entry: _Phrase) -> None:
        table.setdefault(key, []).append(entry)

    def add_stem(stem: str, entry: _Phrase) -> None:
        by_stem.setdefault(stem[:_STEM_KEY], []).append((stem, entry))

    for bank in BANKS:
        for language, phrase in dict.fromkeys((g, p.lower()) for g, p in _bank_phrases(data.get(bank, []))):
            if phrase.startswith("re:"):
                entry = _Phrase(bank, language, None, phrase_to_regex(phrase), False)
                keys = _raw_keys(phrase[3:])
                if keys is None:
                    always.append(entry)
                for key, is_stem in keys or ():
                    if is_stem:
                        add_stem(key, entry)
                    else:
                        add(by_word, key, entry)
                continue
            if _is_spaceless(phrase[0]):
                add(by_char, phrase[0], _Phrase(bank, language, phrase, "", False))
                continue
            if _PURE_WORDS.fullmatch(phrase):
                parts = tuple(w.replace("'", "") for w in phrase.split(" "))
                if len(parts) == 1:
                    words.setdefault(parts[0], set()).add((bank, language))
                else:
                    pairs.setdefault((parts[0], parts[1]), []).append((bank, language, parts))
                continue
            entry = _Phrase(bank, language, None, phrase_to_regex(phrase), False)
            first = _LEADING_WORD.match(phrase)
            if not first:
                if "*" not in phrase and "~" not in phrase:
                    entry = _Phrase(bank, language, phrase, "", False)
                always.append(entry)  # "$$$", "💰"
            elif phrase[first.end() : first.end() + 1] == "*":
                add_stem(first.group(), entry)
            else:
                add(by_word, first.group().replace("'", ""), entry)
    return _Index(
        words={k: frozenset(v) for k, v in words.items()},
        pairs={k: tuple(v) for k, v in pairs.items()},
        by_word={k: tuple(v) for k, v in by_word.items()},
        by_stem={k: tuple(v) for k, v in by_stem.items()},
        by_char={k: tuple(v) for k, v in by_char.items()},
        always=tuple(always),
    )


_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(source: str) -> re.Pattern[str]:
    pattern = _compiled.get(source)
    if pattern is None:
        pattern = _compiled[source] = re.compile(source)
    return pattern


def find(text: str, languages: Collection[str] | None = None) -> dict[str, list[Match]]:
    """All bank phrases in ``text`` (from :func:`normalize`), grouped by bank.

    Args:
        text: normalised text.
        languages: keep only phrases from these languages' lists (and language-neutral
            lists); ``None`` keeps all. A word can mean different things in different
            languages (Dutch "storing" is an outage, English "storing" is not).
    """
    index = _index()
    found: dict[str, list[Match]] = {}
    allowed = None if languages is None else {*languages, "*"}

    def add(bank: str, language: str, start: int, end: int) -> None:
        if allowed is None or language in allowed:
            found.setdefault(bank, []).append(Match(bank, start, end, text[start:end], language))

    def attempt(phrases: Iterable[_Phrase], position: int) -> None:
        for phrase in phrases:
            if allowed is not None and phrase.language not in allowed:
                continue
            if phrase.literal is not None:
                if text.startswith(phrase.literal, position):
                    add(phrase.bank, phrase.language, position, position + len(phrase.literal))
                continue
            hit = _pattern(phrase.source).match(text, position)
            if hit:
                add(phrase.bank, phrase.language, hit.start(), hit.end())

    tokens = [(m.group().replace("'", ""), m.start(), m.end()) for m in _WORD.finditer(text)]
    words, pairs, by_word, by_stem = index.words, index.pairs, index.by_word, index.by_stem
    count = len(tokens)
    for i, (key, start, end) in enumerate(tokens):
        banks = words.get(key)
        if banks:
            for bank, language in banks:
                add(bank, language, start, end)
        # word-only phrases: compare the following words, which must be one space apart
        if i + 1 < count and tokens[i + 1][1] == end + 1:
            for bank, language, keys in pairs.get((key, tokens[i + 1][0]), ()):
                last = i + len(keys) - 1
                if last < count and all(
                    tokens[i + k][0] == keys[k] and tokens[i + k][1] == tokens[i + k - 1][2] + 1
                    for k in range(2, len(keys))
                ):
                    add(bank, language, start, tokens[last][2])
        patterns = by_word.get(key)
        if patterns:
            attempt(patterns, start)
        if key[0].isdigit():
            attempt(by_word.get(_DIGIT_KEY, ()), start)
        for stem, phrase in by_stem.get(key[:_STEM_KEY], ()):
            if key.startswith(stem):
                attempt((phrase,), start)
        if len(key) < _STEM_KEY:
            for stem, phrase in by_stem.get(key, ()):
                if key == stem:
                    attempt((phrase,), start)
    if index.by_char:
        by_char = index.by_char
        for char in _SPACELESS_CHAR.finditer(text):
            char_phrases = by_char.get(char.group())
            if char_phrases:
                attempt(char_phrases, char.start())
    for phrase in index.always:
        if phrase.literal is not None:
            position = text.find(phrase.literal)
            if position >= 0:
                add(phrase.bank, phrase.language, position, position + len(phrase.literal))
        else:
            for hit in _pattern(phrase.source).finditer(text):
                add(phrase.bank, phrase.language, hit.start(), hit.end())
    return found
