"""Test set-up for replyassist-zendesk: no network, no credentials, a fake Zendesk on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from replyassist.testing.network import loopback_only

from fake_zendesk import FakeZendesk, make_adapter
from replyassist_zendesk import ZendeskAdapter

_CLEARED = (
    "ZENDESK_SUBDOMAIN",
    "ZENDESK_EMAIL",
    "ZENDESK_API_TOKEN",
    "ZENDESK_OAUTH_TOKEN",
    "ZENDESK_WEBHOOK_SECRET",
    "ZENDESK_BASE_URL",
    "ZENPY_FORCE_NETLOC",
    "ZENPY_FORCE_SCHEME",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear credentials, proxies and zenpy's URL overrides; refuse connections beyond loopback."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    loopback_only(monkeypatch)
    yield


@pytest.fixture
def fake_zendesk() -> Iterator[FakeZendesk]:
    with FakeZendesk() as fake:
        yield fake


@pytest.fixture
def adapter(fake_zendesk: FakeZendesk) -> ZendeskAdapter:
    return make_adapter(fake_zendesk)
