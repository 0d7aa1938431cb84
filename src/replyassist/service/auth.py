"""Bearer tokens and the per-token rate limit of the ``/v1`` API.

Tokens are checked against the store on every call (only their hashes are stored), so a
revoked token is refused on its very next request, in every process.

The rate limit is a token bucket per API token, kept **in memory, per process**: each token
may make ``rate_limit_per_minute`` calls in a burst, refilled evenly over the minute. With
several service processes behind a load balancer each enforces its own bucket, so the
effective limit is the per-process one times the number of processes. That is enough to stop
a runaway sidebar app; a shared limit would need a shared store (Redis) and is not worth a
round trip on every call.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import Request

from replyassist.service.deps import ServiceState, get_state, off_loop
from replyassist.service.http_errors import ApiError
from replyassist.service.store import TokenRecord

__all__ = ["RateLimiter", "authorize", "bearer_scheme"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: ``per_minute`` calls in a burst, refilled at ``per_minute / 60`` a second.

    Thread-safe. Buckets that have refilled completely are forgotten, so memory stays bounded
    by the number of keys active in the last minute.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._last_prune = clock()

    def acquire(self, key: str) -> float:
        """Take one call for ``key``: 0 if allowed, else the seconds to wait before the next one."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
            else:
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if now - self._last_prune > 60:
                self._prune(now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full_after}
        self._last_prune = now

    @staticmethod
    def retry_after_header(wait: float) -> str:
        """``Retry-After`` is whole seconds; round up so a client that obeys it is let in."""
        return str(max(1, math.ceil(wait)))


# The shape of the tokens `replyassist tokens create` makes is "ra_" + 43 characters; anything
# much longer is not a token and is refused before it is hashed.
_MAX_TOKEN_CHARS = 256

bearer_scheme = HTTPBearer(auto_error=False, description="A token from `replyassist tokens create`.")


async def authorize(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    state: Annotated[ServiceState, Depends(get_state)],
) -> TokenRecord:
    """The ``/v1`` guard: a known, unrevoked bearer token within its rate limit.

    Raises:
        ApiError: 401 ``unauthorized`` (missing, unknown or revoked token), 429 ``rate_limited``.
    """
    token = credentials.credentials if credentials is not None else None
    if not token:
        raise ApiError(
            401,
            "unauthorized",
            "this endpoint needs a bearer token: send `Authorization: Bearer <token>`",
            headers=_CHALLENGE,
        )
    record = (
        await off_loop(state.context.store.verify_token, token) if len(token) <= _MAX_TOKEN_CHARS else None
    )
    if record is None:
        raise ApiError(
            401, "unauthorized", "the bearer token is unknown or has been revoked", headers=_CHALLENGE
        )
    wait = state.limiter.acquire(record.id)
    if wait > 0:
        retry_after = RateLimiter.retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests with this token; retry in {retry_after} s",
            headers={"Retry-After": retry_after},
        )
    request.state.token_id = record.id
    return record


_CHALLENGE = {"WWW-Authenticate": "Bearer"}
