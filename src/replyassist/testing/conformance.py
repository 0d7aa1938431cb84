"""The conformance suite every helpdesk adapter's tests subclass.

An adapter passes when it behaves as the service expects: the whole thread with roles and
privacy, the mapped channel, ``TicketNotFound`` for a missing ticket, private notes posted once
per key, tags kept, articles listed incrementally, webhooks authenticated and parsed, and no
secret in a ``repr``.

A test module subclasses :class:`HelpdeskConformance` and provides one fixture, ``harness``,
returning an object that satisfies :class:`HelpdeskHarness`: the adapter under test plus the
helpdesk's side of things (create a ticket, read notes and tags back, add an article, make a
webhook request). For an HTTP helpdesk the harness usually wraps a fake server on loopback and
the adapter is the real one pointed at it::

    import pytest
    from replyassist.testing import HelpdeskConformance


    class ZendeskHarness:
        def __init__(self, server: FakeZendeskServer) -> None:
            self.server = server
            self.adapter = ZendeskAdapter(subdomain="acme", token="t0ken", webhook_secret="s3cret",
                                          base_url=server.url)
            self.secrets = ("t0ken", "s3cret")
            self.missing_ticket_id = "999999"

        def create_ticket(self, ticket: Ticket) -> str:
            return str(self.server.create_ticket(ticket))    # its channel → via.channel, messages → comments

        def notes(self, ticket_id: str) -> list[Message]:
            return [Message(author="agent", text=c["body"], public=c["public"])
                    for c in self.server.comments(ticket_id) if c["author_id"] == self.server.api_user_id]

        def tags(self, ticket_id: str) -> list[str]:
            return self.server.ticket(ticket_id)["tags"]

        def add_article(self, title, body, *, locale="en", updated_at=None) -> str:
            return str(self.server.add_article(title, body, locale=locale, updated_at=updated_at))

        def webhook(self, ticket_id, kind=EventKind.TICKET_CREATED, event_id=None, *,
                    secret=None, timestamp=None, authenticated=True) -> WebhookRequest:
            return self.server.signed_event(ticket_id, kind, event_id, secret=secret or "s3cret",
                                            timestamp=timestamp, signed=authenticated)


    class TestZendeskConformance(HelpdeskConformance):
        @pytest.fixture
        def harness(self, fake_zendesk: FakeZendeskServer) -> ZendeskHarness:
            return ZendeskHarness(fake_zendesk)

A helpdesk that authenticates webhooks with a shared secret rather than a signature over the
body (Freshdesk) sets ``webhook_signs_body = False`` and ``webhook_replay_window = None``; the
tests that cannot apply to it are skipped, saying why. ``channels`` lists the channels its
tickets can carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import pytest

from replyassist._errors import InvalidWebhookError, TicketNotFound, WebhookAuthError
from replyassist.helpdesk import EventKind, HelpdeskAdapter, WebhookRequest, find_note_key
from replyassist.models import Article, Channel, Customer, Decision, Draft, Message, Role, Ticket

__all__ = ["HelpdeskConformance", "HelpdeskHarness"]


@runtime_checkable
class HelpdeskHarness(Protocol):
    """An adapter under test and the helpdesk's side of it, in helpdesk-neutral terms."""

    @property
    def adapter(self) -> HelpdeskAdapter:
        """The adapter under test, configured with the harness's credentials and secret."""
        ...

    @property
    def secrets(self) -> Sequence[str]:
        """Every secret the adapter was given (API token, webhook secret…): none may leak."""
        ...

    @property
    def missing_ticket_id(self) -> str:
        """A ticket id the helpdesk does not have."""
        ...

    def create_ticket(self, ticket: Ticket) -> str:
        """Create ``ticket`` in the helpdesk and return the id it got.

        Use its subject, channel (as the helpdesk's own value for that channel), customer
        (name, email, locale) as the requester, tags, and messages in order (author role, text,
        public or private). ``ticket.id`` is ignored.
        """
        ...

    def notes(self, ticket_id: str) -> Sequence[Message]:
        """The notes the adapter posted on the ticket, oldest first, read from the helpdesk's side.

        ``text`` is the note's body (plain text or HTML), ``public`` whether customers see it.
        """
        ...

    def tags(self, ticket_id: str) -> Sequence[str]:
        """The ticket's tags as the helpdesk stores them."""
        ...

    def add_article(
        self, title: str, body: str, *, locale: str = "en", updated_at: datetime | None = None
    ) -> str:
        """Add a KB article last updated at ``updated_at`` (default now); return its id."""
        ...

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
        """The webhook request the helpdesk sends when ``kind`` happens to ``ticket_id``.

        Args:
            event_id: the event's identity: the same value means a redelivery of the same
                event; ``None``: a new event.
            secret: authenticate with this secret instead of the adapter's (to test a wrong one).
            timestamp: when the helpdesk signed it (epoch seconds; default now); ignored by
                helpdesks that sign no time.
            authenticated: ``False`` sends no signature or secret at all.
        """
        ...


