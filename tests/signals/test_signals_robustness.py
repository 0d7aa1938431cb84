"""Nothing the customer types can break the signals; misuse gets a clear error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import replyassist.signals as signals_package
from replyassist._errors import ConfigurationError
from replyassist.models import Channel, Customer, Message, Role, Signals, Ticket
from replyassist.signals import analyze, detect_language

# arbitrary unicode, plus the kinds of text customers actually paste
texts = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.lists(
        st.sampled_from(
            [
                "@AcmeAir",
                "#A12345",
                "😡",
                "🙏",
                "https://t.co/x?y=1",
                "not",
                "no funciona",
                "!!!",
                "???",
                "\u200f",
                "\u202e",
                "مرحبا",
                "注文",
                "ありがとう",
                "&amp;",
                "<b>",
                "\n> quoted",
                "$49.99",
                "I will sue",
                "caught fire",
                "thanks",
                "but",
                "again",
                "\x00",
                "\ud7ff",
                "ß",
                "İ",
            ]
        ),
        max_size=40,
    ).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_detect_language_never_raises(text: str) -> None:
    language, confidence = detect_language(text)
    assert isinstance(language, str) and 2 <= len(language) <= 3
    assert 0.0 <= confidence <= 1.0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.sampled_from(list(Channel)))
def test_analyze_never_raises(text: str, channel: Channel) -> None:
    result = analyze(
        Ticket.from_text(text, channel=channel), brand_handles=["AcmeAir"], brand_names=["Acme Air"]
    )
    assert isinstance(result, Signals)
    assert -1.0 <= result.sentiment_score <= 1.0
    assert 0.0 <= result.language_confidence <= 1.0
    assert len(result.mentions) <= 5
    assert all(m in text for m in result.mentions)


@settings(max_examples=50, deadline=None)
@given(texts)
def test_analyze_is_deterministic(text: str) -> None:
    ticket = Ticket.from_text(text, channel=Channel.TWITTER)
    assert analyze(ticket) == analyze(ticket)


def test_huge_message_is_read_only_in_part() -> None:
    text = "My phone caught fire. " + "lorem ipsum dolor sit amet " * 200_000 + " I will sue you"
    result = analyze(Ticket.from_text(text))
    assert "safety" in result.urgency_reasons
    assert "legal_threat" not in result.risks  # beyond the 5,000 characters read


def test_right_to_left_and_control_characters() -> None:
    result = analyze(Ticket.from_text("\u202eلم يصل طلبي بعد\u200f 😡 #A12345"))
    assert result.language == "ar"
    assert "#A12345" in result.mentions


def test_html_only_message_is_read() -> None:
    ticket = Ticket(messages=[Message(author=Role.CUSTOMER, html="<p>Hola, <b>mi pedido</b> no llega</p>")])
    assert analyze(ticket).language == "es"


def test_ticket_without_customer_text_gives_defaults() -> None:
    ticket = Ticket(
        messages=[Message(author=Role.AGENT, text="Hello, how can we help?")],
        customer=Customer(locale="fr-FR"),
    )
    result = analyze(ticket)
    assert result == Signals(language="fr")


def test_last_customer_message_is_the_one_read() -> None:
    ticket = Ticket(
        messages=[
            Message(author=Role.CUSTOMER, text="this is the worst service ever, I'm furious"),
            Message(author=Role.AGENT, text="We are so sorry, here is a voucher."),
            Message(author=Role.CUSTOMER, text="thank you, that's lovely!"),
        ]
    )
    assert analyze(ticket).sentiment_score > 0


def test_wrong_argument_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="Ticket"):
        analyze("where is my order?")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="brand_handles"):
        analyze(Ticket.from_text("hi"), brand_handles=42)  # type: ignore[arg-type]


def test_single_brand_name_string_is_accepted() -> None:
    ticket = Ticket.from_text(
        "lol @friend my @AcmeAir flight is late again, classic", channel=Channel.TWITTER
    )
    assert analyze(ticket, brand_handles="AcmeAir") == analyze(ticket, brand_handles=["AcmeAir"])


def test_ticket_brand_counts_as_a_brand_name() -> None:
    ticket = Ticket.from_text(
        "haha my Acme Air flight is late again, typical", channel=Channel.TWITTER, brand="Acme Air"
    )
    assert not analyze(ticket).addressed_to_brand


def test_public_api() -> None:
    assert signals_package.__all__ == sorted(signals_package.__all__) == ["analyze", "detect_language"]
