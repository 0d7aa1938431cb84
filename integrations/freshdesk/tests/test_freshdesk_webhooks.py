"""Webhooks: the shared secret (header or basic auth), the body, and a stable event id."""

from __future__ import annotations

import base64
import json

import pytest
from replyassist import EventKind, InvalidWebhookError, WebhookAuthError, WebhookRequest

from replyassist_freshdesk import SECRET_HEADER, FreshdeskAdapter, expected_body

SECRET = "a-long-shared-webhook-secret"


def _request(body: object, **headers: str) -> WebhookRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookRequest(
        headers={"Content-Type": "application/json", **headers}, body=raw, path="/webhooks/freshdesk"
    )


def _rendered(event: str = "ticket_created", ticket_id: str = "42", **extra: str) -> dict[str, str]:
    """The documented body as Freshdesk renders it: every placeholder a string."""
    body = expected_body(event)
    body.update(
        ticket_id=ticket_id, triggered_event="{ticket_action:created}", updated_at="2026-11-25T21:40:00Z"
    )
    body.update(extra)
    return body


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- authentication --------------------------------------------------------------------------------


def test_right_secret_in_the_header_is_accepted(adapter: FreshdeskAdapter) -> None:
    adapter.verify_webhook(_request(_rendered(), **{SECRET_HEADER: SECRET}))
    adapter.verify_webhook(_request(_rendered(), **{SECRET_HEADER.lower(): f" {SECRET} "}))


def test_right_secret_as_basic_auth_password_is_accepted(adapter: FreshdeskAdapter) -> None:
    adapter.verify_webhook(_request(_rendered(), Authorization=_basic("replyassist", SECRET)))


@pytest.mark.parametrize(
    "headers",
    [
        {SECRET_HEADER: "a-long-shared-webhook-secreT"},
        {SECRET_HEADER: ""},
        {"Authorization": _basic("replyassist", "wrong-password-here")},
        {"Authorization": _basic(SECRET, "")},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": f"Bearer {SECRET}"},
    ],
)
def test_wrong_secret_is_refused(adapter: FreshdeskAdapter, headers: dict[str, str]) -> None:
    with pytest.raises(WebhookAuthError) as caught:
        adapter.verify_webhook(_request(_rendered(), **headers))
    assert SECRET not in str(caught.value)


def test_missing_secret_is_refused_and_says_what_to_add(adapter: FreshdeskAdapter) -> None:
    with pytest.raises(WebhookAuthError, match=SECRET_HEADER):
        adapter.verify_webhook(_request(_rendered()))


# --- the body --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("ticket_created", EventKind.TICKET_CREATED),
        ("comment_added", EventKind.COMMENT_ADDED),
        ("ticket_updated", EventKind.TICKET_UPDATED),
        ("something_else", EventKind.TICKET_CREATED),  # falls back to {{triggered_event}}
    ],
)
def test_documented_body(adapter: FreshdeskAdapter, event: str, kind: EventKind) -> None:
    parsed = adapter.parse_webhook(_request(_rendered(event)))

    assert (parsed.helpdesk, parsed.ticket_id, parsed.kind) == ("freshdesk", "42", kind)
    assert parsed.occurred_at is not None and parsed.occurred_at.isoformat() == "2026-11-25T21:40:00+00:00"
    assert parsed.data["triggered_event"] == "{ticket_action:created}"


@pytest.mark.parametrize(
    ("triggered", "kind"),
    [
        ("{ticket_action:created}", EventKind.TICKET_CREATED),
        ("{note_type:public}", EventKind.COMMENT_ADDED),
        ("{reply_sent:sent}", EventKind.COMMENT_ADDED),
        ("{status:{from:4,to:6}}", EventKind.TICKET_UPDATED),
        ("", EventKind.OTHER),
    ],
)
def test_wrapped_body_without_event_uses_triggered_event(
    adapter: FreshdeskAdapter, triggered: str, kind: EventKind
) -> None:
    body = {
        "freshdesk_webhook": {"ticket_id": "#7", "ticket_status": "Pending", "triggered_event": triggered}
    }

    parsed = adapter.parse_webhook(_request(body))

    assert (parsed.ticket_id, parsed.kind) == ("7", kind)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"ticket_id=42", "not JSON"),
        ([1, 2], "not a JSON object"),
        ({"event": "ticket_created"}, "no ticket_id"),
        ({"ticket_id": "{{ticket.id}}"}, "unrendered placeholder"),
        ({"ticket_id": "forty-two"}, "not a Freshdesk ticket number"),
        ({"freshdesk_webhook": "x"}, "not an object"),
    ],
)
def test_unusable_bodies_are_invalid(adapter: FreshdeskAdapter, body: object, message: str) -> None:
    with pytest.raises(InvalidWebhookError, match=message):
        adapter.parse_webhook(_request(body))


def test_a_retried_delivery_gets_the_same_event_id(adapter: FreshdeskAdapter) -> None:
    body = _rendered("comment_added")
    first = adapter.parse_webhook(_request(body))
    # A retry 5, 30 or 60 minutes later: same body, possibly serialised differently.
    retry = adapter.parse_webhook(_request(json.dumps(dict(reversed(body.items())), indent=2).encode()))

    assert retry.event_id == first.event_id
    assert first.event_id.startswith("fd-42-")


def test_different_changes_get_different_event_ids(adapter: FreshdeskAdapter) -> None:
    ids = {
        adapter.parse_webhook(_request(body)).event_id
        for body in (
            _rendered("comment_added"),
            _rendered("comment_added", updated_at="2026-11-25T21:45:00Z"),
            _rendered("ticket_created"),
            _rendered("comment_added", ticket_id="43"),
        )
    }
    assert len(ids) == 4


def test_customer_text_is_not_kept_in_the_event(adapter: FreshdeskAdapter) -> None:
    body = _rendered(ticket_latest_public_comment="Ana : <div>my card number is 4111…</div>")

    parsed = adapter.parse_webhook(_request(body))

    assert "4111" not in json.dumps(dict(parsed.data))
