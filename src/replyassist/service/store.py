"""The service's database: webhook jobs, drafts, agent feedback and API tokens.

One :class:`Store` wraps a SQLAlchemy engine on a SQLite file (the embedded default) or on
PostgreSQL (``postgresql+psycopg``). Every method is a short transaction, safe to call from
many threads and processes at once:

- a webhook delivered twice is one job: ``(helpdesk, event_id)`` is a unique key and the
  insert is ``ON CONFLICT DO NOTHING``, so racing deliveries cannot both create one;
- claiming a job is one conditional ``UPDATE … RETURNING``, so exactly one worker wins it;
  a worker that dies leaves a lease that expires, and the job can be claimed again;
- API tokens are stored as SHA-256 hashes only; the plaintext is returned once.

Any failure to reach the database is raised as :class:`~replyassist.StoreUnavailable`
(retryable) with the URL's password removed from the message.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replyassist._errors import (
    ConfigurationError,
    DraftNotFound,
    InvalidInputError,
    InvalidWebhookError,
    MissingDependencyError,
    StoreError,
    StoreUnavailable,
)
from replyassist.helpdesk import EventKind, WebhookEvent
from replyassist.models import Draft, Feedback, FeedbackKind
from replyassist.service._edits import edit_distance, edit_ratio
from replyassist.service.config import normalize_database_url, redact_url

try:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError("sqlalchemy", "server", "The replyassist service store") from exc

from replyassist.service._store_engine import create_store_engine, password_of
from replyassist.service._store_records import (
    DraftKey,
    DraftRecord,
    DraftRow,
    FeedbackRecord,
    JobRecord,
    JobStatus,
    StoreStats,
    TokenRecord,
    draft_record_from_row,
    draft_row_from_row,
    feedback_from_row,
    job_from_row,
    token_from_row,
)
from replyassist.service._store_schema import Statements, api_tokens, drafts, webhook_jobs
from replyassist.service._store_schema import feedback as feedback_table

if TYPE_CHECKING:
    from replyassist.service.config import ServiceSettings

__all__ = [
    "MIGRATIONS_DIR",
    "DraftKey",
    "DraftRecord",
    "DraftRow",
    "FeedbackRecord",
    "JobRecord",
    "JobStatus",
    "Store",
    "StoreStats",
    "TokenRecord",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""The Alembic scripts, shipped inside the package so that an installed wheel can migrate."""

_MIGRATION_LOCK_KEY = 0x5265706C79  # "Reply": the PostgreSQL advisory lock migrations take
_TOKEN_PREFIX = "ra_"
_TOKEN_TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is written at most once a minute per token
_MAX_EVENT_ID = 255
_FALLBACK_WARNING = "model_fallback"


_DRAFTABLE = {EventKind.TICKET_CREATED, EventKind.COMMENT_ADDED}
_FINAL = {JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED}


