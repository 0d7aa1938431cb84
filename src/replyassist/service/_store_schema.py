"""The store's tables, as SQLAlchemy Core objects the queries are written against, and the
statements the job path runs, built once (:class:`Statements`).

The schema itself is created by the Alembic migrations in ``migrations/versions``; these
objects must describe the same tables (``tests/service/test_store.py`` checks that a migrated
database matches them). Table names are fixed: the report and the metrics read them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Update,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from replyassist.service._store_records import JobStatus

__all__ = ["Statements", "UTCDateTime", "api_tokens", "drafts", "feedback", "metadata", "webhook_jobs"]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive
    UTC (a fixed-width string that sorts and compares correctly) and come back aware again.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

webhook_jobs = Table(
    "webhook_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("helpdesk", String(64), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("ticket_id", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("received_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("available_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("worker", String(255), nullable=True),
    Column("draft_id", String(64), nullable=True),
    Column("note_id", String(255), nullable=True),
    Column("error", Text, nullable=True),
    Column("occurred_at", UTCDateTime, nullable=True),
    Column("data", JSON, nullable=True),
    # The deduplication key: a webhook delivered twice is one row (and so one job).
    UniqueConstraint("helpdesk", "event_id", name="uq_webhook_jobs_event"),
    Index("ix_webhook_jobs_status", "status"),
    Index("ix_webhook_jobs_ticket", "helpdesk", "ticket_id"),
)

drafts = Table(
    "drafts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("helpdesk", String(64), nullable=True),
    Column("ticket_id", String(255), nullable=True),
    Column("job_id", String(32), nullable=True),
    Column("parent_id", String(64), nullable=True),
    Column("channel", String(32), nullable=False),
    Column("language", String(16), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("composer", String(64), nullable=False),
    Column("fallback", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    Column("body", Text, nullable=False),  # the whole Draft as JSON
    Index("ix_drafts_ticket", "helpdesk", "ticket_id", "created_at"),
    Index("ix_drafts_job", "job_id"),
    Index("ix_drafts_created", "created_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "draft_id",
        String(64),
        ForeignKey("drafts.id", ondelete="CASCADE", name="fk_feedback_draft"),
        nullable=False,
    ),
    Column("kind", String(16), nullable=False),
    Column("final_text", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("agent_id", String(255), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edit_distance", Integer, nullable=True),
    Column("edit_ratio", Float, nullable=True),
    Index("ix_feedback_draft", "draft_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
    # A name may be reused once the token that had it is revoked.
    Index(
        "uq_api_tokens_active_name",
        "name",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)


class Statements:
    """The statements a job runs, built once per store and run with a dict of parameters.

    Building ``sa.update(…).where(…).values(…)`` afresh on every call costs more CPU
    (coercions, bind parameters, a new cache key) than SQLite or PostgreSQL take to run it;
    a statement built once keeps its compiled form in the engine's cache and its cache key
    memoized. The values that change per call are ``bindparam``s named ``p_…`` (names equal
    to a column's are reserved by SQLAlchemy in ``UPDATE … SET``), each typed like its column
    so that datetimes pass through :class:`UTCDateTime`.
    """

    def __init__(self, dialect: str) -> None:
        """Build the statements for ``dialect`` (``"postgresql"`` or ``"sqlite"``: the upsert differs)."""
        jobs = webhook_jobs.c
        now = bindparam("p_now", type_=UTCDateTime())
        job_id = bindparam("p_id", type_=String())
        cap = bindparam("p_cap", type_=Integer())
        insert = pg_dialect.insert if dialect == "postgresql" else sqlite_dialect.insert

        # A job is runnable when pending, or running with an expired lease (its worker died).
        runnable = (jobs.status == JobStatus.PENDING.value) | (
            (jobs.status == JobStatus.RUNNING.value) & (jobs.lease_until < now)
        )
        self.record_event = (
            insert(webhook_jobs)
            .on_conflict_do_nothing(index_elements=["helpdesk", "event_id"])
            .returning(*webhook_jobs.c)
        )
        """Params: every column of a new job; returns the row, or nothing for a duplicate."""
        self.job_by_event = select(webhook_jobs).where(
            jobs.helpdesk == bindparam("p_helpdesk", type_=String()),
            jobs.event_id == bindparam("p_event_id", type_=String()),
        )
        self.get_job = select(webhook_jobs).where(jobs.id == job_id)
        self.claim_job = (
            update(webhook_jobs)
            .where(jobs.id == job_id, runnable, jobs.attempts < cap)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=jobs.attempts + 1,
                started_at=now,
                updated_at=now,
                lease_until=bindparam("p_lease_until", type_=UTCDateTime()),
                worker=bindparam("p_worker", type_=String()),
                available_at=None,
            )
            .returning(*webhook_jobs.c)
        )
        """Params: p_id, p_now, p_cap, p_lease_until, p_worker; returns the claimed row."""
        self.give_up_job = (
            update(webhook_jobs)
            .where(jobs.id == job_id, runnable, jobs.attempts >= cap)
            .values(
                status=JobStatus.FAILED.value,
                finished_at=now,
                updated_at=now,
                lease_until=None,
                error=func.coalesce(jobs.error, bindparam("p_error", type_=Text())),
            )
        )
        """Params: p_id, p_now, p_cap, p_error (kept only if the job has no error yet)."""
        exhausted = jobs.attempts >= cap
        release = update(webhook_jobs).values(
            status=case((exhausted, JobStatus.FAILED.value), else_=JobStatus.PENDING.value),
            finished_at=case((exhausted, now), else_=None),
            available_at=bindparam("p_available_at", type_=UTCDateTime()),
            lease_until=None,
            worker=None,
            updated_at=now,
            error=bindparam("p_error", type_=Text()),
        )
        running = (jobs.id == job_id, jobs.status == JobStatus.RUNNING.value)
        self.release_job = release.where(*running)
        """Params: p_id, p_now, p_cap, p_available_at, p_error."""
        self.release_own_job = release.where(*running, jobs.worker == bindparam("p_worker", type_=String()))
        """As ``release_job``, only while ``p_worker`` still holds the job."""
        self._complete_job: dict[frozenset[str], Update] = {}

        self.save_draft = insert(drafts).on_conflict_do_nothing(index_elements=["id"])
        """Params: every column of the draft; a draft id saved before is left as it was."""
        self.draft_for_job = (
            select(drafts)
            .where(drafts.c.job_id == bindparam("p_job_id", type_=String()))
            .order_by(drafts.c.created_at)
            .limit(1)
        )
        self.get_draft = select(drafts).where(drafts.c.id == bindparam("p_id", type_=String()))
        self.latest_draft = (
            select(drafts)
            .where(
                drafts.c.helpdesk == bindparam("p_helpdesk", type_=String()),
                drafts.c.ticket_id == bindparam("p_ticket_id", type_=String()),
            )
            .order_by(drafts.c.created_at.desc())
            .limit(1)
        )
        self.token_by_hash = select(api_tokens).where(
            api_tokens.c.token_hash == bindparam("p_hash", type_=String())
        )
        self.touch_token = (
            update(api_tokens)
            .where(api_tokens.c.id == bindparam("p_id", type_=String()))
            .values(last_used_at=now)
        )

    def complete_job(self, columns: frozenset[str]) -> Update:
        """Finish a job: status ``p_status`` at ``p_now``, and each of ``columns`` (some of
        ``draft_id``, ``note_id``, ``error``) set to its ``p_<column>``; the others are left alone.

        One statement per set of columns, built on first use (at most eight); threads racing
        to build one each store an equal statement, which is harmless.
        """
        statement = self._complete_job.get(columns)
        if statement is None:
            extra = {
                name: bindparam(f"p_{name}", type_=webhook_jobs.c[name].type) for name in sorted(columns)
            }
            now = bindparam("p_now", type_=UTCDateTime())
            statement = (
                update(webhook_jobs)
                .where(webhook_jobs.c.id == bindparam("p_id", type_=String()))
                .values(
                    status=bindparam("p_status", type_=String()),
                    finished_at=now,
                    updated_at=now,
                    lease_until=None,
                    available_at=None,
                    **extra,
                )
            )
            self._complete_job[columns] = statement
        return statement
