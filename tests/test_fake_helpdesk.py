"""The fake helpdesk passes the adapter conformance suite, and its test controls work."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest

from replyassist import (
    Channel,
    ConfigurationError,
    Draft,
    HelpdeskError,
    RateLimited,
    TicketNotFound,
    WebhookAuthError,
    helpdesk,
)
from replyassist.helpdesk import EventKind, WebhookRequest, find_note_key, load_helpdesk, register_helpdesk
from replyassist.models import Decision, Message, Role, Ticket
from replyassist.testing import FakeHelpdesk, HelpdeskConformance, HelpdeskHarness

pytest_plugins = ["pytester"]

SECRET = "fake-s3cret-value"


class FakeHarness:
    """The harness for the fake: it is its own helpdesk side."""

    def __init__(self, fake: FakeHelpdesk) -> None:
        self.adapter = fake
        self.fake = fake
        self.secrets = (SECRET,)
        self.missing_ticket_id = "no-such-ticket"

    def create_ticket(self, ticket: Ticket) -> str:
        return self.fake.create_ticket(ticket.model_copy(update={"id": None}))

    def notes(self, ticket_id: str) -> Sequence[Message]:
        return self.fake.notes(ticket_id)

    def tags(self, ticket_id: str) -> Sequence[str]:
        return self.fake.tags(ticket_id)

    def add_article(
        self, title: str, body: str, *, locale: str = "en", updated_at: datetime | None = None
    ) -> str:
        return self.fake.add_article(title, body, locale=locale, updated_at=updated_at)

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
        return self.fake.webhook(
            ticket_id, kind, event_id, secret=secret, timestamp=timestamp, authenticated=authenticated
        )


class TestFakeHelpdeskConformance(HelpdeskConformance):
    channels = tuple(c for c in Channel if c is not Channel.UNKNOWN)

    @pytest.fixture
    def harness(self) -> HelpdeskHarness:
        return FakeHarness(FakeHelpdesk(SECRET))


@pytest.fixture
def fake() -> FakeHelpdesk:
    return FakeHelpdesk(SECRET)


def _draft() -> Draft:
    return Draft(decision=Decision.REPLY, text="Your refund is on its way.", channel=Channel.EMAIL)


def test_harness_satisfies_the_protocol(fake: FakeHelpdesk) -> None:
    assert isinstance(FakeHarness(fake), HelpdeskHarness)


def test_unknown_raw_channel_is_kept(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello", raw_channel="carrier_pigeon")
    ticket = fake.fetch_ticket(ticket_id)
    assert ticket.channel is Channel.UNKNOWN
    assert ticket.metadata["channel_raw"] == "carrier_pigeon"


def test_raw_channel_vocabulary_is_mapped(fake: FakeHelpdesk) -> None:
    assert fake.fetch_ticket(fake.create_ticket("Hi", raw_channel="native_messaging")).channel is Channel.CHAT


def test_fail_next_raises_the_core_errors_in_order(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello")
    fake.fail_next(1, status=429, retry_after=2.5)
    fake.fail_next(1, status=500)
    fake.fail_next(1, status=404)
    with pytest.raises(RateLimited) as limited:
        fake.fetch_ticket(ticket_id)
    assert (limited.value.status_code, limited.value.retry_after) == (429, 2.5)
    with pytest.raises(HelpdeskError) as failed:
        fake.fetch_ticket(ticket_id)
    assert failed.value.status_code == 500 and not isinstance(failed.value, RateLimited)
    with pytest.raises(TicketNotFound):
        fake.fetch_ticket(ticket_id)
    assert fake.fetch_ticket(ticket_id).id == ticket_id
    assert fake.calls["fetch_ticket"] == 4


def test_fail_next_on_one_method_leaves_the_others_alone(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello")
    fake.fail_next(status=503, on="post_note")
    fake.add_tags(ticket_id, ["a"])
    with pytest.raises(HelpdeskError):
        fake.post_note(ticket_id, _draft(), key="k1")
    assert fake.notes(ticket_id) == []
    assert fake.post_note(ticket_id, _draft(), key="k1").created


def test_failure_after_the_call_posts_once_when_retried(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello")
    fake.fail_next(status=502, on="post_note", after=True)
    with pytest.raises(HelpdeskError):
        fake.post_note(ticket_id, _draft(), key="job-9")
    retried = fake.post_note(ticket_id, _draft(), key="job-9")
    assert retried.created is False
    assert len(fake.notes(ticket_id)) == 1


def test_posted_note_joins_the_thread_as_a_private_agent_message(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello")
    fake.post_note(ticket_id, _draft(), key="k")
    last = fake.fetch_ticket(ticket_id).messages[-1]
    assert (last.author, last.public, find_note_key(last.text)) == (Role.AGENT, False, "k")


def test_post_note_with_the_same_key_from_many_threads_posts_one_note(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hello")
    start = threading.Barrier(16)
    refs = []

    def post() -> None:
        start.wait()
        refs.append(fake.post_note(ticket_id, _draft(), key="same-job"))

    threads = [threading.Thread(target=post) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake.notes(ticket_id)) == 1
    assert sum(ref.created for ref in refs) == 1
    assert len({ref.id for ref in refs}) == 1


def test_add_message_extends_the_thread(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("First")
    fake.add_message(ticket_id, "Second", author=Role.AGENT, public=False, author_name="Priya")
    messages = fake.fetch_ticket(ticket_id).messages
    assert [(m.text, m.author, m.public) for m in messages] == [
        ("First", Role.CUSTOMER, True),
        ("Second", Role.AGENT, False),
    ]
    assert messages[0].created_at is not None and messages[1].created_at is not None
    assert messages[0].created_at < messages[1].created_at


def test_control_surface_raises_ticket_not_found(fake: FakeHelpdesk) -> None:
    with pytest.raises(TicketNotFound):
        fake.add_message("nope", "x")
    with pytest.raises(TicketNotFound):
        fake.tags("nope")


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        ({"x-fake-signature": None}, "missing the X-Fake-Signature"),
        ({"x-fake-timestamp": None}, "missing the X-Fake-Timestamp"),
        ({"x-fake-timestamp": "yesterday"}, "not a number"),
    ],
)
def test_webhook_auth_errors_say_what_is_wrong(
    fake: FakeHelpdesk, tamper: dict[str, str | None], says: str
) -> None:
    request = fake.webhook(fake.create_ticket("Hi"))
    headers = {k: v for k, v in {**request.headers, **tamper}.items() if v is not None}
    with pytest.raises(WebhookAuthError, match=says):
        fake.verify_webhook(WebhookRequest(headers=headers, body=request.body))


def test_stale_and_wrong_secret_messages(fake: FakeHelpdesk) -> None:
    ticket_id = fake.create_ticket("Hi")
    with pytest.raises(WebhookAuthError, match="replay window"):
        fake.verify_webhook(fake.webhook(ticket_id, timestamp=0))
    with pytest.raises(WebhookAuthError, match="does not match") as wrong:
        fake.verify_webhook(fake.webhook(ticket_id, secret="guess"))
    assert SECRET not in str(wrong.value) and "guess" not in str(wrong.value)


def test_hand_made_body_signed_with_sign(fake: FakeHelpdesk) -> None:
    body = b'{"type": "comment_added", "ticket": {"id": 42}}'
    request = WebhookRequest(headers=fake.sign(body), body=body)
    fake.verify_webhook(request)
    event = fake.parse_webhook(request)
    assert (event.ticket_id, event.kind) == ("42", EventKind.COMMENT_ADDED)
    assert event.event_id == fake.parse_webhook(request).event_id  # derived from the body, stable


def test_unknown_event_type_is_other(fake: FakeHelpdesk) -> None:
    body = b'{"event_id": "e", "type": "ticket.merged", "ticket": {"id": "7"}}'
    assert fake.parse_webhook(WebhookRequest(headers={}, body=body)).kind is EventKind.OTHER


def test_from_settings_needs_the_secret() -> None:
    with pytest.raises(ConfigurationError, match="FAKE_HELPDESK_SECRET"):
        FakeHelpdesk.from_settings({})
    fake = FakeHelpdesk.from_settings({"FAKE_HELPDESK_SECRET": SECRET, "FAKE_HELPDESK_NAME": "acme"})
    assert fake.name == "acme"
    assert SECRET not in repr(fake)


def test_loads_through_the_helpdesk_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpdesk, "_registered", {})
    register_helpdesk("fake-registered", FakeHelpdesk.from_settings)
    adapter = load_helpdesk("fake-registered", {"FAKE_HELPDESK_SECRET": SECRET})
    assert isinstance(adapter, FakeHelpdesk)


def test_load_samples_seeds_tickets_and_articles(fake: FakeHelpdesk) -> None:
    ids = fake.load_samples()
    assert len(ids) == 28
    ticket = fake.fetch_ticket("48213")  # the sample's own id is kept
    assert ticket.customer.name == "Dana Whitfield"
    assert [m.public for m in ticket.messages].count(False) == 1
    assert len(list(fake.list_articles())) == 40


BROKEN_ADAPTER_TESTS = """
import pytest
from replyassist.testing import FakeHelpdesk, HelpdeskConformance
from test_harness import FakeHarness, SECRET


