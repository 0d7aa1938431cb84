"""The model's typed answer: JSON schema, tool calling, JSON in text; unreadable answers; citations; fitting."""

from __future__ import annotations

import json

import pytest
from llm_helpers import POLICY, answer_citing_shown, composer, email, shown_ids, tweet

from replyassist import KnowledgeBase, ReplyAssistant, x_weighted_length
from replyassist.testing import FakeChatModel, FakeOpenAIServer, FakeReply, RecordedRequest, model_reply

ANSWER = "Hi Maria, I'm sorry the seams leak. You can start a return from Orders in your account."


@pytest.mark.parametrize(
    ("mode", "expect_tools", "expect_format"),
    [("json_schema", False, "json_schema"), ("function_calling", True, None), ("json_text", False, None)],
)
def test_each_structured_output_method_gives_a_checked_draft(
    kb: KnowledgeBase, server: FakeOpenAIServer, mode: str, expect_tools: bool, expect_format: str | None
) -> None:
    server.handler = answer_citing_shown(ANSWER)
    assistant = ReplyAssistant(kb, llm=composer(server, structured_output=mode), policy=POLICY)
    draft = assistant.draft(tweet())
    [request] = server.chat_requests
    assert request.wants_tool is expect_tools
    assert request.response_format == expect_format
    assert ("Answer with one JSON object" in request.prompt_text) is (mode == "json_text")
    assert draft.text == f"{ANSWER} ^SR"  # the X sign-off is added by replyassist, not the model
    assert [c.passage_id for c in draft.citations] == shown_ids(request)[:1]
    assert draft.usage is not None and draft.usage.input_tokens > 0 and draft.usage.output_tokens > 0
    assert not draft.usage.estimated
    assert draft.usage.calls == 1


def test_a_server_without_tools_or_json_schema_gets_json_in_text(kb: KnowledgeBase) -> None:
    with FakeOpenAIServer(
        handler=answer_citing_shown(ANSWER), supports_tools=False, supports_json_schema=False
    ) as server:
        llm = composer(server)
        draft = ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())
        second = ReplyAssistant(kb, llm=llm, policy=POLICY).draft(tweet())
    steps = [(r.response_format, r.wants_tool, r.status) for r in server.chat_requests]
    # Stepped down once (schema → tools → JSON in text), then remembered.
    assert steps == [("json_schema", False, 400), (None, True, 400), (None, False, 200), (None, False, 200)]
    assert draft.composer == second.composer == "openai:gpt-4o-mini"
    assert draft.text.startswith("Hi Maria")
    assert llm.structured_output == "json_text"


def test_json_in_text_is_read_from_prose_and_code_fences(kb: KnowledgeBase) -> None:
    fenced = f"Sure! Here it is:\n```json\n{json.dumps(model_reply(ANSWER))}\n```\nAnything else?"
    model = FakeChatModel(responses=[fenced])
    draft = ReplyAssistant(kb, llm=model, policy=POLICY).draft(tweet())
    assert draft.composer == "langchain:FakeChatModel"
    assert draft.text.startswith("Hi Maria, I'm sorry the seams leak.")


@pytest.mark.parametrize("mode", ["json_text", "json_schema", "function_calling"])
def test_an_unreadable_answer_is_asked_again_once(
    kb: KnowledgeBase, server: FakeOpenAIServer, mode: str
) -> None:
    server.add(FakeReply.text("I would be happy to help!"), FakeReply.structured(model_reply(ANSWER)))
    draft = ReplyAssistant(kb, llm=composer(server, structured_output=mode), policy=POLICY).draft(tweet())
    assert draft.composer == "openai:gpt-4o-mini"
    assert draft.text.startswith("Hi Maria")
    second = server.chat_requests[1]
    assert "could not be read" in second.prompt_text
    assert draft.usage is not None and draft.usage.calls == 2


@pytest.mark.parametrize("mode", ["json_text", "json_schema", "function_calling"])
def test_two_unreadable_answers_fall_back_to_the_offline_composer(
    kb: KnowledgeBase, server: FakeOpenAIServer, mode: str
) -> None:
    server.add("not json at all", '{"text": 5}')
    draft = ReplyAssistant(kb, llm=composer(server, structured_output=mode), policy=POLICY).draft(tweet())
    assert draft.composer == "offline"
    assert any(w.code == "model_fallback" and "could not be read" in w.message for w in draft.warnings)
    assert draft.text.strip()
    assert len(server.chat_requests) == 2


def test_a_made_up_citation_is_dropped_and_flagged(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    def handler(request: RecordedRequest) -> dict[str, object]:
        return model_reply(ANSWER, used_passage_ids=[*shown_ids(request)[:1], "refund-policy-2031#7"])

    server.handler = handler
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert draft.citations, "the real passage stays cited"
    assert all(c.passage_id != "refund-policy-2031#7" for c in draft.citations)
    flagged = [w for w in draft.warnings if w.code == "unknown_citation"]
    assert flagged and "refund-policy-2031#7" in flagged[0].message


def test_an_over_long_answer_for_a_tweet_is_threaded_or_trimmed(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    long_text = " ".join(
        f"Step {n}: open Orders, pick the tent, choose the reason, print the label and drop the parcel off."
        for n in range(1, 13)
    )
    server.add(FakeReply.structured(model_reply(f"Hi Maria, sorry about the seams! {long_text}")))
    # The steps are made up: the grounding check would rightly remove them. This test is about
    # fitting a long answer to X, so it runs without that check.
    policy = POLICY.merged({"guardrails": ["mask", "injection", "output", "promises"]})
    draft = ReplyAssistant(kb, llm=composer(server), policy=policy).draft(tweet())
    profile = POLICY.profile_for(draft.channel)
    assert 1 < len(draft.parts) <= profile.max_parts
    assert all(x_weighted_length(part) <= 280 for part in draft.parts)
    assert {w.code for w in draft.warnings} & {"trimmed_for_channel", "channel_format"}
    assert draft.parts[-1].rstrip().split()[-2] == "^SR"  # signed once, at the end, before "n/n"


def test_the_models_own_decision_is_shown_when_it_differs(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.add(
        FakeReply.structured(
            model_reply(ANSWER, decision="escalate", reasons=["the customer may want compensation"])
        )
    )
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    assert draft.decision.value == "reply"  # the pipeline's rules decide
    [note] = [w for w in draft.warnings if w.code == "model_decision"]
    assert "escalate" in note.message and "compensation" in note.message


def test_invented_figures_and_off_channel_advice_are_flagged(
    kb: KnowledgeBase, server: FakeOpenAIServer
) -> None:
    server.add(
        FakeReply.structured(model_reply("Hi Maria, you'll get a 45% discount. Call us to arrange it!"))
    )
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(tweet())
    codes = {w.code for w in draft.warnings}
    assert {"unsupported_figure", "off_channel"} <= codes


def test_email_replies_are_signed_with_name_and_brand(kb: KnowledgeBase, server: FakeOpenAIServer) -> None:
    body = "Hi Maria,\n\nI'm sorry the tent leaks. You can start a return from Orders.\n\nBest regards,"
    server.add(FakeReply.structured(model_reply(body + "\nSam Rivera")))  # a model that signs anyway
    draft = ReplyAssistant(kb, llm=composer(server), policy=POLICY).draft(
        email("Hello, my tent leaks at the seams. How do I return it?")
    )
    assert draft.text.endswith("Best regards,\nSam Rivera\nPinecone Outfitters")
    assert draft.text.count("Sam Rivera") == 1
