"""Query understanding: what the customer asks, in words the KB uses, and whether a passage answers it.

Customers write long, chatty messages in many languages; help-center articles are short and mostly
in English. Searched as it is, a message finds the right article only when the two happen to share
words, and the share of the message an article covers says little about whether it answers. This
module reads the message through a support-domain concept glossary (``concepts.json``: about 150
concepts such as *refund*, *store pickup*, *someone else*, *promo code*, and also *jobs*, *rental*,
*banking* that a shop's KB rarely answers, each with surface forms in twelve languages):

* :func:`build_query` picks the part of the conversation that asks (question and request
  sentences), finds the concepts in it and in the story around it, and writes the text to search
  with: the customer's words plus the English canonical terms of the concepts found, so
  "Co robię źle?? kod jest nieprawidłowy" also searches for "code not valid" (in English, only
  specific concepts add terms). Sentences of a detected prompt-injection attack and @handles are
  left out: they say nothing about what the customer asks;
* :func:`answering_hits` keeps the retrieved passages that answer: enough of what the customer asks
  about must be what the passages are about, measured on concepts rather than on shared words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from replyassist.drafting._glossary import Reading, asks, glossary, languages_for, normalize, read, tokens
from replyassist.guardrails.injection import detect_injection
from replyassist.models import Role, SearchHit, Signals, Ticket

__all__ = ["SearchQuery", "answering_hits", "build_query", "find_concepts"]

_MAX_TEXT = 4000
_SHORT_MESSAGE = 120
"""A last message shorter than this continues the previous one (chat customers split a question)."""
_CONTEXT_WEIGHT = 0.5
"""A concept named outside the sentences that ask (the story around the question) counts half."""
_TOPIC_WEIGHT = 0.6
"""Concepts weighing less (order, card, email, price…) never make a passage an answer on their own."""
_EXPAND_MIN_WEIGHT = 0.4
"""Generic concepts add no search terms: nearly every article has them."""
_EXPAND_MIN_WEIGHT_EN = _TOPIC_WEIGHT
"""In English only specific concepts add terms: the customer's words already meet the articles, and the
terms of a broader one (*payment pay*, *card*) are its neighbours, not what was asked."""
_EXPAND_ASKED = 2
"""In a question not in English, the terms of a specific concept of the ask count twice."""
_MAIN_CONCEPTS = 3
"""A long message names many things; a reply must address its three weightiest concepts."""
_PASSING = 0.25
"""Credit for a concept a passage names only once in passing ("paid jobs at the Repair Workshop")."""
_RESIDUAL_WEIGHT = 0.2
"""A content word of the ask no concept explains, checked against passages in the ask's language."""
_RESIDUAL_CAP = 1.0
"""Together, unexplained words weigh at most as much as one concept."""
_RESIDUAL_MAX_WORDS = 15
"""In a longer ask the unexplained words are mostly the story around it, not what is asked."""
_JOINT_MARGIN = 0.5
"""A passage joins the answer when it covers at least this share of what the best one covers."""
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
_SENTENCE_END = re.compile(r"[。！？]+|[.!?]+[\"'”’»)\]]*(?=\s|$)|\n+")
"""Where a sentence ends: not at the full stop of '"… jailbroken.", without adding anything else'."""
_MENTION = re.compile(r"(?<![\w@])@\w+")
"""An @handle says who the message is addressed to (the brand, mostly), not what it asks."""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_QUESTION_MARKS = re.compile("[?？¿]")
_BLOCKS = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class SearchQuery:
    """What to search the KB for, and what the customer asks about.

    Attributes:
        text: the text to give to ``KnowledgeBase.search``: the customer's words (the ask counted
            twice when a story surrounds it; without @handles and the sentences of a detected
            injection attack), then the English canonical terms of the concepts found.
        core: the part of the conversation that asks: the question and request sentences of the last
            customer message that name something ("seriously??" does not; the whole message when
            none stands out), after the previous customer message when the last one is short.
        concepts: glossary concepts found, those of the core first, each once.
        weights: for each of ``concepts``, how much it counts when judging an answer.
        language: the language the message was read in (ISO 639-1); ``""`` when unknown.
        residual: content words of a short core that no concept explains (normalised).
    """

    text: str
    core: str
    concepts: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    language: str = ""
    residual: tuple[str, ...] = ()