class Store:
    """The service's database (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        max_attempts: int = 5,
        clock: Callable[[], datetime] | None = None,
        **engine_kwargs: Any,
    ) -> None:
        """Open (lazily: nothing connects until the first call) the database at ``url``.

        Args:
            url: ``sqlite:///path.db`` or ``postgresql://…`` (``postgresql+psycopg://`` is used).
            max_attempts: how many times a job may be claimed before it is failed.
            clock: the current UTC time; for tests and simulations.
            engine_kwargs: passed to :func:`sqlalchemy.create_engine` (e.g. ``pool_size``).
        """
        self.url_redacted = redact_url(normalize_database_url(url))
        self.max_attempts = max_attempts
        self._clock = clock or (lambda: datetime.now(UTC))
        self._engine = create_store_engine(normalize_database_url(url), engine_kwargs)
        self.dialect: str = self._engine.dialect.name
        # Built once: webhook intake and jobs are the hot path, and a fresh statement per call
        # costs more Python (construction, cache key) than the database takes to run it.
        self._sql = Statements(self.dialect)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Store:
        """The store the settings name, with their job attempt limit."""
        return cls(settings.database_url.get_secret_value(), max_attempts=settings.job_max_attempts)

    def __repr__(self) -> str:
        return f"Store({self.url_redacted!r})"

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, for reading the tables directly (their names are fixed)."""
        return self._engine

    # --- lifecycle -------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the latest version (``alembic upgrade head``).

        Idempotent, and safe when several processes start at once: PostgreSQL migrates under
        an advisory lock, SQLite inside an exclusive transaction, so the second process waits
        and then finds nothing left to do.
        """
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._translate(), self._engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
                return
            # pysqlite only opens transactions before DML; take the lock ourselves, before any DDL.
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
            try:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    def schema_revision(self) -> str | None:
        """The schema version the database is at (``None``: never migrated)."""
        from alembic.runtime.migration import MigrationContext

        with self._translate(), self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    @staticmethod
    def head_revision() -> str | None:
        """The latest schema version this replyassist knows."""
        from alembic.config import Config
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        return ScriptDirectory.from_config(config).get_current_head()

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        with self._translate(), self._engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # --- webhook events and jobs -----------------------------------------------------------

    def record_event(
        self, event: WebhookEvent, *, received_at: datetime | None = None
    ) -> tuple[JobRecord, bool]:
        """Record a webhook event as a job; ``(job, created)``.

        A duplicate delivery (same helpdesk and event id) returns the existing job and
        ``False``, however many deliveries race. Events that are not drafted for
        (``ticket_updated``, ``other``) are stored as ``SKIPPED`` so that they dedupe too.
        Event ids longer than 255 characters are kept as their SHA-256.
        """
        if not event.ticket_id or len(event.ticket_id) > 255:
            raise InvalidWebhookError("the webhook's ticket id is empty or longer than 255 characters")
        if not event.helpdesk or len(event.helpdesk) > 64:
            raise InvalidWebhookError("the helpdesk name is empty or longer than 64 characters")
        event_id = event.event_id
        if len(event_id) > _MAX_EVENT_ID:
            event_id = "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()
        now = self._clock()
        skipped = event.kind not in _DRAFTABLE
        values = {
            "id": uuid.uuid4().hex,
            "helpdesk": event.helpdesk,
            "event_id": event_id,
            "ticket_id": event.ticket_id,
            "kind": event.kind.value,
            "status": (JobStatus.SKIPPED if skipped else JobStatus.PENDING).value,
            "attempts": 0,
            "received_at": received_at or now,
            "updated_at": now,
            "finished_at": now if skipped else None,
            "occurred_at": event.occurred_at,
            "data": _jsonable(event.data),
        }
        with self._translate(), self._engine.begin() as conn:
            # One statement for a new event (the common case): the insert returns the stored row.
            row = conn.execute(self._sql.record_event, values).first()
            created = row is not None
            if row is None:
                key = {"p_helpdesk": event.helpdesk, "p_event_id": event_id}
                row = conn.execute(self._sql.job_by_event, key).one()
        return job_from_row(row), created

    def get_job(self, job_id: str) -> JobRecord | None:
        with self._translate(), self._engine.connect() as conn:
            row = conn.execute(self._sql.get_job, {"p_id": job_id}).first()
        return None if row is None else job_from_row(row)

    def claim_job(
        self, job_id: str, *, worker: str, lease_seconds: float, max_attempts: int | None = None
    ) -> JobRecord | None:
        """Take the job for ``worker`` for ``lease_seconds``; ``None`` if it is not runnable.

        Runnable means ``PENDING``, or ``RUNNING`` with an expired lease (its worker died).
        Exactly one of many concurrent callers gets the job. A runnable job that has used all
        its attempts (``max_attempts``, default the store's) is marked ``FAILED`` instead.
        ``available_at`` is not checked here: whoever enqueued the job chose when to run it.
        """
        now = self._clock()
        cap = max_attempts or self.max_attempts
        params = {"p_id": job_id, "p_now": now, "p_cap": cap}
        claim = {**params, "p_lease_until": now + timedelta(seconds=lease_seconds), "p_worker": worker}
        with self._translate(), self._engine.begin() as conn:
            row = conn.execute(self._sql.claim_job, claim).first()
            if row is None:
                give_up = {**params, "p_error": f"gave up after {cap} attempts"}
                conn.execute(self._sql.give_up_job, give_up)
        return None if row is None else job_from_row(row)

    def release_job(self, job_id: str, *, error: str, retry_in: float = 0, worker: str | None = None) -> None:
        """Give a running job back to be retried after ``retry_in`` seconds.

        A job that has used all its attempts is marked ``FAILED`` with ``error`` instead.
        Nothing happens to a job that is not running (it finished meanwhile), nor, when
        ``worker`` is given, to one that another worker claimed after this one's lease ran out.
        """
        now = self._clock()
        params = {
            "p_id": job_id,
            "p_now": now,
            "p_cap": self.max_attempts,
            "p_available_at": now + timedelta(seconds=retry_in) if retry_in > 0 else None,
            "p_error": _clip(error),
        }
        release = self._sql.release_job
        if worker is not None:
            release, params["p_worker"] = self._sql.release_own_job, worker
        with self._translate(), self._engine.begin() as conn:
            conn.execute(release, params)

    def complete_job(
        self,
        job_id: str,
        status: JobStatus,
        *,
        draft_id: str | None = None,
        note_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Finish a job as ``DONE``, ``SKIPPED`` or ``FAILED``."""
        if status not in _FINAL:
            raise ConfigurationError(
                f"complete_job needs a final status (done, skipped, failed), not {status}"
            )
        optional = {
            "draft_id": draft_id,
            "note_id": note_id,
            "error": None if error is None else _clip(error),
        }
        given = {name: value for name, value in optional.items() if value is not None}
        params: dict[str, Any] = {f"p_{name}": value for name, value in given.items()}
        params.update(p_id=job_id, p_status=status.value, p_now=self._clock())
        # Only the columns given are written: the statement depends on which they are.
        with self._translate(), self._engine.begin() as conn:
            conn.execute(self._sql.complete_job(frozenset(given)), params)

    def runnable_jobs(self, *, limit: int = 100, stale_after: float = 0) -> list[JobRecord]:
        """Jobs to (re)enqueue: ``PENDING`` ones untouched for ``stale_after`` seconds and due,
        and ``RUNNING`` ones whose lease expired. Oldest first."""
        now = self._clock()
        jobs = webhook_jobs.c
        due_pending = (
            (jobs.status == JobStatus.PENDING.value)
            & (jobs.updated_at <= now - timedelta(seconds=stale_after))
            & (jobs.available_at.is_(None) | (jobs.available_at <= now))
        )
        expired = (jobs.status == JobStatus.RUNNING.value) & (jobs.lease_until < now)
        query = sa.select(webhook_jobs).where(due_pending | expired).order_by(jobs.received_at).limit(limit)
        with self._translate(), self._engine.connect() as conn:
            return [job_from_row(row) for row in conn.execute(query)]

    # --- drafts ----------------------------------------------------------------------------

    def save_draft(
        self,
        draft: Draft,
        *,
        helpdesk: str | None = None,
        ticket_id: str | None = None,
        job_id: str | None = None,
        parent_id: str | None = None,
        received_at: datetime | None = None,
    ) -> None:
        """Store a draft (once: saving the same draft id again changes nothing).

        ``ticket_id`` defaults to ``draft.ticket_id``; ``received_at`` is when the webhook
        that asked for it arrived.
        """
        values = {
            "id": draft.id,
            "helpdesk": helpdesk,
            "ticket_id": ticket_id if ticket_id is not None else draft.ticket_id,
            "job_id": job_id,
            "parent_id": parent_id,
            "channel": draft.channel.value,
            "language": draft.language[:16],
            "decision": draft.decision.value,
            "composer": draft.composer[:64],
            "fallback": any(w.code == _FALLBACK_WARNING for w in draft.warnings),
            "created_at": draft.created_at,
            "received_at": received_at,
            "body": draft.model_dump_json(),
        }
        with self._translate(), self._engine.begin() as conn:
            conn.execute(self._sql.save_draft, values)

    def draft_for_job(self, job_id: str) -> DraftRecord | None:
        """The first draft made for a job, so that a re-run job posts the same draft."""
        return self._one_draft(self._sql.draft_for_job, {"p_job_id": job_id})

    def get_draft(self, draft_id: str) -> DraftRecord:
        record = self._one_draft(self._sql.get_draft, {"p_id": draft_id})
        if record is None:
            raise DraftNotFound(f"no draft with id {draft_id!r}")
        return record

    def latest_draft(self, helpdesk: str, ticket_id: str) -> DraftRecord | None:
        """The newest draft for a ticket (rephrased ones included), or ``None``."""
        return self._one_draft(self._sql.latest_draft, {"p_helpdesk": helpdesk, "p_ticket_id": ticket_id})

    # --- feedback --------------------------------------------------------------------------

    def add_feedback(self, feedback: Feedback) -> FeedbackRecord:
        """Store what an agent did with a draft, measuring the edit.

        ``edited`` needs ``final_text`` and ``rejected`` needs a ``reason``
        (:class:`~replyassist.InvalidInputError` otherwise); an unknown draft raises
        :class:`~replyassist.DraftNotFound`. The edit distance is 0 for an accepted draft
        sent as it was and ``None`` for a rejected one.
        """
        fb = feedback
        if fb.kind is FeedbackKind.EDITED and fb.final_text is None:
            raise InvalidInputError("edited feedback needs the final text the agent sent")
        if fb.kind is FeedbackKind.REJECTED and not (fb.reason or "").strip():
            raise InvalidInputError("rejected feedback needs a reason")
        draft_text = self.get_draft(fb.draft_id).draft.text
        distance: int | None = None
        ratio: float | None = None
        if fb.kind is not FeedbackKind.REJECTED:
            final = fb.final_text if fb.final_text is not None else draft_text
            distance, ratio = edit_distance(draft_text, final), edit_ratio(draft_text, final)
        record = FeedbackRecord(
            id=uuid.uuid4().hex,
            draft_id=fb.draft_id,
            kind=fb.kind,
            final_text=fb.final_text,
            reason=fb.reason,
            agent_id=fb.agent_id[:255] if fb.agent_id else None,
            created_at=_utc(fb.created_at),
            edit_distance=distance,
            edit_ratio=ratio,
        )
        values = {**record.__dict__, "kind": fb.kind.value}
        try:
            with self._translate(), self._engine.begin() as conn:
                conn.execute(sa.insert(feedback_table).values(**values))
        except StoreError as exc:  # the draft was deleted in between (foreign key)
            if isinstance(exc.__cause__, sa_exc.IntegrityError):
                raise DraftNotFound(f"no draft with id {fb.draft_id!r}") from None
            raise
        return record

    def feedback_for(self, draft_id: str) -> list[FeedbackRecord]:
        query = (
            sa.select(feedback_table)
            .where(feedback_table.c.draft_id == draft_id)
            .order_by(feedback_table.c.created_at)
        )
        with self._translate(), self._engine.connect() as conn:
            return [feedback_from_row(row) for row in conn.execute(query)]

    # --- API tokens ------------------------------------------------------------------------

    def create_token(self, name: str) -> tuple[TokenRecord, str]:
        """A new token named ``name``: its record and the plaintext, which is not kept."""
        name = name.strip()
        if not name or len(name) > 255:
            raise ConfigurationError("a token name must have 1 to 255 characters")
        plaintext = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            id=uuid.uuid4().hex,
            name=name,
            prefix=plaintext[:10],
            created_at=self._clock(),
            last_used_at=None,
            revoked_at=None,
        )
        try:
            with self._translate(), self._engine.begin() as conn:
                conn.execute(sa.insert(api_tokens).values(**record.__dict__, token_hash=_hash(plaintext)))
        except StoreError as exc:
            if isinstance(exc.__cause__, sa_exc.IntegrityError):
                raise ConfigurationError(
                    f"an active token named {name!r} exists; revoke it or choose another name"
                ) from None
            raise
        return record, plaintext

    def list_tokens(self) -> list[TokenRecord]:
        query = sa.select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.name)
        with self._translate(), self._engine.connect() as conn:
            return [token_from_row(row) for row in conn.execute(query)]

    def revoke_token(self, id_or_name: str) -> TokenRecord:
        """Revoke the token with this id, or the active token with this name.

        Revoking a revoked token returns it unchanged; no match is a ``ConfigurationError``.
        """
        tokens = api_tokens.c
        active_named = (tokens.name == id_or_name) & tokens.revoked_at.is_(None)
        with self._translate(), self._engine.begin() as conn:
            updated = conn.execute(
                sa.update(api_tokens)
                .where((tokens.id == id_or_name) | active_named, tokens.revoked_at.is_(None))
                .values(revoked_at=self._clock())
                .returning(*api_tokens.c)
            ).first()
            if updated is not None:
                return token_from_row(updated)
            earlier = conn.execute(
                sa.select(api_tokens)
                .where((tokens.id == id_or_name) | (tokens.name == id_or_name))
                .order_by(tokens.revoked_at.desc())
                .limit(1)
            ).first()
        if earlier is None:
            raise ConfigurationError(f"no API token has the id or name {id_or_name!r}")
        return token_from_row(earlier)

    def verify_token(self, plaintext: str) -> TokenRecord | None:
        """The active token whose plaintext this is, or ``None`` (unknown or revoked)."""
        if not plaintext.startswith(_TOKEN_PREFIX) or len(plaintext) > 128:
            return None
        with self._translate(), self._engine.connect() as conn:
            row = conn.execute(self._sql.token_by_hash, {"p_hash": _hash(plaintext)}).first()
        if row is None or row.revoked_at is not None:
            return None
        record = token_from_row(row)
        now = self._clock()
        if record.last_used_at is None or now - record.last_used_at >= _TOKEN_TOUCH_EVERY:
            with self._translate(), self._engine.begin() as conn:
                conn.execute(self._sql.touch_token, {"p_id": record.id, "p_now": now})
            record = TokenRecord(**{**record.__dict__, "last_used_at": now})
        return record

    # --- aggregates ------------------------------------------------------------------------

    def stats(self) -> StoreStats:
        """Counts of drafts (by helpdesk, channel, decision, composer, fallback), feedback, jobs."""
        d = drafts.c
        labels = (d.helpdesk, d.channel, d.decision, d.composer, d.fallback)
        with self._translate(), self._engine.connect() as conn:
            draft_counts = conn.execute(sa.select(*labels, sa.func.count()).group_by(*labels)).all()
            feedback_counts = conn.execute(
                sa.select(feedback_table.c.kind, sa.func.count()).group_by(feedback_table.c.kind)
            ).all()
            job_counts = conn.execute(
                sa.select(webhook_jobs.c.status, sa.func.count()).group_by(webhook_jobs.c.status)
            ).all()
        return StoreStats(
            drafts={
                DraftKey(helpdesk or "", channel, decision, composer, bool(fallback)): count
                for helpdesk, channel, decision, composer, fallback, count in draft_counts
            },
            feedback={FeedbackKind(kind): count for kind, count in feedback_counts},
            jobs={JobStatus(status): count for status, count in job_counts},
        )

    def draft_rows(self, *, since: datetime | None = None, until: datetime | None = None) -> list[DraftRow]:
        """Drafts created in ``[since, until)`` with their latest feedback, oldest first."""
        d = drafts.c
        columns = [c for c in drafts.c if c.name != "body"]
        query = sa.select(*columns).order_by(d.created_at, d.id)
        if since is not None:
            query = query.where(d.created_at >= since)
        if until is not None:
            query = query.where(d.created_at < until)
        ids = query.with_only_columns(d.id).subquery()
        feedback_query = (
            sa.select(feedback_table)
            .where(feedback_table.c.draft_id.in_(sa.select(ids.c.id)))
            .order_by(feedback_table.c.created_at)
        )
        with self._translate(), self._engine.connect() as conn:
            rows = conn.execute(query).all()
            latest = {row.draft_id: feedback_from_row(row) for row in conn.execute(feedback_query)}
        return [draft_row_from_row(row, latest.get(row.id)) for row in rows]

    # --- internals -------------------------------------------------------------------------

    def _one_draft(self, query: sa.Select[Any], params: Mapping[str, Any]) -> DraftRecord | None:
        with self._translate(), self._engine.connect() as conn:
            row = conn.execute(query, params).first()
        return None if row is None else draft_record_from_row(row)

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn SQLAlchemy errors into the store's errors, once, here."""
        try:
            yield
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:
            reason = self._reason(exc)
            if "no such table" in reason:
                raise StoreError(_NOT_MIGRATED.format(url=self.url_redacted)) from exc
            raise StoreUnavailable(f"the database {self.url_redacted} cannot be reached: {reason}") from exc
        except sa_exc.ProgrammingError as exc:
            if "does not exist" in self._reason(exc):
                raise StoreError(_NOT_MIGRATED.format(url=self.url_redacted)) from exc
            raise StoreError(
                f"the database {self.url_redacted} refused a query: {self._reason(exc)}"
            ) from exc
        except sa_exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(f"the database {self.url_redacted} dropped the connection") from exc
            raise StoreError(f"the database {self.url_redacted} failed: {self._reason(exc)}") from exc
        except sa_exc.SQLAlchemyError as exc:
            raise StoreError(f"the database {self.url_redacted} failed: {self._reason(exc)}") from exc

    def _reason(self, exc: Exception) -> str:
        """The driver's first line, never the password (drivers may echo the connection string)."""
        orig = getattr(exc, "orig", None) or exc
        lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
        reason = lines[0] if lines else type(orig).__name__
        password = password_of(self._engine)
        return reason.replace(password, "***") if password else reason


_NOT_MIGRATED = "the database {url} has no replyassist tables yet: run `replyassist db upgrade`"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _hash(plaintext: str) -> str:
    # A token has 256 random bits, so a fast hash is enough: nobody can brute-force it.
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _clip(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any] | None:
    return json.loads(json.dumps(dict(data), default=str)) if data else None
