"""Tone check: flags a draft that blames the customer or talks down to them.

:func:`check_tone` reads a support agent's draft sentence by sentence and reports two codes:

* ``blaming``: the customer is told it is their fault or reminded of what they were already
  told ("as we already told you", "you should have read", "per my last email", "obviously").
* ``sarcasm``: sarcasm and condescension ("good luck with that", "sure, whatever", "genius",
  "with all due respect", "lol").

The cues live in ``tone_cues.json`` (read once, on first use), per language. They run on a
folded copy of each sentence: case-folded, accents stripped from Latin letters (so a draft typed
without accents matches too), curly quotes straightened, whitespace collapsed. Latin-script cues
are word-bounded; Chinese and Japanese cues are not, as those scripts do not space words. A
blaming cue right after a negation ("it's not your fault", "I don't think it's your fault") is
reassurance, not blame, and is not reported.
"""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .._errors import InvalidInputError
from .._text import split_sentences

__all__ = ["CODES", "LANGUAGES", "ToneFinding", "check_tone"]

#: Every code :func:`check_tone` reports.
CODES: tuple[str, ...] = ("blaming", "sarcasm")

#: Languages with their own cues (ISO 639-1); English cues are always tried as well.
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "pt", "it", "nl", "pl", "vi", "id", "zh", "ja")

_CUES_FILE = Path(__file__).with_name("tone_cues.json")
_MESSAGES = {
    "blaming": "the draft blames the customer ({cue!r}); state the fix, not the fault",
    "sarcasm": "the draft sounds sarcastic or condescending ({cue!r})",
}
# Letters NFKD does not split into base + accent, and quote marks that stand for an apostrophe.
_FOLD_TABLE = str.maketrans(
    {"ł": "l", "đ": "d", "ø": "o", "ı": "i", "æ": "ae", "œ": "oe", "ð": "d"}
    | {"’": "'", "‘": "'", "ʼ": "'", "´": "'", "“": '"', "”": '"', "„": '"'}
)
# Only the marks Latin letters carry: Japanese voicing marks (U+3099/309A) must survive the fold.
_LATIN_MARKS = re.compile(r"[\u0300-\u036f]+")
_NEGATION_WINDOW = 4  # words before a blaming cue searched for a negation


@dataclass(frozen=True)
class ToneFinding:
    """One sentence of a draft with a tone problem.

    Attributes:
        code: One of :data:`CODES`.
        message: What is wrong, for the agent reviewing the draft.
        sentence: The sentence as written in the draft.
    """

    code: str
    message: str
    sentence: str


@dataclass(frozen=True)
class _Cues:
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    negation: re.Pattern[str] | None


def fold(text: str) -> str:
    """Case-fold, strip Latin accents, straighten quotes and collapse spaces (newlines are kept)."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE))
        text = unicodedata.normalize("NFC", _LATIN_MARKS.sub("", text))
    # str.split is far quicker than a regex substitution here, and drafts are checked in bulk.
    return "\n".join(" ".join(line.split()) for line in text.replace("`", "'").split("\n"))


@cache
def _raw_cues() -> dict[str, Any]:
    with _CUES_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def _cues(language: str) -> _Cues:
    spec = _raw_cues()[language]
    left, right = (r"(?<!\w)", r"(?!\w)") if spec["bounded"] else ("", "")
    patterns = tuple(
        (code, re.compile(left + "(?:" + "|".join(spec[code]) + ")" + right, re.MULTILINE)) for code in CODES
    )
    negation = re.compile(rf"(?:^|\W)(?:{spec['negation']})(?:\W|$)") if spec["negation"] else None
    return _Cues(patterns, negation)


def _base_language(language: str) -> str:
    if not isinstance(language, str):
        raise InvalidInputError(f"language must be a string such as 'en', got {type(language).__name__}")
    base = language.strip().replace("_", "-").split("-")[0].lower()
    if base not in LANGUAGES:
        warnings.warn(
            f"no tone cues for language {language!r}; checking with the English cues only",
            UserWarning,
            stacklevel=3,
        )
        return "en"
    return base


def _negated(folded: str, start: int, negation: re.Pattern[str]) -> bool:
    line_start = folded.rfind("\n", 0, start) + 1
    before = folded[line_start:start].split(" ")[-_NEGATION_WINDOW - 1 :]
    return negation.search(" " + " ".join(before)) is not None


def check_tone(text: str, *, language: str = "en") -> list[ToneFinding]:
    """Flag sentences of a draft that blame the customer or sound sarcastic or condescending.

    Args:
        text: The draft reply.
        language: The draft's language (ISO 639-1, a region tag such as ``pt-BR`` is fine). Its
            cues and the English ones are tried; an unknown language warns and uses English only.

    Returns:
        One finding per code and sentence, in the order of the draft; empty when the tone is fine.

    Raises:
        InvalidInputError: ``text`` or ``language`` is not a string.
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"text must be a string, got {type(text).__name__}")
    base = _base_language(language)
    sentences = split_sentences(text)
    if not sentences:
        return []
    # One folded text, a sentence a line: each pattern runs once per draft, not once per sentence.
    folded = fold("\n".join(s.replace("\n", " ") for s in sentences))
    folded_parts = folded.split("\n")
    if len(folded_parts) != len(sentences):  # a fold that made a line break; never seen, but stay exact
        folded_parts = [fold(s).replace("\n", " ") for s in sentences]
        folded = "\n".join(folded_parts)
    starts: list[int] = []
    offset = 0
    for part in folded_parts:
        starts.append(offset)
        offset += len(part) + 1
    hits: dict[tuple[int, str], str] = {}
    for lang in dict.fromkeys((base, "en")):
        cues = _cues(lang)
        for code, pattern in cues.patterns:
            for m in pattern.finditer(folded):
                index = bisect_right(starts, m.start()) - 1
                if (index, code) in hits:
                    continue
                if (
                    code == "blaming"
                    and cues.negation is not None
                    and _negated(folded, m.start(), cues.negation)
                ):
                    continue
                hits[(index, code)] = m.group()
    return [
        ToneFinding(code=code, message=_MESSAGES[code].format(cue=cue), sentence=sentences[index])
        for (index, code), cue in sorted(hits.items(), key=lambda item: (item[0][0], CODES.index(item[0][1])))
    ]
