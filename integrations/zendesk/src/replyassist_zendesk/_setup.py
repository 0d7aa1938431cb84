"""Admin set-up: the webhook that calls the replyassist service, its signing secret, and the trigger.

Idempotent: things are found by name (webhook ``replyassist``, trigger ``replyassist: draft
replies``), created when missing, updated when they differ from what replyassist needs, and
left alone otherwise. A dry run only reads.

The trigger fires on every new ticket and every public comment of an open ticket, and sends
:data:`~replyassist_zendesk._webhooks.TRIGGER_BODY`. Comments by agents fire it too; the
service fetches the ticket and skips it when the last message is not the customer's. The
note replyassist posts is private and the tags it adds carry no comment, so its own writes
never fire the trigger again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr
from replyassist import ConfigurationError
from zenpy.lib.api_objects import Trigger, Webhook

from replyassist_zendesk._adapter import ZendeskAdapter
from replyassist_zendesk._client import translating
from replyassist_zendesk._webhooks import TRIGGER_BODY

__all__ = [
    "TRIGGER_TITLE",
    "WEBHOOK_NAME",
    "SetupResult",
    "SetupStep",
    "desired_trigger",
    "desired_webhook",
    "run_setup",
]

WEBHOOK_NAME = "replyassist"
TRIGGER_TITLE = "replyassist: draft replies"


@dataclass(frozen=True)
class SetupStep:
    """One thing set-up did (or, in a dry run, would do)."""

    target: str
    """``webhook``, ``signing secret`` or ``trigger``."""
    action: str
    """``create``, ``update``, ``unchanged`` or ``read``."""
    detail: str

    def describe(self, *, dry_run: bool) -> str:
        verb = {"create": "would create", "update": "would update", "read": "would read"}.get(self.action)
        shown = (
            verb
            if dry_run and verb
            else {"create": "created", "update": "updated", "read": "read"}.get(self.action, self.action)
        )
        return f"{self.target}: {shown} — {self.detail}"


@dataclass
class SetupResult:
    dry_run: bool
    steps: list[SetupStep] = field(default_factory=list)
    webhook_id: str | None = None
    trigger_id: str | None = None
    signing_secret: SecretStr | None = None

    def lines(self) -> list[str]:
        return [step.describe(dry_run=self.dry_run) for step in self.steps]


def desired_webhook(url: str) -> dict[str, Any]:
    """The webhook replyassist needs: a POST of JSON to the service, connected to triggers."""
    return {
        "name": WEBHOOK_NAME,
        "description": "Sends new tickets and customer replies to replyassist, which drafts a reply.",
        "endpoint": url,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["conditional_ticket_events"],
    }


def desired_trigger(webhook_id: str) -> dict[str, Any]:
    """The trigger that calls the webhook on a new ticket or a public comment of an unsolved ticket."""
    return {
        "title": TRIGGER_TITLE,
        "description": "Created by `replyassist-zendesk setup`: asks replyassist for a draft reply.",
        "active": True,
        "conditions": {
            "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
            "any": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "comment_is_public", "operator": "is", "value": "true"},
            ],
        },
        "actions": [
            {"field": "notification_webhook", "value": [webhook_id, json.dumps(TRIGGER_BODY, indent=2)]}
        ],
    }


def run_setup(adapter: ZendeskAdapter, url: str, *, dry_run: bool = False) -> SetupResult:
    """Create or update the webhook and the trigger; fetch the webhook's signing secret.

    Args:
        adapter: an adapter for the account (its webhook secret may be unset).
        url: the replyassist service's webhook URL, e.g. ``https://replyassist.example.com/webhooks/zendesk``.
        dry_run: only read, and say what would change.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"the webhook URL must be an http(s) URL, got {url!r}")
    result = SetupResult(dry_run=dry_run)
    z = adapter.zenpy
    _webhook(z, url, result)
    if result.webhook_id is not None and not dry_run:
        with translating("read the webhook's signing secret"):
            secret = z.webhooks.show_secret(result.webhook_id).to_dict()
        value = secret.get("secret") or (secret.get("signing_secret") or {}).get("secret")
        if value:
            result.signing_secret = SecretStr(str(value))
            result.steps.append(SetupStep("signing secret", "read", "set it as ZENDESK_WEBHOOK_SECRET"))
    elif dry_run:
        result.steps.append(
            SetupStep(
                "signing secret",
                "read",
                "would be read once the webhook exists (set it as ZENDESK_WEBHOOK_SECRET)",
            )
        )
    _trigger(z, result.webhook_id or "<new webhook id>", result)
    return result


def _webhook(z: Any, url: str, result: SetupResult) -> None:
    want = desired_webhook(url)
    with translating("list webhooks"):
        found = [w.to_dict() for w in z.webhooks.list(filter=WEBHOOK_NAME)]
    current = next((w for w in found if w.get("name") == WEBHOOK_NAME), None)
    if current is None:
        detail = f"POST {url}"
        if not result.dry_run:
            with translating("create the webhook"):
                created = z.webhooks.create(Webhook(**want)).to_dict()
            result.webhook_id = str(created["id"])
            detail += f" (id {result.webhook_id})"
        result.steps.append(SetupStep("webhook", "create", detail))
        return
    result.webhook_id = str(current["id"])
    differs = sorted(k for k, v in want.items() if current.get(k) != v)
    if not differs:
        result.steps.append(SetupStep("webhook", "unchanged", f"{current['id']} already posts to {url}"))
        return
    if not result.dry_run:
        with translating("update the webhook"):
            z.webhooks.update(result.webhook_id, Webhook(**want))
    result.steps.append(SetupStep("webhook", "update", f"{current['id']}: {', '.join(differs)}"))


def _trigger(z: Any, webhook_id: str, result: SetupResult) -> None:
    want = desired_trigger(webhook_id)
    with translating("list triggers"):
        current = next((t for t in z.triggers() if getattr(t, "title", None) == TRIGGER_TITLE), None)
    if current is None:
        detail = "on new tickets and public comments of unsolved tickets"
        if not result.dry_run:
            with translating("create the trigger"):
                created = z.triggers.create(Trigger(**want)).to_dict()
            result.trigger_id = str(created["id"])
            detail += f" (id {result.trigger_id})"
        result.steps.append(SetupStep("trigger", "create", detail))
        return
    have = current.to_dict()
    result.trigger_id = str(have["id"])
    differs = sorted(k for k, v in want.items() if _normalised(k, have.get(k)) != _normalised(k, v))
    if not differs:
        result.steps.append(SetupStep("trigger", "unchanged", f"{have['id']} already calls the webhook"))
        return
    if not result.dry_run:
        for name in differs:
            setattr(current, name, want[name])
        with translating("update the trigger"):
            z.triggers.update(current)
    result.steps.append(SetupStep("trigger", "update", f"{have['id']}: {', '.join(differs)}"))


def _normalised(key: str, value: Any) -> Any:
    if key == "conditions" and isinstance(value, dict):
        return {"all": value.get("all") or [], "any": value.get("any") or []}
    return value
