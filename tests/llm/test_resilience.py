"""Retries, Retry-After, the per-draft deadline and the offline fallback; errors that must be raised."""

from __future__ import annotations

import asyncio
import time

import pytest
from llm_helpers import KEY, POLICY, answer_citing_shown, composer, tweet

from replyassist import KnowledgeBase, ModelAuthError, ModelError, ModelRequestError, ReplyAssistant
from replyassist.drafting.llm import RetryPolicy
from replyassist.testing import FakeOpenAIServer, FakeReply, model_reply

ANSWER = "Hi Maria, sorry about the seams. Start a return from Orders."


def test_429_with_retry_after_is_waited_out_then_answered(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.add(FakeReply.rate_limited(retry_after=1))
    server.handler = answer_citing_shown(ANSWER)
    draft = ReplyAssistant(
        kb, llm=composer(server, retry=RetryPolicy(initial_wait=0.01)), policy=POLICY
    ).draft(tweet())
    first, second = server.chat_requests
    assert (first.status, second.status) == (429, 200)
    assert second.received_at - first.received_at >= 0.95  # Retry-After: 1 honoured over a 10 ms backoff
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.usage is not None and draft.usage.calls == 2


def test_repeated_500s_fall_back_to_the_offline_composer_within_the_deadline(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.default = FakeReply.server_error()
    llm = composer(server, retry=RetryPolicy(deadline=1.5, max_attempts=50, initial_wait=0.05, max_wait=0.2))
    started = time.monotonic()
    draft = ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())
    elapsed = time.monotonic() - started
    assert draft.composer == "offline"
    [warning] = [w for w in draft.warnings if w.code == "model_fallback"]
    assert "500" in warning.message
    assert draft.text.strip() and draft.decision.value == "reply"
    assert len(server.chat_requests) >= 3
    assert elapsed < 1.5 + 2.0  # the deadline bounds the wait (generous margin for a loaded machine)


def test_a_model_slower_than_the_deadline_is_abandoned(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.default = FakeReply.slow(5, FakeReply.structured(model_reply(ANSWER)))
    started = time.monotonic()
    draft = ReplyAssistant(kb, llm=composer(server, deadline=0.8), policy=POLICY).draft(tweet())
    assert time.monotonic() - started < 0.8 + 2.0
    assert draft.composer == "offline"
    assert any(w.code == "model_fallback" and "deadline" in w.message for w in draft.warnings)


def test_401_raises_model_auth_error_without_retrying(kb: KnowledgeBase) -> None:
    with FakeOpenAIServer(api_key="sk-the-real-key-that-server-wants") as server:
        assistant = ReplyAssistant(kb, llm=composer(server), policy=POLICY)
        with pytest.raises(ModelAuthError) as caught:
            assistant.draft(tweet())
    assert len(server.chat_requests) == 1
    assert "401" in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is not None  # chained to the vendor error, which is scrubbed too
    assert KEY not in str(caught.value.__cause__)


def test_400_raises_model_request_error_without_retrying(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.failure(400, "Invalid value for 'temperature'"))
    with pytest.raises(ModelRequestError, match="temperature"):
        ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert len(server.chat_requests) == 1


def test_an_exhausted_quota_is_not_retried(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.failure(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(ModelRequestError, match="quota"):
        ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert len(server.chat_requests) == 1


def test_without_fallback_the_failure_is_raised(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.default = FakeReply.server_error(503)
    llm = composer(
        server, retry=RetryPolicy(deadline=1, initial_wait=0.01, max_wait=0.05), fallback_on_error=False
    )
    with pytest.raises(ModelError, match="503"):
        ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())


def test_async_drafting_retries_too(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.server_error(502))
    server.handler = answer_citing_shown(ANSWER)
    llm = composer(server, retry=RetryPolicy(initial_wait=0.01, max_wait=0.05))
    draft = asyncio.run(ReplyAssistant(kb, llm=llm, policy=POLICY).adraft(tweet()))
    assert draft.composer == "openai:gpt-4o-mini"
    assert [r.status for r in server.chat_requests] == [502, 200]


def test_a_draft_after_another_in_a_new_event_loop_still_works(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    # draft() runs each draft in a fresh event loop; pooled connections must not be tied to the old one.
    server.handler = answer_citing_shown(ANSWER)
    assistant = ReplyAssistant(kb, llm=composer(server), policy=POLICY)
    drafts = [assistant.draft(tweet()) for _ in range(3)]
    assert [d.composer for d in drafts] == ["openai:gpt-4o-mini"] * 3
