"""Test harness for the sidebar apps: the real service on loopback, the packaged app, headless Chromium.

Used by ``integrations/zendesk/tests/test_zendesk_app.py`` and ``integrations/freshdesk/tests/test_freshdesk_app.py``.
What is real: the replyassist service (``create_app``, SQLite store, offline drafting) run by
uvicorn on a free loopback port, the app exactly as packaged (unzipped and served over HTTP), and
the machine's Chromium. What is a stub: the helpdesk's client SDK (ZAF client / FDK client), which
implements only what the apps call, records editor inserts, and forwards requests to the service
from Python, as the helpdesk's server-side proxy does (substituting the secure token there, so the
browser never sees it).
"""

from __future__ import annotations

import contextlib
import functools
import html
import http.server
import json
import re
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from replyassist import KnowledgeBase, ReplyAssistant, Ticket
from replyassist.service.app import create_app
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.store import Store
from replyassist.testing import FakeHelpdesk

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_TICKET = REPO / "examples" / "tickets" / "01-email-thread-lost-parcel.json"
_ZENDESK_ROLES = {"customer": "end-user", "agent": "agent", "bot": "agent"}
THANKS_MESSAGE = "Thank you so much, that is all sorted now! Have a great day."
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
CUSTOMER_MESSAGE = (
    f"Hi, I returned the Ridgeline 2 tent two weeks ago and still have no refund. {HOSTILE_SCRIPT} "
    f"The tracking page only shows {HOSTILE_IMG}. When will I get my money back?"
)
HOSTILE_ARTICLE = f"""---
id: refund-timing
title: Refund timing {HOSTILE_IMG}
url: javascript:alert(1)
locale: en
labels: [refunds, returns]
---
# Refund timing

Once your return reaches our warehouse we refund it within 5 business days to the original payment
method. Banks can take another 3 to 5 business days to show the money. {HOSTILE_SCRIPT}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """The real service on loopback with a fake helpdesk; read what the apps did through ``store``."""

    url: str
    token: str
    store: Store
    helpdesk: FakeHelpdesk
    ticket_id: str
    """The ticket whose customer message carries a <script> and an <img onerror>."""
    sample_id: str
    """An ordinary sample ticket (a lost parcel, by e-mail), for the README's screenshot."""
    thanks_id: str
    """A thank-you tweet: the service decides it needs no reply."""

    def zaf_comments(self, ticket_id: str) -> list[dict[str, Any]]:
        """The ticket's thread as ZAF's ``ticket.comments`` gives it: HTML values, authors with roles."""
        ticket = self.helpdesk.fetch_ticket(ticket_id)
        return [
            {
                "id": number,
                "value": "".join(f"<p>{html.escape(line)}</p>" for line in message.text.split("\n\n")),
                "author": {"name": message.author_name or "", "role": _ZENDESK_ROLES[message.author.value]},
            }
            for number, message in enumerate(ticket.messages, start=1)
        ]

    def fdk_ticket(self, ticket_id: str) -> dict[str, Any]:
        """The ticket as FDK's ``client.data.get('ticket')`` gives it (the attributes the app reads)."""
        ticket = self.helpdesk.fetch_ticket(ticket_id)
        first = ticket.messages[0].text if ticket.messages else ""
        return {
            "id": int(ticket_id),
            "subject": ticket.subject or "",
            "description": "".join(f"<div>{html.escape(line)}</div>" for line in first.split("\n")),
            "description_text": first,
            "source": 1,
        }


