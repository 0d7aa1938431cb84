"""The records the store returns: frozen dataclasses, and how they are read from rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, cast

from sqlalchemy.engine import Row

from replyassist.helpdesk import EventKind
from replyassist.models import Draft, FeedbackKind

__all__ = [
    "DraftKey",
    "DraftRecord",
    "DraftRow",
    "FeedbackRecord",
    "JobRecord",
    "JobStatus",
    "StoreStats",
    "TokenRecord",
    "draft_record_from_row",
    "draft_row_from_row",
    "feedback_from_row",
    "job_from_row",
    "token_from_row",
]


class JobStatus(StrEnum):
    """Where a webhook job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class JobRecord:
    """One webhook event and the job that drafts for it."""

    id: str
    helpdesk: str
    event_id: str
    ticket_id: str
    kind: EventKind
    status: JobStatus
    attempts: int
    received_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    lease_until: datetime | None
    draft_id: str | None
    note_id: str | None
    error: str | None
    available_at: datetime | None = None
    """Not before this time (set by ``release_job(retry_in=…)``); the sweeper honours it."""
    worker: str | None = None


@dataclass(frozen=True)
class DraftRecord:
    """A stored draft and where it came from."""

    draft: Draft
    helpdesk: str | None
    ticket_id: str | None
    job_id: str | None
    parent_id: str | None
    received_at: datetime | None
    """When the webhook arrived: ``draft.created_at - received_at`` is the time to draft."""


@dataclass(frozen=True)
class FeedbackRecord:
    """What an agent did with a draft, with the size of their edit."""

    id: str
    draft_id: str
    kind: FeedbackKind
    final_text: str | None
    reason: str | None
    agent_id: str | None
    created_at: datetime
    edit_distance: int | None
    """Characters changed (Levenshtein) from the draft to the text sent; 0 when accepted as is."""
    edit_ratio: float | None
    """``edit_distance / max(len(draft), len(final))``, from 0 (untouched) to 1 (rewritten)."""


@dataclass(frozen=True)
class TokenRecord:
    """An API token, without its secret (only a short prefix to recognise it)."""

    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class DraftKey(NamedTuple):
    """The labels drafts are counted by in :meth:`Store.stats`."""

    helpdesk: str
    """``""`` for drafts asked for without a helpdesk (``POST /v1/drafts`` with a bare ticket)."""
    channel: str
    decision: str
    composer: str
    fallback: bool


@dataclass(frozen=True)
class StoreStats:
    """Counts for metrics: drafts by labels, feedback by kind, jobs by status."""

    drafts: dict[DraftKey, int]
    feedback: dict[FeedbackKind, int]
    jobs: dict[JobStatus, int]


@dataclass(frozen=True)
class DraftRow:
    """One draft with its latest feedback, flat, for reports."""

    draft_id: str
    helpdesk: str | None
    ticket_id: str | None
    job_id: str | None
    parent_id: str | None
    channel: str
    language: str
    decision: str
    composer: str
    fallback: bool
    created_at: datetime
    received_at: datetime | None
    feedback_kind: FeedbackKind | None
    feedback_at: datetime | None
    edit_distance: int | None
    edit_ratio: float | None

    @property
    def seconds_to_draft(self) -> float | None:
        """From the webhook's arrival to the draft, when the draft answered a webhook."""
        if self.received_at is None:
            return None
        return max(0.0, (self.created_at - self.received_at).total_seconds())


_KINDS = {kind.value: kind for kind in EventKind}
_STATUSES = {status.value: status for status in JobStatus}


def job_from_row(row: Row[Any]) -> JobRecord:
    """The job in a row with all the columns of ``webhook_jobs``, in table order.

    ``select(webhook_jobs)`` and ``returning(*webhook_jobs.c)`` give that order. The row is
    unpacked by position: reading 16 columns by name costs more (about 1 µs each) than the
    rest of building the record, twice per job. A row with another number of columns raises.
    """
    (
        id_,
        helpdesk,
        event_id,
        ticket_id,
        kind,
        status,
        attempts,
        received_at,
        _updated_at,
        available_at,
        started_at,
        finished_at,
        lease_until,
        worker,
        draft_id,
        note_id,
        error,
        _occurred_at,
        _data,
    ) = cast("tuple[Any, ...]", row)
    return JobRecord(
        id=id_,
        helpdesk=helpdesk,
        event_id=event_id,
        ticket_id=ticket_id,
        # The enums' own lookup raises ValueError for a value they do not know.
        kind=_KINDS.get(kind) or EventKind(kind),
        status=_STATUSES.get(status) or JobStatus(status),
        attempts=attempts,
        received_at=received_at,
        started_at=started_at,
        finished_at=finished_at,
        lease_until=lease_until,
        draft_id=draft_id,
        note_id=note_id,
        error=error,
        available_at=available_at,
        worker=worker,
    )


def draft_record_from_row(row: Row[Any]) -> DraftRecord:
    return DraftRecord(
        draft=Draft.model_validate_json(row.body),
        helpdesk=row.helpdesk,
        ticket_id=row.ticket_id,
        job_id=row.job_id,
        parent_id=row.parent_id,
        received_at=row.received_at,
    )


def feedback_from_row(row: Row[Any]) -> FeedbackRecord:
    return FeedbackRecord(
        id=row.id,
        draft_id=row.draft_id,
        kind=FeedbackKind(row.kind),
        final_text=row.final_text,
        reason=row.reason,
        agent_id=row.agent_id,
        created_at=row.created_at,
        edit_distance=row.edit_distance,
        edit_ratio=row.edit_ratio,
    )


def token_from_row(row: Row[Any]) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def draft_row_from_row(row: Row[Any], latest: FeedbackRecord | None) -> DraftRow:
    return DraftRow(
        draft_id=row.id,
        helpdesk=row.helpdesk,
        ticket_id=row.ticket_id,
        job_id=row.job_id,
        parent_id=row.parent_id,
        channel=row.channel,
        language=row.language,
        decision=row.decision,
        composer=row.composer,
        fallback=bool(row.fallback),
        created_at=row.created_at,
        received_at=row.received_at,
        feedback_kind=latest.kind if latest else None,
        feedback_at=latest.created_at if latest else None,
        edit_distance=latest.edit_distance if latest else None,
        edit_ratio=latest.edit_ratio if latest else None,
    )
