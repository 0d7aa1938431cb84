"""The service's HTTP API, through HTTP (FastAPI's TestClient), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _app_harness import ParkedQueue, Service, build
from fastapi.testclient import TestClient

from replyassist.helpdesk import EventKind, WebhookRequest
from replyassist.service.jobs import InProcessQueue
from replyassist.service.store import JobStatus, Store


@pytest.fixture
def service(store: Store, tmp_path: Path) -> Service:
    """The app on a migrated store: once on SQLite, once on PostgreSQL."""
    return build(store, tmp_path)


@pytest.fixture
def lite(sqlite_store: Store, tmp_path: Path) -> Service:
    """The app on SQLite only (for what does not depend on the database)."""
    return build(sqlite_store, tmp_path)


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(service.app) as test_client:
        yield test_client


@pytest.fixture
def lite_client(lite: Service) -> Iterator[TestClient]:
    with TestClient(lite.app) as test_client:
        yield test_client


def deliver(client: TestClient, request: WebhookRequest, **headers: str) -> object:
    return client.post("/webhooks/fake", content=request.body, headers={**request.headers, **headers})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return str(body["error"]["code"])


# --- webhooks ---------------------------------------------------------------------------------------


def test_webhook_is_accepted_pending_and_a_redelivery_is_the_same_job(
    service: Service, client: TestClient
) -> None:
    ticket = service.fake.create_ticket("Where is my order #1234? It is a week late.", channel="email")
    request = service.fake.webhook(ticket, EventKind.TICKET_CREATED)

    first = deliver(client, request)
    again = [deliver(client, request) for _ in range(2)]

    assert first.status_code == 202
    assert first.json() == {"job_id": first.json()["job_id"], "duplicate": False, "status": "pending"}
    assert [r.status_code for r in again] == [202, 202]
    assert {r.json()["job_id"] for r in again} == {first.json()["job_id"]}
    assert all(r.json()["duplicate"] for r in again)
    assert service.store.stats().jobs == {JobStatus.PENDING: 1}
    assert service.fake.calls["fetch_ticket"] == 0, "intake must not call the helpdesk"


def test_ticket_updates_are_recorded_but_not_run(service: Service, client: TestClient) -> None:
    ticket = service.fake.create_ticket("Thanks!", channel="email")
    response = deliver(client, service.fake.webhook(ticket, EventKind.TICKET_UPDATED))
    assert response.status_code == 202
    assert response.json()["status"] == "skipped"
    assert isinstance(service.queue, ParkedQueue) and service.queue.enqueued == []


def test_a_webhook_failing_its_check_is_refused_with_no_side_effect(
    service: Service, client: TestClient
) -> None:
    fake = service.fake
    ticket = fake.create_ticket("Where is my order?", channel="email")
    forged = {
        "wrong secret": fake.webhook(ticket, secret="not-the-secret"),
        "no signature": fake.webhook(ticket, authenticated=False),
        "altered body": _altered(fake.webhook(ticket)),
        "stale timestamp": fake.webhook(ticket, timestamp=1_000_000_000),
    }
    for what, request in forged.items():
        response = deliver(client, request)
        assert response.status_code == 401, what
        assert error_code(response) == "webhook_unauthorized", what
        assert "whsec" not in response.text
    assert service.job_count() == 0
    assert service.fake.calls.total() == 0
    assert deliver(client, fake.webhook(ticket)).status_code == 202


def _altered(request: WebhookRequest) -> WebhookRequest:
    body = request.body.replace(b'"ticket_created"', b'"comment_added"')
    assert body != request.body
    return WebhookRequest(headers=request.headers, body=body)


def test_unknown_helpdesk_is_404(lite: Service, lite_client: TestClient) -> None:
    request = lite.fake.webhook("1")
    response = lite_client.post("/webhooks/freshdesk", content=request.body, headers=dict(request.headers))
    assert response.status_code == 404
    assert error_code(response) == "unknown_helpdesk"
    assert lite.job_count() == 0


@pytest.mark.parametrize("body", [b"{not json", b'{"event_id": "e1", "type": "ticket_created"}', b"[]"])
def test_a_signed_webhook_without_an_event_is_400(
    lite: Service, lite_client: TestClient, body: bytes
) -> None:
    response = lite_client.post(
        "/webhooks/fake", content=body, headers={**lite.fake.sign(body), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response) == "invalid_webhook"
    assert lite.job_count() == 0


def test_an_oversized_webhook_is_413_and_the_next_one_is_fine(sqlite_store: Store, tmp_path: Path) -> None:
    service = build(sqlite_store, tmp_path, max_body_bytes=4096)
    ticket = service.fake.create_ticket("Where is my order?", channel="email")
    big = json.dumps(
        {"event_id": "big", "type": "ticket_created", "ticket": {"id": ticket}, "pad": "x" * 5000}
    )
    with TestClient(service.app) as client:
        refused = client.post("/webhooks/fake", content=big, headers=service.fake.sign(big.encode()))
        accepted = deliver(client, service.fake.webhook(ticket))
    assert refused.status_code == 413
    assert error_code(refused) == "payload_too_large"
    assert accepted.status_code == 202
    assert service.job_count() == 1


# --- tokens and limits ------------------------------------------------------------------------------


def test_v1_needs_a_valid_token_and_a_revoked_one_is_refused_at_once(
    service: Service, client: TestClient
) -> None:
    token = service.token("sidebar")
    body = {"text": "Where is my order?", "channel": "email"}

    missing = client.post("/v1/drafts", json=body)
    unknown = client.post("/v1/drafts", json=body, headers=bearer("ra_" + "x" * 43))
    basic = client.post("/v1/drafts", json=body, headers={"Authorization": f"Basic {token}"})
    allowed = client.post("/v1/drafts", json=body, headers=bearer(token))
    service.store.revoke_token("sidebar")
    revoked = client.post("/v1/drafts", json=body, headers=bearer(token))

    for response in (missing, unknown, basic, revoked):
        assert response.status_code == 401
        assert error_code(response) == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
        assert token not in response.text
    assert allowed.status_code == 200


def test_each_token_has_its_own_rate_limit(sqlite_store: Store, tmp_path: Path) -> None:
    service = build(sqlite_store, tmp_path, rate_limit_per_minute=3)
    greedy, other = service.token("greedy"), service.token("other")
    with TestClient(service.app) as client:
        answers = [
            client.get("/v1/helpdesks/fake/tickets/nope/draft", headers=bearer(greedy)) for _ in range(4)
        ]
        others = client.get("/v1/helpdesks/fake/tickets/nope/draft", headers=bearer(other))
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert error_code(answers[-1]) == "rate_limited"
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 20
    assert others.status_code == 404


# --- CORS and headers -------------------------------------------------------------------------------


def test_cors_allows_only_the_configured_origins(sqlite_store: Store, tmp_path: Path) -> None:
    service = build(sqlite_store, tmp_path, cors_origins=["https://acme.zendesk.com"])
    token = service.token()
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    with TestClient(service.app) as client:
        allowed = client.options("/v1/drafts", headers={"Origin": "https://acme.zendesk.com", **preflight})
        other = client.options("/v1/drafts", headers={"Origin": "https://evil.example", **preflight})
        simple = client.get(
            "/v1/helpdesks/fake/tickets/1/draft", headers={"Origin": "https://evil.example", **bearer(token)}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://acme.zendesk.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in simple.headers


def test_cors_is_closed_by_default_and_security_headers_are_set(lite_client: TestClient) -> None:
    preflight = lite_client.options(
        "/v1/drafts", headers={"Origin": "https://acme.zendesk.com", "Access-Control-Request-Method": "POST"}
    )
    health = lite_client.get("/healthz", headers={"Origin": "https://acme.zendesk.com"})
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in health.headers
    assert health.json() == {"status": "ok"}
    assert health.headers["x-content-type-options"] == "nosniff"


# --- drafts -----------------------------------------------------------------------------------------


def test_malformed_and_invalid_draft_requests_are_4xx_and_the_service_carries_on(
    lite: Service, lite_client: TestClient
) -> None:
    auth = {**bearer(lite.token()), "Content-Type": "application/json"}
    not_json = lite_client.post("/v1/drafts", content=b'{"text": "hi', headers=auth)
    neither = lite_client.post("/v1/drafts", json={}, headers=auth)
    both = lite_client.post("/v1/drafts", json={"text": "hi", "ticket": {"messages": []}}, headers=auth)
    empty_ticket = lite_client.post("/v1/drafts", json={"ticket": {"messages": []}}, headers=auth)
    fine = lite_client.post(
        "/v1/drafts", json={"text": "Hi, where is my order?", "channel": "chat"}, headers=auth
    )

    assert [r.status_code for r in (not_json, neither, both, empty_ticket)] == [422] * 4
    assert error_code(not_json) == "invalid_request"
    assert "not valid JSON" in not_json.json()["error"]["message"]
    assert error_code(neither) == "invalid_request"
    assert error_code(empty_ticket) == "invalid_ticket"
    assert fine.status_code == 200


def test_draft_now_then_the_latest_draft(service: Service, client: TestClient) -> None:
    auth = bearer(service.token())
    ticket = service.fake.create_ticket("My order #1234 is late, where is it?", channel="email")

    posted = client.post(
        "/v1/drafts",
        json={
            "text": "Where is my order? It is late.",
            "channel": "twitter",
            "customer": "Maria",
            "ticket_id": "t9",
        },
        headers=auth,
    )
    first = client.get(f"/v1/helpdesks/fake/tickets/{ticket}/draft", headers=auth)
    latest = client.get(f"/v1/helpdesks/fake/tickets/{ticket}/draft", headers=auth)
    fresh = client.get(f"/v1/helpdesks/fake/tickets/{ticket}/draft?fresh=true", headers=auth)
    missing = client.get("/v1/helpdesks/fake/tickets/404404/draft", headers=auth)
    unknown = client.get(f"/v1/helpdesks/nowhere/tickets/{ticket}/draft", headers=auth)

    assert posted.status_code == 200
    assert posted.json()["channel"] == "twitter" and "Maria" in posted.json()["text"]
    assert service.store.get_draft(posted.json()["id"]).ticket_id == "t9"
    assert first.status_code == 200 and first.json()["ticket_id"] == ticket
    assert first.json()["decision"] in {"reply", "escalate"}
    assert latest.json()["id"] == first.json()["id"]
    assert fresh.json()["id"] != first.json()["id"]
    assert service.fake.calls["fetch_ticket"] == 3  # first, fresh and the missing one
    assert service.store.latest_draft("fake", ticket).draft.id == fresh.json()["id"]  # type: ignore[union-attr]
    assert (missing.status_code, error_code(missing)) == (404, "ticket_not_found")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_helpdesk")


def test_rephrase_shorter_offline_and_other_tones_need_a_model(
    lite: Service, lite_client: TestClient
) -> None:
    auth = bearer(lite.token())
    text = (
        "Hi, my order #1234 has not arrived and tracking has not moved for a week. "
        "I paid for express shipping. Where is it and can I get a refund of the shipping?"
    )
    original = lite_client.post("/v1/drafts", json={"text": text, "channel": "twitter"}, headers=auth).json()

    shorter = lite_client.post(
        f"/v1/drafts/{original['id']}/rephrase", json={"tone": "shorter"}, headers=auth
    )
    friendlier = lite_client.post(
        f"/v1/drafts/{original['id']}/rephrase", json={"tone": "friendlier"}, headers=auth
    )
    bad_tone = lite_client.post(
        f"/v1/drafts/{original['id']}/rephrase", json={"tone": "angrier"}, headers=auth
    )
    missing = lite_client.post("/v1/drafts/nope/rephrase", json={"tone": "shorter"}, headers=auth)

    assert shorter.status_code == 200, shorter.text
    new = shorter.json()
    assert new["id"] != original["id"] and new["ticket_id"] == original["ticket_id"]
    assert len(new["text"]) <= len(original["text"])
    if len(new["parts"]) > 1:  # a thread: numbered once, and its parts are the text's
        total = len(new["parts"])
        assert [p.rsplit(" ", 1)[1] for p in new["parts"]] == [f"{i}/{total}" for i in range(1, total + 1)]
        assert new["text"] == "\n\n".join(new["parts"])
    else:
        assert new["parts"] == [new["text"]]
    assert not re.search(r"\d+/\d+\s+\d+/\d+", new["text"]), "thread numbers were doubled"
    assert lite.store.get_draft(new["id"]).parent_id == original["id"]
    assert (friendlier.status_code, error_code(friendlier)) == (422, "tone_unavailable")
    assert "language model" in friendlier.json()["error"]["message"]
    assert (bad_tone.status_code, error_code(bad_tone)) == (422, "invalid_request")
    assert (missing.status_code, error_code(missing)) == (404, "draft_not_found")


def test_feedback_round_trip(service: Service, client: TestClient) -> None:
    auth = bearer(service.token())
    draft = client.post(
        "/v1/drafts", json={"text": "Where is my order #77?", "channel": "email"}, headers=auth
    ).json()
    url = f"/v1/drafts/{draft['id']}/feedback"

    edited = client.post(
        url, json={"kind": "edited", "final_text": draft["text"] + " Thanks!", "agent_id": "a7"}, headers=auth
    )
    accepted = client.post(url, json={"kind": "accepted"}, headers=auth)
    no_text = client.post(url, json={"kind": "edited"}, headers=auth)
    no_reason = client.post(url, json={"kind": "rejected"}, headers=auth)
    unknown = client.post("/v1/drafts/nope/feedback", json={"kind": "accepted"}, headers=auth)

    assert edited.status_code == 201
    body = edited.json()
    assert set(body) == {"id", "draft_id", "kind", "edit_distance", "created_at"}
    assert (body["draft_id"], body["kind"], body["edit_distance"]) == (draft["id"], "edited", len(" Thanks!"))
    assert accepted.status_code == 201 and accepted.json()["edit_distance"] == 0
    stored = service.store.feedback_for(draft["id"])
    assert [(f.kind.value, f.agent_id) for f in stored] == [("edited", "a7"), ("accepted", None)]
    assert (no_text.status_code, error_code(no_text)) == (422, "invalid_feedback")
    assert (no_reason.status_code, error_code(no_reason)) == (422, "invalid_feedback")
    assert (unknown.status_code, error_code(unknown)) == (404, "draft_not_found")


# --- operations -------------------------------------------------------------------------------------


def test_metrics_show_drafts_feedback_jobs_and_requests(lite: Service, lite_client: TestClient) -> None:
    auth = bearer(lite.token())
    for text in ("Where is my order?", "How do I return my boots?"):
        draft = lite_client.post("/v1/drafts", json={"text": text, "channel": "email"}, headers=auth).json()
    lite_client.post(f"/v1/drafts/{draft['id']}/feedback", json={"kind": "accepted"}, headers=auth)
    deliver(lite_client, lite.fake.webhook(lite.fake.create_ticket("Help!", channel="email")))

    text = lite_client.get("/metrics").text

    drafts = re.findall(r"^replyassist_drafts_total\{([^}]*)\} (\S+)$", text, re.M)
    assert (
        sum(float(n) for labels, n in drafts if 'helpdesk="none"' in labels and 'channel="email"' in labels)
        == 2
    )
    assert re.search(r'^replyassist_feedback_total\{kind="accepted"\} 1\.0$', text, re.M)
    assert re.search(r"^replyassist_acceptance_ratio 1\.0$", text, re.M)
    assert re.search(r'^replyassist_jobs\{status="pending"\} 1\.0$', text, re.M)
    assert re.search(r'^replyassist_webhooks_total\{helpdesk="fake",outcome="accepted"\} 1\.0$', text, re.M)
    assert re.search(r"^replyassist_draft_fallbacks_total 0\.0$", text, re.M)
    assert "replyassist_webhook_to_draft_seconds_bucket" in text
    assert re.search(
        r'^replyassist_http_request_duration_seconds_count\{method="POST",route="/v1/drafts",status="200"\} 2\.0$',
        text,
        re.M,
    )


def test_two_apps_in_one_process_keep_their_own_metrics(sqlite_store: Store, tmp_path: Path) -> None:
    one, two = build(sqlite_store, tmp_path), build(sqlite_store, tmp_path)
    with TestClient(one.app) as first, TestClient(two.app) as second:
        first.get("/healthz")
        text = second.get("/metrics").text
    assert 'route="/healthz"' not in text


def test_readyz_reports_the_store_and_the_queue(lite: Service, lite_client: TestClient) -> None:
    assert lite_client.get("/readyz").json() == {"store": "ok", "queue": "ok"}
    assert isinstance(lite.queue, ParkedQueue)
    lite.queue.running = False
    down = lite_client.get("/readyz")
    assert down.status_code == 503 and down.json() == {"store": "ok", "queue": "unavailable"}


def test_openapi_documents_the_api_with_models(lite_client: TestClient) -> None:
    schema = lite_client.get("/openapi.json").json()
    assert {"/webhooks/{helpdesk}", "/v1/drafts", "/v1/drafts/{draft_id}/feedback", "/readyz"} <= set(
        schema["paths"]
    )
    assert {"Draft", "ErrorEnvelope", "WebhookAccepted", "FeedbackCreated"} <= set(
        schema["components"]["schemas"]
    )
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert lite_client.get("/docs").status_code == 200


def test_one_log_line_per_request_without_secrets(
    lite: Service, lite_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    token = lite.token()
    with caplog.at_level(logging.INFO, logger="replyassist.service.http"):
        lite_client.post("/v1/drafts", json={"text": "my card is 4111 1111 1111 1111"}, headers=bearer(token))
        lite_client.post("/v1/drafts", json={"text": "hello"}, headers=bearer("ra_wrong_token_value"))
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert [(line["route"], line["status"]) for line in lines] == [("/v1/drafts", 200), ("/v1/drafts", 401)]
    assert (
        token not in caplog.text and "ra_wrong_token_value" not in caplog.text and "4111" not in caplog.text
    )


def test_the_embedded_queue_drafts_a_webhook_once_whatever_the_redeliveries(
    store: Store, tmp_path: Path
) -> None:
    service = build(store, tmp_path, queue=lambda ctx: InProcessQueue(ctx, workers=2, sweep_interval=60))
    queue = service.queue
    assert isinstance(queue, InProcessQueue)
    ticket = service.fake.create_ticket("Hi, my order #1234 is late. Where is it?", channel="email")
    request = service.fake.webhook(ticket, EventKind.COMMENT_ADDED)
    with TestClient(service.app) as client:
        answers = [deliver(client, request) for _ in range(3)]
        assert queue.wait_idle(20)
    assert [r.status_code for r in answers] == [202] * 3
    job = service.store.get_job(answers[0].json()["job_id"])
    assert job is not None and job.status is JobStatus.DONE
    assert len(service.fake.notes(ticket)) == 1
