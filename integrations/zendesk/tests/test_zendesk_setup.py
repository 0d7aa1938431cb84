"""`replyassist-zendesk setup` and `package-app`, run through the CLI against the fake Zendesk."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_zendesk import FakeZendesk
from replyassist_zendesk import TRIGGER_BODY
from replyassist_zendesk.cli import app

URL = "https://replyassist.example.com/webhooks/zendesk"


def _run(fake: FakeZendesk, *args: str) -> tuple[int, str]:
    env = {
        "ZENDESK_SUBDOMAIN": "acme",
        "ZENDESK_EMAIL": fake.email,
        "ZENDESK_API_TOKEN": fake.token or "",
        "ZENDESK_BASE_URL": fake.url,
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def _writes(fake: FakeZendesk) -> list[tuple[str, str]]:
    return [(m, p) for m, p in fake.log if m != "GET"]


def test_dry_run_prints_the_plan_and_changes_nothing(fake_zendesk: FakeZendesk) -> None:
    code, output = _run(fake_zendesk, "setup", "--url", URL, "--dry-run")
    assert code == 0, output
    assert "dry run: nothing was changed" in output
    assert "webhook: would create — POST " + URL in output
    assert "trigger: would create" in output
    assert _writes(fake_zendesk) == []
    assert (fake_zendesk.webhooks, fake_zendesk.triggers) == ({}, {})


def test_setup_twice_makes_one_webhook_and_one_trigger(fake_zendesk: FakeZendesk) -> None:
    code, first = _run(fake_zendesk, "setup", "--url", URL)
    assert code == 0, first
    code, second = _run(fake_zendesk, "setup", "--url", URL)
    assert code == 0, second
    assert "webhook: created" in first and "trigger: created" in first
    assert "webhook: unchanged" in second and "trigger: unchanged" in second
    [webhook] = fake_zendesk.webhooks.values()
    [trigger] = fake_zendesk.triggers.values()
    assert (webhook["endpoint"], webhook["http_method"], webhook["request_format"]) == (URL, "POST", "json")
    assert webhook["subscriptions"] == ["conditional_ticket_events"]
    [action] = trigger["actions"]
    assert action["field"] == "notification_webhook"
    assert action["value"][0] == webhook["id"]
    assert json.loads(action["value"][1]) == TRIGGER_BODY
    assert len(_writes(fake_zendesk)) == 2  # the second run wrote nothing


def test_setup_repairs_what_was_changed_by_hand(fake_zendesk: FakeZendesk) -> None:
    _run(fake_zendesk, "setup", "--url", "https://old.example.com/webhooks/zendesk")
    [trigger] = fake_zendesk.triggers.values()
    trigger["conditions"] = {"all": [], "any": []}
    code, output = _run(fake_zendesk, "setup", "--url", URL)
    assert code == 0, output
    assert "webhook: updated" in output and "endpoint" in output
    assert "trigger: updated" in output and "conditions" in output
    assert [w["endpoint"] for w in fake_zendesk.webhooks.values()] == [URL]
    assert len(fake_zendesk.triggers) == 1


def test_the_signing_secret_is_only_revealed_on_request(fake_zendesk: FakeZendesk, tmp_path: Path) -> None:
    code, output = _run(fake_zendesk, "setup", "--url", URL)
    [secret] = fake_zendesk.webhook_secrets.values()
    assert code == 0 and secret not in output
    assert "--secret-file" in output
    target = tmp_path / "secret.txt"
    code, output = _run(fake_zendesk, "setup", "--url", URL, "--secret-file", str(target))
    assert code == 0 and secret not in output
    assert target.read_text(encoding="utf-8").strip() == secret
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    code, output = _run(fake_zendesk, "setup", "--url", URL, "--show-secret")
    assert f"ZENDESK_WEBHOOK_SECRET={secret}" in output


def test_setup_errors_are_one_line(fake_zendesk: FakeZendesk) -> None:
    code, output = _run(fake_zendesk, "setup", "--url", "ftp://nowhere")
    assert code == 1 and output.startswith("error: the webhook URL must be an http(s) URL")
    fake_zendesk.fail_next(503)
    code, output = _run(fake_zendesk, "setup", "--url", URL)
    assert code == 1 and "Zendesk answered 503" in output


def test_setup_without_credentials_says_what_to_set() -> None:
    result = CliRunner().invoke(app, ["setup", "--url", URL], env={})
    assert result.exit_code == 1
    assert "ZENDESK_SUBDOMAIN" in result.output and "ZENDESK_WEBHOOK_SECRET" not in result.output


def test_package_app_writes_the_zip(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["package-app", str(tmp_path / "app.zip")])
    if result.exit_code != 0:
        pytest.fail(result.output)
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        assert "manifest.json" in archive.namelist()
