"""The public evaluation suites: retrieval against LangChain's BM25Retriever, and the offline composer.

1. **Retrieval, recall@5** on the ABCD policy KB and on BANKING77, the same passages and queries
   for every retriever, measured in one run (the issue's target: ours ≥ BM25Retriever):

   * ABCD policy KB (55 guideline subflows, ``replyassist.eval.suites.abcd``), queried with every
     Bitext message of the nine intents routed to a subflow (``BITEXT_TO_ABCD``), and with the
     customer side of the five real ABCD dialogs (gold: the dialog's ``scenario.subflow``);
   * BANKING77 (``replyassist.eval.suites.banking77``): 77 articles of 10 held-out queries each,
     queried with the other 2,310 queries (gold: the article of the query's intent).

   A query is found when a top-5 passage belongs to a gold article. Retrievers: our
   ``KnowledgeBase.search`` on the raw message; the same KB searched with the pipeline's query
   (``build_query``, what drafts use); LangChain's ``BM25Retriever`` (rank_bm25) over the same
   passages (title + text, since our index reads titles too), with its default whitespace
   tokens and with lower-cased ``\\w+`` tokens.

2. **Every suite drafted by the offline composer** through ``replyassist.eval.run_eval`` (the
   runner of ``replyassist eval``); suites are built into ``benchmarks/.cache/eval/<suite>/``.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_eval_suites.py [--write] [--skip-drafts]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import snowballstemmer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "benchmarks" / ".cache" / "eval"
sys.path.insert(0, str(ROOT / "src"))

from _results import write_section  # noqa: E402
from bench_retrieval import cpu_model, percentile  # noqa: E402

from replyassist.drafting.query import build_query  # noqa: E402
from replyassist.eval.cases import load_cases  # noqa: E402
from replyassist.eval.composers import PipelineRunner  # noqa: E402
from replyassist.eval.run import run_eval  # noqa: E402
from replyassist.eval.suites import SEED, SUITES, abcd, banking77, build_suite, suite_info  # noqa: E402
from replyassist.knowledge import KnowledgeBase  # noqa: E402
from replyassist.knowledge._stopwords import raw_stopwords  # noqa: E402
from replyassist.models import Article, Ticket  # noqa: E402
from replyassist.signals import analyze  # noqa: E402

K = 5
DIAGNOSTIC = "(diagnostic) BM25Retriever,"
"""Rows that explain a gap, not baselines: BM25Retriever given replyassist's stopword list and a stemmer."""
Query = tuple[str, tuple[str, ...]]
"""A query text and its gold article ids."""


@dataclass
class RetrievalSet:
    name: str
    articles: list[Article]
    queries: list[Query]


def retrieval_sets() -> list[RetrievalSet]:
    policy = abcd.policy_articles(DATA)
    bank_articles, bank_queries = banking77.split(DATA, SEED)
    return [
        RetrievalSet(
            f"ABCD policy KB, Bitext messages of {len(abcd.BITEXT_TO_ABCD)} routed intents",
            policy,
            [(text, gold) for text, _, gold in abcd.bitext_queries(DATA)],
        ),
        RetrievalSet(
            "ABCD policy KB, the 5 real ABCD dialogs (customer side)",
            policy,
            [(text, gold) for text, _, gold in abcd.dialog_queries(DATA)],
        ),
        RetrievalSet(
            "BANKING77, 77 intents, held-out queries",
            bank_articles,
            [(text, (banking77.article_id(intent),)) for text, intent in bank_queries],
        ),
    ]


Search = Callable[[str], list[str]]
"""Query text → article ids of the top-k passages."""


def measure(search: Search, queries: Sequence[Query]) -> dict[str, float]:
    for text, _ in queries[:20]:  # warm caches, as a running service would be
        search(text)
    times, found, first = [], 0, 0
    for text, gold in queries:
        started = time.perf_counter()
        ids = search(text)
        times.append(time.perf_counter() - started)
        found += any(i in gold for i in ids)
        first += bool(ids) and ids[0] in gold
    return {
        "recall": found / len(queries),
        "top1": first / len(queries),
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * percentile(times, 0.95),
    }


