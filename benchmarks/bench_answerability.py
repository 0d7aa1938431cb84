"""Query understanding: does the right article come back, and does the drafter know when the KB answers?

Data:

* ``tests/data/kb_questions.jsonl``: customer questions written for the sample KB (``examples/kb``) in
  twelve languages, chatty and terse, some with typos, each with its gold article(s); and questions
  the KB does not answer (jobs, rentals, sponsorships, banking, product specs…), also multilingual,
  some sharing words with the KB ("club", "card", "password", "renew"). Every row carries its half:
  ``tune`` (used while building the glossary and the criterion) or ``test`` (held out).
* BANKING77 (``../shared/data/banking77``, real online-banking queries): the first six queries of each
  of 46 intents a retail shop's KB cannot answer (ATM, top-ups, transfers, exchange rates, PINs…);
  intents a shop could answer (refunds, double charges, declined payments, Apple Pay, closing an
  account…) are left out. Even rows of each intent are ``tune``, odd rows ``test``.
* Bitext customer-support set (``../shared/data/bitext_customer_support``, synthetic but not written
  for this KB, with typos and colloquial variants): eight instructions per intent, evenly spaced in
  the file. 14 intents the sample KB answers (cancel order → cancel-order, recover password →
  password-reset…) and 9 it does not (invoices, creating or switching accounts, placing an order,
  reviews, complaints, sign-up problems…); 4 ambiguous intents are left out. This source was added
  after the criterion was settled; its tune half was then read to fill gaps in the glossary's English
  (payment problems, "bill", "how soon can I expect…"), and its test half is held out.

Each question goes through what the pipeline does: ``analyze`` → query → ``KnowledgeBase.search``
(k = 5) → which hits answer. Three set-ups are compared:

* **before**: the last customer message searched as it is; a hit answers when its lexical
  ``coverage`` ≥ 0.4 (the pipeline before ``replyassist.drafting.query``);
* **no expansion**: ``build_query(..., expand=False)`` (the ask weighed, no glossary terms added);
* **query understanding**: ``build_query`` + ``answering_hits`` with the default ``Policy.min_coverage``.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_answerability.py [--write] [--failures tune]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
QUESTIONS = ROOT / "tests" / "data" / "kb_questions.jsonl"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "## Query understanding"
sys.path.insert(0, str(ROOT / "src"))

from _results import write_section  # noqa: E402

from replyassist.drafting import _glossary  # noqa: E402
from replyassist.drafting import query as query_module  # noqa: E402
from replyassist.drafting.query import answering_hits, build_query  # noqa: E402
from replyassist.knowledge import KnowledgeBase  # noqa: E402
from replyassist.models import SearchHit, Signals, Ticket  # noqa: E402
from replyassist.policy import Policy  # noqa: E402
from replyassist.signals import analyze  # noqa: E402

K = 5
OLD_MIN_COVERAGE = 0.4
BANKING_PER_INTENT = 6
# BANKING77 intents a retail shop's KB cannot answer. Left out on purpose, because a shop KB may
# answer them: Refund_not_showing_up, request_refund, transaction_charged_twice, declined_card_payment,
# pending_card_payment, card_payment_not_recognised, apple_pay_or_google_pay, visa_or_mastercard,
# supported_cards_and_currencies, terminate_account, edit_personal_details, passcode_forgotten,
# lost_or_stolen_phone, compromised_card, country_support, card_arrival, card_delivery_estimate,
# extra_charge_on_statement, card_payment_fee_charged, card_payment_wrong_exchange_rate, age_limit,
# card_acceptance, contactless_not_working, card_not_working, lost_or_stolen_card, fiat_currency_support,
# reverted_card_payment?, direct_debit_payment_not_recognised, verify_my_identity, why_verify_identity,
# unable_to_verify_identity.
BANKING_OFF_TOPIC = [
    "activate_my_card",
    "atm_support",
    "automatic_top_up",
    "balance_not_updated_after_bank_transfer",
    "balance_not_updated_after_cheque_or_cash_deposit",
    "beneficiary_not_allowed",
    "cancel_transfer",
    "card_about_to_expire",
    "card_linking",
    "card_swallowed",
    "cash_withdrawal_charge",
    "cash_withdrawal_not_recognised",
    "change_pin",
    "declined_cash_withdrawal",
    "declined_transfer",
    "disposable_card_limits",
    "exchange_charge",
    "exchange_rate",
    "exchange_via_app",
    "failed_transfer",
    "get_disposable_virtual_card",
    "get_physical_card",
    "getting_spare_card",
    "getting_virtual_card",
    "order_physical_card",
    "pending_cash_withdrawal",
    "pending_top_up",
    "pending_transfer",
    "pin_blocked",
    "receiving_money",
    "top_up_by_bank_transfer_charge",
    "top_up_by_card_charge",
    "top_up_by_cash_or_cheque",
    "top_up_failed",
    "top_up_limits",
    "top_up_reverted",
    "topping_up_by_card",
    "transfer_fee_charged",
    "transfer_into_account",
    "transfer_not_received_by_recipient",
    "transfer_timing",
    "verify_source_of_funds",
    "verify_top_up",
    "virtual_card_not_working",
    "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal",
]


@dataclass
class Question:
    id: str
    text: str
    lang: str
    split: str
    answerable: bool
    articles: list[str]
    source: str = "written"


@dataclass
class Outcome:
    question: Question
    top3: list[str]
    answered: bool
    answering: list[str] = field(default_factory=list)


def load_questions() -> list[Question]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        Question(r["id"], r["text"], r["lang"], r["split"], bool(r["answerable"]), list(r["articles"]))
        for r in rows
    ]


def banking_negatives() -> list[Question]:
    per_intent: dict[str, list[str]] = defaultdict(list)
    with (DATA / "banking77" / "test.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in BANKING_OFF_TOPIC and len(per_intent[row["category"]]) < BANKING_PER_INTENT:
                per_intent[row["category"]].append(row["text"])
    return [
        Question(f"b77-{intent}-{i}", text, "en", "tune" if i % 2 == 0 else "test", False, [], "banking77")
        for intent, texts in per_intent.items()
        for i, text in enumerate(texts)
    ]


BITEXT_PER_INTENT = 8
# intent → gold articles of the sample KB; [] when the KB does not answer it. Left out as ambiguous:
# delivery_options, newsletter_subscription, check_cancellation_fee, change_order.
BITEXT_GOLD: dict[str, list[str]] = {
    "cancel_order": ["cancel-order"],
    "track_order": ["order-tracking", "delayed-or-lost-parcel"],
    "delivery_period": ["shipping-times", "order-tracking"],
    "change_shipping_address": ["change-address"],
    "set_up_shipping_address": ["change-address"],
    "check_payment_methods": ["payment-methods"],
    "payment_issue": ["payment-methods"],
    "get_refund": ["refunds", "returns"],
    "track_refund": ["refunds"],
    "check_refund_policy": ["refunds", "returns"],
    "recover_password": ["password-reset"],
    "delete_account": ["delete-account-privacy"],
    "contact_customer_service": ["contact-us"],
    "contact_human_agent": ["contact-us"],
    "check_invoice": [],
    "get_invoice": [],
    "create_account": [],
    "edit_account": [],
    "switch_account": [],
    "registration_problems": [],
    "place_order": [],
    "review": [],
    "complaint": [],
}


def bitext_questions() -> list[Question]:
    path = DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    per_intent: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["intent"] in BITEXT_GOLD:
                per_intent[row["intent"]].append(row["instruction"].strip())
    out = []
    for intent, texts in per_intent.items():
        step = max(1, len(texts) // BITEXT_PER_INTENT)
        for i, text in enumerate(texts[::step][:BITEXT_PER_INTENT]):
            gold = BITEXT_GOLD[intent]
            split = "tune" if i % 2 == 0 else "test"
            out.append(Question(f"bitext-{intent}-{i}", text, "en", split, bool(gold), gold, "bitext"))
    return out


def distinct_articles(hits: Sequence[SearchHit], n: int) -> list[str]:
    return list(dict.fromkeys(h.passage.article_id for h in hits))[:n]


Setup = Callable[[Ticket, Signals, KnowledgeBase], tuple[list[SearchHit], list[SearchHit]]]


def before(ticket: Ticket, signals: Signals, kb: KnowledgeBase) -> tuple[list[SearchHit], list[SearchHit]]:
    hits = kb.search(ticket.messages[-1].body, K, language=signals.language, locale=signals.language)
    return hits, [h for h in hits if h.coverage >= OLD_MIN_COVERAGE]


def understanding(expand: bool) -> Setup:
    min_coverage = Policy().min_coverage

    def run(ticket: Ticket, signals: Signals, kb: KnowledgeBase) -> tuple[list[SearchHit], list[SearchHit]]:
        query = build_query(ticket, signals, expand=expand)
        hits = kb.search(query.text, K, language=signals.language, locale=signals.language)
        return hits, answering_hits(query, hits, min_coverage)

    return run


def evaluate(questions: Sequence[Question], kb: KnowledgeBase, setup: Setup) -> list[Outcome]:
    outcomes = []
    for q in questions:
        ticket = Ticket.from_text(q.text, channel="chat")
        signals = analyze(ticket)
        hits, answering = setup(ticket, signals, kb)
        outcomes.append(
            Outcome(q, distinct_articles(hits, 3), bool(answering), distinct_articles(answering, K))
        )
    return outcomes


@dataclass
class Scores:
    recall3: float
    accuracy: float
    precision: float
    recall: float
    answered_right: float
    escalated: float
    escalated_banking: float
    n_pos: int
    n_neg: int
    n_bank: int


def pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else float("nan")


def score(outcomes: Sequence[Outcome]) -> Scores:
    """Answerable questions should be answered, the others escalated; BANKING77 rows are counted apart."""
    pos = [o for o in outcomes if o.question.answerable]
    neg = [o for o in outcomes if not o.question.answerable and o.question.source != "banking77"]
    bank = [o for o in outcomes if o.question.source == "banking77"]
    hit3 = sum(any(a in o.question.articles for a in o.top3) for o in pos)
    tp = sum(o.answered for o in pos)
    fp = sum(o.answered for o in neg + bank)
    right = sum(any(a in o.question.articles for a in o.answering) for o in pos)
    correct = tp + sum(not o.answered for o in neg + bank)
    return Scores(
        recall3=pct(hit3, len(pos)),
        accuracy=pct(correct, len(pos) + len(neg) + len(bank)),
        precision=pct(tp, tp + fp),
        recall=pct(tp, len(pos)),
        answered_right=pct(right, len(pos)),
        escalated=pct(sum(not o.answered for o in neg), len(neg)),
        escalated_banking=pct(sum(not o.answered for o in bank), len(bank)),
        n_pos=len(pos),
        n_neg=len(neg),
        n_bank=len(bank),
    )


def timings(questions: Sequence[Question], kb: KnowledgeBase) -> dict[str, list[float]]:
    """Per-message times in microseconds.

    *first sight*: the text (or the passages) not seen before, as for a new ticket; *again*: the same
    ticket a second time, as the pipeline does when it judges the hits (the concept reading is cached).
    """
    min_coverage = Policy().min_coverage
    out: dict[str, list[float]] = defaultdict(list)
    _glossary.read.cache_clear()
    query_module._profile.cache_clear()
    for q in questions:
        ticket = Ticket.from_text(q.text, channel="chat")
        signals = analyze(ticket)
        t0 = time.perf_counter()
        query = build_query(ticket, signals)
        t1 = time.perf_counter()
        build_query(ticket, signals)
        t2 = time.perf_counter()
        hits = kb.search(query.text, K, language=signals.language, locale=signals.language)
        t3 = time.perf_counter()
        answering_hits(query, hits, min_coverage)
        t4 = time.perf_counter()
        answering_hits(query, hits, min_coverage)
        t5 = time.perf_counter()
        out["build_query, first sight"].append((t1 - t0) * 1e6)
        out["build_query, again"].append((t2 - t1) * 1e6)
        out["KnowledgeBase.search (for scale)"].append((t3 - t2) * 1e6)
        out["answering_hits, passages cached or not (a fresh process)"].append((t4 - t3) * 1e6)
        out["answering_hits, again"].append((t5 - t4) * 1e6)
    return out


def cold_first_query() -> float:
    """Milliseconds for the first build_query in a fresh interpreter (loads the glossary)."""
    code = (
        "import time,sys; sys.path.insert(0,'src');"
        "from replyassist.models import Ticket;from replyassist.drafting.query import build_query;"
        "t=Ticket.from_text('Can my husband pick up my order?');t0=time.perf_counter();build_query(t);"
        "print((time.perf_counter()-t0)*1000)"
    )
    runs = [
        float(subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True)) for _ in range(3)
    ]
    return min(runs)


def by_language(outcomes: Sequence[Outcome]) -> dict[str, tuple[int, int, int, int, int]]:
    """Per language: (answerable, gold in top 3, answered right, unanswerable escalated / total)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for o in outcomes:
        if o.question.source != "written":
            continue
        row = table[o.question.lang]
        if o.question.answerable:
            row[0] += 1
            row[1] += any(a in o.question.articles for a in o.top3)
            row[2] += any(a in o.question.articles for a in o.answering)
        else:
            row[3] += not o.answered
            row[4] += 1
    return {lang: (r[0], r[1], r[2], r[3], r[4]) for lang, r in table.items()}


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


