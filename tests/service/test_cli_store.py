"""``replyassist tokens``, ``db`` and ``report`` through Typer's CliRunner, on a real database."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.models import Decision, Draft, Feedback, FeedbackKind
from replyassist.service.store import Store

runner = CliRunner()


@pytest.fixture
def env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the commands run in: the test's SQLite database, no config file."""
    monkeypatch.delenv("REPLYASSIST_CONFIG", raising=False)
    monkeypatch.delenv("REPLYASSIST_DATABASE_URL", raising=False)
    return {"REPLYASSIST_DATABASE_URL": sqlite_url, "COLUMNS": "160"}  # tables as wide as a terminal


def run(args: list[str], env: dict[str, str], code: int = 0) -> tuple[str, str]:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def test_db_upgrade_creates_the_schema_and_can_run_again(env: dict[str, str]) -> None:
    stdout, _ = run(["db", "upgrade"], env)
    assert "schema upgraded from empty to 0001" in stdout
    stdout, _ = run(["db", "upgrade"], env)
    assert "schema already at 0001" in stdout
    stdout, _ = run(["db", "status"], env)
    assert "schema 0001, latest 0001: up to date" in stdout


def test_commands_on_an_unmigrated_database_say_what_to_run(env: dict[str, str]) -> None:
    _, stderr = run(["tokens", "list"], env, code=1)
    assert "error:" in stderr and "replyassist db upgrade" in stderr


def test_token_lifecycle(env: dict[str, str], sqlite_url: str) -> None:
    run(["db", "upgrade"], env)
    stdout, stderr = run(["tokens", "create", "zendesk-sidebar"], env)
    plaintext = stdout.strip()
    assert plaintext.startswith("ra_") and "\n" not in plaintext  # only the token, for scripts
    assert "will not be shown again" in stderr
    store = Store(sqlite_url)
    assert store.verify_token(plaintext) is not None

    listing, _ = run(["tokens", "list"], env)
    as_json, _ = run(["tokens", "list", "--json"], env)
    token_hash = hashlib.sha256(plaintext.encode()).hexdigest()
    for output in (listing, as_json):
        assert "zendesk-sidebar" in output
        assert plaintext not in output and token_hash not in output
    [listed] = json.loads(as_json)
    assert listed["revoked_at"] is None and plaintext.startswith(listed["prefix"])

    stdout, _ = run(["tokens", "revoke", "zendesk-sidebar"], env)
    assert "revoked token 'zendesk-sidebar'" in stdout
    assert store.verify_token(plaintext) is None
    assert json.loads(run(["tokens", "list", "--json"], env)[0])[0]["revoked_at"] is not None
    _, stderr = run(["tokens", "revoke", "nobody"], env, code=1)
    assert "no API token has the id or name 'nobody'" in stderr
    store.close()


def test_report_writes_html_and_json(env: dict[str, str], sqlite_url: str, tmp_path: Path) -> None:
    run(["db", "upgrade"], env)
    store = Store(sqlite_url)
    draft = Draft(decision=Decision.REPLY, text="Your refund is on its way.")
    store.save_draft(draft, helpdesk="fake", ticket_id="7")
    store.add_feedback(
        Feedback(draft_id=draft.id, kind=FeedbackKind.EDITED, final_text="Your refund is on the way.")
    )
    store.close()
    html, figures = tmp_path / "r" / "report.html", tmp_path / "figures.json"
    today = draft.created_at.date().isoformat()
    stdout, _ = run(
        ["report", "--out", str(html), "--json", str(figures), "--since", today, "--until", today], env
    )
    assert "report written to" in stdout
    assert "<svg" in html.read_text(encoding="utf-8")
    totals = json.loads(figures.read_text(encoding="utf-8"))["totals"]
    assert (totals["drafts"], totals["edited"], totals["median_edit_distance"]) == (1, 1, 3)
    # --until is a whole day: the day before excludes the draft
    run(["report", "--out", str(tmp_path / "none"), "--until", "2000-01-01"], env)
    none = json.loads((tmp_path / "none" / "replyassist-report.json").read_text(encoding="utf-8"))
    assert none["totals"]["drafts"] == 0


def test_report_rejects_a_bad_date(env: dict[str, str]) -> None:
    _, stderr = run(["report", "--since", "last tuesday"], env, code=2)
    assert "--since 'last tuesday' is not a date" in stderr


def test_the_config_file_names_the_database(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLYASSIST_DATABASE_URL", raising=False)
    config = tmp_path / "replyassist.toml"
    config.write_text(f'database_url = "{pg_url}"\n', encoding="utf-8")
    stdout, _ = run(["db", "upgrade", "--config", str(config)], {})
    assert "postgresql+psycopg://" in stdout and "schema upgraded" in stdout
    token = run(["tokens", "create", "ci", "--config", str(config)], {})[0].strip()
    store = Store(pg_url)
    assert store.verify_token(token) is not None
    store.close()
