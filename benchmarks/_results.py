"""Writing a benchmark's section of benchmarks/RESULTS.md, leaving the other sections alone."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(title: str, script: str, body: str, results: Path = RESULTS) -> None:
    """Replace (or append) the section headed ``title`` (e.g. ``"## Signals"``) with ``body``."""
    text = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    section = f"{title}\n\nProduced by `benchmarks/{script} --write`.\n\n{body}\n"
    start = text.find(f"\n{title}\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + (text[end:] if end != -1 else "")
    results.write_text(text, encoding="utf-8")
