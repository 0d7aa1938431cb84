"""Scale benchmark: index 100,000 passages, then save and cold-load a 10,000-passage index.

Articles are made from real text (``../shared/data``): each has four sections whose headings are
Bitext customer instructions and whose bodies are Bitext agent responses, with the
``{{placeholders}}`` filled with varied values so the vocabulary grows as a real KB's would.

Every figure is taken in a fresh subprocess: peak RSS is that process's own
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (article text included), and a cold load starts
from a new interpreter. Run: ``python benchmarks/bench_kb_scale.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from replyassist.models import Article  # noqa: E402

SECTIONS = 4
_PLACEHOLDER = re.compile(r"\{\{([^}]+)\}\}")


def make_articles(n_passages: int, seed: int = 11) -> list[Article]:
    """``n_passages / 4`` articles of four sections, each section one passage."""
    from bench_retrieval import bitext_rows

    rows = bitext_rows()
    rng = random.Random(seed)
    words = sorted({w for r in rows for w in re.findall(r"[a-z]{5,}", r["response"].lower())})

    def fill(match: re.Match[str]) -> str:
        # A number, or a real word with a number: new terms, as product names and SKUs bring.
        return (
            str(rng.randint(1000, 99_999_999))
            if rng.random() < 0.5
            else f"{rng.choice(words)}{rng.randint(1, 999)}"
        )

    articles = []
    for i in range(n_passages // SECTIONS):
        parts = []
        for _ in range(SECTIONS):
            row = rng.choice(rows)
            # Each section is one passage: between a quarter of the limit and the limit (800).
            body = _PLACEHOLDER.sub(fill, row["response"])[:700]
            body = (
                body
                if len(body) >= 250
                else (body + " " + _PLACEHOLDER.sub(fill, rng.choice(rows)["response"]))[:700]
            )
            parts.append(f"## {row['instruction'].strip()}\n\n{body}")
        title = rng.choice(rows)["instruction"].strip()
        articles.append(
            Article(
                id=f"kb-{i}",
                title=title,
                body="\n\n".join(parts),
                locale="en",
                labels=[rng.choice(rows)["intent"]],
            )
        )
    return articles


def child_index(n_passages: int, save_to: str | None) -> dict[str, float]:
    import resource

    from replyassist.knowledge import KnowledgeBase

    articles = make_articles(n_passages)
    rss_articles = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    kb = KnowledgeBase(articles)
    index_s = time.perf_counter() - started
    from bench_retrieval import bitext_rows

    queries = [r["instruction"] for r in bitext_rows()[::9]][:500]
    times = []
    for query in queries:
        t = time.perf_counter()
        kb.search(query, 5)
        times.append(time.perf_counter() - t)
    result = {
        "passages": len(kb),
        "articles": len(articles),
        "index_s": index_s,
        "rss_articles_mb": rss_articles,
        "search_p50_ms": 1000 * statistics.median(times),
        "search_p95_ms": 1000 * sorted(times)[int(0.95 * (len(times) - 1))],
    }
    if save_to:
        started = time.perf_counter()
        kb.save(save_to)
        result["save_s"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def child_load(path: str) -> dict[str, float]:
    started = time.perf_counter()
    from replyassist.knowledge import KnowledgeBase

    imported = time.perf_counter()
    kb = KnowledgeBase.load(path)
    loaded = time.perf_counter()
    kb.search("how can I get a refund for my order?", 5)
    searched = time.perf_counter()
    return {
        "import_s": imported - started,
        "load_s": loaded - imported,
        "first_search_s": searched - loaded,
        "passages": len(kb),
    }


def in_subprocess(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", choices=["index", "load"], help=argparse.SUPPRESS)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--path", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--loads", type=int, default=7, help="cold loads to time")
    args = parser.parse_args()
    if args.child == "index":
        print(json.dumps(child_index(args.passages, args.path)))
        return
    if args.child == "load":
        print(json.dumps(child_load(args.path)))
        return

    from bench_retrieval import cpu_model

    print(f"machine: {cpu_model()}")
    big = in_subprocess("--child", "index", "--passages", str(args.passages))
    print(f"\n| index {big['passages']:,} passages ({big['articles']:,} articles) | value | target |")
    print("|---|---:|---:|")
    print(f"| indexing time | {big['index_s']:.1f} s | ≤ 60 s |")
    print(f"| peak RSS of the process (articles + index) | {big['peak_rss_mb']:.0f} MB | < 500 MB |")
    print(f"| RSS once the articles are in memory, before indexing | {big['rss_articles_mb']:.0f} MB | |")
    print(
        f"| search p50 / p95 at this size (500 Bitext queries) | {big['search_p50_ms']:.2f} / "
        f"{big['search_p95_ms']:.2f} ms | |"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "kb10k")
        small = in_subprocess("--child", "index", "--passages", "10000", "--path", path)
        size = sum(f.stat().st_size for f in Path(path).iterdir()) / 1e6
        loads = [in_subprocess("--child", "load", "--path", path) for _ in range(args.loads)]
    med = {
        key: statistics.median(run[key] for run in loads) for key in ("import_s", "load_s", "first_search_s")
    }
    print(
        f"\n| saved index of {small['passages']:,} passages ({size:.1f} MB on disk), "
        f"median of {len(loads)} cold starts | value | target |"
    )
    print("|---|---:|---:|")
    print(f"| save | {1000 * small['save_s']:.0f} ms | |")
    print(
        f"| `KnowledgeBase.load` | {1000 * med['load_s']:.0f} ms "
        f"(min {1000 * min(r['load_s'] for r in loads):.0f}, max {1000 * max(r['load_s'] for r in loads):.0f}) "
        f"| < 150 ms |"
    )
    print(f"| `import replyassist.knowledge` before it | {1000 * med['import_s']:.0f} ms | |")
    print(f"| first search after loading | {1000 * med['first_search_s']:.0f} ms | |")


if __name__ == "__main__":
    main()