_CUSTOMER = Customer(name="Dana Whitfield", email="dana@example.com", locale="en-US")


def _ticket(channel: Channel = Channel.EMAIL, *, tags: Sequence[str] = ()) -> Ticket:
    return Ticket(
        subject="Parcel never arrived",
        channel=channel,
        customer=_CUSTOMER,
        tags=list(tags),
        messages=[
            Message(author=Role.CUSTOMER, text="My tent has not arrived yet.", public=True),
            Message(author=Role.AGENT, text="Sorry, I am checking with the carrier.", public=True),
            Message(author=Role.AGENT, text="Carrier trace opened.", public=False),
            Message(author=Role.CUSTOMER, text="Still nothing, please refund me.", public=True),
        ],
    )


def _draft(ticket_id: str) -> Draft:
    return Draft(
        ticket_id=ticket_id,
        decision=Decision.REPLY,
        text="Hi Dana, we have refunded your order in full.",
        channel=Channel.EMAIL,
    )


class HelpdeskConformance:
    """Tests every :class:`~replyassist.helpdesk.HelpdeskAdapter` must pass; subclass and provide ``harness``."""

    channels: Sequence[Channel] = (Channel.EMAIL, Channel.WEB_FORM, Channel.CHAT)
    """Channels the helpdesk's tickets can carry; each must come back from ``fetch_ticket``."""
    webhook_signs_body: bool = True
    """Whether a webhook's authentication covers its body (a signature), so altering it is caught."""
    webhook_replay_window: float | None = 300.0
    """Seconds a webhook's signed time may be off; ``None`` when the helpdesk signs no time."""

    @pytest.fixture
    def harness(self) -> HelpdeskHarness:
        pytest.fail(f"{type(self).__name__} must define the `harness` fixture (see HelpdeskHarness)")

    # --- the adapter ----------------------------------------------------------------------------

    def test_is_a_helpdesk_adapter(self, harness: HelpdeskHarness) -> None:
        assert isinstance(harness.adapter, HelpdeskAdapter)
        assert isinstance(harness.adapter.name, str) and harness.adapter.name

    def test_repr_hides_secrets(self, harness: HelpdeskHarness) -> None:
        shown = repr(harness.adapter) + str(harness.adapter)
        assert harness.secrets, "the harness must list the adapter's secrets"
        for secret in harness.secrets:
            assert secret not in shown

    # --- tickets ----------------------------------------------------------------------------------

    def test_fetch_ticket_returns_the_whole_thread(self, harness: HelpdeskHarness) -> None:
        spec = _ticket()
        ticket_id = harness.create_ticket(spec)
        ticket = harness.adapter.fetch_ticket(ticket_id)
        assert ticket.id == ticket_id
        assert [(m.author, m.body.strip(), m.public) for m in ticket.messages] == [
            (m.author, m.text, m.public) for m in spec.messages
        ]
        assert ticket.customer.name == _CUSTOMER.name
        assert ticket.subject == spec.subject

    def test_fetch_ticket_maps_the_channel(self, harness: HelpdeskHarness) -> None:
        for channel in self.channels:
            ticket = harness.adapter.fetch_ticket(harness.create_ticket(_ticket(channel)))
            assert ticket.channel is channel

    def test_missing_ticket_raises_ticket_not_found(self, harness: HelpdeskHarness) -> None:
        with pytest.raises(TicketNotFound):
            harness.adapter.fetch_ticket(harness.missing_ticket_id)

    # --- notes and tags ----------------------------------------------------------------------------

    def test_post_note_posts_a_private_note_with_the_draft_and_key(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        draft = _draft(ticket_id)
        ref = harness.adapter.post_note(ticket_id, draft, key="job-1")
        assert ref.created and not ref.public and ref.id
        [note] = harness.notes(ticket_id)
        assert draft.text in note.text
        assert find_note_key(note.text) == "job-1"
        assert note.public is False

    def test_post_note_is_idempotent_with_a_key(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        first = harness.adapter.post_note(ticket_id, _draft(ticket_id), key="job-2")
        again = harness.adapter.post_note(ticket_id, _draft(ticket_id), key="job-2")
        assert again.created is False
        assert again.id == first.id
        assert len(harness.notes(ticket_id)) == 1

    def test_post_note_with_another_key_posts_again(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        harness.adapter.post_note(ticket_id, _draft(ticket_id), key="job-3")
        assert harness.adapter.post_note(ticket_id, _draft(ticket_id), key="job-4").created
        assert [find_note_key(n.text) for n in harness.notes(ticket_id)] == ["job-3", "job-4"]

    def test_post_note_is_public_only_when_asked(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        ref = harness.adapter.post_note(ticket_id, _draft(ticket_id), public=True, key="job-5")
        assert ref.public is True
        assert [n.public for n in harness.notes(ticket_id)] == [True]

    def test_post_note_on_a_missing_ticket_raises(self, harness: HelpdeskHarness) -> None:
        with pytest.raises(TicketNotFound):
            harness.adapter.post_note(harness.missing_ticket_id, _draft("x"), key="job-6")

    def test_add_tags_keeps_existing_and_does_not_duplicate(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket(tags=["vip", "shipping"]))
        harness.adapter.add_tags(ticket_id, ["replyassist_drafted", "vip"])
        harness.adapter.add_tags(ticket_id, ["replyassist_drafted", "replyassist_reply"])
        tags = list(harness.tags(ticket_id))
        assert sorted(tags) == ["replyassist_drafted", "replyassist_reply", "shipping", "vip"]

    # --- articles --------------------------------------------------------------------------------

    def test_list_articles_yields_every_article(self, harness: HelpdeskHarness) -> None:
        first = harness.add_article("Returns", "Return anything within 60 days.")
        second = harness.add_article("Rücksendungen", "Innerhalb von 60 Tagen.", locale="de")
        articles = {a.id: a for a in harness.adapter.list_articles()}
        assert {first, second} <= set(articles)
        assert all(isinstance(a, Article) for a in articles.values())
        assert articles[first].title == "Returns"
        assert "60 days" in articles[first].body
        assert articles[second].title == "Rücksendungen"

    def test_list_articles_since_yields_only_newer(self, harness: HelpdeskHarness) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        old = harness.add_article("Old", "Old body.", updated_at=now - timedelta(days=30))
        new = harness.add_article("New", "New body.", updated_at=now - timedelta(hours=1))
        ids = {a.id for a in harness.adapter.list_articles(since=now - timedelta(days=1))}
        assert new in ids
        assert old not in ids

    # --- webhooks ----------------------------------------------------------------------------------

    def test_verify_webhook_accepts_an_authentic_request(self, harness: HelpdeskHarness) -> None:
        harness.adapter.verify_webhook(harness.webhook(harness.create_ticket(_ticket())))

    def test_verify_webhook_rejects_missing_auth(self, harness: HelpdeskHarness) -> None:
        request = harness.webhook(harness.create_ticket(_ticket()), authenticated=False)
        with pytest.raises(WebhookAuthError):
            harness.adapter.verify_webhook(request)

    def test_verify_webhook_rejects_a_wrong_secret(self, harness: HelpdeskHarness) -> None:
        request = harness.webhook(harness.create_ticket(_ticket()), secret="not-the-secret")
        with pytest.raises(WebhookAuthError) as raised:
            harness.adapter.verify_webhook(request)
        for secret in harness.secrets:
            assert secret not in str(raised.value)

    def test_verify_webhook_rejects_an_altered_body(self, harness: HelpdeskHarness) -> None:
        if not self.webhook_signs_body:
            pytest.skip("this helpdesk's webhook authentication does not cover the body")
        ticket_id = harness.create_ticket(_ticket())
        other_id = harness.create_ticket(_ticket())
        request = harness.webhook(ticket_id)
        assert ticket_id.encode() in request.body
        altered = replace(request, body=request.body.replace(ticket_id.encode(), other_id.encode()))
        with pytest.raises(WebhookAuthError):
            harness.adapter.verify_webhook(altered)

    def test_verify_webhook_rejects_a_stale_timestamp(self, harness: HelpdeskHarness) -> None:
        if self.webhook_replay_window is None:
            pytest.skip("this helpdesk signs no time, so it has no replay window")
        signed_at = datetime.now(UTC).timestamp() - self.webhook_replay_window - 600
        request = harness.webhook(harness.create_ticket(_ticket()), timestamp=signed_at)
        with pytest.raises(WebhookAuthError):
            harness.adapter.verify_webhook(request)

    def test_parse_webhook_gives_the_ticket_and_kind(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        for kind in (EventKind.TICKET_CREATED, EventKind.COMMENT_ADDED):
            event = harness.adapter.parse_webhook(harness.webhook(ticket_id, kind))
            assert (event.helpdesk, event.ticket_id, event.kind) == (harness.adapter.name, ticket_id, kind)
            assert event.event_id

    def test_parse_webhook_event_id_is_stable_across_redeliveries(self, harness: HelpdeskHarness) -> None:
        ticket_id = harness.create_ticket(_ticket())
        first = harness.adapter.parse_webhook(harness.webhook(ticket_id, event_id="evt-1"))
        again = harness.adapter.parse_webhook(harness.webhook(ticket_id, event_id="evt-1"))
        other = harness.adapter.parse_webhook(harness.webhook(ticket_id, event_id="evt-2"))
        assert first.event_id == again.event_id != other.event_id

    @pytest.mark.parametrize("body", [b"{not json", b"", b"[]", b"{}", b"\xff\xfe"])
    def test_parse_webhook_rejects_a_malformed_body(self, harness: HelpdeskHarness, body: bytes) -> None:
        request = harness.webhook(harness.create_ticket(_ticket()))
        with pytest.raises(InvalidWebhookError):
            harness.adapter.parse_webhook(replace(request, body=body))
