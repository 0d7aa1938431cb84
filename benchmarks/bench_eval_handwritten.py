"""The hand-written suite (``examples/eval/cases.jsonl``) drafted by the offline composer, against the
issue's targets, through the same public API as ``replyassist eval examples/eval/cases.jsonl --kb examples/kb``.

Targets (offline composer): public social replies 100% within the channel's limit and 0 off-channel
redirects; language match 100%; decision accuracy >= 90% on the decision cases; grounding 100%
(every factual sentence comes from a cited passage). A missed target lists the cases that miss it.

Run from the project root (about 10 s):

    PYTHONPATH=src .venv/bin/python benchmarks/bench_eval_handwritten.py            # print the section
    PYTHONPATH=src .venv/bin/python benchmarks/bench_eval_handwritten.py --write    # also update RESULTS.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "examples" / "eval" / "cases.jsonl"
KB = ROOT / "examples" / "kb"
sys.path.insert(0, str(ROOT / "src"))

from _results import write_section  # noqa: E402
from bench_retrieval import cpu_model  # noqa: E402

from replyassist.eval import load_cases  # noqa: E402
from replyassist.eval.composers import PipelineRunner  # noqa: E402
from replyassist.eval.run import EvalRun, run_eval  # noqa: E402
from replyassist.eval.scoring import METRICS  # noqa: E402
from replyassist.knowledge import KnowledgeBase  # noqa: E402

TITLE = "## Eval: hand-written suite (offline composer)"
SHOWN = 8
"""Cases listed per missed check; the report (`replyassist eval`) shows every draft side by side."""


def run() -> tuple[EvalRun, float]:
    """Draft every case once with the offline composer; the run and its wall time in seconds."""
    cases = load_cases(CASES)
    kb = KnowledgeBase.from_directory(KB)
    started = time.perf_counter()
    result = run_eval(cases, [PipelineRunner("offline", "offline")], kb=kb, cases_file=CASES)
    return result, time.perf_counter() - started


def _cell(metric: dict[str, Any] | None) -> str:
    return f"{100 * metric['value']:.1f}% ({metric['hits']:g}/{metric['n']})" if metric else "–"


def _missing(result: EvalRun, metric: str) -> list[str]:
    """The cases whose ``metric`` check is not fully passed, with what the draft did."""
    misses = []
    for r in result.results:
        score = r.scores.get(metric)
        if score is None or score.hits >= score.n:
            continue
        detail = f"{score.hits:g}/{score.n}"
        if metric == "decision_accuracy":
            got = r.outcome.decision.value if r.outcome.decision else "none"
            detail = f"expected {r.case.expect.decision.value if r.case.expect.decision else '?'}, got {got}"
        misses.append(f"`{r.case.id}` ({detail})")
    return misses if len(misses) <= SHOWN else [*misses[:SHOWN], f"and {len(misses) - SHOWN} more"]


def section(result: EvalRun, seconds: float) -> tuple[str, list[tuple[str, str]]]:
    """The Markdown section, and the targets missed."""
    fig = result.figures()
    off = fig["composers"]["offline"]
    m, social = off["metrics"], off["public_social"]
    targets = [  # (what, metric, over which drafts, at least)
        ("public social replies within the channel's limit", "within_limit", social["metrics"], 1.0),
        ("public social: no off-channel redirect", "no_off_channel_redirect", social["metrics"], 1.0),
        ("language match", "language_match", m, 1.0),
        ("decision accuracy (decision cases)", "decision_accuracy", m, 0.9),
        ("grounding (factual sentences from a cited passage)", "grounding", m, 1.0),
    ]
    lines = [
        f"Machine: {cpu_model()}. Measured {time.strftime('%Y-%m-%d')}.",
        "",
        f"`replyassist eval examples/eval/cases.jsonl --kb examples/kb`: {len(result.cases)} cases drafted "
        f"by the offline composer in {seconds:.1f} s (p50 {off['latency_ms']['p50']:.0f} ms, "
        f"p95 {off['latency_ms']['p95']:.0f} ms per draft). Decisions: "
        + ", ".join(f"{k} {v}" for k, v in off["decisions"].items())
        + ".",
        "",
        "| target | figure | target | met |",
        "|---|---:|---:|:---:|",
    ]
    missed = []
    for name, key, metrics, goal in targets:
        metric = metrics.get(key)
        met = metric is not None and metric["value"] >= goal
        lines.append(f"| {name} | {_cell(metric)} | {100 * goal:.0f}% | {'yes' if met else '**no**'} |")
        if not met:
            missed.append((name, key))
    lines.append(
        f"| public social: off-channel redirects (count) | {social['off_channel_redirects']} | 0 | "
        f"{'yes' if social['off_channel_redirects'] == 0 else '**no**'} |"
    )
    lines += [
        "",
        "Every check (share of applicable drafts, hits/n):",
        "",
        "| check | offline |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {_cell(m.get(name))} |" for name in METRICS if name in m]
    yardstick = fig.get("retrieval_yardstick")
    if yardstick:
        lines.append(
            f"| recall@{yardstick['k']} of LangChain `BM25Retriever` (yardstick, same KB and cases) | "
            f"{_cell({'value': yardstick['recall_at_k'], 'hits': yardstick['hits'], 'n': yardstick['n']})} |"
        )
    lines.append(
        f"| repeated openings (boilerplate) | {100 * off['boilerplate']['repeated_openings']:.1f}% |"
    )
    misses = [(name, _missing(result, key)) for name, key in missed]
    below = [
        (name, _missing(result, name))
        for name in ("decision_accuracy", "recall_at_k", "citation_precision", "empathy")
        if name not in {key for _, key in missed}
        if name in m and m[name]["value"] < 1
    ]
    if misses or below:
        lines += ["", "Cases that miss a check (the figures move as the core changes; re-run to update):", ""]
        lines += [f"- {name} (target missed): {', '.join(cases)}" for name, cases in misses]
        lines += [f"- {name}: {', '.join(cases)}" for name, cases in below]
    return "\n".join(lines), missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write the section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    result, seconds = run()
    body, missed = section(result, seconds)
    print(body)
    if missed:
        print("targets missed: " + "; ".join(name for name, _ in missed))
    if args.write:
        write_section(TITLE, "bench_eval_handwritten.py", body)


if __name__ == "__main__":
    main()
