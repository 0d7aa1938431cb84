"""Running webhook jobs: each ticket event is drafted and posted once, whatever happens around it.

The store is the source of truth, not the queue. A job is a row of ``webhook_jobs``; a queue only
carries its id, so a lost message, a duplicated one or a dead worker costs time, never a job:

- :func:`process_job` **claims** the job with a lease (an atomic update in the store), so two
  deliveries of the same id never run it at once; a duplicate finds it claimed or done and stops;
- a re-run **reuses the draft** saved by an earlier attempt (``draft_for_job``) and posts it with
  ``key=job.id``, which the helpdesk adapter checks before posting, so a job that died after posting
  but before recording it does not post twice;
- a **sweeper** re-enqueues what the store says should run (pending jobs, and running ones whose lease
  ran out because their worker died), at start and every ``sweep_interval_seconds``.

:class:`InProcessQueue` runs jobs on a bounded pool of threads in the service's own process (the
default); :class:`~replyassist.service.celery_app.CeleryQueue` sends them to Celery workers when
``queue_url`` is set. Drafting is sync and waits on the model most of the time, so threads (many
more than cores) are the right tool; no database connection is held while the model thinks (every
store call takes a connection from the pool and gives it back).
"""

from __future__ import annotations

import heapq
import logging
import os
import queue
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from replyassist._errors import (
    HelpdeskError,
    InvalidInputError,
    RateLimited,
    ReplyAssistError,
    StoreUnavailable,
    TicketNotFound,
)
from replyassist.models import Decision, Draft, Role, Ticket
from replyassist.service.store import JobRecord, JobStatus, Store

if TYPE_CHECKING:
    from replyassist.service.context import ServiceContext

__all__ = [
    "InProcessQueue",
    "JobOutcome",
    "JobQueue",
    "QueueUnavailable",
    "Sweeper",
    "backoff_delay",
    "make_queue",
    "process_job",
    "run_job",
    "worker_name",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 300.0
_MAX_RESEND_WAIT = 600.0
NOT_THE_CUSTOMERS_TURN = "the last message (bots aside) is not the customer's"


class QueueUnavailable(ReplyAssistError):
    """The job queue cannot take jobs now (its broker is unreachable, or it is stopped).

    Nothing is lost: the job is in the store and the sweeper enqueues it again later.
    """


@runtime_checkable
class JobQueue(Protocol):
    """Where the webhook endpoint sends job ids; the store keeps the jobs themselves."""

    def enqueue(self, job_id: str) -> None:
        """Ask for the job to be run soon (``QueueUnavailable`` if the queue cannot take it now)."""
        ...

    def start(self) -> None:
        """Start the workers and the sweeper (which also recovers jobs left by a previous run)."""
        ...

    def stop(self, timeout: float = 10) -> None:
        """Stop taking jobs and wait up to ``timeout`` seconds for the running ones."""
        ...

    def ping(self) -> None:
        """Raise ``QueueUnavailable`` unless jobs can be run now (for ``/readyz``)."""
        ...


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What one call of :func:`run_job` did (without reading the job back: queues need no more)."""

    status: JobStatus | None
    """What this call left the job as; ``None`` when it did not run it (done, running elsewhere,
    out of attempts, or unknown)."""
    retry_in: float | None = None
    """Seconds until the job may run again, when it was released for another attempt."""

    @property
    def ran(self) -> bool:
        """True when this call claimed the job and worked on it."""
        return self.status is not None


def worker_name(label: str = "worker") -> str:
    """A name for the store's ``worker`` column: host, process and thread, for tracing a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{label}:{threading.get_ident()}"


def backoff_delay(attempts: int) -> float:
    """Exponential backoff with jitter (2 s, 4 s, 8 s … at most 5 min) after ``attempts`` tries."""
    base = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(0, attempts - 1))
    return base * random.uniform(0.8, 1.2)


def process_job(ctx: ServiceContext, job_id: str, *, worker: str) -> JobRecord | None:
    """Run the job ``job_id`` if nobody else is; return it as it stands afterwards.

    Idempotent: calling it again, at the same time or later, for the same id never drafts or
    posts twice. ``None`` for an unknown id.

    Raises:
        StoreUnavailable: the database could not be reached; the job's lease runs out and the
            sweeper runs it again once the database is back.
    """
    run_job(ctx, job_id, worker=worker)
    return ctx.store.get_job(job_id)


