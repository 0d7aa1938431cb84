"""Embedded jobs in a worker process: drafted from the store, and nothing lost when it dies."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from replyassist import ReplyAssistant
from replyassist._errors import ConfigurationError
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import QueueUnavailable
from replyassist.service.procqueue import ProcessQueue
from replyassist.service.store import JobStatus, Store
from replyassist.testing import FakeHelpdesk

ROOT = Path(__file__).resolve().parents[2]
SECRET = "procqueue-test-secret"
TICKETS = 6


def helpdesk() -> FakeHelpdesk:
    """The same tickets in this process and in the worker process (as a remote helpdesk would be)."""
    fake = FakeHelpdesk(SECRET)
    for i in range(TICKETS):
        fake.create_ticket(f"Hello, where is my order #{4800 + i}? The tracking has not moved.", id=f"t{i}")
    return fake


def build_context(settings: ServiceSettings) -> ServiceContext:
    """Runs in the worker process (so it must be importable there, and picklable)."""
    store = Store(settings.database_url.get_secret_value())
    return ServiceContext(settings, store, {"fake": helpdesk()}, ReplyAssistant(ROOT / "examples" / "kb"))


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    return ServiceSettings(
        data_dir=tmp_path, helpdesks=[], sweep_interval_seconds=0.5, workers=4, job_processes=2
    )


@pytest.fixture
def store(settings: ServiceSettings) -> Iterator[Store]:
    store = Store(settings.database_url.get_secret_value())
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def jobs(settings: ServiceSettings) -> Iterator[ProcessQueue]:
    from functools import partial

    queue = ProcessQueue(settings, context_factory=partial(build_context, settings))
    yield queue
    queue.stop()


def record(store: Store, ticket: int) -> str:
    fake = helpdesk()
    job, created = store.record_event(fake.parse_webhook(fake.webhook(f"t{ticket}")))
    assert created and job.status is JobStatus.PENDING
    return job.id


def wait_done(store: Store, job_ids: list[str], timeout: float = 60) -> dict[str, JobStatus]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = {job_id: store.get_job(job_id).status for job_id in job_ids}  # type: ignore[union-attr]
        if all(s is JobStatus.DONE for s in statuses.values()) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.2)


def test_enqueued_jobs_are_drafted_and_posted_by_each_worker_process(
    store: Store, jobs: ProcessQueue
) -> None:
    jobs.start()
    jobs.ping()
    pids = jobs.pids
    assert len(pids) == 2 and os.getpid() not in pids
    ids = [record(store, i) for i in range(TICKETS)]
    for job_id in ids:
        jobs.enqueue(job_id)
    assert set(wait_done(store, ids).values()) == {JobStatus.DONE}
    ran_in: set[int] = set()
    for job_id in ids:
        stored = store.draft_for_job(job_id)
        job = store.get_job(job_id)
        assert stored is not None and stored.draft.text
        assert job is not None and job.note_id and job.worker
        ran_in.add(int(job.worker.split(":")[1]))  # host:pid:label:thread
    assert ran_in == set(pids)  # handed out in turn: both processes drafted


def test_jobs_are_spread_over_the_processes_and_never_more_processes_than_jobs_at_once(
    tmp_path: Path,
) -> None:
    from replyassist.service.config import share_workers

    assert share_workers(8, 3) == [3, 3, 2]
    assert share_workers(96, 2) == [48, 48]
    assert share_workers(2, 4) == [1, 1]
    assert share_workers(1, 1) == [1]
    settings = ServiceSettings(data_dir=tmp_path, helpdesks=[], workers=3, job_processes=8)
    assert repr(ProcessQueue(settings)) == "ProcessQueue(workers=3, processes=3, running=False)"
    assert "3 workers in 3 worker processes" in settings._check_queue()
    assert ServiceSettings.load({"REPLYASSIST_JOB_PROCESSES": "3"}).job_processes == 3
    assert 1 <= ServiceSettings(data_dir=tmp_path).job_processes <= 4
    with pytest.raises(ConfigurationError, match="REPLYASSIST_JOB_PROCESSES"):
        ServiceSettings.load({"REPLYASSIST_JOB_PROCESSES": "0"})


def test_jobs_recorded_before_the_start_or_while_it_was_dead_are_not_lost(
    store: Store, jobs: ProcessQueue
) -> None:
    before = record(store, 0)  # never enqueued: a worker process's first sweep finds it
    jobs.start()
    assert wait_done(store, [before])[before] is JobStatus.DONE
    first = jobs.pids
    for pid in first:
        os.kill(pid, signal.SIGKILL)
    while_dead = [record(store, i) for i in (1, 2)]
    for job_id in while_dead:
        with contextlib.suppress(
            QueueUnavailable
        ):  # the pipes died with the processes: the store has the job
            jobs.enqueue(job_id)
    assert set(wait_done(store, while_dead).values()) == {JobStatus.DONE}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (len(jobs.pids) == 2 and set(jobs.pids).isdisjoint(first)):
        time.sleep(0.1)
    assert len(jobs.pids) == 2 and set(jobs.pids).isdisjoint(first)  # both restarted by the service
    jobs.ping()


def test_while_one_process_is_dead_the_other_takes_its_jobs(store: Store, jobs: ProcessQueue) -> None:
    jobs.start()
    wait_done(store, [])
    victim, survivor = jobs.pids
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)  # the service notices the death
    with pytest.raises(QueueUnavailable, match="job process 0"):
        jobs.ping()  # not ready while a process is missing
    ids = [record(store, i) for i in range(4)]
    for job_id in ids:
        jobs.enqueue(job_id)  # no error: the living process takes them
    assert set(wait_done(store, ids, timeout=20).values()) == {JobStatus.DONE}
    ran_in = {int(store.get_job(j).worker.split(":")[1]) for j in ids}  # type: ignore[union-attr]
    assert survivor in ran_in and victim not in ran_in  # (the restarted process may take some too)


def test_a_stopped_queue_refuses_jobs_and_leaves_them_pending(store: Store, jobs: ProcessQueue) -> None:
    jobs.start()
    pids = jobs.pids
    jobs.stop()
    assert jobs.pids == [] and jobs.pid is None
    with pytest.raises(QueueUnavailable):
        jobs.ping()
    job_id = record(store, 3)
    with pytest.raises(QueueUnavailable):
        jobs.enqueue(job_id)
    assert store.get_job(job_id).status is JobStatus.PENDING  # type: ignore[union-attr]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_the_service_built_from_settings_drafts_in_its_worker_process_once_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``replyassist serve`` runs: the app builds its context, and jobs go to a worker process."""
    import httpx
    from _app_harness import live_server
    from _helpdesk_server import HelpdeskServer, write_plugin

    from replyassist.service.app import create_app

    monkeypatch.syspath_prepend(str(write_plugin(tmp_path / "plugin")))  # the worker process inherits it
    fake = FakeHelpdesk(SECRET, name="fakehttp")
    ticket = fake.create_ticket("Hi, my order #1234 is a week late. Where is it?", channel="email")
    with HelpdeskServer(fake) as remote:
        env = {
            "REPLYASSIST_DATA_DIR": str(tmp_path / "data"),
            "REPLYASSIST_HELPDESKS": "fakehttp",
            "FAKEHTTP_URL": remote.url,
            "FAKE_HELPDESK_SECRET": SECRET,
        }
        app = create_app(ServiceSettings.load(env))
        assert isinstance(app.state.service.queue, ProcessQueue)
        webhook = fake.webhook(ticket)
        with live_server(app) as base, httpx.Client(base_url=base, timeout=10) as client:
            answers = [
                client.post("/webhooks/fakehttp", content=webhook.body, headers=dict(webhook.headers))
                for _ in range(3)  # the helpdesk delivers it three times
            ]
            deadline = time.monotonic() + 60
            while not fake.notes(ticket) and time.monotonic() < deadline:
                time.sleep(0.2)
            ready = client.get("/readyz").json()
            time.sleep(1)  # a second note, if any, would have been posted by now
        notes = fake.notes(ticket)
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    assert ready == {"store": "ok", "queue": "ok"}
    assert len(notes) == 1
    assert ServiceSettings.load({**env, "REPLYASSIST_JOB_PROCESS": "false"}).job_process is False
