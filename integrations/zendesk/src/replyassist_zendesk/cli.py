"""The ``replyassist-zendesk`` command: set up the webhook and trigger, package the sidebar app.

Credentials come from the environment (``ZENDESK_SUBDOMAIN``, ``ZENDESK_EMAIL`` and
``ZENDESK_API_TOKEN``, or ``ZENDESK_OAUTH_TOKEN``) so that no token is typed on a command line.
Every ``ReplyAssistError`` becomes one line on stderr and exit code 1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from replyassist import ReplyAssistError

from replyassist_zendesk._adapter import ZendeskAdapter
from replyassist_zendesk._settings import ZendeskSettings

__all__ = ["app", "main"]

app = typer.Typer(
    name="replyassist-zendesk",
    help="Connect replyassist to a Zendesk account.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ReplyAssistError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def setup(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            envvar="REPLYASSIST_WEBHOOK_URL",
            help="The service's Zendesk webhook URL, e.g. https://replyassist.example.com/webhooks/zendesk",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only read, and print what would change.")
    ] = False,
    secret_file: Annotated[
        Path | None,
        typer.Option("--secret-file", help="Write the webhook's signing secret to this file (mode 600)."),
    ] = None,
    show_secret: Annotated[
        bool,
        typer.Option(
            "--show-secret", help="Print the signing secret (it is secret: mind your terminal's log)."
        ),
    ] = False,
) -> None:
    """Create or update the `replyassist` webhook and the trigger that calls it (idempotent)."""
    with _errors():
        from replyassist_zendesk._setup import run_setup

        settings = ZendeskSettings.from_mapping(os.environ, require_webhook_secret=False)
        result = run_setup(ZendeskAdapter(settings), url, dry_run=dry_run)
    if dry_run:
        typer.echo("dry run: nothing was changed")
    for line in result.lines():
        typer.echo(line)
    if result.signing_secret is None:
        return
    secret = result.signing_secret.get_secret_value()
    if secret_file is not None:
        secret_file.touch(mode=0o600, exist_ok=True)
        secret_file.chmod(0o600)
        secret_file.write_text(secret + "\n", encoding="utf-8")
        typer.echo(
            f"signing secret written to {secret_file}: set it as ZENDESK_WEBHOOK_SECRET for the service"
        )
    elif show_secret:
        typer.echo(f"ZENDESK_WEBHOOK_SECRET={secret}")
    else:
        typer.echo("signing secret not shown: rerun with --secret-file FILE (or --show-secret) to get it")


@app.command("package-app")
def package_app_command(
    output: Annotated[Path, typer.Argument(help="The zip to write, or a folder to write it in.")] = Path("."),
    service_domain: Annotated[
        str | None,
        typer.Option(
            help="The service's host, added to the app's domainWhitelist (e.g. replyassist.example.com)."
        ),
    ] = None,
) -> None:
    """Check the sidebar app and write the zip Zendesk's "Upload private app" accepts."""
    with _errors():
        # Imported here: packaging needs the app's source files, the adapter does not.
        from replyassist_zendesk.app_package import package_app

        written = (
            package_app(output)
            if service_domain is None
            else package_app(output, service_domain=service_domain)
        )
    typer.echo(f"wrote {written}")


def main() -> None:
    """Entry point of the ``replyassist-zendesk`` console script."""
    app(prog_name="replyassist-zendesk")


if __name__ == "__main__":
    main()
