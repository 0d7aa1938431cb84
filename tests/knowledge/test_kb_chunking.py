"""Cutting articles into passages, seen through ``KnowledgeBase.passages``."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replyassist._errors import ConfigurationError
from replyassist.knowledge import KnowledgeBase
from replyassist.models import Article


def squash(text: str) -> str:
    """Text without whitespace or Markdown heading marks, to compare content."""
    return re.sub(r"[\s#]+", "", text)


def sentence(i: int) -> str:
    return f"Sentence {i} explains one more detail about the refund process."


def test_short_article_is_one_passage_with_the_article_fields() -> None:
    article = Article(
        id="a1",
        title="Title",
        body="One short paragraph.",
        url="https://x/a1",
        locale="it",
        labels=["l1", "l2"],
    )
    [passage] = KnowledgeBase([article]).passages
    assert passage.id == "a1#0"
    assert passage.article_id == "a1"
    assert (passage.title, passage.url, passage.locale, passage.labels) == (
        "Title",
        "https://x/a1",
        "it",
        ["l1", "l2"],
    )
    assert passage.text == "One short paragraph."


def test_headings_start_passages_and_ids_are_sequential() -> None:
    sections = [f"## Section {s}\n\n" + " ".join(sentence(s * 10 + i) for i in range(4)) for s in range(5)]
    kb = KnowledgeBase([Article(id="doc", title="Doc", body="\n\n".join(sections))], chunk_chars=400)
    passages = kb.passages
    assert [p.id for p in passages] == [f"doc#{n}" for n in range(len(passages))]
    assert len(passages) == 5
    for s, passage in enumerate(passages):
        # Heading marks are dropped from the text shown; the heading itself stays.
        assert passage.text.startswith(f"Section {s}\n")
        assert len(passage.text) <= 400


def test_long_paragraph_is_cut_between_sentences() -> None:
    body = " ".join(sentence(i) for i in range(40))
    passages = KnowledgeBase([Article(id="long", title="Long", body=body)], chunk_chars=300).passages
    assert len(passages) > 1
    for passage in passages:
        assert len(passage.text) <= 300
        assert passage.text.startswith("Sentence ") and passage.text.endswith("process.")
    assert squash("".join(p.text for p in passages)) == squash(body)


def test_sentence_longer_than_a_passage_is_cut_between_words() -> None:
    words = [f"word{i}" for i in range(200)]
    body = " ".join(words)
    passages = KnowledgeBase([Article(id="w", title="W", body=body)], chunk_chars=150).passages
    assert len(passages) > 1
    seen = [w for p in passages for w in p.text.split()]
    assert seen == words


def test_chinese_text_is_cut_at_full_stops() -> None:
    body = "。".join(f"第{i}条说明退款会在七个工作日内到账" for i in range(40)) + "。"
    passages = KnowledgeBase(
        [Article(id="zh", title="退款", body=body, locale="zh")], chunk_chars=120
    ).passages
    assert len(passages) > 1
    for passage in passages:
        assert len(passage.text) <= 120
        assert passage.text.endswith("。")
    assert "".join(p.text for p in passages) == body


def test_small_sections_are_merged_rather_than_left_tiny() -> None:
    body = "## A\n\nShort.\n\n## B\n\nAlso short.\n\n## C\n\nStill short."
    passages = KnowledgeBase([Article(id="s", title="S", body=body)], chunk_chars=800).passages
    assert len(passages) == 1
    assert squash(passages[0].text) == squash(body)


def test_html_body_is_indexed_as_text() -> None:
    body = "<h2>Returns</h2><p>You have <strong>30 days</strong>.</p><script>alert('x')</script>"
    [passage] = KnowledgeBase([Article(id="h", title="H", body=body)]).passages
    assert "<" not in passage.text and "alert" not in passage.text
    assert "30 days" in passage.text


def test_blank_article_is_kept_but_has_no_passage() -> None:
    kb = KnowledgeBase([Article(id="blank", title="Blank", body="   ")])
    assert "blank" in kb
    assert len(kb) == 0


@pytest.mark.parametrize("chunk_chars", [0, 99, -5])
def test_too_small_chunk_size_is_refused(chunk_chars: int) -> None:
    with pytest.raises(ConfigurationError, match="chunk_chars"):
        KnowledgeBase(chunk_chars=chunk_chars)


paragraph = st.lists(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=120),
    min_size=1,
    max_size=8,
).map(" ".join)
markdown = st.lists(st.one_of(paragraph, paragraph.map(lambda p: "## " + p)), min_size=1, max_size=12).map(
    "\n\n".join
)


@settings(max_examples=150, deadline=None)
@given(body=markdown, chunk_chars=st.integers(min_value=100, max_value=600))
def test_passages_cover_the_text_in_order_and_respect_the_limit(body: str, chunk_chars: int) -> None:
    kb = KnowledgeBase([Article(id="p", title="P", body=body)], chunk_chars=chunk_chars)
    passages = kb.passages
    joined = "".join(p.text for p in passages)
    assert squash(joined) == squash(body)
    # A trailing heading with nothing under it may stretch the last passage a little.
    assert all(len(p.text) <= chunk_chars for p in passages[:-1])
    assert [p.id for p in passages] == [f"p#{n}" for n in range(len(passages))]
