"""Channel profiles: every channel has one, limits are counted as the channel counts them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replyassist import Channel, ConfigurationError, Format, SignOff, get_profile, x_weighted_length
from replyassist.channels import fit_to_profile


def test_every_channel_has_a_profile() -> None:
    for channel in Channel:
        profile = get_profile(channel)
        assert profile.channel is channel
        assert profile.target_chars > 0
        if profile.max_chars is not None:
            assert profile.target_chars <= profile.max_chars


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mail", Channel.EMAIL),
        ("web_form", Channel.WEB_FORM),
        ("native_messaging", Channel.CHAT),
        ("X", Channel.TWITTER),
        ("twitter-dm", Channel.TWITTER_DM),
        ("facebook", Channel.FACEBOOK_POST),
        ("messenger", Channel.FACEBOOK_MESSENGER),
        ("instagram_dm", Channel.INSTAGRAM_DM),
        ("phone", Channel.VOICE),
        ("WhatsApp", Channel.WHATSAPP),
        ("sms", Channel.SMS),
    ],
)
def test_helpdesk_vocabularies_map_to_channels(name: str, expected: Channel) -> None:
    assert Channel.parse(name) is expected


def test_unknown_channel_gets_the_safe_profile() -> None:
    assert Channel.parse("carrier-pigeon") is None
    assert get_profile("carrier-pigeon").channel is Channel.UNKNOWN


def test_public_social_profiles_name_a_private_channel() -> None:
    for channel in Channel:
        profile = get_profile(channel)
        assert profile.public == channel.is_public
        if profile.public:
            assert profile.private_channel is not None
            assert not profile.private_channel.is_public


def test_email_is_paragraphs_with_a_full_sign_off_and_voice_is_a_call_note() -> None:
    assert get_profile(Channel.EMAIL).format is Format.PARAGRAPHS
    assert get_profile(Channel.EMAIL).sign_off is SignOff.FULL
    assert get_profile(Channel.VOICE).format is Format.CALL_NOTE
    for channel in (Channel.TWITTER, Channel.CHAT, Channel.SMS, Channel.INSTAGRAM_DM):
        assert get_profile(channel).format is Format.PLAIN


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("a" * 280, 280),
        ("你好", 4),
        ("こんにちは", 10),
        ("👍", 2),
        ("👍🏽", 2),
        ("👨‍👩‍👧", 2),
        ("🇪🇸", 2),
        ("see https://help.example.com/a/very/long/path/that/is/long", 4 + 23),
        ("café", 4),
        ("Привет", 6),
    ],
)
def test_x_counts_like_twitter_text(text: str, length: int) -> None:
    assert x_weighted_length(text) == length


def test_long_tweet_becomes_a_numbered_thread_of_at_most_three() -> None:
    profile = get_profile(Channel.TWITTER)
    body = " ".join(
        f"Step {i}: do the thing that needs doing for the return to go through." for i in range(9)
    )
    fitted = fit_to_profile(body, profile, keep_last="^SR")
    assert 1 < len(fitted.parts) <= 3
    for i, part in enumerate(fitted.parts, 1):
        assert x_weighted_length(part) <= 280
        assert part.endswith(f"{i}/{len(fitted.parts)}")
    assert "^SR" in fitted.parts[-1]


def test_too_long_for_three_tweets_is_trimmed_keeping_the_sign_off() -> None:
    profile = get_profile(Channel.TWITTER)
    body = " ".join(f"Sentence {i} explains one more detail of our policy at some length." for i in range(40))
    fitted = fit_to_profile(body, profile, keep_last="^SR")
    assert fitted.trimmed
    assert len(fitted.parts) <= 3
    assert all(x_weighted_length(p) <= 280 for p in fitted.parts)
    assert "^SR" in fitted.parts[-1]


def test_sms_is_cut_without_threading() -> None:
    fitted = fit_to_profile("word " * 400, get_profile(Channel.SMS))
    assert len(fitted.parts) == 1
    assert len(fitted.text) <= 480
    assert fitted.trimmed


@given(st.text(max_size=3000))
def test_fitting_always_respects_the_limit(text: str) -> None:
    for channel in (Channel.TWITTER, Channel.SMS, Channel.INSTAGRAM_DM):
        profile = get_profile(channel)
        fitted = fit_to_profile(text, profile, keep_last="^AB")
        assert len(fitted.parts) <= profile.max_parts
        assert all(profile.fits(p) for p in fitted.parts)


def test_brand_overrides_and_bad_override_fields() -> None:
    profile = get_profile(Channel.TWITTER, {"sign_off": "first_name", "max_parts": 1})
    assert profile.sign_off is SignOff.FIRST_NAME and profile.max_parts == 1
    with pytest.raises(ConfigurationError, match="max_lenght"):
        get_profile(Channel.TWITTER, {"max_lenght": 100})
