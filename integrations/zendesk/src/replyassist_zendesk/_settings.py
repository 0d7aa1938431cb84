"""Settings of the Zendesk adapter: read from a mapping (usually the environment), secrets kept secret.

=========================  =====================================================================
setting                    meaning
=========================  =====================================================================
``ZENDESK_SUBDOMAIN``      ``acme`` for ``acme.zendesk.com`` (a full URL or host is accepted)
``ZENDESK_EMAIL``          the API user's e-mail address (with an API token)
``ZENDESK_API_TOKEN``      an API token (Admin Center → Apps and integrations → Zendesk API)
``ZENDESK_OAUTH_TOKEN``    an OAuth access token, instead of e-mail + API token
``ZENDESK_WEBHOOK_SECRET`` the webhook's signing secret (``replyassist-zendesk setup`` prints where)
``ZENDESK_BASE_URL``       tests and proxies only: send every API call to this ``http(s)://host:port``
``ZENDESK_REPLAY_WINDOW``  seconds a webhook's signed timestamp may be off (default 300)
``ZENDESK_TIMEOUT``        seconds an API call may take (default 30)
=========================  =====================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator
from replyassist import ConfigurationError

__all__ = ["ZendeskSettings"]

_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ZendeskSettings(BaseModel):
    """How to reach one Zendesk account; secrets are ``SecretStr`` and never shown."""

    model_config = ConfigDict(frozen=True)

    subdomain: str
    email: str | None = None
    api_token: SecretStr | None = None
    oauth_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    base_url: str | None = None
    """``http(s)://host:port`` every API call goes to instead of ``https://{subdomain}.zendesk.com``."""
    replay_window: float = 300.0
    timeout: float = 30.0

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> ZendeskSettings:
        if (self.api_token is None) == (self.oauth_token is None):
            raise ConfigurationError(
                "Zendesk needs exactly one of an API token (with an e-mail) or an OAuth token"
            )
        if self.api_token is not None and not self.email:
            raise ConfigurationError("a Zendesk API token needs the API user's e-mail address")
        return self

    @property
    def auth_kind(self) -> str:
        """``"api_token"`` or ``"oauth"``: safe to show."""
        return "oauth" if self.oauth_token is not None else "api_token"

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, str], *, require_webhook_secret: bool = True
    ) -> ZendeskSettings:
        """Read the ``ZENDESK_*`` settings; one ``ConfigurationError`` names everything missing or wrong.

        ``require_webhook_secret`` is False for ``replyassist-zendesk setup``, which is what
        creates the webhook and its secret in the first place.
        """
        get = {k: v.strip() for k, v in settings.items() if k.startswith("ZENDESK_") and v and v.strip()}
        problems: list[str] = []
        subdomain = _subdomain(get.get("ZENDESK_SUBDOMAIN", ""), problems)
        token, oauth, email = (
            get.get("ZENDESK_API_TOKEN"),
            get.get("ZENDESK_OAUTH_TOKEN"),
            get.get("ZENDESK_EMAIL"),
        )
        if token and oauth:
            problems.append(
                "set either ZENDESK_API_TOKEN (with ZENDESK_EMAIL) or ZENDESK_OAUTH_TOKEN, not both"
            )
        elif not token and not oauth:
            problems.append("ZENDESK_API_TOKEN (with ZENDESK_EMAIL) or ZENDESK_OAUTH_TOKEN is not set")
        elif token and not email:
            problems.append("ZENDESK_EMAIL is not set (an API token needs the API user's e-mail address)")
        if require_webhook_secret and not get.get("ZENDESK_WEBHOOK_SECRET"):
            problems.append(
                "ZENDESK_WEBHOOK_SECRET is not set (the webhook's signing secret; "
                "`replyassist-zendesk setup` retrieves it)"
            )
        base_url = get.get("ZENDESK_BASE_URL")
        if base_url and (urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc):
            problems.append("ZENDESK_BASE_URL must look like http(s)://host:port")
        replay_window = _number(get, "ZENDESK_REPLAY_WINDOW", 300.0, problems)
        timeout = _number(get, "ZENDESK_TIMEOUT", 30.0, problems)
        if problems:
            raise ConfigurationError("Zendesk is not configured: " + "; ".join(problems))
        secret = get.get("ZENDESK_WEBHOOK_SECRET")
        return cls(
            subdomain=subdomain,
            email=email,
            api_token=SecretStr(token) if token else None,
            oauth_token=SecretStr(oauth) if oauth else None,
            webhook_secret=SecretStr(secret) if secret else None,
            base_url=base_url,
            replay_window=replay_window,
            timeout=timeout,
        )


def _subdomain(raw: str, problems: list[str]) -> str:
    """``acme``, ``acme.zendesk.com`` and ``https://acme.zendesk.com/`` all mean ``acme``."""
    if not raw:
        problems.append("ZENDESK_SUBDOMAIN is not set (e.g. `acme` for acme.zendesk.com)")
        return ""
    host = urlsplit(raw).hostname if "://" in raw else raw.strip("/")
    name = (host or "").lower().removesuffix(".zendesk.com")
    if not _SUBDOMAIN.match(name):
        problems.append(f"ZENDESK_SUBDOMAIN {raw!r} is not a Zendesk subdomain (e.g. `acme`)")
    return name


def _number(get: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    if name not in get:
        return default
    try:
        value = float(get[name])
    except ValueError:
        value = -1.0
    if value <= 0:
        problems.append(f"{name} must be a positive number of seconds")
        return default
    return value
