"""Choosing who writes: explicit ``llm=``, else the environment, else the offline composer."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from langchain_openai import ChatOpenAI
from llm_helpers import KEY, POLICY, answer_citing_shown, settings, tweet

from replyassist import (
    ConfigurationError,
    KnowledgeBase,
    MissingDependencyError,
    OfflineComposer,
    ReplyAssistant,
    draft_reply,
)
from replyassist.drafting.llm import LLMComposer
from replyassist.testing import FakeChatModel, FakeOpenAIServer, model_reply

ANSWER = "Hi Maria, sorry about the leaking seams! Start a return from Orders within 30 days."


def test_a_langchain_chat_model_object_writes_the_draft(kb: KnowledgeBase) -> None:
    model = FakeChatModel(respond=lambda messages: model_reply(ANSWER))
    assistant = ReplyAssistant(kb, llm=model, policy=POLICY)
    draft = assistant.draft(tweet())
    assert assistant.composer.name == "langchain:FakeChatModel"
    assert draft.composer == "langchain:FakeChatModel"
    assert draft.text.startswith("Hi Maria, sorry about the leaking seams!")
    assert len(model.calls) == 1


def test_a_chat_openai_object_pointed_at_a_compatible_server(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.handler = answer_citing_shown(ANSWER)
    model = ChatOpenAI(model="gpt-4o-mini", api_key=KEY, base_url=server.base_url, max_retries=0)
    draft = ReplyAssistant(kb, llm=model, policy=POLICY).draft(tweet())
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.text.startswith("Hi Maria")
    assert server.chat_requests[0].response_format == "json_schema"


def test_an_openai_model_older_than_structured_outputs_is_asked_with_tool_calling(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.handler = answer_citing_shown(ANSWER)
    model = ChatOpenAI(model="gpt-4", api_key=KEY, base_url=server.base_url, max_retries=0)
    draft = ReplyAssistant(kb, llm=model, policy=POLICY).draft(tweet())
    assert draft.composer == "openai:gpt-4"
    assert draft.text.startswith("Hi Maria")
    [request] = server.chat_requests
    assert request.wants_tool and request.response_format is None


def test_a_model_string_with_key_and_url_from_the_environment(
    kb: KnowledgeBase, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.handler = answer_citing_shown(ANSWER)
    draft = draft_reply(tweet(), kb=kb, llm="openai:gpt-4.1-mini", policy=POLICY)
    assert draft.composer == "openai:gpt-4.1-mini"
    assert server.chat_requests[0].body["model"] == "gpt-4.1-mini"


def test_model_settings_and_composers_are_taken_as_they_are(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    assert ReplyAssistant(kb, llm=settings(server)).composer.name == "openai:gpt-4o-mini"
    offline = OfflineComposer()
    assert ReplyAssistant(kb, llm=offline).composer is offline
    assert ReplyAssistant(kb, llm="offline").composer.name == "offline"


def test_the_environment_chooses_when_no_llm_is_given(
    kb: KnowledgeBase, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ReplyAssistant(kb).composer.name == "offline"  # nothing set: offline
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.handler = answer_citing_shown(ANSWER)
    assistant = ReplyAssistant(kb, policy=POLICY)
    assert assistant.composer.name == "openai:gpt-4o-mini"
    assert assistant.draft(tweet()).composer == "openai:gpt-4o-mini"
    monkeypatch.setenv("REPLYASSIST_MODEL", "openai:gpt-4o")
    assert ReplyAssistant(kb).composer.name == "openai:gpt-4o"
    monkeypatch.setenv("REPLYASSIST_MODEL", "offline")
    assert ReplyAssistant(kb).composer.name == "offline"


def test_a_local_server_needs_no_key(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAIServer(handler=answer_citing_shown(ANSWER)) as local:
        monkeypatch.setenv("OPENAI_BASE_URL", local.base_url)
        monkeypatch.setenv("REPLYASSIST_MODEL", "llama3.1:8b")
        draft = ReplyAssistant(kb, policy=POLICY).draft(tweet())
    assert draft.composer == "openai:llama3.1:8b"
    assert draft.text.startswith("Hi Maria")


def test_a_model_without_key_or_server_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        ReplyAssistant(llm="openai:gpt-4o-mini")


@pytest.mark.parametrize("llm", ["anthropic:claude-3", 42, object()])
def test_what_is_not_a_model_is_refused_clearly(llm: Any) -> None:
    with pytest.raises(ConfigurationError):
        ReplyAssistant(llm=llm)


def test_a_missing_extra_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without_langchain_openai(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "langchain_openai" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", without_langchain_openai)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(MissingDependencyError, match=r"replyassist\[openai\]") as caught:
        ReplyAssistant(llm="openai:gpt-4o-mini")
    assert caught.value.extra == "openai"
    with pytest.raises(MissingDependencyError, match=r"replyassist\[openai\]"):
        ReplyAssistant()  # OPENAI_API_KEY asks for a model: the same clear error, not a silent fallback


def test_composer_repr_is_informative(server: FakeOpenAIServer) -> None:
    text = repr(LLMComposer(settings(server), deadline=5))
    assert "openai:gpt-4o-mini" in text and "deadline=5" in text
