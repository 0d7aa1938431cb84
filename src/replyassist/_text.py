"""Small text helpers shared across the library (HTML to text, whitespace, sentences)."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

__all__ = ["clean_whitespace", "html_to_text", "split_sentences", "strip_quoted", "truncate"]

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dd",
    "dt",
}
_SKIP_TAGS = {"script", "style", "head", "template", "noscript", "svg"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Turn HTML into readable plain text, keeping paragraph breaks; never raises."""
    if "<" not in html:
        return clean_whitespace(unescape(html))
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return clean_whitespace(unescape(re.sub(r"<[^>]*>", " ", html)))
    return clean_whitespace("".join(parser.parts))


_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_MANY_NEWLINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


def clean_whitespace(text: str) -> str:
    """Fold runs of spaces, keep at most one blank line, strip the ends."""
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


# Sentence ends: Latin punctuation followed by space, or CJK full stops (no space needed).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[^\s])|(?<=[。！？])|\n+")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences (Latin and CJK punctuation, and line breaks)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut text to at most ``limit`` characters at a word boundary where there is one."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ellipsis


# Quoted history in email replies: "On Mon, … wrote:", "-----Original Message-----", "> " lines.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:On .{5,200}wrote:|El .{5,200}escribió:|Le .{5,200}a écrit ?:|Am .{5,200}schrieb .{0,80}:|"
    r"Em .{5,200}escreveu:|Il .{5,200}ha scritto:|Op .{5,200}schreef .{0,80}:|"
    r"-{2,}\s*(?:Original Message|Mensaje original|Message d'origine|Ursprüngliche Nachricht)\s*-{2,}|"
    r"From: .{3,200}\n\s*(?:Sent|Date): )",
    re.IGNORECASE | re.MULTILINE,
)


def strip_quoted(text: str) -> str:
    """Drop quoted earlier messages and the signature block from an email body."""
    match = _QUOTE_HEADER.search(text)
    if match and match.start() > 0:
        text = text[: match.start()]
    signature = _SIGNATURE.search(text)
    if signature and signature.start() > 0:
        text = text[: signature.start()]
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


# The conventional signature delimiter ("-- " on its own line) and mobile footers.
_SIGNATURE = re.compile(
    r"^(?:-- ?|—|__+)\s*$|^(?:Sent from my \w+|Enviado desde mi \w+|Envoyé de mon \w+|Von meinem \w+ gesendet)",
    re.MULTILINE,
)
