"""``replyassist serve``: run the service with uvicorn, or check its configuration (``--check``).

Kept light: FastAPI, uvicorn and the store are imported only when the command runs, so the
rest of the ``replyassist`` command starts fast and works without the ``server`` extra.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from replyassist._errors import MissingDependencyError, ReplyAssistError

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings

__all__ = ["register", "serve"]

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default: settings.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default: settings.port, 8000).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", envvar="REPLYASSIST_CONFIG", help="A TOML config file; the environment overrides it."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Validate the settings, the database, the queue, the KB and helpdesks; then exit."
        ),
    ] = False,
) -> None:
    """Run the replyassist service (webhooks, sidebar API, metrics)."""
    try:
        from replyassist.service.config import ServiceSettings

        settings = ServiceSettings.load(config_file=config)
        if host is not None or port is not None:
            settings = settings.model_copy(
                update={"host": host or settings.host, "port": port or settings.port}
            )
        if check:
            for line in settings.check():
                out.print(Text.assemble(("ok ", "green"), line))
            out.print("configuration is valid")
            return
        _run(settings)
    except ImportError as exc:
        missing = MissingDependencyError(exc.name or "fastapi", "server", "`replyassist serve`")
        err.print(Text.assemble(("error: ", "bold red"), str(missing)))
        raise typer.Exit(1) from None
    except ReplyAssistError as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc)))
        raise typer.Exit(1) from None


def _run(settings: ServiceSettings) -> None:
    import uvicorn

    from replyassist.service.app import create_app

    level = settings.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Without a queue URL, jobs run in worker processes the app starts and restarts (unless
    # REPLYASSIST_JOB_PROCESS=false): drafting then never holds the GIL the event loop needs.
    # uvicorn picks uvloop and httptools when installed (the `server` extra).
    app = create_app(settings)
    # uvicorn's access log is off: the service logs one structured line per request itself.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=15,
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``replyassist`` command."""
    app.command("serve")(serve)
