"""The service's settings, read from the environment and a TOML config file.

Precedence: environment variable → config file (``REPLYASSIST_CONFIG`` or ``--config``) →
default. Every problem is collected and raised as one :class:`~replyassist.ConfigurationError`
that lists each bad setting, where it came from and why, so an admin fixes them in one go.

A config file uses the field names as keys::

    database_url = "postgresql://replyassist@db.internal/replyassist"
    queue_url = "redis://cache.internal:6379/0"
    helpdesks = ["zendesk"]
    cors_origins = ["https://acme.zendesk.com"]

Relative paths (``data_dir``, ``kb_path``) are relative to the working directory. Helpdesk
plug-ins read their own settings (``ZENDESK_SUBDOMAIN``…) from the same environment
(:attr:`ServiceSettings.env`).

Secrets (the database and queue URLs can hold passwords) are ``SecretStr``: they never appear
in ``repr`` or error messages; use :attr:`ServiceSettings.database_url_redacted` to show one.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator

from replyassist._errors import ConfigurationError, ReplyAssistError

__all__ = ["ENV_VARS", "ServiceSettings", "normalize_database_url", "redact_url"]

ENV_VARS: dict[str, str] = {
    "data_dir": "REPLYASSIST_DATA_DIR",
    "database_url": "REPLYASSIST_DATABASE_URL",
    "queue_url": "REPLYASSIST_QUEUE_URL",
    "kb_path": "REPLYASSIST_KB",
    "llm": "REPLYASSIST_LLM",
    "helpdesks": "REPLYASSIST_HELPDESKS",
    "cors_origins": "REPLYASSIST_CORS_ORIGINS",
    "max_body_bytes": "REPLYASSIST_MAX_BODY_BYTES",
    "rate_limit_per_minute": "REPLYASSIST_RATE_LIMIT",
    "workers": "REPLYASSIST_WORKERS",
    "job_process": "REPLYASSIST_JOB_PROCESS",
    "job_processes": "REPLYASSIST_JOB_PROCESSES",
    "job_lease_seconds": "REPLYASSIST_JOB_LEASE_SECONDS",
    "job_max_attempts": "REPLYASSIST_JOB_MAX_ATTEMPTS",
    "sweep_interval_seconds": "REPLYASSIST_SWEEP_INTERVAL_SECONDS",
    "public_replies": "REPLYASSIST_PUBLIC_REPLIES",
    "host": "REPLYASSIST_HOST",
    "port": "REPLYASSIST_PORT",
    "log_level": "REPLYASSIST_LOG_LEVEL",
}
"""Each setting and the environment variable that sets it."""

CONFIG_ENV_VAR = "REPLYASSIST_CONFIG"
_SECRET_FIELDS = {"database_url", "queue_url"}
_LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_ORIGIN = re.compile(r"^https?://[^/\s?#]+/?$")


def _default_job_processes() -> int:
    """One job process per core, at most 4: drafting is CPU work between model calls, one process
    runs Python on one core at a time, and each process holds its own copy of the KB index."""
    return max(1, min(4, os.cpu_count() or 1))


def share_workers(workers: int, processes: int) -> list[int]:
    """How many jobs each of ``processes`` runs at once: ``workers`` in all, as even as can be.

    Never more processes than jobs at once (a process with no thread would only cost memory).

    >>> share_workers(8, 3)
    [3, 3, 2]
    >>> share_workers(2, 4)
    [1, 1]
    """
    processes = max(1, min(processes, workers))
    return [workers // processes + (1 if i < workers % processes else 0) for i in range(processes)]


def normalize_database_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs use psycopg 3 (``postgresql+psycopg://``)."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def redact_url(url: str) -> str:
    """The URL with its password (and any ``password=`` query value) replaced by ``***``."""
    redacted = re.sub(r"^([a-zA-Z][\w+.-]*://[^/@:]*):[^/@]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", redacted)


class ServiceSettings(BaseModel):
    """Everything ``replyassist serve``, ``worker``, ``report`` and ``tokens`` need.

    Build it with :meth:`load`; the constructor takes the same fields (for tests and
    embedding) and validates them the same way, without reading the environment.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    data_dir: Path = Path(".replyassist")
    database_url: SecretStr = Field(default=SecretStr(""), description="default: a SQLite file in data_dir")
    queue_url: SecretStr | None = None
    kb_path: Path | None = None
    llm: str | None = None
    helpdesks: list[str] = Field(default_factory=lambda: _installed_helpdesks())
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    rate_limit_per_minute: int = Field(default=600, ge=1)
    workers: int = Field(default=8, ge=1, le=512)
    job_process: bool = Field(
        default=True,
        description="in-process jobs run in worker processes the service starts (False: threads of the API process)",
    )
    job_processes: int = Field(
        default_factory=lambda: _default_job_processes(),
        ge=1,
        le=64,
        description="how many worker processes share the in-process jobs (default: one per core, at most 4)",
    )
    job_lease_seconds: float = Field(default=120.0, gt=0)
    job_max_attempts: int = Field(default=5, ge=1)
    sweep_interval_seconds: float = Field(default=15.0, gt=0)
    public_replies: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"

    _env: Mapping[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, config_file: Path | None = None) -> ServiceSettings:
        """Read the settings: ``env`` (default ``os.environ``) over ``config_file`` over defaults.

        Raises:
            ConfigurationError: listing every bad setting (secret values are not echoed).
        """
        env = dict(os.environ if env is None else env)
        problems: list[str] = []
        values: dict[str, Any] = {}
        source: dict[str, str] = {}
        file = config_file or (Path(env[CONFIG_ENV_VAR]) if env.get(CONFIG_ENV_VAR) else None)
        if file is not None:
            for key, value in _read_toml(file, problems).items():
                values[key], source[key] = value, f"{key} in {file}"
        for field, var in ENV_VARS.items():
            if var in env:
                values[field], source[field] = env[var], var
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            problems += [_describe(error, source) for error in exc.errors()]
            settings = None
        if problems or settings is None:
            raise ConfigurationError(
                "invalid replyassist settings:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        settings._env = env
        return settings

    # --- validation ------------------------------------------------------------------------

    @field_validator("helpdesks", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("queue_url", "llm", "kb_path", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url", mode="after")
    @classmethod
    def _check_database_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value().strip()
        if not url:
            return value  # the default, a file in data_dir, is filled in by model_post_init
        url = normalize_database_url(url)
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
            raise ValueError(
                f"unsupported database {scheme or 'URL'!r}: use sqlite:///path/to/file.db or postgresql://user@host/db"
            )
        return SecretStr(url)

    @field_validator("queue_url", mode="after")
    @classmethod
    def _check_queue_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and urlsplit(value.get_secret_value()).scheme not in ("redis", "rediss"):
            raise ValueError("the queue must be a redis:// or rediss:// URL (or unset for in-process jobs)")
        return value

    @field_validator("kb_path", mode="after")
    @classmethod
    def _check_kb_path(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().exists():
            raise ValueError(f"{value} does not exist (a folder of articles or an index saved by `kb index`)")
        return None if value is None else value.expanduser()

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        bad = [origin for origin in value if not _ORIGIN.match(origin)]
        if bad:
            raise ValueError(f"origins must look like https://host[:port] with no path or wildcard: {bad}")
        return [origin.rstrip("/") for origin in value]

    @field_validator("helpdesks", mode="after")
    @classmethod
    def _check_helpdesks(cls, value: list[str]) -> list[str]:
        bad = [name for name in value if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name)]
        if bad:
            raise ValueError(f"helpdesk names are lower-case letters, digits, - and _: {bad}")
        return list(dict.fromkeys(value))

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        if value.lower() not in _LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(_LOG_LEVELS)}")
        return value.lower()

    def model_post_init(self, context: Any, /) -> None:
        if not self.database_url.get_secret_value():
            default = f"sqlite:///{(self.data_dir / 'replyassist.db').as_posix()}"
            object.__setattr__(self, "database_url", SecretStr(default))

    # --- derived values --------------------------------------------------------------------

    @property
    def database_url_redacted(self) -> str:
        """The database URL with its password replaced by ``***``, for logs and messages."""
        return redact_url(self.database_url.get_secret_value())

    @property
    def queue_url_redacted(self) -> str | None:
        return None if self.queue_url is None else redact_url(self.queue_url.get_secret_value())

    @property
    def kb_location(self) -> Path:
        """The KB to load: ``kb_path``, else the sample KB shipped with replyassist."""
        if self.kb_path is not None:
            return self.kb_path
        from replyassist._resources import samples_dir

        return samples_dir() / "kb"

    @property
    def env(self) -> Mapping[str, str]:
        """The environment the settings were loaded from (helpdesk factories read theirs from it)."""
        return self._env or os.environ

    # --- start-up check --------------------------------------------------------------------

    def check(self) -> list[str]:
        """Try the database, the queue, the KB and each helpdesk; human lines on success.

        Raises:
            ConfigurationError: listing every part that failed (all are tried).
        """
        lines: list[str] = []
        failures: list[str] = []
        for label, probe in (
            ("database", self._check_database),
            ("queue", self._check_queue),
            ("knowledge base", self._check_kb),
            *((f"helpdesk {name}", _helpdesk_probe(name, self.env)) for name in self.helpdesks),
        ):
            try:
                lines.append(f"{label}: {probe()}")
            except ConfigurationError as exc:
                if label.startswith("helpdesk ") and "helpdesks" not in self.model_fields_set:
                    # Not named in REPLYASSIST_HELPDESKS: installed but not configured is fine.
                    lines.append(f"{label}: installed, not configured, off ({exc})")
                else:
                    failures.append(f"{label}: {exc}")
            except ReplyAssistError as exc:
                failures.append(f"{label}: {exc}")
        if not self.helpdesks:
            lines.append("helpdesks: none installed or configured (only /v1/drafts will be useful)")
        if failures:
            raise ConfigurationError(
                "the service cannot start:\n" + "\n".join(f"  - {line}" for line in failures)
            )
        return lines

    def _check_database(self) -> str:
        from replyassist.service.store import Store

        store = Store.from_settings(self)
        try:
            store.ping()
            revision, head = store.schema_revision(), store.head_revision()
        finally:
            store.close()
        schema = (
            "schema up to date"
            if revision == head
            else f"schema at {revision or 'nothing'}, {head} available: run `replyassist db upgrade`"
        )
        return f"ok ({self.database_url_redacted}, {schema})"

    def _check_queue(self) -> str:
        if self.queue_url is None:
            processes = len(share_workers(self.workers, self.job_processes))
            where = (
                f"{processes} worker process{'es' if processes > 1 else ''}"
                if self.job_process
                else "the service process"
            )
            return f"in-process jobs ({self.workers} workers in {where})"
        try:
            import redis
        except ImportError:
            from replyassist._errors import MissingDependencyError

            raise MissingDependencyError("redis", "queue", "A Redis queue") from None
        client = redis.Redis.from_url(
            self.queue_url.get_secret_value(), socket_connect_timeout=3, socket_timeout=3
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ConfigurationError(f"{self.queue_url_redacted} does not answer: {exc}") from None
        finally:
            client.close()
        return f"ok ({self.queue_url_redacted})"

    def _check_kb(self) -> str:
        from replyassist.knowledge import KnowledgeBase

        path = self.kb_location
        kb = KnowledgeBase.load(path) if KnowledgeBase.is_saved(path) else KnowledgeBase.from_directory(path)
        return f"ok ({len(kb.articles)} articles from {path})"


def _helpdesk_probe(name: str, env: Mapping[str, str]) -> Any:
    def probe() -> str:
        from replyassist.helpdesk import load_helpdesk

        adapter = load_helpdesk(name, env)
        return f"ok ({type(adapter).__name__})"

    return probe


def _installed_helpdesks() -> list[str]:
    from replyassist.helpdesk import available_helpdesks

    return list(available_helpdesks())


def _read_toml(file: Path, problems: list[str]) -> dict[str, Any]:
    try:
        data = tomllib.loads(Path(file).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"the config file {file} does not exist")
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"the config file {file} cannot be read: {exc}")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"the config file {file} is not valid TOML: {exc}")
        return {}
    unknown = sorted(set(data) - set(ENV_VARS))
    for key in unknown:
        problems.append(f"{key} in {file}: unknown setting (known: {', '.join(ENV_VARS)})")
    return {key: value for key, value in data.items() if key in ENV_VARS}


def _describe(error: Mapping[str, Any], source: Mapping[str, str]) -> str:
    """One line per pydantic error: where the value came from, and why it is wrong."""
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else "settings"
    where = source.get(field) or ENV_VARS.get(field, field)
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if field not in _SECRET_FIELDS and error.get("type") not in ("value_error",) and "input" in error:
        given = error["input"]
        if isinstance(given, str | int | float | bool):
            message += f" (got {given!r})"
    return f"{where}: {message}"
