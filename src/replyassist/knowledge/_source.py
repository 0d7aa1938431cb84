"""The interface the drafting pipeline needs from a knowledge base."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from replyassist.models import SearchHit

__all__ = ["KnowledgeSource"]


@runtime_checkable
class KnowledgeSource(Protocol):
    """Anything that finds passages for a question: a :class:`KnowledgeBase`, a wrapped
    LangChain retriever, or your own search.

    ``SearchHit.coverage`` must be comparable across queries (0: nothing of the question is
    in the passage, 1: all of it), since the drafter uses it to decide whether the knowledge
    base answers the question at all.
    """

    def search(
        self, query: str, k: int = 5, *, language: str | None = None, locale: str | None = None
    ) -> list[SearchHit]:
        """The best passages for ``query``, best first (at most ``k``)."""
        ...

    async def asearch(
        self, query: str, k: int = 5, *, language: str | None = None, locale: str | None = None
    ) -> list[SearchHit]:
        """:meth:`search` for async code."""
        ...
