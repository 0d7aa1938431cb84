"""Webhook jobs in process: drafted and posted once, skipped, failed or retried as they should be."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from replyassist import ConfigurationError, ReplyAssistant, helpdesk
from replyassist.helpdesk import find_note_key, register_helpdesk
from replyassist.models import Decision, Role, Ticket
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import (
    InProcessQueue,
    QueueUnavailable,
    Sweeper,
    make_queue,
    process_job,
    run_job,
)
from replyassist.service.store import JobRecord, JobStatus, Store
from replyassist.testing import FakeChatModel, FakeHelpdesk, model_reply

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "examples" / "kb"
TICKETS = ROOT / "examples" / "tickets"
SECRET = "jobs-test-secret"

QUESTIONS = [
    ("email", "Hi, where is my order #4821? It was due on Monday and the tracking has not moved."),
    ("chat", "Can I return hiking boots I bought three weeks ago if I wore them once?"),
    ("twitter", "@PineconeHelp my tent pole snapped on the first night, what can you do?"),
    ("whatsapp", "Do you ship to Canada, and how long does it take?"),
    ("email", "I was charged twice for order 7731, please refund one of the charges."),
]


@pytest.fixture(scope="module")
def assistant() -> ReplyAssistant:
    return ReplyAssistant(KB)


@pytest.fixture
def fake() -> FakeHelpdesk:
    return FakeHelpdesk(SECRET)


def sample(name: str) -> Ticket:
    return Ticket.model_validate_json(next(TICKETS.glob(f"{name}-*.json")).read_text(encoding="utf-8"))


def context(store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant, **settings: Any) -> ServiceContext:
    values: dict[str, Any] = {
        "helpdesks": [],
        "sweep_interval_seconds": 0.2,
        "job_lease_seconds": 30,
        **settings,
    }
    return ServiceContext(ServiceSettings(**values), store, {fake.name: fake}, assistant)


def record(store: Store, fake: FakeHelpdesk, ticket_id: str, event_id: str | None = None) -> JobRecord:
    job, _ = store.record_event(fake.parse_webhook(fake.webhook(ticket_id, event_id=event_id)))
    return job


def questions(fake: FakeHelpdesk, n: int) -> list[str]:
    """``n`` tickets whose customer asks something answerable (drafted, never skipped)."""
    return [
        fake.create_ticket(text, channel=channel, customer="Ana Lima")
        for channel, text in (QUESTIONS[i % len(QUESTIONS)] for i in range(n))
    ]


def wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.02)


@pytest.fixture
def running() -> Iterator[list[InProcessQueue]]:
    """Queues started by a test, stopped after it whatever happens."""
    queues: list[InProcessQueue] = []
    yield queues
    for q in queues:
        q.stop(timeout=5)


# --- one job ---------------------------------------------------------------------------------


def test_a_job_drafts_posts_one_private_note_tags_and_is_done(
    store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("01"))
    job = record(store, fake, ticket_id)
    ctx = context(store, fake, assistant)

    done = process_job(ctx, job.id, worker="test")

    assert done is not None and done.status is JobStatus.DONE and done.attempts == 1
    saved = store.draft_for_job(job.id)
    assert saved is not None and done.draft_id == saved.draft.id
    assert saved.received_at == job.received_at and saved.helpdesk == "fake" and saved.ticket_id == ticket_id
    (note,) = fake.notes(ticket_id)
    assert find_note_key(note.text) == job.id and note.public is False and note.author is Role.AGENT
    assert saved.draft.text in note.text and done.note_id is not None
    assert fake.tags(ticket_id)[-2:] == ["replyassist_drafted", f"replyassist_{saved.draft.decision.value}"]


def test_public_replies_are_public_only_when_the_draft_may_be_sent(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ctx = context(sqlite_store, fake, assistant, public_replies=True)
    answered = fake.create_ticket(sample("01"))  # answered from the KB: decision reply
    escalated = fake.create_ticket(sample("03"))  # a legal threat: escalate
    for ticket_id in (answered, escalated):
        process_job(ctx, record(sqlite_store, fake, ticket_id).id, worker="test")

    assert [n.public for n in fake.notes(answered)] == [True]
    assert [n.public for n in fake.notes(escalated)] == [False]
    assert "replyassist_escalate" in fake.tags(escalated)


def test_a_webhook_delivered_three_times_is_drafted_and_posted_once(
    store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("13"))
    deliveries = [
        store.record_event(fake.parse_webhook(fake.webhook(ticket_id, event_id="evt-1"))) for _ in range(3)
    ]
    assert [created for _, created in deliveries] == [True, False, False]
    assert len({job.id for job, _ in deliveries}) == 1
    ctx = context(store, fake, assistant)
    start = threading.Barrier(3)
    outcomes = []

    def deliver(job: JobRecord) -> None:
        start.wait()
        outcomes.append(run_job(ctx, job.id, worker=threading.current_thread().name))

    threads = [threading.Thread(target=deliver, args=(job,)) for job, _ in deliveries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(o.ran for o in outcomes) == 1
    assert len(fake.notes(ticket_id)) == 1 and fake.calls["fetch_ticket"] == 1
    assert len([row for row in store.draft_rows() if row.job_id == deliveries[0][0].id]) == 1
    job = store.get_job(deliveries[0][0].id)
    assert job is not None and job.status is JobStatus.DONE and job.attempts == 1


def test_no_draft_when_an_agent_wrote_last(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("01"))
    fake.add_message(
        ticket_id, "Hi Maria, I've asked the carrier and will update you today.", author=Role.AGENT
    )
    job = record(sqlite_store, fake, ticket_id)

    done = process_job(context(sqlite_store, fake, assistant), job.id, worker="test")

    assert (
        done is not None and done.status is JobStatus.SKIPPED and "not the customer's" in (done.error or "")
    )
    assert fake.notes(ticket_id) == [] and sqlite_store.draft_for_job(job.id) is None
    assert "replyassist_drafted" not in fake.tags(ticket_id)


def test_our_own_note_does_not_start_another_draft(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ctx = context(sqlite_store, fake, assistant)
    ticket_id = fake.create_ticket(sample("01"))
    process_job(ctx, record(sqlite_store, fake, ticket_id).id, worker="test")
    # The helpdesk announces the note we posted as a new comment.
    echo = process_job(ctx, record(sqlite_store, fake, ticket_id).id, worker="test")

    assert echo is not None and echo.status is JobStatus.SKIPPED
    assert len(fake.notes(ticket_id)) == 1


def test_a_bot_handing_over_leaves_the_customer_waiting_so_it_is_drafted(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket = sample("07")  # ends with the bot's "Let me connect you with a member of our team."
    assert ticket.messages[-1].author is Role.BOT
    ticket_id = fake.create_ticket(ticket)

    done = process_job(
        context(sqlite_store, fake, assistant), record(sqlite_store, fake, ticket_id).id, worker="t"
    )

    assert done is not None and done.status is JobStatus.DONE and len(fake.notes(ticket_id)) == 1


def test_a_skip_decision_is_stored_and_tagged_but_not_posted(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("06"))  # an SEO pitch through the web form
    job = record(sqlite_store, fake, ticket_id)

    done = process_job(context(sqlite_store, fake, assistant), job.id, worker="test")

    saved = sqlite_store.draft_for_job(job.id)
    assert done is not None and done.status is JobStatus.DONE and done.note_id is None
    assert saved is not None and saved.draft.decision is Decision.SKIP and done.draft_id == saved.draft.id
    assert fake.notes(ticket_id) == [] and "replyassist_skip" in fake.tags(ticket_id)


# --- failures --------------------------------------------------------------------------------


def test_a_missing_ticket_fails_the_job_without_retrying(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    job = record(sqlite_store, fake, "no-such-ticket")
    ctx = context(sqlite_store, fake, assistant)

    first = run_job(ctx, job.id, worker="test")
    again = run_job(ctx, job.id, worker="test")

    failed = sqlite_store.get_job(job.id)
    assert first.status is JobStatus.FAILED and first.retry_in is None
    assert failed is not None and "TicketNotFound" in (failed.error or "") and failed.attempts == 1
    assert again.ran is False and fake.calls["fetch_ticket"] == 1
    assert sqlite_store.runnable_jobs() == []


def test_a_rate_limited_job_waits_what_the_helpdesk_asked_then_completes(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    store = sqlite_store
    ticket_id = fake.create_ticket(sample("14"))
    job = record(store, fake, ticket_id)
    ctx = context(store, fake, assistant)
    fake.fail_next(1, status=429, retry_after=7, on="fetch_ticket")
    before = datetime.now(UTC)

    limited = run_job(ctx, job.id, worker="test")

    waiting = store.get_job(job.id)
    assert limited.retry_in == 7 and limited.status is JobStatus.PENDING
    assert (
        waiting is not None and waiting.status is JobStatus.PENDING and "RateLimited" in (waiting.error or "")
    )
    assert waiting.available_at is not None and waiting.available_at >= before + timedelta(seconds=7)
    assert store.runnable_jobs() == []  # not due yet: no sweeper sends it early
    done = process_job(ctx, job.id, worker="test")  # the delayed delivery
    assert done is not None and done.status is JobStatus.DONE and done.attempts == 2
    assert len(fake.notes(ticket_id)) == 1 and fake.calls["fetch_ticket"] == 2


def test_the_queue_retries_a_rate_limited_job_after_retry_after(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant, running: list[InProcessQueue]
) -> None:
    ticket_id = fake.create_ticket(sample("14"))
    job = record(sqlite_store, fake, ticket_id)
    fake.fail_next(2, status=429, retry_after=0.2, on="post_note")
    queue = InProcessQueue(context(sqlite_store, fake, assistant), workers=2)
    running.append(queue)
    queue.start()
    queue.enqueue(job.id)

    assert queue.wait_idle(60)
    done = sqlite_store.get_job(job.id)
    assert done is not None and done.status is JobStatus.DONE and done.attempts == 3
    assert len(fake.notes(ticket_id)) == 1 and fake.calls["post_note"] == 3
    assert len([row for row in sqlite_store.draft_rows() if row.job_id == job.id]) == 1  # drafted once


def test_server_errors_back_off_and_fail_once_attempts_are_used_up(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("14"))
    store = Store(sqlite_store.url_redacted, max_attempts=2)  # same file, two attempts
    job = record(store, fake, ticket_id)
    ctx = context(store, fake, assistant, job_max_attempts=2)
    fake.fail_next(5, status=503, on="fetch_ticket")

    first = run_job(ctx, job.id, worker="test")
    second = run_job(ctx, job.id, worker="test")
    third = run_job(ctx, job.id, worker="test")

    assert first.retry_in is not None and 1.5 <= first.retry_in <= 2.5  # 2 s ± jitter
    failed = store.get_job(job.id)
    assert second.status is JobStatus.FAILED and second.retry_in is None
    assert failed is not None and failed.status is JobStatus.FAILED
    assert "503" in (failed.error or "") and failed.attempts == 2
    assert third.ran is False and fake.calls["fetch_ticket"] == 2 and fake.notes(ticket_id) == []
    store.close()


def test_a_refused_request_fails_without_retrying(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    job = record(sqlite_store, fake, fake.create_ticket(sample("14")))
    fake.fail_next(1, status=403, on="fetch_ticket")

    outcome = run_job(context(sqlite_store, fake, assistant), job.id, worker="test")

    assert outcome.status is JobStatus.FAILED and outcome.retry_in is None


def test_a_note_whose_answer_was_lost_is_posted_once_with_the_same_draft(
    store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    ticket_id = fake.create_ticket(sample("12"))
    job = record(store, fake, ticket_id)
    ctx = context(store, fake, assistant)
    fake.fail_next(1, status=502, on="post_note", after=True)  # posted, but the answer is lost

    first = run_job(ctx, job.id, worker="test")
    assert first.retry_in is not None and len(fake.notes(ticket_id)) == 1
    drafted = store.draft_for_job(job.id)
    second = process_job(ctx, job.id, worker="test")

    assert second is not None and second.status is JobStatus.DONE
    assert drafted is not None and second.draft_id == drafted.draft.id
    assert len(fake.notes(ticket_id)) == 1 and fake.calls["post_note"] == 2
    assert len([row for row in store.draft_rows() if row.job_id == job.id]) == 1


def test_a_job_for_an_unconfigured_helpdesk_fails_saying_so(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    other = FakeHelpdesk(SECRET, name="elsewhere")
    job = record(sqlite_store, other, other.create_ticket(sample("01")))

    done = process_job(context(sqlite_store, fake, assistant), job.id, worker="test")

    assert done is not None and done.status is JobStatus.FAILED and "'elsewhere'" in (done.error or "")


def test_an_unexpected_error_is_retried_then_recorded(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    class Broken:
        def draft(self, ticket: Ticket) -> Any:
            raise RuntimeError("composer bug")

    job = record(sqlite_store, fake, fake.create_ticket(sample("14")))
    ctx = ServiceContext(
        ServiceSettings(helpdesks=[], job_max_attempts=5),
        sqlite_store,
        {"fake": fake},
        Broken(),  # type: ignore[arg-type]
    )

    outcome = run_job(ctx, job.id, worker="test")

    pending = sqlite_store.get_job(job.id)
    assert outcome.retry_in is not None and outcome.status is JobStatus.PENDING
    assert pending is not None and pending.error == "RuntimeError: composer bug"


# --- the in-process queue --------------------------------------------------------------------


def test_a_restart_runs_every_pending_and_abandoned_job_once(
    sqlite_url: str, fake: FakeHelpdesk, assistant: ReplyAssistant, running: list[InProcessQueue]
) -> None:
    first_store = Store(sqlite_url)
    first_store.migrate()
    tickets = questions(fake, 16)
    jobs = [record(first_store, fake, t) for t in tickets]
    # Two jobs were running in a process that died: their leases run out shortly.
    for job in jobs[:2]:
        assert first_store.claim_job(job.id, worker="dead", lease_seconds=0.3) is not None
    fake.latency = 0.05
    first = InProcessQueue(context(first_store, fake, assistant, job_lease_seconds=0.3), workers=2)
    running.append(first)
    first.start()
    for job in jobs:
        first.enqueue(job.id)
    wait_for(lambda: sum(len(fake.notes(t)) for t in tickets) >= 3)
    first.stop(timeout=10)
    left = [
        j for j in jobs if (r := first_store.get_job(j.id)) is not None and r.status is not JobStatus.DONE
    ]
    assert left, "the first queue should have stopped with jobs left"
    first_store.close()

    second_store = Store(sqlite_url)  # a new process: nothing in memory, only the database
    second = InProcessQueue(context(second_store, fake, assistant, job_lease_seconds=0.3), workers=4)
    running.append(second)
    second.start()
    wait_for(lambda: all(second_store.get_job(j.id).status is JobStatus.DONE for j in jobs))  # type: ignore[union-attr]

    assert [len(fake.notes(t)) for t in tickets] == [1] * len(tickets)
    assert {r.job_id for r in second_store.draft_rows()} == {j.id for j in jobs}
    assert len(second_store.draft_rows()) == len(jobs)
    second_store.close()


def test_a_stopped_queue_refuses_jobs_and_says_it_is_not_ready(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    queue = InProcessQueue(context(sqlite_store, fake, assistant), workers=1)
    with pytest.raises(QueueUnavailable):
        queue.ping()
    queue.start()
    queue.ping()
    queue.stop()
    with pytest.raises(QueueUnavailable):
        queue.ping()
    job = record(sqlite_store, fake, fake.create_ticket(sample("01")))
    with pytest.raises(QueueUnavailable):
        queue.enqueue(job.id)
    assert [j.id for j in sqlite_store.runnable_jobs()] == [job.id]  # still safe in the store

    queue.start()  # started again (as an app's lifespan does): the sweep finds the job
    try:
        wait_for(lambda: sqlite_store.get_job(job.id).status is JobStatus.DONE)  # type: ignore[union-attr]
    finally:
        queue.stop()
    assert len(fake.notes(job.ticket_id)) == 1


def test_drafting_holds_no_database_connection_while_the_model_thinks(
    pg_url: str, fake: FakeHelpdesk
) -> None:
    # One connection for four concurrent jobs whose model takes a second: a job that held its
    # connection while drafting would starve the others past the pool's 0.3 s wait.
    store = Store(pg_url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    store.migrate()
    model = FakeChatModel(default=model_reply("Hi Ana, your order ships today."), delay=1.0)
    tickets = questions(fake, 4)
    jobs = [record(store, fake, t) for t in tickets]
    ctx = context(store, fake, ReplyAssistant(KB, llm=model))
    threads = [
        threading.Thread(target=process_job, args=(ctx, j.id), kwargs={"worker": f"w{i}"})
        for i, j in enumerate(jobs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [store.get_job(j.id).status for j in jobs] == [JobStatus.DONE] * 4  # type: ignore[union-attr]
    assert len(model.calls) == 4
    store.close()


def test_the_sweeper_sends_pending_and_abandoned_jobs_but_not_those_waiting_to_retry(
    sqlite_store: Store, fake: FakeHelpdesk
) -> None:
    pending, abandoned, waiting, finished = (record(sqlite_store, fake, t) for t in questions(fake, 4))
    sqlite_store.claim_job(abandoned.id, worker="dead", lease_seconds=0)
    sqlite_store.claim_job(waiting.id, worker="w", lease_seconds=30)
    sqlite_store.release_job(waiting.id, error="RateLimited", retry_in=60)
    sqlite_store.complete_job(finished.id, JobStatus.SKIPPED)
    sent: list[str] = []
    time.sleep(0.01)

    sweeper = Sweeper(sqlite_store, sent.append, interval=60, stale_after=0)
    assert sweeper.sweep() == 2
    assert sorted(sent) == sorted([pending.id, abandoned.id])

    patient = Sweeper(sqlite_store, sent.append, interval=60, stale_after=30)
    assert patient.sweep() == 1 and sent[-1] == abandoned.id  # pending for 30 s? not yet
    assert patient.sweep() == 0  # and not sent twice within stale_after


def test_the_sweeper_leaves_a_backlog_alone_but_resends_what_the_broker_lost(
    sqlite_store: Store, fake: FakeHelpdesk
) -> None:
    pending, abandoned = (record(sqlite_store, fake, t) for t in questions(fake, 2))
    sqlite_store.claim_job(abandoned.id, worker="dead", lease_seconds=0)
    time.sleep(0.01)
    in_broker = [1]
    sent: list[str] = []
    sweeper = Sweeper(sqlite_store, sent.append, interval=60, stale_after=0, queued=lambda: in_broker[0])

    assert sweeper.sweep() == 1 and sent == [abandoned.id]  # the pending job's message is still queued
    in_broker[0] = 0  # the broker restarted
    sweeper.sweep()
    assert pending.id in sent[1:]


def test_make_queue_follows_the_queue_url(
    sqlite_store: Store, fake: FakeHelpdesk, assistant: ReplyAssistant
) -> None:
    from replyassist.service.celery_app import CeleryQueue

    in_process = make_queue(context(sqlite_store, fake, assistant))
    redis_url = os.environ.get("REPLYASSIST_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    celery = make_queue(context(sqlite_store, fake, assistant, queue_url=redis_url))

    assert isinstance(in_process, InProcessQueue) and in_process.workers == 8
    assert isinstance(celery, CeleryQueue)
    celery.ping()  # the shared Redis answers
    celery.stop()


# --- the context -----------------------------------------------------------------------------


@pytest.fixture
def fake_plugin() -> Iterator[None]:
    register_helpdesk("fake", FakeHelpdesk.from_settings)
    yield
    helpdesk._registered.pop("fake", None)


@pytest.mark.usefixtures("fake_plugin")
def test_the_context_is_built_from_settings(tmp_path: Path) -> None:
    settings = ServiceSettings.load(
        {
            "REPLYASSIST_DATA_DIR": str(tmp_path),
            "REPLYASSIST_HELPDESKS": "fake",
            "FAKE_HELPDESK_SECRET": "from-the-environment",
        }
    )

    ctx = ServiceContext.from_settings(settings)

    assert isinstance(ctx.adapters["fake"], FakeHelpdesk)
    assert ctx.store.runnable_jobs() == []  # migrated: the tables are there
    assert len(ctx.assistant.kb.articles) == len(list(KB.glob("*.md")))
    ctx.close()


@pytest.mark.usefixtures("fake_plugin")
def test_every_helpdesk_that_cannot_be_set_up_is_named(tmp_path: Path) -> None:
    settings = ServiceSettings.load(
        {"REPLYASSIST_DATA_DIR": str(tmp_path), "REPLYASSIST_HELPDESKS": "fake,nosuch"}
    )

    with pytest.raises(ConfigurationError) as caught:
        ServiceContext.from_settings(settings)

    assert "FAKE_HELPDESK_SECRET" in str(caught.value) and "'nosuch'" in str(caught.value)


def test_the_worker_command_says_it_needs_a_queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from replyassist.cli import app

    monkeypatch.setenv("REPLYASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REPLYASSIST_HELPDESKS", "")
    monkeypatch.delenv("REPLYASSIST_QUEUE_URL", raising=False)

    result = CliRunner().invoke(app, ["worker", "--concurrency", "4"])

    assert result.exit_code == 1 and "REPLYASSIST_QUEUE_URL" in result.output
