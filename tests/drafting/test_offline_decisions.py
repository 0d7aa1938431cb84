"""What the composer writes for each decision: answers, holding replies, closing replies, silence."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline import OfflineComposer, Phrasebook
from replyassist.models import Channel, ComplaintType, Decision, Emotion, Sentiment

VariantIn = Callable[[str, Phrasebook, str, str], "int | None"]
LIABILITY = ("empathy_own_it", "empathy_frustration", "empathy_frustration_about", "empathy_disappointment")


@pytest.fixture
def en(book: Callable[[str], Phrasebook]) -> Phrasebook:
    return book("en")


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.TWITTER, Channel.CHAT])
def test_legal_threat_gets_a_neutral_holding_reply(
    channel: Channel,
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(
        request_for(
            "My order #A12345 was late and I was charged twice. I'm taking you to court.",
            channel=channel,
            hits=("late", "charged"),
            decision=Decision.ESCALATE,
            risks=["legal_threat"],
            urgency_reasons=["legal_threat"],
            emotion=Emotion.ANGER,
            sentiment=Sentiment.NEGATIVE,
            complaint_type=ComplaintType.WANTS_FIX,
            mentions=["#A12345"],
        )
    )
    assert variant_in(comp.text, en, "friendly", "legal_ack") is not None
    assert any(
        variant_in(comp.text, en, "friendly", s) is not None for s in ("escalate_handover", "escalate_team")
    )
    assert all(variant_in(comp.text, en, "friendly", s) is None for s in LIABILITY)
    assert "on us" not in comp.text and "our mistake" not in comp.text.lower()
    assert comp.used_passage_ids == [] and "business days" not in comp.text  # states no facts
    assert comp.move_to_private == (channel is Channel.TWITTER)


def test_safety_quotes_only_what_the_notice_says_to_do(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(
        request_for(
            "My Summit 2 stove leaked gas and caught fire!",
            hits=("recall",),
            decision=Decision.ESCALATE,
            risks=["safety"],
            urgency_reasons=["safety"],
            emotion=Emotion.WORRY,
        )
    )
    assert variant_in(comp.text, en, "friendly", "safety_ack") is not None
    assert variant_in(comp.text, en, "friendly", "safety_advice") is not None
    assert "Stop using the stove immediately" in comp.text
    assert "Unscrew the gas canister outdoors, away from any flame." in comp.text
    assert "rubber seal" not in comp.text  # the hazard description is not an instruction
    assert comp.used_passage_ids == ["stove-recall#0"]
    assert variant_in(comp.text, en, "friendly", "escalate_handover") is not None


def test_safety_without_instructions_in_the_kb_states_nothing(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(
        request_for(
            "The jacket zip cut my hand badly",
            hits=("warranty",),
            decision=Decision.ESCALATE,
            risks=["safety"],
        )
    )
    assert variant_in(comp.text, en, "friendly", "safety_ack") is not None
    assert variant_in(comp.text, en, "friendly", "safety_advice") is None
    assert comp.used_passage_ids == [] and "2 years" not in comp.text


def test_safety_on_x_does_not_send_people_to_the_phone(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "My stove is leaking gas",
            channel=Channel.TWITTER,
            hits=("recall",),
            decision=Decision.ESCALATE,
            risks=["safety"],
        )
    )
    assert "Stop using the stove immediately" in comp.text
    assert "555" not in comp.text and "calling" not in comp.text
    assert comp.move_to_private


def test_unknown_answer_says_i_dont_know_yet(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    for decision in (Decision.ESCALATE, Decision.REPLY):
        comp = composer.compose(request_for("Do you sell kayaks?", decision=decision, is_question=True))
        assert variant_in(comp.text, en, "friendly", "dont_know") is not None
        assert comp.used_passage_ids == []


def test_other_escalations_hold_without_facts(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(
        request_for(
            "Someone logged into my account and changed my email!",
            hits=("shipping",),
            decision=Decision.ESCALATE,
            risks=["data_breach"],
            emotion=Emotion.WORRY,
        )
    )
    assert variant_in(comp.text, en, "friendly", "privacy_ack") is not None
    assert variant_in(comp.text, en, "friendly", "escalate_handover") is not None
    assert comp.used_passage_ids == []


def test_thanks_gets_a_short_warm_closing(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    social = composer.compose(
        request_for(
            "Thanks so much, all sorted!", channel=Channel.TWITTER, decision=Decision.SKIP, thanks_only=True
        )
    )
    assert variant_in(social.text, en, "friendly", "thanks_reply_name") is not None
    assert "Maria" in social.text and social.text.endswith(" ^AG") and social.sign_off == "^AG"
    email = composer.compose(request_for("Thank you!", decision=Decision.SKIP, thanks_only=True))
    assert variant_in(email.text, en, "friendly", "thanks_reply") is not None
    assert email.text.endswith(email.sign_off) and "\n\n" in email.text


def test_thanks_is_silent_when_the_brand_does_not_reply_to_thanks(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "Thanks!",
            channel=Channel.TWITTER,
            decision=Decision.SKIP,
            thanks_only=True,
            policy={"reply_to_thanks": False},
        )
    )
    assert comp.text == "" and comp.sign_off == ""


@pytest.mark.parametrize("signals", [{"addressed_to_brand": False}, {"spam": True}])
def test_other_skips_write_nothing(
    signals: dict[str, bool], composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "lol my tent blew away at the festival",
            channel=Channel.TWITTER,
            hits=("shipping",),
            decision=Decision.SKIP,
            **signals,
        )
    )
    assert comp.text == "" and comp.used_passage_ids == [] and not comp.move_to_private


def test_call_note_for_an_escalation(
    composer: OfflineComposer,
    en: Phrasebook,
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(
        request_for(
            "I want to speak to a lawyer about this",
            channel=Channel.VOICE,
            decision=Decision.ESCALATE,
            risks=["legal_threat"],
        )
    )
    assert variant_in(comp.text, en, "friendly", "call_next_escalate") is not None
    assert variant_in(comp.text, en, "friendly", "legal_ack") is not None
