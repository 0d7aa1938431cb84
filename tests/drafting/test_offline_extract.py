"""Turning passage Markdown into quotable units, and picking the units that answer the message."""

from __future__ import annotations

import re
from collections.abc import Callable

from replyassist.channels import Format
from replyassist.drafting.base import ComposeRequest
from replyassist.drafting.offline import OfflineComposer
from replyassist.drafting.offline.extract import candidates, choose, terms
from replyassist.drafting.offline.layout import render_unit
from replyassist.drafting.offline.markdown import clean_inline, parse_units
from replyassist.models import Channel, Passage, SearchHit

MARKDOWN = """# Title of the article

Intro with **bold**, *italic*, `code`, a [link](https://example.test/x "t") and ![img](a.png).

## Steps

To start:

1. First step.
2. Second step with __emphasis__.

## Options

| Option | Time |
|---|---|
| Standard | 2 days |

> A quoted tip.

```
secret code block
```

Bring these:

- item one;
- item two
"""


def test_inline_markdown_becomes_plain_text() -> None:
    assert (
        clean_inline("**Bold** and [a link](https://x.test/a_b) and `x`, <b>tag</b>")
        == "Bold and a link and x, tag"
    )


def test_units_keep_steps_lists_and_tables_and_drop_headings_and_code() -> None:
    units = parse_units("p#0", MARKDOWN)
    kinds = [(u.kind, u.text) for u in units]
    assert ("sentence", "Intro with bold, italic, code, a link and .") in kinds
    steps = next(u for u in units if u.kind == "steps")
    assert steps.text == "To start:" and steps.items == ("First step.", "Second step with emphasis.")
    assert steps.numbers == (1, 2) and steps.heading == "Steps"
    table = next(u for u in units if u.kind == "list" and u.heading == "Options")
    assert table.items == ("Standard (2 days)",)
    assert any(u.text == "A quoted tip." for u in units)
    listing = next(u for u in units if u.text == "Bring these:")
    assert listing.items == ("item one;", "item two")
    everything = " ".join(u.all_text for u in units)
    assert "secret code block" not in everything and "Title of the article" not in everything
    assert not re.search(r"\*\*|__|`|\]\(|^#|\|", everything)


def test_steps_render_as_numbered_lines_in_email_and_sentences_elsewhere() -> None:
    steps = next(u for u in parse_units("p#0", MARKDOWN) if u.kind == "steps")
    assert render_unit(steps, Format.PARAGRAPHS) == "To start:\n1. First step.\n2. Second step with emphasis."
    assert render_unit(steps, Format.PLAIN) == "To start: First step. Second step with emphasis."
    listing = next(u for u in parse_units("p#0", MARKDOWN) if u.text == "Bring these:")
    assert render_unit(listing, Format.PLAIN) == "Bring these: item one; item two."


def test_terms_stem_and_split_cjk_into_bigrams() -> None:
    assert terms("Returning returns", "en", ["the"]) == ["return", "return"]
    assert terms("配送时间", "zh") == ["配送", "送时", "时间"]
    assert "the" not in terms("the parcel", "en", ["the"])


def test_ranking_prefers_the_section_that_answers() -> None:
    passage = Passage(
        id="a#0",
        article_id="a",
        title="Delivery",
        locale="en",
        text="""# Delivery

Delivery time is packing plus transit.

## Europe

| Option | Time |
|---|---|
| Standard | 2–5 business days |

## Bikes

Bikes travel by freight and take 5–8 business days in the US.
""",
    )
    hit = SearchHit(passage=passage, score=1.0, coverage=1.0)
    cands = candidates(
        [hit],
        "How long does shipping to Europe take?",
        "en",
        lambda _lang: frozenset({"how", "does", "to", "long", "take"}),
        lambda u, _l: u,
    )
    chosen = choose(cands, lambda trial: len(trial) <= 1, max_units=1, max_passages=1)
    assert chosen[0].unit.heading == "Europe"


def test_with_no_overlap_the_opening_of_the_best_passage_is_used() -> None:
    passage = Passage(
        id="a#0",
        article_id="a",
        title="x",
        locale="en",
        text="First sentence here. Second sentence here. Third one.",
    )
    cands = candidates(
        [SearchHit(passage=passage, score=1.0)],
        "完全に無関係",
        "ja",
        lambda _lang: frozenset(),
        lambda u, _l: u,
    )
    chosen = choose(cands, lambda trial: len(trial) <= 2, max_units=5, max_passages=1)
    assert [c.unit.text for c in chosen] == ["First sentence here.", "Second sentence here."]


def test_markdown_never_reaches_a_draft(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    for channel in (Channel.EMAIL, Channel.CHAT, Channel.TWITTER, Channel.VOICE):
        for message in (
            "How do I return an item?",
            "How long does delivery to Europe take?",
            "I was charged twice!",
        ):
            text = composer.compose(
                request_for(message, channel=channel, hits=("returns", "shipping", "charged"))
            ).text
            assert not re.search(r"\*\*|__|`|\]\(|^#|\|---|^\s*[-*] ", text, re.M), text


def test_questions_and_cross_references_in_passages_are_not_quoted(
    composer: OfflineComposer, request_for: Callable[..., ComposeRequest]
) -> None:
    text = composer.compose(
        request_for("How do I return something? Changed my mind.", hits=("returns",))
    ).text
    assert "Changed your mind?" not in text
    text = composer.compose(request_for("How long do bikes take to deliver?", hits=("shipping",))).text
    assert "Bikes travel by freight" in text and 'See "Bike delivery"' not in text


def test_headings_stored_without_marks_are_still_headings() -> None:
    # The knowledge base stores passages with the "#" marks stripped.
    text = "Returning an item\n\nYou can return items.\n\nWhat you can return\n\nItems must be unused:\n\nEurope\n\n| A | B |\n|---|---|\n| Standard | 2 days |"
    units = parse_units("p#1", text, title="Returning an item")
    assert [u.text for u in units if u.kind == "sentence"] == ["You can return items."]
    assert units[0].heading == ""  # the title is no section
    table = next(u for u in units if u.kind == "list")
    assert table.heading == "Europe" and table.text == "Europe"


def test_abbreviations_do_not_cut_sentences() -> None:
    units = parse_units("p#0", "Tardan 5–8 días en EE. UU. El transportista llama. Use e.g. this one.")
    assert [u.text for u in units] == [
        "Tardan 5–8 días en EE. UU.",
        "El transportista llama.",
        "Use e.g. this one.",
    ]


def test_acronyms_count_even_when_they_look_like_stop_words() -> None:
    assert "us" in terms("Do you ship to the US?", "en", ["us", "to", "the", "do", "you"])
    assert "us" not in terms("CAN YOU HELP US", "en", ["us", "you"])