def find_concepts(text: str, language: str | None = None) -> tuple[str, ...]:
    """The glossary concepts a text mentions, in order of appearance.

    Args:
        text: any text.
        language: its language (ISO 639-1); English forms are always tried too. ``None`` or a
            language the glossary lacks tries every language's forms.

    Returns:
        Concept ids such as ``"refund"`` or ``"store_pickup"``, each once.
    """
    return read(normalize(text), languages_for(language)).concepts


# -- the query ----------------------------------------------------------------------------------------


def build_query(ticket: Ticket, signals: Signals | None = None, *, expand: bool = True) -> SearchQuery:
    """What to search the KB for, for the customer's latest message.

    Args:
        ticket: the conversation (quoted history already stripped, as the pipeline does).
        signals: what ``analyze`` read from it; its ``language`` chooses the glossary forms tried
            (with English). ``None`` tries every language.
        expand: add the English canonical terms of the concepts found to the search text.

    Returns:
        The query; empty when the ticket has no customer text.
    """
    bodies = [m.body for m in ticket.messages if m.author is Role.CUSTOMER and m.body.strip()]
    texts = _recent(bodies)
    if not texts:
        return SearchQuery(text="", core="")
    language = signals.language if signals is not None else ""
    confidence = signals.language_confidence if signals is not None else 0.0
    languages = languages_for(language or None, confidence)
    last = texts[-1][-_MAX_TEXT:]
    previous = texts[-2][-600:].strip() if len(texts) > 1 else ""
    subject = _without_attack(ticket.subject).strip() if ticket.subject else ""
    if subject.lower() in last.lower():
        subject = ""
    sentences = [s.strip() for s in _SENTENCE.findall(last) if s.strip()] or [last.strip()]
    asking = [s for s in sentences if _asks(s, language or "en", languages)]
    core = " ".join(p for p in (previous, " ".join(asking) if asking else last.strip()) if p)
    story = " ".join(s for s in sentences if s not in asking) if asking else ""
    core_reading = read(normalize(core), languages)
    weights = _weigh(core_reading.concepts, read(normalize(f"{subject} {story}"), languages).concepts)
    residual = (
        _residual(core_reading, language)
        if language and len(core_reading.words) <= _RESIDUAL_MAX_WORDS
        else ()
    )
    # the ask counts twice when a story surrounds it
    body = "\n".join(p for p in (subject, previous, last, core if asking and story else "") if p)
    body = body[-_MAX_TEXT:]
    extra = _expansion(weights, set(tokens(normalize(body))), language) if expand else []
    return SearchQuery(
        text=f"{body}\n{' '.join(extra)}" if extra else body,
        core=core,
        concepts=tuple(weights),
        weights=tuple(weights.values()),
        language=language or "",
        residual=residual,
    )


def _recent(bodies: Sequence[str]) -> list[str]:
    """The customer messages to search, oldest first: the last one, and the one before when it is short.

    Messages are searched without @handles and without a detected attack (a message that is only an
    attack is passed over); each is scanned only when it is needed, scanning takes a millisecond or two.
    """
    texts: list[str] = []
    for body in reversed(bodies):
        text = _MENTION.sub(" ", _without_attack(body)).strip()
        if text:
            texts.insert(0, text)
            if len(texts) == 2 or len(text[-_MAX_TEXT:]) >= _SHORT_MESSAGE:
                break
    return texts


