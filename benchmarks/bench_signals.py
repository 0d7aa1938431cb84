"""Speed and accuracy of replyassist.signals, with py3langid beside it for language detection.

Run from the project root:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_signals.py            # print the report
    PYTHONPATH=src .venv/bin/python benchmarks/bench_signals.py --write    # also update RESULTS.md

Reads real messages from ../shared/data (Bitext, BANKING77, TWCS tweets) and the hand-written
multilingual set in tests/signals/signals_lang_samples.py.
"""

from __future__ import annotations

import argparse
import csv
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
sys.path.insert(0, str(ROOT / "tests" / "signals"))

from _results import write_section  # noqa: E402
from signals_lang_samples import CORE, SAMPLES, SHORT  # noqa: E402

from replyassist.models import Channel, Ticket  # noqa: E402
from replyassist.signals import analyze, detect_language  # noqa: E402


def _column(path: Path, column: str, where: Callable[[dict[str, str]], bool] = lambda _: True) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle) if where(row)]


def _machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line), "?"
        )
    except OSError:
        model = platform.processor() or "?"
    import os

    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _percentiles(seconds: Sequence[float]) -> tuple[float, float, float]:
    ordered = sorted(seconds)
    p50 = ordered[len(ordered) // 2] * 1e3
    p95 = ordered[int(len(ordered) * 0.95)] * 1e3
    return p50, p95, statistics.fmean(ordered) * 1e3


def _time_each(function: Callable[[object], object], items: Sequence[object]) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        function(item)
        out.append(time.perf_counter() - start)
    return out


def _fresh_process(code: str) -> float:
    """Seconds a snippet takes in a new interpreter (best of three)."""
    runs = []
    for _ in range(3):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(ROOT / "src")},
        )
        runs.append(float(result.stdout.strip().splitlines()[-1]))
    return min(runs)


_TIMED = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"


def cold_start() -> list[tuple[str, float]]:
    return [
        (
            "import replyassist.models (pydantic; shared by the whole library)",
            _fresh_process(_TIMED.format(body="import replyassist.models")),
        ),
        (
            "import replyassist.signals, models already imported",
            _fresh_process(
                "import replyassist.models, time; t = time.perf_counter(); import replyassist.signals; "
                "print(time.perf_counter() - t)"
            ),
        ),
        (
            "first detect_language (after import)",
            _fresh_process(
                "import replyassist.signals as s; import time; t = time.perf_counter(); "
                "s.detect_language('hola, mi pedido no llega'); print(time.perf_counter() - t)"
            ),
        ),
        (
            "first analyze (after import)",
            _fresh_process(
                "import replyassist.signals as s; from replyassist.models import Ticket; import time; "
                "k = Ticket.from_text('@AcmeAir my bag never arrived, order #A123'); "
                "t = time.perf_counter(); s.analyze(k); print(time.perf_counter() - t)"
            ),
        ),
        (
            "import + first analyze, ja (loads CJK lexicon too)",
            _fresh_process(
                _TIMED.format(
                    body="import replyassist.signals as s; from replyassist.models import Ticket; "
                    "s.analyze(Ticket.from_text('注文した商品がまだ届きません'))"
                )
            ),
        ),
        (
            "py3langid: import + first classify",
            _fresh_process(
                _TIMED.format(body="import py3langid; py3langid.classify('hola, mi pedido no llega')")
            ),
        ),
    ]


