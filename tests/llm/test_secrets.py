"""The API key is a secret: never in a repr, an error, a log line or a draft (after LangChain's test_secrets)."""

from __future__ import annotations

import logging
import traceback

import pytest
from llm_helpers import KEY, POLICY, composer, settings, tweet
from pydantic import SecretStr

from replyassist import KnowledgeBase, ModelAuthError, ReplyAssistant
from replyassist.drafting.llm import ModelSettings, RetryPolicy
from replyassist.testing import FakeOpenAIServer, FakeReply, model_reply


def test_settings_and_composers_never_show_the_key(server: FakeOpenAIServer, kb: KnowledgeBase) -> None:
    model_settings = settings(server)
    assert isinstance(model_settings.api_key, SecretStr)
    llm = composer(server)
    assistant = ReplyAssistant(kb, llm=llm)
    for text in (
        repr(model_settings),
        str(model_settings),
        model_settings.model_dump_json(),
        repr(llm),
        repr(assistant),
        repr(llm.chat_model),
    ):
        assert KEY not in text


def test_the_key_from_the_environment_stays_secret(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    from_env = ModelSettings.from_env()
    assert from_env.api_key is not None and from_env.api_key.get_secret_value() == KEY
    assert KEY not in repr(from_env)


def test_a_rejected_key_echoed_by_the_server_is_scrubbed_everywhere(
    kb: KnowledgeBase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The server echoes the key it was sent, in full: a harsher test than OpenAI's masked echo.
    with (
        FakeOpenAIServer(api_key="sk-what-the-server-expects-0000") as server,
        pytest.raises(ModelAuthError) as caught,
    ):
        ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    printed = "".join(traceback.format_exception(caught.value))
    assert "Incorrect API key provided" in printed  # the cause is still told...
    assert KEY not in printed  # ...without the key
    assert KEY not in caplog.text


def test_logs_and_drafts_of_failing_and_successful_calls_hold_no_key(
    kb: KnowledgeBase, server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.add(FakeReply.rate_limited(retry_after=0), FakeReply.server_error())
    server.default = FakeReply.structured(model_reply("Hi Maria, start a return from Orders."))
    llm = composer(server, retry=RetryPolicy(initial_wait=0.01, max_wait=0.02))
    draft = ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())
    streamed = list(ReplyAssistant(kb, llm=llm, policy=POLICY).stream(tweet()))
    assert "retrying" in caplog.text  # the retries were logged...
    assert KEY not in caplog.text  # ...without the key
    assert KEY not in draft.model_dump_json()
    assert KEY not in str(streamed)
    assert all(KEY not in str(r.headers) for r in server.requests)
