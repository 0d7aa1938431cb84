"""The offline composer: grounded, templated, multilingual replies with no language model."""

from __future__ import annotations

import threading
from pathlib import Path

from replyassist._errors import ConfigurationError
from replyassist._resources import prompts_dir
from replyassist.drafting.base import ComposeRequest, Composition
from replyassist.drafting.offline.extract import base_language
from replyassist.drafting.offline.phrasebook import Phrasebook, available_languages, load_phrasebook
from replyassist.drafting.offline.writer import Writer
from replyassist.models import DraftWarning

__all__ = ["OfflineComposer"]


class OfflineComposer:
    """Writes replies from phrase banks and knowledge-base passages, without a language model.

    It never states a fact that is not in ``request.answering_hits``: the answer is made of
    sentences extracted from those passages, and every other sentence comes from a phrase
    bank that contains no figures. Everything else — greeting, empathy, the next step, the
    sign-off, the shape — follows the request's signals, channel profile and policy.

    Args:
        phrasebook_dir: a folder of ``<language>.toml`` phrase banks whose keys replace the
            shipped wording (keys left out keep it). Defaults to ``$REPLYASSIST_PROMPTS_DIR/offline``
            when that variable is set, else the shipped banks.

    Example:
        >>> composer = OfflineComposer()
        >>> composition = composer.compose(request)  # doctest: +SKIP
    """

    name = "offline"

    def __init__(self, *, phrasebook_dir: Path | str | None = None) -> None:
        self._dir = Path(phrasebook_dir) if phrasebook_dir is not None else None
        if self._dir is not None and not self._dir.is_dir():
            raise ConfigurationError(f"phrasebook_dir {self._dir} is not a folder")
        self._books: dict[str, Phrasebook | None] = {}
        self._lock = threading.Lock()

    @property
    def phrasebook_dir(self) -> Path:
        """The folder whose phrase banks override the shipped ones."""
        return self._dir if self._dir is not None else prompts_dir() / "offline"

    @property
    def languages(self) -> list[str]:
        """The languages this composer writes (ISO 639-1 codes)."""
        return available_languages(self.phrasebook_dir)

    def phrasebook(self, language: str) -> Phrasebook | None:
        """The phrase bank of a language (loaded on first use, then cached), or ``None``.

        Raises:
            ConfigurationError: the bank is broken (bad TOML, wrong version, missing keys).
        """
        code = base_language(language)
        with self._lock:
            if code not in self._books:
                self._books[code] = load_phrasebook(code, self.phrasebook_dir) if code else None
            return self._books[code]

    def compose(self, request: ComposeRequest) -> Composition:
        """Write the reply for ``request`` (synchronous: it is pure CPU work of a few milliseconds)."""
        warnings: list[DraftWarning] = []
        book = self.phrasebook(request.language or "en")
        english = self.phrasebook("en")
        if english is None:
            raise ConfigurationError("the English phrase bank (en.toml) is missing; reinstall replyassist")
        if book is None:
            warnings.append(
                DraftWarning(
                    code="language_unsupported",
                    message=f"the offline composer has no phrase bank for {request.language!r}; "
                    f"the draft is in English (available: {', '.join(self.languages)})",
                )
            )
            book = english
        passage_books = {}
        for hit in [*request.answering_hits, *request.hits]:
            code = base_language(hit.passage.locale)
            if code and code not in passage_books and (bank := self.phrasebook(code)) is not None:
                passage_books[code] = bank
        passage_books.setdefault("en", english)
        passage_books.setdefault(book.language, book)
        return Writer(request, book, english, passage_books, warnings).write()

    async def acompose(self, request: ComposeRequest) -> Composition:
        """Write the reply for ``request``; the work is short and CPU-bound, so it runs inline."""
        return self.compose(request)

    def __repr__(self) -> str:
        return f"OfflineComposer(phrasebook_dir={self._dir!s})" if self._dir else "OfflineComposer()"