class CarelessHelpdesk(FakeHelpdesk):
    def fetch_ticket(self, ticket_id):
        ticket = super().fetch_ticket(ticket_id)
        return ticket.model_copy(update={"messages": [m for m in ticket.messages if m.public]})

    def post_note(self, ticket_id, draft, *, public=False, key=None):
        return super().post_note(ticket_id, draft, public=public, key=None)

    def add_tags(self, ticket_id, tags):
        self._tickets[ticket_id].tags[:] = list(tags)

    def list_articles(self, *, since=None):
        return super().list_articles()

    def verify_webhook(self, request):
        pass

    def __repr__(self):
        return f"CarelessHelpdesk(secret={SECRET!r})"


class TestCareless(HelpdeskConformance):
    @pytest.fixture
    def harness(self):
        return FakeHarness(CarelessHelpdesk(SECRET))
"""


def test_the_suite_catches_a_careless_adapter(pytester: pytest.Pytester) -> None:
    """The conformance tests can fail: each careless behaviour is caught by its test."""
    pytester.makepyfile(
        test_harness=Path(__file__).read_text(encoding="utf-8"), test_careless=BROKEN_ADAPTER_TESTS
    )
    _, _, failures = pytester.inline_run("test_careless.py", "-p", "no:cacheprovider").listoutcomes()
    failed = {report.nodeid.split("::")[-1] for report in failures}
    assert failed == {
        "test_repr_hides_secrets",
        "test_fetch_ticket_returns_the_whole_thread",
        "test_post_note_posts_a_private_note_with_the_draft_and_key",
        "test_post_note_is_idempotent_with_a_key",
        "test_post_note_with_another_key_posts_again",
        "test_add_tags_keeps_existing_and_does_not_duplicate",
        "test_list_articles_since_yields_only_newer",
        "test_verify_webhook_rejects_missing_auth",
        "test_verify_webhook_rejects_a_wrong_secret",
        "test_verify_webhook_rejects_an_altered_body",
        "test_verify_webhook_rejects_a_stale_timestamp",
    }
