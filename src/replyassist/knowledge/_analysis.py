"""Text to index terms, in many languages.

Every text goes through NFKC and case folding, then is cut into words. A word becomes a term
through the analyser of a language: its stopwords are dropped, the Snowball stemmer of the
language (if there is one) cuts it to a stem, and the result is folded to plain letters
("réembolso" and "reembolso" meet). Scripts written without spaces (Chinese, Japanese, Thai,
Lao, Khmer, Burmese; and Korean words) become character bigrams, whatever the language: a word cut there would
need a dictionary, bigrams need none and match about as well for retrieval.

Stemming is the slow part (tens of microseconds a word in pure Python), so each analyser
caches the term of every word it has seen.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import Any

from replyassist.knowledge._stopwords import raw_stopwords

__all__ = ["Analyzer", "analyzer", "cjk_terms", "fold", "language_of", "split_words"]

_SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_LANGUAGE_ALIASES = {
    **{name: code for code, name in _SNOWBALL.items()},
    "nb": "no",
    "nn": "no",
    "in": "id",
    "iw": "he",
    "ji": "yi",
    "chinese": "zh",
    "japanese": "ja",
    "vietnamese": "vi",
    "korean": "ko",
    "thai": "th",
    "bokmal": "no",
    "malay": "ms",
}

_KNOWN = frozenset(_SNOWBALL) | {"vi"}

_CJK_CLASS = (
    "\u3005\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002fa1f\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\uac00-\ud7a3"
)
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_CJK_START = re.compile(f"[{_CJK_CLASS}]")
# Letters and digits, with the combining marks that Indic, Hebrew and Arabic words carry inside
# them (Python's \w leaves marks out, which would cut those words apart).
_WORD = re.compile(
    "[\\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d"
    "\u20d0-\u20ff\ufe20-\ufe2f]+"
)
_SEGMENTS = re.compile(
    "([\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+)"  # Han
    "|([\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff]+)"  # Katakana
    "|([\u3040-\u309f]+)"  # Hiragana
    "|([\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\uac00-\ud7a3]+)"  # Thai, Lao, Burmese, Khmer, Hangul
)
# Chinese function characters that glue content words together; a bigram across one of them
# ("的订" in "我的订单") matches nothing useful, so Han runs are cut there.
# Korean has spaces, but particles stick to words ("환불을"): its words are cut into bigrams too.
_HAN_STOP = re.compile(
    "怎么|怎样|什么|为什么|如何|可以|请问|一下|[的了吗呢吧啊呀我你您他她它们是请把被很都也想]"
)
_COMBINING = re.compile("[\u0300-\u036f]+")
_SPECIAL = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ı": "i", "æ": "ae", "œ": "oe", "ß": "ss"})
_MAX_WORD = 40
_DIGIT = re.compile(r"\d")
_CACHE_LIMIT = 300_000


def language_of(code: str | None) -> str | None:
    """The ISO 639-1 language of a locale or language name: ``"pt-BR"`` → ``"pt"``.

    Args:
        code: a locale (``"es-MX"``, ``"zh_Hans"``), a language code or an English name.

    Returns:
        The lower-case primary subtag, or ``None`` for an empty value.
    """
    if not code:
        return None
    primary = re.split(r"[-_.@\s]", code.strip().lower(), maxsplit=1)[0]
    if not primary:
        return None
    return _LANGUAGE_ALIASES.get(primary, primary)


def fold(word: str) -> str:
    """Remove the accents of Latin-script letters (and a few letters with strokes)."""
    if word.isascii():
        return word
    word = word.translate(_SPECIAL)
    if word.isascii():
        return word
    stripped = _COMBINING.sub("", unicodedata.normalize("NFD", word))
    return unicodedata.normalize("NFC", stripped)


def _grams(segment: str) -> list[str]:
    if len(segment) < 2:
        return [segment]
    return [segment[i : i + 2] for i in range(len(segment) - 1)]


def cjk_terms(run: str) -> list[str]:
    """Terms of a run of characters written without spaces: bigrams, or the lone character.

    Japanese hiragana stretches (particles, verb endings) are dropped when the run also has
    kanji or katakana, which carry the content; a run of nothing but hiragana is kept.
    """
    out: list[str] = []
    segments = _SEGMENTS.findall(run)
    only_kana = len(segments) == 1 and bool(segments[0][2])
    for han, katakana, hiragana, other in segments:
        if han:
            for part in _HAN_STOP.split(han):
                if part:
                    out.extend(_grams(part))
        elif katakana or other:
            out.extend(_grams(katakana or other))
        elif only_kana:
            out.extend(_grams(hiragana))
    return out


def split_words(text: str) -> tuple[list[str], list[str]]:
    """Cut a text into normalised words and the terms of its space-less runs.

    Returns:
        ``(words, cjk)``: words NFKC-normalised and case-folded but not yet stemmed or folded,
        and the bigram terms of Chinese, Japanese, Thai and similar runs.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if _CJK_START.search(text) is None:
        return _WORD.findall(text), []
    words: list[str] = []
    cjk: list[str] = []
    for token in _WORD.findall(_CJK_RUN.sub(r" \g<0> ", text)):
        if token[0] > "\u0dff" and _CJK_START.match(token):
            cjk.extend(cjk_terms(token))
        else:
            words.append(token)
    return words, cjk


