"""Embedded jobs in a child process: the in-process queue, moved out of the API's interpreter.

Drafting is CPU work between model calls (retrieval, prompt building, parsing). Run on threads
of the process that serves HTTP, it holds the GIL the event loop needs, and every webhook
waits behind it: a thread that wants the GIL back waits up to the switch interval (5 ms) each
time, several times per request. :class:`ProcessQueue` keeps the same zero set-up (same SQLite
file, jobs claimed from the store, no broker) but runs the :class:`~.jobs.InProcessQueue` in one
worker process that ``replyassist serve`` starts, watches and restarts, so the API process only
answers requests.

Nothing is lost when the child dies or restarts: job ids are only a hint sent over a pipe; the
store holds every pending job, and the child's sweeper finds them (pending ones at its start,
lease-expired ones once the lease runs out).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from typing import TYPE_CHECKING

from replyassist.service.context import ServiceContext
from replyassist.service.jobs import InProcessQueue, QueueUnavailable

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings

__all__ = ["ProcessQueue"]

log = logging.getLogger(__name__)

_NICENESS = 10
"""How much lower the worker process's CPU priority is: when both want a core, webhooks go first
(a helpdesk times out in seconds; a draft waits on the model for seconds anyway)."""
_RESTART_DELAY = (1.0, 30.0)
"""Seconds before restarting a dead worker process: the first wait, and the most it doubles to."""


class ProcessQueue:
    """Jobs run on ``settings.workers`` threads in one child process that builds its own context.

    The child is started with ``spawn`` (a fresh interpreter: forking a process that runs an
    event loop and threads is not safe) and builds the context from ``context_factory``
    (default: :meth:`ServiceContext.from_settings`), which must therefore be picklable.
    The child exits when the service stops, and when the service's process dies.

    Args:
        settings: the service's settings (workers, lease, sweep interval, log level).
        context_factory: builds the child's context; tests and benchmarks pass their own.
    """

    def __init__(
        self, settings: ServiceSettings, *, context_factory: Callable[[], ServiceContext] | None = None
    ) -> None:
        self._settings = settings
        self._factory = context_factory or partial(ServiceContext.from_settings, settings)
        self._mp = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._ids: Connection | None = None
        self._process: SpawnProcess | None = None
        self._supervisor: threading.Thread | None = None
        self._halt = threading.Event()

    def __repr__(self) -> str:
        return f"ProcessQueue(workers={self._settings.workers}, running={self._process is not None})"

    @property
    def pid(self) -> int | None:
        """The worker process's id (``None`` when stopped): for operators and tests."""
        process = self._process
        return None if process is None else process.pid

    def enqueue(self, job_id: str) -> None:
        """Write the id to the worker process's pipe: one system call, never blocks.

        The pipe does not block (a small message is written whole or not at all); when it is
        full the worker process is far behind, and its sweeper finds the job in the store.
        """
        with self._lock:
            ids = self._ids
            if ids is None or self._halt.is_set():
                raise QueueUnavailable("the job process is stopped; the job stays pending in the store")
            try:
                ids.send_bytes(job_id.encode())
            except BlockingIOError:
                log.debug("job process: its pipe is full; job %s is left to its sweeper", job_id)
            except OSError as exc:
                raise QueueUnavailable(f"the job process does not read its pipe: {exc}") from None

    def start(self) -> None:
        if self._supervisor is not None:
            return
        self._halt.clear()
        self._spawn()
        self._supervisor = threading.Thread(
            target=self._supervise, name="replyassist-job-process", daemon=True
        )
        self._supervisor.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the child: running jobs finish within ``timeout``, or their lease expires later."""
        deadline = time.monotonic() + timeout
        self._halt.set()
        with self._lock:
            process, ids = self._process, self._ids
            self._ids = None
        if ids is not None:
            ids.close()  # the worker process reads the end of its input and stops
        if process is not None:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("job process: still running at stop; terminating it (leases will expire)")
                process.terminate()
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join()
        if self._supervisor is not None:
            self._supervisor.join(max(0.1, deadline - time.monotonic()))
            self._supervisor = None
        with self._lock:
            self._process = None

    def ping(self) -> None:
        process = self._process
        if self._halt.is_set() or process is None:
            raise QueueUnavailable("the job process is not running")
        if not process.is_alive():
            raise QueueUnavailable(f"the job process exited (code {process.exitcode}); restarting it")

    def _spawn(self) -> None:
        reader, writer = self._mp.Pipe(duplex=False)
        process = self._mp.Process(
            target=_child_main,
            args=(self._factory, reader, self._settings.log_level),
            name="replyassist-jobs",
            daemon=True,
        )
        process.start()
        reader.close()  # the child has its own copy
        if os.name == "posix":
            os.set_blocking(writer.fileno(), False)
        with self._lock:
            if self._halt.is_set():  # stopped meanwhile: the child reads the end of its input and exits
                writer.close()
                return
            old = self._ids
            self._ids, self._process = writer, process
        if old is not None:
            old.close()
        log.info("job process started (pid %s, %d workers)", process.pid, self._settings.workers)

    def _supervise(self) -> None:
        """Restart the child whenever it dies, waiting longer each time it dies young."""
        delay = _RESTART_DELAY[0]
        while not self._halt.is_set():
            process = self._process
            if process is None:
                return
            started = time.monotonic()
            process.join()
            if self._halt.is_set():
                return
            log.error("job process exited with code %s; restarting it in %.0f s", process.exitcode, delay)
            if self._halt.wait(delay):
                return
            delay = (
                _RESTART_DELAY[0] if time.monotonic() - started > 60 else min(_RESTART_DELAY[1], 2 * delay)
            )
            self._spawn()


def _child_main(factory: Callable[[], ServiceContext], ids: Connection, level: str) -> None:
    """The worker process: build the context, run the in-process queue, feed it the ids received."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    _lower_priority()
    context = factory()
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    jobs = InProcessQueue(context)
    jobs.start()  # its sweeper runs every pending job in the store first
    parent = multiprocessing.parent_process()
    try:
        while parent is None or parent.is_alive():
            try:
                if not ids.poll(1.0):
                    continue
                job_id = ids.recv_bytes().decode()
            except (EOFError, OSError):  # the service closed the pipe: it is stopping, or gone
                break
            try:
                jobs.enqueue(job_id)
            except QueueUnavailable as exc:  # the sweeper runs it later
                log.warning("job process: could not queue job %s: %s", job_id, exc)
    finally:
        jobs.stop(timeout=8)  # within the 10 s the service waits for this process
        context.close()


def _lower_priority() -> None:
    try:
        os.nice(_NICENESS)
    except (AttributeError, OSError):  # not on this platform, or not allowed: run at the same priority
        log.debug("job process: cannot lower its priority")