def _without_attack(text: str) -> str:
    """The text without the sentences of an injection attack, which say nothing of what the customer asks.

    As the detector reads it, the attack runs from the sentence of its first cue to the sentence of
    its last; searched with, its words (role play, rules, "print …") pull in whatever article shares
    them, and the customer's real question beside it goes unanswered.
    """
    report = detect_injection(text)
    if not report.is_attack or not report.spans:
        return text
    first = min(s.start for s in report.spans)
    last = max(s.end for s in report.spans)
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, first)), default=0)
    end = next((m.end() for m in _SENTENCE_END.finditer(text, last)), len(text))
    return f"{text[:start].rstrip()}\n{text[end:].lstrip()}".strip()


def _asks(sentence: str, language: str, languages: tuple[str, ...]) -> bool:
    """A question or a request; a question mark on a word that names nothing ("seriously??") is not."""
    if not asks(sentence, language):
        return False
    if _CJK.search(sentence) or asks(_QUESTION_MARKS.sub(" ", sentence), language):
        return True
    text = normalize(sentence)
    stop = glossary().stopwords
    words = [w for w in tokens(text) if w not in stop.get(language, ()) and w not in stop["en"]]
    return len(words) > 1 or bool(read(text, languages).concepts)


def _weigh(core: Sequence[str], context: Sequence[str]) -> dict[str, float]:
    weights = glossary().weights
    out = {concept: weights[concept] for concept in core}
    for concept in context:
        out.setdefault(concept, weights[concept] * _CONTEXT_WEIGHT)
    return out


def _residual(reading: Reading, language: str) -> tuple[str, ...]:
    gloss = glossary()
    stop = gloss.stopwords.get(language, frozenset()) | gloss.stopwords.get("en", frozenset())
    return tuple(
        dict.fromkeys(
            w
            for i, w in enumerate(reading.words)
            if i not in reading.explained and len(w) > 2 and w not in stop and not any(c.isdigit() for c in w)
        )
    )


def _expansion(weights: dict[str, float], seen: set[str], language: str) -> list[str]:
    gloss = glossary()
    extra: list[str] = []
    english = language in ("", "en")
    for concept, weight in weights.items():
        if gloss.weights[concept] < (_EXPAND_MIN_WEIGHT_EN if english else _EXPAND_MIN_WEIGHT):
            continue
        # in English the customer's own words already meet the articles; in another language the
        # canonical terms are the bridge, and must outweigh words that only match same-language articles
        times = _EXPAND_ASKED if weight >= _TOPIC_WEIGHT and not english else 1
        for term in gloss.terms[concept]:
            # a term the customer already wrote is not added again: it would only weigh more
            if term not in seen:
                seen.add(term)
                extra.extend([term] * times)
    return extra


# -- answers ------------------------------------------------------------------------------------------


class _Profile(NamedTuple):
    strong: frozenset[str]
    """Concepts a passage is about: in its title, a heading or a label, or named twice or more."""
    weak: frozenset[str]
    """Concepts it names once in passing."""
    stems: frozenset[str]


class _Judged(NamedTuple):
    hit: SearchHit
    credit: dict[str, float]
    """Per concept of the query the passage covers: 1 when it is about it, less in passing."""
    residual: frozenset[str] | None
    """Residual words the passage holds; ``None`` when it is in another language than the ask."""


def _is_heading(block: str) -> bool:
    line = block.strip().strip("#").strip()
    return (
        0 < len(line.split()) <= 10
        and "\n" not in line
        and not line.endswith((".", ":", ",", ";"))
        and not line.startswith(("-", "*", "|", ">"))
        and not line[:1].isdigit()
    )


def _stem(word: str) -> str:
    return word[:5]


@lru_cache(maxsize=8192)
def _profile(title: str, labels: tuple[str, ...], text: str, languages: tuple[str, ...]) -> _Profile:
    blocks = [b for b in _BLOCKS.split(text) if b.strip()]
    about = " ".join((title, *(b for b in blocks if _is_heading(b)), *(x.replace("-", " ") for x in labels)))
    body = "\n".join(b for b in blocks if not _is_heading(b))
    reading = read(normalize(body), languages)
    strong = frozenset(read(normalize(about), languages).concepts)
    strong |= frozenset(c for c, n in reading.counts.items() if n > 1)
    words = tokens(normalize(f"{about} {body}"))
    return _Profile(strong, frozenset(reading.concepts) - strong, frozenset(_stem(w) for w in words))


