"""``replyassist eval --suite NAME``: a public suite in one command, built from the real shared data.

Also: ``import replyassist.cli`` (which mounts ``eval``) stays free of the optional extras.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ROOT
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.eval import load_cases, write_cases
from replyassist.eval.suites import DATA_ENV, SUITES

runner = CliRunner()


def _flat(output: str) -> str:
    """Rich wraps error panels: compare words, not line breaks or borders."""
    return " ".join(output.replace("│", " ").split())


def _figures(out: Path) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    return figures


@pytest.mark.parametrize("name", SUITES)
def test_each_suite_runs_in_one_command(name: str, shared_data: Path, tmp_path: Path) -> None:
    cache, out = tmp_path / "cache", tmp_path / "report"
    args = ["eval", "--suite", name, "--data", str(shared_data), "--limit", "3"]
    result = runner.invoke(app, [*args, "--cache", str(cache), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (cache / "suite.json").is_file() and (cache / "cases.jsonl").is_file()
    figures = _figures(out)
    meta = figures["meta"]
    assert meta["cases"] == 3
    assert meta["suite"]["name"] == name and meta["suite"]["limit"] == 3
    assert meta["kb"] == str(cache / "kb")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"Suite <b>{name}</b>" in html and "license:" in html


def test_defaults_build_in_the_cache_folder_and_report_per_suite(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(DATA_ENV, str(shared_data))
    monkeypatch.setenv("REPLYASSIST_KB", str(ROOT / "examples" / "kb"))  # for `draft`: not the suite's KB
    result = runner.invoke(app, ["eval", "--suite", "tweets", "--limit", "2"])
    assert result.exit_code == 0, result.output
    cache = tmp_path / ".replyassist" / "eval" / "tweets"
    assert len(load_cases(cache / "cases.jsonl")) == 2
    assert _figures(tmp_path / "eval-report" / "tweets")["meta"]["kb"] == str(
        Path(".replyassist/eval/tweets/kb")
    )
    assert _figures(tmp_path / "eval-report" / "tweets")["meta"]["suite"]["name"] == "tweets"


def test_limit_is_a_seeded_sample_of_the_suite(shared_data: Path, tmp_path: Path) -> None:
    ids = []
    for run in ("a", "b"):
        cache = tmp_path / run
        args = ["eval", "--suite", "banking77", "--data", str(shared_data), "--limit", "4"]
        result = runner.invoke(app, [*args, "--cache", str(cache), "--out", str(tmp_path / f"r{run}")])
        assert result.exit_code == 0, result.output
        ids.append([c.id for c in load_cases(cache / "cases.jsonl")])
    assert ids[0] == ids[1] and len(ids[0]) == 4
    # Not the first four of the suite: a sample across it.
    from replyassist.eval.suites import build_suite

    full = [c.id for c in load_cases(build_suite("banking77", shared_data, tmp_path / "full")[0])]
    assert set(ids[0]) <= set(full) and ids[0] != full[:4]


def test_fail_under_gates_a_suite_run(shared_data: Path, tmp_path: Path) -> None:
    base = ["eval", "--suite", "tweets", "--data", str(shared_data), "--limit", "3"]
    base += ["--cache", str(tmp_path / "c"), "--out", str(tmp_path / "r")]
    # No tweet case expects a decision: a decision threshold cannot be met on this suite.
    missed = runner.invoke(app, [*base, "--fail-under", "decision_accuracy=0.5"])
    assert missed.exit_code == 1
    assert "offline.decision_accuracy: no case measured it" in _flat(missed.output)
    assert (tmp_path / "r" / "report.html").is_file()


def test_command_line_policy_replaces_the_cases_own(shared_data: Path, tmp_path: Path) -> None:
    """A suite case keeps its own policy against the environment, not against a typed flag."""
    from replyassist.eval.suites import build_suite

    cases_file, kb = build_suite("tweets", shared_data, tmp_path / "built", limit=3)
    cases = [
        c.model_copy(update={"policy": {**c.policy, "agent_name": "Sam Rivera"}})
        for c in load_cases(cases_file)
    ]
    path = write_cases(tmp_path / "cases.jsonl", cases)
    base = ["eval", str(path), "--kb", str(kb)]
    from_env = runner.invoke(
        app, [*base, "--out", str(tmp_path / "env")], env={"REPLYASSIST_AGENT": "Jo Zed"}
    )
    typed = runner.invoke(app, [*base, "--out", str(tmp_path / "typed"), "--agent", "Jo Zed"])
    assert from_env.exit_code == 0 and typed.exit_code == 0, from_env.output + typed.output
    env_html = (tmp_path / "env" / "report.html").read_text(encoding="utf-8")
    typed_html = (tmp_path / "typed" / "report.html").read_text(encoding="utf-8")
    assert "^SR" in env_html and "^JZ" not in env_html
    assert "^JZ" in typed_html and "^SR" not in typed_html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either a CASES file or --suite NAME (one of: tweets, abcd, banking77, bitext, giskard)"),
        (["cases.jsonl", "--suite", "tweets"], "give either a CASES file or --suite NAME"),
        (["--suite", "faq"], "unknown suite 'faq'; the suites are: tweets, abcd, banking77, bitext, giskard"),
        (
            ["--suite", "tweets", "--data", "no-such-folder"],
            "no data folder at no-such-folder: pass --data DIR",
        ),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", *args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in _flat(result.output)
    assert not (tmp_path / "r").exists()


def test_no_default_data_folder_says_to_pass_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    result = runner.invoke(app, ["eval", "--suite", "tweets", "--cache", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "pass --data" in _flat(result.output)


def test_a_folder_with_other_files_is_not_emptied(shared_data: Path, tmp_path: Path) -> None:
    keep = tmp_path / "mine" / "notes.txt"
    keep.parent.mkdir()
    keep.write_text("precious", encoding="utf-8")
    args = ["eval", "--suite", "tweets", "--data", str(shared_data), "--cache", str(keep.parent)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "holds no built suite" in _flat(result.output)
    assert keep.read_text(encoding="utf-8") == "precious"


def test_a_missing_data_file_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    args = ["eval", "--suite", "abcd", "--data", str(tmp_path / "data"), "--cache", str(tmp_path / "c")]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "missing data file" in _flat(result.output) and "Traceback" not in result.output


_NO_EXTRAS = textwrap.dedent(
    """
    import sys

    # None in sys.modules is how an absent package looks to both import and importlib.util.find_spec.
    for name in ("langchain", "langchain_core", "langchain_community", "langchain_openai", "openai",
                 "rank_bm25", "fastapi", "sqlalchemy", "celery"):
        sys.modules[name] = None

    import replyassist.cli
    heavy = sorted(m for m in sys.modules if m.startswith("replyassist.eval."))
    assert heavy == ["replyassist.eval.cli"], heavy
    sys.argv = ["replyassist", *sys.argv[1:]]
    replyassist.cli.main()
    """
)


def test_the_cli_imports_and_evaluates_without_the_optional_extras(tmp_path: Path) -> None:
    """The core install (no LangChain, no rank_bm25) mounts ``eval`` and runs it offline."""
    cases = [c for c in load_cases(ROOT / "examples" / "eval" / "cases.jsonl")][:2]
    path = write_cases(tmp_path / "cases.jsonl", cases)
    out = tmp_path / "r"
    args = [str(path), "--kb", str(ROOT / "examples" / "kb"), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", _NO_EXTRAS, "eval", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = _figures(out)
    assert figures["retrieval_yardstick"] is None  # BM25Retriever needs LangChain: skipped, not failed
