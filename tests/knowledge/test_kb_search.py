"""Searching: ranking, filters, locale preference, coverage, and changing the KB."""

from __future__ import annotations

import asyncio
import threading

import pytest

from replyassist._errors import ConfigurationError, InvalidInputError
from replyassist.knowledge import KnowledgeBase, KnowledgeSource
from replyassist.models import Article, SearchHit


def ids(hits: list[SearchHit]) -> list[str]:
    return [h.passage.article_id for h in hits]


def test_best_article_comes_first(help_kb: KnowledgeBase) -> None:
    assert ids(help_kb.search("how long until my card refund shows up?"))[0] == "refunds"
    assert ids(help_kb.search("I forgot my password"))[0] == "password"
    assert ids(help_kb.search("express delivery next day"))[0] == "shipping"


def test_scores_are_sorted_and_k_is_respected(help_kb: KnowledgeBase) -> None:
    hits = help_kb.search("business days", k=3)
    assert 1 <= len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(help_kb.search("business days", k=1)) == 1


def test_at_most_two_passages_per_article() -> None:
    body = "\n\n".join(f"## Part {i}\n\nThe warranty covers part {i} for two years." * 3 for i in range(8))
    kb = KnowledgeBase(
        [
            Article(id="warranty", title="Warranty", body=body),
            Article(id="other", title="Other", body="A warranty card comes in the box."),
        ],
        chunk_chars=150,
    )
    assert len([p for p in kb.passages if p.article_id == "warranty"]) > 2
    hits = kb.search("warranty", k=5)
    assert ids(hits).count("warranty") == 2
    assert "other" in ids(hits)


def test_queries_with_nothing_to_match_return_nothing(help_kb: KnowledgeBase) -> None:
    assert help_kb.search("") == []
    assert help_kb.search("   ") == []
    assert help_kb.search("?!... :-)") == []
    assert help_kb.search("how do I") == []  # only stopwords
    assert help_kb.search("zyxwv qwrtp") == []  # no word the KB knows
    assert KnowledgeBase().search("refund") == []


def test_bad_arguments_are_configuration_errors(help_kb: KnowledgeBase) -> None:
    with pytest.raises(ConfigurationError):
        help_kb.search(b"refund")  # type: ignore[arg-type]
    for k in (0, -1, True, 2.5):
        with pytest.raises(ConfigurationError):
            help_kb.search("refund", k=k)  # type: ignore[arg-type]


def test_labels_filter(help_kb: KnowledgeBase) -> None:
    hits = help_kb.search("business days", k=10, labels=["delivery"])
    assert hits and set(ids(hits)) <= {"shipping", "envios"}
    # Case does not matter, and any one of the labels is enough.
    hits = help_kb.search("business days refund", k=10, labels=["returns", "DELIVERY"])
    assert set(ids(hits)) <= {"refunds", "shipping", "envios"} and "refunds" in ids(hits)
    assert help_kb.search("business days", labels=["no-such-label"]) == []
    assert help_kb.search("business days", labels=[]) == help_kb.search("business days")


def test_locale_prefers_its_language_without_hiding_others() -> None:
    # Chinese and Japanese share these characters, and neither is stemmed: equal scores.
    articles = [
        Article(id="zh", title="退款", body="退款手续需要五天。", locale="zh-CN"),
        Article(id="ja", title="退款", body="退款手续需要五天。", locale="ja"),
        Article(id="only-en", title="Warranty", body="The warranty lasts two years.", locale="en"),
    ]
    kb = KnowledgeBase(articles)
    plain = kb.search("退款手续", k=2)
    assert plain[0].score == pytest.approx(plain[1].score)
    preferred = kb.search("退款手续", k=2, locale="ja-JP")
    assert ids(preferred) == ["ja", "zh"]
    assert preferred[0].score == pytest.approx(1.3 * preferred[1].score, rel=1e-4)
    assert ids(kb.search("退款手续", k=2, locale="zh-TW")) == ["zh", "ja"]
    # No passage in that language: the others still answer.
    assert ids(kb.search("warranty", locale="es")) == ["only-en"]
    assert ids(kb.search("warranty", locale="fr")) == ["only-en"]


