"""An Okapi BM25 inverted index held in numpy arrays.

Postings are stored by term (CSR): for term ``t`` the documents ``docs[indptr[t]:indptr[t+1]]``
in increasing order, with their term frequencies. A query adds, term by term,
``idf(t) * tf_weight`` into a dense score array: a few vectorised operations per query term,
whatever the size of the collection.

An index is immutable: a change (documents added, documents dropped) makes a new one, so a
search running in another thread keeps a consistent view.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Batch", "Postings"]

Int32Array = NDArray[np.int32]
FloatArray = NDArray[np.float32]
_TF_MAX = np.iinfo(np.uint16).max


class Batch:
    """New documents for an index, as term ids and frequencies.

    Args:
        terms: the index's terms (copied: new terms are appended to the copy).
        vocab: the index's term → id map, if at hand (copied too).
    """

    def __init__(self, terms: list[str], vocab: dict[str, int] | None = None) -> None:
        self.terms = list(terms)
        self.vocab = dict(vocab) if vocab is not None else {term: i for i, term in enumerate(self.terms)}
        self.term_ids = array("i")
        self.tfs = array("i")
        self.doc_nnz = array("i")
        self.doc_len = array("f")

    def __len__(self) -> int:
        return len(self.doc_nnz)

    def add(self, doc_terms: list[str]) -> None:
        """Append one document, given all its terms (repeats count)."""
        counts = Counter(doc_terms)
        vocab = self.vocab
        ids = self.term_ids
        for term in counts:
            tid = vocab.get(term)
            if tid is None:
                tid = vocab[term] = len(self.terms)
                self.terms.append(term)
            ids.append(tid)
        self.tfs.extend(counts.values())
        self.doc_nnz.append(len(counts))
        self.doc_len.append(len(doc_terms))


@dataclass(frozen=True, eq=False)
class Postings:
    """BM25 postings over documents ``0 .. n_docs - 1``.

    Attributes:
        terms: term id → term.
        indptr: ``len(terms) + 1`` offsets into ``docs`` and ``tfs``.
        docs: document ids, increasing within each term.
        tfs: term frequencies.
        doc_len: number of terms of each document.
    """

    terms: list[str]
    indptr: NDArray[np.int64]
    docs: Int32Array
    tfs: NDArray[np.uint16]
    doc_len: FloatArray
    k1: float = 1.2
    b: float = 0.75
    vocab: dict[str, int] | None = field(default=None, repr=False)
    """Term → id; built from ``terms`` when not given."""
    df: NDArray[np.int64] = field(init=False, repr=False)
    idf: FloatArray = field(init=False, repr=False)
    weights: FloatArray = field(init=False, repr=False)
    """The BM25 term-frequency part of each posting: ``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))``."""

    def __post_init__(self) -> None:
        n = len(self.doc_len)
        df = np.diff(self.indptr)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avgdl = max(float(self.doc_len.mean()), 1e-9) if n else 1.0
        # In place, two arrays the size of the postings at most: at 100k passages each is ~20 MB.
        weights = self.doc_len[self.docs]
        weights *= np.float32(self.k1 * self.b / avgdl)
        weights += np.float32(self.k1 * (1.0 - self.b))
        tf = self.tfs.astype(np.float32)
        weights += tf
        tf *= np.float32(self.k1 + 1.0)
        np.divide(tf, weights, out=weights)
        del tf
        if self.vocab is None:
            object.__setattr__(self, "vocab", {term: i for i, term in enumerate(self.terms)})
        object.__setattr__(self, "df", df)
        object.__setattr__(self, "idf", idf)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def empty(cls, k1: float = 1.2, b: float = 0.75) -> Postings:
        """An index with no document."""
        return cls(
            [],
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.uint16),
            np.zeros(0, np.float32),
            k1,
            b,
        )

    @property
    def n_docs(self) -> int:
        return len(self.doc_len)

    @property
    def missing_idf(self) -> float:
        """The IDF a term found in no document would have (the highest possible)."""
        return float(np.log1p((self.n_docs + 0.5) / 0.5))

    def term_id(self, term: str) -> int:
        """The id of a term present in at least one document, else -1."""
        tid = self.vocab.get(term, -1) if self.vocab is not None else -1
        return tid if tid >= 0 and self.df[tid] > 0 else -1

    def updated(self, keep: NDArray[np.bool_] | None, batch: Batch | None) -> Postings:
        """A new index: the documents where ``keep`` is true, renumbered, then ``batch``'s."""
        adding = batch is not None and len(batch) > 0
        if keep is None and not adding:
            return self
        terms, vocab = self.terms, self.vocab
        docs, tfs, doc_len = self.docs, self.tfs, self.doc_len
        entry_terms = np.repeat(np.arange(len(terms), dtype=np.int32), np.diff(self.indptr))
        if keep is not None:
            entry_keep = keep[docs]
            renumber = (np.cumsum(keep, dtype=np.int64) - 1).astype(np.int32)
            entry_terms, docs, tfs = entry_terms[entry_keep], renumber[docs[entry_keep]], tfs[entry_keep]
            doc_len = doc_len[keep]
            del entry_keep, renumber
        if batch is not None and adding:
            terms, vocab = batch.terms, batch.vocab
            new_terms = np.frombuffer(batch.term_ids, dtype=np.int32)
            first = len(doc_len)
            new_docs = np.repeat(
                np.arange(first, first + len(batch), dtype=np.int32),
                np.frombuffer(batch.doc_nnz, dtype=np.int32),
            )
            new_tfs = np.minimum(np.frombuffer(batch.tfs, dtype=np.int32), _TF_MAX).astype(np.uint16)
            if len(docs):
                entry_terms = np.concatenate([entry_terms, new_terms])
                docs, tfs = np.concatenate([docs, new_docs]), np.concatenate([tfs, new_tfs])
            else:
                entry_terms, docs, tfs = new_terms, new_docs, new_tfs
            del new_docs, new_tfs
            # Stable: within a term, old documents stay before new ones, so docs stay sorted.
            # The old part is already sorted, which the merge sort exploits.
            order = np.argsort(entry_terms, kind="stable")
            docs, tfs = docs[order], tfs[order]
            del order
            doc_len = np.concatenate([doc_len, np.frombuffer(batch.doc_len, dtype=np.float32)])
        # Postings per term do not depend on the order: no need to sort the term ids themselves.
        counts = np.bincount(entry_terms, minlength=len(terms))
        indptr = np.concatenate([np.zeros(1, np.int64), np.cumsum(counts, dtype=np.int64)])
        return Postings(terms, indptr, docs, tfs, doc_len, self.k1, self.b, vocab)

    def compacted(self) -> Postings:
        """The same index without terms that no document holds any more."""
        live = np.flatnonzero(self.df > 0)
        if len(live) == len(self.terms):
            return self
        indptr = np.concatenate([np.zeros(1, np.int64), np.cumsum(self.df[live], dtype=np.int64)])
        return Postings(
            [self.terms[i] for i in live], indptr, self.docs, self.tfs, self.doc_len, self.k1, self.b
        )

    def scores(self, term_ids: list[int], query_weights: list[float]) -> FloatArray:
        """BM25 scores of every document for the given term ids (each weighted)."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        indptr, docs, weights, idf = self.indptr, self.docs, self.weights, self.idf
        for tid, qw in zip(term_ids, query_weights, strict=True):
            start, end = int(indptr[tid]), int(indptr[tid + 1])
            # Each document appears once per term, so fancy-index addition is exact.
            scores[docs[start:end]] += np.float32(idf[tid] * qw) * weights[start:end]
        return scores

    def contains(self, tid: int, doc_ids: NDArray[np.intp]) -> NDArray[np.bool_]:
        """Whether each of ``doc_ids`` holds term ``tid``."""
        start, end = int(self.indptr[tid]), int(self.indptr[tid + 1])
        postings = self.docs[start:end]
        if not len(postings):
            return np.zeros(len(doc_ids), dtype=bool)
        pos = np.minimum(np.searchsorted(postings, doc_ids), len(postings) - 1)
        return np.asarray(postings[pos] == doc_ids)
