"""The fake OpenAI-compatible server, exercised with the real ``openai`` SDK (it is what users test with)."""

from __future__ import annotations

import json

import openai
import pytest
from llm_helpers import KEY

from replyassist.testing import FakeOpenAIServer, FakeReply


def client(server: FakeOpenAIServer, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.base_url, max_retries=0)


def test_plain_answer_usage_and_request_log(server: FakeOpenAIServer) -> None:
    server.add("Hello there")
    answer = client(server).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}]
    )
    assert answer.choices[0].message.content == "Hello there"
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    [request] = server.chat_requests
    assert request.body["model"] == "gpt-4o-mini"
    assert request.prompt_text == "Say hello"
    assert request.headers["authorization"] == "Bearer ***"  # the log never holds the key


def test_streaming_answer_arrives_in_pieces(server: FakeOpenAIServer) -> None:
    server.add(FakeReply.text("one two three four five", chunk_chars=4))
    stream = client(server).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, usage = [], None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert "".join(pieces) == "one two three four five"
    assert len(pieces) > 3
    assert usage is not None and usage.completion_tokens > 0


def test_structured_answer_takes_the_form_the_request_asked_for(server: FakeOpenAIServer) -> None:
    value = {"answer": 42}
    server.add(FakeReply.structured(value), FakeReply.structured(value))
    tool = {"type": "function", "function": {"name": "Answer", "parameters": {"type": "object"}}}
    with_tool = client(server).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "q"}], tools=[tool], tool_choice="required"
    )
    call = with_tool.choices[0].message.tool_calls[0]
    assert call.function.name == "Answer"
    assert json.loads(call.function.arguments) == value
    schema = {"type": "json_schema", "json_schema": {"name": "Answer", "schema": {"type": "object"}}}
    with_schema = client(server).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "q"}],
        response_format=schema,
    )
    assert json.loads(with_schema.choices[0].message.content or "") == value


def test_errors_carry_status_and_retry_after(server: FakeOpenAIServer) -> None:
    server.add(FakeReply.rate_limited(retry_after=7), FakeReply.server_error())
    with pytest.raises(openai.RateLimitError) as limited:
        client(server).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert limited.value.response.headers["retry-after"] == "7"
    with pytest.raises(openai.InternalServerError):
        client(server).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def test_wrong_key_gets_401_and_models_are_listed(server: FakeOpenAIServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(server, key="sk-wrong-key-000000").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
    assert [m.id for m in client(server).models.list()] == ["gpt-4o-mini"]


def test_an_unscripted_request_fails_loudly(server: FakeOpenAIServer) -> None:
    with pytest.raises(openai.BadRequestError, match="no scripted reply"):
        client(server).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def test_a_handler_answers_from_the_request() -> None:
    with FakeOpenAIServer(handler=lambda request: f"echo: {request.prompt_text}") as server:
        answer = client(server, key="anything").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "ping"}]
        )
    assert answer.choices[0].message.content == "echo: ping"
