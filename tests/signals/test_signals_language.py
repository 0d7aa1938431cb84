"""Language detection on short messages, mixed content and real English data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from signals_lang_samples import CORE, SAMPLES, SHORT

from replyassist.signals import detect_language

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.mark.parametrize("language", CORE)
def test_core_language_detected_on_short_messages(language: str) -> None:
    samples = SAMPLES[language]
    wrong = [(text, detect_language(text)) for text in samples if detect_language(text)[0] != language]
    # at most one miss in a dozen varied messages
    assert len(wrong) <= len(samples) // 10, wrong


def test_other_languages_get_sensible_codes() -> None:
    others = [(lang, text) for lang, texts in SAMPLES.items() if lang not in CORE for text in texts]
    wrong = [(lang, text, detect_language(text)) for lang, text in others if detect_language(text)[0] != lang]
    assert len(wrong) <= len(others) // 10, wrong


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("não recebi meu pedido ainda", "pt"),
        ("no recibí mi pedido todavía", "es"),
        ("non ho ancora ricevuto il mio ordine", "it"),
        ("ik heb mijn bestelling nog niet ontvangen", "nl"),
        ("ich habe meine Bestellung noch nicht erhalten", "de"),
        ("注文番号を教えてください", "ja"),  # kanji with kana is Japanese
        ("请告诉我订单号", "zh"),
        ("pesanan saya belum sampai padahal sudah bayar", "id"),
        ("hàng chưa tới shop ơi", "vi"),
        ("zamówienie jeszcze nie dotarło", "pl"),
    ],
)
def test_tricky_pairs(text: str, expected: str) -> None:
    assert detect_language(text)[0] == expected


def test_noise_is_ignored() -> None:
    plain = detect_language("mi pedido no llega y nadie me responde")
    noisy = detect_language(
        "@AcmeSupport mi pedido #A12345 no llega 😡😡 y nadie me responde https://t.co/AbCdEf #fail 12/03"
    )
    assert noisy[0] == plain[0] == "es"
    assert noisy[1] > 0.5


@pytest.mark.parametrize(
    "text", ["", "   ", "😡😡😡", "https://t.co/xyz 12345 #A1234", "@AcmeAir @friend", "!!! ???"]
)
def test_nothing_to_go_on_gives_fallback_with_zero_confidence(text: str) -> None:
    assert detect_language(text) == ("en", 0.0)


def test_unknown_short_word_is_unsure() -> None:
    language, confidence = detect_language("ok")
    assert confidence < 0.5
    assert language == "en"


def test_clear_short_messages_are_confident() -> None:
    for text in ("hola, mi pedido no llega", "where is my order?", "bonjour, ma commande n'est pas arrivée"):
        assert detect_language(text)[1] >= 0.5, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("طلبي لم يصل بعد، أرجو المساعدة", "ar"),
        ("ההזמנה שלי לא הגיעה עדיין", "he"),
        ("سفارش من هنوز نرسیده است", "fa"),
    ],
)
def test_right_to_left_scripts(text: str, expected: str) -> None:
    assert detect_language(text)[0] == expected


def test_huge_text_is_bounded_and_still_right() -> None:
    text = "Hallo, meine Bestellung ist immer noch nicht angekommen. " * 50_000
    assert detect_language(text)[0] == "de"


def test_quoted_email_history_does_not_decide() -> None:
    text = (
        "Hola, sigo sin recibir el paquete.\n\n"
        "On Mon, 3 Mar 2025 at 10:00, Acme Support <help@acme.com> wrote:\n"
        "> Thank you for contacting us. We are looking into your order and will get back to you shortly.\n"
        "> Kind regards, the support team\n"
    )
    assert detect_language(text)[0] == "es"


def _column(path: Path, column: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def test_bitext_instructions_are_english() -> None:
    texts = _column(
        DATA / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv",
        "instruction",
    )
    assert len(texts) > 4000
    english = sum(detect_language(t)[0] == "en" for t in texts)
    assert english / len(texts) >= 0.95


def test_banking77_queries_are_english() -> None:
    texts = _column(DATA / "banking77" / "test.csv", "text")
    english = sum(detect_language(t)[0] == "en" for t in texts)
    assert english / len(texts) >= 0.97


def test_real_tweets_are_english() -> None:
    with (DATA / "twcs_sample" / "sample.csv").open(encoding="utf-8", newline="") as handle:
        tweets = [row["text"] for row in csv.DictReader(handle) if row["inbound"] == "True"]
    english = sum(detect_language(t)[0] == "en" for t in tweets)
    assert english / len(tweets) >= 0.9


def test_very_short_messages_mostly_right() -> None:
    pairs = [(lang, text) for lang in CORE for text in SHORT[lang]]
    right = sum(detect_language(text)[0] == lang for lang, text in pairs)
    assert right / len(pairs) >= 0.85
