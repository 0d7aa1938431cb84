"""Lazy access to the lexicon files, and the small phrase language they are written in.

The lexicons are JSON files shipped inside the package (``signals/lexicons/``). Each is read
once, on first use, so that ``import replyassist`` stays cheap.

Phrase syntax (used by the keyword banks, so they stay readable in JSON):

* words are matched case-insensitively, at word boundaries for Latin/Cyrillic/... scripts
  and anywhere for CJK and Thai (those scripts do not put spaces between words);
* a space matches any run of whitespace;
* ``'`` matches a straight or curly apostrophe, or nothing (``can't`` also finds ``cant``);
* ``*`` at the end of a word matches any word ending (``refund*``: refunds, refunded);
* ``~`` matches up to three words in between (``charged ~ twice``);
* an entry starting with ``re:`` is a raw regular expression.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["compile_phrases", "load_lexicon"]


@cache
def load_lexicon(name: str) -> dict[str, Any]:
    """Read ``lexicons/<name>.json`` once and keep it."""
    data = resources.files(__package__).joinpath("lexicons", f"{name}.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


_GAP = r"(?:\s+\S+){0,3}?\s+"


def _is_spaceless(char: str) -> bool:
    # CJK ideographs, kana, Thai and the like: no word boundaries to rely on.
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x0E00 <= code <= 0x0EFF
        or 0xFF00 <= code <= 0xFFEF
    )


def phrase_to_regex(phrase: str) -> str:
    """Translate one phrase of the bank syntax into a regular expression."""
    if phrase.startswith("re:"):
        return rf"(?<!\w)(?:{phrase[3:]})(?!\w)"
    out: list[str] = []
    i = 0
    while i < len(phrase):
        char = phrase[i]
        if char == " ":
            if phrase.startswith(" ~ ", i):
                out.append(_GAP)
                i += 3
                continue
            out.append(r"\s+")
        elif char == "'":
            out.append(r"['’]?")
        elif char == "*":
            out.append(r"\w*")
        else:
            out.append(re.escape(char))
        i += 1
    body = "".join(out)
    first, last = phrase[0], phrase[-1]
    if first.isalnum() and not _is_spaceless(first):
        body = r"(?<!\w)" + body
    if last.isalnum() and not _is_spaceless(last):
        body += r"(?!\w)"
    return body


def compile_phrases(phrases: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern that finds any of ``phrases``; ``None`` for an empty list.

    Longer phrases are tried first so that the longest match wins.
    """
    unique = sorted(set(phrases), key=lambda p: (-len(p), p))
    if not unique:
        return None
    return re.compile("|".join(f"(?:{phrase_to_regex(p)})" for p in unique), re.IGNORECASE)