def _judge(query: SearchQuery, hit: SearchHit) -> _Judged:
    passage = hit.passage
    locale = (passage.locale or "").split("-")[0].split("_")[0].lower()
    # a passage without a locale is read as English or as the customer's language
    profile = _profile(
        passage.title, tuple(passage.labels), passage.text, languages_for(locale or query.language or "en")
    )
    credit: dict[str, float] = {}
    for concept in query.concepts:
        if concept in profile.strong:
            credit[concept] = 1.0
        elif concept in profile.weak:
            credit[concept] = _PASSING
    residual = None
    if query.residual and locale and locale == query.language:
        residual = frozenset(w for w in query.residual if _stem(w) in profile.stems)
    return _Judged(hit, credit, residual)


def _score(query: SearchQuery, credit: dict[str, float], residual: frozenset[str] | None) -> float:
    """The share of the ask covered: its weightiest concepts, plus its unexplained words if checked."""
    main = sorted(zip(query.concepts, query.weights, strict=True), key=lambda cw: -cw[1])[:_MAIN_CONCEPTS]
    total = sum(w for _, w in main)
    got = sum(w * credit.get(c, 0.0) for c, w in main)
    if residual is not None and query.residual:
        share = min(_RESIDUAL_WEIGHT * len(query.residual), _RESIDUAL_CAP)
        total += share
        got += share * len(residual) / len(query.residual)
    return got / total if total else 0.0


def _on_topic(judged: _Judged) -> bool:
    """The passage is about a specific topic of the ask, not only about words such as *order*."""
    weights = glossary().weights
    return any(credit == 1.0 and weights[c] >= _TOPIC_WEIGHT for c, credit in judged.credit.items())


def _union(judged: Iterable[_Judged]) -> tuple[dict[str, float], frozenset[str] | None]:
    credit: dict[str, float] = {}
    residual: frozenset[str] | None = None
    for j in judged:
        for concept, value in j.credit.items():
            credit[concept] = max(value, credit.get(concept, 0.0))
        if j.residual is not None:
            residual = j.residual if residual is None else residual | j.residual
    return credit, residual


def answering_hits(query: SearchQuery, hits: Sequence[SearchHit], min_coverage: float) -> list[SearchHit]:
    """The retrieved passages that answer the customer, in the order of ``hits``; ``[]`` when none does.

    Passages are read with the same glossary. A concept counts fully where a passage is about it (its
    title, a heading or a label names it, or its text names it twice) and a quarter where the passage
    names it once in passing. The KB answers when, together, the passages cover at least
    ``min_coverage`` of the ask — its three weightiest concepts (those of the story around the
    question weigh half) and, for a short ask and passages in its language, its content words no
    concept explains — and one of them is about a specific topic of the ask (not only about words
    such as *order* or *card*). The passages that answer are those about such a topic covering at
    least half as much as the best one. When no concept was found at all, the search's own lexical
    ``coverage`` is compared to ``min_coverage``.

    Args:
        query: from :func:`build_query`.
        hits: what the KB search returned for ``query.text``.
        min_coverage: the share (0-1) of the ask the passages must cover together.

    Returns:
        The answering hits.
    """
    if not hits:
        return []
    if not query.concepts:
        return [h for h in hits if h.coverage >= min_coverage]
    judged = [_judge(query, h) for h in hits]
    scores = [_score(query, j.credit, j.residual) if _on_topic(j) else 0.0 for j in judged]
    # Together the passages never cover less than one of them does: a passage in the ask's language
    # that answers nothing must not bring into the union a word check the answering ones (in
    # another language) are spared.
    if max(_score(query, *_union(judged)), *scores) < min_coverage:
        return []
    best = max(scores)
    if best <= 0:
        return []
    return [j.hit for j, s in zip(judged, scores, strict=True) if s > 0 and s >= best * _JOINT_MARGIN]
