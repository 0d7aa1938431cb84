"""Jobs on Celery workers over Redis: at-least-once delivery made exactly-once by the store.

The API process sends only a job id (:class:`CeleryQueue`); a worker (``replyassist worker``, or
``celery -A replyassist.service.celery_app worker``) runs :func:`~replyassist.service.jobs.run_job`
on it. What makes that safe:

- **late acknowledgement** (``acks_late``, ``task_reject_on_worker_lost``): a message is acked only
  once its job has finished, so a worker that dies gives its messages back;
- **retries with backoff**: a job released for another attempt (a 429 names its ``Retry-After``) is
  sent again with that countdown; the store counts attempts and fails the job past the limit;
- **the claim**: a message delivered twice, or sent again by a sweeper, finds its job claimed or
  done and does nothing;
- **the sweeper** (in the API process and in each worker): Redis here keeps nothing on disk, so a
  Redis restart loses queued messages, and a worker killed outright holds its messages until
  Redis's visibility timeout (one hour). Jobs running past their lease are sent again, and jobs
  pending for ``2 × sweep_interval_seconds`` too, unless as many job messages still wait in Redis
  (a backlog, not a loss).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from replyassist._errors import ConfigurationError, MissingDependencyError, StoreUnavailable
from replyassist.service.jobs import QueueUnavailable, Sweeper, backoff_delay, run_job, worker_name

try:
    from celery import Celery, Task, signals  # type: ignore[import-untyped,unused-ignore]
    from kombu.exceptions import KombuError  # type: ignore[import-untyped,unused-ignore]
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("celery", "queue", "Running jobs on Celery workers") from exc

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings
    from replyassist.service.context import ServiceContext

__all__ = [
    "QUEUE_NAME",
    "TASK_NAME",
    "CeleryQueue",
    "app",
    "configure_worker",
    "make_app",
    "process_job_task",
    "queued_messages",
    "stale_after",
    "worker_context",
]

log = logging.getLogger(__name__)


def _tolerate_a_dead_connection() -> None:
    """Keep a worker alive when Redis goes away while it holds unacknowledged messages.

    On a lost broker connection Celery closes the consumer's connection, and kombu's Redis
    channel, closing, "restores" its unacknowledged messages through that same connection, whose
    transport it has just detached: ``AttributeError: 'NoneType' object has no attribute
    'hostname'`` (kombu 5.x, ``Channel._connparams``). A job that finishes a moment later acks
    its message on that closed channel: the same error. It is not a connection error, so Celery
    calls it unrecoverable and the worker exits, with its running jobs' leases still to run
    out. Seen here in 3 of 11 runs of the Redis-restart fault test, and the likely cause of a
    bench run that once left jobs unfinished. With no connection there is nothing to restore or
    acknowledge through: Redis lost those messages (or redelivers them after the visibility
    timeout, and a finished job's redelivery does nothing), and the store's sweepers send every
    unfinished job again. So those calls are skipped, and the consumer reconnects as it does
    for any lost connection.
    """
    from kombu.transport import redis as kombu_redis  # type: ignore[import-untyped,unused-ignore]

    qos: Any = kombu_redis.QoS
    if getattr(qos.restore_unacked, "_replyassist", False):
        return
    restore, ack, reject = qos.restore_unacked, qos.ack, qos.reject

    def detached(self: Any) -> bool:
        transport = getattr(self.channel, "connection", None)
        return transport is None or getattr(transport, "client", None) is None

    def restore_unacked(self: Any, client: Any = None) -> Any:
        if client is None and detached(self):
            count = len(self._delivered)
            self._delivered.clear()
            log.warning(
                "broker connection closed: %d unacknowledged message(s) not restored; "
                "their jobs are sent again by the sweepers",
                count,
            )
            return None
        return restore(self, client)

    def ack_on(self: Any, delivery_tag: Any) -> Any:
        if detached(self):
            log.info("broker connection closed: message %s not acknowledged (its job is done)", delivery_tag)
            return None
        return ack(self, delivery_tag)

    def reject_on(self: Any, delivery_tag: Any, requeue: bool = False) -> Any:
        if detached(self):
            log.info(
                "broker connection closed: message %s not rejected; the sweepers resend its job", delivery_tag
            )
            return None
        return reject(self, delivery_tag, requeue=requeue)

    restore_unacked._replyassist = True  # type: ignore[attr-defined]
    qos.restore_unacked, qos.ack, qos.reject = restore_unacked, ack_on, reject_on


_tolerate_a_dead_connection()

TASK_NAME = "replyassist.process_job"
QUEUE_NAME = "replyassist"

# A sender gives up quickly: the job is safe in the store and the sweeper sends it again later,
# so a webhook is never held up waiting for Redis.
_PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def make_app(broker_url: str | None = None) -> Celery:
    """A Celery app with replyassist's delivery settings (the worker's, or a sender's)."""
    celery = Celery("replyassist", set_as_current=False)
    celery.conf.update(
        broker_url=broker_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_default_queue=QUEUE_NAME,
        task_serializer="json",
        accept_content=["json"],
        # One message at a time per thread: a prefetched message waits while its job could run elsewhere.
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_disable_rate_limits=True,  # no task has a rate limit: skip the per-message bucket check
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for Redis to come back
        broker_transport_options={
            "visibility_timeout": 3600,
            "socket_connect_timeout": 5,
            "socket_timeout": 30,
            "retry_on_timeout": True,
        },
        broker_pool_limit=32,
    )
    return celery


app = make_app()
"""The worker's app: ``celery -A replyassist.service.celery_app worker`` finds it."""


class _WorkerState:
    """What one worker process builds lazily: its settings and its context (one per process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: ServiceSettings | None = None
        self.context: ServiceContext | None = None
        self.pid = 0
        self.sweep = True
        self.sweeper: Sweeper | None = None


_worker = _WorkerState()


def configure_worker(
    settings: ServiceSettings, *, sweep: bool = True, context: ServiceContext | None = None
) -> Celery:
    """Point the worker's app at ``settings.queue_url``; its jobs will use these settings.

    ``context`` is what this process's jobs run with (default: built from the settings on the
    first job), for a worker embedded in a program that builds its own (a different model, say).

    Raises:
        ConfigurationError: no ``queue_url`` is set.
    """
    if settings.queue_url is None:
        raise ConfigurationError(
            "a Celery worker needs REPLYASSIST_QUEUE_URL (redis://…); without it, `replyassist serve` "
            "runs jobs in its own process"
        )
    app.conf.broker_url = settings.queue_url.get_secret_value()
    with _worker.lock:
        _worker.settings = settings
        _worker.sweep = sweep
        if context is not None:
            _worker.context, _worker.pid = context, os.getpid()
    return app


def worker_context() -> ServiceContext:
    """This worker process's context, built on first use (after a fork, built again)."""
    from replyassist.service.context import ServiceContext

    with _worker.lock:
        if _worker.context is None or _worker.pid != os.getpid():
            _worker.context = ServiceContext.from_settings(_worker_settings())
            _worker.pid = os.getpid()
        return _worker.context


