"""The LangChain bridge, both ways, with real ``langchain_core`` retrievers."""

from __future__ import annotations

import asyncio
import sys
import warnings

import pytest
from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from replyassist._errors import ConfigurationError, KnowledgeBaseError, MissingDependencyError
from replyassist.knowledge import KnowledgeBase, KnowledgeSource, RetrieverKnowledgeSource


class KeywordRetriever(BaseRetriever):
    """Ranks documents by how many query words (lower-cased) they contain."""

    docs: list[Document]
    k: int = 4
    async_calls: int = 0

    def _rank(self, query: str) -> list[Document]:
        words = set(query.lower().split())
        scored = [(len(words & set(d.page_content.lower().split())), i, d) for i, d in enumerate(self.docs)]
        return [d for n, _, d in sorted(scored, key=lambda x: (-x[0], x[1])) if n > 0][: self.k]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self._rank(query)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        self.async_calls += 1
        return self._rank(query)


class BrokenRetriever(BaseRetriever):
    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        raise TimeoutError("vector store did not answer")


DOCS = [
    Document(
        page_content="refunds reach your card in ten days",
        metadata={
            "article_id": "refunds",
            "title": "Refunds",
            "url": "https://help.example/refunds",
            "locale": "en",
            "labels": ["billing"],
        },
    ),
    Document(page_content="refunds for gift cards go to store credit", metadata={"article_id": "refunds"}),
    Document(page_content="a third refunds passage about cards", metadata={"article_id": "refunds"}),
    Document(
        page_content="los refunds llegan a tu card en diez días",
        metadata={"source": "https://help.example/es/reembolsos", "language": "es", "tags": "billing, es"},
    ),
    Document(page_content="Shipping is free over fifty dollars\nand takes three days"),
]


def test_as_retriever_returns_documents_with_metadata(help_kb: KnowledgeBase) -> None:
    retriever = help_kb.as_retriever(k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("card refund business days")
    assert 1 <= len(docs) <= 3
    first = docs[0]
    hit = help_kb.search("card refund business days", k=3)[0]
    assert first.page_content == hit.passage.text
    assert first.metadata["passage_id"] == hit.passage.id
    assert first.metadata["article_id"] == "refunds"
    assert first.metadata["title"] == "Refunds"
    assert first.metadata["url"] == "https://help.example/refunds"
    assert first.metadata["locale"] == "en"
    assert first.metadata["score"] == pytest.approx(hit.score)
    assert first.metadata["coverage"] == pytest.approx(hit.coverage)
    async_docs = asyncio.run(retriever.ainvoke("card refund business days"))
    assert [d.metadata["passage_id"] for d in async_docs] == [d.metadata["passage_id"] for d in docs]


def test_as_retriever_passes_language_locale_and_labels(help_kb: KnowledgeBase) -> None:
    docs = help_kb.as_retriever(k=5, locale="es", labels=["delivery"]).invoke("días hábiles")
    assert docs and {d.metadata["article_id"] for d in docs} <= {"envios", "shipping"}
    assert docs[0].metadata["article_id"] == "envios"
    with pytest.raises(ConfigurationError):
        help_kb.as_retriever(k=0)


def test_wrapped_retriever_is_a_knowledge_source() -> None:
    source = RetrieverKnowledgeSource(KeywordRetriever(docs=DOCS))
    assert isinstance(source, KnowledgeSource)
    assert isinstance(KnowledgeBase.from_retriever(KeywordRetriever(docs=DOCS)), RetrieverKnowledgeSource)


def test_documents_become_passages_with_missing_metadata_filled() -> None:
    source = RetrieverKnowledgeSource(KeywordRetriever(docs=DOCS, k=10))
    hits = source.search("refunds card", k=10)
    by_text = {h.passage.text: h.passage for h in hits}
    full = by_text[DOCS[0].page_content]
    assert (full.id, full.article_id, full.title, full.url, full.locale, full.labels) == (
        "refunds#0",
        "refunds",
        "Refunds",
        "https://help.example/refunds",
        "en",
        ["billing"],
    )
    spanish = by_text[DOCS[3].page_content]
    assert spanish.article_id == "https://help.example/es/reembolsos"
    assert spanish.url == "https://help.example/es/reembolsos"
    assert spanish.locale == "es" and spanish.labels == ["billing", "es"]
    assert spanish.title == DOCS[3].page_content  # no title: the first line
    # At most two passages of one article, as with a KnowledgeBase.
    assert [h.passage.article_id for h in hits].count("refunds") == 2
    bare = source.search("shipping free", k=1)[0].passage
    assert bare.title == "Shipping is free over fifty dollars"
    assert bare.article_id.startswith("doc-") and bare.id == f"{bare.article_id}#0"


def test_foreign_coverage_is_term_overlap() -> None:
    source = RetrieverKnowledgeSource(KeywordRetriever(docs=DOCS, k=10))
    [hit] = source.search("shipping free three days", k=1, language="en")
    assert hit.coverage == pytest.approx(1.0)
    # The keyword retriever matched on "fifty" alone; most of the question is not there.
    [weak] = source.search("fifty ways to leave your lover", k=1, language="en")
    assert weak.coverage < 0.5
    ranked = source.search("refunds card", k=3)
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)


