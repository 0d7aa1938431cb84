"""The core's adapter conformance suite, run against the real zenpy and a fake Zendesk on loopback."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest
from replyassist import Channel, Message, Role, Ticket
from replyassist.helpdesk import EventKind, WebhookRequest
from replyassist.testing import HelpdeskConformance

from fake_zendesk import WEBHOOK_SECRET, FakeZendesk, make_adapter
from replyassist_zendesk import ZendeskAdapter

# How each channel is written on the wire: (via.channel, via.source.rel, from_messaging_channel).
WIRE_CHANNEL: dict[Channel, tuple[str, str | None, bool]] = {
    Channel.EMAIL: ("email", None, False),
    Channel.WEB_FORM: ("web", None, False),
    Channel.CHAT: ("native_messaging", None, True),
    Channel.SMS: ("sms", None, False),
    Channel.WHATSAPP: ("whatsapp", None, True),
    Channel.TWITTER: ("twitter", "mention", False),
    Channel.TWITTER_DM: ("twitter", "direct_message", False),
    Channel.FACEBOOK_POST: ("facebook", "post", False),
    Channel.FACEBOOK_MESSENGER: ("facebook_message", None, True),
    Channel.INSTAGRAM_DM: ("instagram_dm", None, True),
    Channel.VOICE: ("voice", None, False),
}


class ZendeskHarness:
    """The adapter pointed at the fake, and the fake playing Zendesk's side."""

    def __init__(self, fake: FakeZendesk) -> None:
        self.fake = fake
        self._adapter = make_adapter(fake)
        self._agent_id = fake.create_user("Sam Agent", role="agent", email="sam@acme.test")

    @property
    def adapter(self) -> ZendeskAdapter:
        return self._adapter

    @property
    def secrets(self) -> Sequence[str]:
        return (self.fake.token or "", WEBHOOK_SECRET)

    @property
    def missing_ticket_id(self) -> str:
        return "999999"

    def create_ticket(self, ticket: Ticket) -> str:
        customer = ticket.customer
        requester = self.fake.create_user(
            customer.name or "Customer", email=customer.email, locale=customer.locale or "en-US"
        )
        channel, rel, messaging = WIRE_CHANNEL[ticket.channel]
        ticket_id = self.fake.create_ticket(
            subject=ticket.subject or "",
            requester_id=requester,
            via={"channel": channel, "source": {"from": {}, "to": {}, "rel": rel}},
            tags=list(ticket.tags),
            from_messaging_channel=messaging,
        )
        for message in ticket.messages:
            author = requester if message.author is Role.CUSTOMER else self._agent_id
            self.fake.add_comment(
                ticket_id, message.text, author_id=author, public=message.public, channel=channel
            )
        return str(ticket_id)

    def notes(self, ticket_id: str) -> Sequence[Message]:
        return [
            Message(author=Role.AGENT, text=c["html_body"], public=c["public"])
            for c in self.fake.comments(ticket_id)
            if c["author_id"] == self.fake.api_user_id
        ]

    def tags(self, ticket_id: str) -> Sequence[str]:
        return list(self.fake.ticket(ticket_id)["tags"])

    def add_article(
        self, title: str, body: str, *, locale: str = "en", updated_at: datetime | None = None
    ) -> str:
        return f"{self.fake.add_article(title, body, locale=locale, updated_at=updated_at)}:{locale}"

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
        return self.fake.event_request(
            ticket_id,
            kind,
            event_id,
            secret=secret or WEBHOOK_SECRET,
            timestamp=timestamp,
            signed=authenticated,
        )


class TestZendeskConformance(HelpdeskConformance):
    channels = tuple(WIRE_CHANNEL)

    @pytest.fixture
    def harness(self, fake_zendesk: FakeZendesk) -> ZendeskHarness:
        return ZendeskHarness(fake_zendesk)
