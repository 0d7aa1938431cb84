"""The service's one ASGI middleware: body size limit, security headers, request log and timing.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so it costs microseconds and leaves
streaming responses alone. The size limit is enforced while the body is read, so a chunked
body without ``Content-Length`` is cut off at the limit just like a declared one; a declared
``Content-Length`` over the limit is refused before a byte of the body is read.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from replyassist.service.http_errors import ApiError
from replyassist.service.metrics import Metrics

__all__ = ["ServiceMiddleware", "payload_too_large"]

logger = logging.getLogger("replyassist.service.http")

_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


def payload_too_large(limit: int) -> ApiError:
    # The connection is closed after the answer: the rest of the body is not worth reading.
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is larger than the limit of {limit} bytes",
        headers={"Connection": "close"},
    )


class ServiceMiddleware:
    """Limits request bodies, adds security headers, times and logs every request (one line each).

    The log line carries the method, path, route template, status, duration and client address:
    never a body, a query string or a header (the ``Authorization`` header least of all).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server sends if the app raises before answering
        limit = self.max_body_bytes
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise payload_too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise payload_too_large(limit)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name.decode(), value.decode())
                headers.setdefault("cache-control", "no-store")
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = _route_template(scope)
        method = scope.get("method", "")
        self.metrics.http_duration.labels(route, method, str(status)).observe(elapsed)
        if logger.isEnabledFor(logging.INFO):
            client = scope.get("client")
            line: dict[str, Any] = {
                "event": "http_request",
                "method": method,
                "path": scope.get("path", ""),
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": client[0] if client else None,
            }
            logger.info(json.dumps(line, ensure_ascii=False))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _route_template(scope: Scope) -> str:
    """The matched route's template (``/webhooks/{helpdesk}``): bounded label values for metrics."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
