"""Sentiment direction and emotion on clear cases, in several languages."""

from __future__ import annotations

import pytest

from replyassist.models import Emotion, Sentiment, Signals, Ticket
from replyassist.signals import analyze


def read(text: str, **fields: object) -> Signals:
    return analyze(Ticket.from_text(text, **fields))  # type: ignore[arg-type]


NEGATIVE = [
    "This is the worst service I have ever had, absolutely terrible",
    "I'm not happy with this at all",
    "the app doesn't work and I'm fed up",
    "no funciona y estoy harto",
    "pésimo servicio, qué vergüenza",
    "je ne suis pas content du tout",
    "c'est scandaleux, toujours pas reçu",
    "Ich bin nicht zufrieden, das Gerät ist kaputt",
    "não funciona, péssimo atendimento",
    "non funziona, che schifo",
    "werkt niet, echt waardeloos",
    "nie działa, tragedia",
    "hàng bị vỡ, thất vọng quá",
    "pesanan belum sampai, kecewa banget",
    "我很失望，太差了",
    "最悪です、商品が届きません",
    "😡😡😡",
]
POSITIVE = [
    "Thank you so much, you guys are amazing!",
    "great service, really happy with it",
    "¡muchas gracias, excelente atención!",
    "merci beaucoup, c'est parfait",
    "vielen Dank, alles super",
    "muito obrigado, adorei",
    "grazie mille, perfetto",
    "heel erg bedankt, top service",
    "bardzo dziękuję, świetnie",
    "cảm ơn shop nhiều, hàng tuyệt vời",
    "terima kasih kak, mantap",
    "太好了，谢谢！",
    "ありがとうございます、助かりました",
    "❤️🙏👍",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_negative(text: str) -> None:
    signals = read(text)
    assert signals.sentiment is Sentiment.NEGATIVE, signals
    assert signals.sentiment_score < 0


@pytest.mark.parametrize("text", POSITIVE)
def test_positive(text: str) -> None:
    signals = read(text)
    assert signals.sentiment is Sentiment.POSITIVE, signals
    assert signals.sentiment_score > 0


@pytest.mark.parametrize(
    "text", ["Where can I change my delivery address?", "I ordered a blue jacket last week."]
)
def test_neutral(text: str) -> None:
    assert read(text).sentiment is Sentiment.NEUTRAL


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("I am happy with the service", "I am not happy with the service"),
        ("funciona bien", "no funciona"),
        ("je suis content", "je ne suis pas content"),
        ("ich bin zufrieden", "ich bin nicht zufrieden"),
        ("estou satisfeito", "não estou satisfeito"),
        ("sono contento", "non sono contento"),
        ("ik ben tevreden", "ik ben niet tevreden"),
        ("jestem zadowolony", "nie jestem zadowolony"),
        ("tôi hài lòng", "tôi không hài lòng"),
        ("saya puas", "saya tidak puas"),
        ("我很满意", "我不满意"),
    ],
)
def test_negation_flips(plain: str, negated: str) -> None:
    assert read(plain).sentiment_score > 0
    assert read(negated).sentiment_score < 0


def test_negated_negative_is_not_negative() -> None:
    assert read("not bad at all").sentiment is not Sentiment.NEGATIVE


def test_caps_and_exclamations_intensify() -> None:
    calm = read("this is bad").sentiment_score
    loud = read("this is BAD!!!").sentiment_score
    assert loud < calm < 0


def test_intensifier_intensifies() -> None:
    assert read("the service was very bad").sentiment_score < read("the service was bad").sentiment_score


def test_but_weighs_what_follows() -> None:
    assert read("the staff were nice but the product is terrible").sentiment is Sentiment.NEGATIVE
    assert read("delivery was slow but the product is excellent").sentiment is Sentiment.POSITIVE


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I am furious, this is unacceptable", Emotion.ANGER),
        ("your staff are idiots", Emotion.ANGER),
        ("so disappointed, I expected better", Emotion.DISAPPOINTMENT),
        ("I'm worried my data is not safe", Emotion.WORRY),
        ("I'm confused, I don't understand the invoice", Emotion.CONFUSION),
        ("thank you so much for the help 🙏", Emotion.GRATITUDE),
        ("I love it, it's amazing!", Emotion.JOY),
        ("still not working, third time I ask, so frustrating", Emotion.FRUSTRATION),
        ("Where can I change my delivery address?", Emotion.NEUTRAL),
        ("estoy furioso, es inaceptable", Emotion.ANGER),
        ("je suis très déçu", Emotion.DISAPPOINTMENT),
        ("vielen Dank für die Hilfe", Emotion.GRATITUDE),
    ],
)
def test_emotion(text: str, emotion: Emotion) -> None:
    assert read(text).emotion is emotion


def test_sarcastic_thanks_is_not_gratitude() -> None:
    signals = read("thanks for nothing")
    assert signals.sentiment is Sentiment.NEGATIVE
    assert signals.emotion is not Emotion.GRATITUDE


def test_score_is_bounded() -> None:
    signals = read("TERRIBLE!!!! WORST EVER!!!! 😡😡😡😡😡😡 " * 200)
    assert -1.0 <= signals.sentiment_score <= 1.0
