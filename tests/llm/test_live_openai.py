"""One opt-in draft against the real OpenAI API; skipped unless a key is given.

The key is read when this module is imported, before the suite's autouse fixture clears
``OPENAI_API_KEY`` for every test: ``REPLYASSIST_LIVE_OPENAI_KEY`` if set (so that a developer
can keep ``OPENAI_API_KEY`` for other tools without paying for test runs), else
``OPENAI_API_KEY``. ``REPLYASSIST_LIVE_MODEL`` picks the model (default ``gpt-4o-mini``).
"""

from __future__ import annotations

import os
import socket

import pytest
from llm_helpers import POLICY, tweet
from pydantic import SecretStr

from replyassist import KnowledgeBase, ReplyAssistant
from replyassist.drafting.llm import ModelSettings

LIVE_KEY = os.environ.get("REPLYASSIST_LIVE_OPENAI_KEY") or os.environ.get("OPENAI_API_KEY")
LIVE_MODEL = os.environ.get("REPLYASSIST_LIVE_MODEL", "gpt-4o-mini")
_REAL_CONNECT = socket.socket.connect  # taken before the suite's guard replaces it


@pytest.mark.skipif(
    not LIVE_KEY, reason="live test: set REPLYASSIST_LIVE_OPENAI_KEY (or OPENAI_API_KEY) to run it"
)
def test_a_real_model_drafts_a_grounded_on_channel_reply(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _REAL_CONNECT)  # this one test may reach api.openai.com
    settings = ModelSettings(model=LIVE_MODEL, api_key=SecretStr(str(LIVE_KEY)))
    draft = ReplyAssistant(kb, llm=settings, policy=POLICY).draft(tweet())
    assert draft.composer == f"openai:{LIVE_MODEL}", draft.warnings
    assert draft.usage is not None and draft.usage.input_tokens > 0 and not draft.usage.estimated
    assert "Maria" in draft.text
    assert "^SR" in draft.text  # signed by replyassist, once
    assert str(LIVE_KEY) not in draft.model_dump_json()
