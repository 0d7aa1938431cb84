"""End to end on loopback: Freshdesk's webhook → the service (uvicorn) → a note on the fake Freshdesk.

The service runs for real (store on SQLite, in-process job queue, offline drafting on the
sample KB) with the Freshdesk adapter from its entry point, pointed at the fake Freshdesk.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from replyassist import ReplyAssistant, load_helpdesk
from replyassist.helpdesk import find_note_key
from replyassist.service.app import create_app
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import InProcessQueue
from replyassist.service.store import JobStatus, Store

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import SECRET_HEADER, expected_body

ROOT = Path(__file__).resolve().parents[3]
KB = ROOT / "examples" / "kb"


@pytest.fixture(scope="module")
def assistant() -> ReplyAssistant:
    return ReplyAssistant(KB)


@contextmanager
def _serving(fake: FakeFreshdesk, tmp_path: Path, assistant: ReplyAssistant) -> Iterator[tuple[str, Store]]:
    store = Store(f"sqlite:///{tmp_path / 'replyassist.db'}")
    store.migrate()
    settings = ServiceSettings(data_dir=tmp_path, helpdesks=[])
    context = ServiceContext(
        settings=settings,
        store=store,
        adapters={"freshdesk": load_helpdesk("freshdesk", fake.settings())},
        assistant=assistant,
    )
    queue = InProcessQueue(context, workers=2, sweep_interval=0.5)
    app = create_app(settings, context=context, queue=queue)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()


def _body(ticket: int, event: str = "ticket_created") -> bytes:
    body = expected_body(event)
    body.update(
        ticket_id=str(ticket), triggered_event="{ticket_action:created}", updated_at="2026-11-25T22:00:00Z"
    )
    return json.dumps(body).encode()


def _wait_done(store: Store, job_id: str, timeout: float = 20) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get_job(job_id)
        if job is not None and job.status in (JobStatus.DONE, JobStatus.SKIPPED, JobStatus.FAILED):
            return job.status
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_webhook_with_the_secret_posts_one_note(
    fake: FakeFreshdesk, tmp_path: Path, assistant: ReplyAssistant
) -> None:
    ticket = fake.add_ticket("<p>Hi, my order #1234 is a week late. Where is it?</p>", tags=["vip"])
    secret = fake.settings()["FRESHDESK_WEBHOOK_SECRET"]
    with (
        _serving(fake, tmp_path, assistant) as (base, store),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        headers = {"Content-Type": "application/json", SECRET_HEADER: secret}
        first = client.post("/webhooks/freshdesk", content=_body(ticket), headers=headers)
        assert first.status_code == 202, first.text
        job_id = first.json()["job_id"]
        assert _wait_done(store, job_id) is JobStatus.DONE
        # Freshdesk retries a delivery it thinks failed: the same body is the same event.
        retry = client.post("/webhooks/freshdesk", content=_body(ticket), headers=headers)

    assert retry.status_code == 202
    assert retry.json() == {"job_id": job_id, "duplicate": True, "status": "done"}
    [note] = fake.notes(ticket)
    assert note["private"] is True
    assert find_note_key(note["body"]) == job_id
    assert fake.tags(ticket)[0] == "vip" and "replyassist_drafted" in fake.tags(ticket)


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "not-the-shared-secret"}], ids=["missing", "wrong"])
def test_webhook_without_the_secret_is_401_with_no_side_effect(
    fake: FakeFreshdesk, tmp_path: Path, assistant: ReplyAssistant, headers: dict[str, str]
) -> None:
    ticket = fake.add_ticket("<p>Where is my order?</p>")
    with (
        _serving(fake, tmp_path, assistant) as (base, store),
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        answer = client.post(
            "/webhooks/freshdesk",
            content=_body(ticket),
            headers={"Content-Type": "application/json", **headers},
        )
        jobs = sum(store.stats().jobs.values())

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "webhook_unauthorized"
    assert jobs == 0
    assert fake.requests == []  # Freshdesk was never called
