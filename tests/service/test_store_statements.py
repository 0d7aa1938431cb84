"""The store's job path runs statements built once, and reads rows by position: both exactly.

``Store`` builds its per-job statements once and runs them with parameters; the values that
change per call must really be parameters (not baked in by the first call), and the statement
``complete_job`` picks must write only the columns it was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from replyassist import Draft
from replyassist.helpdesk import EventKind, WebhookEvent
from replyassist.models import Channel, Decision
from replyassist.service._store_records import JobRecord
from replyassist.service._store_schema import webhook_jobs
from replyassist.service.store import JobStatus, Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_store(db_url: str, clock: Clock) -> Iterator[Store]:
    store = Store(db_url, clock=clock, max_attempts=3)
    store.migrate()
    yield store
    store.close()


def new_job(store: Store, n: int) -> str:
    event = WebhookEvent(helpdesk="fake", event_id=f"ev-{n}", ticket_id=str(n), kind=EventKind.TICKET_CREATED)
    return store.record_event(event)[0].id


def run_job(store: Store, job_id: str) -> None:
    """What a worker asks of the store for one job."""
    assert store.claim_job(job_id, worker="w", lease_seconds=60) is not None
    draft = Draft(
        decision=Decision.REPLY, text="Your parcel left today.", channel=Channel.EMAIL, ticket_id="1"
    )
    store.save_draft(draft, helpdesk="fake", job_id=job_id)
    store.complete_job(job_id, JobStatus.DONE, draft_id=draft.id, note_id="n1")
    assert store.get_job(job_id) is not None
    assert store.draft_for_job(job_id) is not None


def stored_job(store: Store, job_id: str) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(webhook_jobs).where(webhook_jobs.c.id == job_id)).one()
    return dict(row._mapping)


def test_a_second_job_runs_the_statements_the_first_one_built(store: Store) -> None:
    first, second = new_job(store, 1), new_job(store, 2)
    seen: list[Any] = []

    def remember(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append(context.invoked_statement)

    sa.event.listen(store.engine, "before_cursor_execute", remember)
    try:
        run_job(store, first)
        built = list(seen)
        seen.clear()
        run_job(store, second)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", remember)
    assert len(seen) == len(built) == 5
    assert all(any(stmt is known for known in built) for stmt in seen), "a statement was built again"


def test_claim_values_are_parameters_of_each_call(timed_store: Store, clock: Clock) -> None:
    a, b = new_job(timed_store, 1), new_job(timed_store, 2)
    first = timed_store.claim_job(a, worker="one", lease_seconds=30)
    clock.now += timedelta(seconds=5)
    second = timed_store.claim_job(b, worker="two", lease_seconds=90)
    assert first is not None and second is not None
    assert (first.worker, first.started_at, first.lease_until) == (
        "one",
        datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 12, 0, 30, tzinfo=UTC),
    )
    assert (second.worker, second.started_at, second.lease_until) == (
        "two",
        datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC),
        datetime(2026, 11, 25, 12, 1, 35, tzinfo=UTC),
    )


def test_a_per_call_attempt_limit_is_used_for_that_call_only(timed_store: Store, clock: Clock) -> None:
    a, b = new_job(timed_store, 1), new_job(timed_store, 2)
    for job_id in (a, b):
        assert timed_store.claim_job(job_id, worker="w", lease_seconds=5) is not None
    clock.now += timedelta(seconds=6)
    assert timed_store.claim_job(a, worker="w", lease_seconds=5, max_attempts=1) is None
    assert timed_store.claim_job(b, worker="w", lease_seconds=5) is not None  # the store allows 3
    failed, running = timed_store.get_job(a), timed_store.get_job(b)
    assert failed is not None and running is not None
    assert (failed.status, failed.error, failed.finished_at) == (
        JobStatus.FAILED,
        "gave up after 1 attempts",
        clock.now,
    )
    assert (running.status, running.attempts, running.error) == (JobStatus.RUNNING, 2, None)


def test_complete_writes_only_the_columns_it_is_given(store: Store) -> None:
    a, b = new_job(store, 1), new_job(store, 2)
    store.complete_job(a, JobStatus.DONE, draft_id="d1")
    store.complete_job(b, JobStatus.FAILED, error="boom")  # another set of columns, another statement
    store.complete_job(a, JobStatus.FAILED, error="later")
    store.complete_job(a, JobStatus.DONE, note_id="n1")
    store.complete_job(b, JobStatus.SKIPPED)
    job_a, job_b = store.get_job(a), store.get_job(b)
    assert job_a is not None and job_b is not None
    assert (job_a.status, job_a.draft_id, job_a.note_id, job_a.error) == (JobStatus.DONE, "d1", "n1", "later")
    assert (job_b.status, job_b.draft_id, job_b.note_id, job_b.error) == (
        JobStatus.SKIPPED,
        None,
        None,
        "boom",
    )


# The order job_from_row unpacks a row in: a new column goes to the end of the table and of this.
JOB_COLUMNS = (
    "id",
    "helpdesk",
    "event_id",
    "ticket_id",
    "kind",
    "status",
    "attempts",
    "received_at",
    "updated_at",
    "available_at",
    "started_at",
    "finished_at",
    "lease_until",
    "worker",
    "draft_id",
    "note_id",
    "error",
    "occurred_at",
    "data",
)


def assert_as_stored(store: Store, record: JobRecord | None) -> None:
    assert record is not None
    stored = stored_job(store, record.id)
    for name, value in record.__dict__.items():
        assert getattr(value, "value", value) == stored[name], name


def test_a_job_record_has_each_column_in_its_own_field(timed_store: Store, clock: Clock) -> None:
    """Rows are read by position: every field must come from the column of its name."""
    assert tuple(webhook_jobs.c.keys()) == JOB_COLUMNS
    job_id = new_job(timed_store, 1)
    clock.now += timedelta(seconds=1)
    claimed = timed_store.claim_job(job_id, worker="w", lease_seconds=5)  # started_at, lease_until, worker
    assert_as_stored(timed_store, claimed)
    clock.now += timedelta(seconds=6)
    timed_store.release_job(job_id, error="429", retry_in=7)  # available_at, error
    assert_as_stored(timed_store, timed_store.get_job(job_id))
    clock.now += timedelta(seconds=8)
    assert_as_stored(timed_store, timed_store.claim_job(job_id, worker="w2", lease_seconds=9))
    clock.now += timedelta(seconds=1)
    timed_store.complete_job(job_id, JobStatus.DONE, draft_id="d1", note_id="n1")  # finished_at
    done = timed_store.get_job(job_id)
    assert_as_stored(timed_store, done)
    assert claimed is not None and done is not None
    assert len({done.received_at, done.started_at, done.finished_at, claimed.lease_until}) == 4
