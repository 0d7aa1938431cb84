"""python-freshdesk, with its gaps closed, over one HTTP session per thread.

:class:`FreshdeskClient` *is* python-freshdesk's ``freshdesk.v2.api.API`` (its ticket,
conversation, ticket-field and solution helpers are used as they are) with four changes made
in the one place the library lets them be made cleanly:

- **base URL**: the library builds ``https://{domain}/api/v2/`` and nothing else; the client
  takes the validated domain and an optional base URL (a proxy, a loopback fake).
- **errors and 429**: every response goes through ``_action``; the override reads the headers
  the library ignores — ``Retry-After`` becomes :class:`~replyassist.RateLimited`'s
  ``retry_after``, ``X-Ratelimit-*`` are recorded and logged — and maps statuses straight to
  the core's errors (the library's 429 error only interpolates Retry-After into its message,
  and it turns a plain 500 into a generic error).
- **pagination**: :meth:`FreshdeskClient.pages` follows the ``link: <…>; rel="next"`` header
  (the library's solution lists fetch only the first page; its other lists guess the end from
  a short page) — only ever towards this client's own base URL, so the API key never leaves
  for another host.
- **timeouts and transport errors**: the library's session has no timeout; this one does,
  and connection failures become :class:`~replyassist.HelpdeskError`.

The remaining gap, ``Ticket.source`` raising ``KeyError`` for sources 9 and 10, lives in the
library's models and is closed by the mapping, which reads the raw code (see ``_mapping``).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from freshdesk.v2.api import API as _LibraryAPI
from replyassist import HelpdeskError, RateLimited, TicketNotFound

__all__ = ["FreshdeskClient", "RateLimitStatus"]

log = logging.getLogger("replyassist_freshdesk")

_MAX_PAGES = 1000
"""A guard against a server whose ``next`` links never end (Freshdesk stops at 300-500)."""
PER_PAGE = 100
"""The API's maximum page size; fewer pages, fewer credits."""


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """What the last response said about the account's API budget (per minute)."""

    total: int | None
    remaining: int | None
    used_by_request: int | None
    observed_at: float

    @property
    def low(self) -> bool:
        """Less than a tenth of the budget is left."""
        if self.remaining is None:
            return False
        if self.total:
            return self.remaining <= max(1, self.total // 10)
        return self.remaining <= 1


class _TimeoutSession(requests.Session):
    """A session with a default timeout, whose transport failures are helpdesk errors."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        try:
            return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        except requests.Timeout as exc:
            raise HelpdeskError(f"Freshdesk did not answer within {self.default_timeout:g} s") from exc
        except requests.RequestException as exc:
            host = urlsplit(url if isinstance(url, str) else url.decode()).netloc
            raise HelpdeskError(f"cannot reach Freshdesk at {host}: {type(exc).__name__}") from exc


class FreshdeskClient(_LibraryAPI):  # type: ignore[misc]  # python-freshdesk has no types
    """python-freshdesk's v2 ``API`` on a base URL of our choosing, with errors and pages handled.

    Not thread-safe (one ``requests.Session``): the adapter keeps one client per thread.

    Args:
        domain: the validated ``<name>.freshdesk.com`` domain (the library's own check passes).
        api_key: the agent API key, sent as HTTP Basic user (password ``X``, as the docs do).
        api_prefix: where paths are appended, ending with ``/api/v2/``.
        timeout: seconds per request.
    """

    def __init__(self, domain: str, api_key: str, *, api_prefix: str, timeout: float = 30.0) -> None:
        super().__init__(domain, api_key)
        # The library hard-codes https://{domain}/api/v2/ and a session without timeout: replace both.
        self._api_prefix = api_prefix
        session = _TimeoutSession(timeout)
        session.auth = (api_key, "X")
        session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
        self._session = session
        self.rate_limit: RateLimitStatus | None = None

    def __repr__(self) -> str:
        return f"FreshdeskClient(api_prefix={self._api_prefix!r})"

    # --- the library's hook: every response passes here ------------------------------------------

    def _action(self, req: requests.Response) -> Any:
        """Record the rate-limit headers, raise the core's error for a failure, else the JSON."""
        self._record_rate_limit(req)
        status = req.status_code
        if status >= 400:
            raise _error_for(req)
        if status == 204 or not req.content:
            return {}
        try:
            return req.json()
        except ValueError as exc:
            raise HelpdeskError(
                f"Freshdesk answered {status} to {_where(req)} with a body that is not JSON",
                status_code=status,
            ) from exc

    # --- what the library lacks ------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to the API prefix) and return its JSON."""
        return self._action(self._session.get(self._url(path, params)))

    def post_json(self, path: str, body: Any) -> Any:
        return self._action(self._session.post(self._url(path), json=body))

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page of a list endpoint, following ``link: <…>; rel="next"`` to the last page.

        ``per_page`` defaults to 100 (the API's maximum). A body that is not a list, or a next
        link that leaves the API, is an error; a link seen twice ends the walk (with a warning).
        """
        url: str | None = self._url(path, {"per_page": PER_PAGE, **(params or {})})
        seen: set[str] = set()
        while url is not None and len(seen) < _MAX_PAGES:
            seen.add(url)
            response = self._session.get(url)
            page = self._action(response)
            if not isinstance(page, list):
                raise HelpdeskError(
                    f"Freshdesk answered {_where(response)} with {type(page).__name__}, not a list"
                )
            yield page
            url = self._next_url(response)
            if url in seen:
                log.warning("Freshdesk's next-page link repeats %s; stopping there", _where(response))
                return
        if url is not None:
            log.warning("stopped following Freshdesk pages after %d pages of %s", _MAX_PAGES, path)

    def _url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = self._api_prefix + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def _next_url(self, response: requests.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        parts = urlsplit(link)
        marker = "/api/v2/"
        if marker not in parts.path:
            raise HelpdeskError(
                f"Freshdesk's next-page link leaves the API ({parts.path!r}); not following it"
            )
        # Keep only the path below /api/v2/ and the query: the host is always ours, so the API key
        # goes nowhere else even if a proxy passes Freshdesk's own absolute links through.
        rest = parts.path.split(marker, 1)[1]
        return self._api_prefix + rest + (f"?{parts.query}" if parts.query else "")

    def _record_rate_limit(self, response: requests.Response) -> None:
        headers = response.headers
        if "X-Ratelimit-Remaining" not in headers:
            return
        status = RateLimitStatus(
            total=_int(headers.get("X-Ratelimit-Total")),
            remaining=_int(headers.get("X-Ratelimit-Remaining")),
            used_by_request=_int(headers.get("X-Ratelimit-Used-CurrentRequest")),
            observed_at=time.time(),
        )
        self.rate_limit = status
        if status.low:
            log.warning(
                "Freshdesk API budget is low: %s of %s calls left this minute", status.remaining, status.total
            )
        else:
            log.debug("Freshdesk API budget: %s of %s calls left", status.remaining, status.total)


def _error_for(response: requests.Response) -> HelpdeskError:
    """The core's error for a failed response; messages name the call, never a credential."""
    status = response.status_code
    where = _where(response)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 429:
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimited(
            f"Freshdesk rate limit reached on {where}{wait}", status_code=429, retry_after=retry_after
        )
    if status == 404:
        if _path_of(response).startswith("tickets/"):
            return TicketNotFound(f"Freshdesk has no such ticket ({where})", status_code=404)
        return HelpdeskError(f"Freshdesk answered 404 (not found) to {where}", status_code=404)
    if status == 401:
        return HelpdeskError(
            f"Freshdesk refused the API key (401) on {where}: check FRESHDESK_API_KEY", status_code=401
        )
    if status == 403:
        return HelpdeskError(
            f"Freshdesk denied {where} (403): the API key's agent lacks the permission or the plan lacks the feature",
            status_code=403,
        )
    if status >= 500:
        return HelpdeskError(
            f"Freshdesk answered {status} (server error) to {where}",
            status_code=status,
            retry_after=retry_after,
        )
    return HelpdeskError(f"Freshdesk refused {where} ({status}): {_describe(response)}", status_code=status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); ``None`` if absent."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(response: requests.Response) -> str:
    """Freshdesk's validation message (``description`` and each field's ``message``)."""
    try:
        body = response.json()
    except ValueError:
        return "no details"
    if not isinstance(body, dict):
        return "no details"
    errors = body.get("errors")
    details = (
        "; ".join(
            f"{e.get('field', '?')}: {e.get('message', e.get('code', '?'))}"
            for e in errors
            if isinstance(e, dict)
        )
        if isinstance(errors, list)
        else ""
    )
    summary = str(body.get("description") or body.get("message") or "no details")
    return f"{summary} ({details})" if details else summary


def _where(response: requests.Response) -> str:
    method = response.request.method if response.request is not None else "GET"
    return f"{method} {_path_of(response) or '/'}"


def _path_of(response: requests.Response) -> str:
    """The request's path below ``/api/v2/``, without the query."""
    path = urlsplit(response.url).path
    return path.split("/api/v2/", 1)[1] if "/api/v2/" in path else path.lstrip("/")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
