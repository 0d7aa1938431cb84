"""Pick the few passage units that answer the customer's last message.

Ranking is plain term overlap, weighted by how rare a term is among the candidate units
(an IDF over the passages at hand), with a bonus when the section heading matches. The
retriever already chose the passages; this only decides which of their sentences to say,
so simple and predictable beats clever here. Units are returned in source order.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from replyassist.drafting.offline.markdown import Unit, has_cjk, parse_units
from replyassist.models import SearchHit

__all__ = ["Candidate", "base_language", "candidates", "choose", "terms"]

_STEMMERS = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
    "pl": "polish",
    "id": "indonesian",
}
_TOKEN = re.compile(r"\w+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def base_language(code: str | None) -> str:
    """``"pt-BR"`` → ``"pt"``; empty or missing → ``""``."""
    return re.split(r"[-_]", (code or "").strip().lower(), maxsplit=1)[0]


_local = threading.local()


def _stemmer(language: str) -> Any:
    """This thread's stemmer for ``language`` (snowball stemmers keep state: never share one)."""
    name = _STEMMERS.get(language)
    if name is None:
        return None
    stemmers: dict[str, Any] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    stemmer = stemmers.get(name)
    if stemmer is None:
        import snowballstemmer  # a pure-Python stemmer: imported on first use to keep import time low

        stemmer = stemmers[name] = snowballstemmer.stemmer(name)
    return stemmer


# Stems already computed, per language: a stem depends on the word alone, and support text repeats the same
# few thousand words, so the pure-Python stemmer (most of an offline draft's time) runs once per word. Shared
# by threads (a dict's get and set are atomic; a race only stores the same stem twice) and bounded.
_STEM_CACHE_SIZE = 50_000
_stems: dict[str, dict[str, str]] = {}


def _stem_function(language: str) -> Callable[[str], str] | None:
    """A memoised ``stemWord`` of this thread's stemmer for ``language``, or ``None`` without a stemmer."""
    stemmer = _stemmer(language)
    if stemmer is None:
        return None
    cache = _stems.setdefault(language, {})

    def stem(word: str) -> str:
        found = cache.get(word)
        if found is None:
            found = stemmer.stemWord(word)
            if len(cache) >= _STEM_CACHE_SIZE:
                cache.clear()
            cache[word] = found
        return found

    return stem


def terms(text: str, language: str, stopwords: Iterable[str] = ()) -> list[str]:
    """Index terms of a text: stemmed words, and character bigrams for Chinese and Japanese."""
    stop = stopwords if isinstance(stopwords, frozenset | set) else frozenset(stopwords)
    stem = _stem_function(language)
    out: list[str] = []
    shouting = text.isupper()
    for raw in _TOKEN.findall(text):
        # "US", "UK", "EU": an acronym is a name, even when its lower case is a stop word
        # (unless the whole message is in capitals).
        acronym = not shouting and 2 <= len(raw) <= 4 and raw.isupper() and raw.isascii()
        token = raw.lower()
        if has_cjk(token):
            for run in _CJK_RUN.findall(token):
                out.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
            token = _CJK_RUN.sub(" ", token).strip()
            if not token:
                continue
        if (token in stop and not acronym) or (len(token) < 2 and not token.isdigit()):
            continue
        out.append(stem(token) if stem is not None and not token.isdigit() else token)
    return out


@dataclass(frozen=True)
class Candidate:
    """A unit that may go into the reply, with its relevance to the customer's message."""

    unit: Unit
    score: float
    hit_rank: int
    language: str


