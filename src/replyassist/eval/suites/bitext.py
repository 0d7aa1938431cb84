"""``bitext``: empathetic style on the Bitext customer-service set (27 intents, 11 categories).

Cases are Bitext customer messages (``instruction``), ``PER_INTENT`` per intent (a seeded,
stratified sample), on email and chat in turn. Bitext tags each message's language variation;
the offensive (``W``), colloquial (``Q``) and noisy (``Z``, typos) ones are kept as tags so
reports can show empathy and tone on the angry and the sloppy messages apart.

The KB is Bitext's own answers: ``KB_PER_INTENT`` responses per intent taken from rows that are
not cases (seeded), one article each, untitled and unlabelled (the intent's name would give the
answer away).
The responses keep Bitext's ``{{placeholders}}`` (``{{Order Number}}``) as the data has them.
A case expects one of its intent's articles (``expect.cite``).

Bitext is synthetic ("hybrid NLG"), not real agents: it tests style on realistic wording, and
the empathy check applies where the signals read the message as negative; "no canned
duplicates" is the run's repeated-openings figure over all drafts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from replyassist.eval.cases import EvalCase, Expectations, Suite
from replyassist.eval.suites._common import BuiltSuite, SuiteInfo
from replyassist.eval.suites._data import bitext_rows
from replyassist.models import Article, Channel, Ticket

__all__ = ["INFO", "build"]

INFO = SuiteInfo(
    name="bitext",
    data=("bitext_customer_support",),
    source="Bitext customer-service LLM training set, earlier 4,514-row release, "
    "github.com/bitext/customer-support-llm-chatbot-training-dataset @8b6ca3d",
    license="CDLA-Sharing-1.0 (Bitext); synthetic data",
    measures="empathetic style: empathy where the message is negative, language, channel format, "
    "repeated openings across drafts (canned replies), recall@5 of an article of the intent",
    kb="Bitext responses of rows that are not cases, 20 per intent, untitled, placeholders kept",
    expectations="cite = any KB article of the message's intent label; language = en; empathy is "
    "checked where the message reads negative (no hand labels)",
)

PER_INTENT = 11
"""Cases per intent in a full build (297 in all)."""

KB_PER_INTENT = 20
"""Responses per intent in the KB."""

_CHANNELS = (Channel.EMAIL, Channel.CHAT)
_FLAGS = {"W": "offensive", "Q": "colloquial", "Z": "typos"}


def build(data: Path, *, limit: int | None = None, seed: int) -> BuiltSuite:
    """Cases and KB drawn per intent with one seeded generator; ``limit`` caps the cases."""
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in bitext_rows(data):
        by_intent[row["intent"]].append(row)
    rng = random.Random(seed)
    chosen: list[tuple[str, dict[str, str]]] = []
    articles: list[Article] = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        order = rng.sample(range(len(rows)), PER_INTENT + KB_PER_INTENT)
        chosen += [(intent, rows[i]) for i in sorted(order[:PER_INTENT])]
        articles += [
            Article(
                id=f"bitext-{intent}-{n}",
                title="",
                body=rows[i]["response"],
                locale="en",
            )
            for n, i in enumerate(sorted(order[PER_INTENT:]), 1)
        ]
    if limit is not None and limit < len(chosen):
        chosen = [chosen[i] for i in sorted(rng.sample(range(len(chosen)), limit))]
    gold = {
        intent: [a.id for a in articles if a.id.rsplit("-", 1)[0] == f"bitext-{intent}"]
        for intent in by_intent
    }
    cases = []
    for n, (intent, row) in enumerate(chosen):
        flags = {name: "yes" for code, name in _FLAGS.items() if code in row["tags"]}
        case_id = f"bitext-{intent}-{n:03d}"
        cases.append(
            EvalCase(
                id=case_id,
                ticket=Ticket.from_text(row["instruction"], channel=_CHANNELS[n % 2], id=case_id),
                expect=Expectations(cite=gold[intent], language="en"),
                tags={
                    "suite": INFO.name,
                    "source": "bitext",
                    "intent": intent,
                    "category": row["category"],
                    "variation": row["tags"],
                    **flags,
                },
            )
        )
    return BuiltSuite(Suite(name=INFO.name, cases=cases, articles=articles, description=INFO.measures))
