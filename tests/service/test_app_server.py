"""The service under a real uvicorn on loopback: streaming, body limits on the wire, a database
outage, and ``replyassist serve --check``."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _app_harness import KB, Service, build, live_server
from _processes import TcpProxy
from typer.testing import CliRunner

from replyassist import ReplyAssistant
from replyassist.cli import app as cli
from replyassist.service.store import Store
from replyassist.testing import FakeChatModel, model_reply


def sse_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, object]]]:
    """``(event, data)`` pairs of a ``text/event-stream`` response."""
    event, data = "message", ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
        elif line == "" and data:
            yield event, json.loads(data)
            event, data = "message", ""


@pytest.fixture
def lite(sqlite_store: Store, tmp_path: Path) -> Service:
    return build(sqlite_store, tmp_path, max_body_bytes=4096)


def test_the_stream_yields_deltas_then_the_stored_draft(lite: Service) -> None:
    ticket = lite.fake.create_ticket("Hi, my order #1234 is a week late. Where is it?", channel="email")
    auth = {"Authorization": f"Bearer {lite.token()}"}
    with live_server(lite.app) as base, httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        with client.stream("GET", f"/v1/helpdesks/fake/tickets/{ticket}/draft/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = list(sse_events(response))
        latest = client.get(f"/v1/helpdesks/fake/tickets/{ticket}/draft").json()
        missing = list(sse_events(client.get("/v1/helpdesks/fake/tickets/999999/draft/stream")))

    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "draft" and set(kinds[:-1]) == {"delta"} and len(kinds) > 2
    draft = events[-1][1]
    assert "".join(str(data["text"]) for _, data in events[:-1]).strip() == str(draft["text"]).strip()
    assert latest["id"] == draft["id"]
    assert [kind for kind, _ in missing] == ["error"]
    assert missing[0][1]["code"] == "ticket_not_found"


def test_a_client_leaving_mid_stream_stops_the_draft(sqlite_store: Store, tmp_path: Path) -> None:
    model = FakeChatModel(default=model_reply("Hi, your parcel ships today."), delay=1.5)
    service = build(sqlite_store, tmp_path, drafter=ReplyAssistant(KB, llm=model))
    ticket = service.fake.create_ticket("Where is my order #1234?", channel="chat")
    auth = {"Authorization": f"Bearer {service.token()}"}
    with live_server(service.app) as base, httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        with client.stream("GET", f"/v1/helpdesks/fake/tickets/{ticket}/draft/stream") as response:
            assert response.status_code == 200  # the model is still "thinking": leave now
        time.sleep(2.5)
        health = client.get("/healthz")
    assert health.status_code == 200
    assert service.store.latest_draft("fake", ticket) is None, "the abandoned draft was still written"


def test_oversized_bodies_on_the_wire_are_413_and_the_server_carries_on(lite: Service) -> None:
    ticket = lite.fake.create_ticket("Where is my order?", channel="email")

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"x" * 1024

    with live_server(lite.app) as base, httpx.Client(base_url=base, timeout=10) as client:
        chunked = client.post("/webhooks/fake", content=chunks(), headers=lite.fake.sign(b"whatever"))
        declared = _declared_but_not_sent(base, 50_000_000)
        request = lite.fake.webhook(ticket)
        after = client.post("/webhooks/fake", content=request.body, headers=dict(request.headers))
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    assert chunked.status_code == 413 and chunked.json()["error"]["code"] == "payload_too_large"
    assert declared.startswith("HTTP/1.1 413")
    assert after.status_code == 202
    assert lite.job_count() == 1


def _declared_but_not_sent(base: str, length: int) -> str:
    """Announce a huge body, send a little of it, and read the answer: it must not wait for the rest."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"POST /webhooks/fake HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
            + b"{" * 1000
        )
        return sock.recv(4096).decode("latin-1")


def test_a_database_outage_is_a_retryable_503_and_nothing_is_lost(pg_url: str, tmp_path: Path) -> None:
    proxy = TcpProxy(5432)
    # trust authentication ignores the password: it is here to check it never leaks
    url = pg_url.replace("@127.0.0.1:5432/", f":hunter2@127.0.0.1:{proxy.port}/")
    store = Store(url)
    store.migrate()
    service = build(store, tmp_path)
    ticket = service.fake.create_ticket("Where is my order?", channel="email")
    request = service.fake.webhook(ticket)
    token = service.token()
    try:
        with live_server(service.app) as base, httpx.Client(base_url=base, timeout=20) as client:
            proxy.cut()
            refused = client.post("/webhooks/fake", content=request.body, headers=dict(request.headers))
            ready = client.get("/readyz")
            api = client.get(
                f"/v1/helpdesks/fake/tickets/{ticket}/draft", headers={"Authorization": f"Bearer {token}"}
            )
            metrics = client.get("/metrics").text
            proxy.restore()
            accepted = client.post("/webhooks/fake", content=request.body, headers=dict(request.headers))
            ready_again = client.get("/readyz")
    finally:
        store.close()
        proxy.close()
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "store_unavailable"
    assert int(refused.headers["retry-after"]) > 0
    assert (ready.status_code, ready.json()) == (503, {"store": "unavailable", "queue": "ok"})
    assert api.status_code == 503 and "retry-after" in api.headers
    assert "replyassist_store_up 0.0" in metrics
    for text in (refused.text, ready.text, api.text, metrics):
        assert "hunter2" not in text
    assert accepted.status_code == 202 and accepted.json()["duplicate"] is False
    assert ready_again.status_code == 200


def test_serve_check_validates_and_exits_0_or_1(tmp_path: Path) -> None:
    runner = CliRunner()
    good = {"REPLYASSIST_DATA_DIR": str(tmp_path), "REPLYASSIST_HELPDESKS": "", "REPLYASSIST_CONFIG": ""}
    ok = runner.invoke(cli, ["serve", "--check"], env=good)
    bad = runner.invoke(
        cli,
        ["serve", "--check"],
        env={
            **good,
            "REPLYASSIST_MAX_BODY_BYTES": "lots",
            "REPLYASSIST_DATABASE_URL": "mysql://u:hunter2@h/db",
        },
    )
    assert ok.exit_code == 0, ok.output
    assert "database: ok" in ok.output and "configuration is valid" in ok.output
    assert bad.exit_code == 1
    assert "REPLYASSIST_MAX_BODY_BYTES" in bad.output and "REPLYASSIST_DATABASE_URL" in bad.output
    assert "hunter2" not in bad.output
