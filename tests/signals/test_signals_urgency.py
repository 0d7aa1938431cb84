"""Urgency reasons and risks: each one found, in several languages, and the usual false alarms not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replyassist.models import Message, Role, Signals, Ticket, Urgency
from replyassist.signals import analyze


def read(text: str, **fields: object) -> Signals:
    return analyze(Ticket.from_text(text, **fields))  # type: ignore[arg-type]


REASONS = {
    "outage": [
        "your site is down, nobody can check out",
        "I can't log in, the app says error 503",
        "is the service down? not working for everyone in my office",
        "la página está caída desde esta mañana",
        "impossible de me connecter depuis ce matin",
        "Störung? Ich kann mich nicht einloggen",
        "aplikasi down terus, gak bisa login",
    ],
    "safety": [
        "the charger caught fire last night",
        "smoke coming out of the back of the TV",
        "the kettle gave me an electric shock",
        "my son had an allergic reaction to the snack even though the label said nut free",
        "the toy's small parts are a choking hazard",
        "el cargador se incendió",
        "der Akku ist explodiert",
        "充电器冒烟了",
    ],
    "legal_threat": [
        "I'm going to talk to my lawyer about this",
        "if this isn't fixed I will sue you",
        "see you in small claims court",
        "I'll file a chargeback with my bank",
        "voy a poner una denuncia y hablar con mi abogado",
        "je vais porter plainte",
        "ich schalte meinen Anwalt ein",
    ],
    "payment": [
        "I was charged twice for the same order",
        "there's a double charge on my card",
        "unauthorized charge on my account from you",
        "I still haven't received my refund",
        "me cobraron dos veces",
        "mir wurde doppelt abgebucht",
        "扣了两次钱",
    ],
    "deadline": [
        "I need this fixed today",
        "please send it by Friday",
        "my flight is in 2 hours and the booking is gone",
        "urgent: wrong address on the parcel",
        "please respond ASAP",
        "lo necesito para mañana, es urgente",
        "c'est urgent",
    ],
    "repeated_contact": [
        "this is the third time I'm writing about this",
        "still waiting for a reply to my email",
        "I've called you 4 times and nobody helps",
        "nobody has replied to my messages",
        "es la tercera vez que escribo",
        "ich warte immer noch auf eine Antwort",
    ],
    "data_breach": [
        "someone logged into my account and changed the address",
        "my account was hacked",
        "I can see other customers' details in my order history",
        "you leaked my personal data",
        "mi cuenta fue hackeada",
        "mein Konto wurde gehackt",
    ],
}


@pytest.mark.parametrize(("reason", "text"), [(r, t) for r, texts in REASONS.items() for t in texts])
def test_reason_found(reason: str, text: str) -> None:
    signals = read(text)
    assert reason in signals.urgency_reasons, signals
    assert signals.urgency in (Urgency.HIGH, Urgency.CRITICAL)


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to try it",
        "this deal is killer",
        "I'd kill for a coffee right now",
        "this playlist is fire 🔥",
        "I was shocked by how fast it arrived",
        "sick burn lol",
        "the food court was busy",
        "Sue from your team was great",
        "I ordered it today, when will it ship?",
        "try logging in again later",
        "it started immediately after the update",
        "I smoke salmon with your smoker, works great",
        "your service is on fire today, thanks!",
        "my phone blew up with notifications",
        "the ATM swallowed my card",
        "I'm storing my photos in the cloud",
        "I was charged the right amount, thanks",
        "the battery drains within 12 hours",
    ],
)
def test_false_alarms(text: str) -> None:
    signals = read(text)
    assert signals.urgency_reasons == [], signals
    assert signals.risks == [], signals
    assert signals.urgency not in (Urgency.HIGH, Urgency.CRITICAL)


def test_joking_sue_is_not_a_legal_threat() -> None:
    assert "legal_threat" not in read("I'd sue for a coffee right now").risks


RISKS = {
    "legal_threat": ["my attorney will be in touch", "nos vemos en los tribunales, os voy a demandar"],
    "safety": ["the heater started smoking and burned my hand", "il caricabatterie ha preso fuoco"],
    "data_breach": [
        "someone accessed my account without permission",
        "mi sono accorto di un accesso non autorizzato",
    ],
    "abuse": [
        "you are all fucking idiots",
        "fuck you",
        "I know where you live",
        "sois unos gilipollas",
        "ihr seid Idioten, Arschloch",
    ],
    "self_harm": [
        "honestly I want to die, nothing is working out",
        "I'm going to kill myself",
        "quiero morirme",
    ],
}


@pytest.mark.parametrize(("risk", "text"), [(r, t) for r, texts in RISKS.items() for t in texts])
def test_risk_found(risk: str, text: str) -> None:
    assert risk in read(text).risks


@pytest.mark.parametrize(
    "text",
    [
        "I'm dying to try the new flavour",
        "this deal is killer",
        "the app is killing my battery",
        "your prices are criminal lol",
        "my sister is a lawyer and loves your app",
        "that movie was sick",
        "we laughed so hard I nearly died",
        "I want to try the killer burger",
        "useless app, your updates are stupid",
    ],
)
def test_risk_false_positives(text: str) -> None:
    assert read(text).risks == [], text


def test_safety_is_critical() -> None:
    assert read("smoke is coming out of the charger").urgency is Urgency.CRITICAL


def test_self_harm_is_critical() -> None:
    assert read("I want to kill myself").urgency is Urgency.CRITICAL


def test_plain_question_is_normal() -> None:
    assert read("How do I change my delivery address?").urgency is Urgency.NORMAL


def test_thanks_is_low() -> None:
    assert read("thanks a lot, all sorted!").urgency is Urgency.LOW


def test_unanswered_messages_in_thread_are_repeated_contact() -> None:
    messages = [
        Message(author=Role.CUSTOMER, text="Hello, where is my parcel?"),
        Message(author=Role.BOT, text="Thanks for your message, an agent will reply soon."),
        Message(author=Role.CUSTOMER, text="Any news?"),
        Message(author=Role.CUSTOMER, text="Hello?"),
    ]
    signals = analyze(Ticket(messages=messages))
    assert "repeated_contact" in signals.urgency_reasons
    answered = Ticket(messages=[messages[0], Message(author=Role.AGENT, text="It ships today."), messages[2]])
    assert "repeated_contact" not in analyze(answered).urgency_reasons


def test_long_wait_between_unanswered_messages_is_repeated_contact() -> None:
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    ticket = Ticket(
        messages=[
            Message(author=Role.CUSTOMER, text="My parcel is late.", created_at=start),
            Message(author=Role.CUSTOMER, text="Any update on this?", created_at=start + timedelta(days=2)),
        ]
    )
    assert "repeated_contact" in analyze(ticket).urgency_reasons
