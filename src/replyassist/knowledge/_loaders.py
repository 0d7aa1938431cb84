"""Read article files: Markdown, HTML, text, JSON and JSON Lines.

Each loader turns one file into articles or raises ``ValueError`` with a reason a person can
act on; :func:`load_directory` turns those into :class:`ArticleLoadError` records so one bad
file never stops the others.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from replyassist._errors import ArticleLoadError, KnowledgeBaseError
from replyassist._text import clean_whitespace, html_to_text
from replyassist.models import Article

__all__ = ["ARTICLE_SUFFIXES", "load_directory", "load_file"]

logger = logging.getLogger("replyassist.knowledge")

ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".html", ".htm", ".txt", ".json", ".jsonl"})

_H1 = re.compile(r"^[ \t]{0,3}#[ \t]+(\S.*?)[ \t#]*$", re.MULTILINE)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.I | re.S)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)", re.I)
_HTML_CANONICAL = re.compile(
    r"<link\b(?=[^>]*\brel\s*=\s*[\"']?canonical)[^>]*?\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I
)
_TAG = re.compile(r"<[^>]+>")
# Field names other exports use for the same thing (Zendesk Guide, Freshdesk, CMSes).
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "slug"),
    "title": ("title", "name"),
    "body": ("body", "content", "text", "description_text", "description", "html"),
    "url": ("url", "html_url", "link"),
    "locale": ("locale", "language", "lang"),
    "labels": ("labels", "label_names", "tags"),
    "updated_at": ("updated_at", "updated", "date", "modified_at"),
}


def load_directory(
    path: str | os.PathLike[str], *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[Article], list[ArticleLoadError]]:
    """Load every article file under ``path`` (or ``path`` itself if it is a file).

    Returns:
        The articles (first one wins when two share an id) and the errors met.

    Raises:
        KnowledgeBaseError: ``path`` does not exist.
    """
    root = Path(path)
    if root.is_file():
        files, base = [root], root.parent
    elif root.is_dir():
        files, base = sorted(_article_files(root)), root
    else:
        raise KnowledgeBaseError(f"knowledge base path not found: {root}")
    articles: dict[str, Article] = {}
    origin: dict[str, Path] = {}
    errors: list[ArticleLoadError] = []
    for done, file in enumerate(files, 1):
        try:
            found, bad = load_file(file, file.relative_to(base))
        except ValueError as exc:
            found, bad = [], [ArticleLoadError(str(file), str(exc))]
        for article in found:
            if article.id in articles:
                bad.append(
                    ArticleLoadError(
                        str(file),
                        f"duplicate article id {article.id!r} "
                        f"(already loaded from {origin[article.id]}); skipped",
                    )
                )
            else:
                articles[article.id] = article
                origin[article.id] = file
        for error in bad:
            logger.warning("%s", error)
        errors.extend(bad)
        if progress is not None:
            progress(done, len(files))
    return list(articles.values()), errors


def _article_files(root: Path) -> Iterator[Path]:
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                yield Path(folder) / name


def load_file(file: Path, relative: Path) -> tuple[list[Article], list[ArticleLoadError]]:
    """The articles of one file, and errors for the parts of it that are broken.

    Raises:
        ValueError: the whole file is unreadable (the message says why).
    """
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from exc
    if not text.strip():
        raise ValueError("the file is empty")
    default_id = relative.with_suffix("").as_posix()
    suffix = file.suffix.lower()
    if suffix == ".json":
        return _json_articles(text, file, default_id)
    if suffix == ".jsonl":
        return _jsonl_articles(text, file, default_id)
    if suffix in {".html", ".htm"}:
        fields = _html_fields(text)
    elif suffix == ".txt":
        fields = _text_fields(text)
    else:
        fields = _markdown_fields(text, relative.stem)
    fields.setdefault("id", default_id)
    return [_article(fields)], []


def _article(fields: dict[str, Any]) -> Article:
    for name in ("title", "body"):
        value = fields.get(name)
        if value is None:
            raise ValueError(f"missing field {name!r}")
        if isinstance(value, str) and not value.strip():
            raise ValueError(f"empty {name}")
    try:
        return Article.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "article"
        raise ValueError(f"invalid {where}: {first['msg']}") from exc


def _from_mapping(item: object, default_id: str) -> Article:
    if not isinstance(item, dict):
        raise ValueError(f"expected an article object, got {type(item).__name__}")
    fields: dict[str, Any] = {}
    for name, keys in _ALIASES.items():
        for key in keys:
            if item.get(key) is not None:
                fields[name] = item[key]
                break
    fields.setdefault("id", default_id)
    if isinstance(fields.get("labels"), str):
        fields["labels"] = _split_list(fields["labels"])
    return _article(fields)


def _json_articles(text: str, file: Path, default_id: str) -> tuple[list[Article], list[ArticleLoadError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if isinstance(data, dict):
        return [_from_mapping(data, default_id)], []
    if not isinstance(data, list):
        raise ValueError('expected an article object, a list of them or {"articles": [...]}')
    articles: list[Article] = []
    errors: list[ArticleLoadError] = []
    for i, item in enumerate(data):
        try:
            articles.append(_from_mapping(item, f"{default_id}/{i}"))
        except ValueError as exc:
            errors.append(ArticleLoadError(f"{file}[{i}]", str(exc)))
    return articles, errors


def _jsonl_articles(text: str, file: Path, default_id: str) -> tuple[list[Article], list[ArticleLoadError]]:
    articles: list[Article] = []
    errors: list[ArticleLoadError] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
            articles.append(_from_mapping(item, f"{default_id}/{lineno}"))
        except ValueError as exc:
            errors.append(ArticleLoadError(f"{file}:{lineno}", str(exc)))
    return articles, errors


def _text_fields(text: str) -> dict[str, Any]:
    title, _, rest = text.strip().partition("\n")
    # A one-line file is its own title and body.
    return {"title": title.strip(), "body": rest.strip() or title.strip()}


def _html_fields(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    body = html_to_text(text)
    found = _HTML_TITLE.search(text)
    title = clean_whitespace(html.unescape(_TAG.sub(" ", found.group(1)))) if found else ""
    if not title and (h1 := _HTML_H1.search(text)):
        title = clean_whitespace(html.unescape(_TAG.sub(" ", h1.group(1))))
    if title:
        fields["title"] = title
        # <title> is inside <head>, which the text leaves out; an <h1> repeating it is dropped.
        first, _, rest = body.partition("\n")
        if first.strip().casefold() == title.casefold():
            body = rest.strip()
    fields["body"] = body
    if lang := _HTML_LANG.search(text):
        fields["locale"] = lang.group(1)
    if canonical := _HTML_CANONICAL.search(text):
        fields["url"] = html.unescape(canonical.group(1))
    return fields


def _markdown_fields(text: str, stem: str) -> dict[str, Any]:
    meta, body = _front_matter(text)
    fields: dict[str, Any] = {}
    for name, keys in _ALIASES.items():
        for key in keys:
            if meta.get(key) not in (None, ""):
                fields[name] = meta[key]
                break
    fields.pop("body", None)
    if isinstance(fields.get("labels"), str):
        fields["labels"] = _split_list(fields["labels"])
    first_h1 = _H1.search(body)
    if first_h1 is not None:
        heading = first_h1.group(1).strip()
        fields.setdefault("title", heading)
        # A top heading that repeats the title would count the title's words twice.
        at_top = not body[: first_h1.start()].strip()
        if at_top and str(fields["title"]).strip().casefold() == heading.casefold():
            body = body[first_h1.end() :]
    fields.setdefault("title", stem)
    fields["body"] = body.strip()
    return fields


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a ``---`` block of ``key: value`` lines (and ``- item`` lists) from the text."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        raise ValueError("the front matter block opened with '---' is never closed")
    meta: dict[str, Any] = {}
    key = None
    for lineno, line in enumerate(lines[1:end], 2):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") and key is not None:
            previous = meta.get(key)
            items = previous if isinstance(previous, list) else []
            items.append(_unquote(stripped[2:].strip()))
            meta[key] = items
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ValueError(f"front matter line {lineno} is not 'key: value': {stripped[:60]!r}")
        key = name.strip().lower()
        meta[key] = _value(value.strip())
    return meta, "\n".join(lines[end + 1 :])


def _value(raw: str) -> Any:
    if raw.startswith("[") and raw.endswith("]"):
        return _split_list(raw[1:-1])
    return _unquote(raw)


def _split_list(raw: str) -> list[str]:
    return [item for item in (_unquote(part.strip()) for part in raw.split(",")) if item]


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1]
    return raw