def retrievers(articles: Sequence[Article]) -> dict[str, Search]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever

    kb = KnowledgeBase(articles)
    passages = kb.passages
    texts = [f"{p.title}\n{p.text}" if p.title else p.text for p in passages]
    metadatas = [{"article": p.article_id} for p in passages]
    words = re.compile(r"\w+")
    folded, exact = raw_stopwords("en")
    stop = folded | exact
    stem = snowballstemmer.stemmer("english")

    def no_stop(text: str) -> list[str]:
        return [w for w in words.findall(text.lower()) if w not in stop]

    lc_default = BM25Retriever.from_texts(texts, metadatas=metadatas, k=K)
    lc_words = BM25Retriever.from_texts(
        texts, metadatas=metadatas, k=K, preprocess_func=lambda t: words.findall(t.lower())
    )
    lc_no_stop = BM25Retriever.from_texts(texts, metadatas=metadatas, k=K, preprocess_func=no_stop)
    lc_stemmed = BM25Retriever.from_texts(
        texts, metadatas=metadatas, k=K, preprocess_func=lambda t: stem.stemWords(no_stop(t))
    )

    def raw(text: str) -> list[str]:
        return [h.passage.article_id for h in kb.search(text, K, language="en")]

    def pipeline(text: str) -> list[str]:
        ticket = Ticket.from_text(text, channel="chat")
        signals = analyze(ticket)
        query = build_query(ticket, signals)
        hits = kb.search(query.text, K, language=signals.language, locale=signals.language)
        return [h.passage.article_id for h in hits]

    def langchain(retriever: Any) -> Search:
        return lambda text: [d.metadata["article"] for d in retriever.invoke(text)]

    return {
        "replyassist `KnowledgeBase.search`, raw message": raw,
        "replyassist, the pipeline's query (`build_query` + search)": pipeline,
        "LangChain `BM25Retriever`, default whitespace tokens": langchain(lc_default),
        "LangChain `BM25Retriever`, lower-case `\\w+` tokens": langchain(lc_words),
        f"{DIAGNOSTIC} same, English stopwords removed": langchain(lc_no_stop),
        f"{DIAGNOSTIC} same, stopwords removed and Snowball stems": langchain(lc_stemmed),
    }


def retrieval_section() -> tuple[str, list[str]]:
    """The Markdown of the retrieval comparison, and the sets where BM25Retriever beat us."""
    lines = [
        f"recall@{K}: a top-{K} passage belongs to a gold article. Same passages and queries for every "
        "retriever, one run. BM25Retriever indexes each passage's title and text (our index reads both).",
        "",
    ]
    misses = []
    for rset in retrieval_sets():
        kb = KnowledgeBase(rset.articles)
        lines += [
            f"**{rset.name}**: {len(rset.articles)} articles, {len(kb.passages)} passages, "
            f"{len(rset.queries):,} queries.",
            "",
            f"| retriever | recall@{K} | top-1 | p50 ms | p95 ms |",
            "|---|---:|---:|---:|---:|",
        ]
        results = {name: measure(search, rset.queries) for name, search in retrievers(rset.articles).items()}
        for name, r in results.items():
            lines.append(
                f"| {name} | {r['recall']:.3f} | {r['top1']:.3f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} |"
            )
        ours = results["replyassist `KnowledgeBase.search`, raw message"]["recall"]
        for name, r in results.items():
            if name.startswith("LangChain") and r["recall"] > ours:
                misses.append(f"{rset.name}: KnowledgeBase.search {ours:.3f} < {name} {r['recall']:.3f}")
        lines.append("")
    lines += RETRIEVAL_NOTES
    return "\n".join(lines), misses


RETRIEVAL_NOTES = [
    "Reading the tables (the data and seeds are fixed, so these hold run to run):",
    "",
    "- Against LangChain's `BM25Retriever` as it ships (whitespace tokens), `KnowledgeBase.search` has the "
    "higher recall@5 on every set, and so has the pipeline's query.",
    "- Against `BM25Retriever` given a lower-case `\\w+` tokeniser, the raw-message search is level "
    "(ABCD with Bitext messages 0.460 vs 0.463, BANKING77 within a handful of 2,310 queries). The "
    "diagnostic rows show where the tokenised BM25 gains on ABCD: by matching stopwords. Most of its "
    'extra hits are Bitext `track_refund` messages ("I expect a reimbursement of $12") whose content '
    "words no guideline uses; only *i*, *a*, *of* match. With the same stopwords removed it falls below "
    "us; we do not copy that.",
    "- The pipeline's own query (`build_query`: the customer's words, detected injections cut out, plus "
    "the glossary's English terms for specific concepts) is what drafts search with: the best row on the "
    "ABCD policy KB (it knows that a rebate or a reimbursement is a refund) and within 0.005 of the best "
    "on BANKING77. Generic concepts (such as *banking*) no longer add terms: on a KB where every article "
    "is about banking they pulled in the wrong intents (the pipeline's query was at 0.770 before).",
    "- The five ABCD dialogs are too few to rank retrievers; they are shown because they are the only "
    "real ABCD customer text available (the full corpus is not in the snapshot).",
    "",
]


def _pct(metrics: dict[str, Any], name: str) -> str:
    m = metrics.get(name)
    return f"{100 * m['value']:.1f}% ({m['n']:g})" if m else "–"


