"""The API's one error shape, and how library errors become HTTP answers.

Every error is ``{"error": {"code": "<snake_case>", "message": "<human>"}}``. Messages are
written here or taken from replyassist's own errors, which never carry secrets; request
bodies, headers and tokens are never echoed back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from replyassist._errors import (
    DraftNotFound,
    HelpdeskError,
    InvalidInputError,
    ModelError,
    RateLimited,
    ReplyAssistError,
    StoreUnavailable,
    TicketNotFound,
)

__all__ = ["ApiError", "ErrorBody", "ErrorEnvelope", "error_response", "from_library_error"]

logger = logging.getLogger("replyassist.service.http")

# Seconds a client should wait before retrying when the database is down: long enough for a
# failover or a restart, short enough that a helpdesk's own retry schedule is not wasted.
STORE_RETRY_AFTER = 5


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorEnvelope(BaseModel):
    """What every non-2xx answer carries."""

    error: ErrorBody


class ApiError(HTTPException):
    """An answer other than success, raised anywhere in a request and rendered by the app.

    A Starlette ``HTTPException`` so that FastAPI lets it through untouched when it is raised
    while the body is read (the size limit), instead of turning it into a generic 400.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers or {}))
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=dict(headers or {})
    )


def from_library_error(exc: ReplyAssistError) -> ApiError:
    """The HTTP answer for an error the library or the store raised on purpose."""
    if isinstance(exc, StoreUnavailable):
        return ApiError(
            503,
            "store_unavailable",
            "the database cannot be reached; retry later",
            headers={"Retry-After": str(STORE_RETRY_AFTER)},
        )
    if isinstance(exc, DraftNotFound):
        return ApiError(404, "draft_not_found", str(exc) or "no draft with that id")
    if isinstance(exc, TicketNotFound):
        return ApiError(404, "ticket_not_found", str(exc) or "the helpdesk has no such ticket")
    if isinstance(exc, HelpdeskError):
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        status = 503 if isinstance(exc, RateLimited) else 502
        return ApiError(status, "helpdesk_error", f"the helpdesk failed: {exc}", headers=headers)
    if isinstance(exc, InvalidInputError):
        return ApiError(422, "invalid_ticket", str(exc))
    if isinstance(exc, ModelError):
        return ApiError(502, "model_error", f"the language model failed: {exc}")
    logger.warning("unmapped replyassist error: %s: %s", type(exc).__name__, exc)
    return ApiError(500, "internal_error", "the service failed to handle this request")
