"""Ranking: query terms, BM25 scores, filters and boosts, top-k with at most two per article."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from replyassist.knowledge._analysis import Analyzer, analyzer, language_of, split_words
from replyassist.knowledge._store import Store
from replyassist.models import SearchHit

__all__ = ["LOCALE_BOOST", "MAX_PER_ARTICLE", "search_store"]

LOCALE_BOOST = 1.3
"""Score factor for passages in the language of the ``locale`` asked for."""
MAX_PER_ARTICLE = 2
_HAS_DIGIT = re.compile(r"\d")


def search_store(
    store: Store,
    query: str,
    k: int,
    *,
    language: str | None,
    locale: str | None,
    labels: Sequence[str] | None,
) -> list[SearchHit]:
    """The ``k`` best passages of ``store`` for ``query`` (see ``KnowledgeBase.search``)."""
    postings = store.postings
    if not len(store) or not query.strip():
        return []
    terms = _query_terms(store, query, language_of(language) or language_of(locale))
    if not terms:
        return []
    missing_idf = postings.missing_idf
    total_idf = 0.0
    found: list[int] = []
    counts: list[float] = []
    for term, count in terms.items():
        tid = postings.term_id(term)
        if tid >= 0:
            total_idf += float(postings.idf[tid])
            found.append(tid)
            counts.append(float(count))
        elif not _HAS_DIGIT.search(term):
            # A word the KB never uses is a part of the question it cannot answer; but an
            # order number, amount or date is a specific no article holds.
            total_idf += missing_idf
    if not found:
        return []
    scores = postings.scores(found, counts)
    if labels:
        scores[~store.label_mask([labels] if isinstance(labels, str) else labels)] = 0.0
    want_lang = language_of(locale)
    if want_lang is not None and want_lang in store.langs:
        scores[store.p_lang == store.langs.index(want_lang)] *= np.float32(LOCALE_BOOST)
    picked = _top_per_article(scores, store.p_slot, k)
    if not picked:
        return []
    docs = np.asarray(picked, dtype=np.intp)
    covered = np.zeros(len(docs), dtype=np.float64)
    for tid in found:
        covered += postings.contains(tid, docs) * float(postings.idf[tid])
    coverage = np.clip(covered / total_idf, 0.0, 1.0) if total_idf > 0 else covered
    return [
        SearchHit(passage=store.passage(int(d)), score=float(scores[d]), coverage=float(c))
        for d, c in zip(docs, coverage, strict=True)
    ]


def _query_terms(store: Store, query: str, language: str | None) -> dict[str, int]:
    """Distinct query terms with their counts.

    Each word is tried with the query language's analyser first, then with those of the KB's
    own languages (most passages first), then unstemmed; the first form the index knows wins.
    Stopwords are those of the query language, or, when it is not known, of any of the KB's
    languages.
    """
    first = analyzer(language)
    order: list[Analyzer] = [first] if first.language is not None else []
    for lang in (*sorted(store.analysis, key=store.analysis.__getitem__, reverse=True), None):
        an = analyzer(lang or None)
        if an not in order:
            order.append(an)
    stop_by = order[:1] if first.language is not None else order
    vocab_has = store.postings.term_id
    words, cjk = split_words(query)
    counts: dict[str, int] = {}
    for word in words:
        if any(an.is_stopword(word) for an in stop_by):
            continue
        forms = [t for t in (an.term(word) for an in order) if t]
        if not forms:
            continue
        term = next((t for t in forms if vocab_has(t) >= 0), forms[0])
        counts[term] = counts.get(term, 0) + 1
    for term in cjk:
        counts[term] = counts.get(term, 0) + 1
    return counts


def _top_per_article(scores: NDArray[np.float32], p_slot: NDArray[np.int32], k: int) -> list[int]:
    """The best ``k`` documents with a positive score, at most two per article."""
    candidates = np.flatnonzero(scores > 0)
    if not len(candidates):
        return []
    pool = min(len(candidates), 4 * k + 16)
    while True:
        if pool < len(candidates):
            top = candidates[np.argpartition(-scores[candidates], pool - 1)[:pool]]
        else:
            top = candidates
        ranked = top[np.lexsort((top, -scores[top]))]
        picked: list[int] = []
        per_article: dict[int, int] = {}
        for doc in ranked.tolist():
            slot = int(p_slot[doc])
            if per_article.get(slot, 0) < MAX_PER_ARTICLE:
                per_article[slot] = per_article.get(slot, 0) + 1
                picked.append(doc)
                if len(picked) == k:
                    return picked
        if pool >= len(candidates):
            return picked
        pool = min(len(candidates), pool * 4)