@contextlib.contextmanager
def run_service(tmp: Path, helpdesk: str) -> Iterator[Service]:
    """The service with a KB holding a hostile article and one hostile customer ticket."""
    import uvicorn

    kb_dir = tmp / "kb"
    kb_dir.mkdir()
    for article in (REPO / "examples" / "kb").glob("*.md"):
        shutil.copy(article, kb_dir / article.name)
    (kb_dir / "refund-timing.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    settings = ServiceSettings(
        data_dir=tmp,
        database_url=SecretStr(f"sqlite:///{(tmp / 'replyassist.db').as_posix()}"),
        kb_path=kb_dir,
        helpdesks=[],
        log_level="warning",
    )
    store = Store.from_settings(settings)
    store.migrate()
    fake = FakeHelpdesk(name=helpdesk)
    ticket_id = fake.create_ticket(CUSTOMER_MESSAGE, channel="email", customer="Maria Lopez")
    sample = Ticket.model_validate_json(SAMPLE_TICKET.read_text(encoding="utf-8"))
    sample_id = fake.create_ticket(sample)
    thanks_id = fake.create_ticket(THANKS_MESSAGE, channel="twitter", customer="Kayla")
    assistant = ReplyAssistant(KnowledgeBase.from_directory(kb_dir))
    context = ServiceContext(settings=settings, store=store, adapters={helpdesk: fake}, assistant=assistant)
    _, token = store.create_token(f"{helpdesk}-app")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(context=context), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_until_up(f"http://127.0.0.1:{port}/healthz")
    try:
        yield Service(f"http://127.0.0.1:{port}", token, store, fake, ticket_id, sample_id, thanks_id)
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def _wait_until_up(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the service did not start at {url}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve ``root`` over HTTP on loopback; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def unzip(archive: Path, destination: Path) -> Path:
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(destination)
    return destination


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The machine's Chromium, headless (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageWatch:
    """What a page did that it must not: dialogs opened, page errors, requests leaving loopback."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


def watch(page: Any) -> PageWatch:
    seen = PageWatch()

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))

    def on_request(request: Any) -> None:
        if not re.match(r"^(https?://127\.0\.0\.1[:/]|data:|about:)", request.url):
            seen.outside_requests.append(request.url)

    page.on("request", on_request)
    return seen


def _forward(method: str, url: str, headers: dict[str, str], body: str | None) -> dict[str, Any]:
    """One HTTP call from the "helpdesk proxy" to the service; network failures become status 0."""
    try:
        with httpx.Client(trust_env=False, timeout=30.0) as client:  # loopback: never through a proxy
            response = client.request(method, url, headers=headers, content=body)
    except httpx.HTTPError as exc:
        return {"status": 0, "text": str(exc)}
    return {"status": response.status_code, "text": response.text}


# --- Zendesk: a stub of the ZAF client ------------------------------------------------------------

ZAF_SDK_STUB = r"""
(function () {
  var config = window.__raZafConfig;
  var handlers = {};
  var editor = { type: null, text: "" };
  window.__raCalls = [];
  function record(call) { window.__raCalls.push(call); }
  var client = {
    metadata: function () { return Promise.resolve({ settings: config.settings }); },
    context: function () { return Promise.resolve({ product: "support", location: "ticket_sidebar", ticketId: config.data["ticket.id"] }); },
    get: function (paths) {
      var result = { errors: {} };
      [].concat(paths).forEach(function (path) {
        result[path] = path === "comment.text" ? editor.text : config.data[path];
      });
      return Promise.resolve(result);
    },
    set: function (path, value) {
      record({ kind: "set", path: path, value: value });
      if (path === "comment.type") editor.type = value;
      if (path === "comment.text") editor.text = value;
      return Promise.resolve({});
    },
    invoke: function (name) {
      var args = Array.prototype.slice.call(arguments, 1);
      record({ kind: "invoke", name: name, args: args });
      if (name === "comment.appendText" && config.editorClosed) return Promise.reject(new Error("no editor"));
      if (name === "comment.appendText") editor.text += args[0];
      return Promise.resolve({});
    },
    on: function (name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
    request: function (options) {
      record({ kind: "request", url: options.url, type: options.type, headers: options.headers, secure: options.secure });
      return window.__raProxy(JSON.stringify(options)).then(function (raw) {
        var answer = JSON.parse(raw);
        var json = null;
        try { json = JSON.parse(answer.text); } catch (e) {}
        var response = { status: answer.status, responseText: answer.text, responseJSON: json };
        if (answer.status >= 200 && answer.status < 300) return response;
        throw response;
      });
    }
  };
  window.ZAFClient = { init: function () { return client; } };
  window.__raZaf = {
    editor: editor,
    save: function () {
      return Promise.all((handlers["ticket.save"] || []).map(function (handler) { return handler(); }));
    }
  };
})();
"""


def install_zaf_stub(
    page: Any,
    *,
    service: Service,
    ticket_id: str,
    comments: list[dict[str, Any]],
    token: str | None = None,
    service_url: str | None = None,
    locale: str = "en-US",
) -> None:
    """Serve the ZAF SDK URL with the stub, and proxy ``client.request`` to the service.

    Secure settings exist only here, on the Python side, like on Zendesk's proxy: the page gets
    the service URL (an ordinary setting) but never the token.
    """
    secure = {"service_token": service.token if token is None else token}
    config = {
        "settings": {"service_url": service.url if service_url is None else service_url},
        "data": {"ticket.id": ticket_id, "ticket.comments": comments, "currentUser.locale": locale},
    }

    def proxy(raw: str) -> str:
        options = json.loads(raw)

        def fill(text: str) -> str:
            if not options.get("secure"):
                return text
            return re.sub(r"\{\{setting\.(\w+)\}\}", lambda m: secure.get(m.group(1), m.group(0)), text)

        headers = {key: fill(str(value)) for key, value in (options.get("headers") or {}).items()}
        if options.get("contentType"):
            headers["Content-Type"] = options["contentType"]
        return json.dumps(
            _forward(options.get("type", "GET"), fill(options["url"]), headers, options.get("data"))
        )

    page.expose_function("__raProxy", proxy)
    page.add_init_script(f"window.__raZafConfig = {json.dumps(config)};")
    page.route(
        "https://static.zdassets.com/**",
        lambda route: route.fulfill(status=200, content_type="application/javascript", body=ZAF_SDK_STUB),
    )


# --- Freshdesk: a stub of the FDK client ----------------------------------------------------------

FDK_CLIENT_STUB = r"""
(function () {
  var config = window.__raFdkConfig;
  var handlers = {};
  window.__raCalls = [];
  function record(call) { window.__raCalls.push(call); }
  var editor = { open: null, text: "" };
  var client = {
    data: {
      get: function (name) {
        if (!(name in config.data)) return Promise.reject({ status: 404, message: "unknown data " + name });
        var result = {};
        result[name] = config.data[name];
        return Promise.resolve(result);
      }
    },
    interface: {
      trigger: function (action, options) {
        record({ kind: "trigger", action: action, options: options });
        if (action === "click") editor.open = options.id;
        if (action === "setValue" && options.id === "editor") editor.text = options.replace === false ? editor.text + options.text : options.text;
        return Promise.resolve({ success: true });
      }
    },
    events: {
      on: function (name, handler, options) {
        (handlers[name] = handlers[name] || []).push({ handler: handler, options: options || {} });
      }
    },
    request: {
      invokeTemplate: function (name, options) {
        record({ kind: "invokeTemplate", name: name, context: options.context });
        return window.__raFdkProxy(name, JSON.stringify(options)).then(function (raw) {
          var answer = JSON.parse(raw);
          var response = { status: answer.status, headers: {}, response: answer.text };
          if (answer.status >= 200 && answer.status < 300) return response;
          throw response;
        });
      }
    },
    instance: { resize: function () { return Promise.resolve(); } }
  };
  window.app = { initialized: function () { return Promise.resolve(client); } };
  window.__raFdk = {
    editor: editor,
    handlers: handlers,
    activate: function (ticket) {
      if (ticket) config.data.ticket = ticket;
      (handlers["app.activated"] || []).forEach(function (entry) { entry.handler({ type: "app.activated" }); });
    },
    sendReply: function (body) {
      var outcome = { done: false, failed: null, intercepted: false };
      (handlers["ticket.sendReply"] || []).forEach(function (entry) {
        outcome.intercepted = outcome.intercepted || !!entry.options.intercept;
        entry.handler({
          type: "ticket.sendReply",
          helper: {
            getData: function () { return { body: body }; },
            done: function () { outcome.done = true; },
            fail: function (message) { outcome.failed = message; }
          }
        });
      });
      return outcome;
    }
  };
})();
"""


def install_fdk_stub(
    page: Any, *, app_root: Path, service: Service, ticket: dict[str, Any], protocol: str = "http"
) -> None:
    """Serve ``{{{appclient}}}`` with the stub, and run ``invokeTemplate`` like the FDK proxy.

    The templates are read from the packaged ``config/requests.json``; ``<%= iparam.x %>`` and
    ``<%= context.x %>`` are filled here, on the Python side, so the secure token never reaches the page.
    ``protocol`` replaces the templates' https for the loopback service (FDK allows http in local runs).
    """
    templates = json.loads((app_root / "config" / "requests.json").read_text(encoding="utf-8"))
    host = service.url.split("://", 1)[1]
    iparams = {"service_host": host, "service_token": service.token}
    config = {"data": {"ticket": ticket, "loggedInUser": {"contact": {"language": "en"}}}}

    def proxy(name: str, raw: str) -> str:
        options = json.loads(raw)
        context = options.get("context") or {}
        schema = templates[name]["schema"]

        def fill(text: str) -> str:
            text = re.sub(r"<%=\s*iparam\.(\w+)\s*%>", lambda m: str(iparams[m.group(1)]), text)
            return re.sub(r"<%=\s*context\.(\w+)\s*%>", lambda m: str(context.get(m.group(1), "")), text)

        query = {key: fill(str(value)) for key, value in (schema.get("query") or {}).items()}
        url = f"{protocol}://{fill(schema['host'])}{fill(schema.get('path', '/'))}"
        if query:
            url += "?" + urlencode(query)
        headers = {key: fill(str(value)) for key, value in (schema.get("headers") or {}).items()}
        return json.dumps(_forward(schema["method"], url, headers, options.get("body")))

    page.expose_function("__raFdkProxy", proxy)
    page.add_init_script(f"window.__raFdkConfig = {json.dumps(config)};")
    page.route(
        re.compile(r".*appclient.*"),
        lambda route: route.fulfill(status=200, content_type="application/javascript", body=FDK_CLIENT_STUB),
    )


def calls(page: Any, kind: str | None = None) -> list[dict[str, Any]]:
    """The SDK calls the stub recorded, optionally of one kind."""
    recorded: list[dict[str, Any]] = page.evaluate("window.__raCalls")
    return [call for call in recorded if kind is None or call["kind"] == kind]


def current_draft_id(page: Any) -> str:
    """The id of the draft on screen, from the last draft the service sent the page."""
    return str(page.get_attribute(".ra", "data-draft-id"))
