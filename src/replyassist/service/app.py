"""The FastAPI application: webhooks in, drafts out, feedback stored.

``create_app(settings)`` builds everything from the settings (store, helpdesk adapters, the
assistant, the job queue); tests and embedders pass a ready ``context`` and ``queue`` instead.
The app's lifespan starts the queue (which recovers unfinished jobs from the store) and stops
it on shutdown.

Every error answer is ``{"error": {"code", "message"}}`` (see :mod:`.http_errors`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from replyassist._errors import MissingDependencyError, ReplyAssistError, StoreError

try:
    from fastapi import APIRouter, Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse, Response
    from starlette.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise MissingDependencyError(exc.name or "fastapi", "server", "the replyassist service") from exc

from pydantic import BaseModel

from replyassist.service import routes_v1, routes_webhooks
from replyassist.service.auth import RateLimiter
from replyassist.service.config import ServiceSettings
from replyassist.service.context import ServiceContext
from replyassist.service.deps import ServiceState, get_state, off_loop
from replyassist.service.http_errors import ApiError, error_response, from_library_error
from replyassist.service.jobs import JobQueue, make_queue
from replyassist.service.metrics import CONTENT_TYPE_LATEST, Metrics
from replyassist.service.middleware import ServiceMiddleware

__all__ = ["create_app"]

logger = logging.getLogger("replyassist.service.http")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    store: str
    queue: str


def create_app(
    settings: ServiceSettings | None = None,
    *,
    context: ServiceContext | None = None,
    queue: JobQueue | None = None,
) -> FastAPI:
    """The service as an ASGI app.

    Args:
        settings: the service's settings; default: ``context.settings``, else loaded from the
            environment and ``REPLYASSIST_CONFIG``.
        context: the store, adapters and assistant; default: built from ``settings`` (and its
            store closed when the app shuts down).
        queue: where webhook jobs go; default: Celery when ``queue_url`` is set; else, when the
            app builds its context from the settings and ``settings.job_process`` is on (as
            ``replyassist serve`` runs), worker processes (:class:`~.procqueue.ProcessQueue`);
            else threads of this process (``make_queue(context)``). The app starts and stops it
            in its lifespan.
    """
    if settings is None:
        settings = context.settings if context is not None else ServiceSettings.load()
    owns_context = context is None
    if context is None:
        context = ServiceContext.from_settings(settings)
    if queue is None:
        queue = _default_queue(settings, context, built_here=owns_context)
    metrics = Metrics(context.store)
    state = ServiceState(
        settings=settings,
        context=context,
        queue=queue,
        metrics=metrics,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        owns_context=owns_context,
    )

    app = FastAPI(
        title="replyassist",
        summary="Drafts customer-support replies from your knowledge base: webhooks in, drafts out.",
        version=_version(),
        lifespan=_lifespan,
    )
    app.state.service = state
    _add_error_handlers(app)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_v1.router)
    app.include_router(ops_router)
    if settings.cors_origins:
        # Closed unless configured: only the sidebar apps' origins may call from a browser.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
    app.add_middleware(ServiceMiddleware, max_body_bytes=settings.max_body_bytes, metrics=metrics)
    return app


def _default_queue(settings: ServiceSettings, context: ServiceContext, *, built_here: bool) -> JobQueue:
    """Embedded jobs go to worker processes when it can build the same context from the settings.

    Drafting on threads of this process would hold the GIL that the event loop needs to answer
    webhooks. A context passed in (tests, embedders with their own adapters) may not be
    rebuildable in another process, so it keeps the threads.
    """
    if built_here and settings.queue_url is None and settings.job_process:
        from replyassist.service.procqueue import ProcessQueue

        return ProcessQueue(settings)
    return make_queue(context)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: ServiceState = app.state.service
    await off_loop(_warm_up, state)
    await off_loop(state.queue.start)
    logger.info("replyassist service started (store: %s)", state.settings.database_url_redacted)
    try:
        yield
    finally:
        await off_loop(state.queue.stop)
        if state.owns_context:
            await off_loop(state.context.store.close)


def _warm_up(state: ServiceState) -> None:
    """Draft one made-up message offline before taking traffic.

    The first draft loads what the pipeline loads lazily (language profiles, the KB index,
    patterns, SQL statements); done by the first webhooks' jobs instead, it holds the
    interpreter for seconds while those webhooks wait for an answer.
    """
    from replyassist.drafting.offline import OfflineComposer
    from replyassist.drafting.pipeline import ReplyAssistant
    from replyassist.models import Ticket

    assistant = state.context.assistant
    offline = ReplyAssistant(assistant.kb, llm=OfflineComposer(), policy=assistant.policy)
    offline.draft(Ticket.from_text("Hello, my order has not arrived yet. Where is it?", channel="email"))
    state.context.store.ping()


ops_router = APIRouter(tags=["operations"])
StateDep = Annotated[ServiceState, Depends(get_state)]


@ops_router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@ops_router.get(
    "/readyz",
    response_model=Readiness,
    summary="The store and the queue answer",
    responses={503: {"model": Readiness, "description": "the store or the queue does not answer"}},
)
async def readyz(state: StateDep) -> JSONResponse:
    checks = {"store": await _probe(state.context.store.ping), "queue": await _probe(state.queue.ping)}
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(checks, status_code=200 if ready else 503)


@ops_router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    return Response(await off_loop(state.metrics.render), media_type=CONTENT_TYPE_LATEST)


async def _probe(ping: Callable[[], None]) -> str:
    try:
        await off_loop(ping)
    except Exception as exc:  # readiness reports any failure, whatever raised it
        logger.warning("readiness check failed: %s: %s", type(exc).__name__, exc)
        return "unavailable"
    return "ok"


def _add_error_handlers(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc, ApiError):
            return error_response(exc.status_code, exc.code, exc.message, exc.headers)
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, exc.headers)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, "invalid_request", _describe(exc.errors()))

    async def library_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ReplyAssistError)
        if isinstance(exc, StoreError):
            logger.warning("store error on %s %s: %s", request.method, request.url.path, exc)
        error = from_library_error(exc)
        return error_response(error.status_code, error.code, error.message, error.headers)

    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal_error", "the service failed to handle this request")

    app.add_exception_handler(HTTPException, api_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(ReplyAssistError, library_error)
    app.add_exception_handler(Exception, unexpected)


def _describe(errors: Any) -> str:
    """Validation errors as one line: where and what, never the offending input (it may be a secret)."""
    parts = []
    for error in list(errors)[:5]:
        if error.get("type") == "json_invalid":
            return "the body is not valid JSON"
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("replyassist")
    except PackageNotFoundError:
        return "0"
