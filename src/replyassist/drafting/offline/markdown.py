"""Turn a passage's Markdown into plain-text units the composer can pick from.

A unit is what the composer quotes as a whole: one sentence, a numbered procedure (its
steps stay together, in order), or a short list with its lead-in ("Please include: a; b; c").
Markdown syntax (headings, emphasis, links, tables, code) never reaches a reply: headings are
kept aside as context for ranking, links become their text, tables become "cell: cell" items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from replyassist._text import split_sentences

__all__ = ["Unit", "clean_inline", "has_cjk", "parse_units"]

UnitKind = Literal["sentence", "steps", "list"]

_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True when the text is written (at least partly) in Chinese, Japanese or Korean script."""
    return bool(_CJK.search(text))


@dataclass(frozen=True)
class Unit:
    """A piece of a passage that can be quoted on its own.

    Attributes:
        passage_id: the passage it comes from.
        position: its order within the passage (replies keep source order).
        kind: a sentence, numbered steps, or a list with a lead-in.
        text: the sentence; for steps and lists, the lead-in (may be empty).
        items: the steps or list items, without numbers or bullets.
        numbers: the source numbers of the steps (kept so a reply never renumbers).
        heading: the section heading above it, used only for ranking.
    """

    passage_id: str
    position: int
    kind: UnitKind
    text: str
    items: tuple[str, ...] = ()
    numbers: tuple[int, ...] = ()
    heading: str = ""

    @property
    def all_text(self) -> str:
        """Everything the unit says, for ranking and cue matching."""
        return " ".join([self.text, *self.items]).strip()


_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_NUMBERED = re.compile(r"^\s{0,6}(\d{1,3})[.)]\s+(.*)$")
_BULLET = re.compile(r"^\s{0,6}[-*+•]\s+(.*)$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")

_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images say nothing in a text reply
    (re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))+(?:\s+\"[^\"]*\")?\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"\[\^[^\]]+\]"), ""),
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"\*\*(.+?)\*\*"), r"\1"),
    (re.compile(r"__(.+?)__"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])"), r"\1"),
)


def clean_inline(text: str) -> str:
    """Strip inline Markdown (emphasis, links, code, HTML tags) and fold whitespace."""
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Block:
    kind: Literal["para", "numbered", "bullets", "table"]
    lines: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    heading: str = ""


_HEADING_MAX = 90


def _looks_like_heading(line: str) -> bool:
    text = line.strip()
    if (
        not text
        or len(text) > _HEADING_MAX
        or _NUMBERED.match(line)
        or _BULLET.match(line)
        or _TABLE.match(line)
    ):
        return False
    if text.endswith(("?", "？")):  # an FAQ-style question heading
        return True
    return not re.search(r"[.!:;,。！：；、…]$", text) and len(text.split()) <= 10


def _blocks(markdown: str, title: str = "") -> list[_Block]:
    blocks: list[_Block] = []
    heading = ""
    current: _Block | None = None
    in_fence = False
    skip_underline = False
    lines = markdown.replace("\r\n", "\n").split("\n")
    for i, raw in enumerate(lines):
        if skip_underline:
            skip_underline = False
            continue
        if _FENCE.match(raw):
            in_fence = not in_fence
            current = None
            continue
        if in_fence:
            continue  # code is not something to say to a customer
        line = _QUOTE.sub("", raw)
        if not line.strip() or _RULE.match(line):
            current = None
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if m := _HEADING.match(line):
            # The article's own title (a first-level heading) is not a section: it matches every
            # question about the article and would favour the opening sentences.
            heading = "" if len(m.group(1)) == 1 and not blocks else clean_inline(m.group(2))
            current = None
            continue
        if current is None and _SETEXT.match(nxt) and not _BULLET.match(line) and not _TABLE.match(line):
            heading, current, skip_underline = clean_inline(line), None, True
            continue
        if (
            current is None
            and not nxt.strip()
            and _looks_like_heading(line)
            and any(x.strip() for x in lines[i + 2 :])
        ):
            # A short unpunctuated line standing alone is a heading whose "#" marks were stripped
            # (the knowledge base stores passages that way); the article's title is no section.
            text = clean_inline(line)
            heading = "" if title and text.casefold() == title.strip().casefold() else text
            current = None
            continue
        if _TABLE.match(line):
            if _TABLE_RULE.match(line):
                continue
            if current is None or current.kind != "table":
                current = _Block("table", heading=heading)
                blocks.append(current)
            current.lines.append(line)
        elif m := _NUMBERED.match(line):
            if current is None or current.kind != "numbered":
                current = _Block("numbered", heading=heading)
                blocks.append(current)
            current.lines.append(m.group(2))
            current.numbers.append(int(m.group(1)))
        elif m := _BULLET.match(line):
            if current is None or current.kind != "bullets":
                current = _Block("bullets", heading=heading)
                blocks.append(current)
            current.lines.append(m.group(1))
        elif current is not None and current.kind in ("numbered", "bullets") and raw[:1].isspace():
            current.lines[-1] += " " + line.strip()  # a wrapped list item
        else:
            if current is None or current.kind != "para":
                current = _Block("para", heading=heading)
                blocks.append(current)
            current.lines.append(line.strip())
    return blocks


