"""What a message is for: a question, only thanks, or spam."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from typing import NamedTuple

from replyassist.signals._banks import Match
from replyassist.signals._resources import load_lexicon, phrase_to_regex

__all__ = ["is_question", "is_spam", "is_thanks_only"]

_SENTENCES = re.compile(r"[^.!?¿¡。！？\n]+[.!?。！？]*")
_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE_OR_TAG = re.compile(r"[@#＠][\w.]+")
_SPACELESS = ("zh", "ja")
_ANYWHERE = ("vi", "id")
"""Languages whose question words may stand anywhere in the sentence, not only first."""


@cache
def _question_patterns(
    language: str,
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, tuple[str, ...]]:
    """(sentence-start pattern, sentence-end pattern, words anywhere) for ``language`` (+ English)."""
    data = load_lexicon("cues")
    anywhere = tuple(data["question_anywhere"].get(language, ()))
    starts = list(data["question_start"]["en"])
    if language != "en":
        starts += data["question_start"].get(language, [])
    ends = data["question_end"].get(language, [])
    start = re.compile("|".join(f"(?:{phrase_to_regex(p.lower())})" for p in starts)) if starts else None
    if ends:
        # the particle closes the sentence: only punctuation, emoji or spaces may follow
        body = "|".join(re.escape(e) for e in sorted(ends, key=len, reverse=True))
        boundary = "" if language in _SPACELESS else r"(?<![^\W\d_])"
        end = re.compile(
            rf"{boundary}(?:{body})[^\w]*$" if language in _SPACELESS else rf"(?<!\w)(?:{body})\W*$"
        )
    else:
        end = None
    return start, end, anywhere


def is_question(text: str, language: str) -> bool:
    """A question mark, a sentence opening with a question word, or a closing question particle."""
    text = _URL.sub(" ", text)  # "?" inside links is not a question
    if "?" in text or "？" in text or "¿" in text:
        return True
    start, end, anywhere = _question_patterns(language)
    if any(word in text for word in anywhere):
        return True
    lowered = _HANDLE_OR_TAG.sub(" ", text.lower().replace("’", "'"))
    for sentence in _SENTENCES.findall(lowered):
        sentence = sentence.strip(" ,;:-—\t\"'“”")
        if not sentence:
            continue
        if start is not None:
            hit = start.search(sentence) if language in _ANYWHERE else start.match(sentence)
            # "what a joke" and "how nice" are exclamations, not questions
            if hit and not re.match(
                r"(?:what an?|how (?:nice|great|lovely|rude|sad|funny|kind))\b", sentence
            ):
                return True
        if end is not None and end.search(sentence):
            return True
    return False


class _Thanks(NamedTuple):
    words: frozenset[str]
    filler: frozenset[str]
    spaceless: tuple[str, ...]
    """Chinese and Japanese thanks phrases, longest first."""
    spaceless_filler: tuple[str, ...]
    """Chinese and Japanese words that may stand beside them ("太好了", "届きました"), longest first."""
    contrast: frozenset[str]


@cache
def _thanks_vocabulary(language: str) -> _Thanks:
    """Thanks words and filler of ``language`` and English ("show" is praise in Portuguese only)."""
    data = load_lexicon("cues")
    languages = {"en", language}
    thanks = frozenset(w for lang, words in data["thanks"].items() if lang in languages for w in words)
    filler = frozenset(w for lang, words in data["thanks_filler"].items() if lang in languages for w in words)
    spaceless = tuple(sorted(data["thanks_phrases_zh_ja"], key=len, reverse=True))
    cjk_filler = data["thanks_filler"].get(language, []) if language in _SPACELESS else []
    spaceless_filler = tuple(sorted(cjk_filler, key=len, reverse=True))
    contrast = frozenset(w for w in data["contrast"] if " " not in w)
    return _Thanks(thanks, filler, spaceless, spaceless_filler, contrast)


_GRATEFUL_EMOJI = ("🙏", "👍", "❤", "😊", "🙂", "👌", "💯", "🥰", "😍", "👏", "🙌", "✅")
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SPACELESS_FILLER = re.compile(r"[\W\d_]|[了的啊呀哦嗯吧啦呢！。、ねよなです]")


def is_thanks_only(
    text: str,
    language: str,
    *,
    found: dict[str, list[Match]],
    sentiment: float,
    names: Collection[str] = (),
) -> bool:
    """The message only thanks, appreciates or closes ("ok great, solved!"); nothing left to answer.

    "thanks, but it still doesn't work" is not: a contrast word, a problem, a question or a
    negative tone each rule it out. Up to two other words (a name, "I am") are allowed.
    """
    if "?" in text or "？" in text or sentiment < -0.05:
        return False
    if found.get("problem"):
        return False
    vocabulary = _thanks_vocabulary(language)
    thanks, filler, contrast = vocabulary.words, vocabulary.filler, vocabulary.contrast
    text = _URL.sub(" ", _HANDLE_OR_TAG.sub(" ", text))
    lowered = text.lower().replace("’", "'")
    if language in _SPACELESS:
        rest = lowered
        hit = False
        for phrase in vocabulary.spaceless:
            if phrase in rest:
                hit = True
                rest = rest.replace(phrase, "")
        for word in vocabulary.spaceless_filler:  # only beside thanks: "帮助" alone is "help me"
            rest = rest.replace(word, "")
        rest = _SPACELESS_FILLER.sub("", rest)
        return hit and len(rest) <= 4
    words = _WORDS.findall(lowered)
    if any(w in contrast for w in words):
        return False
    grateful = any(e in text for e in _GRATEFUL_EMOJI)
    if not grateful and not any(w in thanks for w in words) and "terima kasih" not in lowered:
        return False
    ignored = {n.lower() for n in names}
    leftover = [w for w in words if w not in thanks and w not in filler and w not in ignored]
    return len(leftover) <= 2


def _repeated(text: str) -> bool:
    """The same sentence three times, or a handful of words over and over."""
    words = text.lower().split()
    if len(words) >= 8 and len(set(words)) <= len(words) * 0.4:
        return True
    counts: dict[str, int] = {}
    for sentence in _SENTENCES.findall(text.lower()):
        sentence = sentence.strip()
        if len(sentence) >= 10:
            counts[sentence] = counts.get(sentence, 0) + 1
            if counts[sentence] >= 3:
                return True
    return False


def is_spam(text: str, found: dict[str, list[Match]], *, problem: bool) -> bool:
    """Promotion, crypto bait, follow-back begging or copy-pasted repetition."""
    strong = {m.text for m in found.get("spam_strong", [])}
    weak = {m.text for m in found.get("spam_weak", [])}
    score = 2 * len(strong) + min(len(weak), 2)
    if _URL.search(text):
        score += 1
    if text.count("#") >= 5:
        score += 1
    if _repeated(text):
        score += 2
    # A customer describing a problem with a crypto wallet is not a spammer.
    if problem and not strong:
        return False
    return score >= 3
