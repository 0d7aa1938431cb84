"""``replyassist worker``: a Celery worker that drafts for the jobs the service queues in Redis.

Kept light: Celery and the store are imported only when the command runs. Also runnable as
``python -m replyassist.service.cli_jobs`` (the same options).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from replyassist._errors import MissingDependencyError, ReplyAssistError

__all__ = ["register", "worker"]

err = Console(stderr=True, soft_wrap=True, highlight=False)

_POOLS = ("threads", "prefork", "solo")


def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=512,
            help="Jobs run at once (default: settings.workers, 8). Drafting waits on the model, so "
            "many more than the number of cores pays off.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", envvar="REPLYASSIST_CONFIG", help="A TOML config file; the environment overrides it."
        ),
    ] = None,
    pool: Annotated[
        str,
        typer.Option(help="threads (default: one process, many jobs waiting on the model), prefork or solo."),
    ] = "threads",
    hostname: Annotated[
        str | None, typer.Option("--hostname", "-n", help="The worker's name (default: celery@<host>).")
    ] = None,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep/--no-sweep", help="Also send again jobs lost by a Redis restart or a dead worker."
        ),
    ] = True,
) -> None:
    """Run a Celery worker for the jobs queued at REPLYASSIST_QUEUE_URL."""
    try:
        argv = _prepare(concurrency, config, pool, hostname, sweep)
        from replyassist.service.celery_app import app

        app.worker_main(argv)
    except ImportError as exc:
        missing = MissingDependencyError(exc.name or "celery", "queue", "`replyassist worker`")
        err.print(f"[bold red]error:[/] {missing}")
        raise typer.Exit(1) from None
    except ReplyAssistError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _prepare(
    concurrency: int | None, config: Path | None, pool: str, hostname: str | None, sweep: bool
) -> list[str]:
    """Load and check the settings, point the worker at the queue; the worker's argv."""
    from replyassist.service.celery_app import QUEUE_NAME, configure_worker
    from replyassist.service.config import ServiceSettings

    if pool not in _POOLS:
        raise typer.BadParameter(f"--pool must be one of {', '.join(_POOLS)}")
    settings = ServiceSettings.load(config_file=config)
    if config is not None:  # prefork children and anything reading the settings again see the same file
        os.environ["REPLYASSIST_CONFIG"] = str(config)
    configure_worker(settings, sweep=sweep)
    argv = [
        "worker",
        f"--concurrency={concurrency or settings.workers}",
        f"--pool={pool}",
        f"--loglevel={settings.log_level.upper() if settings.log_level != 'trace' else 'DEBUG'}",
        f"--queues={QUEUE_NAME}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the ``replyassist`` command."""
    app.command("worker")(worker)


if __name__ == "__main__":
    typer.run(worker)