def test_foreign_locale_preference() -> None:
    source = RetrieverKnowledgeSource(KeywordRetriever(docs=DOCS, k=10))
    plain = source.search("refunds card", k=3)
    preferred = source.search("refunds card", k=3, locale="es-ES")
    assert plain[0].passage.locale != "es"
    assert preferred[0].passage.locale == "es"


def test_asearch_uses_ainvoke() -> None:
    retriever = KeywordRetriever(docs=DOCS)
    source = RetrieverKnowledgeSource(retriever)
    hits = asyncio.run(source.asearch("shipping free"))
    assert retriever.async_calls == 1
    assert [h.passage.text for h in hits] == [h.passage.text for h in source.search("shipping free")]


def test_retriever_failure_is_a_knowledge_base_error() -> None:
    source = RetrieverKnowledgeSource(BrokenRetriever())
    with pytest.raises(KnowledgeBaseError, match="did not answer") as info:
        source.search("anything")
    assert isinstance(info.value.__cause__, TimeoutError)
    with pytest.raises(KnowledgeBaseError):
        asyncio.run(source.asearch("anything"))


def test_not_a_retriever_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="retriever"):
        RetrieverKnowledgeSource(object())


def test_round_trip_through_langchain_matches_the_kb(help_kb: KnowledgeBase) -> None:
    source = RetrieverKnowledgeSource(help_kb.as_retriever(k=5))
    for query in ("card refund business days", "password email link", "entrega estándar"):
        direct = help_kb.search(query)
        bridged = source.search(query)
        assert [(h.passage, h.coverage) for h in bridged] == [(h.passage, h.coverage) for h in direct]


def test_wraps_langchain_community_bm25_retriever() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.retrievers import BM25Retriever

    retriever = BM25Retriever.from_documents(DOCS, k=2)
    hits = KnowledgeBase.from_retriever(retriever).search("Shipping free")
    assert hits[0].passage.text.startswith("Shipping is free")
    assert hits[0].coverage == pytest.approx(1.0)


def test_missing_langchain_core_names_the_extra(
    help_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hide langchain_core (and our module importing it) as if it were not installed.
    for name in list(sys.modules):
        if name == "langchain_core" or name.startswith("langchain_core.") or name.endswith("._langchain"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "langchain_core", None)
    with pytest.raises(MissingDependencyError) as info:
        help_kb.as_retriever()
    assert info.value.package == "langchain-core" and info.value.extra == "langchain"
    assert "replyassist[langchain]" in str(info.value)
