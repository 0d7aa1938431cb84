"""End-to-end offline drafting speed: `draft_reply` with a 10,000-passage KB, and cold start.

Run: python benchmarks/bench_draft.py  (prints a Markdown table; figures go to benchmarks/RESULTS.md)

The KB is built from real public support text in ../shared/data (Bitext responses, ABCD
guidelines) plus the sample KB; the tickets are real customer messages (Bitext instructions,
inbound tweets) put on varied channels.
"""

from __future__ import annotations

import csv
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from replyassist import Article, KnowledgeBase, ReplyAssistant, Ticket  # noqa: E402

CHANNELS = ["email", "chat", "twitter", "whatsapp", "sms", "facebook_post", "instagram_dm", "web_form"]


def real_articles(target_passages: int) -> list[Article]:
    articles = list(KnowledgeBase.from_directory(ROOT / "examples" / "kb").articles)
    guidelines = json.loads((DATA / "abcd" / "guidelines.json").read_text(encoding="utf-8"))
    for flow, body in guidelines.items():
        for subflow, spec in (body.get("subflows") or {}).items():
            text = "\n".join(
                spec.get("instructions", []) + [a.get("text", "") for a in spec.get("actions", [])]
            )
            if text.strip():
                articles.append(Article(id=f"abcd-{flow}-{subflow}", title=f"{flow}: {subflow}", body=text))
    with (DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv").open(
        encoding="utf-8"
    ) as f:
        for i, row in enumerate(csv.DictReader(f)):
            articles.append(
                Article(id=f"bitext-{i}", title=row["intent"].replace("_", " "), body=row["response"])
            )
    kb = KnowledgeBase(articles)
    # Real text, repeated with distinct ids until the index reaches the target size.
    n, copy = len(kb), 1
    base = list(articles)
    while n < target_passages:
        extra = [Article(id=f"{a.id}-v{copy}", title=a.title, body=a.body) for a in base]
        kb.add(extra)
        n, copy = len(kb), copy + 1
    return list(kb.articles)


def real_tickets(limit: int) -> list[Ticket]:
    tickets = []
    with (DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv").open(
        encoding="utf-8"
    ) as f:
        for i, row in enumerate(csv.DictReader(f)):
            if i % 7 == 0:
                tickets.append(
                    Ticket.from_text(
                        row["instruction"],
                        channel=CHANNELS[i % len(CHANNELS)],
                        customer="Alex Doe",
                        id=f"b{i}",
                    )
                )
    with (DATA / "twcs_sample" / "sample.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["inbound"] == "True":
                tickets.append(Ticket.from_text(row["text"], channel="twitter", id=row["tweet_id"]))
    return tickets[:limit]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


COLD = """
import time, sys
t0 = time.perf_counter()
import replyassist
from replyassist import KnowledgeBase, ReplyAssistant
kb = KnowledgeBase.load(sys.argv[1])
d = ReplyAssistant(kb, policy={"brand": "Pinecone Outfitters"}).draft(
    {"channel": "twitter", "customer": "Maria", "messages": [{"text": "@PineconeHelp how do I return my tent?"}]})
print(time.perf_counter() - t0)
"""


def main() -> None:
    t = time.perf_counter()
    kb = KnowledgeBase(real_articles(10_000))
    build_s = time.perf_counter() - t
    assistant = ReplyAssistant(
        kb,
        policy={
            "brand": "Pinecone Outfitters",
            "agent_name": "Sam Rivera",
            "brand_handles": ["PineconeHelp"],
        },
    )
    tickets = real_tickets(600)
    for ticket in tickets[:20]:  # warm-up: lexicons and phrase banks loaded once
        assistant.draft(ticket)
    totals, parts = [], {"signals_ms": [], "retrieval_ms": [], "compose_ms": [], "check_ms": []}
    for ticket in tickets:
        start = time.perf_counter()
        draft = assistant.draft(ticket)
        totals.append((time.perf_counter() - start) * 1000)
        for key in parts:
            parts[key].append(getattr(draft.timings, key))
    with tempfile.TemporaryDirectory() as tmp:
        kb.save(Path(tmp) / "index")
        colds = []
        walls = []
        for _ in range(5):
            w = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", COLD, str(Path(tmp) / "index")],
                capture_output=True,
                text=True,
                check=True,
                env={"PYTHONPATH": str(ROOT / "src")},
            )
            walls.append(time.perf_counter() - w)
            colds.append(float(out.stdout.strip()))
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}"
    )
    print(
        f"KB: {len(kb)} passages from {len(kb.articles)} articles (built in {build_s:.1f} s); "
        f"{len(tickets)} real tickets"
    )
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| draft_reply p50 | {pct(totals, 0.5):.2f} ms | ≤ 15 ms |")
    print(f"| draft_reply p95 | {pct(totals, 0.95):.2f} ms | ≤ 40 ms |")
    print(f"| draft_reply mean | {statistics.mean(totals):.2f} ms | |")
    for key, values in parts.items():
        print(
            f"| {key.removesuffix('_ms')} p50 / p95 | {pct(values, 0.5):.2f} / {pct(values, 0.95):.2f} ms | |"
        )
    print(
        f"| cold start (import + load 10k index + first draft), median of 5 | {statistics.median(colds):.2f} s"
        f" | ≤ 1.5 s |"
    )
    print(
        f"| same, whole process incl. interpreter start, median of 5 | {statistics.median(walls):.2f} s | |"
    )


if __name__ == "__main__":
    main()
