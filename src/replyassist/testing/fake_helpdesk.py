"""An in-memory helpdesk that behaves like a real one, for tests, demos and benchmarks.

:class:`FakeHelpdesk` is a complete :class:`~replyassist.helpdesk.HelpdeskAdapter` (it passes
:class:`~replyassist.testing.HelpdeskConformance`) plus a control surface that plays the helpdesk's
side: create tickets and messages, read back the notes and tags the service wrote, add KB
articles, and produce correctly signed webhook requests. Failures are injected with
:meth:`FakeHelpdesk.fail_next` and slowness with ``latency``, so retry and back-off paths can be
tested without a network.

Webhooks are signed like Zendesk's: ``X-Fake-Signature`` is
``base64(hmac_sha256(secret, timestamp + body))`` and ``X-Fake-Timestamp`` the epoch seconds.

Example:
    >>> fake = FakeHelpdesk(secret="s3cret")
    >>> ticket_id = fake.create_ticket("Where is my parcel?", channel="email", customer="Ana")
    >>> fake.verify_webhook(fake.webhook(ticket_id))
    >>> fake.fetch_ticket(ticket_id).customer.first_name
    'Ana'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from replyassist._errors import (
    ConfigurationError,
    HelpdeskError,
    InvalidWebhookError,
    RateLimited,
    TicketNotFound,
    WebhookAuthError,
)
from replyassist._resources import samples_dir
from replyassist.helpdesk import EventKind, NoteRef, WebhookEvent, WebhookRequest, find_note_key, note_text
from replyassist.models import Article, Channel, Customer, Draft, Message, Role, Ticket

__all__ = ["FakeHelpdesk"]

SIGNATURE_HEADER = "X-Fake-Signature"
TIMESTAMP_HEADER = "X-Fake-Timestamp"


@dataclass
class _StoredTicket:
    id: str
    subject: str | None
    raw_channel: str
    requester: Customer
    messages: list[Message]
    tags: list[str]
    note_ids: dict[int, str] = field(default_factory=dict)
    """Thread position → note id, for the notes posted through the adapter."""


@dataclass
class _Failure:
    status: int
    retry_after: float | None
    on: str | None
    after: bool


class FakeHelpdesk:
    """An in-memory helpdesk adapter named ``name``; safe to share between threads.

    Args:
        secret: the webhook signing secret.
        name: the adapter's name in URLs and the store.
        latency: seconds every API call (not webhook checks) sleeps, to imitate a remote helpdesk.
        replay_window: how old (or how far in the future) a webhook timestamp may be, in seconds.
        agent_name: the author name notes are posted under.
    """

    def __init__(
        self,
        secret: str | SecretStr = "fake-webhook-secret",
        *,
        name: str = "fake",
        latency: float = 0.0,
        replay_window: float = 300.0,
        agent_name: str = "replyassist",
    ) -> None:
        self.name = name
        self.latency = latency
        self.replay_window = replay_window
        self.agent_name = agent_name
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._lock = threading.RLock()
        self._tickets: dict[str, _StoredTicket] = {}
        self._articles: dict[str, Article] = {}
        self._failures: list[_Failure] = []
        self._next_id = 1
        self.calls: Counter[str] = Counter()
        """API calls made through the adapter, by method name (failed ones included)."""

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> FakeHelpdesk:
        """The helpdesk factory: ``FAKE_HELPDESK_SECRET`` (required) and ``FAKE_HELPDESK_NAME``."""
        secret = settings.get("FAKE_HELPDESK_SECRET")
        if not secret:
            raise ConfigurationError(
                "the fake helpdesk needs FAKE_HELPDESK_SECRET (its webhook signing secret)"
            )
        return cls(secret, name=settings.get("FAKE_HELPDESK_NAME") or "fake")

    def __repr__(self) -> str:
        with self._lock:
            return f"FakeHelpdesk(name={self.name!r}, tickets={len(self._tickets)}, articles={len(self._articles)})"

    # --- the HelpdeskAdapter side -------------------------------------------------------------

    def fetch_ticket(self, ticket_id: str) -> Ticket:
        """The ticket with its whole thread, as a real adapter maps it from the wire."""
        with self._call("fetch_ticket"):
            stored = self._get(ticket_id)
            metadata: dict[str, Any] = {}
            channel = Channel.parse(stored.raw_channel)
            if channel is None:
                channel = Channel.UNKNOWN
                metadata["channel_raw"] = stored.raw_channel
            return Ticket(
                id=stored.id,
                subject=stored.subject,
                channel=channel,
                customer=stored.requester.model_copy(),
                messages=[m.model_copy() for m in stored.messages],
                tags=list(stored.tags),
                metadata=metadata,
            )

    def post_note(
        self, ticket_id: str, draft: Draft, *, public: bool = False, key: str | None = None
    ) -> NoteRef:
        """Append the draft's note to the thread, unless a note with ``key`` is already there."""
        with self._call("post_note"):
            stored = self._get(ticket_id)
            if key is not None:
                for position, message in enumerate(stored.messages):
                    if find_note_key(message.text) == key:
                        note_id = stored.note_ids.get(position, f"{ticket_id}-{position}")
                        return NoteRef(id=note_id, created=False, public=message.public)
            text = note_text(draft, key=key)
            note_id = f"{ticket_id}-{len(stored.messages)}"
            stored.note_ids[len(stored.messages)] = note_id
            stored.messages.append(self._message(stored, Role.AGENT, text, public, self.agent_name))
            return NoteRef(id=note_id, created=True, public=public)

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Add the tags the ticket does not have yet, keeping its own."""
        with self._call("add_tags"):
            stored = self._get(ticket_id)
            stored.tags.extend(t for t in dict.fromkeys(tags) if t not in stored.tags)

    def list_articles(self, *, since: datetime | None = None) -> Iterator[Article]:
        """The articles updated after ``since`` (all of them without it), oldest first."""
        with self._call("list_articles"):
            articles = sorted(self._articles.values(), key=_updated)
        return iter([a.model_copy() for a in articles if since is None or _updated(a) > _aware(since)])

    def verify_webhook(self, request: WebhookRequest) -> None:
        """Check the HMAC signature (constant time) and that the timestamp is within the window."""
        signature = request.header(SIGNATURE_HEADER)
        timestamp = request.header(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            missing = [h for h, v in ((SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp)) if not v]
            raise WebhookAuthError(f"webhook is missing the {' and '.join(missing)} header")
        try:
            signed_at = float(timestamp)
        except ValueError:
            raise WebhookAuthError(f"webhook {TIMESTAMP_HEADER} is not a number") from None
        if abs(request.received_at - signed_at) > self.replay_window:
            raise WebhookAuthError(
                f"webhook timestamp is outside the {self.replay_window:g} s replay window (stale or replayed)"
            )
        expected = self._signature(timestamp, request.body, self._secret.get_secret_value())
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise WebhookAuthError("webhook signature does not match (wrong secret or altered body)")

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """The event in the body: ``{"event_id", "type", "ticket": {"id"}, "occurred_at"}``."""
        try:
            body = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidWebhookError(f"webhook body is not JSON: {exc}") from None
        ticket = body.get("ticket") if isinstance(body, dict) else None
        ticket_id = ticket.get("id") if isinstance(ticket, dict) else None
        if ticket_id is None or str(ticket_id) == "":
            raise InvalidWebhookError("webhook body has no ticket.id")
        event_id = body.get("event_id") or hashlib.sha256(request.body).hexdigest()[:32]
        try:
            kind = EventKind(body.get("type"))
        except ValueError:
            kind = EventKind.OTHER
        return WebhookEvent(
            helpdesk=self.name,
            event_id=str(event_id),
            ticket_id=str(ticket_id),
            kind=kind,
            occurred_at=_parse_time(body.get("occurred_at")),
            data={"type": str(body.get("type"))},
        )

    # --- the helpdesk's side: control surface for tests ------------------------------------------

    def create_ticket(
        self,
        ticket: Ticket | str | None = None,
        *,
        raw_channel: str | None = None,
        **fields: Any,
    ) -> str:
        """Create a ticket and return its id.

        Args:
            ticket: a :class:`Ticket` to copy (its id is kept when free), or the first customer
                message's text (then ``fields`` are :meth:`Ticket.from_text`'s keywords).
            raw_channel: the channel as the helpdesk's wire format names it (for mapping tests);
                default: the ticket's channel.
            fields: :class:`Ticket` fields when ``ticket`` is not given.
        """
        if isinstance(ticket, str):
            ticket = Ticket.from_text(ticket, **fields)
        elif ticket is None:
            ticket = Ticket.model_validate(fields)
        raw = raw_channel or ticket.metadata.get("channel_raw") or ticket.channel.value
        with self._lock:
            ticket_id = ticket.id if ticket.id and ticket.id not in self._tickets else self._new_id()
            stored = _StoredTicket(
                id=ticket_id,
                subject=ticket.subject,
                raw_channel=str(raw),
                requester=ticket.customer.model_copy(),
                messages=[],
                tags=list(dict.fromkeys(ticket.tags)),
            )
            self._tickets[ticket_id] = stored
            for message in ticket.messages:
                stored.messages.append(
                    self._message(stored, message.author, message.body, message.public, message.author_name)
                )
        return ticket_id

    def add_message(
        self,
        ticket_id: str,
        text: str,
        *,
        author: Role = Role.CUSTOMER,
        public: bool = True,
        author_name: str | None = None,
    ) -> None:
        """Append a message to a ticket's thread (a customer's reply, an agent's note…)."""
        with self._lock:
            stored = self._get(ticket_id)
            stored.messages.append(self._message(stored, author, text, public, author_name))

    def notes(self, ticket_id: str) -> list[Message]:
        """The notes posted through :meth:`post_note`, oldest first."""
        with self._lock:
            stored = self._get(ticket_id)
            return [stored.messages[i].model_copy() for i in sorted(stored.note_ids)]

    def tags(self, ticket_id: str) -> list[str]:
        """The ticket's tags, in the order they were added."""
        with self._lock:
            return list(self._get(ticket_id).tags)

    def ticket_ids(self) -> list[str]:
        """Every ticket's id, in creation order (to pick webhooks for a benchmark run)."""
        with self._lock:
            return list(self._tickets)

    def add_article(
        self,
        title: str,
        body: str,
        *,
        locale: str = "en",
        updated_at: datetime | None = None,
        article_id: str | None = None,
        url: str | None = None,
        labels: Sequence[str] = (),
    ) -> str:
        """Add (or replace, by ``article_id``) a KB article and return its id."""
        with self._lock:
            article_id = article_id or f"article-{self._new_id()}"
            self._articles[article_id] = Article(
                id=article_id,
                title=title,
                body=body,
                url=url,
                locale=locale,
                labels=list(labels),
                updated_at=_aware(updated_at or datetime.now(UTC)),
            )
        return article_id

    def load_samples(self, folder: str | Path | None = None, *, articles: bool = True) -> list[str]:
        """Create the sample tickets (``examples/tickets``, ids kept) and, optionally, the sample KB.

        Returns the ids of the tickets created, for demos and benchmarks.
        """
        from replyassist.knowledge._loaders import load_directory

        root = Path(folder) if folder is not None else samples_dir()
        ids = [
            self.create_ticket(Ticket.model_validate_json(path.read_text(encoding="utf-8")))
            for path in sorted((root / "tickets").glob("*.json"))
        ]
        if articles and (root / "kb").is_dir():
            for article in load_directory(root / "kb")[0]:
                self.add_article(
                    article.title,
                    article.body,
                    locale=article.locale or "en",
                    updated_at=article.updated_at,
                    article_id=article.id,
                    url=article.url,
                    labels=article.labels,
                )
        return ids

    def webhook(
        self,
        ticket_id: str,
        kind: EventKind = EventKind.TICKET_CREATED,
        event_id: str | None = None,
        *,
        secret: str | None = None,
        timestamp: float | None = None,
        authenticated: bool = True,
    ) -> WebhookRequest:
        """A webhook request about ``ticket_id``, signed as this helpdesk signs them.

        Args:
            kind: what happened.
            event_id: the delivery-independent event id (a redelivery repeats it); default: new.
            secret: sign with this instead of the configured secret (to test a wrong one).
            timestamp: when it was signed (epoch seconds; default now), to test the replay window.
            authenticated: False sends no signature headers at all.
        """
        signed_at = time.time() if timestamp is None else timestamp
        body = json.dumps(
            {
                "event_id": event_id or uuid.uuid4().hex,
                "type": kind.value,
                "ticket": {"id": ticket_id},
                "occurred_at": datetime.fromtimestamp(signed_at, UTC).isoformat(),
            }
        ).encode()
        headers = {"Content-Type": "application/json"}
        if authenticated:
            headers.update(self.sign(body, timestamp=signed_at, secret=secret))
        return WebhookRequest(headers=headers, body=body, path=f"/webhooks/{self.name}")

    def sign(
        self, body: bytes, *, timestamp: float | None = None, secret: str | None = None
    ) -> dict[str, str]:
        """The signature headers for ``body`` (for hand-made bodies)."""
        stamp = str(int(time.time() if timestamp is None else timestamp))
        key = self._secret.get_secret_value() if secret is None else secret
        return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: self._signature(stamp, body, key)}

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: float | None = None,
        on: str | None = None,
        after: bool = False,
    ) -> None:
        """Make the next ``n`` API calls (only calls to method ``on``, if given) fail.

        ``status`` 429 raises :class:`RateLimited`, 404 :class:`TicketNotFound`, others
        :class:`HelpdeskError`, each carrying ``status_code`` and ``retry_after``. With
        ``after``, the call takes effect first and then fails, like a response lost on the way
        back (to test that a retried ``post_note`` posts once).
        """
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, on, after) for _ in range(n))

    # --- internals --------------------------------------------------------------------------

    def _call(self, method: str) -> _ApiCall:
        return _ApiCall(self, method)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            self.calls[method] += 1
            for i, failure in enumerate(self._failures):
                if failure.on is None or failure.on == method:
                    return self._failures.pop(i)
        return None

    def _get(self, ticket_id: str) -> _StoredTicket:
        stored = self._tickets.get(str(ticket_id))
        if stored is None:
            raise TicketNotFound(f"{self.name} has no ticket {ticket_id!r}", status_code=404)
        return stored

    def _new_id(self) -> str:
        while str(self._next_id) in self._tickets or f"article-{self._next_id}" in self._articles:
            self._next_id += 1
        self._next_id += 1
        return str(self._next_id - 1)

    def _message(
        self, stored: _StoredTicket, author: Role, text: str, public: bool, author_name: str | None
    ) -> Message:
        # Strictly increasing times keep the thread's order even when the clock does not move.
        now = datetime.now(UTC)
        if stored.messages and stored.messages[-1].created_at is not None:
            now = max(now, stored.messages[-1].created_at + timedelta(microseconds=1))
        return Message(author=author, text=text, public=public, author_name=author_name, created_at=now)

    @staticmethod
    def _signature(timestamp: str, body: bytes, secret: str) -> str:
        digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()


class _ApiCall:
    """One API call: counts it, sleeps ``latency``, holds the lock, raises injected failures."""

    def __init__(self, fake: FakeHelpdesk, method: str) -> None:
        self._fake = fake
        self._method = method
        self._failure: _Failure | None = None

    def __enter__(self) -> None:
        self._failure = self._fake._take_failure(self._method)
        if self._fake.latency:
            time.sleep(self._fake.latency)
        if self._failure is not None and not self._failure.after:
            raise self._error(self._failure)
        self._fake._lock.acquire()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._fake._lock.release()
        if exc is None and self._failure is not None:
            raise self._error(self._failure)

    def _error(self, failure: _Failure) -> HelpdeskError:
        message = f"{self._fake.name} answered {failure.status} to {self._method} (injected)"
        if failure.status == 429:
            return RateLimited(message, status_code=429, retry_after=failure.retry_after)
        if failure.status == 404:
            return TicketNotFound(message, status_code=404, retry_after=failure.retry_after)
        return HelpdeskError(message, status_code=failure.status, retry_after=failure.retry_after)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _updated(article: Article) -> datetime:
    return _aware(article.updated_at or datetime.min)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None
