"""A knowledge base as a LangChain retriever.

This module imports ``langchain_core`` at the top: it is imported only when a retriever is
asked for, so the rest of the library works without LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from replyassist.models import SearchHit

if TYPE_CHECKING:
    from replyassist.knowledge._kb import KnowledgeBase

__all__ = ["KnowledgeBaseRetriever", "hit_to_document"]


def hit_to_document(hit: SearchHit) -> Document:
    """A search hit as a LangChain document (the passage text, and where it comes from)."""
    passage = hit.passage
    return Document(
        page_content=passage.text,
        id=passage.id,
        metadata={
            "article_id": passage.article_id,
            "passage_id": passage.id,
            "title": passage.title,
            "url": passage.url,
            "locale": passage.locale,
            "labels": list(passage.labels),
            "score": hit.score,
            "coverage": hit.coverage,
        },
    )


class KnowledgeBaseRetriever(BaseRetriever):
    """LangChain retriever over a :class:`~replyassist.knowledge.KnowledgeBase`.

    Attributes:
        kb: the knowledge base searched.
        k: how many passages to return.
        language: the query language, as for ``KnowledgeBase.search``.
        locale: the locale whose passages are preferred.
        labels: only passages of articles with one of these labels.
    """

    kb: Any
    k: int = 5
    language: str | None = None
    locale: str | None = None
    labels: list[str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        kb: KnowledgeBase = self.kb
        hits = kb.search(query, self.k, language=self.language, locale=self.locale, labels=self.labels)
        return [hit_to_document(h) for h in hits]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        kb: KnowledgeBase = self.kb
        hits = await kb.asearch(query, self.k, language=self.language, locale=self.locale, labels=self.labels)
        return [hit_to_document(h) for h in hits]
