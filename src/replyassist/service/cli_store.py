"""``replyassist tokens``, ``replyassist db`` and ``replyassist report``: the admin's store commands.

Kept light: the store (SQLAlchemy, Alembic) is imported only when a command runs, so the rest
of the ``replyassist`` command starts fast and works without the ``server`` extra. Every
command reads :class:`~replyassist.service.config.ServiceSettings` (``--config`` or
``REPLYASSIST_CONFIG``, then the environment). Mount them with :func:`register`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from replyassist._errors import ConfigurationError, ReplyAssistError

if TYPE_CHECKING:
    from replyassist.service.store import Store, TokenRecord

__all__ = ["db_app", "register", "report", "tokens_app"]

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

tokens_app = typer.Typer(
    help="Create, list and revoke the bearer tokens sidebar apps and scripts use for /v1.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="The service's database.", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", envvar="REPLYASSIST_CONFIG", help="A TOML config file; the environment overrides it."
    ),
]


def register(app: typer.Typer) -> None:
    """Mount ``tokens``, ``db`` and ``report`` on the ``replyassist`` command."""
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(db_app, name="db")
    app.command("report")(report)


@contextmanager
def _store(config: Path | None) -> Iterator[Store]:
    """The configured store; library errors become one line on stderr and exit code 1."""
    try:
        from replyassist.service.config import ServiceSettings
        from replyassist.service.store import Store

        store = Store.from_settings(ServiceSettings.load(config_file=config))
        try:
            yield store
        finally:
            store.close()
    except ReplyAssistError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        raise typer.Exit(1) from None


# --- tokens ---------------------------------------------------------------------------------


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'zendesk-sidebar'.")],
    config: ConfigOption = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    with _store(config) as store:
        store.migrate()  # idempotent: creating the first token is often the first thing an admin does
        record, plaintext = store.create_token(name)
    # The token alone on stdout, so that scripts can capture it; the warning on stderr.
    print(plaintext)
    err.print(
        f"[yellow]Token {record.name!r} ({record.id}) created. Copy it now: it will not be shown again.[/]",
        markup=True,
    )


@tokens_app.command("list")
def tokens_list(
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List tokens: name, id, prefix, dates (UTC) and whether they are revoked (never the token)."""
    with _store(config) as store:
        tokens = store.list_tokens()
    if as_json:
        print(json.dumps([_token_json(t) for t in tokens], indent=2))
        return
    if not tokens:
        out.print("no tokens yet: create one with `replyassist tokens create NAME`")
        return
    # Fits 80 columns with a 32-character id; the prefix and times are in --json.
    headers = ("NAME", "ID", "CREATED", "LAST USED", "STATUS")
    table = Table(
        *(Column(h, no_wrap=h == "ID", overflow="fold") for h in headers), box=None, padding=(0, 2, 0, 0)
    )
    for t in tokens:
        status = "revoked" if t.revoked_at else "active"
        table.add_row(t.name, t.id, _day(t.created_at), _day(t.last_used_at), status)
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    id_or_name: Annotated[str, typer.Argument(help="The token's id, or the name of an active token.")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: requests that use it are refused from now on."""
    with _store(config) as store:
        record = store.revoke_token(id_or_name)
    out.print(f"revoked token {record.name!r} ({record.id}) at {_when(record.revoked_at)} UTC")


def _day(moment: datetime | None) -> str:
    return "–" if moment is None else f"{moment:%Y-%m-%d}"


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _token_json(t: TokenRecord) -> dict[str, str | None]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at.isoformat(),
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
    }


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or upgrade the tables to this version's schema (safe to run again, or from many hosts)."""
    with _store(config) as store:
        before = store.schema_revision()
        store.migrate()
        after = store.schema_revision()
        where = store.url_redacted
    if before == after:
        out.print(f"{where}: schema already at {after} (latest)")
    else:
        out.print(f"{where}: schema upgraded from {before or 'empty'} to {after}")


@db_app.command("status")
def db_status(config: ConfigOption = None) -> None:
    """Show the schema version of the database and the latest one."""
    with _store(config) as store:
        current, head, where = store.schema_revision(), store.head_revision(), store.url_redacted
    state = "up to date" if current == head else "run `replyassist db upgrade`"
    out.print(f"{where}: schema {current or 'empty'}, latest {head}: {state}")


# --- report ---------------------------------------------------------------------------------


def report(
    out_path: Annotated[
        Path,
        typer.Option("--out", "-o", help="The HTML file to write, or a folder for replyassist-report.html."),
    ] = Path("replyassist-report.html"),
    since: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD, UTC) or an ISO date-time.", show_default=False)
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last day, included (YYYY-MM-DD, UTC) or an ISO date-time (excluded).")
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Where to write the figures as JSON (default: next to the HTML)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write a self-contained HTML report of drafts and agent feedback, and its figures as JSON."""
    try:
        start, end = _moment(since, "--since"), _moment(until, "--until", end_of_day=True)
    except ConfigurationError as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True)
        raise typer.Exit(2) from None
    with _store(config) as store:
        from replyassist.service.report import write_report

        try:
            html_file, json_file = write_report(store, out_path, since=start, until=end, json_path=json_path)
        except OSError as exc:
            err.print(f"[bold red]error:[/] cannot write the report: {exc}", markup=True)
            raise typer.Exit(1) from None
    out.print(f"report written to {html_file} (figures: {json_file})")


def _moment(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """A UTC datetime from a date (a whole day: ``--until`` includes it) or an ISO date-time."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigurationError(
                f"{option} {value!r} is not a date (YYYY-MM-DD) or an ISO date-time"
            ) from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end_of_day else start