NOTES = [
    "How it works (`replyassist.drafting.query`): a glossary of about 150 support concepts with forms in 12 "
    "languages finds what the customer asks about. The search text is the customer's words (the asking sentences "
    "twice when a story surrounds them) plus the English canonical terms of the concepts found (twice for a "
    "specific concept of a non-English ask). A hit answers when the retrieved passages together cover at least "
    "`min_coverage` of the ask's three weightiest concepts — a concept counts fully where a passage is *about* it "
    "(title, heading, label, or named twice) and a quarter where it is named once in passing — plus, for a short "
    "ask and passages in its language, its words no concept explains; and one passage must be about a specific "
    "topic of the ask, not only about generic words (order, card, email).",
    "",
    "`min_coverage` = 0.65 was read off the tune half: written unanswerable questions there score at most 0.60, "
    'answerable ones at least 0.60, most above 0.85. It escalates "one topic covered, a second topic only named '
    'in passing" (0.625) and answers "one topic covered, a generic word not" (0.77).',
    "",
    "Doubts: the same person wrote the questions and the glossary; the tune half was read question by question, "
    "the test half only as the totals above (seen a few times while developing). Besides the benchmark's rows, "
    "other BANKING77 and Bitext rows (not in either half) served as development data for the English glossary. "
    "Some BANKING77 queries left in are close to shop questions (a card about to expire, a PIN, a transaction to "
    "cancel): they count as errors when answered. The 28 sample tickets (`examples/tickets`) all get the "
    "decision they expect through `draft_reply`.",
]


