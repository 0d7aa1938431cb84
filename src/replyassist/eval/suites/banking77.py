"""``banking77``: routing real online-banking queries to the article of their intent (PolyAI).

BANKING77 has queries and intent labels, no answers; an article per intent written from the
intent's name alone would be our text, not the data's, and would make routing a matter of
matching the label's words. So the KB is made of the data itself: for each of the 77 intents,
``KB_EXAMPLES`` of its 40 queries (a seeded choice) are held out and become that intent's
article, one query per line and no title, like the "questions this article answers" list of a
help-center FAQ. The other 30 queries per intent are the cases, each expecting its intent's
article (``expect.cite``): recall@5 says whether a query finds the article of its intent among
other customers' wordings of all 77 intents.

What this suite does **not** measure: answer quality. The articles hold questions, not answers;
a draft can only quote them, and the pipeline's answerability check should mostly escalate.
Read its recall@5 and decision mix, not its grounding or empathy figures.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from replyassist.eval.cases import EvalCase, Expectations, Suite
from replyassist.eval.suites._common import BuiltSuite, SuiteInfo
from replyassist.eval.suites._data import banking77_categories, banking77_rows, sample
from replyassist.models import Article, Channel, Ticket

__all__ = ["INFO", "KB_EXAMPLES", "article_id", "build", "split"]

INFO = SuiteInfo(
    name="banking77",
    data=("banking77",),
    source="BANKING77 (PolyAI), github.com/PolyAI-LDN/task-specific-datasets @57ec275, "
    "banking_data/test.csv and categories.json",
    license="CC BY 4.0 (PolyAI)",
    measures="routing: recall@5 of the intent's article for real online-banking queries (77 intents); "
    "not answer quality (the KB holds example questions, not answers)",
    kb="77 articles, one per intent, each the intent's held-out example queries (10 of its 40, seeded), "
    "untitled; nothing written by us",
    expectations="cite = the article of the query's intent label; language = en",
)

KB_EXAMPLES = 10
"""Queries per intent held out as that intent's article."""

QUERIES_PER_INTENT = 4
"""Cases per intent in a full build (308 in all)."""


def article_id(intent: str) -> str:
    return f"banking77-{intent}"


def split(data: Path, seed: int) -> tuple[list[Article], list[tuple[str, str]]]:
    """The KB (one article per intent) and every other query as (text, intent), intents in
    ``categories.json`` order, queries in file order."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for row in banking77_rows(data):
        by_intent[row["category"]].append(row["text"].strip())
    rng = random.Random(seed)
    articles: list[Article] = []
    queries: list[tuple[str, str]] = []
    for intent in banking77_categories(data):
        texts = by_intent[intent]
        held = set(rng.sample(range(len(texts)), min(KB_EXAMPLES, len(texts))))
        body = "\n".join(texts[i] for i in sorted(held))
        articles.append(Article(id=article_id(intent), title="", body=body, locale="en"))
        queries += [(text, intent) for i, text in enumerate(texts) if i not in held]
    return articles, queries


def build(data: Path, *, limit: int | None = None, seed: int) -> BuiltSuite:
    """``QUERIES_PER_INTENT`` queries per intent (seeded), cut to ``limit`` cases if given."""
    articles, queries = split(data, seed)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in queries:
        by_intent[intent].append(text)
    rng = random.Random(seed)
    cases = [
        EvalCase(
            id=f"banking77-{intent}-{n}",
            ticket=Ticket.from_text(text, channel=Channel.CHAT, id=f"banking77-{intent}-{n}"),
            expect=Expectations(cite=[article_id(intent)], language="en"),
            tags={"suite": INFO.name, "source": "banking77", "intent": intent},
        )
        for intent, texts in by_intent.items()
        for n, text in enumerate(sample(texts, QUERIES_PER_INTENT, rng), 1)
    ]
    cases = sample(cases, limit, random.Random(seed))
    return BuiltSuite(Suite(name=INFO.name, cases=cases, articles=articles, description=INFO.measures))