def candidates(
    hits: Sequence[SearchHit],
    query: str,
    query_language: str,
    stopwords: Callable[[str], frozenset[str]],
    sanitize: Callable[[Unit, str], Unit | None],
    *,
    procedure: bool = False,
) -> list[Candidate]:
    """Score every usable unit of the hits' passages against the query.

    Args:
        hits: the answering hits, best first.
        query: the customer's words to answer.
        query_language: the language of ``query``.
        stopwords: stop words of a language code.
        sanitize: drops a unit (``None``) or returns a cleaned copy; gets the passage language.
        procedure: the customer asks how to do something, so numbered steps are worth more.
    """
    query_terms = set(terms(query, query_language, stopwords(query_language)))
    rows: list[tuple[Unit, int, str, set[str], set[str]]] = []
    sections: dict[tuple[int, str], set[str]] = {}
    for rank, hit in enumerate(hits):
        language = base_language(hit.passage.locale) or query_language
        stop = stopwords(language)
        for unit in parse_units(hit.passage.id, hit.passage.text, hit.passage.title):
            unit_terms = set(terms(unit.all_text, language, stop))
            heading_terms = set(terms(unit.heading, language, stop))
            sections.setdefault((rank, unit.heading), set(heading_terms)).update(unit_terms)
            clean = sanitize(unit, language)
            if clean is not None:
                rows.append(
                    (clean, rank, language, set(terms(clean.all_text, language, stop)), heading_terms)
                )
    df: dict[str, int] = {}
    for _, _, _, unit_terms, _ in rows:
        for t in unit_terms:
            df[t] = df.get(t, 0) + 1
    n = len(rows)

    def weight(found: set[str]) -> float:
        return sum(math.log(1.0 + (n + 1) / (df.get(t, 0) + 0.5)) for t in found)

    out = []
    for unit, rank, language, unit_terms, heading_terms in rows:
        # A sentence is worth more in a section whose heading, or whose other sentences, match the
        # question: articles answer one sub-question per section.
        section = sections[(rank, unit.heading)]
        score = weight(query_terms & unit_terms) + 0.5 * weight(query_terms & heading_terms)
        score += 0.25 * weight((query_terms & section) - unit_terms)
        if procedure and unit.kind == "steps":
            score *= 1.6
        # The hits come most on-topic first: a sentence sharing words with the question in a passage
        # about something else must not outrank the passage that is about the ask.
        score /= 1.0 + 0.3 * rank
        out.append(Candidate(unit, score, rank, language))
    return out


def _prefixes(unit: Unit) -> list[Unit]:
    """Shorter versions of a procedure: its first steps, longest first."""
    if unit.kind != "steps" or len(unit.items) < 2:
        return []
    return [
        replace(unit, items=unit.items[:k], numbers=unit.numbers[:k])
        for k in range(len(unit.items) - 1, 0, -1)
    ]


def choose(
    cands: Sequence[Candidate],
    fits: Callable[[list[Candidate]], bool],
    *,
    max_units: int,
    max_passages: int,
    min_ratio: float = 0.35,
) -> list[Candidate]:
    """Pick units greedily by relevance while the assembled reply still ``fits``.

    With no overlap at all (a short message, or a passage in another language), the
    passage's opening units are used: the retriever judged it the answer, and articles
    put the gist first.
    """
    if not cands or max_units <= 0:
        return []
    top = max(c.score for c in cands)
    if top <= 0:
        first = min(c.hit_rank for c in cands)
        ordered = sorted((c for c in cands if c.hit_rank == first), key=lambda c: c.unit.position)
        min_ratio = 0.0
    else:
        best = max(cands, key=lambda c: (c.score, -c.hit_rank, -c.unit.position))

        def coherent(c: Candidate) -> float:
            # Sentences from the best one's section read as one answer, not a collage.
            same = c.hit_rank == best.hit_rank and c.unit.heading == best.unit.heading
            return c.score + (0.3 * top if same and c is not best else 0.0)

        ordered = [
            best,
            *sorted(
                (c for c in cands if c is not best), key=lambda c: (-coherent(c), c.hit_rank, c.unit.position)
            ),
        ]
        cands = [best, *(replace(c, score=coherent(c)) for c in ordered[1:])]
        ordered = cands
    top_rank = ordered[0].hit_rank
    chosen: list[Candidate] = []
    for cand in ordered:
        if len(chosen) >= max_units:
            break
        if top > 0:
            if cand.score < min_ratio * top:
                break
            # Another article must be clearly relevant to earn a place beside the best one.
            if cand.hit_rank != top_rank and cand.score < 0.6 * top:
                continue
        passages = {c.unit.passage_id for c in chosen} | {cand.unit.passage_id}
        if len(passages) > max(1, max_passages):
            continue
        for option in [cand, *(replace(cand, unit=u) for u in _prefixes(cand.unit))]:
            trial = _source_order([*chosen, option])
            if fits(trial):
                chosen = trial
                break
        else:
            if not chosen:
                return []  # the best unit must be in: a weaker one alone would miss the point
            if top <= 0:
                break  # keep the opening contiguous
    return chosen


def _source_order(cands: list[Candidate]) -> list[Candidate]:
    return sorted(cands, key=lambda c: (c.hit_rank, c.unit.position))
