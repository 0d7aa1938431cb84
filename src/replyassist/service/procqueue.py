"""Embedded jobs in child processes: the in-process queue, moved out of the API's interpreter.

Drafting is CPU work between model calls (retrieval, guardrail scans, prompt building,
parsing). Run on threads of the process that serves HTTP, it holds the GIL the event loop
needs, and every webhook waits behind it: a thread that wants the GIL back waits up to the
switch interval (5 ms) each time, several times per request. And one interpreter runs Python
on one core at a time, so one process cannot draft faster than one core allows.
:class:`ProcessQueue` keeps the same zero set-up (same SQLite file, jobs claimed from the
store, no broker) but runs an :class:`~.jobs.InProcessQueue` in each of ``job_processes``
worker processes that ``replyassist serve`` starts, watches and restarts, so the API process
only answers requests and drafting uses every core.

Nothing is lost when a child dies or restarts: job ids are only a hint sent over a pipe; the
store holds every pending job, and every child's sweeper looks for them (pending ones at its
start, lease-expired ones once the lease runs out). Two children offered the same job cannot
both run it: claiming a job is one atomic update in the store.
"""

from __future__ import annotations

import itertools
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

from replyassist.service.config import share_workers
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import InProcessQueue, QueueUnavailable

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings

__all__ = ["ProcessQueue"]

log = logging.getLogger(__name__)

_NICENESS = 10
"""How much lower the worker processes' CPU priority is: when both want a core, webhooks go first
(a helpdesk times out in seconds; a draft waits on the model for seconds anyway)."""
_RESTART_DELAY = (1.0, 30.0)
"""Seconds before restarting a dead worker process: the first wait, and the most it doubles to."""


class _Child:
    """One worker process: its pipe, its process, the thread that restarts it."""

    def __init__(self, index: int, workers: int) -> None:
        self.index = index
        self.workers = workers
        self.ids: Connection | None = None
        self.process: SpawnProcess | None = None
        self.supervisor: threading.Thread | None = None


class ProcessQueue:
    """Jobs run on ``settings.workers`` threads spread over ``settings.job_processes`` child processes.

    Each child is started with ``spawn`` (a fresh interpreter: forking a process that runs an
    event loop and threads is not safe) and builds its context from ``context_factory``
    (default: :meth:`ServiceContext.from_settings`), which must therefore be picklable. Jobs
    are handed to the children in turn. A child exits when the service stops, and when the
    service's process dies.

    Args:
        settings: the service's settings (workers, job processes, lease, sweep interval, log level).
        context_factory: builds a child's context; tests and benchmarks pass their own.
    """

    def __init__(
        self, settings: ServiceSettings, *, context_factory: Callable[[], ServiceContext] | None = None
    ) -> None:
        self._settings = settings
        self._factory = context_factory or partial(ServiceContext.from_settings, settings)
        self._mp = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._children = [
            _Child(i, n) for i, n in enumerate(share_workers(settings.workers, settings.job_processes))
        ]
        self._turn = itertools.cycle(range(len(self._children)))
        self._started = False
        self._halt = threading.Event()

    def __repr__(self) -> str:
        return (
            f"ProcessQueue(workers={self._settings.workers}, processes={len(self._children)}, "
            f"running={self._started})"
        )

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (empty when stopped): for operators and tests."""
        return [c.process.pid for c in self._children if c.process is not None and c.process.pid is not None]

    @property
    def pid(self) -> int | None:
        """The first worker process's id (``None`` when stopped)."""
        pids = self.pids
        return pids[0] if pids else None

    def enqueue(self, job_id: str) -> None:
        """Write the id to the next worker process's pipe: one system call, never blocks.

        The pipes do not block (a small message is written whole or not at all). A full pipe
        means that process is far behind: the next one gets the job; when every pipe is full,
        the children's sweepers find the job in the store.
        """
        message = job_id.encode()
        with self._lock:
            if not self._started or self._halt.is_set():
                raise QueueUnavailable("the job processes are stopped; the job stays pending in the store")
            errors: list[str] = []
            for _ in range(len(self._children)):
                child = self._children[next(self._turn)]
                if child.ids is None:
                    errors.append(f"job process {child.index} is restarting")
                    continue
                try:
                    child.ids.send_bytes(message)
                    return
                except BlockingIOError:
                    errors.append(f"job process {child.index} is behind")
                except OSError as exc:
                    errors.append(f"job process {child.index} does not read its pipe: {exc}")
        if all("is behind" in e for e in errors):
            log.debug("job processes: every pipe is full; job %s is left to their sweepers", job_id)
            return
        raise QueueUnavailable("; ".join(errors))

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self._halt.clear()
        for child in self._children:
            self._spawn(child)
            child.supervisor = threading.Thread(
                target=self._supervise,
                args=(child,),
                name=f"replyassist-job-process-{child.index}",
                daemon=True,
            )
            child.supervisor.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the children: running jobs finish within ``timeout``, or their lease expires later."""
        deadline = time.monotonic() + timeout
        self._halt.set()
        with self._lock:
            pipes = [(c, c.ids) for c in self._children]
            for child in self._children:
                child.ids = None
        for _, ids in pipes:
            if ids is not None:
                ids.close()  # each worker process reads the end of its input and stops
        for child, _ in pipes:
            process = child.process
            if process is None:
                continue
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                log.warning(
                    "job process %d: still running at stop; terminating it (leases will expire)", child.index
                )
                process.terminate()
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join()
        for child in self._children:
            if child.supervisor is not None:
                child.supervisor.join(max(0.1, deadline - time.monotonic()))
                child.supervisor = None
            child.process = None
        with self._lock:
            self._started = False

    def ping(self) -> None:
        """Ready while every worker process runs (one that died is being restarted: not ready)."""
        if self._halt.is_set() or not self._started:
            raise QueueUnavailable("the job processes are not running")
        for child in self._children:
            process = child.process
            if process is None:
                raise QueueUnavailable(f"job process {child.index} is not running")
            if not process.is_alive():
                raise QueueUnavailable(
                    f"job process {child.index} exited (code {process.exitcode}); restarting it"
                )

    def _spawn(self, child: _Child) -> None:
        reader, writer = self._mp.Pipe(duplex=False)
        process = self._mp.Process(
            target=_child_main,
            args=(self._factory, reader, self._settings.log_level, child.workers),
            name=f"replyassist-jobs-{child.index}",
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
            old = child.ids
            child.ids, child.process = writer, process
        if old is not None:
            old.close()
        log.info("job process %d started (pid %s, %d workers)", child.index, process.pid, child.workers)

    def _supervise(self, child: _Child) -> None:
        """Restart the child whenever it dies, waiting longer each time it dies young."""
        delay = _RESTART_DELAY[0]
        while not self._halt.is_set():
            process = child.process
            if process is None:
                return
            started = time.monotonic()
            process.join()
            if self._halt.is_set():
                return
            with self._lock:
                if child.ids is not None:
                    child.ids.close()
                    child.ids = None  # enqueue sends to the other children meanwhile
            log.error(
                "job process %d exited with code %s; restarting it in %.0f s",
                child.index,
                process.exitcode,
                delay,
            )
            if self._halt.wait(delay):
                return
            delay = (
                _RESTART_DELAY[0] if time.monotonic() - started > 60 else min(_RESTART_DELAY[1], 2 * delay)
            )
            self._spawn(child)


def _child_main(factory: Callable[[], ServiceContext], ids: Connection, level: str, workers: int) -> None:
    """The worker process: build the context, run the in-process queue, feed it the ids received."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    _lower_priority()
    context = factory()
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    jobs = InProcessQueue(context, workers=workers)
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
