"""A FakeHelpdesk served over HTTP on loopback, and the adapter Celery workers use to reach it.

A Celery worker runs in another process, so an in-memory FakeHelpdesk there would be invisible
to the test. Instead the test keeps the FakeHelpdesk (and reads its notes and tags directly),
serves it with :class:`HelpdeskServer`, and the worker talks to it through :class:`HttpHelpdesk`:
a real helpdesk plug-in found through the ``replyassist.helpdesks`` entry point group, the way a
worker finds Zendesk's (:func:`write_plugin` makes the entry point). Like a real helpdesk the
server can be slow (per-call delays, before or after the call takes effect) and fail (the
FakeHelpdesk's ``fail_next``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import requests.adapters

from replyassist._errors import ConfigurationError, HelpdeskError, RateLimited, TicketNotFound
from replyassist.helpdesk import NoteRef, WebhookEvent, WebhookRequest
from replyassist.models import Article, Draft, Ticket
from replyassist.testing import FakeHelpdesk
from replyassist.testing.fake_openai import _LoopbackHandler

NAME = "fakehttp"
URL_SETTING = "FAKEHTTP_URL"
SECRET_SETTING = "FAKE_HELPDESK_SECRET"


class HelpdeskServer:
    """Serves ``fake`` on 127.0.0.1: ``GET /tickets/{id}``, ``POST /tickets/{id}/notes|tags``.

    ``delay_before[method]`` sleeps before the call takes effect, ``delay_after[method]`` after
    it took effect and before the answer (a worker killed then has posted but not recorded).
    ``started`` counts the calls that arrived, by method.
    """

    def __init__(self, fake: FakeHelpdesk) -> None:
        self.fake = fake
        self.delay_before: dict[str, float] = {}
        self.delay_after: dict[str, float] = {}
        self.started: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HelpdeskServer:
        outer = self

        class Handler(_Handler):
            server_state = outer

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-helpdesk-http", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def call(self, method: str, run: Any) -> Any:
        with self._lock:
            self.started[method] += 1
        # No sleep(0) when no delay is set: a system call per request for nothing.
        if delay := self.delay_before.get(method):
            time.sleep(delay)
        result = run()
        if delay := self.delay_after.get(method):
            time.sleep(delay)
        return result


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # socketserver's default backlog of 5 drops bursts of connections


class _Handler(_LoopbackHandler):
    """Parses and answers as the fake OpenAI server does (cheaply): the benchmarks run this
    server on the cores of the service they measure, three requests per job."""

    server_state: HelpdeskServer

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "tickets":
            self._answer(
                "fetch_ticket", lambda: self.server_state.fake.fetch_ticket(parts[1]).model_dump(mode="json")
            )
        else:
            self._send(404, {"error": "no such route"})

    def do_POST(self) -> None:
        parts = self.path.strip("/").split("/")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        fake = self.server_state.fake
        if len(parts) == 3 and parts[0] == "tickets" and parts[2] == "notes":
            draft = Draft.model_validate(body["draft"])

            def post() -> dict[str, Any]:
                ref = fake.post_note(parts[1], draft, public=bool(body.get("public")), key=body.get("key"))
                return {"id": ref.id, "created": ref.created, "public": ref.public}

            self._answer("post_note", post)
        elif len(parts) == 3 and parts[0] == "tickets" and parts[2] == "tags":
            self._answer("add_tags", lambda: fake.add_tags(parts[1], body["tags"]) or {})
        else:
            self._send(404, {"error": "no such route"})

    def _answer(self, method: str, run: Any) -> None:
        try:
            result = self.server_state.call(method, run)
        except HelpdeskError as exc:
            headers = {} if exc.retry_after is None else {"Retry-After": f"{exc.retry_after:g}"}
            self._send(exc.status_code or 500, {"error": str(exc)}, headers)
            return
        self._send(200, result)

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.send_body(status, "application/json", json.dumps(body).encode(), headers)


class HttpHelpdesk:
    """The ``fakehttp`` helpdesk plug-in: a :class:`HelpdeskServer` reached over HTTP.

    Webhook checks need no server (they are the FakeHelpdesk's, with the same secret).
    """

    def __init__(self, base_url: str, secret: str, *, name: str = NAME) -> None:
        self.name = name
        # requests, like the real plug-ins' clients (zenpy, python-freshdesk); a pool as large as
        # a worker's threads, so that connections are reused rather than opened per call.
        self._base = base_url.rstrip("/")
        self._client = requests.Session()
        self._client.mount("http://", requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=128))
        self._webhooks = FakeHelpdesk(secret, name=name)

    def fetch_ticket(self, ticket_id: str) -> Ticket:
        return Ticket.model_validate(self._request("GET", f"/tickets/{ticket_id}"))

    def post_note(
        self, ticket_id: str, draft: Draft, *, public: bool = False, key: str | None = None
    ) -> NoteRef:
        body = {"draft": draft.model_dump(mode="json"), "public": public, "key": key}
        answer = self._request("POST", f"/tickets/{ticket_id}/notes", body)
        return NoteRef(id=answer["id"], created=answer["created"], public=answer["public"])

    def add_tags(self, ticket_id: str, tags: Sequence[str]) -> None:
        self._request("POST", f"/tickets/{ticket_id}/tags", {"tags": list(tags)})

    def list_articles(self, *, since: datetime | None = None) -> Iterator[Article]:
        return iter(())

    def verify_webhook(self, request: WebhookRequest) -> None:
        self._webhooks.verify_webhook(request)

    def parse_webhook(self, request: WebhookRequest) -> WebhookEvent:
        return self._webhooks.parse_webhook(request)

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self._client.request(method, self._base + path, json=body, timeout=60)
        except requests.RequestException as exc:
            raise HelpdeskError(f"{self.name} cannot be reached: {type(exc).__name__}") from exc
        if response.status_code == 200:
            return response.json()
        message = f"{self.name} answered {response.status_code}: {response.json().get('error')}"
        retry_after = response.headers.get("Retry-After")
        wait = float(retry_after) if retry_after is not None else None
        if response.status_code == 429:
            raise RateLimited(message, status_code=429, retry_after=wait)
        if response.status_code == 404:
            raise TicketNotFound(message, status_code=404)
        raise HelpdeskError(message, status_code=response.status_code, retry_after=wait)


def from_settings(settings: Mapping[str, str]) -> HttpHelpdesk:
    """The plug-in's factory: ``FAKEHTTP_URL`` and ``FAKE_HELPDESK_SECRET``."""
    missing = [name for name in (URL_SETTING, SECRET_SETTING) if not settings.get(name)]
    if missing:
        raise ConfigurationError(f"the fakehttp helpdesk needs {' and '.join(missing)}")
    return HttpHelpdesk(settings[URL_SETTING], settings[SECRET_SETTING])


def write_plugin(folder: Path) -> Path:
    """An installed-distribution record declaring the ``fakehttp`` entry point; put ``folder`` on
    the worker's ``PYTHONPATH`` (with this module's folder) and ``load_helpdesk`` finds it."""
    info = folder / "replyassist_fakehttp-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: replyassist-fakehttp\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(
        f"[replyassist.helpdesks]\n{NAME} = _helpdesk_server:from_settings\n"
    )
    return folder
