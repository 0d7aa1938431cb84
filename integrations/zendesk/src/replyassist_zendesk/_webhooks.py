"""Zendesk webhook requests: the signature check and the two kinds of body Zendesk sends.

**Signature** (developer.zendesk.com, "Verifying webhook authenticity"):
``X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(key=signing secret, msg=timestamp + raw body))``
with ``X-Zendesk-Webhook-Signature-Timestamp`` the ISO-8601 UTC time it was signed. The secret
is used as its literal UTF-8 text. The comparison is constant-time and the timestamp must be
within the replay window of when the request arrived.

The current documentation and every public implementation found sign ``timestamp + body``; the
worked example of an older revision of the same page (secret ``HRkRd4…``, body
``{"say": "hello"}``) verifies only as ``body + timestamp``. Both orders are accepted, so that
neither reading of Zendesk's documentation drops real webhooks; a body can only be taken for
the other order if it began with a timestamp, which no JSON body does.

**Bodies.** An *event* webhook (subscribed to ``zen:event-type:ticket.*``) sends Zendesk's
envelope: ``{"type": "zen:event-type:ticket.comment_added", "id": "<uuid>", "subject":
"zen:ticket:123", "time": "…Z", "detail": {"id": "123", …}, "event": {…}}``. A webhook
*connected to a trigger* sends whatever JSON the trigger's action says; replyassist expects
(and ``replyassist-zendesk setup`` writes)::

    {"ticket_id": "{{ticket.id}}",
     "created_at": "{{ticket.created_at_with_timestamp}}",
     "updated_at": "{{ticket.updated_at_with_timestamp}}",
     "source": "replyassist-trigger"}

Only ``ticket_id`` is required. An optional ``"kind"`` (``ticket_created`` or
``comment_added``) says what happened; without it, ``created_at == updated_at`` means a new
ticket and anything else a new comment. Comment text is never read from a body: placeholders
are not JSON-escaped reliably and anyone who knows the URL can send a body, so the ticket is
always fetched again from the API.

**Event id** (what the service deduplicates on): the event's ``id``; else the trigger body's
``event_id``; else ``X-Zendesk-Webhook-Invocation-Id`` (Zendesk keeps it across retries of one
delivery); else a hash of the raw body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from replyassist import InvalidWebhookError, WebhookAuthError
from replyassist.helpdesk import EventKind, WebhookEvent, WebhookRequest

from replyassist_zendesk._mapping import parse_time

__all__ = [
    "INVOCATION_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TRIGGER_BODY",
    "WEBHOOK_ID_HEADER",
    "iso_timestamp",
    "parse_request",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION_HEADER = "X-Zendesk-Webhook-Invocation-Id"
WEBHOOK_ID_HEADER = "X-Zendesk-Webhook-Id"

TRIGGER_BODY = {
    "ticket_id": "{{ticket.id}}",
    "created_at": "{{ticket.created_at_with_timestamp}}",
    "updated_at": "{{ticket.updated_at_with_timestamp}}",
    "source": "replyassist-trigger",
}
"""The JSON body the trigger created by ``replyassist-zendesk setup`` sends."""

_EVENT_PREFIX = "zen:event-type:"
_EVENT_KINDS = {
    "ticket.created": EventKind.TICKET_CREATED,
    "ticket.comment_added": EventKind.COMMENT_ADDED,
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk sends for ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature(request: WebhookRequest, secret: SecretStr, *, replay_window: float) -> None:
    """Raise ``WebhookAuthError`` unless the request carries a fresh, valid Zendesk signature."""
    signature = request.header(SIGNATURE_HEADER)
    timestamp = request.header(TIMESTAMP_HEADER)
    missing = [
        name for name, value in ((SIGNATURE_HEADER, signature), (TIMESTAMP_HEADER, timestamp)) if not value
    ]
    if missing or signature is None or timestamp is None:
        raise WebhookAuthError(f"Zendesk webhook is missing the {' and '.join(missing)} header")
    signed_at = parse_time(timestamp.strip())
    if signed_at is None:
        raise WebhookAuthError(f"Zendesk webhook {TIMESTAMP_HEADER} is not an ISO-8601 time")
    if abs(request.received_at - signed_at.timestamp()) > replay_window:
        raise WebhookAuthError(
            f"Zendesk webhook was signed outside the {replay_window:g} s replay window (stale or replayed)"
        )
    key, given = secret.get_secret_value().encode(), signature.strip().encode()
    documented = sign(secret.get_secret_value(), timestamp, request.body).encode()
    legacy = base64.b64encode(hmac.new(key, request.body + timestamp.encode(), hashlib.sha256).digest())
    # Both compared, always, so the time taken does not say which order came close.
    matches = [hmac.compare_digest(documented, given), hmac.compare_digest(legacy, given)]
    if not any(matches):
        raise WebhookAuthError(
            "Zendesk webhook signature does not match (wrong signing secret or altered body)"
        )


def parse_request(request: WebhookRequest, *, helpdesk: str = "zendesk") -> WebhookEvent:
    """The ticket event a (verified) request carries; ``InvalidWebhookError`` when there is none."""
    try:
        body = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidWebhookError("Zendesk webhook body is not JSON") from None
    if not isinstance(body, dict) or not body:
        raise InvalidWebhookError("Zendesk webhook body is not a JSON object with a ticket")
    if str(body.get("type", "")).startswith(_EVENT_PREFIX):
        return _from_event(body, request, helpdesk)
    return _from_trigger(body, request, helpdesk)


def _from_event(body: dict[str, Any], request: WebhookRequest, helpdesk: str) -> WebhookEvent:
    event_type = str(body["type"]).removeprefix(_EVENT_PREFIX)
    if not event_type.startswith("ticket."):
        raise InvalidWebhookError(f"Zendesk event {event_type!r} is not about a ticket")
    detail = _object(body.get("detail"))
    subject = str(body.get("subject") or "")
    ticket_id = _ticket_id(detail.get("id") or subject.removeprefix("zen:ticket:"))
    comment = _object(_object(body.get("event")).get("comment"))
    data: dict[str, Any] = {"type": body["type"], "account_id": body.get("account_id")}
    if comment:
        # Ids and flags only: the comment's text is never taken from the body.
        data |= {"comment_id": _str_or_none(comment.get("id")), "is_public": comment.get("is_public")}
    return WebhookEvent(
        helpdesk=helpdesk,
        event_id=_event_id(body.get("id"), request),
        ticket_id=ticket_id,
        kind=_EVENT_KINDS.get(event_type, EventKind.TICKET_UPDATED),
        occurred_at=parse_time(body.get("time")),
        data=_with_delivery(data, request),
    )


def _from_trigger(body: dict[str, Any], request: WebhookRequest, helpdesk: str) -> WebhookEvent:
    ticket_id = _ticket_id(body.get("ticket_id", body.get("id")))
    created, updated = parse_time(body.get("created_at")), parse_time(body.get("updated_at"))
    kind_name = str(body.get("kind") or "").strip().lower()
    if kind_name:
        try:
            kind = EventKind(kind_name)
        except ValueError:
            raise InvalidWebhookError(f"Zendesk trigger body has an unknown kind {kind_name!r}") from None
    elif created is not None and created == updated:
        kind = EventKind.TICKET_CREATED
    else:
        kind = EventKind.COMMENT_ADDED
    return WebhookEvent(
        helpdesk=helpdesk,
        event_id=_event_id(body.get("event_id"), request),
        ticket_id=ticket_id,
        kind=kind,
        occurred_at=updated or created,
        data=_with_delivery({"type": "trigger", "source": _str_or_none(body.get("source"))}, request),
    )


def _ticket_id(value: object) -> str:
    ticket_id = str(value).strip() if value is not None else ""
    if not ticket_id.isdigit():
        raise InvalidWebhookError("Zendesk webhook body has no numeric ticket id")
    return ticket_id


def _event_id(value: object, request: WebhookRequest) -> str:
    if value not in (None, ""):
        return str(value)
    invocation = request.header(INVOCATION_HEADER)
    if invocation:
        return f"invocation:{invocation.strip()}"
    return "body:" + hashlib.sha256(request.body).hexdigest()[:40]


def _with_delivery(data: dict[str, Any], request: WebhookRequest) -> dict[str, Any]:
    for key, header in (("webhook_id", WEBHOOK_ID_HEADER), ("invocation_id", INVOCATION_HEADER)):
        if request.header(header):
            data[key] = request.header(header)
    return {k: v for k, v in data.items() if v is not None}


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def iso_timestamp(moment: float) -> str:
    """Epoch seconds as the ``2023-09-18T23:38:13Z`` form Zendesk signs."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