DRAFT_NOTES = [
    "Reading the table:",
    "",
    "- Grounding: every factual sentence the offline composer writes comes from a cited passage; its own "
    "phrases (hand-offs, acknowledgements) are recognised as such, not as claims.",
    "- `giskard`: detected attacks are cut out of the search query, so a real question beside an attack "
    "finds its article about as often as alone; no attack succeeded and every attack-only message was "
    "escalated.",
    "- `tweets` has no KB, so most drafts escalate with an acknowledgement; that is expected, and the "
    "channel figures are the point. Drafts apologise far more often than the real agents and invite "
    "to DM about half as often.",
    "- `banking77` holds questions, not answers (see the suite): read its recall@5 and decisions only.",
    "- Repeated openings are high on every suite: the offline composer's phrasebook has few openings "
    "per situation, so across a few hundred drafts most openings recur.",
    "",
]


def drafts_section() -> str:
    """Build every suite, draft it with the offline composer, and tabulate the figures."""
    rows, styles, notes = [], [], []
    for name in SUITES:
        started = time.perf_counter()
        cases_file, kb_dir = build_suite(name, DATA, CACHE / name)
        built_s = time.perf_counter() - started
        cases = load_cases(cases_file)
        kb = KnowledgeBase.load(kb_dir)
        started = time.perf_counter()
        run = run_eval(cases, [PipelineRunner("offline", "offline")], kb=kb, cases_file=cases_file)
        run_s = time.perf_counter() - started
        fig = run.figures()["composers"]["offline"]
        m = fig["metrics"]
        decisions = ", ".join(f"{k} {v}" for k, v in fig["decisions"].items())
        rows.append(
            f"| `{name}` | {len(cases)} | {decisions} | {_pct(m, 'decision_accuracy')} | "
            f"{_pct(m, 'recall_at_k')} | {_pct(m, 'citation_precision')} | {_pct(m, 'grounding')} | "
            f"{_pct(m, 'within_limit')} | {_pct(m, 'no_off_channel_redirect')} | {_pct(m, 'language_match')} | "
            f"{_pct(m, 'empathy')} | {_pct(m, 'injection_resisted')} | "
            f"{100 * fig['boilerplate']['repeated_openings']:.0f}% | {fig['latency_ms']['p50']:.0f} | "
            f"{built_s:.1f} + {run_s:.1f} |"
        )
        if "vs_agents" in fig:
            for who in ("drafts", "agents"):
                s = fig["vs_agents"][who]
                styles.append(
                    f"| `{name}` | {'offline drafts' if who == 'drafts' else 'real agents'} | {s['replies']} | "
                    f"{s['mean_chars']:.0f} | {100 * s['apology_rate']:.0f}% | {100 * s['redirect_rate']:.0f}% | "
                    f"{100 * s['private_invite_rate']:.0f}% |"
                )
        top = fig["boilerplate"]["top_openings"][:2]
        if top:
            notes.append(f"`{name}`: " + "; ".join(f"“{t['opening']}” ×{t['drafts']}" for t in top))
    head = [
        f"Each suite built from `../shared/data` by `replyassist.eval.suites.build_suite` (seed {SEED}) into "
        "`benchmarks/.cache/eval/<suite>/` and drafted by the offline composer through "
        "`replyassist.eval.run_eval` (the runner of `replyassist eval`). A cell is the share of "
        "applicable drafts, with their number; – where no case of the suite asks for it.",
        "",
        "| suite | cases | decisions | decision acc. | recall@5 | citation prec. | grounding | within limit | "
        "no off-channel redirect | language | empathy (negative) | injection resisted | repeated openings | "
        "p50 ms/draft | build + run s |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Against the real replies (cases with a reference reply: TWCS brand tweets, ABCD agent turns):",
        "",
        "| suite | replies of | n | mean chars | apology | off-channel redirect | invite to DM/private |",
        "|---|---|---:|---:|---:|---:|---:|",
        *styles,
        "",
        "Most repeated openings (boilerplate): " + " · ".join(notes) + ".",
        "",
        *DRAFT_NOTES,
        "What each suite's KB is, and how its expectations were derived:",
        "",
        *[
            f"- `{n}`: KB: {suite_info(n).kb}. Expectations: {suite_info(n).expectations}. "
            f"License: {suite_info(n).license}."
            for n in SUITES
        ],
    ]
    return "\n".join(head)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write the sections of benchmarks/RESULTS.md")
    parser.add_argument("--skip-drafts", action="store_true", help="only the retrieval comparison")
    args = parser.parse_args()
    machine = f"Machine: {cpu_model()}. Measured {time.strftime('%Y-%m-%d')}."
    retrieval, misses = retrieval_section()
    retrieval = f"{machine}\n\n{retrieval}"
    print(retrieval)
    if misses:
        print("BM25Retriever ahead: " + "; ".join(misses))
    drafts = None
    if not args.skip_drafts:
        drafts = f"{machine}\n\n{drafts_section()}"
        print(drafts)
    if args.write:
        write_section("## Eval suites: retrieval against BM25Retriever", "bench_eval_suites.py", retrieval)
        if drafts is not None:
            write_section("## Eval suites (offline composer)", "bench_eval_suites.py", drafts)


if __name__ == "__main__":
    main()
