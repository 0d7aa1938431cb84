"""The core's conformance suite, run against the real adapter and python-freshdesk on the fake server."""

from __future__ import annotations

import hashlib
import html
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from replyassist import Channel, EventKind, Message, Role, Ticket, WebhookRequest
from replyassist.testing import HelpdeskConformance

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import SECRET_HEADER, FreshdeskAdapter, expected_body, from_settings

_SOURCES = {
    Channel.EMAIL: 1,
    Channel.WEB_FORM: 2,
    Channel.VOICE: 3,
    Channel.TWITTER: 5,
    Channel.FACEBOOK_POST: 6,
    Channel.CHAT: 7,
    Channel.WHATSAPP: 13,  # an account-defined source, named in ticket_fields
}
_EVENTS = {EventKind.TICKET_CREATED: "ticket_created", EventKind.COMMENT_ADDED: "comment_added"}


class FreshdeskHarness:
    """The adapter on a fake Freshdesk, and Freshdesk's side of things in the suite's terms."""

    def __init__(self, fake: FakeFreshdesk) -> None:
        self.fake = fake
        settings = fake.settings()
        self._secret = settings["FRESHDESK_WEBHOOK_SECRET"]
        self.secrets = (settings["FRESHDESK_API_KEY"], self._secret)
        self.missing_ticket_id = "999999"
        self._adapter = from_settings(settings)
        self._folder: int | None = None

    @property
    def adapter(self) -> FreshdeskAdapter:
        return self._adapter

    def create_ticket(self, ticket: Ticket) -> str:
        first, *rest = ticket.messages
        number = self.fake.add_ticket(
            _html(first.text),
            source=_SOURCES[ticket.channel],
            subject=ticket.subject or "",
            requester_name=ticket.customer.name or "",
            requester_email=ticket.customer.email or "",
            tags=ticket.tags,
        )
        for message in rest:
            self.fake.add_conversation(
                number,
                _html(message.text),
                from_requester=message.author is Role.CUSTOMER,
                private=not message.public,
            )
        return str(number)

    def notes(self, ticket_id: str) -> Sequence[Message]:
        return [
            Message(author=Role.AGENT, text=html.unescape(n["body"]), public=not n["private"])
            for n in self.fake.notes(int(ticket_id))
        ]

    def tags(self, ticket_id: str) -> Sequence[str]:
        return self.fake.tags(int(ticket_id))

    def add_article(
        self, title: str, body: str, *, locale: str = "en", updated_at: datetime | None = None
    ) -> str:
        if self._folder is None:
            self._folder = self.fake.add_folder("FAQ", category_id=self.fake.add_category("General"))
        if locale == self.fake.primary_language:
            number = self.fake.add_article(title, _html(body), folder_id=self._folder, updated_at=updated_at)
            return f"freshdesk:{number}"
        # A translation: Freshdesk keeps it under the primary article's id.
        if locale not in self.fake.supported_languages:
            self.fake.supported_languages.append(locale)
        number = self.fake.add_article(title, _html(body), folder_id=self._folder, updated_at=updated_at)
        self.fake.add_article(
            title,
            _html(body),
            folder_id=self._folder,
            language=locale,
            article_id=number,
            updated_at=updated_at,
        )
        return f"freshdesk:{number}:{locale}"

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
        """The documented body as Freshdesk renders it; an event's identity shows in ``updated_at``."""
        body = expected_body(_EVENTS[kind])
        body.update(
            ticket_id=ticket_id, triggered_event="{ticket_action:created}", updated_at=_updated_at(event_id)
        )
        headers = {"Content-Type": "application/json"}
        if authenticated:
            headers[SECRET_HEADER] = secret or self._secret
        return WebhookRequest(headers=headers, body=json.dumps(body).encode(), path="/webhooks/freshdesk")


def _html(text: str) -> str:
    return f"<div>{html.escape(text)}</div>"


def _updated_at(event_id: str | None) -> str:
    seed = event_id or uuid.uuid4().hex
    offset = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % 10_000_000
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TestFreshdeskConformance(HelpdeskConformance):
    channels = tuple(_SOURCES)
    webhook_signs_body = False  # a shared secret in a header: Freshdesk signs nothing
    webhook_replay_window = None  # and sends no signed time

    @pytest.fixture
    def harness(self, fake: FakeFreshdesk) -> FreshdeskHarness:
        return FreshdeskHarness(fake)
