"""The Zendesk ``HelpdeskAdapter``: tickets in, private notes and tags out, Help Center articles for the KB."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from replyassist import Article, Draft, HelpdeskError, Ticket, TicketNotFound, WebhookAuthError
from replyassist.helpdesk import NoteRef, WebhookEvent, WebhookRequest, find_note_key
from zenpy.lib.api_objects import Comment as ZenpyComment
from zenpy.lib.api_objects import Ticket as ZenpyTicket

from replyassist_zendesk._client import ZendeskClient, translating
from replyassist_zendesk._mapping import (
    article_from_translation,
    parse_time,
    render_note_html,
    ticket_from_zendesk,
)
from replyassist_zendesk._settings import ZendeskSettings
from replyassist_zendesk._webhooks import parse_request, verify_signature

__all__ = ["ZendeskAdapter", "from_settings"]

T = TypeVar("T")

_SHOW_MANY = 100  # Zendesk's limit of ids per users/show_many call


class ZendeskAdapter:
    """replyassist's adapter for Zendesk Support, built on zenpy. Safe to share between threads.

    Args:
        settings: the account and secrets (see :class:`ZendeskSettings`).
        session_factory: makes the ``requests.Session`` of each thread's zenpy client (proxies,
            custom TLS); the adapter adds its response hook to it.
        conflict_retries: how many times a write that Zendesk answers with 409 (a concurrent
            update of the same ticket) is tried again. Both writes are safe to repeat: tags are
            added, not set, and a note is looked for by its key before it is posted again.
        conflict_backoff: seconds before the first such retry (doubling after).

    Example:
        >>> adapter = from_settings(os.environ)            # doctest: +SKIP
        >>> ticket = adapter.fetch_ticket("123")           # doctest: +SKIP
    """

    name = "zendesk"

    def __init__(
        self,
        settings: ZendeskSettings,
        *,
        session_factory: Callable[[], requests.Session] | None = None,
        conflict_retries: int = 2,
        conflict_backoff: float = 0.25,
    ) -> None:
        self.settings = settings
        self._client = ZendeskClient(settings, session_factory=session_factory)
        self._conflict_retries = conflict_retries
        self._conflict_backoff = conflict_backoff

    @classmethod
    def from_settings(cls, settings: Mapping[str, str], **options: Any) -> ZendeskAdapter:
        """The adapter for the ``ZENDESK_*`` settings in ``settings`` (usually ``os.environ``)."""
        return cls(ZendeskSettings.from_mapping(settings), **options)

    def __repr__(self) -> str:
        s = self.settings
        return f"ZendeskAdapter(subdomain={s.subdomain!r}, auth={s.auth_kind!r}, base_url={s.base_url!r})"

    @property
    def zenpy(self) -> Any:
        """This thread's zenpy client, for calls the adapter does not wrap (errors are zenpy's own)."""
        return self._client.zenpy()

    # --- tickets ---------------------------------------------------------------------------------

    def fetch_ticket(self, ticket_id: str) -> Ticket:
        """The ticket, all its comments (public and private, oldest first) and their authors.

        Three kinds of request: the ticket, its comments (cursor-paginated, 100 a page) and
        the authors and requester (``users/show_many``, 100 ids a call). zenpy's comment
        listing takes no ``include=users`` side-load, so authors are fetched in one batch
        instead — the same number of calls for any thread of fewer than 100 authors.
        """
        number = _ticket_number(ticket_id)
        z = self._client.zenpy()
        with translating(f"fetch ticket {number}", ticket_id=number):
            ticket = z.tickets(id=number).to_dict()
            comments = [c.to_dict() for c in z.tickets.comments(ticket=number)]
            ids = {ticket.get("requester_id")} | {c.get("author_id") for c in comments}
            users = self._users(z, [int(i) for i in ids if isinstance(i, int) and i > 0])
        return ticket_from_zendesk(ticket, comments, users)

    def _users(self, z: Any, ids: Sequence[int]) -> dict[str, Mapping[str, Any]]:
        users: dict[str, Mapping[str, Any]] = {}
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), _SHOW_MANY):
            for user in z.users(ids=ordered[start : start + _SHOW_MANY]):
                data = user.to_dict()
                users[str(data["id"])] = data
        return users

    # --- notes and tags --------------------------------------------------------------------------

    def post_note(
        self, ticket_id: str, draft: Draft, *, public: bool = False, key: str | None = None
    ) -> NoteRef:
        """Post the draft as a comment (private unless ``public``), once per ``key``.

        With a key, the ticket's comments are searched for it first (see
        :func:`~replyassist.helpdesk.find_note_key`), so a job that posted and then died posts
        nothing the second time. Each post is one ticket update: Zendesk's per-ticket update
        limit is respected by refusing (``RateLimited``) while it is used up.
        """
        number = _ticket_number(ticket_id)
        body = render_note_html(draft, key=key, public=public)
        action = f"post a note on ticket {number}"

        def attempt() -> NoteRef:
            if key is not None:
                existing = self._find_note(number, key)
                if existing is not None:
                    return existing
            self._client.update_limits.check(str(number))
            update = ZenpyTicket(id=number)
            update.comment = ZenpyComment(html_body=body, public=public)
            with translating(action, ticket_id=number):
                result = self._client.zenpy().tickets.update(update)
            return NoteRef(id=_comment_id(result.to_dict()), created=True, public=public)

        return self._retrying_conflicts(attempt)

    def _find_note(self, number: int, key: str) -> NoteRef | None:
        with translating(f"read the comments of ticket {number}", ticket_id=number):
            for comment in self._client.zenpy().tickets.comments(ticket=number):
                data = comment.to_dict()
                text = data.get("html_body") or data.get("body") or data.get("plain_body") or ""
                if find_note_key(str(text)) == key:
                    return NoteRef(id=str(data["id"]), created=False, public=bool(data.get("public")))
        return None

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        """Add ``tags`` with Zendesk's add-tags endpoint (``PUT tickets/{id}/tags``): others are kept."""
        number = _ticket_number(ticket_id)
        wanted = [t for t in dict.fromkeys(tags) if t]
        if not wanted:
            return

        def attempt() -> None:
            self._client.update_limits.check(str(number))
            with translating(f"tag ticket {number}", ticket_id=number):
                self._client.zenpy().tickets.add_tags(number, wanted)

        self._retrying_conflicts(attempt)

    def _retrying_conflicts(self, write: Callable[[], T]) -> T:
        for attempt in range(self._conflict_retries + 1):
            try:
                return write()
            except HelpdeskError as exc:
                if exc.status_code != 409 or attempt == self._conflict_retries:
                    raise
                time.sleep(self._conflict_backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- Help Center -----------------------------------------------------------------------------

    def list_articles(self, *, since: datetime | None = None) -> Iterator[Article]:
        """Every published Help Center article in every locale (one ``Article`` per translation).

        Articles are listed with cursor pagination; with ``since``, only articles updated after
        it have their translations fetched (one more call each), and only translations updated
        after it are yielded. Zendesk's incremental article export is not used: zenpy stops
        following its pages once ``end_time`` is within five minutes of now, which would drop
        the most recent changes of a large sync.
        """
        after = _aware(since) if since is not None else None
        z = self._client.zenpy()
        with translating("list Help Center articles"):
            for article in z.help_center.articles():
                data = article.to_dict()
                updated = parse_time(data.get("updated_at"))
                if after is not None and updated is not None and updated <= after:
                    continue
                for translation in z.help_center.articles.translations(data["id"]):
                    item = translation.to_dict()
                    if item.get("draft"):
                        continue
                    mapped = article_from_translation(data, item)
                    if after is None or mapped.updated_at is None or mapped.updated_at > after:
                        yield mapped

    # --- webhooks --------------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> None:
        """Check the ``X-Zendesk-Webhook-Signature`` (constant time) and the replay window."""
        secret = self.settings.webhook_secret
        if secret is None:
            raise WebhookAuthError(
                "no ZENDESK_WEBHOOK_SECRET is configured, so no Zendesk webhook is accepted"
            )
        verify_signature(request, secret, replay_window=self.settings.replay_window)

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent:
        """The ticket event of an event webhook or of the trigger body (see ``_webhooks``)."""
        return parse_request(request, helpdesk=self.name)


def from_settings(settings: Mapping[str, str]) -> ZendeskAdapter:
    """The ``replyassist.helpdesks`` entry point: a :class:`ZendeskAdapter` from ``ZENDESK_*`` settings."""
    return ZendeskAdapter.from_settings(settings)


def _ticket_number(ticket_id: str) -> int:
    text = str(ticket_id).strip()
    if not text.isdigit():
        raise TicketNotFound(f"{ticket_id!r} is not a Zendesk ticket id (they are numbers)", status_code=404)
    return int(text)


def _comment_id(result: Mapping[str, Any]) -> str:
    audit = result.get("audit") or {}
    for event in audit.get("events") or []:
        if event.get("type") in ("Comment", "VoiceComment") and event.get("id") is not None:
            return str(event["id"])
    return str(audit.get("id") or result.get("id") or "")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