def _accuracy(guess: Callable[[str], str], samples: dict[str, list[str]], languages: Sequence[str]) -> float:
    pairs = [(lang, text) for lang in languages for text in samples[lang]]
    return sum(guess(text) == lang for lang, text in pairs) / len(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--write", action="store_true", help="update the Signals section of benchmarks/RESULTS.md"
    )
    args = parser.parse_args()
    random.seed(7)

    bitext = _column(
        DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv",
        "instruction",
    )
    banking = _column(DATA / "banking77" / "test.csv", "text")
    tweets = _column(DATA / "twcs_sample" / "sample.csv", "text", lambda r: r["inbound"] == "True")
    multilingual = [t for texts in SAMPLES.values() for t in texts]
    messages = random.sample(bitext, 600) + random.sample(banking, 600) + tweets + multilingual

    lines: list[str] = [f"Machine: {_machine()}. Measured {time.strftime('%Y-%m-%d')}.", ""]

    lines += ["### Cold start (fresh interpreter, best of 3)", "", "| step | ms |", "|---|---:|"]
    lines += [f"| {name} | {seconds * 1e3:.1f} |" for name, seconds in cold_start()]

    tickets = [Ticket.from_text(m, channel=Channel.TWITTER) for m in messages]
    first_detect = _time_each(detect_language, messages)  # word caches empty: every word is new
    warm_detect = _time_each(detect_language, messages)
    first_analyze = _time_each(lambda t: analyze(t, brand_handles=["AcmeAir"]), tickets)  # type: ignore[arg-type]
    warm_analyze = _time_each(lambda t: analyze(t, brand_handles=["AcmeAir"]), tickets)  # type: ignore[arg-type]
    lines += [
        "",
        f"### Per call, {len(messages)} real messages (Bitext, BANKING77, TWCS tweets, multilingual set)",
        "",
        "| call | p50 ms | p95 ms | mean ms |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in (
        ("detect_language, first pass (cold word cache)", first_detect),
        ("detect_language, warm", warm_detect),
        ("analyze, first pass", first_analyze),
        ("analyze, warm", warm_analyze),
    ):
        p50, p95, mean = _percentiles(seconds)
        lines.append(f"| {name} | {p50:.3f} | {p95:.3f} | {mean:.3f} |")

    import py3langid

    ours_langs = sorted(SAMPLES)
    lines += [
        "",
        "### Language detection accuracy, hand-written multilingual set "
        f"({sum(len(v) for v in SAMPLES.values())} short messages, {len(SAMPLES)} languages)",
        "",
        "| set | replyassist | py3langid | py3langid, limited to the same languages |",
        "|---|---:|---:|---:|",
    ]
    ours = lambda text: detect_language(text)[0]  # noqa: E731
    theirs = lambda text: str(py3langid.classify(text)[0])  # noqa: E731
    identifier = py3langid.langid.LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE)
    identifier.set_languages([lang for lang in ours_langs if lang in identifier.nb_classes])
    limited = lambda text: str(identifier.classify(text)[0])  # noqa: E731
    others = [lang for lang in ours_langs if lang not in CORE]
    rows = [("12 core languages", list(CORE)), ("other languages", others), ("all", ours_langs)]
    rows += [(f"  {lang}", [lang]) for lang in CORE]
    for name, languages in rows:
        lines.append(
            f"| {name} | {_accuracy(ours, SAMPLES, languages):.1%} | "
            f"{_accuracy(theirs, SAMPLES, languages):.1%} | {_accuracy(limited, SAMPLES, languages):.1%} |"
        )
    lines.append(
        f"| very short messages (1-4 words, {sum(len(v) for v in SHORT.values())}), 12 core languages | "
        f"{_accuracy(ours, SHORT, list(CORE)):.1%} | {_accuracy(theirs, SHORT, list(CORE)):.1%} | "
        f"{_accuracy(limited, SHORT, list(CORE)):.1%} |"
    )
    for name, texts in (
        ("Bitext instructions", bitext),
        ("BANKING77 queries", banking),
        ("TWCS inbound tweets", tweets),
    ):
        share_ours = sum(ours(t) == "en" for t in texts) / len(texts)
        share_theirs = sum(theirs(t) == "en" for t in texts) / len(texts)
        share_limited = sum(limited(t) == "en" for t in texts) / len(texts)
        lines.append(
            f"| {name} ({len(texts)}), share detected as en | {share_ours:.1%} | {share_theirs:.1%} | "
            f"{share_limited:.1%} |"
        )
    py_times = _time_each(theirs, messages)
    p50, p95, _ = _percentiles(py_times)
    lines += ["", f"py3langid per call on the same messages (warm): p50 {p50:.3f} ms, p95 {p95:.3f} ms."]

    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("## Signals", "bench_signals.py", report)


if __name__ == "__main__":
    main()