def _worker_settings() -> ServiceSettings:
    if _worker.settings is None:
        from replyassist.service.config import ServiceSettings

        _worker.settings = ServiceSettings.load()
    return _worker.settings


def _process_job(self: Task[Any, Any], job_id: str) -> str:
    """Run one job; ask Celery to deliver it again when it was released for a retry."""
    ctx = worker_context()
    try:
        outcome = run_job(ctx, job_id, worker=worker_name(f"celery:{self.request.hostname}"))
    except StoreUnavailable as exc:
        log.warning("job %s: the store is unavailable (%s); retrying", job_id, exc)
        raise self.retry(countdown=backoff_delay(self.request.retries + 1), exc=exc) from None
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status.value if outcome.status is not None else "not run here (done or running elsewhere)"


process_job_task = app.task(
    bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True, max_retries=None
)(_process_job)
"""The task: ``replyassist.process_job(job_id)``, acknowledged once its job has finished."""


def _send(celery: Celery, job_id: str) -> None:
    try:
        celery.send_task(TASK_NAME, args=[job_id], queue=QUEUE_NAME, retry=True, retry_policy=_PUBLISH_RETRY)
    except (KombuError, OSError) as exc:
        raise QueueUnavailable(f"the job queue cannot be reached: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # redis-py raises its own ConnectionError, not an OSError
        if type(exc).__module__.startswith(("redis", "kombu")):
            raise QueueUnavailable(f"the job queue cannot be reached: {type(exc).__name__}: {exc}") from exc
        raise


def queued_messages(celery: Celery) -> int:
    """Job messages waiting in Redis (0 after a Redis restart).

    Messages delivered and not acknowledged are not counted: those of a worker killed outright
    stay so for an hour, and their jobs must not wait that long.
    """
    with celery.connection_for_write() as conn:
        # Fail fast while Redis restarts: kombu's default reconnection loop would hold the sweeper
        # (and every lost job behind it) for a minute or more; the sweeper counts a failure as "send".
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
        try:
            return int(conn.default_channel.queue_declare(queue=QUEUE_NAME, passive=True).message_count)
        except Exception as exc:
            if "NOT_FOUND" in str(exc):
                return 0  # no such queue: nothing waits
            raise


def stale_after(settings: ServiceSettings) -> float:
    """How long a job may stay pending before a sweeper sends it again (two sweep intervals)."""
    return 2 * settings.sweep_interval_seconds


def _on_worker_init(**_: Any) -> None:
    """``celery -A replyassist.service.celery_app worker``: take the broker from the settings."""
    with _worker.lock:
        configured = _worker.settings is not None
    if not configured:
        configure_worker(_worker_settings())


# Celery's own two INFO lines per task ("Task … received", "Task … succeeded in …"): the job's own
# lines (claimed, outcome; retries and failures as warnings) say the same with the job id. Each of
# Celery's builds a context dict, formats and writes a record (on the main loop, on a task thread):
# about 0.4 ms of worker CPU per task (median 2.73 → 2.32 ms of Celery per no-op task, 48 threads,
# 200 tasks/s, /proc utime+stime). Celery reads these levels once, when it builds its message
# handler and tracer, so they are set as logging is set up; at DEBUG the lines stay.
_PER_TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace")


def _on_after_setup_logger(loglevel: int = logging.INFO, **_: Any) -> None:
    """Keep Celery's per-task lines for a worker logging at DEBUG (Celery passes the level as an int)."""
    level = logging.NOTSET if loglevel <= logging.DEBUG else max(loglevel, logging.WARNING)
    for name in _PER_TASK_LOGGERS:
        logging.getLogger(name).setLevel(level)


def _on_worker_ready(**_: Any) -> None:
    with _worker.lock:
        if not _worker.sweep or _worker.sweeper is not None:
            return
    ctx = worker_context()
    sweeper = Sweeper(
        ctx.store,
        lambda job_id: _send(app, job_id),
        interval=ctx.settings.sweep_interval_seconds,
        stale_after=stale_after(ctx.settings),
        queued=lambda: queued_messages(app),
        name="replyassist-worker-sweeper",
    )
    with _worker.lock:
        _worker.sweeper = sweeper
    sweeper.start()


def _on_worker_shutdown(**_: Any) -> None:
    with _worker.lock:
        sweeper, _worker.sweeper = _worker.sweeper, None
    if sweeper is not None:
        sweeper.stop()


signals.celeryd_init.connect(_on_worker_init, weak=False)
signals.after_setup_logger.connect(_on_after_setup_logger, weak=False)
signals.worker_ready.connect(_on_worker_ready, weak=False)
signals.worker_shutdown.connect(_on_worker_shutdown, weak=False)


class CeleryQueue:
    """The API process's side: sends job ids to Redis and sweeps for lost ones.

    Args:
        ctx: the service's context (``settings.queue_url`` must be set).
        sweep: run a sweeper here too (recommended: workers may all be down).
    """

    def __init__(self, ctx: ServiceContext, *, sweep: bool = True) -> None:
        if ctx.settings.queue_url is None:
            raise ConfigurationError("CeleryQueue needs settings.queue_url (REPLYASSIST_QUEUE_URL=redis://…)")
        self._ctx = ctx
        self._app = make_app(ctx.settings.queue_url.get_secret_value())
        self._sweeper = (
            Sweeper(
                ctx.store,
                self.enqueue,
                interval=ctx.settings.sweep_interval_seconds,
                stale_after=stale_after(ctx.settings),
                queued=lambda: queued_messages(self._app),
                name="replyassist-celery-sweeper",
            )
            if sweep
            else None
        )

    def __repr__(self) -> str:
        return "CeleryQueue()"  # the broker URL may carry a password

    def enqueue(self, job_id: str) -> None:
        _send(self._app, job_id)

    def start(self) -> None:
        if self._sweeper is not None:
            self._sweeper.start()

    def stop(self, timeout: float = 10) -> None:
        if self._sweeper is not None:
            self._sweeper.stop(timeout)
        self._app.close()

    def ping(self) -> None:
        try:
            with self._app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=5)
        except Exception as exc:
            raise QueueUnavailable(f"the job queue cannot be reached: {type(exc).__name__}") from exc
