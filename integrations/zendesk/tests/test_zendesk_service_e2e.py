"""End to end on loopback: a signed Zendesk webhook → the replyassist service → one note on the fake Zendesk.

The real service app (FastAPI, in-process job queue, SQLite store, offline drafting on the
sample KB) with the real adapter and zenpy talking HTTP to the fake Zendesk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from replyassist import ReplyAssistant
from replyassist.helpdesk import EventKind, WebhookRequest, find_note_key
from replyassist.service.app import create_app
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.jobs import InProcessQueue
from replyassist.service.store import JobStatus, Store

from fake_zendesk import WEBHOOK_SECRET, FakeZendesk, make_adapter

KB = Path(__file__).resolve().parents[3] / "examples" / "kb"


@dataclass
class Running:
    client: TestClient
    store: Store
    queue: InProcessQueue
    fake: FakeZendesk

    def deliver(self, request: WebhookRequest) -> dict[str, object]:
        response = self.client.post("/webhooks/zendesk", content=request.body, headers=dict(request.headers))
        assert response.status_code == 202, response.text
        body: dict[str, object] = response.json()
        return body

    def notes(self, ticket_id: int) -> list[dict[str, object]]:
        return [c for c in self.fake.comments(ticket_id) if c["author_id"] == self.fake.api_user_id]


@pytest.fixture
def service(fake_zendesk: FakeZendesk, tmp_path: Path) -> Iterator[Running]:
    store = Store(f"sqlite:///{tmp_path / 'replyassist.db'}")
    store.migrate()
    settings = ServiceSettings(data_dir=tmp_path, helpdesks=[])
    context = ServiceContext(
        settings=settings,
        store=store,
        adapters={"zendesk": make_adapter(fake_zendesk)},
        assistant=ReplyAssistant(KB),
    )
    queue = InProcessQueue(context, workers=2)
    with TestClient(create_app(settings, context=context, queue=queue)) as client:
        yield Running(client, store, queue, fake_zendesk)
    store.close()


def _customer_ticket(fake: FakeZendesk) -> int:
    customer = fake.create_user("Maria Keller", email="maria@example.com", locale="en-US")
    ticket_id = fake.create_ticket(
        subject="Charged twice", requester_id=customer, via={"channel": "email", "source": {"rel": None}}
    )
    fake.add_comment(
        ticket_id,
        "Hi, I was charged twice for order 4411 yesterday. Can you refund the duplicate charge?",
        author_id=customer,
    )
    return ticket_id


def test_a_webhook_delivered_three_times_posts_one_note(service: Running) -> None:
    ticket_id = _customer_ticket(service.fake)
    request = service.fake.event_request(ticket_id, EventKind.TICKET_CREATED, "evt-42", secret=WEBHOOK_SECRET)
    answers = [service.deliver(request) for _ in range(3)]
    assert [a["duplicate"] for a in answers] == [False, True, True]
    assert len({a["job_id"] for a in answers}) == 1
    assert service.queue.wait_idle(30)
    job = service.store.get_job(str(answers[0]["job_id"]))
    assert job is not None and job.status is JobStatus.DONE, job
    [note] = service.notes(ticket_id)
    assert note["public"] is False
    assert find_note_key(str(note["html_body"])) == job.id
    assert job.note_id == str(note["id"])
    tags = service.fake.ticket(ticket_id)["tags"]
    assert "replyassist_drafted" in tags
    # A delivery after the job finished is still the same job: nothing more is posted.
    assert service.deliver(request)["duplicate"] is True
    assert service.queue.wait_idle(30)
    assert len(service.notes(ticket_id)) == 1


def test_a_trigger_delivery_retried_by_zendesk_posts_one_note(service: Running) -> None:
    ticket_id = _customer_ticket(service.fake)
    body = {"ticket_id": str(ticket_id), "source": "replyassist-trigger"}
    for _ in range(3):  # Zendesk's retries keep the invocation id
        request = service.fake.trigger_request(
            body, secret=WEBHOOK_SECRET, invocation_id="01HANA2B5D5W9XSJS3NE5SQA1J"
        )
        service.deliver(request)
    assert service.queue.wait_idle(30)
    assert len(service.notes(ticket_id)) == 1


def test_a_forged_webhook_changes_nothing(service: Running) -> None:
    ticket_id = _customer_ticket(service.fake)
    request = service.fake.event_request(ticket_id, secret="not-the-secret")
    response = service.client.post("/webhooks/zendesk", content=request.body, headers=dict(request.headers))
    assert response.status_code == 401
    assert sum(service.store.stats().jobs.values()) == 0
    assert service.notes(ticket_id) == []
