"""Which prompt-injection cues could match a text, told from its words without running them.

Most cues start with a word boundary and one of a few words ("ignore", "disregard"…), so a
reading with none of those words cannot match them; on a support tweet that leaves a handful
of the ~90 cues to run. The keys are read off each cue's parsed pattern (:mod:`re`'s own
parser), so a cue added to ``injection_cues.json`` is gated too, and one the analysis cannot
vouch for always runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

__all__ = ["CueGate"]

# How much of a cue's first word the gate compares: enough to tell "ignore" from "if", and
# short enough that one key per length covers every cue.
_GATE_PREFIX = 6
_WORD_RUN = re.compile(r"\w+")
_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_Heads = set[tuple[str, bool]]


class CueGate:
    """The cue indices that could match a reading; built once from the cues' compiled patterns."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        exact: dict[str, set[int]] = {}
        prefix: dict[str, set[int]] = {}
        inside: list[tuple[str, int]] = []
        always: set[int] = set()
        for index, pattern in enumerate(patterns):
            heads = _cue_heads(pattern)
            if heads is None:
                always.add(index)
                continue
            for literal, anchored in sorted(heads):
                word = _WORD_RUN.match(literal) if anchored else None
                if word is None:
                    inside.append((literal, index))
                elif word.end() < len(literal):
                    exact.setdefault(word.group(), set()).add(index)
                else:
                    prefix.setdefault(word.group()[:_GATE_PREFIX], set()).add(index)
        self.exact = {k: frozenset(v) for k, v in exact.items()}
        """A match starts with a whole word equal to the key (the pattern has a space after it)."""
        self.prefix = {k: frozenset(v) for k, v in prefix.items()}
        """A match starts with a word that begins with the key (at most ``_GATE_PREFIX`` letters)."""
        self.lengths = tuple(sorted({len(k) for k in prefix}))
        self.inside = tuple(inside)
        """A match starts with this string, not known to be at a word start (CJK cues, mostly)."""
        self.inside_ascii = tuple((literal, i) for literal, i in inside if literal.isascii())
        self.always = frozenset(always)
        # Messages share words: each word's cues are worked out once.
        self._word_cues = lru_cache(maxsize=16384)(self._cues_of_word)

    def candidates(self, reading: str) -> set[int]:
        """The indices of the cues that could match ``reading`` (the others cannot)."""
        hit = set(self.always)
        hit.update(*map(self._word_cues, set(_WORD_RUN.findall(reading))))
        # Cues that start inside a word (Chinese, Japanese) only matter for non-ASCII readings.
        for literal, index in self.inside if not reading.isascii() else self.inside_ascii:
            if index not in hit and literal in reading:
                hit.add(index)
        return hit

    def _cues_of_word(self, word: str) -> frozenset[int]:
        found = set(self.exact.get(word, ()))
        for n in self.lengths:
            found.update(self.prefix.get(word[:n], ()))
        return frozenset(found)


def _heads(items: list[Any], anchored: bool) -> _Heads | None:
    """The literal strings every match of ``items`` starts with, each with whether it starts at a
    word boundary; ``None`` when some match could start otherwise (a class, ``\\w``, an empty
    match). ``items`` is a pattern parsed by :mod:`re`'s own parser, so nothing is guessed."""
    if not items:
        return None
    op, arg = items[0]
    name, rest = str(op), items[1:]
    if name == "LITERAL":
        run = [chr(arg)]
        for next_op, next_arg in rest:
            if str(next_op) != "LITERAL":
                break
            run.append(chr(next_arg))
        return {("".join(run), anchored)}
    if name == "AT":
        return _heads(rest, anchored or str(arg) == "AT_BOUNDARY")
    if name in ("ASSERT", "ASSERT_NOT"):
        return _heads(rest, anchored)  # zero-width: the match starts at the same place
    if name == "SUBPATTERN":
        _, add_flags, del_flags, inner = arg
        return None if add_flags or del_flags else _heads([*inner, *rest], anchored)
    if name in _REPEATS:
        low, high, inner = arg
        if high == 0:
            return _heads(rest, anchored)
        first = _heads(list(inner), anchored)
        if first is None or low > 0:
            return first
        skipped = _heads(rest, anchored)
        return None if skipped is None else first | skipped
    if name == "BRANCH":
        alternatives = list(arg[1])
    elif name == "IN" and all(str(o) == "LITERAL" for o, _ in arg):
        alternatives = [[item] for item in arg]  # "(?:e|a)", which the parser turns into "[ea]"
    else:
        return None
    found: _Heads = set()
    for alternative in alternatives:
        heads = _heads([*alternative, *rest], anchored)
        if heads is None:
            return None
        found |= heads
    return found


def _cue_heads(pattern: re.Pattern[str]) -> _Heads | None:
    if pattern.flags & (re.IGNORECASE | re.ASCII | re.LOCALE):
        return None  # the gate compares words as written, with Unicode word boundaries
    try:
        parser: Any = importlib.import_module("re._parser")
        return _heads(list(parser.parse(pattern.pattern)), False)
    except Exception:  # a Python whose parser differs: run the cue, never miss it
        return None
