"""The ``replyassist-freshdesk`` command: set up the automation rules, check settings, pack the app.

Every ``ReplyAssistError`` becomes one line on stderr and exit code 1. Secrets are read from
the environment and never printed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from replyassist import ConfigurationError, ReplyAssistError

from replyassist_freshdesk import _setup
from replyassist_freshdesk._adapter import from_settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="replyassist-freshdesk",
    help="Connect Freshdesk to a replyassist service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ServiceUrl = Annotated[
    str,
    typer.Option(
        "--service-url",
        envvar="REPLYASSIST_PUBLIC_URL",
        help="The service's public HTTPS address, e.g. https://replyassist.example.com.",
    ),
]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ReplyAssistError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def setup(
    service_url: ServiceUrl,
    create: Annotated[
        bool,
        typer.Option(
            "--create", help="Create the rules through Freshdesk's Automations API (needs FRESHDESK_*)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the rules' JSON.")] = False,
    allow_http: Annotated[
        bool, typer.Option("--allow-http", help="Accept an http:// service URL (tests only).")
    ] = False,
) -> None:
    """Print (and with --create, create) the automation rules that send tickets to the service."""
    with _errors():
        url = _setup.webhook_url(service_url, allow_http=allow_http)
        printable = [{"automation_type_id": r.automation_type, **r.body} for r in _setup.rules(url)]
        if as_json:
            typer.echo(json.dumps(printable, indent=2, ensure_ascii=False))
            return
        typer.echo(f"Webhook URL: {url}\n")
        for line in _setup.instructions(url):
            typer.echo(line)
        typer.echo("\nThe rules as JSON (POST /api/v2/automations/<automation_type_id>/rules):")
        typer.echo(json.dumps(printable, indent=2, ensure_ascii=False))
        if create:
            adapter = from_settings(os.environ)
            secret = adapter.settings.webhook_secret.get_secret_value()
            typer.echo("")
            for line in _setup.create_rules(adapter.client, url, secret):
                typer.echo(line)


@app.command()
def check() -> None:
    """Check the FRESHDESK_* settings and that the API key works (one API call)."""
    with _errors():
        adapter = from_settings(os.environ)
        fields = adapter.client.ticket_fields.list_ticket_fields()
        typer.echo(f"ok: {adapter.settings.domain} answered ({len(fields)} ticket fields)")
        rate = adapter.client.rate_limit
        if rate is not None:
            typer.echo(f"API budget: {rate.remaining} of {rate.total} calls left this minute")


@app.command("package-app")
def package_app(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the app's zip.")] = Path(
        "dist"
    ),
) -> None:
    """Check the sidebar app's manifest and pack it as the zip Freshdesk's upload accepts."""
    with _errors():
        try:
            from replyassist_freshdesk.app_package import package_app as pack
        except ImportError as exc:
            if (exc.name or "") != "replyassist_freshdesk.app_package":
                raise
            raise ConfigurationError(
                "this installation of replyassist-freshdesk has no sidebar app packer (app_package)"
            ) from exc
        written = pack(output)
        typer.echo(f"wrote {written}")


def main() -> None:
    app()
