"""Shared test set-up: no network, no credentials from the developer's environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from replyassist.testing.network import loopback_only

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"

_SECRET_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "REPLYASSIST_MODEL",
    "AZURE_OPENAI_API_KEY",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "REPLYASSIST_PROMPTS_DIR",
    "REPLYASSIST_KB",
    "REPLYASSIST_BRAND",
    "REPLYASSIST_AGENT",
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear credentials and proxies, and refuse connections to anything but loopback."""
    for name in _SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    loopback_only(monkeypatch)
    yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared data folder is missing: {SHARED_DATA}")
    return SHARED_DATA
