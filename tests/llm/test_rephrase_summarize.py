"""Rephrasing in another tone and summarising a thread, with a model and without one."""

from __future__ import annotations

import pytest
from llm_helpers import POLICY, composer

from replyassist import ConfigurationError, ModelError, ReplyAssistant, Ticket, x_weighted_length
from replyassist.drafting.llm import Tone
from replyassist.drafting.pipeline import rephrase, summarize
from replyassist.testing import FakeOpenAIServer, FakeReply

REPLY = (
    "Hi Maria, thanks for getting in touch. I'm sorry the tent leaks at the seams. "
    "Returns are free within 30 days: start one from Orders at https://pinecone.example/returns. "
    "We know how frustrating this is before a trip. Let us know if anything else comes up. ^SR"
)


def _thread(n: int = 12) -> Ticket:
    messages = []
    for i in range(n):
        if i % 2 == 0:
            messages.append(
                {
                    "author": "customer",
                    "text": f"Update {i}: the replacement stove still has not arrived, order 5512.",
                }
            )
        else:
            messages.append(
                {
                    "author": "agent",
                    "text": f"Thanks for your patience, I have chased the carrier again ({i}).",
                }
            )
    return Ticket.model_validate(
        {
            "channel": "email",
            "customer": {"name": "Maria Lopez"},
            "subject": "Stove replacement",
            "messages": messages,
        }
    )


def test_rephrase_with_a_model_keeps_facts_and_the_channel_limit(server: FakeOpenAIServer) -> None:
    friendlier = REPLY.replace("thanks for getting in touch", "thanks so much for reaching out")
    server.add(FakeReply.text(friendlier))
    assistant = ReplyAssistant(llm=composer(server), policy=POLICY)
    result = assistant.rephrase(REPLY, "friendlier", channel="twitter")
    [request] = server.chat_requests
    assert "friendlier and warmer" in request.prompt_text
    assert "<reply>" in request.prompt_text and REPLY in request.prompt_text
    assert "30" in result and "https://pinecone.example/returns" in result
    assert all(x_weighted_length(part) <= 280 for part in result.split("\n\n"))


def test_a_rewrite_that_changes_facts_is_refused(server: FakeOpenAIServer) -> None:
    server.add(
        FakeReply.text(REPLY.replace("30 days", "60 days")),
        FakeReply.text(REPLY.replace("30 days", "90 days")),
    )
    with pytest.raises(ModelError, match="facts"):
        ReplyAssistant(llm=composer(server), policy=POLICY).rephrase(REPLY, "more_formal")
    assert "keep exactly the facts" in server.chat_requests[1].prompt_text


def test_shorter_without_a_model_drops_sentences_but_keeps_facts_and_signature() -> None:
    result = ReplyAssistant(policy=POLICY).rephrase(REPLY, "shorter")
    assert len(result) < len(REPLY)
    assert result.startswith("Hi Maria") and result.endswith("^SR")
    assert "30 days" in result and "https://pinecone.example/returns" in result


@pytest.mark.parametrize("tone", ["friendlier", "more_formal", "more empathetic", "simpler"])
def test_other_tones_without_a_model_say_a_model_is_needed(tone: str) -> None:
    with pytest.raises(ConfigurationError, match="needs a language model"):
        rephrase(REPLY, tone)


def test_an_unknown_tone_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="friendlier"):
        Tone.parse("sarcastic")


def test_summary_with_a_model_is_capped_at_100_words(server: FakeOpenAIServer) -> None:
    server.add(FakeReply.text(" ".join(["Maria waits for a replacement stove."] * 40)))
    summary = ReplyAssistant(llm=composer(server)).summarize(_thread())
    assert len(summary.split()) <= 100
    prompt = server.chat_requests[0].prompt_text
    assert "Summarise this support conversation" in prompt and "<conversation" in prompt


def test_summary_without_a_model_is_an_extract_of_the_thread() -> None:
    summary = summarize(_thread(30))
    assert len(summary.split()) <= 100
    assert "Maria" in summary and "order 5512" in summary and "30 messages" in summary


def test_summary_falls_back_to_the_extract_when_the_model_fails(server: FakeOpenAIServer) -> None:
    server.default = FakeReply.server_error()
    summary = ReplyAssistant(llm=composer(server, deadline=0.5)).summarize(_thread())
    assert "order 5512" in summary and len(summary.split()) <= 100
