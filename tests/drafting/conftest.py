"""Fixtures for the offline composer's tests: passages, requests and phrase-bank look-ups.

Passages are written here (modelled on a small outdoor-gear shop's help centre) so the tests do
not depend on the sample KB; requests are built directly from the library's models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline import OfflineComposer, Phrasebook
from replyassist.models import Channel, Customer, Decision, Message, Passage, Role, SearchHit, Signals, Ticket
from replyassist.policy import Policy

URL = "https://help.example-outfitters.test/articles/"

PASSAGES: dict[str, Passage] = {
    "shipping": Passage(
        id="shipping-times#0",
        article_id="shipping-times",
        title="How long does delivery take?",
        url=URL + "shipping-times",
        locale="en",
        labels=["shipping", "orders"],
        text="""# How long does delivery take?

Delivery time is the time we need to pack your order plus the carrier's **transit time**.

## Europe

| Option | Transit time |
|---|---|
| Standard | 2–5 business days |
| Express | 1–2 business days |

Orders to the United Kingdom and Norway take 3–7 business days, customs included.

## Bikes and bulky items

Bikes travel by freight and take **5–8 business days**. See "Bike delivery" for details.
""",
    ),
    "late": Passage(
        id="late-parcel#0",
        article_id="late-parcel",
        title="My parcel is late",
        url=URL + "late-parcel",
        locale="en",
        labels=["shipping", "tracking"],
        text="""# My parcel is late

## Tracking has not moved

Carriers sometimes scan a parcel only at the next depot, so a gap of two days is common.
Contact us if tracking has not changed for **5 business days**.

## What we do

We open a trace with the carrier. A trace takes up to **3 business days**.

## How to reach us

Please send your order number privately, never in a public post.
""",
    ),
    "charged": Passage(
        id="charged-twice#0",
        article_id="charged-twice",
        title="I was charged twice",
        url=URL + "charged-twice",
        locale="en",
        labels=["payments", "billing", "orders"],
        text="""# I was charged twice

## Usually it is a hold

When you order, your bank places an *authorisation hold* for the order total. The hold disappears
on its own within **3–5 business days**.

## If you really were charged twice

If two completed charges are still there after 7 business days, contact us by chat, email or private message with:

- the order number;
- the date and amount of each charge.

We refund a duplicate within **2 business days**.
""",
    ),
    "returns": Passage(
        id="returns#0",
        article_id="returns",
        title="Returning an item",
        url=URL + "returns",
        locale="en",
        labels=["returns", "orders", "refunds"],
        text="""# Returning an item

You can return most items within **30 days of delivery**. Club members have __60 days__.

## How to start a return

1. Sign in and go to **Account > Orders**.
2. Choose the order and select [Return items](https://example.test/return).
3. Print the label and drop the parcel at a carrier point within 14 days.

Changed your mind?
""",
    ),
    "recall": Passage(
        id="stove-recall#0",
        article_id="stove-recall",
        title="Safety recall: Summit 2 stove",
        url=URL + "stove-recall",
        locale="en",
        labels=["safety", "recall"],
        text="""# Safety recall: Summit 2 stove (model PS-200)

A rubber seal in the fuel valve can crack, posing a fire hazard.

## What to do

1. **Stop using the stove immediately**, even if you never noticed a problem.
2. Unscrew the gas canister outdoors, away from any flame.
3. Register the recall by calling **+1 (555) 014-2299** or by emailing recall@example-outfitters.test.
""",
    ),
    "contact": Passage(
        id="contact#0",
        article_id="contact",
        title="Contact us",
        url=URL + "contact",
        locale="en",
        labels=["contact"],
        text="""# Contact us

Our support team answers questions about orders every day.
Call us at +1 (555) 014-2290 for anything about your order.
You can also email us at help@example-outfitters.test with your order details.
Or visit a store near you and ask about your order.
""",
    ),
    "warranty": Passage(
        id="warranty#0",
        article_id="warranty",
        title="Warranty",
        url=URL + "warranty",
        locale="en",
        labels=["warranty", "repairs"],
        text="""# Warranty

Our own products are covered for 2 years from delivery against defects in materials.
""",
    ),
    "shipping_es": Passage(
        id="shipping-times-es#0",
        article_id="shipping-times-es",
        title="¿Cuánto tarda la entrega?",
        url=URL + "es/shipping-times",
        locale="es",
        labels=["shipping", "orders"],
        text="""# ¿Cuánto tarda la entrega?

El plazo de entrega es el tiempo que necesitamos para preparar tu pedido más el tránsito.
Los envíos estándar a Europa tardan de 2 a 5 días hábiles.
""",
    ),
}


def hit(name: str, coverage: float = 0.8) -> SearchHit:
    return SearchHit(passage=PASSAGES[name], score=7.5, coverage=coverage)


def make_request(
    message: str = "How long does delivery take?",
    *,
    channel: Channel | str = Channel.EMAIL,
    hits: tuple[str, ...] = (),
    answering: tuple[str, ...] | None = None,
    decision: Decision = Decision.REPLY,
    language: str = "en",
    name: str | None = "Maria",
    tone: str = "friendly",
    agent: str | None = "Ana Gomez",
    brand: str | None = "Pinecone Outfitters",
    ticket_id: str | None = "T-1001",
    policy: dict[str, Any] | None = None,
    history: tuple[str, ...] = (),
    **signals: Any,
) -> ComposeRequest:
    """A compose request with sensible defaults; ``signals`` are Signals fields."""
    messages = [Message(author=Role.CUSTOMER, text=m) for m in history] + [
        Message(author=Role.CUSTOMER, text=message)
    ]
    ticket = Ticket(
        id=ticket_id,
        channel=channel,
        customer=Customer(first_name=name) if name else Customer(),
        messages=messages,
    )
    pol = Policy(brand=brand, agent_name=agent, tone=tone, **(policy or {}))
    all_hits = [hit(h) for h in hits]
    chosen = [hit(h) for h in (hits if answering is None else answering)]
    return ComposeRequest(
        ticket=ticket,
        signals=Signals(language=language, **signals),
        hits=all_hits,
        answering_hits=chosen,
        profile=pol.profile_for(ticket.channel),
        policy=pol,
        decision=decision,
        reasons=[],
        language=language,
    )


def slot_pattern(template: str) -> str:
    """A regex matching a phrase-bank variant whatever its placeholders were filled with."""
    parts = re.split(r"\{[a-z_]+\}", template)
    return ".+?".join(re.escape(p) for p in parts)


def used_variant(text: str, book: Phrasebook, tone: str, slot: str) -> int | None:
    """Index of the variant of ``slot`` that appears in ``text`` (longest match wins), or None."""
    found = [(len(v), i) for i, v in enumerate(book.variants(tone, slot)) if re.search(slot_pattern(v), text)]
    return max(found)[1] if found else None


@pytest.fixture(scope="session")
def composer() -> OfflineComposer:
    return OfflineComposer()


@pytest.fixture(scope="session")
def book(composer: OfflineComposer) -> Callable[[str], Phrasebook]:
    def get(language: str) -> Phrasebook:
        bank = composer.phrasebook(language)
        assert bank is not None, language
        return bank

    return get


# Helpers reach the tests through fixtures, so the test modules never import this conftest.
@pytest.fixture(scope="session")
def request_for() -> Callable[..., ComposeRequest]:
    return make_request


@pytest.fixture(scope="session")
def variant_in() -> Callable[[str, Phrasebook, str, str], int | None]:
    return used_variant


@pytest.fixture(scope="session")
def passages() -> dict[str, Passage]:
    return PASSAGES
