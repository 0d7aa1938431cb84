"""The command line, through Typer's CliRunner and as a real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from replyassist.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def test_draft_a_message_as_json() -> None:
    result = runner.invoke(
        app,
        [
            "draft",
            "How do I reset my password?",
            "--channel",
            "chat",
            "--name",
            "Ana",
            "--kb",
            str(EXAMPLES / "kb"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    draft = json.loads(result.stdout)
    assert draft["decision"] == "reply"
    assert draft["channel"] == "chat"
    assert draft["citations"]


def test_draft_a_ticket_file_reads_the_kb_from_the_environment() -> None:
    ticket = sorted((EXAMPLES / "tickets").glob("*.json"))[0]
    result = runner.invoke(
        app, ["draft", "--ticket", str(ticket)], env={"REPLYASSIST_KB": str(EXAMPLES / "kb")}
    )
    assert result.exit_code == 0, result.output
    assert any(word in result.stdout for word in ("REPLY", "SKIP", "ESCALATE"))


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    broken = tmp_path / "t.json"
    broken.write_text('{"messages": [', encoding="utf-8")
    result = runner.invoke(app, ["draft", "--ticket", str(broken)])
    assert result.exit_code == 1
    assert "error:" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["draft", "hello", "--kb", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "error:" in result.output


def test_kb_index_then_search(tmp_path: Path) -> None:
    result = runner.invoke(app, ["kb", "index", str(EXAMPLES / "kb"), "--out", str(tmp_path / "idx")])
    assert result.exit_code == 0, result.output
    assert "indexed" in result.stdout
    result = runner.invoke(app, ["kb", "search", str(tmp_path / "idx"), "charged twice", "--json", "-k", "3"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 0 < len(hits) <= 3
    assert "charged-twice" in hits[0]["passage"]["article_id"]


def test_demo_drafts_every_sample_ticket() -> None:
    result = runner.invoke(app, ["demo"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    n = len(list((EXAMPLES / "tickets").glob("*.json")))
    assert f"{n} tickets" in result.stdout
    assert f"{n}/{n} decisions as the sample expects" in result.stdout


def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replyassist.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "draft" in result.stdout and "demo" in result.stdout
