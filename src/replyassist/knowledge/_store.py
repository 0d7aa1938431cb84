"""The state of a knowledge base: articles, passage spans and the index, as one snapshot.

A :class:`Store` is never changed in place. Adding or removing articles builds a new store,
and the knowledge base swaps it in with one assignment, so searches running meanwhile in
other threads see either the old state or the new one, never half of each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from replyassist._text import html_to_text
from replyassist.knowledge._analysis import analyzer, language_of
from replyassist.knowledge._chunking import chunk_text, strip_heading_marks
from replyassist.knowledge._index import Batch, Postings
from replyassist.models import Article, Passage

__all__ = ["Store", "plain_text"]

logger = logging.getLogger("replyassist.knowledge")

_TITLE_REPEAT = 2
"""Each passage indexes its article's title twice: the title says what the article is about, where a
word of the text may be said in passing (the title-field boost of BM25F, done with term counts)."""
_HTML_HINT = re.compile(r"<(?:p|div|br|h[1-6]|ul|ol|li|table|span|a|strong|em|b|i|img|section)\b[^>]*>", re.I)


def plain_text(body: str) -> str:
    """The text to cut into passages: the body, turned into text first if it is HTML."""
    return html_to_text(body) if _HTML_HINT.search(body) else body


@dataclass(frozen=True, eq=False)
class Store:
    """Articles, their passages (as spans of the article text) and the BM25 index.

    Passage ``i`` is ``texts[p_slot[i]][p_start[i]:p_end[i]]``, the ``p_ordinal[i]``-th passage
    of article ``slots[p_slot[i]]``; it is document ``i`` of ``postings``.
    """

    articles: Mapping[str, Article]
    """Article id → article (a saved store builds each article on first use)."""
    slots: list[str]
    texts: Sequence[str]
    slot_locale: list[str | None]
    slot_labels: list[list[str]]
    p_slot: NDArray[np.int32]
    p_start: NDArray[np.int32]
    p_end: NDArray[np.int32]
    p_ordinal: NDArray[np.int32]
    p_lang: NDArray[np.int16]
    """Index into ``langs`` of the passage's locale language; -1 when it has none."""
    langs: list[str]
    analysis: dict[str, int]
    """Passages per analysis language (``""`` for none): the query falls back on these."""
    postings: Postings
    cache: dict[str, object] = field(default_factory=dict, repr=False)
    """Things derived on demand from this snapshot (label masks)."""

    @classmethod
    def empty(cls, k1: float = 1.2, b: float = 0.75) -> Store:
        z32 = np.zeros(0, np.int32)
        return cls(
            {}, [], [], [], [], z32, z32, z32, z32, np.zeros(0, np.int16), [], {}, Postings.empty(k1, b)
        )

    def __len__(self) -> int:
        return len(self.p_slot)

    def passage(self, i: int) -> Passage:
        """Passage ``i`` as a model."""
        slot = int(self.p_slot[i])
        article = self.articles[self.slots[slot]]
        text = strip_heading_marks(self.texts[slot][int(self.p_start[i]) : int(self.p_end[i])])
        return Passage(
            id=f"{article.id}#{int(self.p_ordinal[i])}",
            article_id=article.id,
            title=article.title,
            text=text,
            url=article.url,
            locale=article.locale,
            labels=list(article.labels),
        )

    def label_mask(self, labels: Iterable[str]) -> NDArray[np.bool_]:
        """Passages of articles that carry at least one of ``labels`` (case-insensitive)."""
        by_label = self.cache.get("labels")
        if not isinstance(by_label, dict):
            index: dict[str, list[int]] = {}
            for slot, labels_of_slot in enumerate(self.slot_labels):
                for label in {lb.strip().casefold() for lb in labels_of_slot}:
                    index.setdefault(label, []).append(slot)
            by_label = {label: np.asarray(s, dtype=np.int64) for label, s in index.items()}
            self.cache["labels"] = by_label
        slot_mask = np.zeros(len(self.slots), dtype=bool)
        for label in labels:
            found = by_label.get(label.strip().casefold())
            if found is not None:
                slot_mask[found] = True
        return slot_mask[self.p_slot]

    def updated(
        self,
        add: list[Article],
        remove: set[str],
        chunk_chars: int,
        default_language: str | None,
    ) -> Store:
        """A new store without the articles in ``remove`` (and those re-added), plus ``add``."""
        gone = remove | {a.id for a in add}
        keep_slot = np.fromiter((aid not in gone for aid in self.slots), dtype=bool, count=len(self.slots))
        keep = keep_slot[self.p_slot] if len(self.p_slot) else np.zeros(0, dtype=bool)
        slot_renumber = (np.cumsum(keep_slot, dtype=np.int64) - 1).astype(np.int32)
        kept = np.flatnonzero(keep_slot).tolist()
        slots = [self.slots[i] for i in kept]
        texts = [self.texts[i] for i in kept]
        slot_locale = [self.slot_locale[i] for i in kept]
        slot_labels = [self.slot_labels[i] for i in kept]
        articles = {aid: self.articles[aid] for aid in slots}
        langs = list(self.langs)
        analysis = dict(self.analysis)
        dropped_slots, dropped_counts = np.unique(self.p_slot[~keep], return_counts=True)
        for slot, count in zip(dropped_slots.tolist(), dropped_counts.tolist(), strict=True):
            analysis[_analysis_name(self.slot_locale[slot], default_language)] -= count
        cols: dict[str, list[int]] = {"slot": [], "start": [], "end": [], "ordinal": [], "lang": []}
        batch = Batch(self.postings.terms, self.postings.vocab)
        for article in add:
            text = plain_text(article.body)
            chunks = chunk_text(text, chunk_chars)
            if not chunks:
                logger.warning("article %r has no text to index; it is kept but cannot be found", article.id)
            slot = len(slots)
            slots.append(article.id)
            texts.append(text)
            slot_locale.append(article.locale)
            slot_labels.append(list(article.labels))
            articles[article.id] = article
            lang = language_of(article.locale)
            if lang is not None and lang not in langs:
                langs.append(lang)
            lang_id = langs.index(lang) if lang is not None else -1
            an = analyzer(lang or default_language)
            name = _analysis_name(article.locale, default_language)
            analysis[name] = analysis.get(name, 0) + len(chunks)
            for n, chunk in enumerate(chunks):
                head = f"{article.title}\n" * _TITLE_REPEAT + (f"{chunk.heading}\n" if chunk.heading else "")
                batch.add(an.terms(head + text[chunk.start : chunk.end]))
                cols["slot"].append(slot)
                cols["start"].append(chunk.start)
                cols["end"].append(chunk.end)
                cols["ordinal"].append(n)
                cols["lang"].append(lang_id)

        def column(old: NDArray[Any], new: list[int], dtype: type[np.generic]) -> NDArray[Any]:
            return np.concatenate([old[keep], np.asarray(new, dtype=dtype)]).astype(dtype, copy=False)

        p_slot = np.concatenate([slot_renumber[self.p_slot[keep]], np.asarray(cols["slot"], np.int32)])
        return Store(
            articles=articles,
            slots=slots,
            texts=texts,
            slot_locale=slot_locale,
            slot_labels=slot_labels,
            p_slot=p_slot.astype(np.int32, copy=False),
            p_start=column(self.p_start, cols["start"], np.int32),
            p_end=column(self.p_end, cols["end"], np.int32),
            p_ordinal=column(self.p_ordinal, cols["ordinal"], np.int32),
            p_lang=column(self.p_lang, cols["lang"], np.int16),
            langs=langs,
            analysis={name: n for name, n in analysis.items() if n > 0},
            postings=self.postings.updated(keep if (~keep).any() else None, batch),
        )


def _analysis_name(locale: str | None, default_language: str | None) -> str:
    return analyzer(language_of(locale) or default_language).language or ""