def run_job(ctx: ServiceContext, job_id: str, *, worker: str) -> JobOutcome:
    """:func:`process_job` without reading the job back, saying whether and when to retry it."""
    store, settings = ctx.store, ctx.settings
    job = store.claim_job(job_id, worker=worker, lease_seconds=settings.job_lease_seconds)
    if job is None:
        # Done, running elsewhere, or out of attempts (the claim then records it as failed).
        return JobOutcome(None)
    log.info("job %s: %s ticket %s, attempt %d", job.id, job.helpdesk, job.ticket_id, job.attempts)
    try:
        status, draft_id, note_id, reason = _work(ctx, job)
    except StoreUnavailable:
        raise
    except TicketNotFound as exc:
        return _finish(ctx, job, JobStatus.FAILED, error=_describe(exc))
    except HelpdeskError as exc:
        if not _retryable(exc):
            return _finish(ctx, job, JobStatus.FAILED, error=_describe(exc))
        return _retry_or_fail(ctx, job, exc, exc.retry_after)  # a 429's or 503's Retry-After
    except InvalidInputError as exc:
        return _finish(ctx, job, JobStatus.SKIPPED, error=_describe(exc))
    except _NoAdapter as exc:
        return _finish(ctx, job, JobStatus.FAILED, error=str(exc))
    except Exception as exc:  # a bug or an unexpected failure: retried, then recorded as the reason
        log.exception("job %s failed unexpectedly", job.id)
        return _retry_or_fail(ctx, job, exc, None)
    return _finish(ctx, job, status, draft_id=draft_id, note_id=note_id, error=reason)


class _NoAdapter(ReplyAssistError):
    """The job's helpdesk is not configured in this process."""


def _work(ctx: ServiceContext, job: JobRecord) -> tuple[JobStatus, str | None, str | None, str | None]:
    """The job's steps; returns (status, draft id, note id, reason)."""
    adapter = ctx.adapters.get(job.helpdesk)
    if adapter is None:
        configured = ", ".join(sorted(ctx.adapters)) or "none"
        raise _NoAdapter(f"no helpdesk {job.helpdesk!r} is configured here (configured: {configured})")
    # Only a job claimed before can have a draft already (the claim counts attempts).
    earlier = ctx.store.draft_for_job(job.id) if job.attempts > 1 else None
    if earlier is not None:  # an earlier attempt drafted (and perhaps posted): finish its work
        draft = earlier.draft
    else:
        ticket = adapter.fetch_ticket(job.ticket_id)
        if not _customer_spoke_last(ticket):
            return JobStatus.SKIPPED, None, None, NOT_THE_CUSTOMERS_TURN
        draft = ctx.assistant.draft(ticket)  # no connection is held while the model thinks
        _persist(
            ctx,
            lambda: ctx.store.save_draft(
                draft,
                helpdesk=job.helpdesk,
                ticket_id=job.ticket_id,
                job_id=job.id,
                received_at=job.received_at,
            ),
        )
    note_id = _post(ctx, job, draft)
    adapter.add_tags(job.ticket_id, ["replyassist_drafted", f"replyassist_{draft.decision.value}"])
    return JobStatus.DONE, draft.id, note_id, None


def _post(ctx: ServiceContext, job: JobRecord, draft: Draft) -> str | None:
    if draft.decision is Decision.SKIP:
        return None  # the draft (with its reasons) is stored for the sidebar; nothing to post
    public = ctx.settings.public_replies and draft.decision is Decision.REPLY
    note = ctx.adapters[job.helpdesk].post_note(job.ticket_id, draft, public=public, key=job.id)
    if not note.created:
        log.info("job %s: the note was already on ticket %s", job.id, job.ticket_id)
    return note.id


def _customer_spoke_last(ticket: Ticket) -> bool:
    """Whether the customer is waiting: the last message by a person is theirs.

    A bot's closing line ("let me connect you with a member of our team") leaves the customer
    waiting, so bots are passed over; an agent's reply or note (ours included, so posting a note
    never triggers another draft) is not.
    """
    people = [m for m in ticket.messages if m.author is not Role.BOT]
    return bool(people) and people[-1].author is Role.CUSTOMER


def _retryable(exc: HelpdeskError) -> bool:
    """429, 5xx, timeouts and lost connections are worth another try; other 4xx are not."""
    code = exc.status_code
    return isinstance(exc, RateLimited) or code is None or code >= 500 or code in (408, 409, 425)


def _retry_or_fail(
    ctx: ServiceContext, job: JobRecord, exc: Exception, retry_after: float | None
) -> JobOutcome:
    """Release the job for another attempt; the store fails it instead when attempts are used up."""
    error = _describe(exc)
    delay = retry_after if retry_after is not None and retry_after >= 0 else backoff_delay(job.attempts)
    _persist(ctx, lambda: ctx.store.release_job(job.id, error=error, retry_in=delay))
    if job.attempts >= ctx.store.max_attempts:  # release_job failed it
        log.warning("job %s: %s; no attempts left", job.id, error)
        return JobOutcome(JobStatus.FAILED)
    log.warning("job %s: %s; retrying in %.1f s", job.id, error, delay)
    return JobOutcome(JobStatus.PENDING, retry_in=delay)