def table(
    results: dict[str, dict[str, list[Outcome]]], source: Callable[[Question], bool], banking: bool
) -> list[str]:
    head = "| set-up | half | recall@3 | accuracy | answered: precision | answered: recall | answered with a gold article | unanswerable escalated |"
    rule = "|---|---|---:|---:|---:|---:|---:|---:|"
    if banking:
        head += " BANKING77 escalated | accuracy without BANKING77 |"
        rule += "---:|---:|"
    lines = [head, rule]
    for name, halves in results.items():
        for half, outcomes in halves.items():
            s = score([o for o in outcomes if source(o.question)])
            counts = f"{s.n_pos}+{s.n_neg}" + (f"+{s.n_bank}" if banking else "")
            row = (
                f"| {name} | {half} ({counts}) | {s.recall3:.1f}% | {s.accuracy:.1f}% | {s.precision:.1f}% | "
                f"{s.recall:.1f}% | {s.answered_right:.1f}% | {s.escalated:.1f}% |"
            )
            if banking:
                written = score(
                    [o for o in outcomes if source(o.question) and o.question.source != "banking77"]
                )
                row += f" {s.escalated_banking:.1f}% | {written.accuracy:.1f}% |"
            lines.append(row)
    return lines


def report(
    results: dict[str, dict[str, list[Outcome]]], times: dict[str, list[float]], cold_ms: float
) -> str:
    lines = [
        f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')}. Sample KB: `examples/kb` (40 articles, "
        "33 English). Every question goes through `analyze` → query → `KnowledgeBase.search` (k = 5) → answering "
        f"hits, with the default `Policy.min_coverage` ({Policy().min_coverage}). *before*: the raw last message "
        f"searched, a hit answers when its lexical coverage ≥ {OLD_MIN_COVERAGE} (the pipeline before this module).",
        "",
        "**Written questions** (`tests/data/kb_questions.jsonl`, 12 languages) **+ BANKING77** queries of "
        f"{len(BANKING_OFF_TOPIC)} intents a shop cannot answer. *tune*: the half looked at while writing the "
        "glossary and choosing the criterion; *test*: held out. Counts: answerable + unanswerable written + BANKING77.",
        "",
        *table(results, lambda q: q.source != "bitext", banking=True),
        "",
        "**Bitext** instructions (English, real public data not written for this KB, typos and colloquial "
        f"variants; {len(BITEXT_GOLD)} intents mapped to the KB, {sum(1 for g in BITEXT_GOLD.values() if not g)} "
        "of them unanswerable). Added after the criterion was settled; its *tune* half then served to fill gaps "
        "in the glossary's English, its *test* half is held out. Counts: answerable + unanswerable.",
        "",
        *table(results, lambda q: q.source == "bitext", banking=False),
        "",
        "Accuracy counts a question right when it is answered (answerable) or escalated (not answerable); "
        "*answered with a gold article*: the answering passages include a gold article.",
        "",
        "Per language, written questions, both halves, with query understanding:",
        "",
        "| language | answerable | gold in top 3 | answered with a gold article | unanswerable escalated |",
        "|---|---:|---:|---:|---:|",
    ]
    full = [o for outcomes in results["query understanding"].values() for o in outcomes]
    for lang, (n, top, right, esc, neg) in sorted(by_language(full).items()):
        lines.append(f"| {lang} | {n} | {top} | {right} | {esc}/{neg} |")
    lines += [
        "",
        "Speed per message (µs), same machine. *first sight*: a text (or passages) not seen before; *again*: the "
        "same ticket once more, as the pipeline does when it judges the hits (readings are cached):",
        "",
        "| step | p50 | p95 | mean |",
        "|---|---:|---:|---:|",
    ]
    for step, values in times.items():
        ordered = sorted(values)
        lines.append(
            f"| {step} | {statistics.median(ordered):.0f} | {ordered[int(0.95 * (len(ordered) - 1))]:.0f} | "
            f"{statistics.fmean(ordered):.0f} |"
        )
    lines += [
        "",
        f"First `build_query` in a fresh interpreter (reads and indexes `concepts.json`, once): {cold_ms:.1f} ms. "
        "`import replyassist` does not load the glossary.",
        "",
        *NOTES,
    ]
    return "\n".join(lines)


