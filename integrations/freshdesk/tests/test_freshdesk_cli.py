"""``replyassist-freshdesk``: setup (print and create the automation rules), check, package-app."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import SECRET_HEADER
from replyassist_freshdesk.cli import app

runner = CliRunner()
SERVICE = "https://replyassist.example.com"


def test_setup_prints_steps_and_rules_without_the_secret(
    monkeypatch: pytest.MonkeyPatch, fake: FakeFreshdesk
) -> None:
    for name, value in fake.settings().items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["setup", "--service-url", SERVICE + "/"])

    assert result.exit_code == 0, result.output
    assert "https://replyassist.example.com/webhooks/freshdesk" in result.output
    assert "Ticket creation" in result.output and "Ticket updates" in result.output
    assert '"ticket_id": "{{ticket.id}}"' in result.output
    assert "a-long-shared-webhook-secret" not in result.output
    assert fake.requests == []  # printing needs no API call


def test_setup_json_is_the_rules(fake: FakeFreshdesk) -> None:
    result = runner.invoke(app, ["setup", "--service-url", SERVICE, "--json"])

    rules = json.loads(result.output)
    assert [r["automation_type_id"] for r in rules] == [1, 4]
    action = rules[1]["actions"][0]
    assert action["field_name"] == "trigger_webhook" and action["request_type"] == "POST"
    assert action["custom_headers"] == {SECRET_HEADER: "<FRESHDESK_WEBHOOK_SECRET>"}
    assert action["content"]["event"] == "comment_added"
    assert rules[1]["events"] == [{"field_name": "reply_sent"}]


def test_setup_refuses_plain_http() -> None:
    result = runner.invoke(app, ["setup", "--service-url", "http://replyassist.example.com"])

    assert result.exit_code == 1
    assert "https" in result.output


def test_setup_create_makes_each_rule_once(monkeypatch: pytest.MonkeyPatch, fake: FakeFreshdesk) -> None:
    for name, value in fake.settings().items():
        monkeypatch.setenv(name, value)

    first = runner.invoke(app, ["setup", "--service-url", SERVICE, "--create"])
    again = runner.invoke(app, ["setup", "--service-url", SERVICE, "--create"])

    assert first.exit_code == 0, first.output
    assert first.output.count("created: ") == 2
    assert again.output.count("exists:  ") == 2
    [created] = fake.rules(1)
    assert created["actions"][0]["custom_headers"] == {SECRET_HEADER: "a-long-shared-webhook-secret"}
    assert created["actions"][0]["url"] == f"{SERVICE}/webhooks/freshdesk"
    assert len(fake.rules(4)) == 1
    assert "a-long-shared-webhook-secret" not in first.output + again.output


def test_setup_create_reports_a_refused_rule(monkeypatch: pytest.MonkeyPatch, fake: FakeFreshdesk) -> None:
    for name, value in fake.settings().items():
        monkeypatch.setenv(name, value)
    fake.fail_next(status=400, retry_after=None, path_contains="automations/1/rules", method="POST")

    result = runner.invoke(app, ["setup", "--service-url", SERVICE, "--create"])

    assert result.exit_code == 0, result.output
    assert "refused: replyassist: draft a reply to new tickets" in result.output
    assert "by hand" in result.output
    assert "created: replyassist: draft a reply when the customer replies" in result.output
    assert fake.rules(1) == [] and len(fake.rules(4)) == 1


def test_setup_create_names_missing_settings() -> None:
    result = runner.invoke(app, ["setup", "--service-url", SERVICE, "--create"])

    assert result.exit_code == 1
    assert "FRESHDESK_API_KEY" in result.output


def test_check_reports_the_account(monkeypatch: pytest.MonkeyPatch, fake: FakeFreshdesk) -> None:
    for name, value in fake.settings().items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["check"])

    assert result.exit_code == 0, result.output
    assert "acme.freshdesk.com" in result.output and "calls left" in result.output


def test_check_with_a_wrong_key_is_one_line(monkeypatch: pytest.MonkeyPatch, fake: FakeFreshdesk) -> None:
    for name, value in fake.settings(FRESHDESK_API_KEY="wrong-key-0123456789").items():
        monkeypatch.setenv(name, value)

    result = runner.invoke(app, ["check"])

    assert result.exit_code == 1
    assert "401" in result.output and "wrong-key-0123456789" not in result.output


def test_package_app_calls_the_app_packer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written = tmp_path / "replyassist.zip"
    packer = types.ModuleType("replyassist_freshdesk.app_package")
    asked: list[Path] = []

    def package_app(output: Path) -> Path:
        asked.append(output)
        written.write_bytes(b"PK")
        return written

    packer.package_app = package_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "replyassist_freshdesk.app_package", packer)

    result = runner.invoke(app, ["package-app", "--output", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert asked == [tmp_path]
    assert str(written) in result.output
