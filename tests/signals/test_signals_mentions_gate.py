"""Mentions are only looked for in text with a digit (every id, amount, date and product has
one); Unicode digits count, so dates written with full-width digits are still found."""

from __future__ import annotations

import pytest

from replyassist.models import Ticket
from replyassist.signals import analyze


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("注文は２０２４年３月５日に届く予定でした", ["２０２４年３月５日"]),
        ("Order #A12345 never arrived, I paid $49.99 on March 3", ["Order #A12345", "$49.99", "March 3"]),
        ("my order never arrived and nobody answers", []),
    ],
)
def test_mentions(text: str, mentions: list[str]) -> None:
    assert analyze(Ticket.from_text(text)).mentions == mentions
