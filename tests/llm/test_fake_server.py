"""The fake OpenAI-compatible server, exercised with the real ``openai`` SDK (it is what users test with)."""

from __future__ import annotations

import http.client
import io
import json
import socket
from typing import Any

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


def test_usage_is_the_token_estimate_of_every_line_sent(server: FakeOpenAIServer) -> None:
    # The server counts each distinct line once per process: sums over lines seen before (and
    # lines split at odd places) must still be the estimate of the whole prompt.
    from replyassist.drafting.llm._tokens import estimate_message_tokens, estimate_tokens

    prompts = [
        ["Reply to the customer.\nPassage: tents_x keep 12345 dry!\n\n", "how do I return my tent?"],
        ["Reply to the customer.\nPassage: tents_x keep 12345 dry!\n\n", "tent 漢字 café\r\n\n  — ok?\n"],
        ["", "\n\n"],
    ]
    for contents in prompts * 2:
        server.add(f"Answer:\n{contents[-1]}")
        messages: Any = [{"role": "user", "content": text} for text in contents]
        answer = client(server).chat.completions.create(model="m", messages=messages)
        assert answer.usage is not None
        assert answer.usage.prompt_tokens == estimate_message_tokens(contents)
        assert answer.usage.completion_tokens == estimate_tokens(f"Answer:\n{contents[-1]}")


def test_headers_are_recorded_as_the_stdlib_parses_them(server: FakeOpenAIServer) -> None:
    # Plain header blocks skip the email parser; anything else (folded lines, Latin-1, odd
    # spacing) must come out the same as http.client.parse_headers makes it.
    blocks = [
        b"X-Spaces: \t padded  \r\nx-dup: 1\r\nX-Dup: 2\r\nX-Empty:\r\n\r\n",
        b"X-Folded: a\r\n  continued\r\nX-Latin: caf\xe9\r\n\r\n",
        b"X-Bare-Lf: yes\n\n",
    ]
    with socket.create_connection(("127.0.0.1", server.port)) as sock, sock.makefile("rb") as answers:
        for n, block in enumerate(blocks):
            sock.sendall(
                b"GET /v1/models HTTP/1.1\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n" + block
            )
            assert answers.readline().startswith(b"HTTP/1.1 200")  # and the connection stays open
            length = int(http.client.parse_headers(answers)["Content-Length"])
            assert json.loads(answers.read(length))["object"] == "list"
            request = server.requests[n]
            stdlib = http.client.parse_headers(io.BytesIO(b"Authorization: x\r\n" + block))
            assert request.headers == {
                k.lower(): v for k, v in stdlib.items() if k.lower() != "authorization"
            } | {"authorization": "Bearer ***"}
