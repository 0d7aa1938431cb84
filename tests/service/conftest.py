"""Shared fixtures for the service tests: stores on SQLite and on the real PostgreSQL.

PostgreSQL runs on 127.0.0.1:5432 with trust authentication (CI starts it). Each test that
asks for ``pg_url`` gets a fresh database with a unique name, dropped afterwards. If the
server is not there the test fails with a message saying so: it never skips.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replyassist.service.store import Store

PG_HOST = "127.0.0.1"
PG_PORT = 5432
_PG_USERS = ("root", "postgres")


@pytest.fixture(scope="session")
def pg_admin() -> tuple[str, str]:
    """``(user, maintenance_db)`` that can create databases on the local PostgreSQL."""
    import psycopg

    errors = []
    for user in _PG_USERS:
        for dbname in ("test", "postgres"):
            try:
                with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname, connect_timeout=5):
                    return user, dbname
            except psycopg.Error as exc:
                errors.append(f"{user}@{dbname}: {str(exc).strip().splitlines()[0]}")
    pytest.fail(
        f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} as {' or '.join(_PG_USERS)} "
        f"(start it; CI does): {'; '.join(errors)}",
        pytrace=False,
    )


def _admin_connection(admin: tuple[str, str]) -> Any:
    import psycopg

    user, maintenance_db = admin
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=maintenance_db, autocommit=True)


def _create_database(admin: tuple[str, str]) -> str:
    from psycopg import sql

    name = f"ra_test_{uuid.uuid4().hex[:16]}"
    with _admin_connection(admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(admin: tuple[str, str], name: str) -> None:
    from psycopg import sql

    with _admin_connection(admin) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg_url(admin: tuple[str, str], name: str) -> str:
    return f"postgresql://{admin[0]}@{PG_HOST}:{PG_PORT}/{name}"


@pytest.fixture
def pg_url(pg_admin: tuple[str, str]) -> Iterator[str]:
    """A ``postgresql://`` URL to a fresh, empty database, dropped after the test."""
    name = _create_database(pg_admin)
    try:
        yield _pg_url(pg_admin, name)
    finally:
        _drop_database(pg_admin, name)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that ``sqlite_store`` files are copied from."""
    path = tmp_path_factory.mktemp("sqlite-template") / "replyassist.db"
    store = Store(f"sqlite:///{path.as_posix()}")
    store.migrate()
    store.close()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A ``sqlite:///`` URL to a file in the test's temporary folder (not created yet)."""
    return f"sqlite:///{(tmp_path / 'replyassist.db').as_posix()}"


@pytest.fixture
def sqlite_store(sqlite_url: str, tmp_path: Path, _sqlite_template: Path) -> Iterator[Store]:
    """A migrated store on the SQLite file of ``sqlite_url`` (copied from a migrated template)."""
    shutil.copyfile(_sqlite_template, tmp_path / "replyassist.db")
    store = Store(sqlite_url)
    yield store
    store.close()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    """A migrated store on the fresh PostgreSQL database of ``pg_url``."""
    store = Store(pg_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Store:
    """A migrated store, once on each backend."""
    backend_store: Store = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_store"
    )
    return backend_store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database's URL, once on each backend (not migrated)."""
    url: str = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    return url
