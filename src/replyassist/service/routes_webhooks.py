"""Webhook intake: verify → deduplicate → enqueue → 202, fast.

Nothing here calls the helpdesk: the adapter checks the signature and reads the event from the
body, the store records it (one insert; a duplicate delivery finds the existing row), and the
queue is told. The ticket is fetched and drafted later by a worker. A request that fails a check
leaves no trace in the store.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from replyassist._errors import InvalidWebhookError, StoreUnavailable, WebhookAuthError
from replyassist.helpdesk import HelpdeskAdapter, WebhookRequest
from replyassist.service.deps import ServiceState, adapter_for, intake_thread
from replyassist.service.http_errors import ApiError, ErrorEnvelope, from_library_error
from replyassist.service.store import JobRecord, JobStatus

__all__ = ["WebhookAccepted", "router"]

logger = logging.getLogger("replyassist.service.webhooks")

router = APIRouter(tags=["webhooks"])


class WebhookAccepted(BaseModel):
    """The answer to an accepted delivery (also to a duplicate one: helpdesks retry until 2xx)."""

    job_id: str
    duplicate: bool
    status: str


@router.post(
    "/webhooks/{helpdesk}",
    status_code=202,
    response_model=WebhookAccepted,
    summary="Receive a helpdesk webhook",
    responses={
        400: {"model": ErrorEnvelope, "description": "`invalid_webhook`: the body carries no event"},
        401: {"model": ErrorEnvelope, "description": "`webhook_unauthorized`: bad or missing signature"},
        404: {"model": ErrorEnvelope, "description": "`unknown_helpdesk`"},
        413: {"model": ErrorEnvelope, "description": "`payload_too_large`"},
        503: {"model": ErrorEnvelope, "description": "`store_unavailable` (with Retry-After)"},
    },
)
async def receive_webhook(helpdesk: str, request: Request) -> Response:
    """Accept a ticket event from a helpdesk; the draft is made in the background.

    The hot path of the service (helpdesks send every ticket event): it skips FastAPI's
    dependency and response-model machinery and writes its small JSON answer itself; the
    answer's schema is still the documented ``WebhookAccepted``.
    """
    state: ServiceState = request.app.state.service
    adapter = adapter_for(state, helpdesk)
    counter = state.metrics.webhooks
    try:
        body = await request.body()
    except ApiError as exc:
        counter.labels(helpdesk, "too_large").inc()
        raise exc
    except ClientDisconnect:  # the helpdesk gave up before sending it all: nothing to record
        counter.labels(helpdesk, "client_gone").inc()
        raise ApiError(400, "client_disconnected", "the request body was not received in full") from None
    webhook = WebhookRequest(
        headers=dict(request.headers),
        body=body,
        method=request.method,
        path=request.scope["path"],
        query=dict(request.query_params),
        received_at=time.time(),
    )
    received_at = datetime.now(UTC)
    try:
        job, created = await intake_thread(state, lambda: _intake(state, adapter, webhook, received_at))
    except WebhookAuthError as exc:
        counter.labels(helpdesk, "unauthorized").inc()
        raise ApiError(401, "webhook_unauthorized", f"the webhook was refused: {exc}") from None
    except InvalidWebhookError as exc:
        counter.labels(helpdesk, "invalid").inc()
        raise ApiError(400, "invalid_webhook", f"the webhook cannot be read: {exc}") from None
    except StoreUnavailable as exc:
        counter.labels(helpdesk, "unavailable").inc()
        raise from_library_error(exc) from None
    outcome = "duplicate" if not created else ("accepted" if job.status is JobStatus.PENDING else "ignored")
    counter.labels(helpdesk, outcome).inc()
    answer = {"job_id": job.id, "duplicate": not created, "status": job.status.value}
    return Response(json.dumps(answer).encode(), status_code=202, media_type="application/json")


def _intake(
    state: ServiceState, adapter: HelpdeskAdapter, webhook: WebhookRequest, received_at: datetime
) -> tuple[JobRecord, bool]:
    """Verify, parse, record and enqueue in one trip to a worker thread."""
    adapter.verify_webhook(webhook)
    event = adapter.parse_webhook(webhook)
    job, created = state.context.store.record_event(event, received_at=received_at)
    if created and job.status is JobStatus.PENDING:
        try:
            state.queue.enqueue(job.id)
        except Exception:  # the job is in the store: the sweeper will run it
            logger.exception("could not enqueue job %s; the sweeper will pick it up", job.id)
    return job, created
