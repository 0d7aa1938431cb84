"""Grounding and promise checks: a draft states only what a cited passage or the conversation says.

A sentence *states a fact* when it carries a figure (an amount, a percentage, a count), a date or
weekday, a time frame ("within 3 days", "next week") or a policy cue ("you can return", "is free",
"must"). It is *supported* when one passage holds all its facts (figures normalised: "thirty",
"30-day" and "30"; "$14.95" and "14,95 €") and most of its content words (five-letter prefixes, so
"returned" meets "returns"); facts the customer gave in the conversation, or the brand allows, need
no passage. A passage in another language than the draft is judged on its facts and its glossary
concepts alone. Greetings, empathy, questions and sign-offs are never removed.

Unsupported sentences are taken out; the first one gives way to an "I'll check and get back to you"
sentence in the draft's language. The cue words live in ``grounding_cues.json``, read on first use.
The offline phrase banks' own sentences (greetings, empathy, "a specialist will follow up") are
reviewed wording and never claims, whoever writes them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from replyassist.drafting._glossary import glossary, normalize, tokens
from replyassist.drafting.query import find_concepts
from replyassist.models import DraftWarning, Passage

__all__ = [
    "Finding",
    "GroundingResult",
    "check_back_phrase",
    "check_grounding",
    "check_promises",
    "split_units",
]

_DATA = Path(__file__).with_name("grounding_cues.json")
_MIN_OVERLAP = 0.5
"""Share of a sentence's content words one source must hold (calibrated in bench_grounding.py)."""
_MIN_CONCEPTS = 0.5
"""Across languages: share of a sentence's glossary concepts one passage must name."""
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_CURRENCY = {"$": "usd", "usd": "usd", "dollar": "usd", "€": "eur", "eur": "eur", "euro": "eur", "£": "gbp"}
_CURRENCY_RE = re.compile(r"[$€£]|(?<![^\W\d_])(?:usd|eur|euros?|dollars?)(?![^\W\d_])")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)|(?<=[。！？])")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})(?::(\d\d))?\s*([ap])\.?\s?m\b\.?")
_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})(?:\.|er|st|nd|rd|th)?\s+(?:de\s+|of\s+)?([^\W\d_]+)")
_MONTH_DAY = re.compile(r"([^\W\d_]+)\s+(\d{1,2})(?!\d)")
_CJK_DATE = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_YEAR = re.compile(r"([^\W\d_]+)\s+(?:de\s+|of\s+)?(?:\d{1,2},?\s+)?(?:19|20)\d\d(?!\d)")
_CJK_YEAR_MONTH = re.compile(r"(?:19|20)\d\d\s*年\s*(\d{1,2})\s*月")
_MODAL = re.compile(
    r"\b(?!(?:i|how|what|if|and|or|but|so|that|who|which|this)\b)[^\W\d_]+ (?:can|cant|cannot|will|wont)\b"
)
"""English "members can …", "it will …": a rule or a commitment ("I can help" is none)."""
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:%|percent|por ciento|pour cent|prozent|procent)")
_AMOUNT = re.compile(
    r"[$€£]\s*(\d+(?:[.,]\d+)*)|(\d+(?:[.,]\d+)*)\s*(?:[$€£]|eur|euros?|usd|zl|dollars?)(?![^\W\d_])"
)
_DISCOUNT = re.compile(r"\d\s*%\s*(?:off|de descuento|de réduction|de remise|rabatt|sconto|korting|zniżki)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Finding:
    """One thing a check found, in a form a sidebar can show.

    Attributes:
        code: ``unsupported_claim`` or ``unsupported_promise``.
        message: what is wrong, for the agent.
        sentence: the draft's sentence it is about.
        kind: for a promise, its kind (``refund``, ``credit``, ``discount``, ``compensation``,
            ``replacement``, ``delivery_date``, ``deadline``, ``guarantee``); ``None`` otherwise.
    """

    code: str
    message: str
    sentence: str = ""
    kind: str | None = None

    def to_warning(self) -> DraftWarning:
        """The finding as a ``DraftWarning`` for ``Draft.warnings``."""
        return DraftWarning(code=self.code, message=self.message)


@dataclass(frozen=True)
class GroundingResult:
    """What ``check_grounding`` did to a draft.

    Attributes:
        text: the draft with unsupported sentences taken out (or softened).
        removed: unsupported sentences taken out without replacement.
        softened: unsupported sentences replaced by the "I'll check and get back to you" phrase.
        findings: one per unsupported sentence (and per unsupported promise).
        core_unsupported: the draft stated facts and none of them was supported: what is left
            no longer answers, so the draft should be escalated.
    """

    text: str
    removed: tuple[str, ...] = ()
    softened: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    core_unsupported: bool = False

    @property
    def changed(self) -> bool:
        """True when some sentence was removed or softened."""
        return bool(self.removed or self.softened)


# -- cues ------------------------------------------------------------------------------------------------


class _Text(NamedTuple):
    norm: str
    """NFKC, case-folded, Latin accents removed (as the glossary reads text)."""
    toks: list[str]
    """Its words; Chinese and Japanese runs are matched on ``norm`` instead."""


def _text(raw: str) -> _Text:
    norm = normalize(raw)
    return _Text(norm, tokens(norm))


class _Matcher:
    """Cue phrases found by word lookups: faster than one regex of hundreds of alternatives.

    With ``stems``, the last word of a cue of five letters or more also matches longer words
    ("refund" finds "refunded"). Chinese and Japanese cues are substrings.
    """

    def __init__(self, cues: dict[str, str], *, stems: bool) -> None:
        self._by_start: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
        self._cjk: list[tuple[str, str]] = []
        for raw, value in cues.items():
            norm = normalize(raw).strip()
            if _CJK_RUN.search(norm):
                self._cjk.append((norm, value))
                continue
            words = tuple(tokens(norm))
            if not words:
                continue
            open_end = stems and len(words[-1]) >= 5
            self._by_start.setdefault(words[0][:3], []).append((words, open_end, value))
        for entries in self._by_start.values():
            entries.sort(key=lambda e: -len(e[0]))

    def find(self, text: _Text, *, first_only: bool = False) -> list[str]:
        """The values of the cues in ``text``, longest match first at each word."""
        found: list[str] = []
        toks = text.toks
        i = 0
        while i < len(toks):
            step = 1
            for words, open_end, value in self._by_start.get(toks[i][:3], ()):
                n = len(words)
                if i + n > len(toks) or any(toks[i + j] != words[j] for j in range(n - 1)):
                    continue
                last = toks[i + n - 1]
                if last == words[-1] or (open_end and last.startswith(words[-1])):
                    found.append(value)
                    step = n
                    break
            if first_only:
                break
            i += step
        if not first_only:
            found.extend(value for cue, value in self._cjk if cue in text.norm)
        elif self._cjk and not found:
            head = text.norm[:16]  # a name often comes first: "ゆきさん、いつもありがとう"
            found.extend(value for cue, value in self._cjk if cue in head)
        return found


class _Lexicon:
    """Several cue categories found in one pass over the words (one dictionary lookup a word).

    Within a category the longest cue at a word wins and the words it covers start no other.
    """

    def __init__(self, categories: dict[str, tuple[dict[str, str], bool]]) -> None:
        self._by_start: dict[str, list[tuple[tuple[str, ...], bool, str, str]]] = {}
        self._cjk: list[tuple[str, str, str]] = []
        for category, (cues, stems) in categories.items():
            for raw, value in cues.items():
                norm = normalize(raw).strip()
                if _CJK_RUN.search(norm):
                    self._cjk.append((norm, category, value))
                    continue
                words = tuple(tokens(norm))
                if words:
                    entry = (words, stems and len(words[-1]) >= 5, category, value)
                    self._by_start.setdefault(words[0][:3], []).append(entry)
        for entries in self._by_start.values():
            entries.sort(key=lambda e: -len(e[0]))
        self.categories = tuple(categories)

    def find(self, text: _Text) -> dict[str, list[str]]:
        """Per category, the values of the cues in ``text``."""
        found: dict[str, list[str]] = {c: [] for c in self.categories}
        covered: dict[str, int] = {}
        toks = text.toks
        for i, tok in enumerate(toks):
            done: set[str] = set()
            for words, open_end, category, value in self._by_start.get(tok[:3], ()):
                if category in done or covered.get(category, 0) > i:
                    continue
                n = len(words)
                if i + n > len(toks) or any(toks[i + j] != words[j] for j in range(n - 1)):
                    continue
                last = toks[i + n - 1]
                if last == words[-1] or (open_end and last.startswith(words[-1])):
                    found[category].append(value)
                    covered[category] = i + n
                    done.add(category)
        for cue, category, value in self._cjk:
            if cue in text.norm:
                found[category].append(value)
        return found


class _Cues:
    def __init__(self, data: dict[str, Any]) -> None:
        lookup: dict[str, str] = {}
        for group, prefix in (("units", "u"), ("months", "m"), ("weekdays", "w"), ("relative", "r")):
            for key, words in data[group].items():
                if key != "within":  # "within" marks a time frame; it is no fact a passage must repeat
                    lookup.update((w, f"{prefix}:{key}") for w in words if w not in lookup)
        self.lexicon = _Lexicon(
            {
                "number": ({k: str(v) for k, v in data["numbers"].items()}, False),
                "time": (lookup, False),
                "within": (dict.fromkeys(data["relative"]["within"], ""), False),
                "policy": (dict.fromkeys(data["policy"], ""), True),
                "holding": (dict.fromkeys(data["holding"], ""), False),
                "negation": (dict.fromkeys(data["negation"], ""), False),
                "promise": ({w: kind for kind, words in data["promises"].items() for w in words}, True),
                "allow": ({w: kind for kind, words in data["allow"].items() for w in words}, True),
            }
        )
        self.months = {normalize(w).strip(): key for key, words in data["months"].items() for w in words}
        self.exempt = _Matcher(dict.fromkeys(data["exempt"], ""), stems=False)
        self.check_back: dict[str, str] = dict(data["check_back"])
        self.stopwords = frozenset().union(*glossary().stopwords.values())


_CUES: _Cues | None = None
_LOCK = threading.Lock()


def _cues() -> _Cues:
    global _CUES
    if _CUES is None:
        with _LOCK:
            if _CUES is None:
                _CUES = _Cues(json.loads(_DATA.read_text(encoding="utf-8")))
    return _CUES


def check_back_phrase(language: str = "en") -> str:
    """The "I'll check and get back to you" sentence in ``language`` (English when unknown)."""
    phrases = _cues().check_back
    return phrases.get(language.split("-")[0].lower(), phrases["en"])


# -- reading a text --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    facts: frozenset[str]
    words: frozenset[str]
    policy: bool
    within: bool
    kinds: frozenset[str]
    """Kinds of promise the text names (refund, discount…)."""
    allows: frozenset[str]
    """Kinds of promise a passage with this text allows: ``kinds`` plus delivery and deadline talk."""
    greeting: bool
    """Opens with a greeting, thanks, empathy or a sign-off, or says "I'll check and get back to you"."""
    negated: bool
    question: bool

    @property
    def figures(self) -> bool:
        return any(f.startswith(("n:", "m:", "w:", "r:")) for f in self.facts)


def _number(raw: str) -> str:
    if ":" in raw:  # a clock time: "13:00" is "13"
        hour, _, minute = raw.partition(":")
        return str(int(hour)) if minute.strip("0") == "" else f"{int(hour)}:{minute}"
    parts = re.split(r"[.,]", raw)
    if len(parts) == 1:
        return str(int(raw))
    if all(len(p) == 3 for p in parts[1:]):  # thousands: "1,000" and "1.000"
        return str(int("".join(parts)))
    whole, decimals = "".join(parts[:-1]), parts[-1].rstrip("0")
    return f"{int(whole)}.{decimals}" if decimals else str(int(whole))


def _words(text: _Text, stopwords: frozenset[str]) -> set[str]:
    out = {w[:5] for w in text.toks if len(w) > 2 and not w.isdigit() and w not in stopwords}
    for run in _CJK_RUN.findall(text.norm):
        out.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return out


def _clock(match: re.Match[str]) -> str:
    """ "1 pm" as "13:00", as most of Europe writes it."""
    hour = int(match[1]) % 12 + (12 if match[3].lower() == "p" else 0)
    return f"{hour}:{match[2] or '00'}"


def _dates(norm: str, months: dict[str, str]) -> tuple[set[str], set[str]]:
    """Day and month bound together ("d:1-11"): "2 November" is not held by "1 November … 2 days".

    Also the months that carry a day or a year: only those make a date. A month word alone is
    no claim: it is as often a first name ("Marco" reads as Portuguese *março*; "June", "April").
    """
    out = {f"d:{int(d)}-{months[m]}" for d, m in _DAY_MONTH.findall(norm) if m in months}
    out.update(f"d:{int(d)}-{months[m]}" for m, d in _MONTH_DAY.findall(norm) if m in months)
    out.update(f"d:{int(d)}-{int(m)}" for m, d in _CJK_DATE.findall(norm))
    dated = {d.rpartition("-")[2] for d in out}
    dated.update(months[m] for m in _MONTH_YEAR.findall(norm) if m in months)
    dated.update(str(int(m)) for m in _CJK_YEAR_MONTH.findall(norm))
    return out, dated


_LABEL = re.compile(r"^\s*[^\W\d_]{2,20}:\s+")
_QUESTION_END = re.compile(r"[?？؟][\s\"'»”)\]]*$")


@lru_cache(maxsize=4096)
def _read(raw: str) -> _Reading:
    cues = _cues()
    text = _text(_CLOCK.sub(_clock, _URL.sub(" ", raw)))  # links are the injection check's business
    found = cues.lexicon.find(text)
    facts = {f"n:{_number(m)}" for m in _NUMBER.findall(text.norm)}
    facts.update(f"n:{v}" for v in found["number"])
    facts.update(found["time"])
    if any(f.startswith("m:") for f in facts):
        dates, dated = _dates(text.norm, cues.months)
        facts.update(dates)
        facts.difference_update(f for f in found["time"] if f.startswith("m:") and f[2:] not in dated)
    # figures bound to what they count: "7%" is not held by "7 days", "$6.95" not by "6.95 kg"
    facts.update(f"p:{_number(n)}" for n in _PERCENT.findall(text.norm))
    facts.update(f"a:{_number(a or b)}" for a, b in _AMOUNT.findall(text.norm))
    facts.update(f"c:{_CURRENCY[m.rstrip('s')]}" for m in _CURRENCY_RE.findall(text.norm))
    # a unit without a figure ("a few days") is no checkable fact on its own
    if not any(f.startswith(("n:", "m:", "w:", "r:")) for f in facts):
        facts = {f for f in facts if not f.startswith("u:")}
    kinds = set(found["promise"])
    if _DISCOUNT.search(text.norm):
        kinds.add("discount")
    unlabelled = _text(_LABEL.sub("", raw, count=1)) if _LABEL.match(raw) else text
    return _Reading(
        facts=frozenset(facts),
        words=frozenset(_words(text, cues.stopwords)),
        policy=bool(found["policy"] or _MODAL.search(text.norm)),
        within=bool(found["within"]),
        kinds=frozenset(kinds),
        allows=frozenset(kinds.union(found["allow"])),
        greeting=bool(found["holding"] or cues.exempt.find(unlabelled, first_only=True)),
        negated=bool(found["negation"]),
        question=bool(_QUESTION_END.search(raw)),
    )


@dataclass
class _Source:
    facts: frozenset[str]
    words: frozenset[str]
    text: str
    foreign: bool
    """In another language than the draft: judged on facts and concepts only."""


def _sources(passages: Sequence[Passage], language: str) -> list[_Source]:
    base = language.split("-")[0].lower()
    out = []
    for passage in passages:
        reading = _read(f"{passage.title}\n{passage.text}")
        locale = (passage.locale or base).split("-")[0].lower()
        out.append(_Source(reading.facts, reading.words, passage.text, foreign=locale != base))
    return out


def _is_exempt(reading: _Reading) -> bool:
    return reading.question or (
        reading.greeting and not reading.figures and (not reading.kinds or reading.negated)
    )


def _states_fact(reading: _Reading) -> bool:
    return bool(reading.facts) or reading.policy or reading.within


def _concept_share(sentence: str, language: str, source: str) -> float:
    """Share of the sentence's glossary concepts the source names; -1 when it names none."""
    concepts = _concepts(sentence, language)
    return len(concepts & _concepts(source, None)) / len(concepts) if concepts else -1.0


@lru_cache(maxsize=2048)
def _concepts(text: str, language: str | None) -> frozenset[str]:
    return frozenset(find_concepts(text, language))


def _supported(
    sentence: str,
    reading: _Reading,
    sources: Sequence[_Source],
    given: frozenset[str],
    context: frozenset[str],
    language: str,
) -> bool:
    # a unit is no fact on its own: "before 1 pm" holds "avant 13 h"; its figure is what counts
    needed = frozenset(f for f in reading.facts - given if not f.startswith("u:"))
    if not needed and reading.facts and not (reading.policy or reading.within):
        return True  # only restates what the customer (or the brand) gave
    head, colon, tail = sentence.rpartition(": ") if ": " in sentence else sentence.rpartition("：")
    if (
        colon
        and tail
        # digits, not number words: a framing in another language may hold one ("ten" is Polish "this")
        and not any(ch.isdigit() for ch in head)
        and _supported(tail, _read(tail), sources, given, context, language)
    ):
        return True  # the composer's framing, then a quote: the quote is what must be supported
    words = reading.words
    for source in sources:
        if not needed <= source.facts:
            continue
        overlap = len(words & (source.words | context)) / len(words) if words else 1.0
        if overlap >= _MIN_OVERLAP:
            return True
        if source.foreign:
            share = _concept_share(sentence, language, source.text)
            if share >= _MIN_CONCEPTS or (needed and share < 0):
                return True
    return False


# -- the checks ------------------------------------------------------------------------------------------


def _allowed_kinds(passages: Sequence[Passage]) -> set[str]:
    return {kind for p in passages for kind in _read(f"{p.title}\n{p.text}").allows}


def _promise_findings(sentence: str, allowed: set[str], conversation_words: frozenset[str]) -> list[Finding]:
    reading = _read(sentence)
    if reading.question or reading.negated or reading.kinds <= allowed:
        return []  # "we can't offer a refund" promises nothing
    words = reading.words
    if words and len(words & conversation_words) / len(words) >= 0.8:
        return []  # the customer's own words repeated back
    return [
        Finding(
            code="unsupported_promise",
            message=f"the draft offers a {kind.replace('_', ' ')} no cited passage allows: {sentence!r}",
            sentence=sentence,
            kind=kind,
        )
        for kind in sorted(reading.kinds - allowed)
    ]


def check_promises(
    text: str, *, passages: Sequence[Passage], conversation: Sequence[str] = (), language: str = "en"
) -> list[Finding]:
    """Refunds, credits, discounts, compensation, replacements, dates and guarantees no passage allows.

    A promise is allowed when a cited passage names the same kind of remedy (a delivery date or a
    deadline: when it speaks of delivery or of time limits; the figures themselves are
    ``check_grounding``'s). The conversation allows nothing: a customer asking for a refund does
    not make one policy; it only keeps the customer's own words, repeated back, from counting.

    Args:
        text: the draft.
        passages: the passages the draft cites.
        conversation: the conversation's messages.
        language: the draft's language (ISO 639-1); cues of every supported language are tried.

    Returns:
        One ``unsupported_promise`` finding per promise kind and sentence.
    """
    language = (language or "en").split("-")[0].lower()  # its cues of all languages are tried
    allowed = _allowed_kinds(passages)
    conversation_words = _read("\n".join(conversation)).words
    findings: list[Finding] = []
    for sentence in split_units(text):
        if not _vetted(sentence, language):
            findings.extend(_promise_findings(sentence, allowed, conversation_words))
    return findings


# -- the phrase banks' own wording -----------------------------------------------------------------------

_NOTE_LABEL = re.compile(r"^\s*[^\W\d_]+(?:[ \-・][^\W\d_]+){0,2}\s?[:：]\s*")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_MAX_FILL_WORDS = 6
"""A filled-in value longer than this is no table entry or name: the sentence is checked as any other."""


class _Wording:
    """The sentences of one language's offline phrase bank: reviewed wording that states no fact.

    "I've passed this to our specialist team, and we'll follow up here as soon as we can" reads
    as a commitment to the cues, but it is the composer's holding line, not a claim a passage
    must back; whoever writes it. Sentences without placeholders are looked up whole; the others
    by their first (or last) characters, then matched piece by piece (no regex to compile).
    """

    def __init__(self, templates: Sequence[str]) -> None:
        self.exact: set[str] = set()
        self.templates: dict[str, list[tuple[str, ...]]] = {}
        for template in templates:
            for line in template.split("\n"):
                for sentence, _ in _line_sentences(line):
                    self._add(sentence.strip())

    def _add(self, sentence: str) -> None:
        parts = tuple(_PLACEHOLDER.split(sentence))
        if len(parts) == 1:
            self.exact.add(sentence)
            return
        head, tail = parts[0], parts[-1]
        key = f"<{head[:4]}" if len(head) >= 4 else f">{tail[-4:]}" if len(tail) >= 4 else ""
        self.templates.setdefault(key, []).append(parts)

    def holds(self, sentence: str) -> bool:
        body = _NOTE_LABEL.sub("", sentence, count=1).strip()  # a call note's "Next step: …" label
        if not body or any(ch.isdigit() for ch in body):
            return False  # the banks hold no digits (a test keeps it so): a fill brought it
        if body in self.exact:
            return True
        keys = (f"<{body[:4]}", f">{body[-4:]}", "")  # "": templates with too short a head and tail
        return any(_fills(parts, body) for key in keys for parts in self.templates.get(key, ()))


def _fills(parts: tuple[str, ...], body: str) -> bool:
    """``body`` is the template ``parts`` with each placeholder filled by a short value."""
    head, tail = parts[0], parts[-1]
    if len(body) <= len(head) + len(tail) or not body.startswith(head) or not body.endswith(tail):
        return False
    pos, end = len(head), len(body) - len(tail)
    fills = []
    for part in parts[1:-1]:
        found = body.find(part, pos + 1)
        if found < 0 or found >= end:
            return False
        fills.append(body[pos:found])
        pos = found + len(part)
    fills.append(body[pos:end])
    return all(fill.strip() and len(fill.split()) <= _MAX_FILL_WORDS for fill in fills)


_WORDING: dict[str, _Wording] = {}
_WORDING_LOCK = threading.Lock()


def _wording(language: str) -> _Wording:
    """The phrase bank of ``language`` as a ``_Wording`` (built on first use; empty without a bank)."""
    found = _WORDING.get(language)
    if found is None:
        with _WORDING_LOCK:
            found = _WORDING.get(language)
            if found is None:
                from replyassist.drafting.offline.phrasebook import SLOTS, TONES, load_phrasebook

                book = load_phrasebook(language) if len(language) == 2 and language.isalpha() else None
                variants = (
                    [v for t in TONES for slot in SLOTS for v in book.variants(t, slot)] if book else []
                )
                found = _WORDING[language] = _Wording(variants)
    return found


@lru_cache(maxsize=4096)
def _vetted(sentence: str, language: str) -> bool:
    """The sentence is one of the offline phrase bank's (names and table entries filled in)."""
    return _wording(language).holds(sentence)


def split_units(text: str) -> list[str]:
    """The draft's sentences, line by line, without list bullets."""
    return [
        body
        for line in text.split("\n")
        for s, _ in _line_sentences(line)
        if (body := _BULLET.sub("", s).strip())
    ]


def _line_sentences(line: str) -> list[tuple[str, str]]:
    """(sentence, the separator after it) for one line; bullets stay on the first sentence's text."""
    out: list[tuple[str, str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        out.append((line[start : match.start()], match.group()))
        start = match.end()
    out.append((line[start:], ""))
    return [(s, sep) for s, sep in out if s.strip()]


def check_grounding(
    text: str,
    *,
    passages: Sequence[Passage],
    conversation: Sequence[str] = (),
    language: str = "en",
    allowed: Sequence[str] = (),
) -> GroundingResult:
    """Take out of a draft the factual sentences nothing supports, and the promises nothing allows.

    Args:
        text: the draft.
        passages: the passages the draft cites (only these count as support).
        conversation: the conversation's messages: what the customer said needs no passage.
        language: the draft's language (ISO 639-1), for the softening phrase and cross-language
            passages.
        allowed: other texts whose figures and words are always fine (the brand's phone number,
            its opening hours, the agent's name).

    Returns:
        The checked draft, what was taken out, and why.
    """
    language = (language or "en").split("-")[0].lower()
    sources = _sources(passages, language)
    given_reading = _read("\n".join([*conversation, *allowed]))
    given, context = given_reading.facts, given_reading.words
    sources.append(_Source(given, context, "", foreign=False))
    allowed_kinds = _allowed_kinds(passages)
    conversation_words = _read("\n".join(conversation)).words

    findings: list[Finding] = []
    removed: list[str] = []
    softened: list[str] = []
    facts_stated = facts_kept = 0
    phrase = check_back_phrase(language)
    lines_out: list[str] = []
    for line in text.split("\n"):
        pieces = _line_sentences(line)
        if not pieces:
            lines_out.append(line)
            continue
        kept: list[str] = []
        for sentence, sep in pieces:
            body = _BULLET.sub("", sentence).strip()
            reading = _read(body)
            if _is_exempt(reading) or _vetted(body, language):
                kept.append(sentence + sep)
                continue
            problems = _promise_findings(body, allowed_kinds, conversation_words)
            factual = _states_fact(reading)
            if factual:
                facts_stated += 1
                if not _supported(body, reading, sources, given, context, language):
                    problems.insert(
                        0,
                        Finding(
                            code="unsupported_claim",
                            message=f"no cited passage or message supports: {body!r}",
                            sentence=body,
                        ),
                    )
            if not problems:
                facts_kept += factual
                kept.append(sentence + sep)
                continue
            findings.extend(problems)
            if not softened and phrase not in text:
                softened.append(body)
                bullet = _BULLET.match(sentence)
                kept.append((bullet.group() if bullet else "") + phrase + (sep or " "))
            else:
                removed.append(body)
        joined = "".join(kept).rstrip()
        if joined.strip() or not line.strip():
            lines_out.append(joined if joined.strip() else "")
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines_out)).strip()
    return GroundingResult(
        text=out,
        removed=tuple(removed),
        softened=tuple(softened),
        findings=tuple(findings),
        core_unsupported=facts_stated > 0 and facts_kept == 0,
    )
