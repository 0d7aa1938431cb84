"""What every request handler shares: the service's state, reached through FastAPI dependencies.

Handlers never build anything: the context (settings, store, adapters, assistant), the job
queue, the metrics and the rate limiter are made once by :func:`~replyassist.service.app.create_app`
and hung on ``app.state.service``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request

from replyassist.helpdesk import HelpdeskAdapter
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.http_errors import ApiError
from replyassist.service.jobs import JobQueue
from replyassist.service.metrics import Metrics

if TYPE_CHECKING:
    from replyassist.service.auth import RateLimiter

__all__ = ["ServiceState", "adapter_for", "get_state", "intake_thread", "off_loop"]

T = TypeVar("T")

# Webhook intake gets threads of its own: drafting requests (seconds each with a model) use the
# default pool and must never make a helpdesk's delivery wait for a free thread. On SQLite one
# thread: SQLite has one writer at a time, and concurrent inserts would wait for each other in
# SQLite's busy handler, which sleeps in growing steps (up to 100 ms), instead of in a queue.
INTAKE_THREADS = 16
SQLITE_INTAKE_THREADS = 1


@dataclass
class ServiceState:
    """Everything one app needs to answer requests."""

    settings: ServiceSettings
    context: ServiceContext
    queue: JobQueue
    metrics: Metrics
    limiter: RateLimiter
    owns_context: bool
    """True when the app built the context itself, and so closes its store on shutdown."""
    intake_limiter: CapacityLimiter = field(init=False)

    def __post_init__(self) -> None:
        sqlite = self.context.store.dialect == "sqlite"
        self.intake_limiter = CapacityLimiter(SQLITE_INTAKE_THREADS if sqlite else INTAKE_THREADS)


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


async def off_loop(func: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Run a blocking call (the store, a helpdesk SDK, CPU-bound drafting) in the default thread pool."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))


async def intake_thread(state: ServiceState, func: Callable[[], T]) -> T:
    """Run webhook intake work in the intake's own, bounded thread pool."""
    return await anyio.to_thread.run_sync(func, limiter=state.intake_limiter)


def adapter_for(state: ServiceState, helpdesk: str) -> HelpdeskAdapter:
    """The configured adapter named ``helpdesk``, or a 404 naming the ones that are configured."""
    adapter = state.context.adapters.get(helpdesk)
    if adapter is None:
        known = ", ".join(sorted(state.context.adapters)) or "none"
        raise ApiError(
            404,
            "unknown_helpdesk",
            f"no helpdesk named {helpdesk[:64]!r} is configured (configured: {known})",
        )
    return adapter