def test_coverage_tells_answered_from_unanswered(help_kb: KnowledgeBase) -> None:
    [top, *_] = help_kb.search("reset password link expires")
    assert top.passage.article_id == "password"
    assert top.coverage == pytest.approx(1.0)
    # Shares one word ("card") with the KB, but the KB knows nothing of the rest.
    unrelated = help_kb.search("cryptocurrency wallet staking card")
    assert unrelated and max(h.coverage for h in unrelated) < 0.3
    partial = help_kb.search("gift cards mortgage")
    assert 0.3 < partial[0].coverage < 1.0


def test_coverage_ignores_numbers_the_kb_cannot_know(help_kb: KnowledgeBase) -> None:
    with_number = help_kb.search("refund for order 88231")
    without = help_kb.search("refund for order")
    assert with_number[0].coverage == pytest.approx(without[0].coverage)


def test_title_words_count(help_kb: KnowledgeBase) -> None:
    # "Loyalty" is only in a title.
    kb = KnowledgeBase(
        [
            Article(id="t", title="Loyalty programme", body="Earn points on every purchase."),
            Article(id="u", title="Points", body="Nothing about the programme here."),
        ]
    )
    assert ids(kb.search("loyalty"))[0] == "t"


def test_a_title_outweighs_a_mention_in_passing() -> None:
    # The article about exchanges is longer; the shorter one only names exchanges once in its text.
    # A title says what the whole article is about, so it weighs more than a word in passing.
    kb = KnowledgeBase(
        [
            Article(
                id="exchanges",
                title="Exchanges",
                locale="en",
                body="Swap an item for a different size or colour within 30 days of delivery. Start from "
                "your orders page, pick the new size, and we send it as soon as the first one is back with us.",
            ),
            Article(
                id="shipping",
                title="Shipping times",
                locale="en",
                body="Standard delivery takes 3 to 5 business days. Exchanges ship free.",
            ),
        ]
    )
    assert ids(kb.search("exchanges", language="en")) == ["exchanges", "shipping"]


def test_upsert_replaces_passages_and_remove_drops_them() -> None:
    kb = KnowledgeBase(
        [
            Article(id="a", title="Old title", body="Pineapples are shipped frozen."),
            Article(id="b", title="Other", body="Mangoes ship fresh."),
        ]
    )
    assert len(kb) == 2
    kb.add(
        [Article(id="a", title="New title", body="Kiwis ship chilled.\n\n## More\n\n" + "Kiwi facts. " * 80)]
    )
    assert kb.search("pineapples") == []
    assert ids(kb.search("kiwis"))[0] == "a"
    article = kb.get_article("a")
    assert article is not None and article.title == "New title"
    assert len(kb) == 1 + len([p for p in kb.passages if p.article_id == "a"]) > 2
    assert kb.remove(["a", "missing"]) == 1
    assert kb.search("kiwis") == [] and kb.get_article("a") is None
    assert len(kb) == 1 and ids(kb.search("mangoes")) == ["b"]
    assert kb.remove("b") == 1 and len(kb) == 0 and kb.search("mangoes") == []


def test_add_accepts_mappings_and_rejects_invalid_ones() -> None:
    kb = KnowledgeBase()
    kb.add({"id": 5, "title": "Five", "body": "Fifth article."})
    assert kb.get_article("5") is not None
    with pytest.raises(InvalidInputError, match="title"):
        kb.add([{"id": "ok", "title": "Fine", "body": "Fine."}, {"id": "x", "body": "no title"}])
    assert "ok" not in kb  # all or nothing
    for bad in ("just a string", None, [42]):
        with pytest.raises(InvalidInputError):
            kb.add(bad)  # type: ignore[arg-type]


def test_asearch_matches_search_and_kb_is_a_knowledge_source(help_kb: KnowledgeBase) -> None:
    assert isinstance(help_kb, KnowledgeSource)
    sync = help_kb.search("refund card", locale="es")
    assert asyncio.run(help_kb.asearch("refund card", locale="es")) == sync


def test_search_while_another_thread_updates() -> None:
    kb = KnowledgeBase(
        [Article(id=f"a{i}", title=f"Topic {i}", body=f"Parcel number {i} is late.") for i in range(50)]
    )
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher() -> None:
        while not stop.is_set():
            try:
                hits = kb.search("late parcel", k=5)
                assert len(hits) == 5 and all("late" in h.passage.text for h in hits)
            except BaseException as exc:
                errors.append(exc)
                return

    thread = threading.Thread(target=searcher)
    thread.start()
    try:
        for round_ in range(30):
            kb.add([Article(id=f"n{round_}", title="New", body="Another late parcel.")])
            kb.remove([f"a{round_}"])
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(kb) == 50
