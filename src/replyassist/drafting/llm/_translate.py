"""Vendor errors, read once at the boundary: what failed, whether to retry, and how long to wait.

The OpenAI SDK, langchain-openai (whose errors subclass the SDK's), other LangChain chat
models and the HTTP stack all fail differently. ``classify`` reads any of them by status
code first, then by class name, so that no vendor module has to be imported here; every
message it keeps has secrets removed.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from replyassist._errors import ModelAuthError, ModelError, ModelRequestError, ModelTimeoutError

__all__ = ["Failure", "classify", "is_transient", "redact", "scrub", "to_model_error"]

Kind = Literal[
    "rate_limit",
    "server",
    "timeout",
    "connection",
    "auth",
    "request",
    "unsupported",
    "unparseable",
    "unknown",
]
TRANSIENT: frozenset[str] = frozenset({"rate_limit", "server", "timeout", "connection"})

_TIMEOUT_NAMES = {"APITimeoutError", "ModelTimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout"}
_CONNECTION_NAMES = {
    "APIConnectionError",
    "ModelConnectionError",
    "ConnectError",
    "ReadError",
    "WriteError",
    "RemoteProtocolError",
    "NetworkError",
    "ServerDisconnectedError",
    "ClientConnectionError",
}
# The answer came back but could not be read into the schema (the SDK's or LangChain's parsing).
_UNPARSEABLE_NAMES = {
    "ValidationError",
    "JSONDecodeError",
    "OutputParserException",
    "APIResponseValidationError",
}
_NAME_KINDS: dict[str, Kind] = {
    "RateLimitError": "rate_limit",
    "ModelRateLimitError": "rate_limit",
    "InternalServerError": "server",
    "ModelAPIError": "server",
    "ServiceUnavailableError": "server",
    "AuthenticationError": "auth",
    "PermissionDeniedError": "auth",
    "ModelAuthenticationError": "auth",
    "ModelPermissionDeniedError": "auth",
    "BadRequestError": "request",
    "NotFoundError": "request",
    "UnprocessableEntityError": "request",
    "ModelInvalidRequestError": "request",
    "ModelNotFoundError": "request",
    "ContextOverflowError": "request",
}
# A 400 about these means the server lacks a structured-output feature, not a bad request.
_CAPABILITY = re.compile(r"response_format|json_schema|json schema|tool_choice|\btools?\b|function", re.I)


@dataclass(frozen=True)
class Failure:
    """What went wrong with one model call."""

    kind: Kind
    status: int | None
    retry_after: float | None
    message: str

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT


def classify(exc: BaseException, secrets: Sequence[str] = ()) -> Failure:
    """Read any model-call exception."""
    status = _status_of(exc)
    names = {cls.__name__ for cls in type(exc).__mro__}
    message = redact(_message_of(exc), secrets)
    kind: Kind
    if names & _UNPARSEABLE_NAMES or (status is not None and status < 300):
        kind = "unparseable"
    elif status is not None:
        kind = _kind_of_status(status, exc, message)
    elif names & _TIMEOUT_NAMES or isinstance(exc, TimeoutError):
        kind = "timeout"
    elif names & _CONNECTION_NAMES or isinstance(exc, ConnectionError):
        kind = "connection"
    else:
        kind = next((k for n, k in _NAME_KINDS.items() if n in names), "unknown")
        if kind == "request" and _CAPABILITY.search(message):
            kind = "unsupported"
    return Failure(kind, status, _retry_after(exc), message)


def is_transient(exc: BaseException) -> bool:
    """Whether trying the same request again may succeed (429, 5xx, timeouts, dropped connections)."""
    return classify(exc).transient


def _kind_of_status(status: int, exc: BaseException, message: str) -> Kind:
    if status == 429:
        # An exhausted quota is a 429 too, but waiting does not bring credit back.
        return "request" if "insufficient_quota" in (_error_code(exc) or message) else "rate_limit"
    if status in (408, 409) or status >= 500:
        return "server"
    if status in (401, 403):
        return "auth"
    if status in (400, 422) and _CAPABILITY.search(message):
        return "unsupported"
    return "request"


def _status_of(exc: BaseException) -> int | None:
    for holder in (exc, getattr(exc, "response", None)):
        for attr in ("status_code", "status"):
            value = getattr(holder, attr, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
    return None


def _error_code(exc: BaseException) -> str | None:
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            return str(inner["code"])
    return None


def _message_of(exc: BaseException) -> str:
    message = getattr(exc, "message", None)
    text = message if isinstance(message, str) and message else str(exc)
    return " ".join(text.split())[:500] or type(exc).__name__


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers: Any = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        millis = headers.get("retry-after-ms")
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        value = headers.get("retry-after")
    except (AttributeError, TypeError, ValueError):
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_KEY_LIKE = re.compile(r"\b(sk-|sess-|key-)[A-Za-z0-9_\-*]{6,}")
_BEARER = re.compile(r"(?i)\b(bearer)\s+\S+")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` without the given secrets, API-key-like tokens or bearer credentials."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _KEY_LIKE.sub(lambda m: f"{m.group(1)}***", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} ***", text)


def scrub(exc: BaseException, secrets: Sequence[str]) -> BaseException:
    """Remove secrets from a vendor exception, and from the exceptions it chains, in place.

    Providers echo a rejected key back ("Incorrect API key provided: sk-…"), and wrappers
    (langchain-openai's errors) chain the SDK's error: any of them would print the key in a
    traceback.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    pending: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        _scrub_one(current, secrets)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        current = pending.pop() if pending else None
    return exc


def _scrub_one(exc: BaseException, secrets: Sequence[str]) -> None:
    try:
        exc.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "message", None), str):
            exc.message = redact(exc.message, secrets)  # type: ignore[attr-defined]
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict) and isinstance(inner.get("message"), str):
                inner["message"] = redact(inner["message"], secrets)
    except (AttributeError, TypeError):  # a frozen or exotic exception: leave it
        pass


def to_model_error(failure: Failure, what: str) -> ModelError:
    """The replyassist error for a failure that is not retried (or ran out of retries)."""
    status = f" (HTTP {failure.status})" if failure.status else ""
    if failure.kind == "auth":
        return ModelAuthError(
            f"{what}: the model provider refused the credentials{status}: {failure.message}. "
            "Check OPENAI_API_KEY (or the key given to the model) and its access to this model."
        )
    if failure.kind in ("request", "unsupported"):
        return ModelRequestError(f"{what}: the model provider refused the request{status}: {failure.message}")
    if failure.kind == "timeout":
        return ModelTimeoutError(f"{what}: the model did not answer in time: {failure.message}")
    return ModelError(f"{what}: the model call failed{status}: {failure.message}")
