"""The SQLAlchemy engine behind the store, tuned per backend."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from replyassist._errors import ConfigurationError, MissingDependencyError
from replyassist.service.config import redact_url

__all__ = ["SQLITE_BUSY_MS", "create_store_engine", "password_of"]

SQLITE_BUSY_MS = 15_000
"""How long a SQLite connection waits for another writer before giving up."""


def create_store_engine(url: str, kwargs: Mapping[str, Any]) -> Engine:
    """An engine tuned per backend: SQLite in WAL mode with a busy timeout, PostgreSQL pre-pinged."""
    try:
        sa_url = sa.engine.make_url(url)
    except sa_exc.ArgumentError:
        raise ConfigurationError(f"not a database URL: {redact_url(url)}") from None
    backend = sa_url.get_backend_name()
    options: dict[str, Any] = {}
    if backend == "sqlite":
        memory = sa_url.database in (None, "", ":memory:")
        options["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        if memory:
            options["poolclass"] = StaticPool  # one shared connection, or each would see its own database
        else:
            Path(str(sa_url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        options.update(pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"connect_timeout": 5})
    else:
        raise ConfigurationError(
            f"unsupported database {redact_url(url)}: use sqlite:///path.db or postgresql://user@host/db"
        )
    options.update(kwargs)
    try:
        engine = sa.create_engine(sa_url, **options)
    except ModuleNotFoundError as exc:
        if backend == "postgresql":
            raise MissingDependencyError("psycopg", "postgres", "A PostgreSQL store") from exc
        raise
    if backend == "sqlite":
        sa_event.listen(engine, "connect", _sqlite_pragmas(memory))
    return engine


def _sqlite_pragmas(memory: bool) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not memory:
            # WAL: readers never block the writer; NORMAL sync is durable enough in WAL mode.
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return on_connect


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL once (it is persistent); retry while another process holds it.

    SQLite does not call the busy handler for a journal-mode change, so two processes
    opening a new database at once would otherwise fail with "database is locked".
    """
    import sqlite3

    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def password_of(engine: Engine) -> str | None:
    return engine.url.password if isinstance(engine.url.password, str) and engine.url.password else None
