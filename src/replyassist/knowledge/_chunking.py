"""Cut an article's text into passages: by headings, then paragraphs, then sentences.

A passage is a span ``text[start:end]`` of the article's text, so passages cost no copy of the
text and quote it exactly. A heading starts a new passage (unless the passage so far is too
short to stand alone); paragraphs are packed up to ``max_chars``; a paragraph longer than that
is cut between sentences, and a sentence longer than that between words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text", "strip_heading_marks"]

_HEADING = re.compile(r"[ \t]{0,3}(#{1,6})[ \t]+(\S.*?)[ \t#]*$")
# Where a sentence may end: after . ! ? … (and closing quotes) before a space, after CJK
# full stops, or at a line break.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|[。！？]+\s*|\n\s*")
_HEADING_MARKS = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage span, and the heading it sits under when it does not start with it."""

    start: int
    end: int
    heading: str = ""


@dataclass(slots=True)
class _Block:
    start: int
    end: int
    heading: str | None  # the heading's text for a heading line, None for a paragraph


def strip_heading_marks(text: str) -> str:
    """Remove Markdown ``#`` marks at the start of heading lines (for display)."""
    return _HEADING_MARKS.sub("", text) if "#" in text else text


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        end = start + len(line.rstrip())
        start += len(line) - len(line.lstrip())
        heading = _HEADING.match(stripped) if stripped.startswith("#") else None
        if heading is not None:
            blocks.append(_Block(start, end, heading.group(2)))
            current = None
        elif current is None:
            current = _Block(start, end, None)
            blocks.append(current)
        else:
            current.end = end
    return blocks


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(text: str, start: int, end: int, first_limit: int, limit: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into spans of at most ``limit`` chars (``first_limit`` for the first)."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(text, start, end)]
    bounds = [start, *(c for c in cuts if start < c < end), end]
    out: list[tuple[int, int]] = []
    piece_start = start
    cap = first_limit
    i = 1
    while piece_start < end:
        # The furthest sentence end that keeps the piece within the cap.
        best = None
        while i < len(bounds) and bounds[i] - piece_start <= cap:
            best = bounds[i]
            i += 1
        if best is None:
            # One sentence is longer than the cap: cut between words, else anywhere.
            hard = piece_start + cap
            space = text.rfind(" ", piece_start + cap // 2, hard)
            best = space + 1 if space > 0 else hard
            while i < len(bounds) and bounds[i] <= best:
                i += 1
        s, e = _trim(text, piece_start, best)
        if e > s:
            out.append((s, e))
        piece_start = best
        cap = limit
    return out


def chunk_text(text: str, max_chars: int) -> list[Chunk]:
    """Split a text into passage spans of about ``max_chars`` characters at most.

    Args:
        text: the article text (plain text or Markdown).
        max_chars: the longest passage wanted; a span is longer only when a trailing heading
            with nothing under it is attached to the passage before it.

    Returns:
        Chunks in text order, never empty spans; no chunk for a blank text.
    """
    min_chars = max_chars // 4
    chunks: list[Chunk] = []
    start = end = -1  # the open chunk, if start >= 0
    has_body = False
    heading_at_start = ""  # heading in force where the open chunk starts
    current_heading = ""

    def flush() -> None:
        nonlocal start, has_body
        if start >= 0:
            chunks.append(Chunk(start, end, heading_at_start))
        start, has_body = -1, False

    for block in _blocks(text):
        if block.heading is not None and block.end - block.start <= max_chars // 2:
            if start >= 0 and ((has_body and end - start >= min_chars) or block.end - start > max_chars):
                flush()
            if start < 0:
                start, heading_at_start = block.start, ""
            end = block.end
            current_heading = block.heading
            continue
        if start >= 0 and block.end - start <= max_chars:
            end, has_body = block.end, True
            continue
        if start >= 0 and (has_body or block.start - start > max_chars // 2):
            flush()
        if block.end - block.start <= max_chars and start < 0:
            start, end, has_body = block.start, block.end, True
            heading_at_start = current_heading
            continue
        # A paragraph too long for one passage (perhaps under headings still open): cut it
        # between sentences; the last piece stays open for the paragraphs that follow.
        first_limit = max_chars - (block.start - start) if start >= 0 else max_chars
        pieces = _pieces(text, block.start, block.end, first_limit, max_chars)
        for n, (piece_start, piece_end) in enumerate(pieces):
            if start < 0:
                start, heading_at_start = piece_start, current_heading
            end, has_body = piece_end, True
            if n < len(pieces) - 1:
                flush()
    if start >= 0:
        if not has_body and chunks:
            last = chunks.pop()
            start, heading_at_start = last.start, last.heading
        flush()
    return chunks