class Analyzer:
    """Turns text into terms for one language (``None``: no stemming, no stopwords).

    Attributes:
        language: the ISO 639-1 code, or ``None``.
        stems: whether a Snowball stemmer is used.
    """

    def __init__(self, language: str | None) -> None:
        self.language = language
        folded, self._stop_exact = raw_stopwords(language) if language else (frozenset(), frozenset())
        self._stop_folded = frozenset(fold(unicodedata.normalize("NFKC", w)) for w in folded)
        self._stop_exact = frozenset(unicodedata.normalize("NFKC", w) for w in self._stop_exact)
        self._stemmer: Any = None
        name = _SNOWBALL.get(language or "")
        if name is not None:
            import snowballstemmer

            self._stemmer = snowballstemmer.stemmer(name)
        self.stems = self._stemmer is not None
        self._cache: dict[str, str] = {}
        # Snowball stemmers keep their state on the object: one word at a time.
        self._lock = threading.Lock()

    def term(self, word: str) -> str:
        """The term of one normalised word (from :func:`split_words`); ``""`` if it is dropped."""
        term = self._cache.get(word)
        if term is None:
            term = self._compute(word)
        return term

    def is_stopword(self, word: str) -> bool:
        """Whether the word is a stopword of this language."""
        return word in self._stop_exact or fold(word) in self._stop_folded

    def terms(self, text: str) -> list[str]:
        """All terms of a text, in order, repeats kept (for indexing)."""
        words, out = split_words(text)
        get = self._cache.get
        compute = self._compute
        for word in words:
            term = get(word)
            if term is None:
                term = compute(word)
            if term:
                out.append(term)
        return out

    def _compute(self, word: str) -> str:
        term = ""
        core = word.strip("_")
        if (
            core
            and len(core) <= _MAX_WORD
            and not (len(core) == 1 and "a" <= core <= "z")
            and core not in self._stop_exact
        ):
            folded = fold(core)
            if _DIGIT.search(core):
                # Order numbers, SKUs, amounts: nothing to stem, and too many to cache.
                return folded
            if folded not in self._stop_folded:
                if self._stemmer is None:
                    term = folded
                else:
                    with self._lock:
                        term = fold(self._stemmer.stemWord(core))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = term
        return term


def analyzer(language: str | None) -> Analyzer:
    """The shared analyser of a language or locale (``None`` or an unknown code: fold only)."""
    code = language_of(language)
    return _analyzer(code if code in _KNOWN else None)


@cache
def _analyzer(language: str | None) -> Analyzer:
    return Analyzer(language)
