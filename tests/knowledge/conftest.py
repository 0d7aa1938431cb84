"""Small knowledge bases written for the knowledge tests."""

from __future__ import annotations

import pytest

from replyassist.knowledge import KnowledgeBase
from replyassist.models import Article

REFUNDS_BODY = """## How refunds work

Once your return reaches our warehouse, we inspect it within three business days. We then issue the
refund to the payment method you used.

## Timing

Card refunds take five to ten business days to appear on your statement. PayPal refunds take one to
three business days."""

HELP_ARTICLES = [
    Article(
        id="refunds",
        title="Refunds",
        body=REFUNDS_BODY,
        locale="en",
        labels=["billing", "Returns"],
        url="https://help.example/refunds",
    ),
    Article(
        id="shipping",
        title="Shipping times",
        body="Standard delivery takes three to five business days. Express delivery arrives the next day "
        "if you order before noon.",
        locale="en",
        labels=["delivery"],
    ),
    Article(
        id="password",
        title="Reset your password",
        body="Click 'Forgot password' on the sign-in page. We email you a link that expires after one "
        "hour. If the email does not arrive, check your spam folder.",
        locale="en",
        labels=["account"],
    ),
    Article(
        id="gift-cards",
        title="Gift cards",
        body="Gift cards never expire and can be used online and in stores. Lost gift cards cannot be "
        "replaced.",
        locale="en",
        labels=["billing"],
    ),
    Article(
        id="reembolsos",
        title="Reembolsos",
        body="Cuando tu devolución llega a nuestro almacén, emitimos el reembolso al método de pago "
        "que usaste. Los reembolsos a tarjeta tardan de cinco a diez días hábiles.",
        locale="es",
        labels=["billing"],
    ),
    Article(
        id="envios",
        title="Plazos de envío",
        body="La entrega estándar tarda de tres a cinco días hábiles.",
        locale="es-MX",
        labels=["delivery"],
    ),
]


@pytest.fixture
def help_kb() -> KnowledgeBase:
    return KnowledgeBase(HELP_ARTICLES)
