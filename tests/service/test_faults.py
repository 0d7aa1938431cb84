"""Faults with real processes: Celery workers killed mid-job, Redis restarted, PostgreSQL cut.

Workers are real ``replyassist worker`` subprocesses on a Redis of the test's own; the helpdesk
is a FakeHelpdesk in this process, served over HTTP (``_helpdesk_server``) so that every note a
worker posts can be counted here. Leases and sweeps are short (3 s, 0.5 s) so recovery is quick.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from _helpdesk_server import HelpdeskServer, write_plugin
from _processes import RedisServer, TcpProxy, Worker, wait_until, worker_env

from replyassist import ReplyAssistant
from replyassist.service.celery_app import QUEUE_NAME, CeleryQueue, make_app, queued_messages
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import InProcessQueue
from replyassist.service.store import JobRecord, JobStatus, Store
from replyassist.testing import FakeHelpdesk

SECRET = "faults-test-secret"
LEASE = 3.0
SWEEP = 0.5
PATIENCE = 90  # seconds to wait for what should take a few: only a machine under heavy load needs it
QUESTIONS = [
    ("email", "Hi, where is my order #4821? It was due on Monday and the tracking has not moved."),
    ("chat", "Can I return hiking boots I bought three weeks ago if I wore them once?"),
    ("twitter", "@PineconeHelp my tent pole snapped on the first night, what can you do?"),
    ("whatsapp", "Do you ship to Canada, and how long does it take?"),
    ("email", "I was charged twice for order 7731, please refund one of the charges."),
]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def helpdesk() -> Iterator[HelpdeskServer]:
    with HelpdeskServer(FakeHelpdesk(SECRET, name="fakehttp")) as server:
        yield server


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


MakeWorker = Callable[..., Worker]


@pytest.fixture
def make_worker(
    tmp_path: Path, redis_server: RedisServer, helpdesk: HelpdeskServer, pg_url: str, workers: list[Worker]
) -> MakeWorker:
    plugin = write_plugin(tmp_path / "plugin")

    def make(name: str = "w1", *, concurrency: int = 4, database_url: str = pg_url) -> Worker:
        env = worker_env(
            os.environ,
            PLUGIN_PATH=str(plugin),
            REPLYASSIST_QUEUE_URL=redis_server.url,
            REPLYASSIST_DATABASE_URL=database_url,
            REPLYASSIST_HELPDESKS="fakehttp",
            REPLYASSIST_DATA_DIR=str(tmp_path / "data"),
            REPLYASSIST_JOB_LEASE_SECONDS=str(LEASE),
            REPLYASSIST_SWEEP_INTERVAL_SECONDS=str(SWEEP),
            FAKEHTTP_URL=helpdesk.url,
            FAKE_HELPDESK_SECRET=SECRET,
        )
        worker = Worker(env, tmp_path / f"{name}.log", concurrency=concurrency, name=name)
        workers.append(worker)
        return worker

    return make


@pytest.fixture
def store(pg_store: Store) -> Store:
    return pg_store


@pytest.fixture
def api(store: Store, redis_server: RedisServer, pg_url: str) -> Iterator[CeleryQueue]:
    """The API process's side: sends job ids to the test's Redis, and sweeps."""
    settings = ServiceSettings(
        database_url=pg_url,
        queue_url=redis_server.url,
        helpdesks=[],
        job_lease_seconds=LEASE,
        sweep_interval_seconds=SWEEP,
    )
    queue = CeleryQueue(ServiceContext(settings, store, {}, ReplyAssistant(None)))
    yield queue
    queue.stop()


def proxied(url: str) -> tuple[TcpProxy, str]:
    """A proxy in front of the database at ``url``, and the URL that goes through it."""
    parts = urlsplit(url)
    proxy = TcpProxy(parts.port or 5432, parts.hostname or "127.0.0.1")
    return proxy, urlunsplit(
        parts._replace(
            netloc=parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
        )
    )


def open_tickets(fake: FakeHelpdesk, n: int) -> list[str]:
    return [
        fake.create_ticket(text, channel=channel, customer="Ana Lima")
        for channel, text in (QUESTIONS[i % len(QUESTIONS)] for i in range(n))
    ]


def record_all(store: Store, fake: FakeHelpdesk, tickets: list[str]) -> list[JobRecord]:
    return [store.record_event(fake.parse_webhook(fake.webhook(t)))[0] for t in tickets]


def statuses(store: Store, jobs: list[JobRecord]) -> list[JobStatus]:
    return [store.get_job(j.id).status for j in jobs]  # type: ignore[union-attr]


def all_done(store: Store, jobs: list[JobRecord]) -> Callable[[], bool]:
    return lambda: statuses(store, jobs) == [JobStatus.DONE] * len(jobs)


def assert_posted_once(store: Store, fake: FakeHelpdesk, tickets: list[str], jobs: list[JobRecord]) -> None:
    assert [len(fake.notes(t)) for t in tickets] == [1] * len(tickets)
    per_job = [[r for r in store.draft_rows() if r.job_id == j.id] for j in jobs]
    assert [len(rows) for rows in per_job] == [1] * len(jobs)  # drafted once, whatever was retried


# --- Celery workers --------------------------------------------------------------------------


def test_three_deliveries_of_every_webhook_post_one_note_each_and_retries_behave(
    store: Store, helpdesk: HelpdeskServer, api: CeleryQueue, make_worker: MakeWorker
) -> None:
    two = [make_worker("w1").start(wait=False), make_worker("w2").start(wait=False)]
    for worker in two:
        worker.wait_ready()
    fake = helpdesk.fake
    tickets = open_tickets(fake, 12)
    jobs = []
    for _ in range(3):  # the helpdesk delivers every webhook three times, and each one is sent on
        for ticket_id in tickets:
            job, _ = store.record_event(
                fake.parse_webhook(fake.webhook(ticket_id, event_id=f"evt-{ticket_id}"))
            )
            api.enqueue(job.id)
            jobs.append(job)
    jobs = list({j.id: j for j in jobs}.values())
    assert len(jobs) == 12
    wait_until(all_done(store, jobs), PATIENCE, "every job to be done")
    assert_posted_once(store, fake, tickets, jobs)

    # A 429 is retried after its Retry-After (the task is sent again with that countdown) …
    (limited_ticket,) = open_tickets(fake, 1)
    limited, missing = record_all(store, fake, [limited_ticket, "no-such-ticket"])
    fake.fail_next(2, status=429, retry_after=0.5, on="post_note")
    api.enqueue(limited.id)
    wait_until(lambda: store.get_job(limited.id).status is JobStatus.DONE, PATIENCE, "the limited job")  # type: ignore[union-attr]
    done = store.get_job(limited.id)
    assert done is not None and done.attempts >= 3 and len(fake.notes(limited_ticket)) == 1
    # … and a ticket the helpdesk does not have fails at once.
    api.enqueue(missing.id)
    wait_until(lambda: store.get_job(missing.id).status is JobStatus.FAILED, PATIENCE, "the missing ticket")  # type: ignore[union-attr]
    failed = store.get_job(missing.id)
    assert failed is not None and failed.attempts == 1 and "TicketNotFound" in (failed.error or "")


def test_a_worker_killed_after_posting_leaves_one_note_once_its_lease_expires(
    store: Store, helpdesk: HelpdeskServer, api: CeleryQueue, make_worker: MakeWorker
) -> None:
    fake = helpdesk.fake
    tickets = open_tickets(fake, 6)
    jobs = record_all(store, fake, tickets)
    helpdesk.delay_after["post_note"] = 60.0  # the notes are posted; the answers never come back
    doomed = make_worker("doomed", concurrency=6).start()
    for job in jobs:
        api.enqueue(job.id)
    wait_until(lambda: all(fake.notes(t) for t in tickets), PATIENCE, "every note to be posted")
    assert statuses(store, jobs) == [JobStatus.RUNNING] * 6

    doomed.kill()
    helpdesk.delay_after.clear()
    make_worker("rescuer").start()

    wait_until(all_done(store, jobs), PATIENCE, "every job to be done after the leases expired")
    assert_posted_once(store, fake, tickets, jobs)
    assert all(store.get_job(j.id).attempts >= 2 for j in jobs)  # type: ignore[union-attr]


def test_jobs_queued_in_redis_survive_a_redis_restart(
    store: Store,
    helpdesk: HelpdeskServer,
    api: CeleryQueue,
    make_worker: MakeWorker,
    redis_server: RedisServer,
) -> None:
    fake = helpdesk.fake
    tickets = open_tickets(fake, 16)
    queued, later = record_all(store, fake, tickets[:8]), record_all(store, fake, tickets[8:])
    for job in queued:
        api.enqueue(job.id)
    broker = make_app(redis_server.url)
    assert queued_messages(broker) == 8 == redis_server.queued(QUEUE_NAME)

    redis_server.restart()  # nothing on disk: the eight messages are gone
    assert queued_messages(broker) == 0
    broker.close()
    make_worker("w1").start()
    wait_until(all_done(store, queued), PATIENCE, "the lost jobs to be swept and done")

    # And once more with a worker busy: Redis goes away under it while jobs are queued.
    helpdesk.delay_before["fetch_ticket"] = 0.3
    for job in later:
        api.enqueue(job.id)
    wait_until(lambda: fake.calls["fetch_ticket"] >= 10, PATIENCE, "the worker to start on the second batch")
    redis_server.restart()
    wait_until(all_done(store, later), PATIENCE, "every job to be done after the second restart")

    assert_posted_once(store, fake, tickets, queued + later)


def test_celery_jobs_resume_when_postgresql_comes_back(
    store: Store, helpdesk: HelpdeskServer, api: CeleryQueue, make_worker: MakeWorker, pg_url: str
) -> None:
    proxy, through_proxy = proxied(pg_url)
    try:
        fake = helpdesk.fake
        tickets = open_tickets(fake, 10)
        jobs = record_all(store, fake, tickets)
        helpdesk.delay_before["fetch_ticket"] = 0.5
        make_worker("w1", concurrency=5, database_url=through_proxy).start()
        for job in jobs:
            api.enqueue(job.id)
        wait_until(lambda: fake.calls["fetch_ticket"] >= 3, PATIENCE, "jobs to be under way")

        proxy.cut()  # PostgreSQL is unreachable for the worker for a second and a half
        time.sleep(1.5)
        proxy.restore()

        wait_until(all_done(store, jobs), PATIENCE, "every job to be done once the database is back")
        assert_posted_once(store, fake, tickets, jobs)
    finally:
        proxy.close()


# --- in process ------------------------------------------------------------------------------


def test_in_process_jobs_resume_when_postgresql_comes_back(pg_url: str, store: Store) -> None:
    proxy, through_proxy = proxied(pg_url)
    fake = FakeHelpdesk(SECRET, latency=0.2)
    tickets = open_tickets(fake, 10)
    jobs = record_all(store, fake, tickets)
    behind_proxy = Store(through_proxy)
    settings = ServiceSettings(helpdesks=[], job_lease_seconds=LEASE, sweep_interval_seconds=SWEEP)
    queue = InProcessQueue(
        ServiceContext(settings, behind_proxy, {"fake": fake}, ReplyAssistant(None)), workers=4
    )
    try:
        queue.start()
        for job in jobs:
            queue.enqueue(job.id)
        wait_until(lambda: fake.calls["fetch_ticket"] >= 3, PATIENCE, "jobs to be under way")
        proxy.cut()
        time.sleep(2.0)
        proxy.restore()
        wait_until(all_done(store, jobs), PATIENCE, "every job to be done once the database is back")
        assert_posted_once(store, fake, tickets, jobs)
    finally:
        queue.stop()
        behind_proxy.close()
        proxy.close()
