"""Building the service app for the HTTP tests, and serving it with a real uvicorn on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from replyassist import ReplyAssistant
from replyassist.service.app import create_app
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import JobQueue, QueueUnavailable
from replyassist.service.store import Store
from replyassist.testing import FakeHelpdesk

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "examples" / "kb"
SECRET = "whsec-test-0123456789"


@cache
def assistant() -> ReplyAssistant:
    """One offline assistant on the sample KB for every test (loading the KB takes a second)."""
    return ReplyAssistant(KB)


@dataclass
class ParkedQueue:
    """A queue that runs nothing: jobs stay pending in the store, as when the workers are busy."""

    enqueued: list[str] = field(default_factory=list)
    running: bool = False

    def enqueue(self, job_id: str) -> None:
        self.enqueued.append(job_id)

    def start(self) -> None:
        self.running = True

    def stop(self, timeout: float = 10) -> None:
        self.running = False

    def ping(self) -> None:
        if not self.running:
            raise QueueUnavailable("the parked queue is not running")


@dataclass
class Service:
    app: FastAPI
    store: Store
    fake: FakeHelpdesk
    context: ServiceContext
    queue: JobQueue

    def token(self, name: str = "sidebar") -> str:
        return self.store.create_token(name)[1]

    def job_count(self) -> int:
        return sum(self.store.stats().jobs.values())


def build(
    store: Store,
    tmp_path: Path,
    *,
    queue: Callable[[ServiceContext], JobQueue] | None = None,
    drafter: ReplyAssistant | None = None,
    **settings: Any,
) -> Service:
    """The app on ``store`` with a FakeHelpdesk named ``fake`` and the offline assistant.

    ``queue`` makes the job queue from the context; default: a :class:`ParkedQueue`.
    ``drafter`` replaces the shared offline assistant.
    """
    config = ServiceSettings(data_dir=tmp_path, helpdesks=[], **settings)
    fake = FakeHelpdesk(SECRET)
    context = ServiceContext(
        settings=config, store=store, adapters={"fake": fake}, assistant=drafter or assistant()
    )
    jobs = queue(context) if queue is not None else ParkedQueue()
    return Service(create_app(config, context=context, queue=jobs), store, fake, context, jobs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
