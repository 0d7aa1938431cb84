"""Retrieval benchmark: replyassist's KnowledgeBase against LangChain's BM25Retriever.

Data (real, from ``../shared/data``):

* Bitext customer-support set (4,514 rows, 27 intents). Rows are shuffled with a fixed seed and
  split in two halves. The *responses* of half A become KB articles (gold label: the intent);
  the *instructions* of half B are the queries. A query is answered when one of the top-5
  passages comes from an article of the same intent.
* Padding up to 20,000 passages with other real support text: ABCD agent guidelines and dialog
  turns, BANKING77 customer queries and customer-support tweets (TWCS sample), recombined a
  few sentences at a time (fixed seed) since there is not 17,000 passages' worth of it.

Both retrievers index exactly the same passages (the KnowledgeBase's own chunks) and answer
the same queries in one run. Run: ``python benchmarks/bench_retrieval.py [--queries N]``.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from replyassist.eval.suites import _data as data  # noqa: E402
from replyassist.knowledge import KnowledgeBase  # noqa: E402
from replyassist.models import Article  # noqa: E402

TARGET_PASSAGES = 20_000
K = 5
SEED = 7
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def split_bitext(seed: int = SEED) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Half A (articles) and half B (queries), shuffled with a fixed seed."""
    rows = data.bitext_rows(DATA)
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    half = len(rows) // 2
    return [rows[i] for i in order[:half]], [rows[i] for i in order[half:]]


def bitext_articles(rows: Sequence[dict[str, str]]) -> list[Article]:
    # No title: a Bitext row has none, and the intent name would give the answer away.
    return [
        Article(id=f"bitext-{i}", title="", body=row["response"], locale="en", labels=[row["intent"]])
        for i, row in enumerate(rows)
    ]


def other_support_sentences() -> list[str]:
    """Real support text that is not Bitext: guidelines, dialog turns, bank queries, tweets."""
    sentences: list[str] = []
    for flow in data.abcd_guidelines(DATA).values():
        for subflow in flow["subflows"].values():
            for action in subflow["actions"]:
                sentences += [action["text"], *action.get("subtext", [])]
            sentences += subflow.get("instructions", [])
    for name in ("abcd_sample.json", "dialogstudio_abcd_original_examples.json"):  # 3 dialogs are in both
        for dialog in data.read_json(DATA, f"abcd/{name}"):
            sentences += [text for speaker, text in dialog.get("original", []) if speaker != "action"]
    sentences += [row["text"] for row in data.banking77_rows(DATA)]
    sentences += [row["text"] for row in data.twcs_rows(DATA)]
    split = [s.strip() for text in sentences for s in _SENTENCE.split(text)]
    return [s for s in split if len(s) >= 12]


def padding_articles(count: int, seed: int = SEED) -> list[Article]:
    """``count`` one-passage articles of 3-7 real sentences each, none of them Bitext."""
    pool = other_support_sentences()
    rng = random.Random(seed)
    articles = []
    for i in range(count):
        body = " ".join(rng.sample(pool, rng.randint(3, 7)))[:780]
        articles.append(Article(id=f"pad-{i}", title="", body=body, locale="en", labels=["padding"]))
    return articles


def build_kb(target: int = TARGET_PASSAGES) -> tuple[KnowledgeBase, list[dict[str, str]], float]:
    """The benchmark KB (Bitext half A + padding to ``target`` passages), the queries, build seconds."""
    kb_rows, query_rows = split_bitext()
    articles = bitext_articles(kb_rows)
    probe = KnowledgeBase(articles)
    padding = padding_articles(target - len(probe))
    started = time.perf_counter()
    kb = KnowledgeBase([*articles, *padding])
    return kb, query_rows, time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(search: Callable[[str], list[str]], queries: Sequence[dict[str, str]]) -> dict[str, float]:
    """Recall@k and latency of ``search`` (query → labels of the top-k passages)."""
    for row in queries[:50]:  # warm caches, as a running service would be
        search(row["instruction"])
    times, hits, first = [], 0, 0
    for row in queries:
        started = time.perf_counter()
        labels = search(row["instruction"])
        times.append(time.perf_counter() - started)
        hits += row["intent"] in labels
        first += bool(labels) and labels[0] == row["intent"]
    return {
        "recall": hits / len(queries),
        "top1": first / len(queries),
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * percentile(times, 0.95),
        "mean_ms": 1000 * statistics.fmean(times),
    }


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        name = next(
            line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        name = platform.processor() or "unknown CPU"
    import os

    return f"{name}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=0, help="use only the first N queries (0: all)")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever

    kb, query_rows, kb_build = build_kb()
    if args.queries:
        query_rows = query_rows[: args.queries]
    passages = kb.passages
    label_of = {a.id: a.labels[0] for a in kb.articles}
    texts = [p.text for p in passages]
    metadatas = [{"label": label_of[p.article_id]} for p in passages]
    started = time.perf_counter()
    lc_default = BM25Retriever.from_texts(texts, metadatas=metadatas, k=K)
    lc_build = time.perf_counter() - started
    words = re.compile(r"\w+")
    lc_words = BM25Retriever.from_texts(
        texts, metadatas=metadatas, k=K, preprocess_func=lambda t: words.findall(t.lower())
    )

    def ours(query: str) -> list[str]:
        return [label_of[h.passage.article_id] for h in kb.search(query, K, language="en")]

    def langchain(retriever: BM25Retriever) -> Callable[[str], list[str]]:
        return lambda query: [d.metadata["label"] for d in retriever.invoke(query)]

    results = {
        "replyassist KnowledgeBase.search": run(ours, query_rows),
        "LangChain BM25Retriever (default: split on spaces)": run(langchain(lc_default), query_rows),
        "LangChain BM25Retriever (lower-case \\w+ tokens)": run(langchain(lc_words), query_rows),
    }
    n_bitext = sum(1 for p in passages if p.article_id.startswith("bitext-"))
    n_articles = sum(1 for a in label_of if a.startswith("bitext-"))
    print(f"machine: {cpu_model()}")
    print(
        f"passages: {len(kb):,} = {n_bitext:,} from {n_articles:,} Bitext responses + {len(kb) - n_bitext:,} "
        f"padding; queries: {len(query_rows):,} Bitext instructions; k = {K}"
    )
    print(f"index build: KnowledgeBase {kb_build:.2f} s, BM25Retriever {lc_build:.2f} s")
    print()
    base = results["replyassist KnowledgeBase.search"]
    print(f"| retriever | recall@{K} | top-1 intent | p50 ms | p95 ms | mean ms | ours faster by |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        ratio = r["mean_ms"] / base["mean_ms"]
        print(
            f"| {name} | {r['recall']:.3f} | {r['top1']:.3f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['mean_ms']:.2f} | {ratio:.0f}× |"
        )


if __name__ == "__main__":
    main()
