"""The store on SQLite and on the real PostgreSQL: dedupe, claiming, leases, drafts, feedback, tokens."""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from _processes import TcpProxy
from hypothesis import given, settings
from hypothesis import strategies as st

from replyassist import ConfigurationError, Draft, Feedback, FeedbackKind
from replyassist._errors import (
    DraftNotFound,
    InvalidInputError,
    InvalidWebhookError,
    StoreError,
    StoreUnavailable,
)
from replyassist.helpdesk import EventKind, WebhookEvent
from replyassist.models import Channel, Decision, DraftWarning
from replyassist.service._edits import MAX_EDIT_CHARS, edit_distance, edit_ratio
from replyassist.service._store_schema import metadata
from replyassist.service.store import JobStatus, Store

# --- helpers --------------------------------------------------------------------------------


class Clock:
    """A settable UTC clock, so lease expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_store(db_url: str, clock: Clock) -> Iterator[Store]:
    """A migrated store on each backend whose time is ``clock``."""
    store = Store(db_url, clock=clock, max_attempts=3)
    store.migrate()
    yield store
    store.close()


def event(
    event_id: str = "ev-1", ticket_id: str = "101", kind: EventKind = EventKind.TICKET_CREATED
) -> WebhookEvent:
    return WebhookEvent(helpdesk="fake", event_id=event_id, ticket_id=ticket_id, kind=kind)


def a_draft(text: str = "Hi Dana, your parcel left our warehouse today.", **fields: Any) -> Draft:
    values: dict[str, Any] = {"decision": Decision.REPLY, "text": text, "channel": Channel.EMAIL, **fields}
    return Draft(**values)


def race(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released at the same moment; their results (or errors)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def count_rows(store: Store, table: str) -> int:
    engine = sa.create_engine(store.engine.url)  # a separate engine: read what is really stored
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def read_table(store: Store, table: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(store.engine.url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


# --- migrations -----------------------------------------------------------------------------


def test_migrate_is_idempotent_and_matches_the_tables_the_code_uses(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    store = Store(db_url)
    assert store.schema_revision() is None
    store.migrate()
    store.migrate()
    assert store.schema_revision() == Store.head_revision() == "0001"
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert diff == []


def _migrate_in_child(url: str, ready: Any, go: Any) -> None:
    ready.set()
    go.wait()
    Store(url).migrate()


def test_two_processes_migrating_at_once_both_succeed(db_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, go = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_migrate_in_child, args=(db_url, ready, go))
    child.start()
    assert ready.wait(timeout=60), "the child process did not start"
    store = Store(db_url)
    go.set()
    store.migrate()  # while the child migrates too
    child.join(timeout=60)
    assert child.exitcode == 0
    assert store.schema_revision() == "0001"
    store.record_event(event())  # the schema is usable
    store.close()


def test_an_unmigrated_database_says_how_to_fix_it(db_url: str) -> None:
    store = Store(db_url)
    with pytest.raises(StoreError, match="replyassist db upgrade"):
        store.get_job("nope")
    store.close()


# --- connectivity ---------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_postgresql_is_store_unavailable_without_the_password() -> None:
    password = "s3cr3t-Pa55word"
    store = Store(f"postgresql://replyassist:{password}@127.0.0.1:{closed_port()}/replyassist")
    for call in (store.ping, lambda: store.record_event(event()), store.migrate):
        with pytest.raises(StoreUnavailable) as info:
            call()
        assert password not in str(info.value)
        assert "127.0.0.1" in str(info.value)
    assert password not in repr(store)
    assert password not in store.url_redacted
    store.close()


def test_a_postgresql_that_goes_away_is_unavailable_then_used_again(pg_url: str) -> None:
    Store(pg_url).migrate()
    proxy = TcpProxy(5432)
    store = Store(pg_url.replace(":5432/", f":{proxy.port}/"))
    try:
        job, _ = store.record_event(event("before"))
        proxy.cut()  # pooled connections die, new ones are refused
        for call in (store.ping, lambda: store.record_event(event("during")), lambda: store.get_job(job.id)):
            with pytest.raises(StoreUnavailable):
                call()
        proxy.restore()
        assert store.get_job(job.id) == job  # the pool reconnects by itself
        assert store.record_event(event("after"))[1] is True
    finally:
        store.close()
        proxy.close()


def test_an_unreadable_sqlite_file_is_store_unavailable(tmp_path: Any) -> None:
    folder = tmp_path / "db-is-a-folder.db"
    folder.mkdir()
    store = Store(f"sqlite:///{folder}")
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        store.ping()


def test_unsupported_database_urls_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="unsupported database"):
        Store("mysql://user:pw@localhost/db")


# --- webhook events and jobs ----------------------------------------------------------------


def test_a_duplicate_delivery_returns_the_same_job(store: Store) -> None:
    first, created = store.record_event(event())
    again, created_again = store.record_event(event())
    other_desk, created_other = store.record_event(
        WebhookEvent(helpdesk="other", event_id="ev-1", ticket_id="101", kind=EventKind.TICKET_CREATED)
    )
    assert (created, created_again, created_other) == (True, False, True)
    assert again == first
    assert other_desk.id != first.id
    assert first.status is JobStatus.PENDING and first.attempts == 0
    assert store.get_job(first.id) == first
    assert store.get_job("missing") is None


def test_events_that_need_no_draft_are_stored_skipped(store: Store) -> None:
    job, _ = store.record_event(event("ev-u", kind=EventKind.TICKET_UPDATED))
    assert job.status is JobStatus.SKIPPED and job.finished_at is not None
    assert store.record_event(event("ev-u", kind=EventKind.TICKET_UPDATED))[1] is False
    assert store.claim_job(job.id, worker="w", lease_seconds=60) is None


def test_long_event_ids_are_kept_as_their_hash_and_still_dedupe(store: Store) -> None:
    long_id = "x" * 1000
    job, _ = store.record_event(event(long_id))
    assert job.event_id == "sha256:" + hashlib.sha256(long_id.encode()).hexdigest()
    assert store.record_event(event(long_id)) == (job, False)
    with pytest.raises(InvalidWebhookError):
        store.record_event(event("ev", ticket_id=""))


def test_racing_deliveries_of_one_event_make_one_job(store: Store) -> None:
    results = race(8, lambda _: store.record_event(event("ev-race")))
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert len({job.id for job, _ in results}) == 1
    assert count_rows(store, "webhook_jobs") == 1


def test_exactly_one_of_racing_workers_claims_a_job(store: Store) -> None:
    job, _ = store.record_event(event())
    results = race(8, lambda i: store.claim_job(job.id, worker=f"w{i}", lease_seconds=60))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    claimed = winners[0]
    assert claimed.status is JobStatus.RUNNING and claimed.attempts == 1 and claimed.lease_until is not None
    assert store.get_job(job.id) == claimed


def test_an_expired_lease_lets_another_worker_claim_the_job(timed_store: Store, clock: Clock) -> None:
    job, _ = timed_store.record_event(event())
    first = timed_store.claim_job(job.id, worker="dies", lease_seconds=30)
    assert first is not None
    clock.advance(10)
    assert timed_store.claim_job(job.id, worker="other", lease_seconds=30) is None
    assert timed_store.runnable_jobs() == []
    clock.advance(25)
    assert [j.id for j in timed_store.runnable_jobs()] == [job.id]
    second = timed_store.claim_job(job.id, worker="other", lease_seconds=30)
    assert second is not None and second.attempts == 2 and second.worker == "other"


def test_a_job_out_of_attempts_fails_instead_of_running_again(timed_store: Store, clock: Clock) -> None:
    job, _ = timed_store.record_event(event())
    for _ in range(3):  # the store allows 3 attempts
        assert timed_store.claim_job(job.id, worker="w", lease_seconds=5) is not None
        clock.advance(6)
    assert timed_store.claim_job(job.id, worker="w", lease_seconds=5) is None
    failed = timed_store.get_job(job.id)
    assert (
        failed is not None
        and failed.status is JobStatus.FAILED
        and failed.error == "gave up after 3 attempts"
    )


def test_release_makes_a_job_runnable_again_after_the_delay(timed_store: Store, clock: Clock) -> None:
    job, _ = timed_store.record_event(event())
    timed_store.claim_job(job.id, worker="w", lease_seconds=60)
    timed_store.release_job(job.id, error="helpdesk answered 429", retry_in=20)
    released = timed_store.get_job(job.id)
    assert (
        released is not None
        and released.status is JobStatus.PENDING
        and released.error == "helpdesk answered 429"
    )
    assert timed_store.runnable_jobs() == []
    clock.advance(21)
    assert [j.id for j in timed_store.runnable_jobs()] == [job.id]
    assert timed_store.runnable_jobs(stale_after=60) == []  # touched 21 s ago: not stale yet


def test_a_late_worker_cannot_release_a_job_another_worker_holds(timed_store: Store, clock: Clock) -> None:
    job, _ = timed_store.record_event(event())
    timed_store.claim_job(job.id, worker="slow", lease_seconds=10)
    clock.advance(11)
    timed_store.claim_job(job.id, worker="fresh", lease_seconds=10)
    timed_store.release_job(job.id, error="slow gave up", worker="slow")
    held = timed_store.get_job(job.id)
    assert held is not None and (held.status, held.worker, held.error) == (JobStatus.RUNNING, "fresh", None)
    timed_store.release_job(job.id, error="fresh gave up", worker="fresh")
    assert timed_store.get_job(job.id).status is JobStatus.PENDING  # type: ignore[union-attr]


def test_release_of_the_last_attempt_fails_the_job(timed_store: Store, clock: Clock) -> None:
    job, _ = timed_store.record_event(event())
    for _ in range(3):
        timed_store.claim_job(job.id, worker="w", lease_seconds=60)
        timed_store.release_job(job.id, error="503 from the helpdesk")
    final = timed_store.get_job(job.id)
    assert final is not None and final.status is JobStatus.FAILED and final.error == "503 from the helpdesk"


def test_complete_records_the_outcome(store: Store) -> None:
    job, _ = store.record_event(event())
    store.claim_job(job.id, worker="w", lease_seconds=60)
    store.complete_job(job.id, JobStatus.DONE, draft_id="d1", note_id="n1")
    done = store.get_job(job.id)
    assert done is not None
    assert (done.status, done.draft_id, done.note_id, done.lease_until) == (JobStatus.DONE, "d1", "n1", None)
    assert store.claim_job(job.id, worker="w", lease_seconds=60) is None
    with pytest.raises(ConfigurationError):
        store.complete_job(job.id, JobStatus.PENDING)


# --- drafts and feedback --------------------------------------------------------------------


def test_a_draft_round_trips_and_is_found_by_job_and_ticket(store: Store) -> None:
    received = datetime.now(UTC) - timedelta(seconds=3)
    draft = a_draft(ticket_id="101", warnings=[DraftWarning(code="model_fallback", message="model down")])
    store.save_draft(draft, helpdesk="fake", job_id="job-1", received_at=received)
    store.save_draft(draft, helpdesk="fake", job_id="job-1")  # saving again changes nothing
    record = store.get_draft(draft.id)
    assert record.draft == draft
    assert (record.helpdesk, record.ticket_id, record.job_id, record.received_at) == (
        "fake",
        "101",
        "job-1",
        received,
    )
    assert store.draft_for_job("job-1") == record
    newer = a_draft("Shorter.", ticket_id="101", created_at=draft.created_at + timedelta(seconds=1))
    store.save_draft(newer, helpdesk="fake", parent_id=draft.id)
    latest = store.latest_draft("fake", "101")
    assert latest is not None and latest.draft.id == newer.id and latest.parent_id == draft.id
    assert store.latest_draft("fake", "999") is None
    assert store.draft_for_job("job-2") is None
    with pytest.raises(DraftNotFound):
        store.get_draft("missing")


def test_feedback_round_trip_measures_the_edit(store: Store) -> None:
    draft = a_draft("kitten")
    store.save_draft(draft)
    accepted = store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.ACCEPTED, agent_id="a1"))
    edited = store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.EDITED, final_text="sitting"))
    rejected = store.add_feedback(
        Feedback(draft_id=draft.id, kind=FeedbackKind.REJECTED, reason="wrong order")
    )
    assert (accepted.edit_distance, accepted.edit_ratio) == (0, 0.0)
    assert edited.edit_distance == 3 and edited.edit_ratio == pytest.approx(3 / 7)
    assert rejected.edit_distance is None and rejected.reason == "wrong order"
    assert store.feedback_for(draft.id) == [accepted, edited, rejected]
    assert store.feedback_for("missing") == []


def test_feedback_is_checked(store: Store) -> None:
    with pytest.raises(DraftNotFound):
        store.add_feedback(Feedback(draft_id="missing", kind=FeedbackKind.ACCEPTED))
    draft = a_draft()
    store.save_draft(draft)
    with pytest.raises(InvalidInputError, match="final text"):
        store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.EDITED))
    with pytest.raises(InvalidInputError, match="reason"):
        store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.REJECTED))
    assert store.feedback_for(draft.id) == []


def test_stats_and_draft_rows_count_what_was_stored(store: Store) -> None:
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    fallback = [DraftWarning(code="model_fallback", message="model down")]
    plain, chat, skipped = (
        a_draft("a", created_at=base),
        a_draft("b", channel=Channel.CHAT, created_at=base + timedelta(days=1), warnings=fallback),
        Draft(decision=Decision.SKIP, created_at=base + timedelta(days=2)),
    )
    store.save_draft(plain, helpdesk="fake", received_at=base - timedelta(seconds=4))
    store.save_draft(chat, helpdesk="fake")
    store.save_draft(skipped)
    store.add_feedback(Feedback(draft_id=plain.id, kind=FeedbackKind.REJECTED, reason="no"))
    store.add_feedback(Feedback(draft_id=plain.id, kind=FeedbackKind.EDITED, final_text="ab"))
    store.record_event(event())

    stats = store.stats()
    assert sum(stats.drafts.values()) == 3
    assert stats.drafts[("fake", "chat", "reply", "offline", True)] == 1
    assert stats.drafts[("", "unknown", "skip", "offline", False)] == 1
    assert stats.feedback == {FeedbackKind.REJECTED: 1, FeedbackKind.EDITED: 1}
    assert stats.jobs == {JobStatus.PENDING: 1}

    rows = store.draft_rows()
    assert [r.draft_id for r in rows] == [plain.id, chat.id, skipped.id]
    assert rows[0].feedback_kind is FeedbackKind.EDITED and rows[0].edit_distance == 1  # the latest feedback
    assert rows[0].seconds_to_draft == pytest.approx(4)
    assert rows[1].fallback and rows[1].seconds_to_draft is None
    window = store.draft_rows(since=base + timedelta(hours=1), until=base + timedelta(days=2))
    assert [r.draft_id for r in window] == [chat.id]


# --- tokens ---------------------------------------------------------------------------------


def test_tokens_are_stored_only_as_hashes(store: Store) -> None:
    record, plaintext = store.create_token("zendesk sidebar")
    assert re.fullmatch(r"ra_[A-Za-z0-9_-]{43}", plaintext)
    assert plaintext.startswith(record.prefix)
    rows = read_table(store, "api_tokens")
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert plaintext not in stored and plaintext[len(record.prefix) :] not in stored
    assert rows[0]["token_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert store.verify_token(plaintext) == store.list_tokens()[0] != record  # last_used_at was set
    assert store.verify_token(plaintext + "x") is None
    assert store.verify_token("not a token") is None
    assert not any(plaintext in repr(t) for t in store.list_tokens())


def test_a_revoked_token_no_longer_verifies(store: Store) -> None:
    first, first_plain = store.create_token("ci")
    second, second_plain = store.create_token("sidebar")
    with pytest.raises(ConfigurationError, match="active token named 'ci'"):
        store.create_token("ci")
    revoked = store.revoke_token("ci")
    assert revoked.id == first.id and revoked.revoked_at is not None and not revoked.active
    assert store.verify_token(first_plain) is None
    assert store.verify_token(second_plain) is not None
    assert store.revoke_token(second.id).name == "sidebar"
    assert store.verify_token(second_plain) is None
    assert store.revoke_token("ci") == revoked  # again: unchanged
    _, renewed_plain = store.create_token("ci")  # a revoked name can be reused
    assert store.verify_token(renewed_plain) is not None
    assert [t.name for t in store.list_tokens()] == ["ci", "sidebar", "ci"]
    with pytest.raises(ConfigurationError, match="no API token"):
        store.revoke_token("nobody")


# --- edit distance --------------------------------------------------------------------------


def reference_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcé日😀 ", max_size=25), st.text(alphabet="abcé日😀 ", max_size=25))
def test_edit_distance_is_levenshtein_on_characters(a: str, b: str) -> None:
    assert edit_distance(a, b) == reference_distance(a, b) == edit_distance(b, a)
    ratio = edit_ratio(a, b)
    assert 0.0 <= ratio <= 1.0
    assert (ratio == 0.0) == (a == b)


def test_edit_distance_of_very_long_texts_is_bounded_and_never_under_reports() -> None:
    a = "a" * (MAX_EDIT_CHARS + 500)
    b = "b" * (MAX_EDIT_CHARS + 200)
    assert edit_distance(a, b) == len(a)  # exact here: every character differs
    assert edit_distance("x" + a, "y" + a) == 1  # the shared suffix is trimmed before the cap
    assert edit_ratio("", "") == 0.0
