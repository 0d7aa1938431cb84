"""Test set-up for replyassist-freshdesk: no network, no credentials, a fake Freshdesk per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from replyassist.testing.network import loopback_only

sys.path.insert(0, str(Path(__file__).parent))

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import FreshdeskAdapter, from_settings

_CLEARED = (
    "FRESHDESK_DOMAIN",
    "FRESHDESK_API_KEY",
    "FRESHDESK_WEBHOOK_SECRET",
    "FRESHDESK_BASE_URL",
    "OPENAI_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear credentials and proxies, and refuse connections to anything but loopback."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    loopback_only(monkeypatch)
    yield


@pytest.fixture
def fake() -> Iterator[FakeFreshdesk]:
    with FakeFreshdesk() as server:
        yield server


@pytest.fixture
def adapter(fake: FakeFreshdesk) -> FreshdeskAdapter:
    return from_settings(fake.settings())
