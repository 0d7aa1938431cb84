"""Freshdesk automation webhooks: authenticate with a shared secret, read the ticket id, dedupe.

Freshdesk signs nothing it sends from an automation rule, so the rule itself must carry a
secret: a custom header ``X-Replyassist-Secret: <secret>`` (preferred), or "Requires
authentication" with any user name and the secret as password (HTTP Basic). Both are compared
in constant time. Only ``ticket_id`` is taken from the body; the ticket is fetched again.

The body the rule sends (``replyassist-freshdesk setup`` prints it) — placeholders render as
strings, and ``status``/``priority`` placeholders as labels, so none of them are trusted::

    {
      "ticket_id": "{{ticket.id}}",
      "event": "ticket_created",            # or "comment_added" / "ticket_updated", fixed per rule
      "triggered_event": "{{triggered_event}}",
      "updated_at": "{{ticket.updated_at}}"
    }

A body wrapped as ``{"freshdesk_webhook": {...}}`` (what many existing rules send) is read the
same way; without ``event``, ``triggered_event`` (e.g. ``{ticket_action:created}``) decides.

Deduplication: Freshdesk retries a failed delivery after 5, 30 and 60 minutes with the same
body, and sends no delivery id, so the event id is a hash of the body's canonical JSON: a retry
gets the same id; two different changes differ in ``updated_at``/``triggered_event``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from replyassist import EventKind, InvalidWebhookError, WebhookAuthError, WebhookEvent, WebhookRequest

__all__ = ["SECRET_HEADER", "expected_body", "parse_webhook", "verify_webhook"]

SECRET_HEADER = "X-Replyassist-Secret"

_EVENTS: Mapping[str, EventKind] = {
    "ticket_created": EventKind.TICKET_CREATED,
    "created": EventKind.TICKET_CREATED,
    "comment_added": EventKind.COMMENT_ADDED,
    "reply_sent": EventKind.COMMENT_ADDED,
    "customer_replied": EventKind.COMMENT_ADDED,
    "note_added": EventKind.COMMENT_ADDED,
    "ticket_updated": EventKind.TICKET_UPDATED,
    "updated": EventKind.TICKET_UPDATED,
}
_TICKET_ID = re.compile(r"^#?\s*(\d{1,20})$")


def expected_body(event: str) -> dict[str, str]:
    """The JSON body an automation rule should send for ``event`` (placeholders unrendered)."""
    return {
        "ticket_id": "{{ticket.id}}",
        "event": event,
        "triggered_event": "{{triggered_event}}",
        "updated_at": "{{ticket.updated_at}}",
    }


def verify_webhook(request: WebhookRequest, secret: SecretStr) -> None:
    """Accept the request only if it carries the shared secret (header, else Basic password)."""
    provided = request.header(SECRET_HEADER)
    if provided is None:
        provided = _basic_password(request.header("Authorization"))
    if provided is None:
        raise WebhookAuthError(
            f"webhook carries no {SECRET_HEADER} header and no basic-auth password; "
            "add the secret to the Freshdesk automation rule"
        )
    # Compare digests: constant time, and the secret's length is not revealed either.
    expected = hashlib.sha256(secret.get_secret_value().encode()).digest()
    if not hmac.compare_digest(hashlib.sha256(provided.strip().encode()).digest(), expected):
        raise WebhookAuthError("webhook secret does not match FRESHDESK_WEBHOOK_SECRET")


def parse_webhook(request: WebhookRequest, *, helpdesk: str) -> WebhookEvent:
    """The event in a verified request; ``InvalidWebhookError`` if it names no ticket."""
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidWebhookError(
            f"webhook body is not JSON ({exc.__class__.__name__}); set the rule's encoding to JSON"
        ) from None
    if not isinstance(body, dict):
        raise InvalidWebhookError("webhook body is not a JSON object")
    payload = body.get("freshdesk_webhook", body)
    if not isinstance(payload, dict):
        raise InvalidWebhookError("webhook body's freshdesk_webhook is not an object")
    ticket_id = _ticket_id(payload)
    event = _text(payload.get("event")).strip().lower()
    triggered = _text(payload.get("triggered_event"))
    kind = _EVENTS.get(event) or _kind_from_triggered(triggered)
    digest = hashlib.sha256(
        json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    data = {"event": event[:64]} if event else {}
    if triggered:
        data["triggered_event"] = triggered[:200]
    return WebhookEvent(
        helpdesk=helpdesk,
        event_id=f"fd-{ticket_id}-{digest[:32]}",
        ticket_id=ticket_id,
        kind=kind,
        occurred_at=_time(payload.get("triggered_at") or payload.get("updated_at")),
        data=data,
    )


def _ticket_id(payload: Mapping[str, Any]) -> str:
    raw = payload.get("ticket_id")
    if raw is None and isinstance(payload.get("ticket"), Mapping):
        raw = payload["ticket"].get("id")
    text = _text(raw).strip()
    if not text:
        raise InvalidWebhookError(
            'webhook body has no ticket_id; the rule must send "ticket_id": "{{ticket.id}}"'
        )
    if "{{" in text:
        raise InvalidWebhookError(
            "webhook ticket_id is an unrendered placeholder; use {{ticket.id}} exactly, in quotes"
        )
    match = _TICKET_ID.match(text)
    if match is None:
        raise InvalidWebhookError(f"webhook ticket_id {text[:40]!r} is not a Freshdesk ticket number")
    return match.group(1)


def _kind_from_triggered(triggered: str) -> EventKind:
    """Read ``{{triggered_event}}`` as Freshdesk renders it: ``{ticket_action:created}``, ``{note_type:public}``…"""
    text = triggered.replace(" ", "").lower()
    if "ticket_action:created" in text:
        return EventKind.TICKET_CREATED
    if any(marker in text for marker in ("reply_sent", "note_type:public", "customer_feedback")):
        return EventKind.COMMENT_ADDED
    if text.startswith("{") and ":" in text:
        return EventKind.TICKET_UPDATED
    return EventKind.OTHER


def _basic_password(header: str | None) -> str | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _user, sep, password = decoded.partition(":")
    return password if sep else None


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None  # Freshdesk may render dates for people ("Wed, 25 Nov…"): not needed to act
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