def show_failures(outcomes: Sequence[Outcome]) -> None:
    for o in outcomes:
        q = o.question
        miss3 = q.answerable and not any(a in q.articles for a in o.top3)
        wrong = o.answered != q.answerable
        if miss3 or wrong:
            flag = (
                ("MISS3 " if miss3 else "")
                + ("ANSWERED " if o.answered and not q.answerable else "")
                + ("ESCALATED " if q.answerable and not o.answered else "")
            )
            print(
                f"{flag:<20} {q.id:<28} {q.text[:80]!r} gold={q.articles} top3={o.top3} answering={o.answering}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f'update "{SECTION}" in benchmarks/RESULTS.md')
    parser.add_argument("--failures", choices=["tune", "test"], help="list the misses of one half")
    args = parser.parse_args()
    kb = KnowledgeBase.from_directory(ROOT / "examples" / "kb")
    questions = load_questions() + banking_negatives() + bitext_questions()
    setups: dict[str, Setup] = {
        "before": before,
        "no expansion": understanding(expand=False),
        "query understanding": understanding(expand=True),
    }
    results: dict[str, dict[str, list[Outcome]]] = {}
    for name, setup in setups.items():
        results[name] = {
            half: evaluate([q for q in questions if q.split == half], kb, setup) for half in ("tune", "test")
        }
    if args.failures:
        show_failures(results["query understanding"][args.failures])
        return
    text = report(results, timings(questions, kb), cold_first_query())
    print(text)
    if args.write:
        write_section(SECTION, "bench_answerability.py", text)


if __name__ == "__main__":
    main()
