"""Thanks-only, complaint type, questions, spam, addressing and mentions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from replyassist.models import Channel, ComplaintType, Customer, Message, Role, Signals, Ticket
from replyassist.signals import analyze

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def read(text: str, **fields: object) -> Signals:
    return analyze(Ticket.from_text(text, **fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "Thank you so much for your help 🙏",
        "ok great, solved!",
        "perfect, thanks a lot John",
        "Brilliant thanks 😊",
        "muchas gracias, ya está todo bien",
        "muito obrigada, resolvido!",
        "merci beaucoup, c'est réglé",
        "vielen Dank, hat geklappt",
        "grazie mille, tutto ok",
        "bedankt, het werkt weer",
        "dziękuję bardzo, już działa",
        "cảm ơn shop nhiều nha",
        "makasih kak, udah beres",
        "谢谢，已经解决了",
        "ありがとうございました！",
        "they just showed up!! thank you Sam you're a star ⭐️",
        "¡Ya llegó! Muchas gracias 🙏",
        "Paket ist angekommen, danke!",
    ],
)
def test_thanks_only(text: str) -> None:
    signals = read(text)
    assert signals.thanks_only, signals
    assert signals.complaint_type is ComplaintType.PRAISE


# Every language the offline composer writes (prompts/offline/*.toml): "thanks, problem solved" and the like.
THANKS_BY_LANGUAGE = {
    "en": ["Thanks so much, problem solved! 😊", "Issue resolved, thank you!"],
    "fr": [
        "@PineconeHelp merci beaucoup, problème réglé ! 😊",
        "Merci infiniment !",
        "Merci, colis bien reçu !",
    ],
    "es": ["¡Muchas gracias, problema resuelto! 😊", "Gracias, ya funciona"],
    "pt": ["Muito obrigada, problema resolvido! 😊", "Obrigado, deu certo!"],
    "de": ["Vielen Dank, Problem gelöst! 😊", "Danke schön, alles erledigt."],
    "it": ["Grazie mille, problema risolto! 😊", "Grazie, ora funziona!"],
    "nl": ["Heel erg bedankt, probleem opgelost! 😊", "Dank je wel, het is gelukt!"],
    "pl": ["Dziękuję bardzo, problem rozwiązany! 😊", "Dzięki, już działa!"],
    "vi": ["Cảm ơn nhiều, vấn đề đã được giải quyết! 😊", "Cám ơn shop, mình nhận được hàng rồi!"],
    "id": ["Terima kasih banyak, masalah sudah beres! 😊", "Terima kasih, paketnya sudah sampai!"],
    "zh": ["非常感谢，问题解决了！😊", "太好了，谢谢你们的帮助！"],
    "ja": ["問題解決しました。ありがとうございました。", "届きました、ありがとうございます！"],
}


def test_thanks_cover_every_composer_language() -> None:
    shipped = {p.stem for p in (Path(__file__).resolve().parents[2] / "prompts" / "offline").glob("*.toml")}
    assert shipped == set(THANKS_BY_LANGUAGE)


@pytest.mark.parametrize(
    ("language", "text"), [(lang, t) for lang, texts in THANKS_BY_LANGUAGE.items() for t in texts]
)
def test_thanks_only_in_every_language(language: str, text: str) -> None:
    signals = read(text)
    assert signals.language == language
    assert signals.thanks_only, signals
    assert signals.complaint_type is ComplaintType.PRAISE


@pytest.mark.parametrize(
    "text",
    [
        "merci mais le problème n'est pas réglé",
        "problème avec ma commande, merci de m'aider",
        "Cảm ơn nhưng vấn đề vẫn chưa được giải quyết",
        "Terima kasih, tapi paketnya belum sampai",
        "问题还没解决，谢谢",
        "请帮助我",
        "まだ届きません",
    ],
)
def test_thanks_beside_a_live_problem_is_not_thanks_only(text: str) -> None:
    assert not read(text).thanks_only


@pytest.mark.parametrize(
    "text",
    [
        "thanks, but it still doesn't work",
        "thanks! when will it arrive?",
        "thank you, can you also change my address?",
        "gracias, pero sigue sin funcionar",
        "merci mais toujours pas reçu",
        "danke, aber es geht immer noch nicht",
        "thanks for nothing",
        "Thanks! it arrived today but the pole is broken",
        "Thanks for the update. I ordered a replacement for the broken screen and it hasn't shipped",
    ],
)
def test_not_thanks_only(text: str) -> None:
    assert not read(text).thanks_only


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("worst airline ever, never again", ComplaintType.VENTING),
        ("I hate this company so much, absolutely disgusting", ComplaintType.VENTING),
        ("My order hasn't arrived, can you check?", ComplaintType.WANTS_FIX),
        ("the app crashes when I open my profile", ComplaintType.WANTS_FIX),
        ("mi pedido no ha llegado, ¿pueden revisarlo?", ComplaintType.WANTS_FIX),
        ("my parcel is late again, third time this month", ComplaintType.CHRONIC),
        ("the app keeps crashing, it's been like this for weeks", ComplaintType.CHRONIC),
        ("ma commande est encore en retard, toujours le même problème", ComplaintType.CHRONIC),
        ("How do I change my delivery address?", ComplaintType.QUESTION),
        ("Do you ship to Canada?", ComplaintType.QUESTION),
        ("I'd like to update my billing details", ComplaintType.QUESTION),
        ("You guys are amazing, best support ever!", ComplaintType.PRAISE),
    ],
)
def test_complaint_type(text: str, kind: ComplaintType) -> None:
    assert read(text).complaint_type is kind


def test_repeated_thread_makes_it_chronic() -> None:
    ticket = Ticket(
        messages=[
            Message(author=Role.CUSTOMER, text="My router drops the connection."),
            Message(author=Role.AGENT, text="Please restart it."),
            Message(author=Role.CUSTOMER, text="Did that, it drops the connection."),
            Message(author=Role.AGENT, text="Try another cable."),
            Message(author=Role.CUSTOMER, text="The router is dropping the connection, it doesn't work."),
        ]
    )
    assert analyze(ticket).complaint_type is ComplaintType.CHRONIC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order", True),
        ("Can you help me reset my password", True),
        ("is there a way to pay in instalments", True),
        ("¿dónde está mi pedido?", True),
        ("wann kommt mein Paket", True),
        ("hàng của tôi khi nào tới", True),
        ("paket saya kapan sampai", True),
        ("我的包裹什么时候到", True),
        ("荷物はいつ届きますか", True),
        ("my order has not arrived", False),
        ("what a joke", False),
        ("please refund me", False),
        ("see https://example.com/help?id=3", False),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert read(text).is_question is expected


@pytest.mark.parametrize(
    "text",
    [
        "FOLLOW BACK!!! f4f https://bit.ly/x",
        "Earn $500 a day working from home, click here https://scam.example",
        "🚀🚀 BITCOIN GIVEAWAY 🚀🚀 send 0.1 btc get 1 back https://x.co",
        "check out my channel, subscribe to my page!!",
        "buy cheap followers now buy cheap followers now buy cheap followers now",
        "We are an SEO agency: 1st page ranking GUARANTEED with our backlinks package. Reply YES for a free audit.",
    ],
)
def test_spam(text: str) -> None:
    assert read(text).spam


@pytest.mark.parametrize(
    "text",
    [
        "my bitcoin withdrawal failed, the transaction is stuck https://status.example.com",
        "is there a discount code for students?",
        "How do I unsubscribe from your newsletter?",
        "I have a partnership question: does your club offer group discounts for scouts?",
        "I won't be home tomorrow, can you deliver on Friday?",
        "Check out the screenshot: https://t.co/abc the payment failed",
    ],
)
def test_not_spam(text: str) -> None:
    assert not read(text).spam


BRAND = {"brand_handles": ["AcmeAir"], "brand_names": ["Acme Air"]}


@pytest.mark.parametrize(
    "text",
    [
        "lol @friend my @AcmeAir flight got delayed again, classic",
        "@jenny omg guess what, @AcmeAir lost my bag lol",
        "@dad flying with @AcmeAir tomorrow, pick me up at 6",
        "haha my Acme Air flight is late again, typical",
    ],
)
def test_not_addressed_to_brand(text: str) -> None:
    signals = analyze(Ticket.from_text(text, channel=Channel.TWITTER), **BRAND)
    assert not signals.addressed_to_brand
    assert signals.urgency.value == "low"


@pytest.mark.parametrize(
    "text",
    [
        "@AcmeAir my bag didn't arrive in Denver",
        "@AcmeAir @jenny you lost my bag, what now?",
        "Hey @AcmeAir, your app won't let me check in",
        "@friend @AcmeAir can you help me rebook please",
        "Why is my @AcmeAir flight cancelled? Please answer @AcmeAir",
        "First flight in years with @AcmeAir and already a 2h delay, no one at the gate to help",
    ],
)
def test_addressed_to_brand(text: str) -> None:
    assert analyze(Ticket.from_text(text, channel=Channel.TWITTER), **BRAND).addressed_to_brand


def test_private_channels_are_always_addressed() -> None:
    text = "lol @friend my @AcmeAir flight got delayed again, classic"
    assert analyze(Ticket.from_text(text, channel=Channel.EMAIL), **BRAND).addressed_to_brand


def test_real_inbound_tweets_are_mostly_addressed() -> None:
    with (DATA / "twcs_sample" / "sample.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["tweet_id"]: row for row in rows}
    checked = addressed = 0
    for row in rows:
        if row["inbound"] != "True":
            continue
        # the brand is whoever answered the tweet (brands keep their handles in this data)
        answers = [by_id[t] for t in row["response_tweet_id"].split(",") if t in by_id]
        brands = [a["author_id"] for a in answers if not a["author_id"].isdigit()]
        if not brands:
            continue
        ticket = Ticket.from_text(row["text"], channel=Channel.TWITTER)
        checked += 1
        addressed += analyze(ticket, brand_handles=brands).addressed_to_brand
        if row["text"].lower().startswith("@" + brands[0].lower()):
            assert analyze(ticket, brand_handles=brands).addressed_to_brand, row["text"]
    assert checked >= 20
    assert addressed / checked >= 0.85


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm sorry but order #A12345 hasn't arrived", ["#A12345"]),
        ("my order 12345 is late", ["order 12345"]),
        ("I was charged $49.99 twice", ["$49.99"]),
        ("paid 20 € for pedido nº 84512", ["20 €", "pedido nº 84512"]),
        ("booking ref: XK9P2Q for flight BA123", ["booking ref: XK9P2Q", "flight BA123"]),
        ("delivery was due on 12/03/2024", ["12/03/2024"]),
        ("it should have come by March 3rd", ["March 3rd"]),
        ("my iPhone 12 screen cracked", ["iPhone 12"]),
        ("订单号84512还没到", ["订单号84512"]),
    ],
)
def test_mentions(text: str, expected: list[str]) -> None:
    mentions = read(text).mentions
    for item in expected:
        # the specific is there, possibly with the word that introduced it ("order #A12345")
        assert any(item in mention for mention in mentions), mentions
    assert all(mention in text for mention in mentions)  # verbatim


def test_mentions_are_capped_and_skip_card_numbers() -> None:
    text = (
        "orders #A10001 #A10002 #A10003 #A10004 #A10005 #A10006 #A10007, "
        "my card 4111 1111 1111 1111 was charged $10"
    )
    mentions = read(text).mentions
    assert len(mentions) <= 5
    assert not any("4111" in m for m in mentions)


def test_language_falls_back_to_earlier_messages_then_locale() -> None:
    thread = Ticket(
        messages=[
            Message(author=Role.CUSTOMER, text="Hola, mi pedido no ha llegado todavía"),
            Message(author=Role.AGENT, text="Lo revisamos."),
            Message(author=Role.CUSTOMER, text="ok 👍"),
        ]
    )
    assert analyze(thread).language == "es"
    alone = Ticket.from_text("ok 👍", customer=Customer(name="Ana", locale="pt-BR"))
    assert analyze(alone).language == "pt"
    confident = Ticket.from_text("where is my parcel?", customer=Customer(locale="de-DE"))
    assert analyze(confident).language == "en"
