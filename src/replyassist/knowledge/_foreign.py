"""Any LangChain retriever (vector store, BM25, hybrid, remote) as a knowledge source.

Nothing here imports LangChain: the retriever is used through ``invoke`` / ``ainvoke`` and its
documents through ``page_content`` / ``metadata``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from replyassist._errors import ConfigurationError, KnowledgeBaseError
from replyassist.knowledge._analysis import analyzer, language_of, split_words
from replyassist.models import Passage, SearchHit

__all__ = ["RetrieverKnowledgeSource"]

_LOCALE_BOOST = 1.3
_MAX_PER_ARTICLE = 2
_TITLE_CHARS = 80


class RetrieverKnowledgeSource:
    """Wraps a LangChain retriever so the drafting pipeline can use it like a knowledge base.

    Documents become passages: ``article_id`` (else ``doc_id``, ``id`` or ``source``),
    ``passage_id``, ``title`` (else the first line of the text), ``url`` (else ``source`` when
    it is a link), ``locale`` (or ``language``) and ``labels`` (or ``tags``) are read from the
    metadata when present. A foreign retriever has no BM25 score to give: ``score`` is the
    metadata ``score`` if there is one, else ``1 / rank``. With scores, ``locale`` multiplies
    those in its language by 1.3 (as :class:`KnowledgeBase` does); with an order only, it moves
    them ahead, keeping their order. ``coverage`` is the metadata
    ``coverage`` if there is one, else the share of the query's distinct terms (stemmed,
    stopwords left out) found in the document — not IDF-weighted, since the collection is
    unknown, so it reads a little higher than a :class:`KnowledgeBase`'s for the same text.

    Args:
        retriever: a ``langchain_core`` retriever (anything with ``invoke`` and ``ainvoke``).
        k: the default number of hits (the retriever's own setting caps how many it returns).

    Raises:
        ConfigurationError: ``retriever`` has no ``invoke`` method.
    """

    def __init__(self, retriever: Any, *, k: int = 5) -> None:
        if not callable(getattr(retriever, "invoke", None)):
            raise ConfigurationError(
                f"expected a LangChain retriever (with .invoke), got {type(retriever).__name__}"
            )
        self.retriever = retriever
        self.k = _check_k(k)

    def __repr__(self) -> str:
        return f"RetrieverKnowledgeSource({type(self.retriever).__name__}, k={self.k})"

    def search(
        self, query: str, k: int | None = None, *, language: str | None = None, locale: str | None = None
    ) -> list[SearchHit]:
        """Ask the retriever, and turn its documents into hits (at most two per article).

        Raises:
            KnowledgeBaseError: the retriever failed (the original error is chained).
        """
        k = self._prepare(query, k)
        if not query.strip():
            return []
        try:
            docs = self.retriever.invoke(query)
        except Exception as exc:
            raise KnowledgeBaseError(f"the retriever {type(self.retriever).__name__} failed: {exc}") from exc
        return _hits(docs, query, k, language, locale)

    async def asearch(
        self, query: str, k: int | None = None, *, language: str | None = None, locale: str | None = None
    ) -> list[SearchHit]:
        """:meth:`search` through the retriever's ``ainvoke``."""
        k = self._prepare(query, k)
        if not query.strip():
            return []
        try:
            docs = await self.retriever.ainvoke(query)
        except Exception as exc:
            raise KnowledgeBaseError(f"the retriever {type(self.retriever).__name__} failed: {exc}") from exc
        return _hits(docs, query, k, language, locale)

    def _prepare(self, query: str, k: int | None) -> int:
        if not isinstance(query, str):
            raise ConfigurationError(f"query must be a string, got {type(query).__name__}")
        return self.k if k is None else _check_k(k)


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ConfigurationError(f"k must be a positive integer, got {k!r}")
    return k


def _terms(text: str, language: str | None) -> set[str]:
    an = analyzer(language)
    words, cjk = split_words(text)
    return {t for t in map(an.term, words) if t} | set(cjk)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _labels(value: object) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Sequence):
        return [str(v) for v in value if v is not None]
    return []


def _passage(doc: Any, counters: dict[str, int]) -> Passage:
    content = getattr(doc, "page_content", None)
    if not isinstance(content, str):
        raise KnowledgeBaseError(f"the retriever returned {type(doc).__name__}, not a LangChain Document")
    raw_meta = getattr(doc, "metadata", None)
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    source = meta.get("source")
    article_id = next(
        (
            str(meta[key])
            for key in ("article_id", "doc_id", "id", "source")
            if meta.get(key) not in (None, "")
        ),
        None,
    )
    if article_id is None:
        article_id = getattr(doc, "id", None) or "doc-" + hashlib.sha1(content.encode()).hexdigest()[:12]
    n = counters.get(article_id, 0)
    counters[article_id] = n + 1
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        first_line = content.strip().split("\n", 1)[0]
        title = first_line[:_TITLE_CHARS].rstrip() + ("…" if len(first_line) > _TITLE_CHARS else "")
    url = meta.get("url")
    if not isinstance(url, str) and isinstance(source, str) and source.startswith(("http://", "https://")):
        url = source
    locale = meta.get("locale") or meta.get("language")
    return Passage(
        id=str(meta.get("passage_id") or f"{article_id}#{n}"),
        article_id=article_id,
        title=title,
        text=content,
        url=url if isinstance(url, str) else None,
        locale=str(locale) if locale else None,
        labels=_labels(meta.get("labels", meta.get("tags"))),
    )


def _hits(docs: object, query: str, k: int, language: str | None, locale: str | None) -> list[SearchHit]:
    if not isinstance(docs, Sequence):
        raise KnowledgeBaseError(f"the retriever returned {type(docs).__name__}, not a list of documents")
    want_lang = language_of(locale)
    query_lang = language_of(language) or want_lang
    counters: dict[str, int] = {}
    items = []
    for doc in docs:
        meta = getattr(doc, "metadata", None)
        meta = meta if isinstance(meta, dict) else {}
        items.append((_passage(doc, counters), _number(meta.get("score")), _number(meta.get("coverage"))))
    preferred = [want_lang is not None and language_of(p.locale) == want_lang for p, _, _ in items]
    if any(score is None for _, score, _ in items):
        # Only an order to go by: passages in the wanted language move ahead, order kept.
        order = sorted(range(len(items)), key=lambda i: (not preferred[i], i))
        scored = [(1.0 / (rank + 1), items[i][0], items[i][2]) for rank, i in enumerate(order)]
    else:
        boosted = [
            ((s or 0.0) * (_LOCALE_BOOST if preferred[i] else 1.0), i) for i, (_, s, _) in enumerate(items)
        ]
        scored = [
            (score, items[i][0], items[i][2]) for score, i in sorted(boosted, key=lambda x: (-x[0], x[1]))
        ]
    hits: list[SearchHit] = []
    per_article: dict[str, int] = {}
    for score, passage, coverage in scored:
        if per_article.get(passage.article_id, 0) >= _MAX_PER_ARTICLE:
            continue
        per_article[passage.article_id] = per_article.get(passage.article_id, 0) + 1
        if coverage is None:
            lang = query_lang or language_of(passage.locale)
            wanted = _terms(query, lang)
            have = _terms(f"{passage.title}\n{passage.text}", lang) if wanted else set()
            coverage = len(wanted & have) / len(wanted) if wanted else 0.0
        hits.append(SearchHit(passage=passage, score=score, coverage=min(max(coverage, 0.0), 1.0)))
        if len(hits) == k:
            break
    return hits
