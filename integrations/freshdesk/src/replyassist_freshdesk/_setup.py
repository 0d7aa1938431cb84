"""The automation rules that call the service, as JSON, as instructions, and created by API.

Freshdesk's Automations API (``/api/v2/automations/{type}/rules``; 1 = ticket creation,
4 = ticket updates) is public and documented, but the documentation does not spell out the
webhook action's fields. The shape used here (``field_name: "trigger_webhook"``,
``request_type``, ``url``, ``content_type``, ``content_layout: "2"`` for an advanced JSON body,
``custom_headers``, ``content``) is the one public integrations send; if an account refuses it,
:func:`create_rules` reports Freshdesk's validation message and the printed instructions
create the same rules by hand.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from replyassist import ConfigurationError, HelpdeskError

from replyassist_freshdesk._client import FreshdeskClient
from replyassist_freshdesk._webhook import SECRET_HEADER, expected_body

__all__ = [
    "RULE_PREFIX",
    "SECRET_PLACEHOLDER",
    "Rule",
    "create_rules",
    "instructions",
    "rules",
    "webhook_url",
]

RULE_PREFIX = "replyassist"
SECRET_PLACEHOLDER = "<FRESHDESK_WEBHOOK_SECRET>"
_ANY_TICKET = [
    {
        "name": "condition_set_1",
        "match_type": "any",
        # Every ticket has a priority 1-4, so this matches all tickets (conditions are mandatory).
        "properties": [
            {"resource_type": "ticket", "field_name": "priority", "operator": "in", "value": [1, 2, 3, 4]}
        ],
    }
]


@dataclass(frozen=True, slots=True)
class Rule:
    """One automation rule: its type (1 ticket creation, 4 ticket updates) and its JSON."""

    automation_type: int
    body: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.body["name"])


def webhook_url(service_url: str, *, allow_http: bool = False) -> str:
    """``<service>/webhooks/freshdesk``; the service must be public HTTPS (Freshdesk calls it)."""
    parts = urlsplit(service_url.strip())
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise ConfigurationError(
            f"the service URL must look like https://replyassist.example.com, not {service_url!r}"
        )
    if parts.scheme == "http" and not allow_http:
        raise ConfigurationError(
            "the service URL must use https: the webhook carries the shared secret (use --allow-http only for tests)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/webhooks/freshdesk"


def rules(url: str, secret: str = SECRET_PLACEHOLDER) -> list[Rule]:
    """The two rules: draft on a new ticket, and again when the customer replies."""
    created = Rule(
        1,
        {
            "name": f"{RULE_PREFIX}: draft a reply to new tickets",
            "active": True,
            "conditions": copy.deepcopy(_ANY_TICKET),
            "actions": [_webhook_action(url, secret, "ticket_created")],
        },
    )
    replied = Rule(
        4,
        {
            "name": f"{RULE_PREFIX}: draft a reply when the customer replies",
            "active": True,
            "performer": {"type": 2},  # the requester
            "events": [{"field_name": "reply_sent"}],
            "conditions": copy.deepcopy(_ANY_TICKET),
            "actions": [_webhook_action(url, secret, "comment_added")],
        },
    )
    return [created, replied]


def _webhook_action(url: str, secret: str, event: str) -> dict[str, Any]:
    return {
        "field_name": "trigger_webhook",
        "request_type": "POST",
        "url": url,
        "content_type": "JSON",
        "content_layout": "2",
        "custom_headers": {SECRET_HEADER: secret},
        "content": expected_body(event),
    }


def instructions(url: str) -> Iterator[str]:
    """Step-by-step lines for creating the rules in the admin UI."""
    yield "In Freshdesk: Admin → Workflows → Automations."
    for rule in rules(url):
        tab = "Ticket creation" if rule.automation_type == 1 else "Ticket updates"
        action = rule.body["actions"][0]
        yield ""
        yield f'{tab} → "New rule" → name it "{rule.name}".'
        if rule.automation_type == 4:
            yield '  When an action performed by: "Requester"; Involves any of these events: "Reply is sent".'
        yield "  On tickets with these properties: Priority is any of Low, Medium, High, Urgent."
        yield '  Action: "Trigger webhook" —'
        yield f"    Request type: POST; URL: {url}"
        yield f"    Custom headers: {SECRET_HEADER}: {SECRET_PLACEHOLDER} (the value of FRESHDESK_WEBHOOK_SECRET)"
        yield '    Encoding: JSON; Content: "Advanced", with this body:'
        yield "      " + _json(action["content"])
    yield ""
    yield 'Instead of the header you may tick "Requires authentication" with any user name and the secret as password.'


def create_rules(client: FreshdeskClient, url: str, secret: str) -> Iterator[str]:
    """Create the rules that do not exist yet (matched by name); one line per rule."""
    for rule in rules(url, secret):
        path = f"automations/{rule.automation_type}/rules"
        existing = client.get_json(path)
        listed = existing.get("rules", []) if isinstance(existing, dict) else existing
        match = next((r for r in listed or [] if isinstance(r, dict) and r.get("name") == rule.name), None)
        if match is not None:
            yield f"exists:  {rule.name} (id {match.get('id')})"
            continue
        try:
            made = client.post_json(path, rule.body)
        except HelpdeskError as exc:
            if exc.status_code != 400:
                raise
            yield f"refused: {rule.name}: {exc} — create it by hand (see the instructions)"
            continue
        yield f"created: {rule.name} (id {made.get('id') if isinstance(made, dict) else '?'})"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
