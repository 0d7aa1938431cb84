"""The replyassist service: helpdesk webhooks in, drafts out, agents' feedback stored and reported.

Needs the ``server`` extra (``pip install 'replyassist[server]'``); Celery workers need ``queue``,
PostgreSQL needs ``postgres``. Run it with ``replyassist serve``; see the README's admin section.

- :func:`create_app` builds the FastAPI application (webhooks, ``/v1`` API for sidebar apps,
  health, metrics);
- :class:`ServiceSettings` reads and validates the configuration (environment or TOML file);
- :class:`Store` keeps webhook jobs, drafts, feedback and API tokens (SQLite or PostgreSQL);
- :class:`ServiceContext` bundles what a worker needs; :func:`make_queue` picks in-process
  workers or Celery by ``REPLYASSIST_QUEUE_URL``.

Nothing here is imported by ``import replyassist``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replyassist._lazy import lazy_exports

if TYPE_CHECKING:
    from replyassist.service.app import create_app
    from replyassist.service.config import ServiceSettings
    from replyassist.service.context import ServiceContext
    from replyassist.service.jobs import InProcessQueue, JobQueue, make_queue, process_job
    from replyassist.service.report import build_report, render_html, write_report
    from replyassist.service.store import JobStatus, Store

_EXPORTS = {
    "InProcessQueue": "replyassist.service.jobs",
    "JobQueue": "replyassist.service.jobs",
    "JobStatus": "replyassist.service.store",
    "ServiceContext": "replyassist.service.context",
    "ServiceSettings": "replyassist.service.config",
    "Store": "replyassist.service.store",
    "build_report": "replyassist.service.report",
    "create_app": "replyassist.service.app",
    "make_queue": "replyassist.service.jobs",
    "process_job": "replyassist.service.jobs",
    "render_html": "replyassist.service.report",
    "write_report": "replyassist.service.report",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "InProcessQueue",
    "JobQueue",
    "JobStatus",
    "ServiceContext",
    "ServiceSettings",
    "Store",
    "build_report",
    "create_app",
    "make_queue",
    "process_job",
    "render_html",
    "write_report",
]
