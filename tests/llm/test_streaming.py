"""Streaming: text as the model writes it, then the final checked Draft; the offline composer streams too."""

from __future__ import annotations

import asyncio

from llm_helpers import POLICY, answer_citing_shown, composer, tweet

from replyassist import Draft, KnowledgeBase, ReplyAssistant
from replyassist.testing import FakeChatModel, FakeOpenAIServer, FakeReply, model_reply

ANSWER = "Hi Maria, I'm sorry the seams leak. You can start a return from Orders in your account."


def _split(items: list[str | Draft]) -> tuple[list[str], Draft]:
    *pieces, last = items
    assert isinstance(last, Draft), "the Draft comes last"
    assert all(isinstance(p, str) for p in pieces)
    return [str(p) for p in pieces], last


def test_astream_yields_text_as_generated_then_the_draft(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.structured(model_reply(ANSWER), chunk_chars=5))
    assistant = ReplyAssistant(kb, llm=composer(server), policy=POLICY)

    async def collect() -> list[str | Draft]:
        return [item async for item in assistant.astream(tweet())]

    pieces, draft = _split(asyncio.run(collect()))
    assert len(pieces) > 5, "the reply arrives in many pieces, not at once"
    assert "".join(pieces) == draft.text == f"{ANSWER} ^SR"
    assert server.chat_requests[0].stream
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.usage is not None and draft.usage.output_tokens > 0 and not draft.usage.estimated


def test_sync_stream_with_tool_calling(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.handler = answer_citing_shown(ANSWER)
    assistant = ReplyAssistant(kb, llm=composer(server, structured_output="function_calling"), policy=POLICY)
    pieces, draft = _split(list(assistant.stream(tweet())))
    assert "".join(pieces) == draft.text
    assert server.chat_requests[0].wants_tool
    assert draft.citations


def test_stream_with_a_langchain_model_answering_json_in_text(kb: KnowledgeBase) -> None:
    model = FakeChatModel(responses=[model_reply(ANSWER)], chunk_chars=3)
    pieces, draft = _split(list(ReplyAssistant(kb, llm=model, policy=POLICY).stream(tweet())))
    assert "".join(pieces) == draft.text
    assert len(pieces) > 5


def test_a_stream_cut_off_mid_way_ends_with_the_offline_draft(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.add(FakeReply.structured(model_reply(ANSWER), chunk_chars=5, cut_after_chunks=30))
    pieces, draft = _split(list(ReplyAssistant(kb, llm=composer(server), policy=POLICY).stream(tweet())))
    assert pieces, "some text had been streamed before the cut"
    assert draft.composer == "offline"
    assert any(w.code == "model_fallback" for w in draft.warnings)
    assert draft.text.strip()


def test_an_unreadable_streamed_answer_is_asked_again(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.text("I'd love to help with that!"), FakeReply.structured(model_reply(ANSWER)))
    _, draft = _split(list(ReplyAssistant(kb, llm=composer(server), policy=POLICY).stream(tweet())))
    first, second = server.chat_requests
    assert first.stream and not second.stream
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.text == f"{ANSWER} ^SR"
    assert draft.usage is not None and draft.usage.calls == 2


def test_the_offline_composer_streams_its_text_in_pieces(kb: KnowledgeBase) -> None:
    pieces, draft = _split(list(ReplyAssistant(kb, policy=POLICY).stream(tweet())))
    assert draft.composer == "offline"
    assert pieces and "".join(pieces) == draft.text


def test_stopping_early_closes_the_stream(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    server.add(FakeReply.structured(model_reply(ANSWER), chunk_chars=2))
    stream = ReplyAssistant(kb, llm=composer(server), policy=POLICY).stream(tweet())
    first = next(stream)
    stream.close()
    assert isinstance(first, str)
