"""The HTTP side of :mod:`fake_zendesk`: routes of the Support and Help Center APIs, as JSON."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from replyassist_zendesk._webhooks import iso_timestamp

if TYPE_CHECKING:
    from fake_zendesk import FakeZendesk


def iso(moment: datetime | float | None = None) -> str:
    """A time (default now) as Zendesk writes it: ``2023-09-18T23:38:13Z``."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return iso_timestamp(time.time() if moment is None else moment)


def make_handler(fake: FakeZendesk) -> type[BaseHTTPRequestHandler]:
    routes = _Routes(fake)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, payload = routes.handle(self.command, self.path, dict(self.headers), raw)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


Answer = tuple[int, dict[str, str], Any]


class _Routes:
    def __init__(self, fake: FakeZendesk) -> None:
        self.fake = fake
        self.table: list[tuple[str, re.Pattern[str], Any]] = [
            ("GET", re.compile(r"/api/v2/tickets/(\d+)\.json"), self.get_ticket),
            ("PUT", re.compile(r"/api/v2/tickets/(\d+)\.json"), self.update_ticket),
            ("GET", re.compile(r"/api/v2/tickets/(\d+)/comments\.json"), self.list_comments),
            ("PUT", re.compile(r"/api/v2/tickets/(\d+)/tags\.json"), self.add_tags),
            ("GET", re.compile(r"/api/v2/users/show_many\.json"), self.show_users),
            ("GET", re.compile(r"/api/v2/users/(\d+)\.json"), self.get_user),
            ("GET", re.compile(r"/api/v2/help_center/articles\.json"), self.list_articles),
            (
                "GET",
                re.compile(r"/api/v2/help_center/articles/(\d+)/translations\.json"),
                self.list_translations,
            ),
            ("GET", re.compile(r"/api/v2/webhooks"), self.list_webhooks),
            ("POST", re.compile(r"/api/v2/webhooks"), self.create_webhook),
            ("GET", re.compile(r"/api/v2/webhooks/([A-Z0-9]+)/signing_secret"), self.webhook_secret),
            ("GET", re.compile(r"/api/v2/webhooks/([A-Z0-9]+)"), self.get_webhook),
            ("PUT", re.compile(r"/api/v2/webhooks/([A-Z0-9]+)"), self.update_webhook),
            ("GET", re.compile(r"/api/v2/triggers\.json"), self.list_triggers),
            ("POST", re.compile(r"/api/v2/triggers\.json"), self.create_trigger),
            ("PUT", re.compile(r"/api/v2/triggers/(\d+)\.json"), self.update_trigger),
        ]

    # -- plumbing --

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        fake = self.fake
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with fake.lock:
            fake.log.append((method, target))
        limits = {
            "x-rate-limit": "700",
            "x-rate-limit-remaining": "650",
            "ratelimit-limit": "700",
            "ratelimit-remaining": "650",
            "ratelimit-reset": "37",
            "x-zendesk-api-version": "v2",
        }
        if not self._authorized(headers):
            return 401, limits, {"error": "Couldn't authenticate you"}
        failure = fake.take_failure(method, parts.path)
        if failure is not None:
            extra = dict(limits)
            if failure.retry_after is not None:
                extra["Retry-After"] = failure.retry_after
            return failure.status, extra, dict(failure.body or _error_body(failure.status))
        body = json.loads(raw) if raw else {}
        for verb, pattern, route in self.table:
            match = pattern.fullmatch(parts.path)
            if verb == method and match:
                status, extra, payload = route(*match.groups(), query=query, body=body)
                return status, {**limits, **extra}, payload
        return 404, limits, {"error": "InvalidEndpoint", "description": "Not found"}

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        fake = self.fake
        if fake.oauth_token and value == f"Bearer {fake.oauth_token}":
            return True
        if fake.token and value.startswith("Basic "):
            expected = f"{fake.email}/token:{fake.token}".encode()
            return base64.b64decode(value[6:]) == expected
        return False

    def _page(self, items: list[dict[str, Any]], key: str, path: str, query: Mapping[str, str]) -> Answer:
        """One cursor page of ``items`` (``meta`` + ``links``, as the recordings show)."""
        size = min(int(query.get("page[size]", 100)), self.fake.page_size)
        start = int(base64.b64decode(query["page[after]"]).decode()) if "page[after]" in query else 0
        chunk = items[start : start + size]
        has_more = start + size < len(items)
        after = base64.b64encode(str(start + size).encode()).decode()
        keep = {k: v for k, v in query.items() if not k.startswith("page[")}
        links = {"prev": None, "next": None}
        if has_more:
            links["next"] = (
                f"{self.fake.url}{path}?{urlencode({**keep, 'page[after]': after, 'page[size]': size})}"
            )
        meta = {"has_more": has_more, "after_cursor": after, "before_cursor": None}
        return 200, {}, {key: chunk, "meta": meta, "links": links}

    def _ticket(self, ticket_id: str) -> dict[str, Any] | None:
        return self.fake.tickets.get(int(ticket_id))

    def _per_ticket(self, ticket_id: int) -> dict[str, str]:
        used = self.fake.updates[ticket_id] = self.fake.updates.get(ticket_id, 0) + 1
        total = self.fake.per_ticket_updates
        remaining = max(0, total - used)
        return {"zendesk-ratelimit-per-ticket-updates": f"total={total}; remaining={remaining}; resets=468"}

    # -- tickets --

    def get_ticket(self, ticket_id: str, **_: Any) -> Answer:
        with self.fake.lock:
            ticket = self._ticket(ticket_id)
            return (200, {}, {"ticket": dict(ticket)}) if ticket else _not_found()

    def update_ticket(self, ticket_id: str, *, body: Mapping[str, Any], **_: Any) -> Answer:
        fake = self.fake
        with fake.lock:
            ticket = self._ticket(ticket_id)
            if ticket is None:
                return _not_found()
            change = dict(body.get("ticket") or {})
            events: list[dict[str, Any]] = []
            comment = change.pop("comment", None)
            if comment:
                html = comment.get("html_body")
                text = comment.get("body") or re.sub(r"<[^>]+>", "\n", html or "").strip()
                made = fake.add_comment(
                    int(ticket_id),
                    text,
                    author_id=fake.api_user_id,
                    public=bool(comment.get("public", True)),
                    html_body=html,
                    channel="api",
                )
                events.append(
                    {k: made[k] for k in ("id", "type", "author_id", "body", "html_body", "public")}
                )
            for name in ("status", "priority", "subject"):
                if name in change:
                    ticket[name] = change[name]
            ticket["updated_at"] = iso()
            audit = {
                "id": fake.next_id(),
                "ticket_id": ticket["id"],
                "created_at": ticket["updated_at"],
                "author_id": fake.api_user_id,
                "events": events,
                "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            }
            return 200, self._per_ticket(int(ticket_id)), {"ticket": dict(ticket), "audit": audit}

    def list_comments(self, ticket_id: str, *, query: Mapping[str, str], **_: Any) -> Answer:
        with self.fake.lock:
            if self._ticket(ticket_id) is None:
                return _not_found()
            items = [dict(c) for c in self.fake.comment_store[int(ticket_id)]]
        return self._page(items, "comments", f"/api/v2/tickets/{ticket_id}/comments.json", query)

    def add_tags(self, ticket_id: str, *, body: Mapping[str, Any], **_: Any) -> Answer:
        with self.fake.lock:
            ticket = self._ticket(ticket_id)
            if ticket is None:
                return _not_found()
            ticket["tags"] = list(dict.fromkeys([*ticket["tags"], *body.get("tags", [])]))
            ticket["updated_at"] = iso()
            return 200, self._per_ticket(int(ticket_id)), {"tags": list(ticket["tags"])}

    # -- users --

    def show_users(self, *, query: Mapping[str, str], **_: Any) -> Answer:
        ids = [int(i) for i in query.get("ids", "").split(",") if i]
        with self.fake.lock:
            return 200, {}, {"users": [dict(self.fake.users[i]) for i in ids if i in self.fake.users]}

    def get_user(self, user_id: str, **_: Any) -> Answer:
        with self.fake.lock:
            user = self.fake.users.get(int(user_id))
            return (200, {}, {"user": dict(user)}) if user else _not_found()

    # -- Help Center --

    def list_articles(self, *, query: Mapping[str, str], **_: Any) -> Answer:
        with self.fake.lock:
            items = [dict(a) for _, a in sorted(self.fake.articles.items())]
        status, extra, payload = self._page(items, "articles", "/api/v2/help_center/articles.json", query)
        payload["links"] = {"first": None, "last": None, **{k: v for k, v in payload["links"].items() if v}}
        return status, extra, payload

    def list_translations(self, article_id: str, *, query: Mapping[str, str], **_: Any) -> Answer:
        with self.fake.lock:
            if int(article_id) not in self.fake.articles:
                return _not_found()
            items = [dict(t) for t in self.fake.translations[int(article_id)]]
        return self._page(
            items, "translations", f"/api/v2/help_center/articles/{article_id}/translations.json", query
        )

    # -- webhooks and triggers --

    def list_webhooks(self, *, query: Mapping[str, str], **_: Any) -> Answer:
        needle = query.get("filter[name_contains]", "")
        with self.fake.lock:
            found = [dict(w) for w in self.fake.webhooks.values() if needle in w["name"]]
        return 200, {}, {"webhooks": found, "meta": {"has_more": False}, "links": {}}

    def create_webhook(self, *, body: Mapping[str, Any], **_: Any) -> Answer:
        spec = dict(body["webhook"])
        webhook_id = "01" + uuid.uuid4().hex[:24].upper()
        webhook = {**spec, "id": webhook_id, "created_at": iso(), "created_by": str(self.fake.api_user_id)}
        with self.fake.lock:
            self.fake.webhooks[webhook_id] = webhook
            self.fake.webhook_secrets[webhook_id] = base64.b64encode(uuid.uuid4().bytes * 2).decode()
        return 201, {}, {"webhook": dict(webhook)}

    def get_webhook(self, webhook_id: str, **_: Any) -> Answer:
        with self.fake.lock:
            webhook = self.fake.webhooks.get(webhook_id)
            return (200, {}, {"webhook": dict(webhook)}) if webhook else _not_found()

    def update_webhook(self, webhook_id: str, *, body: Mapping[str, Any], **_: Any) -> Answer:
        with self.fake.lock:
            if webhook_id not in self.fake.webhooks:
                return _not_found()
            spec = {
                k: v for k, v in dict(body["webhook"]).items() if k not in ("id", "created_at", "created_by")
            }
            self.fake.webhooks[webhook_id].update(spec, updated_at=iso())
        return 204, {}, None

    def webhook_secret(self, webhook_id: str, **_: Any) -> Answer:
        with self.fake.lock:
            secret = self.fake.webhook_secrets.get(webhook_id)
        if secret is None:
            return _not_found()
        return 200, {}, {"signing_secret": {"secret": secret, "algorithm": "SHA256"}}

    def list_triggers(self, *, query: Mapping[str, str], **_: Any) -> Answer:
        with self.fake.lock:
            items = [dict(t) for _, t in sorted(self.fake.triggers.items())]
        return self._page(items, "triggers", "/api/v2/triggers.json", query)

    def create_trigger(self, *, body: Mapping[str, Any], **_: Any) -> Answer:
        spec = dict(body["trigger"])
        with self.fake.lock:
            trigger_id = self.fake.next_id()
            trigger = {
                "url": f"{self.fake.url}/api/v2/triggers/{trigger_id}.json",
                "id": trigger_id,
                "title": spec.get("title"),
                "active": spec.get("active", True),
                "actions": spec.get("actions", []),
                "conditions": spec.get("conditions", {"all": [], "any": []}),
                "description": spec.get("description"),
                "position": len(self.fake.triggers) + 1,
                "raw_title": spec.get("title"),
                "category_id": "6130869158682",
                "created_at": iso(),
                "updated_at": iso(),
            }
            self.fake.triggers[trigger_id] = trigger
        return 201, {}, {"trigger": dict(trigger)}

    def update_trigger(self, trigger_id: str, *, body: Mapping[str, Any], **_: Any) -> Answer:
        with self.fake.lock:
            trigger = self.fake.triggers.get(int(trigger_id))
            if trigger is None:
                return _not_found()
            spec = {k: v for k, v in dict(body["trigger"]).items() if k not in ("id", "url", "created_at")}
            trigger.update(spec, updated_at=iso())
            return 200, {}, {"trigger": dict(trigger)}


def _not_found() -> Answer:
    return 404, {}, {"error": "RecordNotFound", "description": "Not found"}


def _error_body(status: int) -> dict[str, Any]:
    if status == 404:
        return {"error": "RecordNotFound", "description": "Not found"}
    if status == 409:
        return {"error": "ConflictError", "description": "The ticket was updated by someone else"}
    if status == 429:
        return {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"}
    return {"error": "ServerError", "description": f"injected {status}"}
