"""The knowledge base: articles in, ranked passages out."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from replyassist._errors import (
    ArticleLoadError,
    ConfigurationError,
    InvalidInputError,
    KnowledgeBaseError,
    MissingDependencyError,
)
from replyassist.knowledge._analysis import language_of
from replyassist.knowledge._foreign import RetrieverKnowledgeSource
from replyassist.knowledge._search import search_store
from replyassist.knowledge._store import Store
from replyassist.models import Article, Passage, SearchHit

if TYPE_CHECKING:
    from langchain_core.retrievers import BaseRetriever

__all__ = ["KnowledgeBase"]

_MIN_CHUNK = 100


class KnowledgeBase:
    """Help-center articles, cut into passages and indexed for fast BM25 search.

    Args:
        articles: articles to index now (more can be added with :meth:`add`).
        chunk_chars: the longest passage, in characters; articles are cut at headings,
            paragraphs and sentences to stay under it.
        default_language: the language (ISO 639-1) whose stemmer and stopwords are used
            for articles without a ``locale``; ``None`` leaves them unstemmed.

    Raises:
        ConfigurationError: ``chunk_chars`` below 100.

    Attributes:
        load_errors: the files :meth:`from_directory` could not load, with the reason.

    Example::

        kb = KnowledgeBase.from_directory("help-center/")
        for hit in kb.search("how do I get a refund?", k=3):
            print(hit.passage.title, hit.score, hit.coverage)
    """

    def __init__(
        self,
        articles: Iterable[Article] = (),
        *,
        chunk_chars: int = 800,
        default_language: str | None = None,
    ) -> None:
        if not isinstance(chunk_chars, int) or chunk_chars < _MIN_CHUNK:
            raise ConfigurationError(
                f"chunk_chars must be an integer of at least {_MIN_CHUNK}, got {chunk_chars!r}"
            )
        self._chunk_chars = chunk_chars
        self._default_language = language_of(default_language)
        self._store = Store.empty()
        self._lock = threading.Lock()
        self.load_errors: list[ArticleLoadError] = []
        self.add(articles)

    # -- contents ---------------------------------------------------------------------------

    @property
    def chunk_chars(self) -> int:
        """The longest passage, in characters."""
        return self._chunk_chars

    @property
    def default_language(self) -> str | None:
        """The language used to analyse articles that have no locale."""
        return self._default_language

    def __len__(self) -> int:
        """The number of passages."""
        return len(self._store)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._store.articles

    def __repr__(self) -> str:
        store = self._store
        return f"KnowledgeBase({len(store.articles)} articles, {len(store)} passages)"

    @property
    def articles(self) -> list[Article]:
        """The articles, in the order they were (last) added."""
        return list(self._store.articles.values())

    def get_article(self, article_id: str) -> Article | None:
        """The article with this id, or ``None``."""
        return self._store.articles.get(str(article_id))

    @property
    def passages(self) -> list[Passage]:
        """All passages, article by article."""
        store = self._store
        return [store.passage(i) for i in range(len(store))]

    def add(self, articles: Iterable[Article | Mapping[str, Any]] | Article) -> None:
        """Index articles; an article whose id is already there replaces the old one.

        Args:
            articles: ``Article`` objects (or mappings with the same fields).

        Raises:
            InvalidInputError: an item is not an article, or a mapping is not a valid one
                (nothing is added then).
        """
        if isinstance(articles, Article | Mapping):
            articles = [articles]
        if isinstance(articles, str | bytes) or not isinstance(articles, Iterable):
            raise InvalidInputError(f"expected articles, got {type(articles).__name__}")
        batch: dict[str, Article] = {}
        for item in articles:
            article = _validate(item)
            batch[article.id] = article  # the last of two with one id wins, as in a re-sync
        if not batch:
            return
        with self._lock:
            self._store = self._store.updated(
                list(batch.values()), set(), self._chunk_chars, self._default_language
            )

    def remove(self, ids: Iterable[str] | str) -> int:
        """Drop articles (and their passages) by id; unknown ids are ignored.

        Returns:
            How many articles were removed.
        """
        wanted = {ids} if isinstance(ids, str) else {str(i) for i in ids}
        with self._lock:
            present = wanted & self._store.articles.keys()
            if present:
                self._store = self._store.updated([], present, self._chunk_chars, self._default_language)
        return len(present)

    # -- search -----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        language: str | None = None,
        locale: str | None = None,
        labels: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """The passages that best match a query, best first.

        Args:
            query: the customer's question, in any language.
            k: how many passages at most.
            language: the query's language (ISO 639-1 or a locale), for stemming and
                stopwords; ``None`` uses ``locale``'s language, else matches each word in
                whichever of the KB's languages knows it. A word the index does not know in
                the query language's form is tried in the KB's other languages' forms.
            locale: prefer passages in this locale's language (their score is multiplied by
                1.3); passages in other languages still come back when they match better.
            labels: keep only passages of articles carrying at least one of these labels
                (case-insensitive); ``None`` or empty: no filter.

        Returns:
            Up to ``k`` hits, at most two per article; ``[]`` when no passage shares a term
            with the query. ``coverage`` is the IDF-weighted share of the query's distinct
            terms found in the passage (title included); a word no article uses counts with
            the highest IDF, except numbers (order numbers, amounts), which no article holds.

        Raises:
            ConfigurationError: ``query`` is not a string or ``k`` is below 1.
        """
        if not isinstance(query, str):
            raise ConfigurationError(f"query must be a string, got {type(query).__name__}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigurationError(f"k must be a positive integer, got {k!r}")
        return search_store(self._store, query, k, language=language, locale=locale, labels=labels)

    async def asearch(
        self,
        query: str,
        k: int = 5,
        *,
        language: str | None = None,
        locale: str | None = None,
        labels: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """:meth:`search` for async code (it takes well under a millisecond, so it runs inline)."""
        return self.search(query, k, language=language, locale=locale, labels=labels)

    # -- files and bridges ------------------------------------------------------------------

    @classmethod
    def from_directory(
        cls,
        path: str | os.PathLike[str],
        *,
        progress: Callable[[int, int], None] | None = None,
        chunk_chars: int = 800,
        default_language: str | None = None,
    ) -> KnowledgeBase:
        """Load every article file under a folder (recursively).

        Markdown (``.md``, ``.markdown``; optional ``---`` front matter with ``id``, ``title``,
        ``url``, ``locale``, ``labels``, ``updated_at``), HTML (``.html``, ``.htm``), text
        (``.txt``: the first line is the title), JSON (an article, a list of them, or
        ``{"articles": [...]}``) and JSON Lines (``.jsonl``: one article per line).

        A file that cannot be loaded does not stop the others: it is logged at WARNING and
        recorded in :attr:`load_errors`.

        Args:
            path: a folder, or a single article file.
            progress: called as ``progress(files_done, files_total)`` after each file.
            chunk_chars: as for the constructor.
            default_language: as for the constructor.

        Raises:
            KnowledgeBaseError: the path does not exist, or no article could be loaded from it.
        """
        from replyassist.knowledge._loaders import load_directory

        articles, errors = load_directory(path, progress=progress)
        if not articles:
            detail = f"; {len(errors)} file(s) failed, first: {errors[0]}" if errors else ""
            raise KnowledgeBaseError(f"no article could be loaded from {os.fspath(path)}{detail}")
        kb = cls(articles, chunk_chars=chunk_chars, default_language=default_language)
        kb.load_errors = errors
        return kb

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the knowledge base, index included, to a folder (replaced if it holds one).

        Raises:
            KnowledgeBaseError: the folder cannot be written, or holds something else.
        """
        from replyassist.knowledge._persist import save_store

        save_store(self._store, path, chunk_chars=self._chunk_chars, default_language=self._default_language)

    @staticmethod
    def is_saved(path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is a folder written by :meth:`save` (it may still be corrupt)."""
        from replyassist.knowledge._persist import is_saved

        return is_saved(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KnowledgeBase:
        """Read a knowledge base written by :meth:`save` (no re-indexing: fast).

        Raises:
            KnowledgeBaseError: the folder is missing, corrupt or from another format version.
        """
        from replyassist.knowledge._persist import load_store

        store, chunk_chars, default_language = load_store(path)
        kb = cls(chunk_chars=chunk_chars, default_language=default_language)
        kb._store = store
        return kb

    def as_retriever(
        self,
        k: int = 5,
        language: str | None = None,
        *,
        locale: str | None = None,
        labels: Sequence[str] | None = None,
    ) -> BaseRetriever:
        """This knowledge base as a LangChain retriever (needs ``langchain-core``).

        The documents carry ``article_id``, ``passage_id``, ``title``, ``url``, ``locale``,
        ``labels``, ``score`` and ``coverage`` in their metadata.

        Args:
            k: passages per query.
            language: the query language, as for :meth:`search`.
            locale: the locale whose passages are preferred, as for :meth:`search`.
            labels: the label filter, as for :meth:`search`.

        Raises:
            MissingDependencyError: ``langchain-core`` is not installed.
            ConfigurationError: ``k`` is below 1.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigurationError(f"k must be a positive integer, got {k!r}")
        try:
            from replyassist.knowledge._langchain import KnowledgeBaseRetriever
        except ImportError as exc:
            if (exc.name or "").split(".")[0] != "langchain_core":
                raise
            raise MissingDependencyError(
                package="langchain-core", extra="langchain", feature="KnowledgeBase.as_retriever()"
            ) from exc
        return KnowledgeBaseRetriever(
            kb=self, k=k, language=language, locale=locale, labels=list(labels) if labels else None
        )

    @staticmethod
    def from_retriever(retriever: Any, *, k: int = 5) -> RetrieverKnowledgeSource:
        """Wrap any LangChain retriever as a knowledge source: ``RetrieverKnowledgeSource(retriever, k=k)``."""
        return RetrieverKnowledgeSource(retriever, k=k)


def _validate(item: object) -> Article:
    if isinstance(item, Article):
        return item
    if not isinstance(item, Mapping):
        raise InvalidInputError(f"expected an Article or a mapping of its fields, got {type(item).__name__}")
    try:
        return Article.model_validate(dict(item))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "article"
        raise InvalidInputError(f"not a valid article ({where}: {first['msg']})") from exc
