"""A fake Freshdesk API v2 on loopback, for the real python-freshdesk to talk to.

Payloads are built from the genuine v2 fixtures in ``../shared/fixtures/freshdesk/`` (ticket,
conversation, note and Solutions shapes; see FIXTURES.md), with ids, texts and times filled in.
It behaves like the API where the adapter depends on it:

- HTTP Basic auth with the API key as user (401 otherwise);
- ``X-Ratelimit-Total`` / ``-Remaining`` / ``-Used-CurrentRequest`` on every response;
- ``page``/``per_page`` (default 30, >100 is a 400) and a ``link: <…>; rel="next"`` header;
  the Solutions lists are paginated too (python-freshdesk reads only their first page);
- ``include=conversations`` embeds at most 10 conversations, ``include=requester`` the requester;
- 404 for unknown ids, injected 429 + ``Retry-After`` or 5xx (``fail_next``);
- ``PUT /tickets/{id}`` replaces the tags array, as Freshdesk does.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "freshdesk" / "python-freshdesk-v2"
API_KEY = "fake-api-key-0123456789"
AGENT_ID = 6010396333

_SOURCE_CHOICES = {
    "Email": 1,
    "Portal": 2,
    "Phone": 3,
    "Forum": 4,
    "Twitter": 5,
    "Facebook": 6,
    "Chat": 7,
    "Mobihelp": 8,
    "Feedback Widget": 9,
    "Outbound Email": 10,
    "E-commerce": 11,
    "WhatsApp": 13,
}


def _fixture(name: str) -> Any:
    path = FIXTURES / name
    if not path.is_file():
        raise RuntimeError(f"the shared Freshdesk fixtures are missing: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    path_contains: str | None
    method: str | None


@dataclass
class _State:
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    conversations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    categories: list[dict[str, Any]] = field(default_factory=list)
    folders: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """category id → its top-level folders."""
    subfolders: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    articles: dict[tuple[int, str], list[dict[str, Any]]] = field(default_factory=dict)
    """(folder id, language) → articles."""
    rules: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class FakeFreshdesk:
    """Start with ``with FakeFreshdesk() as fd:``; ``fd.base_url`` is the API prefix to use."""

    def __init__(
        self, *, api_key: str = API_KEY, rate_total: int = 400, link_host: str | None = None
    ) -> None:
        self.api_key = api_key
        self.rate_total = rate_total
        self.rate_remaining = rate_total
        self.link_host = link_host
        """Write next-page links with this host (e.g. Freshdesk's own) instead of the fake's."""
        self.primary_language = "en"
        self.supported_languages: list[str] = []
        self.subfolders_supported = True
        self.requests: list[RecordedRequest] = []
        self._state = _State()
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._next_id = 1000
        self._clock = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-freshdesk",
            daemon=True,
        )

    # --- life cycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeFreshdesk:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.address}/api/v2/"

    def settings(self, **overrides: str) -> dict[str, str]:
        """Adapter settings pointing at this fake."""
        return {
            "FRESHDESK_DOMAIN": "acme.freshdesk.com",
            "FRESHDESK_API_KEY": self.api_key,
            "FRESHDESK_WEBHOOK_SECRET": "a-long-shared-webhook-secret",
            "FRESHDESK_BASE_URL": self.base_url,
            "FRESHDESK_TIMEOUT": "5",
            **overrides,
        }

    # --- the helpdesk's side ------------------------------------------------------------------

    def add_ticket(
        self,
        description: str = "<div>My parcel has not arrived.</div>",
        *,
        ticket_id: int | None = None,
        source: int = 1,
        subject: str = "Where is my parcel?",
        requester_name: str = "Ana Souza",
        requester_email: str = "ana@example.com",
        tags: Sequence[str] = (),
        priority: int = 2,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """A ticket shaped like ``ticket_1.json`` (v2), opened by a requester."""
        with self._lock:
            number = ticket_id if ticket_id is not None else self._new_id()
            ticket = _fixture("ticket_1.json")
            for key in ("stats", "priority_name", "requester", "attachments"):
                ticket.pop(key, None)
            created = self._tick()
            ticket.update(
                id=number,
                subject=subject,
                source=source,
                priority=priority,
                status=2,
                requester_id=self._new_id(),
                description=description,
                description_text=_text(description),
                tags=list(tags),
                created_at=created,
                updated_at=created,
                structured_description=None,
                attachments=[],
            )
            ticket["_requester"] = {
                "id": ticket["requester_id"],
                "name": requester_name,
                "email": requester_email,
                "mobile": None,
                "phone": None,
            }
            ticket.update(extra or {})
            self._state.tickets[number] = ticket
            self._state.conversations[number] = []
            return number

    def add_conversation(
        self,
        ticket_id: int,
        body: str,
        *,
        from_requester: bool = True,
        private: bool = False,
        incoming: bool | None = None,
        source: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """A conversation shaped like ``conversations.json``: a customer reply, an agent reply or a note."""
        with self._lock:
            ticket = self._state.tickets[ticket_id]
            template = _fixture("conversations.json")[1 if not private else 0]
            created = self._tick()
            template.update(
                id=self._new_id(),
                ticket_id=ticket_id,
                body=body,
                body_text=_text(body),
                private=private,
                incoming=from_requester if incoming is None else incoming,
                user_id=ticket["requester_id"] if from_requester else AGENT_ID,
                source=source if source is not None else (2 if private else 0),
                from_email=ticket["_requester"]["email"]
                if from_requester
                else "Rachel <rachel@freshdesk.com>",
                created_at=created,
                updated_at=created,
            )
            template.update(extra or {})
            self._state.conversations[ticket_id].append(template)
            ticket["updated_at"] = created
            return int(template["id"])

    def conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.conversations[ticket_id])

    def notes(self, ticket_id: int) -> list[dict[str, Any]]:
        """Conversations posted by the agent through the API (notes and replies)."""
        return [c for c in self.conversations(ticket_id) if c.get("_posted")]

    def tags(self, ticket_id: int) -> list[str]:
        with self._lock:
            return list(self._state.tickets[ticket_id]["tags"])

    def set_tags(self, ticket_id: int, tags: Sequence[str]) -> None:
        with self._lock:
            self._state.tickets[ticket_id]["tags"] = list(tags)

    def add_category(self, name: str, *, category_id: int | None = None) -> int:
        with self._lock:
            category = _fixture("solution_categories.json")[0]
            category.update(id=category_id or self._new_id(), name=name)
            self._state.categories.append(category)
            self._state.folders[category["id"]] = []
            return int(category["id"])

    def add_folder(
        self, name: str, *, category_id: int, parent_id: int | None = None, visibility: int = 1
    ) -> int:
        with self._lock:
            folder = _fixture("solution_folders.json")[0]
            folder.update(id=self._new_id(), name=name, visibility=visibility, category_id=category_id)
            if parent_id is None:
                self._state.folders[category_id].append(folder)
            else:
                self._state.subfolders.setdefault(parent_id, []).append(folder)
            return int(folder["id"])

    def add_article(
        self,
        title: str,
        description: str,
        *,
        folder_id: int,
        language: str = "en",
        article_id: int | None = None,
        status: int = 2,
        updated_at: datetime | None = None,
        tags: Sequence[str] = (),
    ) -> int:
        """An article shaped like ``solution_articles.json``; ``language`` other than the primary is a translation."""
        with self._lock:
            article = _fixture("solution_articles.json")[0]
            stamp = _stamp(updated_at) if updated_at else self._tick()
            article.update(
                id=article_id or self._new_id(),
                title=title,
                description=description,
                description_text=_text(description),
                folder_id=folder_id,
                status=status,
                tags=list(tags),
                created_at=stamp,
                updated_at=stamp,
            )
            self._state.articles.setdefault((folder_id, language), []).append(article)
            return int(article["id"])

    def rules(self, automation_type: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._state.rules.get(automation_type, []))

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: str | None = "17",
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """The next ``n`` requests (matching ``path_contains`` and ``method``, if given) fail with ``status``."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, path_contains, method) for _ in range(n))

    def count(self, method: str, path_contains: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.method == method and path_contains in r.path)

    # --- internals ------------------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _tick(self) -> str:
        self._clock += timedelta(minutes=1)
        return _stamp(self._clock)

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for i, failure in enumerate(self._failures):
            if (failure.path_contains is None or failure.path_contains in path) and failure.method in (
                None,
                method,
            ):
                return self._failures.pop(i)
        return None

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        """Route one request: (status, JSON body, extra headers)."""
        parts = [p for p in path.removeprefix("/api/v2/").split("/") if p]
        failure = self._take_failure(method, path)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            return failure.status, {"code": "injected", "message": f"injected {failure.status}"}, headers
        route = _Routes(self, method, parts, query, body)
        return route.dispatch()


class _Routes:
    """One request against the fake's state (the lock is held by the caller)."""

    def __init__(
        self, fake: FakeFreshdesk, method: str, parts: list[str], query: dict[str, list[str]], body: Any
    ):
        self.fake = fake
        self.state = fake._state
        self.method = method
        self.parts = parts
        self.query = query
        self.body = body

    def dispatch(self) -> tuple[int, Any, dict[str, str]]:
        p, m = self.parts, self.method
        if p[:1] == ["tickets"] and len(p) >= 2 and p[1].isdigit():
            ticket = self.state.tickets.get(int(p[1]))
            if ticket is None:
                return _not_found()
            if len(p) == 2 and m == "GET":
                return 200, self._ticket(ticket), {}
            if len(p) == 2 and m == "PUT":
                return self._update(ticket)
            if p[2:] == ["conversations"] and m == "GET":
                return self._page(self.state.conversations[ticket["id"]])
            if p[2:] in (["notes"], ["reply"]) and m == "POST":
                return self._post(ticket, note=p[2] == "notes")
        if p == ["ticket_fields"] and m == "GET":
            return (
                200,
                [
                    {
                        "id": 1,
                        "name": "source",
                        "label": "Source",
                        "type": "default_source",
                        "choices": dict(_SOURCE_CHOICES),
                        "created_at": "2020-01-01T00:00:00Z",
                        "updated_at": "2020-01-01T00:00:00Z",
                    }
                ],
                {},
            )
        if p == ["settings", "helpdesk"] and m == "GET":
            return (
                200,
                {
                    "primary_language": self.fake.primary_language,
                    "supported_languages": list(self.fake.supported_languages),
                    "portal_languages": list(self.fake.supported_languages),
                },
                {},
            )
        if p[:1] == ["solutions"]:
            return self._solutions(p[1:])
        if p[:1] == ["automations"] and len(p) == 3 and p[2] == "rules":
            return self._rules(int(p[1]))
        return _not_found()

    def _ticket(self, ticket: dict[str, Any]) -> dict[str, Any]:
        wire = {k: copy.deepcopy(v) for k, v in ticket.items() if not k.startswith("_")}
        include = ",".join(self.query.get("include", [])).split(",")
        if "conversations" in include:
            wire["conversations"] = [_public(c) for c in self.state.conversations[ticket["id"]][:10]]
        if "requester" in include:
            wire["requester"] = dict(ticket["_requester"])
        return wire

    def _update(self, ticket: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(self.body, dict):
            return 400, {"description": "Validation failed", "errors": [{"message": "body"}]}, {}
        if "tags" in self.body:
            ticket["tags"] = list(self.body["tags"])  # replaced, not merged
        ticket["updated_at"] = self.fake._tick()
        return 200, self._ticket(ticket), {}

    def _post(self, ticket: dict[str, Any], *, note: bool) -> tuple[int, Any, dict[str, str]]:
        body = self.body if isinstance(self.body, dict) else {}
        if not body.get("body"):
            return (
                400,
                {
                    "description": "Validation failed",
                    "errors": [
                        {"field": "body", "message": "It should not be blank", "code": "missing_field"}
                    ],
                },
                {},
            )
        private = bool(body.get("private", True)) if note else False
        number = self.fake.add_conversation(
            ticket["id"],
            body["body"],
            from_requester=False,
            private=private,
            incoming=False,
            extra={"_posted": True},
        )
        stored = self.state.conversations[ticket["id"]][-1]
        if note:
            response = _public(stored) | {"notified_to": []}
        else:  # the documented reply response: no source/private/incoming
            response = {
                k: stored[k]
                for k in (
                    "body_text",
                    "body",
                    "id",
                    "user_id",
                    "from_email",
                    "cc_emails",
                    "bcc_emails",
                    "ticket_id",
                    "attachments",
                    "created_at",
                    "updated_at",
                )
            }
            response |= {"replied_to": [ticket["_requester"]["email"]], "structured_body": None}
        return 201, response, {"Location": f"{self.fake.base_url}conversations/{number}"}

    def _solutions(self, p: list[str]) -> tuple[int, Any, dict[str, str]]:
        if p == ["categories"]:
            return self._page(self.state.categories)
        if len(p) == 3 and p[0] == "categories" and p[2] == "folders":
            folders = self.state.folders.get(int(p[1]))
            return _not_found() if folders is None else self._page(folders)
        if len(p) == 3 and p[0] == "folders" and p[2] == "subfolders":
            if not self.fake.subfolders_supported:
                return _not_found()
            return self._page(self.state.subfolders.get(int(p[1]), []))
        if len(p) in (3, 4) and p[0] == "folders" and p[2] == "articles":
            language = p[3] if len(p) == 4 else self.fake.primary_language
            articles = self.state.articles.get((int(p[1]), language))
            if articles is None:
                return _not_found() if len(p) == 4 else self._page([])
            return self._page(articles)
        return _not_found()

    def _rules(self, automation_type: int) -> tuple[int, Any, dict[str, str]]:
        rules = self.state.rules.setdefault(automation_type, [])
        if self.method == "GET":
            return 200, {"rules": copy.deepcopy(rules), "meta": {"count": len(rules)}}, {}
        if self.method == "POST" and isinstance(self.body, dict) and self.body.get("name"):
            rule = copy.deepcopy(self.body) | {
                "id": self.fake._new_id(),
                "automation_type_id": automation_type,
            }
            rules.append(rule)
            return 201, rule, {}
        return (
            400,
            {"description": "Validation failed", "errors": [{"field": "name", "message": "missing"}]},
            {},
        )

    def _page(self, items: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
        try:
            page = int(self.query.get("page", ["1"])[0])
            per_page = int(self.query.get("per_page", ["30"])[0])
        except ValueError:
            return (
                400,
                {"description": "Validation failed", "errors": [{"field": "page", "code": "invalid_value"}]},
                {},
            )
        if per_page > 100 or per_page < 1 or page < 1:
            return (
                400,
                {
                    "description": "Validation failed",
                    "errors": [
                        {"field": "per_page", "message": "Has to be less than 100", "code": "invalid_value"}
                    ],
                },
                {},
            )
        start = (page - 1) * per_page
        chunk = [_public(item) for item in items[start : start + per_page]]
        headers: dict[str, str] = {}
        if start + per_page < len(items):
            base = f"https://{self.fake.link_host}" if self.fake.link_host else self.fake.address
            path = "/api/v2/" + "/".join(self.parts)
            headers["Link"] = f'<{base}{path}?page={page + 1}&per_page={per_page}>; rel="next"'
        return 200, chunk, headers


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in item.items() if not k.startswith("_")}


def _not_found() -> tuple[int, Any, dict[str, str]]:
    return 404, {"code": "not_found", "message": "Record not found"}, {}


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup))).strip()


def _handler(fake: FakeFreshdesk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # headers and body leave in one write (no delayed-ACK stall on keep-alive)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            query = parse_qs(parts.query)
            with fake._lock:
                fake.requests.append(
                    RecordedRequest(
                        self.command, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                if not self._authorised():
                    status, payload, extra = (
                        401,
                        {
                            "code": "invalid_credentials",
                            "message": "You have to be logged in to perform this action.",
                        },
                        {},
                    )
                else:
                    status, payload, extra = fake.handle(self.command, parts.path, query, body)
                fake.rate_remaining = max(0, fake.rate_remaining - 1)
                remaining = fake.rate_remaining
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Ratelimit-Total", str(fake.rate_total))
            self.send_header("X-Ratelimit-Remaining", str(remaining))
            self.send_header("X-Ratelimit-Used-CurrentRequest", "1")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization") or ""
            if not header.startswith("Basic "):
                return False
            user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
            return user == fake.api_key

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
