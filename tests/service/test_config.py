"""ServiceSettings: environment over config file over defaults, every problem at once, secrets kept."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from replyassist import ConfigurationError
from replyassist import helpdesk as helpdesk_module
from replyassist.service.config import ServiceSettings
from replyassist.testing import FakeHelpdesk

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_defaults_need_no_configuration() -> None:
    settings = ServiceSettings.load({}, None)
    assert settings.database_url.get_secret_value() == "sqlite:///.replyassist/replyassist.db"
    assert settings.queue_url is None and settings.cors_origins == [] and not settings.public_replies
    assert (settings.workers, settings.max_body_bytes, settings.rate_limit_per_minute) == (8, 1_048_576, 600)
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "info")
    assert settings.kb_location.joinpath().is_dir()  # the bundled sample KB


def test_environment_overrides_the_config_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "replyassist.toml",
        f"""
data_dir = "{tmp_path.as_posix()}/data"
workers = 3
helpdesks = ["zendesk"]
cors_origins = ["https://acme.zendesk.com"]
public_replies = true
""",
    )
    env = {"REPLYASSIST_WORKERS": "12", "REPLYASSIST_CORS_ORIGINS": "https://a.example, https://b.example/"}
    settings = ServiceSettings.load(env, config)
    assert settings.workers == 12
    assert settings.helpdesks == ["zendesk"] and settings.public_replies is True
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.database_url.get_secret_value() == f"sqlite:///{tmp_path.as_posix()}/data/replyassist.db"
    # REPLYASSIST_CONFIG names the file when no path is given
    assert ServiceSettings.load({"REPLYASSIST_CONFIG": str(config)}).workers == 3


def test_postgresql_urls_use_psycopg_and_secrets_stay_hidden() -> None:
    settings = ServiceSettings.load(
        {
            "REPLYASSIST_DATABASE_URL": "postgresql://ra:db-Pa55@db.internal/replyassist",
            "REPLYASSIST_QUEUE_URL": "redis://:queue-Pa55@cache.internal:6379/0",
        }
    )
    assert (
        settings.database_url.get_secret_value() == "postgresql+psycopg://ra:db-Pa55@db.internal/replyassist"
    )
    assert settings.database_url_redacted == "postgresql+psycopg://ra:***@db.internal/replyassist"
    assert settings.queue_url_redacted == "redis://:***@cache.internal:6379/0"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "db-Pa55" not in text and "queue-Pa55" not in text


def test_every_problem_is_reported_at_once_without_secrets(tmp_path: Path) -> None:
    config = write(tmp_path / "bad.toml", 'workers = "many"\nmystery = 1\n')
    env = {
        "REPLYASSIST_DATABASE_URL": "mysql://ra:db-Pa55@db/replyassist",
        "REPLYASSIST_QUEUE_URL": "amqp://guest:queue-Pa55@mq",
        "REPLYASSIST_PORT": "99999",
        "REPLYASSIST_KB": str(tmp_path / "no-such-kb"),
        "REPLYASSIST_CORS_ORIGINS": "*",
        "REPLYASSIST_LOG_LEVEL": "loud",
        "REPLYASSIST_PUBLIC_REPLIES": "perhaps",
    }
    with pytest.raises(ConfigurationError) as info:
        ServiceSettings.load(env, config)
    message = str(info.value)
    for name in (
        "REPLYASSIST_DATABASE_URL",
        "REPLYASSIST_QUEUE_URL",
        "REPLYASSIST_PORT",
        "REPLYASSIST_KB",
        "REPLYASSIST_CORS_ORIGINS",
        "REPLYASSIST_LOG_LEVEL",
        "REPLYASSIST_PUBLIC_REPLIES",
        f"workers in {config}",
        f"mystery in {config}: unknown setting",
    ):
        assert name in message
    assert "db-Pa55" not in message and "queue-Pa55" not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "does not exist"), ("workers = [", "not valid TOML")],
)
def test_a_broken_config_file_is_named(tmp_path: Path, content: str | None, expected: str) -> None:
    config = tmp_path / "replyassist.toml"
    if content is not None:
        write(config, content)
    with pytest.raises(ConfigurationError, match=expected):
        ServiceSettings.load({}, config)


def test_check_tries_every_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(helpdesk_module._registered, "fake", FakeHelpdesk.from_settings)
    env = {
        "REPLYASSIST_DATA_DIR": str(tmp_path),
        "REPLYASSIST_QUEUE_URL": "redis://127.0.0.1:6379/0",
        "REPLYASSIST_KB": str(ROOT / "examples" / "kb"),
        "REPLYASSIST_HELPDESKS": "fake",
        "FAKE_HELPDESK_SECRET": "s",
    }
    lines = ServiceSettings.load(env).check()
    text = "\n".join(lines)
    assert "database: ok" in text and "replyassist db upgrade" in text  # reachable, not migrated yet
    assert "queue: ok (redis://127.0.0.1:6379/0)" in text
    assert "knowledge base: ok (40 articles" in text
    assert "helpdesk fake: ok (FakeHelpdesk)" in text


def test_check_lists_every_failure_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(helpdesk_module._registered, "fake", FakeHelpdesk.from_settings)
    env = {
        "REPLYASSIST_DATABASE_URL": f"postgresql://ra:db-Pa55@127.0.0.1:{closed_port()}/replyassist",
        "REPLYASSIST_QUEUE_URL": f"redis://:queue-Pa55@127.0.0.1:{closed_port()}/0",
        "REPLYASSIST_HELPDESKS": "fake,nosuchdesk",
    }
    with pytest.raises(ConfigurationError) as info:
        ServiceSettings.load(env).check()
    message = str(info.value)
    assert "database: the database postgresql+psycopg://ra:***@127.0.0.1" in message
    assert "queue: redis://:***@127.0.0.1" in message
    assert "helpdesk fake: the fake helpdesk needs FAKE_HELPDESK_SECRET" in message
    assert "helpdesk nosuchdesk: no helpdesk plug-in named 'nosuchdesk'" in message
    assert "knowledge base" not in message  # the sample KB loads
    assert "db-Pa55" not in message and "queue-Pa55" not in message


def test_installed_but_unconfigured_plugins_are_off_unless_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installing both plug-ins and using one must not stop the service; naming one makes it required."""
    from replyassist.service.context import ServiceContext

    monkeypatch.setattr(helpdesk_module, "_registered", {"fake": FakeHelpdesk.from_settings})
    monkeypatch.setattr(helpdesk_module, "entry_points", lambda group: [])
    env = {"REPLYASSIST_DATA_DIR": str(tmp_path), "REPLYASSIST_KB": str(ROOT / "examples" / "kb")}

    lines = "\n".join(ServiceSettings.load(env).check())
    assert "helpdesk fake: installed, not configured, off" in lines
    context = ServiceContext.from_settings(ServiceSettings.load(env))
    try:
        assert context.adapters == {}
    finally:
        context.close()

    named = {**env, "REPLYASSIST_HELPDESKS": "fake"}
    with pytest.raises(ConfigurationError, match="FAKE_HELPDESK_SECRET"):
        ServiceSettings.load(named).check()
    with pytest.raises(ConfigurationError, match="FAKE_HELPDESK_SECRET"):
        ServiceContext.from_settings(ServiceSettings.load(named))
    context = ServiceContext.from_settings(ServiceSettings.load({**env, "FAKE_HELPDESK_SECRET": "s"}))
    try:
        assert list(context.adapters) == ["fake"]
    finally:
        context.close()