# "EE.", "p.", "e.g.", "U.S." end a piece the sentence splitter cut too early.
_SHORT_END = re.compile(r"(?:^|[\s(])(?:[^\W\d_]{1,2}|[A-ZÀ-Þ]{3}|(?:[^\W\d_]\.)+[^\W\d_])\.$")
_ABBREV_START = re.compile(r"^(?:[^\W\d_]{1,3}\.|[a-zà-ÿ])")


def sentences(text: str) -> list[str]:
    """Split into sentences without cutting after abbreviations ("EE. UU.", "e.g. this") or inside
    a quoted title (see "Out of stock? Back-in-stock alerts")."""
    out: list[str] = []
    for piece in split_sentences(text):
        quoted = _open_quote(out[-1]) and _CLOSING_QUOTE.search(piece) if out else False
        if out and (quoted or (_SHORT_END.search(out[-1]) and _ABBREV_START.match(piece))):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


_CLOSING_QUOTE = re.compile(r'["”»]')
"""A piece that closes the quote left open (a lone inch mark, 27.5", opens nothing to close)."""


def _open_quote(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”") or text.count("«") > text.count("»")


def _table_items(lines: list[str]) -> list[str]:
    rows = [[clean_inline(c) for c in line.strip().strip("|").split("|")] for line in lines]
    body = rows[1:] if len(rows) > 1 else rows  # the first row is the header
    items = []
    for cells in body:
        cells = [c for c in cells if c]
        if len(cells) == 2:
            items.append(f"{cells[0]}: {cells[1]}" if "(" in cells[1] else f"{cells[0]} ({cells[1]})")
        elif cells:
            items.append(", ".join(cells))
    return items


def _is_fragment(item: str) -> bool:
    """A list item that only makes sense with its lead-in ("the order number;")."""
    return not re.search(r"[.!?。！？]$", item) or item[:1].islower()


def parse_units(passage_id: str, markdown: str, title: str = "") -> list[Unit]:
    """Split a passage's Markdown into quotable plain-text units, in source order.

    ``title`` is the article's title: a line repeating it is not taken as a section heading.
    """
    units: list[Unit] = []

    def add(
        kind: UnitKind, text: str, heading: str, items: tuple[str, ...] = (), numbers: tuple[int, ...] = ()
    ) -> None:
        units.append(Unit(passage_id, len(units), kind, text, items, numbers, heading))

    for block in _blocks(markdown, title):
        lead = ""
        # A sentence ending in ":" right before a list introduces it: keep them together.
        if (
            block.kind != "para"
            and units
            and units[-1].kind == "sentence"
            and units[-1].text.endswith((":", "："))
            and units[-1].heading == block.heading
        ):
            lead = units.pop().text
        if block.kind == "para":
            for sentence in sentences(clean_inline(" ".join(block.lines))):
                add("sentence", sentence, block.heading)
        elif block.kind == "numbered":
            items = tuple(i for i in (clean_inline(x) for x in block.lines) if i)
            numbers = tuple(block.numbers)
            ordered = all(b > a for a, b in pairwise(numbers))
            add("steps", lead, block.heading, items, numbers if ordered else ())
        elif block.kind == "table":
            add("list", lead or block.heading, block.heading, tuple(_table_items(block.lines)))
        else:
            items = tuple(i for i in (clean_inline(x) for x in block.lines) if i)
            if lead or any(_is_fragment(i) for i in items):
                add("list", lead, block.heading, items)
            else:
                for item in items:
                    for sentence in sentences(item):
                        add("sentence", sentence, block.heading)
    # A lead-in whose list did not make it into the passage says nothing on its own.
    return [u for u in units if u.kind != "sentence" or not u.text.endswith((":", "："))]
