"""Replies are written in the customer's language, in every shipped language and for every decision."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline import OfflineComposer, Phrasebook
from replyassist.drafting.offline.phrasebook import TONES, available_languages
from replyassist.models import Channel, ComplaintType, Decision, Emotion, Sentiment

LANGUAGES = available_languages()
VariantIn = Callable[[str, Phrasebook, str, str], "int | None"]


@pytest.mark.parametrize("tone", TONES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_answer_by_email_is_in_the_language(
    language: str,
    tone: str,
    composer: OfflineComposer,
    book: Callable[[str], Phrasebook],
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    bank = book(language)
    comp = composer.compose(
        request_for(
            "How long does delivery take?", hits=("shipping",), language=language, tone=tone, is_question=True
        )
    )
    assert comp.language == language
    greeting = comp.text.split("\n\n")[0]
    assert variant_in(greeting, bank, tone, "greeting_line") is not None and "Maria" in greeting
    assert variant_in(comp.sign_off, bank, tone, "closing") is not None
    assert variant_in(comp.text, bank, tone, "opener_about") is not None
    assert str(bank.entry(tone, "topics", "shipping")) in comp.text
    mismatch = [w for w in comp.warnings if w.code == "kb_language_mismatch"]
    if language == "en":
        assert not mismatch
    else:  # the English passage is quoted, introduced in the customer's language
        assert mismatch and variant_in(comp.text, bank, tone, "foreign_source") is not None
    assert "Delivery time is the time we need" in comp.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_legal_escalation_on_x_is_in_the_language(
    language: str,
    composer: OfflineComposer,
    book: Callable[[str], Phrasebook],
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    bank = book(language)
    comp = composer.compose(
        request_for(
            "I will sue you over order #A12345",
            channel=Channel.TWITTER,
            hits=("late",),
            decision=Decision.ESCALATE,
            language=language,
            risks=["legal_threat"],
            mentions=["#A12345"],
        )
    )
    assert comp.language == language
    assert variant_in(comp.text, bank, "friendly", "legal_ack") is not None
    assert variant_in(comp.text, bank, "friendly", "escalate_team") is not None
    assert variant_in(comp.text, bank, "friendly", "dm_invite") is not None and comp.move_to_private
    assert comp.used_passage_ids == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_thanks_venting_and_unknown_are_in_the_language(
    language: str,
    composer: OfflineComposer,
    book: Callable[[str], Phrasebook],
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    bank = book(language)
    thanks = composer.compose(
        request_for(
            "Thanks!", channel=Channel.CHAT, decision=Decision.SKIP, language=language, thanks_only=True
        )
    )
    assert variant_in(thanks.text, bank, "friendly", "thanks_reply_name") is not None
    venting = composer.compose(
        request_for(
            "Never again.",
            channel=Channel.FACEBOOK_MESSENGER,
            language=language,
            complaint_type=ComplaintType.VENTING,
            sentiment=Sentiment.NEGATIVE,
            emotion=Emotion.DISAPPOINTMENT,
        )
    )
    assert variant_in(venting.text, bank, "friendly", "listen") is not None
    unknown = composer.compose(
        request_for(
            "Do you sell kayaks?",
            channel=Channel.SMS,
            language=language,
            decision=Decision.ESCALATE,
            is_question=True,
            tone="formal",
        )
    )
    assert variant_in(unknown.text, bank, "formal", "dont_know") is not None


@pytest.mark.parametrize("language", LANGUAGES)
def test_formal_and_friendly_differ_in_every_language(
    language: str, composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    texts = {
        composer.compose(
            request_for(
                "Order late!",
                channel=channel,
                hits=("late",),
                language=language,
                tone=tone,
                complaint_type=ComplaintType.WANTS_FIX,
                emotion=Emotion.FRUSTRATION,
            )
        ).text
        for tone in TONES
        for channel in (Channel.EMAIL,)
    }
    assert len(texts) == 2


def test_a_passage_in_the_reply_language_needs_no_warning(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "¿Cuánto tarda el envío a Europa?", hits=("shipping_es",), language="es", is_question=True
        )
    )
    assert not comp.warnings and "de 2 a 5 días hábiles" in comp.text
    assert comp.used_passage_ids == ["shipping-times-es#0"]


def test_same_language_passages_are_preferred_over_mixing(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "¿Cuánto tarda el envío?", hits=("shipping_es", "shipping"), language="es", is_question=True
        )
    )
    assert comp.used_passage_ids == ["shipping-times-es#0"] and not comp.warnings


@pytest.mark.parametrize("code", ["sv", "tlh", "xx-YY"])
def test_unsupported_language_is_written_in_english_with_a_warning(
    code: str,
    composer: OfflineComposer,
    book: Callable[[str], Phrasebook],
    request_for: Callable[..., ComposeRequest],
    variant_in: VariantIn,
) -> None:
    comp = composer.compose(request_for("Hur lång tid tar leveransen?", hits=("shipping",), language=code))
    assert comp.language == "en"
    assert [w.code for w in comp.warnings] == ["language_unsupported"]
    assert variant_in(comp.text.split("\n\n")[0], book("en"), "friendly", "greeting_line") is not None


@pytest.mark.parametrize(("code", "expected"), [("pt-BR", "pt"), ("zh_TW", "zh"), ("EN-gb", "en")])
def test_regional_codes_use_the_base_language(
    code: str, expected: str, composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(request_for(hits=("shipping",), language=code))
    assert comp.language == expected
    assert "language_unsupported" not in [w.code for w in comp.warnings]


@pytest.mark.parametrize("language", ["zh", "ja"])
def test_cjk_sentences_join_without_spaces_but_urls_keep_them(
    language: str, composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    text = composer.compose(
        request_for("配送", channel=Channel.CHAT, hits=("shipping",), language=language, is_question=True)
    ).text
    assert "！ " not in text and "。 " not in text.split("http")[0]
    assert "：https://" in text and "shipping-times " in text  # the URL ends before the next sentence
    assert "transit time. Europe" in text  # quoted English sentences keep their space
