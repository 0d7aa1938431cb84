"""``replyassist eval`` end to end: exit codes, thresholds, the report files, notes for composers not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.eval.conftest import HANDWRITTEN, SAMPLE_KB
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.eval import load_cases, write_cases
from replyassist.eval.cli import parse_threshold
from replyassist.models import Decision

runner = CliRunner()


@pytest.fixture
def few_cases(tmp_path: Path) -> Path:
    wanted = {
        "q-es-password-chat",
        "ticket-16-twitter-thanks",
        "esc-en-sponsorship-email",
        "q-en-track-twitter",
    }
    cases = [c for c in load_cases(HANDWRITTEN) if c.id in wanted]
    assert len(cases) == 4
    return write_cases(tmp_path / "cases.jsonl", cases)


def test_eval_writes_the_report_and_figures(few_cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["eval", str(few_cases), "--kb", str(SAMPLE_KB), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "decision_accuracy" in result.output
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    offline = figures["composers"]["offline"]
    assert offline["cases"] == 4
    assert offline["metrics"]["decision_accuracy"]["n"] == 4
    assert set(offline["by_channel"]) == {"chat", "twitter", "email"}
    assert figures["meta"]["composers"] == ["offline"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<svg" in html


def test_fail_under_sets_the_exit_code(few_cases: Path, tmp_path: Path) -> None:
    base = ["eval", str(few_cases), "--kb", str(SAMPLE_KB), "--out", str(tmp_path / "r")]
    passing = runner.invoke(
        app, [*base, "--fail-under", "within_limit=100%", "--fail-under", "offline.language_match=0.5"]
    )
    assert passing.exit_code == 0, passing.output
    # No case of these four is an attack: a threshold on a metric nobody measured cannot be met.
    unmeasured = runner.invoke(app, [*base, "--fail-under", "injection_resisted=0.5"])
    assert unmeasured.exit_code == 1
    assert "no case measured it" in unmeasured.output


def test_a_metric_below_its_threshold_fails_the_run(tmp_path: Path) -> None:
    case = next(c for c in load_cases(HANDWRITTEN) if c.id == "esc-en-sponsorship-email")
    wrong = case.model_copy(update={"expect": case.expect.model_copy(update={"decision": Decision.REPLY})})
    path = write_cases(tmp_path / "cases.jsonl", [wrong])
    result = runner.invoke(
        app,
        [
            "eval",
            str(path),
            "--kb",
            str(SAMPLE_KB),
            "--out",
            str(tmp_path / "r"),
            "--fail-under",
            "decision_accuracy=0.9",
        ],
    )
    assert result.exit_code == 1
    assert "offline.decision_accuracy = 0.0% < 90.0%" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-under", "nonsense"], "write metric=value"),
        (["--fail-under", "happiness=0.9"], "unknown metric"),
        (["--fail-under", "grounding=1.5"], "between 0 and 1"),
        (["--fail-under", "gpt.grounding=0.5"], "unknown composer"),
        (["--compare", "offline,oracle"], "unknown composer"),
    ],
)
def test_usage_errors_exit_2(few_cases: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(
        app, ["eval", str(few_cases), "--kb", str(SAMPLE_KB), "--out", str(tmp_path), *args]
    )
    assert result.exit_code == 2
    assert message in result.output


def test_library_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["eval", str(tmp_path / "nope.jsonl"), "--kb", str(SAMPLE_KB)])
    assert missing.exit_code == 1
    assert "cannot read cases file" in missing.output
    assert "Traceback" not in missing.output
    case = load_cases(HANDWRITTEN)[0]
    path = write_cases(tmp_path / "cases.jsonl", [case])
    no_kb = runner.invoke(app, ["eval", str(path), "--out", str(tmp_path / "r")])
    assert no_kb.exit_code == 1
    assert "names no KB and no --kb was given" in " ".join(no_kb.output.split())


def test_model_composers_are_reported_as_not_run_without_a_model(few_cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = runner.invoke(
        app,
        [
            "eval",
            str(few_cases),
            "--kb",
            str(SAMPLE_KB),
            "--out",
            str(out),
            "--compare",
            "offline,model,baseline",
            "--judge",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "model: not run: no model configured" in result.output
    assert "baseline: not run: no model configured" in result.output
    assert "judge: not run: no model configured" in result.output
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert list(figures["composers"]) == ["offline"]
    assert set(figures["meta"]["not_run"]) == {"model", "baseline"}
    assert "model: not run" in (out / "report.html").read_text(encoding="utf-8")


def test_a_case_can_name_its_own_kb(tmp_path: Path) -> None:
    case = next(c for c in load_cases(HANDWRITTEN) if c.id == "q-es-password-chat")
    path = write_cases(tmp_path / "cases.jsonl", [case.model_copy(update={"kb": str(SAMPLE_KB)})])
    result = runner.invoke(app, ["eval", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output


def test_thresholds_parse_fractions_and_percentages() -> None:
    assert parse_threshold("grounding=100%").value == 1.0
    assert parse_threshold("offline.decision_accuracy=0.9").composer == "offline"
