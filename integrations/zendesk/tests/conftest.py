"""Test set-up for replyassist-zendesk: no network, no credentials, a fake Zendesk on loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

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
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if isinstance(host, str):
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise RuntimeError(f"tests must not reach the network (tried {host})")
        real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield


@pytest.fixture
def fake_zendesk() -> Iterator[FakeZendesk]:
    with FakeZendesk() as fake:
        yield fake


@pytest.fixture
def adapter(fake_zendesk: FakeZendesk) -> ZendeskAdapter:
    return make_adapter(fake_zendesk)
