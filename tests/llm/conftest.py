"""Fixtures of the model-drafting tests: a fake OpenAI-compatible server on loopback, the sample KB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from llm_helpers import KEY, ROOT

from replyassist import KnowledgeBase
from replyassist.testing import FakeOpenAIServer


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_directory(ROOT / "examples" / "kb")


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY) as fake:
        yield fake
