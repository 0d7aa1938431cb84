"""The JSON-schema request to ChatOpenAI: what the server receives, and answers the SDK's ``.parse()`` used to refuse."""

from __future__ import annotations

import pytest
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from llm_helpers import KEY, POLICY, answer_citing_shown, composer, shown_ids, tweet

from replyassist import KnowledgeBase, ReplyAssistant
from replyassist.drafting.llm import LLMComposer, ModelReply
from replyassist.testing import FakeOpenAIServer, FakeReply, model_reply

ANSWER = "Hi Maria, I'm sorry the seams leak. You can start a return from Orders in your account."
STRICT_SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "ModelReply", "schema": ModelReply.model_json_schema(), "strict": True},
}


def test_the_request_carries_the_strict_json_schema_and_the_reply_is_read(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.handler = answer_citing_shown(ANSWER)
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    [request] = server.chat_requests
    assert request.body["response_format"] == STRICT_SCHEMA
    schema = request.body["response_format"]["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(ModelReply.model_fields)
    assert request.body["stream"] is False and "tools" not in request.body
    # Sent as it is, past the SDK's .parse() helper (whose schema walk cost a third of a call's CPU).
    assert "x-stainless-helper-method" not in request.headers
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.text == f"{ANSWER} ^SR"
    assert [c.passage_id for c in draft.citations] == shown_ids(request)[:1]
    assert draft.usage is not None and not draft.usage.estimated and draft.usage.calls == 1


def test_the_models_own_extra_body_is_sent_with_the_schema(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.handler = answer_citing_shown(ANSWER)
    model = ChatOpenAI(
        model="gpt-4o-mini", api_key=KEY, base_url=server.base_url, max_retries=0, extra_body={"top_k": 5}
    )
    draft = ReplyAssistant(kb, llm=LLMComposer(model), policy=POLICY).draft(tweet())
    [request] = server.chat_requests
    assert request.body["top_k"] == 5
    assert request.body["response_format"] == STRICT_SCHEMA
    assert draft.composer == "openai:gpt-4o-mini"
    assert model.extra_body == {"top_k": 5}


def test_an_answer_cut_at_the_token_limit_is_asked_again_and_not_counted(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    # Complete JSON, but the model said it stopped at the limit: unreadable, as .parse() has it.
    server.add(
        FakeReply.structured(model_reply(ANSWER), finish_reason="length", usage=(11, 22)),
        FakeReply.structured(model_reply(ANSWER), usage=(100, 50)),
    )
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert draft.composer == "openai:gpt-4o-mini"
    second = server.chat_requests[1].prompt_text
    assert "the length limit was reached - CompletionUsage(completion_tokens=22, prompt_tokens=11" in second
    assert "(an answer that was not valid JSON)" in second
    assert draft.usage is not None
    assert (draft.usage.calls, draft.usage.input_tokens, draft.usage.output_tokens) == (2, 100, 50)


def test_two_cut_answers_fall_back(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(*[FakeReply.text('{"decision": "re', finish_reason="length")] * 2)
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert draft.composer == "offline"
    assert any("could not be read twice" in w.message and "length limit" in w.message for w in draft.warnings)


@pytest.mark.parametrize("azure", [False, True])
def test_a_filtered_answer_is_asked_again(kb: KnowledgeBase, azure: bool) -> None:
    with FakeOpenAIServer(
        [FakeReply.text("", finish_reason="content_filter"), FakeReply.structured(model_reply(ANSWER))]
    ) as server:
        if azure:
            model: ChatOpenAI | AzureChatOpenAI = AzureChatOpenAI(
                azure_endpoint=f"http://127.0.0.1:{server.port}",
                azure_deployment="gpt-4o-mini",
                api_version="2024-10-21",
                api_key=KEY,
                max_retries=0,
            )
        else:
            model = ChatOpenAI(model="gpt-4o-mini", api_key=KEY, base_url=server.base_url, max_retries=0)
        llm = LLMComposer(model, structured_output="json_schema")
        draft = ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())
        first, second = server.chat_requests
    assert first.body["response_format"] == STRICT_SCHEMA
    assert "x-stainless-helper-method" not in first.headers
    assert "rejected by the content filter" in second.prompt_text
    assert draft.text.startswith("Hi Maria")
    assert draft.usage is not None and draft.usage.calls == 2
