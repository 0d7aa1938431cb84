"""The store's tables, as SQLAlchemy Core objects the queries are written against.

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
    text,
)

__all__ = ["UTCDateTime", "api_tokens", "drafts", "feedback", "metadata", "webhook_jobs"]


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
