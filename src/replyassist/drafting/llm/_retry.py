"""Retries with tenacity: backoff with jitter, ``Retry-After`` honoured, one deadline for the whole draft.

The SDK's own retries are turned off (``max_retries=0``) so that this is the only place that
decides: two retry loops stacked would multiply the waits and blow the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from replyassist._errors import ConfigurationError
from replyassist.drafting.llm._translate import classify, is_transient

__all__ = ["DeadlineExceeded", "RetryPolicy", "call_with_retries", "retrying"]

logger = logging.getLogger("replyassist.llm")
T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """The draft's time budget ran out before the model answered."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try the model before giving up (and falling back to the offline composer).

    Attributes:
        deadline: seconds for everything the model does for one draft, retries and waits included.
        max_attempts: calls at most, the first one included.
        initial_wait: the first backoff, in seconds; it doubles on each retry, with jitter.
        max_wait: the longest single backoff.
        jitter: up to this share of each backoff is added at random (0.5: up to 50 % longer).
        request_timeout: seconds one call may take; ``None``: whatever is left of the deadline.
    """

    deadline: float = 20.0
    max_attempts: int = 4
    initial_wait: float = 0.5
    max_wait: float = 8.0
    jitter: float = 0.5
    request_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.deadline <= 0 or self.max_attempts < 1 or self.initial_wait < 0 or self.max_wait < 0:
            raise ConfigurationError(
                f"RetryPolicy needs deadline > 0, max_attempts >= 1 and non-negative waits, got {self!r}"
            )
        if self.request_timeout is not None and self.request_timeout <= 0:
            raise ConfigurationError(f"RetryPolicy.request_timeout must be > 0, got {self.request_timeout}")


class _WaitHonouringRetryAfter(wait_base):
    """Exponential backoff with jitter, but never shorter than the server's ``Retry-After``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        policy = self._policy
        base = min(policy.max_wait, policy.initial_wait * 2.0 ** (retry_state.attempt_number - 1))
        # Jitter spreads the retries of many workers hit by the same outage.
        wait = base + random.uniform(0, policy.jitter * base)
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is not None:
            retry_after = classify(exc).retry_after
            if retry_after is not None:
                wait = max(wait, retry_after)
        return wait


class _StopAtDeadline(stop_base):
    """Stop when the next attempt could only start after the deadline."""

    def __init__(self, deadline_at: float) -> None:
        self._deadline_at = deadline_at

    def __call__(self, retry_state: RetryCallState) -> bool:
        return time.monotonic() + retry_state.upcoming_sleep >= self._deadline_at


def _log_retry(secrets: Sequence[str]) -> Callable[[RetryCallState], None]:
    def log(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if exc is None:
            return
        failure = classify(exc, secrets)
        logger.warning(
            "model call %d failed (%s%s): %s; retrying in %.2f s",
            retry_state.attempt_number,
            failure.kind,
            f", HTTP {failure.status}" if failure.status else "",
            failure.message,
            retry_state.upcoming_sleep,
        )

    return log


def retrying(policy: RetryPolicy, *, deadline_at: float, secrets: Sequence[str] = ()) -> AsyncRetrying:
    """The tenacity controller for one draft: transient errors retried until attempts or time run out."""
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts) | _StopAtDeadline(deadline_at),
        wait=_WaitHonouringRetryAfter(policy),
        retry=retry_if_exception(is_transient),
        before_sleep=_log_retry(secrets),
        reraise=True,
    )


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    deadline_at: float,
    secrets: Sequence[str] = (),
) -> T:
    """Run ``call()`` until it succeeds, fails for good, or the attempts or the deadline run out.

    Each attempt is cancelled when the per-request timeout or the deadline passes.

    Raises:
        DeadlineExceeded: the deadline passed (during an attempt or before another could start).
        BaseException: the last error, as raised, when it is not transient or attempts ran out.
    """
    last: BaseException | None = None  # told when the deadline ends the retries
    async for attempt in retrying(policy, deadline_at=deadline_at, secrets=secrets):
        with attempt:
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded("the draft's deadline passed before the model answered") from last
            timeout = min(remaining, policy.request_timeout or remaining)
            try:
                return await asyncio.wait_for(call(), timeout=timeout)
            except TimeoutError as exc:
                if isinstance(exc, DeadlineExceeded) or time.monotonic() >= deadline_at - 1e-3:
                    raise DeadlineExceeded("the draft's deadline passed before the model answered") from (
                        last or exc
                    )
                last = exc
                raise
            except Exception as exc:
                last = exc
                raise
    raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover
