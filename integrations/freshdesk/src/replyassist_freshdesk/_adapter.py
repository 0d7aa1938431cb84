"""The Freshdesk ``HelpdeskAdapter``: tickets, notes, tags, Solutions and webhooks."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from freshdesk.v2.models import Ticket as _LibraryTicket
from replyassist import (
    Article,
    ConfigurationError,
    Draft,
    HelpdeskError,
    NoteRef,
    RateLimited,
    Ticket,
    TicketNotFound,
    WebhookEvent,
    WebhookRequest,
)
from replyassist.helpdesk import find_note_key

from replyassist_freshdesk import _webhook
from replyassist_freshdesk._client import FreshdeskClient, RateLimitStatus
from replyassist_freshdesk._mapping import (
    SOURCE_CHANNELS,
    article_from_wire,
    channel_for_source,
    note_html,
    reply_html,
    source_labels,
    ticket_from_wire,
)
from replyassist_freshdesk._settings import FreshdeskSettings

__all__ = ["FreshdeskAdapter", "from_settings"]

T = TypeVar("T")

log = logging.getLogger("replyassist_freshdesk")

_EMBEDDED_CONVERSATIONS = 10
"""``include=conversations`` embeds at most this many; a ticket with that many is paged in full."""
_FIELDS_TTL = 3600.0
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_AGENTS_ONLY = 3
"""Folder visibility 3: agents only — never quoted to customers, so not synced."""
_PUBLISHED = 2
SYNC_RESERVE = 0.2
"""The share of the per-minute API budget a Solutions sync leaves to drafting (it pauses below it)."""


def from_settings(settings: Mapping[str, str]) -> FreshdeskAdapter:
    """The ``replyassist.helpdesks`` entry point: an adapter from ``FRESHDESK_*`` settings."""
    return FreshdeskAdapter(FreshdeskSettings.from_mapping(settings))


class FreshdeskAdapter:
    """Freshdesk for replyassist, built on python-freshdesk; safe to share between threads.

    Each thread gets its own python-freshdesk client (one ``requests`` session each); the
    account's source labels are cached for an hour.
    """

    name = "freshdesk"

    def __init__(self, settings: FreshdeskSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._lock = threading.Lock()
        self._labels: dict[int, str] = {}
        self._labels_at = float("-inf")
        self._last_rate: RateLimitStatus | None = None

    def __repr__(self) -> str:
        return f"FreshdeskAdapter(domain={self.settings.domain!r}, api={self.settings.api_prefix!r})"

    @property
    def client(self) -> FreshdeskClient:
        """This thread's python-freshdesk client (created on first use)."""
        client: FreshdeskClient | None = getattr(self._local, "client", None)
        if client is None:
            client = FreshdeskClient(
                self.settings.domain,
                self.settings.api_key.get_secret_value(),
                api_prefix=self.settings.api_prefix,
                timeout=self.settings.timeout,
            )
            self._local.client = client
        return client

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """The most recent ``X-Ratelimit-*`` figures seen by any thread."""
        return self._last_rate

    # --- tickets ---------------------------------------------------------------------------------

    def fetch_ticket(self, ticket_id: str) -> Ticket:
        number = _ticket_number(ticket_id)
        wire = self._call(lambda c: _wire(c.tickets.get_ticket(number, "conversations", "requester")))
        conversations = wire.pop("conversations", None) or []
        if len(conversations) >= _EMBEDDED_CONVERSATIONS:
            conversations = self._conversations(number)
        channel, raw = channel_for_source(wire.get("source"), self._account_labels(wire.get("source")))
        return ticket_from_wire(
            wire, conversations, channel=channel, raw_channel=raw, portal_url=self.settings.portal_url
        )

    def post_note(
        self, ticket_id: str, draft: Draft, *, public: bool = False, key: str | None = None
    ) -> NoteRef:
        """A private note (or, if ``public``, a reply) ending with the key line; once per key."""
        number = _ticket_number(ticket_id)
        key = key or draft.id
        if not _KEY.match(key):
            raise ConfigurationError(f"note key {key!r} must be 1-128 letters, digits or _.:- characters")
        for conversation in self._conversations(number):
            if key in (
                find_note_key(conversation.get("body") or ""),
                find_note_key(conversation.get("body_text") or ""),
            ):
                return NoteRef(
                    id=str(conversation.get("id")), created=False, public=not conversation.get("private")
                )
        if public:
            posted = self._call(lambda c: c.comments.create_reply(number, reply_html(draft, key=key)))
        else:
            posted = self._call(
                lambda c: c.comments.create_note(number, note_html(draft, key=key), private=True)
            )
        return NoteRef(id=str(posted.id), created=True, public=public)

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Read the ticket's tags, add the missing ones, write the whole list back.

        Freshdesk's ``PUT /tickets/{id}`` replaces the tags array and has no conditional
        update, so a tag another client adds between this read and write is lost (the window
        is one round trip); nothing is written when every tag is already there.
        """
        number = _ticket_number(ticket_id)
        current = self._call(lambda c: _wire(c.tickets.get_ticket(number)).get("tags") or [])
        merged = list(dict.fromkeys([*map(str, current), *tags]))
        if len(merged) == len(current):
            return
        self._call(lambda c: c.tickets.update_ticket(number, tags=merged))

    # --- knowledge base --------------------------------------------------------------------------

    def list_articles(self, *, since: datetime | None = None) -> Iterator[Article]:
        """Published Solutions articles in every language, all pages, updated after ``since``.

        Walks categories → folders (and sub-folders) once, then each folder's articles per
        language. Freshdesk has no "updated since" filter for articles, so the walk is complete
        and the filter is applied here. Agent-only folders are skipped. When the account's API
        budget runs low the sync raises ``RateLimited`` rather than starve drafting.
        """
        cutoff = _aware(since) if since is not None else None
        languages = self._languages()
        for folder_id, labels in self._folders():
            for index, language in enumerate(languages):
                path = f"solutions/folders/{folder_id}/articles" + (f"/{language}" if index else "")
                for article in self._list(path, missing_ok=index > 0, sync=True):
                    updated = _parse_time(article.get("updated_at"))
                    if article.get("status") != _PUBLISHED or (cutoff and updated and updated <= cutoff):
                        continue
                    yield article_from_wire(
                        article,
                        language=language,
                        primary=index == 0,
                        portal_url=self.settings.portal_url,
                        labels=labels,
                    )

    # --- webhooks --------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> None:
        _webhook.verify_webhook(request, self.settings.webhook_secret)

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent:
        return _webhook.parse_webhook(request, helpdesk=self.name)

    # --- internals -------------------------------------------------------------------------------

    def _call(self, operation: Callable[[FreshdeskClient], T]) -> T:
        """Run one python-freshdesk operation on this thread's client and note the rate limit."""
        client = self.client
        try:
            return operation(client)
        finally:
            if client.rate_limit is not None:
                self._last_rate = client.rate_limit

    def _list(self, path: str, *, missing_ok: bool = False, sync: bool = False) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, page after page (``link`` header).

        ``missing_ok``: a 404 means an empty list (a language without translations, an account
        without sub-folders). ``sync``: the caller is the background sync, which yields the
        budget to drafting (:meth:`_check_budget`) before each page.
        """
        pages = self.client.pages(path)
        while True:
            if sync:
                self._check_budget()
            try:
                page = self._call(lambda _client: next(pages, None))
            except HelpdeskError as exc:
                if missing_ok and exc.status_code == 404:
                    return
                raise
            if page is None:
                return
            yield from (item for item in page if isinstance(item, dict))

    def _check_budget(self) -> None:
        rate = self._last_rate
        if rate is None or rate.remaining is None or not rate.total:
            return
        if rate.remaining < rate.total * SYNC_RESERVE and time.time() - rate.observed_at < 60:
            raise RateLimited(
                f"Freshdesk API budget low ({rate.remaining} of {rate.total} left); "
                "the Solutions sync pauses to leave it to drafting",
                status_code=429,
                retry_after=60.0,
            )

    def _conversations(self, number: int) -> list[dict[str, Any]]:
        return list(self._list(f"tickets/{number}/conversations"))

    def _folders(self) -> Iterator[tuple[int, list[str]]]:
        """(folder id, labels) for every folder customers can see, sub-folders included."""
        for category in self._list("solutions/categories", sync=True):
            pending = [
                (f, [str(category.get("name") or "")])
                for f in self._list(f"solutions/categories/{category['id']}/folders", sync=True)
            ]
            while pending:
                folder, trail = pending.pop(0)
                names = [*trail, str(folder.get("name") or "")]
                if folder.get("visibility") != _AGENTS_ONLY:
                    yield int(folder["id"]), [n for n in names if n]
                subfolders = self._list(
                    f"solutions/folders/{folder['id']}/subfolders", missing_ok=True, sync=True
                )
                pending += [(sub, names) for sub in subfolders]

    def _languages(self) -> list[str]:
        if self.settings.languages:
            return list(self.settings.languages)
        try:
            account = self._call(lambda c: c.get_json("settings/helpdesk"))
        except HelpdeskError as exc:
            if exc.status_code not in (403, 404):
                raise
            log.warning("cannot read the account's languages (%s); syncing the primary language only", exc)
            return ["en"]
        primary = str(account.get("primary_language") or "en")
        others = [str(lang) for lang in account.get("supported_languages") or [] if lang != primary]
        return [primary, *others]

    def _account_labels(self, source: object) -> dict[int, str]:
        """The account's source labels, fetched (and cached an hour) only for a code we do not know."""
        if isinstance(source, int) and source in SOURCE_CHANNELS:
            return {}
        with self._lock:
            fresh = time.monotonic() - self._labels_at < _FIELDS_TTL
            if fresh:
                return self._labels
        fields = self._call(lambda c: c.ticket_fields.list_ticket_fields())
        labels = source_labels(_wire(f) for f in fields)
        with self._lock:
            self._labels, self._labels_at = labels, time.monotonic()
        return labels


def _ticket_number(ticket_id: str) -> int:
    """Freshdesk ticket ids are numbers; anything else cannot exist there."""
    text = str(ticket_id).strip()
    if not text.isdigit():
        raise TicketNotFound(f"{ticket_id!r} is not a Freshdesk ticket number", status_code=404)
    return int(text)


def _wire(model: Any) -> dict[str, Any]:
    """A python-freshdesk model back as the API's dict.

    The library stores keys that clash with its ``Ticket`` properties (``source``, ``status``,
    ``priority``) as ``_source``…, whose property ``Ticket.source`` raises ``KeyError`` for
    sources 9 and 10: the raw values are read here instead.
    """
    wire: dict[str, Any] = {}
    for key in model._keys:
        name = key[1:] if key.startswith("_") and hasattr(_LibraryTicket, key[1:]) else key
        wire[name] = getattr(model, key)
    return wire


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, str) and value:
        try:
            return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
