"""Retrieval quality on real support data (``../shared/data``), not on text written for the test.

The Bitext customer-support set has 4,514 (instruction, intent, response) rows over 27 intents.
Its rows are shuffled with a fixed seed and split in two: the *responses* of one half become the
articles (labelled with their intent), the *instructions* of the other half are the queries. A
query is answered when a top-5 passage comes from an article of its intent.

Thresholds, and why:

* recall@5 >= 0.90. Measured: 0.956 on the 600 queries used here (0.974 on all 2,257). Chance
  is about 0.17 (1 - (26/27)^5); the margin allows tokeniser changes, not a broken ranking.
* recall@5 at least that of LangChain's ``BM25Retriever`` (rank_bm25, whitespace tokens) on the
  same passages: the library is meant to replace it, not to be worse (measured 0.73 vs 0.92 on
  the padded 20,000-passage benchmark in ``benchmarks/``).
* coverage separates questions the KB answers from ones it does not: the median top-hit
  coverage of the Bitext queries is 0.92 when measured, of the 35 Giskard prompt-injection
  prompts (nothing a support KB answers) 0.05. The test asks > 0.6 and < 0.2.
"""

from __future__ import annotations

import csv
import random
import statistics
import warnings
from pathlib import Path

import pytest

from replyassist.knowledge import KnowledgeBase
from replyassist.models import Article

SEED = 7
N_QUERIES = 600


@pytest.fixture(scope="module")
def bitext(shared_data: Path) -> tuple[KnowledgeBase, list[dict[str, str]]]:
    path = shared_data / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    half = len(rows) // 2
    articles = [
        Article(id=f"bitext-{i}", title="", body=rows[j]["response"], locale="en", labels=[rows[j]["intent"]])
        for i, j in enumerate(order[:half])
    ]
    queries = [rows[j] for j in order[half:]][:N_QUERIES]
    return KnowledgeBase(articles), queries


def recall_at_5(kb: KnowledgeBase, queries: list[dict[str, str]]) -> float:
    label = {a.id: a.labels[0] for a in kb.articles}
    found = 0
    for row in queries:
        hits = kb.search(row["instruction"], k=5, language="en")
        found += row["intent"] in {label[h.passage.article_id] for h in hits}
    return found / len(queries)


def test_recall_at_5_on_bitext(bitext: tuple[KnowledgeBase, list[dict[str, str]]]) -> None:
    kb, queries = bitext
    assert recall_at_5(kb, queries) >= 0.90


def test_recall_at_least_that_of_langchain_bm25(bitext: tuple[KnowledgeBase, list[dict[str, str]]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever

    kb, queries = bitext
    queries = queries[:300]
    label = {a.id: a.labels[0] for a in kb.articles}
    passages = kb.passages
    theirs = BM25Retriever.from_texts(
        [p.text for p in passages], metadatas=[{"label": label[p.article_id]} for p in passages], k=5
    )
    their_recall = statistics.fmean(
        row["intent"] in {d.metadata["label"] for d in theirs.invoke(row["instruction"])} for row in queries
    )
    assert recall_at_5(kb, queries) >= their_recall


def test_coverage_separates_answerable_from_unanswerable(
    bitext: tuple[KnowledgeBase, list[dict[str, str]]], shared_data: Path
) -> None:
    kb, queries = bitext

    def top_coverage(text: str) -> float:
        hits = kb.search(text, k=1)
        return hits[0].coverage if hits else 0.0

    with (shared_data / "giskard_prompt_injections" / "prompt_injections.csv").open(
        encoding="utf-8"
    ) as handle:
        injections = [row["prompt"] for row in csv.DictReader(handle)]
    answerable = statistics.median(top_coverage(row["instruction"]) for row in queries[:300])
    unanswerable = statistics.median(top_coverage(prompt) for prompt in injections)
    assert answerable > 0.6
    assert unanswerable < 0.2
