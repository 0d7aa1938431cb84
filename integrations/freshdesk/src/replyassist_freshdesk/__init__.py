"""Freshdesk for replyassist: drafts as private notes, authenticated webhooks, Solutions sync.

Install next to the service and it is found through the ``replyassist.helpdesks`` entry point
(``freshdesk``). Settings come from the environment: ``FRESHDESK_DOMAIN``,
``FRESHDESK_API_KEY``, ``FRESHDESK_WEBHOOK_SECRET`` (and optionally ``FRESHDESK_BASE_URL``,
``FRESHDESK_TIMEOUT``, ``FRESHDESK_LANGUAGES``). ``replyassist-freshdesk setup`` prints the
automation rule that calls the service.

Example:
    >>> from replyassist import load_helpdesk
    >>> adapter = load_helpdesk("freshdesk")  # doctest: +SKIP
    >>> adapter.fetch_ticket("42").channel  # doctest: +SKIP
    <Channel.EMAIL: 'email'>
"""

from __future__ import annotations

from replyassist_freshdesk._adapter import FreshdeskAdapter, from_settings
from replyassist_freshdesk._client import FreshdeskClient, RateLimitStatus
from replyassist_freshdesk._settings import FreshdeskSettings
from replyassist_freshdesk._webhook import SECRET_HEADER, expected_body

__all__ = [
    "SECRET_HEADER",
    "FreshdeskAdapter",
    "FreshdeskClient",
    "FreshdeskSettings",
    "RateLimitStatus",
    "expected_body",
    "from_settings",
]
__version__ = "0.1.0"
