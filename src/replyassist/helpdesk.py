"""The contract between replyassist and a helpdesk, and how helpdesk plug-ins are found.

A helpdesk plug-in (``replyassist-zendesk``, ``replyassist-freshdesk``, or your own) implements
:class:`HelpdeskAdapter` and registers a factory in the ``replyassist.helpdesks`` entry point group::

    [project.entry-points."replyassist.helpdesks"]
    zendesk = "replyassist_zendesk:from_settings"

The factory takes the settings (a mapping of names to strings, usually the environment) and
returns an adapter; it raises :class:`~replyassist.ConfigurationError` naming whatever setting is
missing. The service calls the adapter from worker threads, so adapters must be safe to share
between threads (or create what is not, such as HTTP sessions, per thread).

``replyassist.testing`` ships :class:`~replyassist.testing.FakeHelpdesk` and the conformance
suite :class:`~replyassist.testing.HelpdeskConformance` that every adapter's tests subclass.
No helpdesk SDK is imported here.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from replyassist._errors import ConfigurationError
from replyassist.models import Article, Decision, Draft, Ticket

__all__ = [
    "ENTRY_POINT_GROUP",
    "EventKind",
    "HelpdeskAdapter",
    "HelpdeskFactory",
    "NoteRef",
    "WebhookEvent",
    "WebhookRequest",
    "available_helpdesks",
    "find_note_key",
    "load_helpdesk",
    "note_text",
    "register_helpdesk",
]

ENTRY_POINT_GROUP = "replyassist.helpdesks"


class EventKind(StrEnum):
    """What happened to a ticket, in the helpdesk-neutral words the service acts on."""

    TICKET_CREATED = "ticket_created"
    COMMENT_ADDED = "comment_added"
    """A new message on the ticket; whether the customer wrote it is judged on the fetched ticket."""
    TICKET_UPDATED = "ticket_updated"
    """Status, tags, assignee or other fields changed; no draft is made for it."""
    OTHER = "other"
    """Recognised but not acted on (recorded, answered 202, no job)."""


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A webhook request as it arrived, before anything trusted it.

    ``headers`` are lower-cased names; ``body`` is the raw bytes (signatures are computed over
    them, so never re-serialise); ``received_at`` is epoch seconds, for replay windows.
    """

    headers: Mapping[str, str]
    body: bytes
    method: str = "POST"
    path: str = "/"
    query: Mapping[str, str] = field(default_factory=dict)
    received_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", {k.lower(): v for k, v in self.headers.items()})

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __repr__(self) -> str:  # headers carry secrets: show their names only
        return (
            f"WebhookRequest(method={self.method!r}, path={self.path!r}, "
            f"headers={sorted(self.headers)!r}, body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """What a webhook says happened: deduplicated on ``(helpdesk, event_id)``.

    ``event_id`` is the helpdesk's own delivery-independent id when it sends one (Zendesk's
    event id or invocation id); otherwise the adapter derives a stable one from the body, so
    that a retried delivery of the same change gets the same id. ``ticket_id`` is the only
    thing taken from the body: the ticket itself is always fetched again from the API.
    """

    helpdesk: str
    event_id: str
    ticket_id: str
    kind: EventKind
    occurred_at: datetime | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    """Small, non-secret extras from the body (for logs and reports), never customer text."""


@dataclass(frozen=True, slots=True)
class NoteRef:
    """The note a draft was posted as."""

    id: str
    created: bool = True
    """False when a note with the same key was already on the ticket and nothing was posted."""
    public: bool = False


@runtime_checkable
class HelpdeskAdapter(Protocol):
    """What the service needs from a helpdesk. All ids are strings.

    Errors: API failures raise :class:`~replyassist.HelpdeskError` (``RateLimited`` with
    ``retry_after`` for 429, ``TicketNotFound`` for a missing ticket); webhook checks raise
    :class:`~replyassist.WebhookAuthError` or :class:`~replyassist.InvalidWebhookError`.
    """

    name: str
    """The helpdesk's name in URLs and the store, e.g. ``"zendesk"``."""

    def fetch_ticket(self, ticket_id: str) -> Ticket:
        """The ticket with its whole thread (public and private, oldest first) and requester.

        ``Ticket.id`` is ``ticket_id``; the channel is mapped to the core's channels (unknown
        ones become ``Channel.UNKNOWN`` with the raw value in ``metadata["channel_raw"]``, as
        :class:`~replyassist.Ticket` itself does).
        """
        ...

    def post_note(
        self, ticket_id: str, draft: Draft, *, public: bool = False, key: str | None = None
    ) -> NoteRef:
        """Post the draft on the ticket, as a private note unless ``public`` (a policy's choice).

        The body is :func:`note_text` (or the adapter's richer rendering of the same content,
        ending with the same key line). With a ``key``, posting is idempotent: if a note
        carrying that key is already on the ticket, nothing is posted and its ``NoteRef``
        (``created=False``) is returned. This is what makes a job that died after posting
        but before recording it safe to run again.
        """
        ...

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Add tags to the ticket, keeping the ones it has."""
        ...

    def list_articles(self, *, since: datetime | None = None) -> Iterator[Article]:
        """Knowledge-base articles in every locale, all pages; only those updated after ``since``."""
        ...

    def verify_webhook(self, request: WebhookRequest) -> None:
        """Raise ``WebhookAuthError`` unless the request is authentic (constant-time compare)."""
        ...

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """The event a verified request carries; ``InvalidWebhookError`` if there is none."""
        ...


HelpdeskFactory = Callable[[Mapping[str, str]], HelpdeskAdapter]

_registered: dict[str, HelpdeskFactory] = {}


def register_helpdesk(name: str, factory: HelpdeskFactory) -> None:
    """Make a helpdesk available by name without an entry point (tests, embedded use)."""
    _registered[name] = factory


def available_helpdesks() -> dict[str, HelpdeskFactory | None]:
    """Helpdesk names found through entry points and registration (``None``: not loaded yet)."""
    names: dict[str, HelpdeskFactory | None] = {ep.name: None for ep in entry_points(group=ENTRY_POINT_GROUP)}
    names.update(_registered)
    return dict(sorted(names.items()))


def load_helpdesk(name: str, settings: Mapping[str, str] | None = None) -> HelpdeskAdapter:
    """Create the adapter for helpdesk ``name`` from ``settings`` (default: the environment)."""
    settings = os.environ if settings is None else settings
    factory = _registered.get(name)
    if factory is None:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            known = ", ".join(available_helpdesks()) or "none"
            raise ConfigurationError(
                f"no helpdesk plug-in named {name!r} is installed (installed: {known}); "
                f"install e.g. `pip install replyassist-{name}`"
            )
        factory = found[0].load()
    adapter = factory(settings)
    if not isinstance(adapter, HelpdeskAdapter):
        raise ConfigurationError(f"the {name!r} plug-in did not return a HelpdeskAdapter")
    return adapter


# --- the note a draft is posted as -------------------------------------------------------------

_KEY_LINE = "replyassist draft {key}"
_KEY_CHARS = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_KEY_RE = re.compile(r"replyassist draft (" + _KEY_CHARS.pattern + r")\s*$")


def note_text(draft: Draft, *, key: str | None = None) -> str:
    """The plain-text note for a draft: the reply, then sources, warnings, decision and key.

    Every adapter posts this (or an HTML rendering of the same lines) so that agents see the
    same note in every helpdesk, and so that :func:`find_note_key` finds the key again.

    Raises:
        ConfigurationError: ``key`` has characters other than letters, digits and ``_.:-`` (or
            more than 128): :func:`find_note_key` could not find it again, so posting with it
            would not be idempotent.
    """
    if key is not None and not _KEY_CHARS.fullmatch(key):
        raise ConfigurationError(
            f"a note key must be 1-128 letters, digits or '_.:-' (got {key!r}): "
            "it could not be found again to keep posting idempotent"
        )
    lines: list[str] = []
    if draft.decision is Decision.SKIP:
        lines.append("replyassist suggests no reply: " + "; ".join(draft.reasons or ["nothing to answer"]))
    else:
        header = "Suggested reply" if draft.decision is Decision.REPLY else "Suggested reply (needs review)"
        lines += [f"{header} — {draft.channel.value}, {draft.language}:", "", draft.text]
    if draft.citations:
        lines += ["", "Sources:"]
        sources = dict.fromkeys((c.title, c.url) for c in draft.citations)  # a Citation per passage used
        lines += [f"- {title}" + (f" <{url}>" if url else "") for title, url in sources]
    if draft.warnings:
        lines += ["", "Check before sending:"]
        lines += [f"- {w.message}" for w in draft.warnings]
    if draft.decision is not Decision.SKIP and draft.reasons:
        lines += ["", "Why: " + "; ".join(draft.reasons)]
    lines += ["", "—", _KEY_LINE.format(key=key or draft.id)]
    return "\n".join(lines)


def find_note_key(text: str) -> str | None:
    """The key a note posted by :func:`note_text` carries, or ``None``. HTML tags are ignored."""
    plain = re.sub(r"<[^>]+>", "\n", text or "").rstrip()
    match = _KEY_RE.search(plain)
    return match.group(1) if match else None
