"""Every channel profile gets its own shape: email blocks, one social block, X-sized replies, call notes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from replyassist.channels import Format, SignOff, default_profiles, fit_to_profile, x_weighted_length
from replyassist.drafting.base import Composer, ComposeRequest, Composition
from replyassist.drafting.offline import OfflineComposer, Phrasebook
from replyassist.models import Channel, ComplaintType, Emotion, Sentiment

PROFILES = default_profiles()
PUBLIC = [c for c, p in PROFILES.items() if p.public]
VariantIn = Callable[[str, Phrasebook, str, str], "int | None"]


def fitted(composition: Composition, channel: Channel) -> tuple[list[str], bool]:
    """What the pipeline does: fit the body to the channel, keeping the sign-off."""
    profile = PROFILES[channel]
    text, sign = composition.text, composition.sign_off
    body = text[: -len(sign)].rstrip() if sign and text.endswith(sign) else text
    result = fit_to_profile(body, profile, keep_last=sign if body != text else "")
    return result.parts, result.trimmed


def test_it_is_a_composer(composer: OfflineComposer) -> None:
    assert isinstance(composer, Composer) and composer.name == "offline"


def test_acompose_writes_what_compose_writes(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    req = request_for(channel=Channel.TWITTER, hits=("shipping",), is_question=True)
    assert asyncio.run(composer.acompose(req)).text == composer.compose(req).text


@pytest.mark.parametrize("channel", list(PROFILES))
def test_every_profile_gets_its_shape(
    channel: Channel,
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
    book: Callable[[str], Phrasebook],
    variant_in: VariantIn,
) -> None:
    profile = PROFILES[channel]
    en = book("en")
    comp = composer.compose(
        request_for(
            "How long does delivery to Europe take?", channel=channel, hits=("shipping",), is_question=True
        )
    )
    text = comp.text
    assert text and comp.used_passage_ids == ["shipping-times#0"] and comp.language == "en"
    assert text.endswith(comp.sign_off)
    if profile.format is Format.PARAGRAPHS:
        greeting, rest = text.split("\n\n", 1)
        assert variant_in(greeting, en, "friendly", "greeting_line") is not None and "Maria" in greeting
        closing, agent, brand = comp.sign_off.split("\n")
        assert variant_in(closing, en, "friendly", "closing") is not None
        assert (agent, brand) == ("Ana Gomez", "Pinecone Outfitters")
        assert rest.endswith("\n\n" + comp.sign_off)
    elif profile.format is Format.PLAIN:
        assert "\n" not in text
        assert variant_in(text.split("!")[0] + "!", en, "friendly", "greeting_inline") is not None
        expected = {SignOff.INITIALS: "^AG", SignOff.FIRST_NAME: "– Ana", SignOff.NONE: ""}[profile.sign_off]
        assert comp.sign_off == expected
        # Near the channel's target: little is left for the pipeline to trim.
        assert profile.length(text) <= profile.target_chars * 1.1
    else:
        assert text.startswith(en.label("note_call") + ": Maria")
        assert comp.sign_off == "" and variant_in(text, en, "friendly", "greeting_line") is None
        for label in ("note_acknowledge", "note_answer", "note_next"):
            assert en.label(label) in text
    if not profile.links:
        assert "http" not in text


def test_email_keeps_numbered_steps(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    text = composer.compose(request_for("How do I start a return?", hits=("returns",), is_question=True)).text
    assert re.search(r"^1\. Sign in and go to Account > Orders\.\n2\. ", text, re.M)


@pytest.mark.parametrize(
    "message",
    [
        "How long does delivery to Europe take?",
        "My order #A12345 still hasn't arrived and tracking hasn't moved, this is ridiculous",
        "I was charged twice for order #A12345!!",
        "How do I return a tent?",
    ],
)
def test_x_replies_fit_one_tweet_or_a_short_thread_without_trimming(
    message: str, composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    req = request_for(
        message,
        channel=Channel.TWITTER,
        hits=("shipping", "late", "charged", "returns"),
        emotion=Emotion.FRUSTRATION,
        sentiment=Sentiment.NEGATIVE,
        complaint_type=ComplaintType.WANTS_FIX,
        mentions=["#A12345"],
    )
    parts, trimmed = fitted(composer.compose(req), Channel.TWITTER)
    assert not trimmed and len(parts) <= 3
    assert all(x_weighted_length(p) <= 280 for p in parts)


def test_a_short_x_answer_is_one_tweet(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "How long is the warranty?", channel=Channel.TWITTER, hits=("warranty",), is_question=True
        )
    )
    assert x_weighted_length(comp.text) <= 280
    assert fitted(comp, Channel.TWITTER)[0] == [comp.text]
    assert "2 years" in comp.text


@pytest.mark.parametrize("channel", PUBLIC)
def test_public_replies_never_send_people_to_a_phone_inbox_or_store(
    channel: Channel,
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
    book: Callable[[str], Phrasebook],
) -> None:
    for language in ("en", "es", "de", "ja"):
        req = request_for(
            "Who answers questions about my order?",
            channel=channel,
            hits=("contact", "recall"),
            language=language,
            is_question=True,
        )
        text = composer.compose(req).text
        cues = book(language).cues("channel_switch") + book("en").cues("channel_switch")
        assert not any(cue in text.lower() for cue in cues), text
        assert "555" not in text and "@example-outfitters" not in text
        assert "Our support team answers questions about orders" in text  # the harmless part is kept


def test_private_channels_may_mention_other_channels(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    text = composer.compose(
        request_for(
            "How can I call you about my order?", channel=Channel.CHAT, hits=("contact",), is_question=True
        )
    ).text
    assert "Call us at +1 (555) 014-2290" in text


@pytest.mark.parametrize("channel", PUBLIC)
def test_public_replies_invite_to_dm_when_private_details_are_needed(
    channel: Channel,
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
    book: Callable[[str], Phrasebook],
    variant_in: VariantIn,
) -> None:
    private = PROFILES[channel].private_channel
    assert private is not None
    for language in ("en", "fr", "pl", "zh"):
        req = request_for(
            "my parcel has not arrived and tracking has not moved",
            channel=channel,
            hits=("late",),
            language=language,
            emotion=Emotion.FRUSTRATION,
            sentiment=Sentiment.NEGATIVE,
            complaint_type=ComplaintType.WANTS_FIX,
        )
        comp = composer.compose(req)
        bank = book(language)
        assert comp.move_to_private
        assert bank.channel(private.value) in comp.text
        assert variant_in(comp.text, bank, "friendly", "dm_invite") is not None


def test_general_questions_on_public_channels_stay_public(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    comp = composer.compose(
        request_for(
            "How long does delivery to Europe take?",
            channel=Channel.TWITTER,
            hits=("shipping",),
            is_question=True,
        )
    )
    assert not comp.move_to_private and "DM" not in comp.text


def test_private_channels_never_invite_to_move(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    for channel in (Channel.CHAT, Channel.TWITTER_DM, Channel.EMAIL, Channel.WHATSAPP):
        comp = composer.compose(
            request_for(
                "My order #A12345 has not arrived!",
                channel=channel,
                hits=("late",),
                complaint_type=ComplaintType.WANTS_FIX,
                mentions=["#A12345"],
            )
        )
        assert not comp.move_to_private


@pytest.mark.parametrize(
    ("agent", "brand", "channel", "expected"),
    [
        ("Ana Gomez", "Pinecone", Channel.TWITTER, "^AG"),
        (None, "Pinecone", Channel.TWITTER, ""),
        ("Ana Gomez", "Pinecone", Channel.FACEBOOK_POST, "– Ana"),
    ],
)
def test_short_sign_offs(
    agent: str | None,
    brand: str,
    channel: Channel,
    expected: str,
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
) -> None:
    comp = composer.compose(request_for(channel=channel, hits=("shipping",), agent=agent, brand=brand))
    assert comp.sign_off == expected
    assert comp.text.endswith(expected)


def test_team_sign_offs_without_an_agent(
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
    book: Callable[[str], Phrasebook],
    variant_in: VariantIn,
) -> None:
    en = book("en")
    comp = composer.compose(request_for(channel=Channel.FACEBOOK_POST, hits=("shipping",), agent=None))
    assert comp.sign_off.startswith("– ") and "Pinecone Outfitters" in comp.sign_off
    assert variant_in(comp.sign_off, en, "friendly", "team_name") is not None
    comp = composer.compose(
        request_for(
            hits=("shipping",), agent=None, brand=None, policy={"signature": "Pinecone Outfitters · Support"}
        )
    )
    _closing, team, signature = comp.sign_off.split("\n")
    assert variant_in(team, en, "friendly", "team_name_generic") is not None
    assert signature == "Pinecone Outfitters · Support"


def test_links_follow_policy_and_profile(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    with_link = composer.compose(request_for(hits=("shipping",)))
    without = composer.compose(request_for(hits=("shipping",), policy={"links": False}))
    assert "https://help.example-outfitters.test/articles/shipping-times" in with_link.text
    assert "http" not in without.text
    note = composer.compose(request_for(channel=Channel.VOICE, hits=("shipping",)))
    assert re.search(r"^Article: https://\S+$", note.text, re.M)


def test_profile_overrides_shape_the_reply(
    composer: OfflineComposer,
    request_for: Callable[..., ComposeRequest],
    book: Callable[[str], Phrasebook],
) -> None:
    overrides = {"chat": {"greeting": False}, "twitter": {"sign_off": "first_name"}}
    chat = composer.compose(
        request_for(channel=Channel.CHAT, hits=("shipping",), policy={"channel_overrides": overrides})
    )
    assert not any(
        chat.text.startswith(v.split("{")[0]) for v in book("en").variants("friendly", "greeting_inline")
    )
    assert "Maria" not in chat.text
    tweet = composer.compose(
        request_for(channel=Channel.TWITTER, hits=("shipping",), policy={"channel_overrides": overrides})
    )
    assert tweet.sign_off == "– Ana" and tweet.text.endswith(" – Ana")
