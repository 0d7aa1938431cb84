"""The initial schema: webhook jobs, drafts, feedback and API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("helpdesk", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("ticket_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("available_at", _TS, nullable=True),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("lease_until", _TS, nullable=True),
        sa.Column("worker", sa.String(255), nullable=True),
        sa.Column("draft_id", sa.String(64), nullable=True),
        sa.Column("note_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("occurred_at", _TS, nullable=True),
        sa.Column("data", sa.JSON, nullable=True),
        sa.UniqueConstraint("helpdesk", "event_id", name="uq_webhook_jobs_event"),
    )
    op.create_index("ix_webhook_jobs_status", "webhook_jobs", ["status"])
    op.create_index("ix_webhook_jobs_ticket", "webhook_jobs", ["helpdesk", "ticket_id"])

    op.create_table(
        "drafts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("helpdesk", sa.String(64), nullable=True),
        sa.Column("ticket_id", sa.String(255), nullable=True),
        sa.Column("job_id", sa.String(32), nullable=True),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("composer", sa.String(64), nullable=False),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("received_at", _TS, nullable=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_drafts_ticket", "drafts", ["helpdesk", "ticket_id", "created_at"])
    op.create_index("ix_drafts_job", "drafts", ["job_id"])
    op.create_index("ix_drafts_created", "drafts", ["created_at"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "draft_id",
            sa.String(64),
            sa.ForeignKey("drafts.id", ondelete="CASCADE", name="fk_feedback_draft"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("final_text", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("agent_id", sa.String(255), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("edit_distance", sa.Integer, nullable=True),
        sa.Column("edit_ratio", sa.Float, nullable=True),
    )
    op.create_index("ix_feedback_draft", "feedback", ["draft_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS, nullable=True),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
    )
    op.create_index(
        "uq_api_tokens_active_name",
        "api_tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_table("feedback")
    op.drop_table("drafts")
    op.drop_table("webhook_jobs")
