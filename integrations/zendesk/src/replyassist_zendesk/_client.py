"""zenpy, set up so that the service — not zenpy — decides when to retry.

zenpy sleeps through a 429 itself: ``BaseApi._call_api`` loops while the answer has a
``Retry-After`` header, sleeping one second at a time (zenpy 2.0.57; ``raise_on_ratelimit``
only exists in later, unreleased versions). A worker thread that sleeps for minutes inside a
job holds its lease and hides the rate limit from the service. So every session gets a
response hook that moves ``Retry-After`` aside on a 429: zenpy then raises at once, and
:func:`translate` turns the answer into :class:`~replyassist.RateLimited` with the delay.
Sessions are plain ``requests`` sessions, without urllib3 retries, for the same reason.

zenpy's API objects keep per-call state (the "dirty" object of an update), so one zenpy
client is made per thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from replyassist import HelpdeskError, RateLimited, TicketNotFound
from zenpy import Zenpy
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from replyassist_zendesk._settings import ZendeskSettings
from replyassist_zendesk._version import __version__

__all__ = ["TicketUpdateLimits", "ZendeskClient", "translate", "translating"]

_STASHED_RETRY_AFTER = "X-Replyassist-Retry-After"
_PER_TICKET_HEADER = "zendesk-ratelimit-per-ticket-updates"


class ZendeskClient:
    """Hands out one configured zenpy client per thread and remembers per-ticket update budgets."""

    def __init__(
        self, settings: ZendeskSettings, *, session_factory: Callable[[], requests.Session] | None = None
    ) -> None:
        self._settings = settings
        self._session_factory = session_factory or requests.Session
        self._local = threading.local()
        self.update_limits = TicketUpdateLimits()
        if settings.base_url:
            _force_base_url(settings.base_url)

    def zenpy(self) -> Any:
        """This thread's zenpy client (created on first use)."""
        client = getattr(self._local, "zenpy", None)
        if client is None:
            client = self._make()
            self._local.zenpy = client
        return client

    def _make(self) -> Any:
        session = self._session_factory()
        session.headers["User-Agent"] = f"replyassist-zendesk/{__version__}"
        session.hooks["response"].append(self._on_response)
        s = self._settings
        auth: dict[str, Any]
        if s.oauth_token is not None:
            auth = {"oauth_token": s.oauth_token.get_secret_value()}
        else:
            assert s.api_token is not None  # ZendeskSettings.from_mapping guarantees one of them
            auth = {"email": s.email, "token": s.api_token.get_secret_value()}
        # disable_cache: a webhook-driven job must see the ticket as it is now, not as it was.
        return Zenpy(subdomain=s.subdomain, session=session, timeout=s.timeout, disable_cache=True, **auth)

    def _on_response(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        if response.status_code == 429 and "Retry-After" in response.headers:
            response.headers[_STASHED_RETRY_AFTER] = response.headers.pop("Retry-After")
        self.update_limits.observe(response)


class TicketUpdateLimits:
    """Zendesk's per-ticket update limit, as its ``zendesk-ratelimit-per-ticket-updates`` header reports it.

    Zendesk allows a ticket only so many updates in a window (``total=30; remaining=29;
    resets=468`` was recorded). Once a ticket's ``remaining`` reaches 0, :meth:`check` raises
    ``RateLimited`` until the window resets, without spending a request that would get a 429.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exhausted_until: dict[str, float] = {}

    def observe(self, response: requests.Response) -> None:
        header = response.headers.get(_PER_TICKET_HEADER)
        ticket_id = _ticket_in_path(response.request.path_url if response.request else "")
        if not header or ticket_id is None:
            return
        fields = dict(part.strip().partition("=")[::2] for part in header.split(";"))
        try:
            remaining, resets = int(fields.get("remaining", "1")), float(fields.get("resets", "0"))
        except ValueError:
            return
        with self._lock:
            if remaining <= 0:
                self._exhausted_until[ticket_id] = time.monotonic() + resets
            else:
                self._exhausted_until.pop(ticket_id, None)

    def check(self, ticket_id: str) -> None:
        with self._lock:
            until = self._exhausted_until.get(ticket_id)
            if until is None:
                return
            wait = until - time.monotonic()
            if wait <= 0:
                del self._exhausted_until[ticket_id]
                return
        raise RateLimited(
            f"Zendesk's per-ticket update limit for ticket {ticket_id} is used up; it resets in {wait:.0f} s",
            status_code=429,
            retry_after=wait,
        )


def _ticket_in_path(path: str) -> str | None:
    parts = path.split("?")[0].strip("/").split("/")
    if len(parts) >= 4 and parts[:3] == ["api", "v2", "tickets"]:
        ticket = parts[3].removesuffix(".json")
        return ticket if ticket.isdigit() else None
    return None


def _force_base_url(base_url: str) -> None:
    """Point zenpy at ``base_url`` with its documented ``ZENPY_FORCE_NETLOC``/``_SCHEME`` switches.

    zenpy reads them from the environment on every request, so this applies to every zenpy
    client in the process: it is meant for tests and for a proxy in front of one account.
    """
    parts = urlsplit(base_url)
    os.environ["ZENPY_FORCE_NETLOC"] = parts.netloc
    os.environ["ZENPY_FORCE_SCHEME"] = parts.scheme


@contextmanager
def translating(action: str, *, ticket_id: int | str | None = None) -> Iterator[None]:
    """Run a zenpy call, turning whatever it raises into the core's ``HelpdeskError`` tree."""
    try:
        yield
    except (ZenpyException, APIException, requests.RequestException) as exc:
        raise translate(exc, action, ticket_id=None if ticket_id is None else str(ticket_id)) from exc


def translate(exc: Exception, action: str, *, ticket_id: str | None = None) -> HelpdeskError:
    """The core error for a zenpy or requests failure; the message names the call, never a secret."""
    if isinstance(exc, RatelimitBudgetExceeded):
        return RateLimited(f"Zendesk rate limit while trying to {action}", status_code=429)
    response = getattr(exc, "response", None)
    if not isinstance(response, requests.Response):
        if isinstance(exc, requests.Timeout):
            return HelpdeskError(f"Zendesk did not answer in time while trying to {action}")
        if isinstance(exc, requests.ConnectionError):
            return HelpdeskError(f"cannot reach Zendesk to {action}: {type(exc).__name__}")
        return HelpdeskError(f"Zendesk call failed while trying to {action}: {type(exc).__name__}")
    status = response.status_code
    detail = _error_detail(response)
    message = f"Zendesk answered {status} while trying to {action}" + (f": {detail}" if detail else "")
    if status == 429:
        return RateLimited(message, status_code=429, retry_after=_retry_after(response))
    if status == 404 and ticket_id is not None:
        return TicketNotFound(f"Zendesk has no ticket {ticket_id} ({message})", status_code=404)
    return HelpdeskError(message, status_code=status, retry_after=_retry_after(response))


def _error_detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error: object = body.get("error")
    description: object = body.get("description")
    if isinstance(error, dict):  # the newer error shape
        nested = error
        error, description = nested.get("title"), nested.get("message")
    return ": ".join(str(p) for p in (error, description) if p)[:300]


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds or a date), else the rate-limit reset headers."""
    raw = response.headers.get(_STASHED_RETRY_AFTER) or response.headers.get("Retry-After")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    if response.status_code != 429:
        return None
    reset = response.headers.get("ratelimit-reset")
    if reset:
        try:
            return max(0.0, float(reset))
        except ValueError:
            pass
    return None
