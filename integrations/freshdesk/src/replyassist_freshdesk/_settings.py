"""The adapter's settings: read once from a mapping (usually the environment), validated whole.

Names (all strings, as the service's environment holds them):

- ``FRESHDESK_DOMAIN`` (required): the account's ``*.freshdesk.com`` domain, or just its
  sub-domain (``acme``). The API answers only there, never on a custom CNAME.
- ``FRESHDESK_API_KEY`` (required): an agent's API key (Profile settings → API key).
- ``FRESHDESK_WEBHOOK_SECRET`` (required): the shared secret the automation rule sends.
- ``FRESHDESK_BASE_URL`` (optional): where the API is reached instead of
  ``https://<domain>/api/v2/`` — an egress proxy, or a fake server in tests.
- ``FRESHDESK_TIMEOUT`` (optional, seconds, default 30): per HTTP request.
- ``FRESHDESK_LANGUAGES`` (optional, comma-separated, primary first): the Solutions
  languages to sync; default: asked from the account (``GET /settings/helpdesk``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr
from replyassist import ConfigurationError

__all__ = ["FreshdeskSettings"]

_SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_MIN_SECRET_CHARS = 16


@dataclass(frozen=True, slots=True)
class FreshdeskSettings:
    """Validated settings; secrets are ``SecretStr`` and never shown by ``repr``."""

    domain: str
    """Normalised ``<sub>.freshdesk.com``."""
    api_key: SecretStr
    webhook_secret: SecretStr
    base_url: str | None = None
    timeout: float = 30.0
    languages: tuple[str, ...] = ()

    @property
    def api_prefix(self) -> str:
        """The URL every API path is appended to (always ends with a slash)."""
        return self.base_url or f"https://{self.domain}/api/v2/"

    @property
    def portal_url(self) -> str:
        """Where agents and customers open tickets and articles (links in notes and citations)."""
        return f"https://{self.domain}"

    @classmethod
    def from_mapping(cls, settings: Mapping[str, str]) -> FreshdeskSettings:
        """Read and check every setting; one ``ConfigurationError`` lists every problem."""
        problems: list[str] = []
        missing = [
            name
            for name in ("FRESHDESK_DOMAIN", "FRESHDESK_API_KEY", "FRESHDESK_WEBHOOK_SECRET")
            if not (settings.get(name) or "").strip()
        ]
        if missing:
            problems.append("missing " + ", ".join(missing))
        domain = ""
        if raw_domain := (settings.get("FRESHDESK_DOMAIN") or "").strip():
            try:
                domain = normalise_domain(raw_domain)
            except ValueError as exc:
                problems.append(str(exc))
        secret = (settings.get("FRESHDESK_WEBHOOK_SECRET") or "").strip()
        if secret and len(secret) < _MIN_SECRET_CHARS:
            problems.append(
                f"FRESHDESK_WEBHOOK_SECRET is too short ({len(secret)} characters; use at least "
                f"{_MIN_SECRET_CHARS}, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        base_url = None
        if raw_base := (settings.get("FRESHDESK_BASE_URL") or "").strip():
            try:
                base_url = _normalise_base_url(raw_base)
            except ValueError as exc:
                problems.append(str(exc))
        timeout = _positive_float(settings.get("FRESHDESK_TIMEOUT"), "FRESHDESK_TIMEOUT", 30.0, problems)
        languages = tuple(
            lang.strip() for lang in (settings.get("FRESHDESK_LANGUAGES") or "").split(",") if lang.strip()
        )
        if problems:
            raise ConfigurationError("Freshdesk settings: " + "; ".join(problems))
        return cls(
            domain=domain,
            api_key=SecretStr((settings.get("FRESHDESK_API_KEY") or "").strip()),
            webhook_secret=SecretStr(secret),
            base_url=base_url,
            timeout=timeout,
            languages=languages,
        )


def normalise_domain(value: str) -> str:
    """``acme``, ``acme.freshdesk.com`` or ``https://acme.freshdesk.com/`` → ``acme.freshdesk.com``.

    python-freshdesk only checks that ``"freshdesk.com"`` occurs somewhere in the string (so
    ``acme.freshdesk.com.evil.example`` passes and a pasted URL becomes ``https://https://…``) and
    raises ``AttributeError`` otherwise; this check is exact and says what to set instead.
    """
    host = value.strip().lower()
    if "://" in host:
        host = urlsplit(host).hostname or ""
    host = host.strip("/")
    if host.endswith(".freshdesk.com"):
        sub = host.removesuffix(".freshdesk.com")
    elif "." not in host:
        sub = host
    else:
        raise ValueError(
            f"FRESHDESK_DOMAIN must be your account's <name>.freshdesk.com domain, not {value!r}: "
            "Freshdesk's API does not answer on custom domains (CNAMEs); to route calls through a "
            "proxy, set FRESHDESK_BASE_URL as well"
        )
    if not _SUBDOMAIN.match(sub):
        raise ValueError(f"FRESHDESK_DOMAIN {value!r} is not a valid <name>.freshdesk.com domain")
    return f"{sub}.freshdesk.com"


def _normalise_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(
            f"FRESHDESK_BASE_URL must be an http(s) URL such as https://proxy.example/api/v2/, not {value!r}"
        )
    if parts.username or parts.password or parts.query:
        raise ValueError("FRESHDESK_BASE_URL must not carry credentials or a query string")
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v2"):
        path += "/api/v2"
    return f"{parts.scheme}://{parts.netloc}{path}/"


def _positive_float(raw: str | None, name: str, default: float, problems: list[str]) -> float:
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        problems.append(f"{name} must be a positive number of seconds, not {raw!r}")
        return default
    return value