def _finish(
    ctx: ServiceContext,
    job: JobRecord,
    status: JobStatus,
    *,
    draft_id: str | None = None,
    note_id: str | None = None,
    error: str | None = None,
) -> JobOutcome:
    log.info("job %s: %s%s", job.id, status.value, f" ({error})" if error else "")
    _persist(
        ctx,
        lambda: ctx.store.complete_job(job.id, status, draft_id=draft_id, note_id=note_id, error=error),
    )
    return JobOutcome(status)


def _persist(ctx: ServiceContext, write: Callable[[], T]) -> T:
    """A store write after the claim, retried through a short database outage.

    Giving up early would leave the job to its lease (minutes); retrying for up to half the
    lease lets a job that already drafted finish as soon as the database is back.
    """
    deadline = time.monotonic() + min(30.0, ctx.settings.job_lease_seconds / 2)
    delay = 0.1
    while True:
        try:
            return write()
        except StoreUnavailable:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(2.0, delay * 2)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- the sweeper ---------------------------------------------------------------------------------


class Sweeper:
    """Enqueues again the jobs the store says should run: at start, then every ``interval`` seconds.

    It finds pending jobs untouched for ``stale_after`` seconds (their message was lost: a broker
    restart, a failed enqueue) and running jobs whose lease ran out (their worker died). Sending
    a job twice is harmless (the claim stops the second), but a job still pending is sent again
    only after ``stale_after``, then twice that, four times… (at most ten minutes), so that a
    long backlog is not flooded with copies.
    """

    def __init__(
        self,
        store: Store,
        enqueue: Callable[[str], None],
        *,
        interval: float,
        stale_after: float = 0.0,
        skip: Callable[[str], bool] | None = None,
        queued: Callable[[], int] | None = None,
        limit: int = 1000,
        name: str = "replyassist-sweeper",
    ) -> None:
        self._store = store
        self._queued = queued
        self._enqueue = enqueue
        self.interval = interval
        self.stale_after = stale_after
        self._skip = skip
        self._limit = limit
        self._name = name
        self._sent: dict[str, tuple[float, float]] = {}  # job id → (sent at, wait before sending again)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> int:
        """One pass; returns how many jobs were enqueued. Store or queue failures wait for the next pass."""
        try:
            jobs = self._store.runnable_jobs(limit=self._limit, stale_after=self.stale_after)
        except StoreUnavailable as exc:
            log.warning("sweeper: the store is unavailable (%s); trying again later", exc)
            return 0
        now = time.monotonic()
        listed = {job.id for job in jobs}
        self._sent = {k: v for k, v in self._sent.items() if k in listed}  # forget finished jobs
        if self._still_queued(sum(job.status is JobStatus.PENDING for job in jobs)):
            jobs = [job for job in jobs if job.status is not JobStatus.PENDING]
        sent = 0
        for job in jobs:
            last = self._sent.get(job.id)
            if (last is not None and now - last[0] < last[1]) or (
                self._skip is not None and self._skip(job.id)
            ):
                continue
            try:
                self._enqueue(job.id)
            except QueueUnavailable as exc:
                log.warning("sweeper: the queue is unavailable (%s); trying again later", exc)
                break
            wait = self.stale_after if last is None else min(_MAX_RESEND_WAIT, 2 * last[1])
            self._sent[job.id] = (now, wait)
            sent += 1
        if sent:
            log.info("sweeper: enqueued %d job(s) again", sent)
        return sent

    def _still_queued(self, pending: int) -> bool:
        """Whether the broker holds a message for every stale pending job (a backlog, not a loss)."""
        if self._queued is None or pending == 0:
            return False
        try:
            return self._queued() >= pending
        except Exception as exc:  # the broker cannot say: assume the worst and send again
            log.debug("sweeper: cannot count the queued messages: %s", exc)
            return False

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.sweep()
            except Exception:  # the sweeper must outlive any one failure
                log.exception("sweeper: a pass failed")
            self._stopping.wait(self.interval)


# --- in-process jobs -----------------------------------------------------------------------------

_STOP = ""


