"""Webhook signatures and bodies: event webhooks and the trigger body, as Zendesk sends them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from replyassist import InvalidWebhookError, WebhookAuthError
from replyassist.helpdesk import EventKind, WebhookRequest

from fake_zendesk import WEBHOOK_SECRET, FakeZendesk
from replyassist_zendesk import ZendeskAdapter, ZendeskSettings, sign

# The worked example of Zendesk's "Verifying webhook authenticity" page (older revision).
DOC_SECRET = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
DOC_BODY = b'{"say": "hello"}'
DOC_TIMESTAMP = "2021-07-25T10:00:00Z"
DOC_SIGNATURE = "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="


def _adapter(secret: str = WEBHOOK_SECRET, window: float = 300.0) -> ZendeskAdapter:
    return ZendeskAdapter(
        ZendeskSettings(
            subdomain="acme",
            email="bot@acme.test",
            api_token="t0ken",
            webhook_secret=secret,
            replay_window=window,
        )
    )


@pytest.fixture
def signer(fake_zendesk: FakeZendesk) -> FakeZendesk:
    """The fake plays Zendesk signing its deliveries."""
    return fake_zendesk


# --- signature --------------------------------------------------------------------------------------


def test_a_valid_signature_is_accepted(signer: FakeZendesk) -> None:
    _adapter().verify_webhook(signer.event_request("12", secret=WEBHOOK_SECRET))


def test_the_documented_example_verifies() -> None:
    request = WebhookRequest(
        headers={
            "X-Zendesk-Webhook-Signature": DOC_SIGNATURE,
            "X-Zendesk-Webhook-Signature-Timestamp": DOC_TIMESTAMP,
        },
        body=DOC_BODY,
        received_at=datetime(2021, 7, 25, 10, 0, 30, tzinfo=UTC).timestamp(),
    )
    _adapter(DOC_SECRET).verify_webhook(request)
    # The example is the one case signed body-then-timestamp; what the docs describe (and sign()
    # does) is timestamp-then-body, so the two differ:
    assert sign(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY) != DOC_SIGNATURE


def test_the_documented_example_fails_with_another_secret() -> None:
    request = WebhookRequest(
        headers={
            "X-Zendesk-Webhook-Signature": DOC_SIGNATURE,
            "X-Zendesk-Webhook-Signature-Timestamp": DOC_TIMESTAMP,
        },
        body=DOC_BODY,
        received_at=datetime(2021, 7, 25, 10, 0, 30, tzinfo=UTC).timestamp(),
    )
    with pytest.raises(WebhookAuthError, match="does not match"):
        _adapter(WEBHOOK_SECRET).verify_webhook(request)


def test_a_wrong_secret_is_refused_without_saying_the_secret(signer: FakeZendesk) -> None:
    request = signer.event_request("12", secret="someone-elses-secret")
    with pytest.raises(WebhookAuthError) as raised:
        _adapter().verify_webhook(request)
    assert WEBHOOK_SECRET not in str(raised.value)
    assert request.header("X-Zendesk-Webhook-Signature") not in str(raised.value)


def test_an_altered_body_is_refused(signer: FakeZendesk) -> None:
    request = signer.event_request("12", secret=WEBHOOK_SECRET)
    with pytest.raises(WebhookAuthError):
        _adapter().verify_webhook(replace(request, body=request.body.replace(b'"12"', b'"13"')))


def test_a_stale_timestamp_is_refused_even_when_correctly_signed(signer: FakeZendesk) -> None:
    request = signer.event_request("12", secret=WEBHOOK_SECRET, timestamp=datetime.now(UTC).timestamp() - 301)
    with pytest.raises(WebhookAuthError, match="replay window"):
        _adapter().verify_webhook(request)


def test_a_timestamp_from_the_future_is_refused(signer: FakeZendesk) -> None:
    request = signer.event_request(
        "12", secret=WEBHOOK_SECRET, timestamp=datetime.now(UTC).timestamp() + 3600
    )
    with pytest.raises(WebhookAuthError, match="replay window"):
        _adapter().verify_webhook(request)


def test_the_replay_window_is_a_setting(signer: FakeZendesk) -> None:
    request = signer.event_request("12", secret=WEBHOOK_SECRET, timestamp=datetime.now(UTC).timestamp() - 600)
    _adapter(window=900).verify_webhook(request)


@pytest.mark.parametrize(
    "dropped", ["X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp", "both"]
)
def test_missing_headers_are_refused(signer: FakeZendesk, dropped: str) -> None:
    request = signer.event_request("12", secret=WEBHOOK_SECRET)
    names = (
        {"x-zendesk-webhook-signature", "x-zendesk-webhook-signature-timestamp"}
        if dropped == "both"
        else {dropped.lower()}
    )
    headers = {k: v for k, v in request.headers.items() if k not in names}
    with pytest.raises(WebhookAuthError, match="missing"):
        _adapter().verify_webhook(replace(request, headers=headers))


def test_a_malformed_timestamp_is_refused(signer: FakeZendesk) -> None:
    request = signer.event_request("12", secret=WEBHOOK_SECRET)
    headers = {**request.headers, "x-zendesk-webhook-signature-timestamp": "yesterday"}
    with pytest.raises(WebhookAuthError, match="ISO-8601"):
        _adapter().verify_webhook(replace(request, headers=headers))


def test_without_a_configured_secret_nothing_is_accepted(signer: FakeZendesk) -> None:
    adapter = ZendeskAdapter(ZendeskSettings(subdomain="acme", oauth_token="oauth"))
    with pytest.raises(WebhookAuthError, match="ZENDESK_WEBHOOK_SECRET"):
        adapter.verify_webhook(signer.event_request("12", secret=WEBHOOK_SECRET))


# --- event webhooks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (EventKind.TICKET_CREATED, EventKind.TICKET_CREATED),
        (EventKind.COMMENT_ADDED, EventKind.COMMENT_ADDED),
        (EventKind.TICKET_UPDATED, EventKind.TICKET_UPDATED),
    ],
)
def test_event_webhooks_give_ticket_kind_and_event_id(
    signer: FakeZendesk, kind: EventKind, expected: EventKind
) -> None:
    request = signer.event_request(
        "4016", kind, "b3695d61-2ef4-4e9c-97af-1f065c099564", secret=WEBHOOK_SECRET
    )
    event = _adapter().parse_webhook(request)
    assert (event.helpdesk, event.ticket_id, event.kind) == ("zendesk", "4016", expected)
    assert event.event_id == "b3695d61-2ef4-4e9c-97af-1f065c099564"
    assert event.occurred_at is not None


def test_comment_text_from_the_body_is_never_kept(signer: FakeZendesk) -> None:
    request = signer.event_request("4016", EventKind.COMMENT_ADDED, secret=WEBHOOK_SECRET)
    assert b"ignore previous instructions" in request.body
    event = _adapter().parse_webhook(request)
    assert "ignore previous instructions" not in json.dumps(dict(event.data))
    assert event.data["comment_id"] == "1"


def test_the_recorded_non_ticket_event_is_refused_as_not_a_ticket() -> None:
    # The payload Zendesk sent in zenpy's recording (TestWebhooks invocation attempts).
    body = (
        b'{"account_id": 18525119, "detail": {"id": "6164069643162", "role": "end-user"}, "event": {},'
        b' "id": "b3695d61-2ef4-4e9c-97af-1f065c099564", "subject": "zen:user:6164069643162",'
        b' "time": "2023-09-18T23:30:03Z", "type": "zen:event-type:user.deleted", "zendesk_event_version": "2022-11-06"}'
    )
    with pytest.raises(InvalidWebhookError, match="not about a ticket"):
        _adapter().parse_webhook(WebhookRequest(headers={}, body=body))


# --- trigger bodies ------------------------------------------------------------------------------


def _trigger(body: dict[str, object], invocation: str | None = None) -> WebhookRequest:
    headers = {"X-Zendesk-Webhook-Invocation-Id": invocation} if invocation else {}
    return WebhookRequest(headers=headers, body=json.dumps(body).encode())


def test_a_trigger_body_for_a_new_ticket() -> None:
    stamp = "2024-09-06T18:52:11Z"
    event = _adapter().parse_webhook(_trigger({"ticket_id": "33", "created_at": stamp, "updated_at": stamp}))
    assert (event.ticket_id, event.kind) == ("33", EventKind.TICKET_CREATED)


def test_a_trigger_body_for_a_later_update_is_a_comment() -> None:
    body = {"ticket_id": 33, "created_at": "2024-09-06T18:52:11Z", "updated_at": "2024-09-07T08:00:00Z"}
    assert _adapter().parse_webhook(_trigger(body)).kind is EventKind.COMMENT_ADDED


def test_a_trigger_body_may_say_its_kind() -> None:
    event = _adapter().parse_webhook(_trigger({"ticket_id": "33", "kind": "ticket_created"}))
    assert event.kind is EventKind.TICKET_CREATED
    with pytest.raises(InvalidWebhookError, match="unknown kind"):
        _adapter().parse_webhook(_trigger({"ticket_id": "33", "kind": "exploded"}))


def test_trigger_event_ids_come_from_the_invocation_header_then_the_body() -> None:
    body = {"ticket_id": "33", "updated_at": "2024-09-07T08:00:00Z"}
    adapter = _adapter()
    by_invocation = adapter.parse_webhook(_trigger(body, invocation="01HANA2B5D5W9XSJS3NE5SQA1J"))
    assert by_invocation.event_id == "invocation:01HANA2B5D5W9XSJS3NE5SQA1J"
    derived = {adapter.parse_webhook(_trigger(body)).event_id for _ in range(3)}
    assert len(derived) == 1 and derived.pop().startswith("body:")
    later = adapter.parse_webhook(_trigger({**body, "updated_at": "2024-09-07T09:00:00Z"}))
    assert later.event_id != by_invocation.event_id
    assert adapter.parse_webhook(_trigger({**body, "event_id": "e-1"})).event_id == "e-1"


@pytest.mark.parametrize(
    "body",
    [
        {"ticket_id": ""},
        {"ticket_id": "{{ticket.id}}"},
        {"ticket_id": "12; DROP"},
        {"subject": "hello"},
        {"ticket_id": None},
    ],
)
def test_a_trigger_body_without_a_numeric_ticket_id_is_invalid(body: dict[str, object]) -> None:
    with pytest.raises(InvalidWebhookError):
        _adapter().parse_webhook(_trigger(body))


def test_a_signed_trigger_delivery_verifies_and_parses(signer: FakeZendesk) -> None:
    request = signer.trigger_request(
        {"ticket_id": "7", "source": "replyassist-trigger"},
        secret=WEBHOOK_SECRET,
        invocation_id="01HANAGBRA3A457JDFBRZY3BJY",
    )
    adapter = _adapter()
    adapter.verify_webhook(request)
    event = adapter.parse_webhook(request)
    assert (event.ticket_id, event.event_id) == ("7", "invocation:01HANAGBRA3A457JDFBRZY3BJY")
    assert event.data["invocation_id"] == "01HANAGBRA3A457JDFBRZY3BJY"