class InProcessQueue:
    """Jobs run on ``workers`` threads in this process; the store keeps what is pending.

    ``enqueue`` never blocks: past ``backlog`` waiting ids it leaves the job to the sweeper.
    Retries wait in a timer (a released job names its delay); a restart finds pending and
    lease-expired jobs in the store and runs them.

    Args:
        ctx: the service's context.
        workers: how many jobs run at once (default ``settings.workers``). Drafting waits on the
            model, so many more threads than cores pay off.
        sweep_interval: seconds between sweeps (default ``settings.sweep_interval_seconds``).
        backlog: ids kept in memory at most.
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        workers: int | None = None,
        sweep_interval: float | None = None,
        backlog: int = 10_000,
    ) -> None:
        self._ctx = ctx
        self.workers = workers or ctx.settings.workers
        self._backlog = backlog
        self._ids: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._waiting: set[str] = set()  # enqueued here and not finished yet
        self._delayed: list[tuple[float, str]] = []
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._generation = 0  # a thread that outlived a stop must not serve the next start
        self._sweeper = Sweeper(
            ctx.store,
            self.enqueue,
            interval=sweep_interval or ctx.settings.sweep_interval_seconds,
            skip=self._is_known,
            name="replyassist-inprocess-sweeper",
        )

    def __repr__(self) -> str:
        return f"InProcessQueue(workers={self.workers}, started={bool(self._threads)})"

    def enqueue(self, job_id: str) -> None:
        if self._stopping.is_set():
            raise QueueUnavailable("the in-process queue is stopped; the job stays pending in the store")
        with self._lock:
            if job_id in self._waiting:
                return
            if len(self._waiting) >= self._backlog:
                log.warning(
                    "in-process queue: %d jobs waiting; job %s is left to the sweeper", self._backlog, job_id
                )
                return
            self._waiting.add(job_id)
        self._ids.put(job_id)

    def start(self) -> None:
        if self._threads:
            return
        self._stopping.clear()
        for i in range(self.workers):
            thread = threading.Thread(
                target=self._work,
                args=(i, self._generation, self._ids),
                name=f"replyassist-job-{i}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        timer = threading.Thread(target=self._release_delayed, name="replyassist-job-timer", daemon=True)
        timer.start()
        self._threads.append(timer)
        self._sweeper.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop; jobs not started yet stay pending in the store for the next start."""
        deadline = time.monotonic() + timeout
        self._stopping.set()
        self._sweeper.stop(timeout)
        with self._lock:
            self._lock.notify_all()
        for _ in range(self.workers):
            self._ids.put(_STOP)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = sum(t.is_alive() for t in self._threads)
        if alive:
            log.warning("in-process queue: %d job(s) still running at stop; their lease will expire", alive)
        self._threads = []
        self._generation += 1
        # What was waiting here stays pending in the store: the next start's sweep finds it.
        with self._lock:
            self._waiting.clear()
            self._delayed.clear()
            self._lock.notify_all()
        self._ids = queue.SimpleQueue()

    def ping(self) -> None:
        if self._stopping.is_set() or not self._threads:
            raise QueueUnavailable("the in-process queue is not running")
        dead = [t.name for t in self._threads if not t.is_alive()]
        if dead:
            raise QueueUnavailable(f"in-process queue threads died: {', '.join(dead)}")

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is waiting, running or due for a retry here; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._waiting or self._delayed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.5))
        return True

    def _is_known(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._waiting or any(j == job_id for _, j in self._delayed)

    def _work(self, index: int, generation: int, ids: queue.SimpleQueue[str]) -> None:
        name = worker_name(f"inprocess-{index}")
        while True:
            job_id = ids.get()
            if job_id == _STOP or self._stopping.is_set() or generation != self._generation:
                return
            retry_in: float | None = None
            try:
                retry_in = run_job(self._ctx, job_id, worker=name).retry_in
            except StoreUnavailable as exc:
                log.warning("job %s: the store is unavailable (%s); the sweeper will retry it", job_id, exc)
            except Exception:  # a worker thread must outlive any one job
                log.exception("job %s: unexpected failure in the worker", job_id)
            with self._lock:
                self._waiting.discard(job_id)
                if retry_in is not None:
                    heapq.heappush(self._delayed, (time.monotonic() + retry_in, job_id))
                self._lock.notify_all()

    def _release_delayed(self) -> None:
        while not self._stopping.is_set():
            due: list[str] = []
            with self._lock:
                now = time.monotonic()
                while self._delayed and self._delayed[0][0] <= now:
                    due.append(heapq.heappop(self._delayed)[1])
                if not due:
                    wait = self._delayed[0][0] - now if self._delayed else 1.0
                    self._lock.wait(min(wait, 1.0))
                    continue
            for job_id in due:
                try:
                    self.enqueue(job_id)
                except QueueUnavailable:
                    return


def make_queue(ctx: ServiceContext) -> JobQueue:
    """The queue the settings ask for: in-process without ``queue_url``, Celery with a Redis URL."""
    url = ctx.settings.queue_url
    if url is None:
        return InProcessQueue(ctx)
    from replyassist.service.celery_app import CeleryQueue

    return CeleryQueue(ctx)
