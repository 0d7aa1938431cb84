"""Prompt-injection defence: customer and KB text is data, never instructions.

Three pieces, each usable alone:

* :func:`detect_injection` finds instruction-like content (ignore previous instructions, role
  play, reveal your prompt, print X, send customers to a link, DAN-style jailbreaks) in a dozen
  languages, through casing, spacing, punctuation, zero-width characters, homoglyphs, leetspeak,
  ROT13 and base64.
* :func:`neutralize` makes text safe to embed as data in a prompt: instruction-like spans are
  wrapped in ``⟦quoted: …⟧`` and delimiter-like sequences are escaped.
* :func:`check_output` checks a draft for what a successful attack leaves behind: leaked system
  text, foreign links and contacts, the attacker's payload, a broken persona.

The cues live in ``injection_cues.json`` (read once, on first use). They run on a normalised
copy of the text: case-folded, accents stripped, zero-width characters dropped, look-alike
letters mapped to Latin, punctuation turned into single spaces; positions map back to the
original text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import itertools
import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from replyassist.guardrails._cue_gate import CueGate

__all__ = [
    "KINDS",
    "InjectionReport",
    "InjectionSpan",
    "OutputFinding",
    "check_output",
    "detect_injection",
    "neutralize",
    "payload_strings",
]

#: Every kind of injection :func:`detect_injection` reports.
KINDS: tuple[str, ...] = (
    "ignore_instructions",
    "role_play",
    "prompt_leak",
    "print_payload",
    "link_or_contact",
    "jailbreak",
    "encoded",
)

#: Combined weight from which a text counts as an attack.
THRESHOLD = 0.6

_CUES_FILE = Path(__file__).with_name("injection_cues.json")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e")
# Cyrillic and Greek letters that look Latin; attackers swap them in to dodge keyword filters.
_HOMOGLYPHS = dict(
    zip(
        "аеорсухкмтвніјѕԁɡοαερτυνκχЅІЈ",
        "aeopcyxkmtbhijsdgoaeptuvkxsij",
        strict=True,
    )
)
_LETTER_FIXES = {"ł": "l", "đ": "d", "ø": "o", "ı": "i", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"}
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_STRONG = frozenset({"ignore_instructions", "prompt_leak", "jailbreak"})
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{20,}={0,2}")
_LEET_TOKEN = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457])\w+\b")
# Markup that imitates a prompt's own structure: chat-template tokens, role headings, closing tags.
_MARKUP = (
    (
        0.6,
        re.compile(
            r"<\|[a-z_]{2,20}\|>|\[/?(?:INST|SYS)\]|</?(?:system|instructions?|data|context)>", re.IGNORECASE
        ),
    ),
    (0.6, re.compile(r"(?im)^[ \t>]*#{1,6}[ \t]*(?:system|instructions?|new instructions|developer)\b")),
    (0.45, re.compile(r"(?m)^[ \t>]*(?:SYSTEM|System|ASSISTANT|Assistant|DEVELOPER)[ \t]*:")),
)
# Cues for letters written one by one ("i g n o r e   a l l"), matched with the spaces taken out.
_SQUASHED = (
    (
        "ignore_instructions",
        0.9,
        re.compile(
            r"(ignore|disregard|forget)(all|any)?(the|your)?(previous|prior|above|earlier|preceding)(instructions|prompts?|rules|guidelines)"
        ),
    ),
    (
        "prompt_leak",
        0.85,
        re.compile(r"(reveal|show|print|repeat)(me)?(your|the)(system|initial|original|hidden)?prompt"),
    ),
    ("jailbreak", 0.9, re.compile(r"doanythingnow|developermodeenabled|danmode")),
)
_SPACED = re.compile(r"\b(?:\w ){3,}\w\b")
_STOPS = frozenset(".!?。！？\n")
_SENTENCE_END = re.compile(r"[.!?。！？\n]+")
_WORD = re.compile(r"\w{2,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# Sentences that tell the model how to behave are the attack's, even where no cue matched.
_MODEL_TALK = re.compile(
    r"\byou (will|must|should|may|shall|have to|are going to|are about to|can't|cannot|won't|are able)\b|"
    r"\b(don't|do not|never|always|only) (say|mention|add|refuse|remind|break|question|answer|respond|reply)\b|"
    r"\b(agree|terms|paragraph|format|sentence|break of|understood|i understand|swear|content policy)\b|"
    r"\b(answer|respond|reply) (like|as)\b|\binstead of (saying|answering)\b|\byou can (say|do|generate|write)\b|"
    r"\byour (answer|response|reply|responses|answers|interpretation)\b"
)


@dataclass(frozen=True)
class InjectionSpan:
    """Where one cue matched in the original text.

    Attributes:
        kind: One of :data:`KINDS`.
        start: Offset of the first character in the original text.
        end: Offset just past the match in the original text.
    """

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class InjectionReport:
    """What :func:`detect_injection` found in one text.

    Attributes:
        is_attack: Whether the combined weight of the cues reached :data:`THRESHOLD`.
        score: Combined weight of the cues, 0 to 1.
        kinds: The kinds of injection found, in :data:`KINDS` order.
        whole_message: The attack is (nearly) all of the text: no genuine request beside it.
        spans: Where the cues matched, in order of position.
        payloads: Strings the text asks the model to print (see :func:`payload_strings`).
    """

    is_attack: bool
    score: float
    kinds: tuple[str, ...]
    whole_message: bool
    spans: tuple[InjectionSpan, ...]
    payloads: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputFinding:
    """One problem :func:`check_output` found in a draft.

    Attributes:
        code: ``prompt_leak``, ``foreign_link``, ``foreign_contact``, ``attack_payload`` or
            ``persona_broken``.
        message: A sentence an agent can read, naming what was found.
    """

    code: str
    message: str


@dataclass(frozen=True)
class _Cue:
    kind: str
    weight: float
    pattern: re.Pattern[str]


@cache
def _raw_cues() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_CUES_FILE.read_text(encoding="utf-8"))
    return data


@cache
def _word_list(name: str) -> frozenset[str]:
    return frozenset(str(_raw_cues()[name]).split())


@cache
def _cues() -> tuple[_Cue, ...]:
    raw = _raw_cues()
    return tuple(
        _Cue(kind, float(item["w"]), re.compile(item["re"]))
        for kind, items in raw.items()
        if kind in KINDS
        for item in items
    )


_ASCII_LOWER = re.compile(r"[a-z]")
_LEET_DIGIT = re.compile(r"[013457]")


@cache
def _gate() -> CueGate:
    return CueGate([cue.pattern for cue in _cues()])


def _cues_for(reading: str, only: frozenset[str] | None) -> list[_Cue]:
    """The cues that could match ``reading``, in their file order (the order spans are found in)."""
    cues = _cues()
    return [cues[i] for i in sorted(_gate().candidates(reading)) if only is None or cues[i].kind in only]


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _ZERO_WIDTH:
        return ""
    char = _HOMOGLYPHS.get(char, char)
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed and ord(decomposed[0]) < 0x3000:
        # Latin, Greek, Cyrillic: drop accents so cues match with or without them.
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    else:
        folded = unicodedata.normalize("NFKC", char).casefold()
    folded = "".join(_LETTER_FIXES.get(c, _HOMOGLYPHS.get(c, c)) for c in folded)
    return "".join(c if c.isalnum() else " " for c in folded)


# ASCII folds one character to one: lower case or a space; NUL stands in for a sentence end.
_ASCII_FOLD = {i: chr(i).lower() if chr(i).isalnum() else " " for i in range(1, 128)} | {0: "."}
_ASCII_STOP = re.compile(r"\n|[.!?](?=\s|\Z)")
_GAP = re.compile(r"[ .]+")


def _normalize_ascii(text: str) -> tuple[str, list[int]]:
    """:func:`_normalize` for ASCII text without NUL, a run of gaps at a time rather than a
    character at a time: a gap becomes one ``.`` if it holds a sentence end, else one space
    (none at the start)."""
    marked = _ASCII_STOP.sub("\x00", text).translate(_ASCII_FOLD)
    pieces: list[str] = []
    where: list[int] = []
    done = 0
    for gap in _GAP.finditer(marked):
        start, end = gap.span()
        pieces.append(marked[done:start])
        where.extend(range(done, start))
        stop = marked.find(".", start, end)
        if stop >= 0:
            pieces.append(".")
            where.append(stop)
        elif start:
            pieces.append(" ")
            where.append(start)
        done = end
    pieces.append(marked[done:])
    where.extend(range(done, len(marked)))
    return "".join(pieces), where


def _normalize(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` for matching; return the folded text and each character's original offset."""
    if text.isascii() and "\x00" not in text:
        return _normalize_ascii(text)
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        if char in _STOPS and (char not in ".!?" or i + 1 == len(text) or text[i + 1].isspace()):
            # Keep sentence ends, so that a cue cannot stretch from one sentence into the next.
            if out and out[-1] == " ":
                out.pop()
                where.pop()
            if not out or out[-1] != ".":
                out.append(".")
                where.append(i)
            continue
        for c in _fold_char(char):
            if c == " " and out and out[-1] == ".":
                continue
            if c == " " and (not out or out[-1] == " "):
                continue
            out.append(c)
            where.append(i)
    return "".join(out), where


def _unspace(folded: str, where: list[int]) -> tuple[str, list[int]] | None:
    """Join letters written one by one (``i g n o r e``); ``None`` when there are none."""
    if not _SPACED.search(folded):
        return None
    keep = [True] * len(folded)
    for m in _SPACED.finditer(folded):
        for i in range(m.start(), m.end()):
            if folded[i] == " ":
                keep[i] = False
    text = "".join(c for c, k in zip(folded, keep, strict=True) if k)
    return text, [w for w, k in zip(where, keep, strict=True) if k]


def _variants(folded: str) -> list[tuple[str, bool, frozenset[str] | None]]:
    """Readings of the folded text: (text, obfuscated?, kinds to look for or None for all)."""
    out: list[tuple[str, bool, frozenset[str] | None]] = [(folded, False, None)]
    if _LEET_DIGIT.search(folded):  # no digit to read as a letter: the same text again
        leet = _LEET_TOKEN.sub(lambda m: m.group().translate(_LEET), folded)
        if leet != folded:
            out.append((leet, True, None))
    if _ASCII_LOWER.search(folded):
        out.append((codecs.encode(folded, "rot13"), True, _STRONG))
    return out


def _scan(text: str) -> tuple[dict[str, float], list[InjectionSpan], bool]:
    """Run the cues on every reading of ``text``; return weights per kind, spans, obfuscation seen."""
    folded, where = _normalize(text)
    hidden = not (_ZERO_WIDTH.isdisjoint(text) and _HOMOGLYPHS.keys().isdisjoint(text))
    # Only a text with hidden characters asks whether a match is visible as written.
    raw_folded = (
        " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split()) if hidden else ""
    )
    weights: dict[str, float] = {}
    spans: list[InjectionSpan] = []
    readings: list[tuple[str, list[int], bool, frozenset[str] | None]] = [
        (variant, where, tricky, only) for variant, tricky, only in _variants(folded)
    ]
    if "." in folded:
        # Read once more across sentence ends, for "IGNORE. PREVIOUS. INSTRUCTIONS." (strong cues only).
        readings.append((folded.replace(".", " "), where, False, _STRONG))
    unspaced = _unspace(folded, where)
    obfuscated = False
    if unspaced is not None:
        readings.append((unspaced[0], unspaced[1], True, None))
        squashed = [(c, w) for c, w in zip(unspaced[0], unspaced[1], strict=True) if c not in " ."]
        flat = "".join(c for c, _ in squashed)
        for kind, weight, pattern in _SQUASHED:
            for m in pattern.finditer(flat):
                obfuscated = True
                weights[kind] = max(weights.get(kind, 0.0), weight)
                spans.append(InjectionSpan(kind, squashed[m.start()][1], squashed[m.end() - 1][1] + 1))
    for weight, pattern in _MARKUP:
        for m in pattern.finditer(text):
            weights["ignore_instructions"] = max(weights.get("ignore_instructions", 0.0), weight)
            spans.append(InjectionSpan("ignore_instructions", m.start(), m.end()))
    for reading, offsets, tricky, only in readings:
        for cue in _cues_for(reading, only):
            for m in cue.pattern.finditer(reading):
                start, end = offsets[m.start()], offsets[max(m.end() - 1, m.start())] + 1
                span = InjectionSpan(cue.kind, start, end)
                if span in spans:
                    continue
                if tricky or (hidden and m.group() not in raw_folded):
                    obfuscated = True
                weights[cue.kind] = max(weights.get(cue.kind, 0.0), cue.weight)
                spans.append(span)
    return weights, spans, obfuscated


def _decoded_candidates(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _BASE64.finditer(text):
        token = m.group().replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        printable = sum(c.isprintable() or c.isspace() for c in decoded)
        if decoded and printable / len(decoded) > 0.9 and _WORD.search(decoded):
            found.append((m.start(), m.end(), decoded))
    return found


def _combine(weights: dict[str, float]) -> float:
    rest = 1.0
    for w in weights.values():
        rest *= 1.0 - w
    return round(1.0 - rest, 4)


def _is_whole_message(text: str, spans: Sequence[InjectionSpan]) -> bool:
    """Whether nothing but filler is left once the attack is taken out.

    The attack runs from the sentence of its first cue to the sentence of its last; beside it,
    sentences that talk to the model about itself (its mode, tokens, responses) belong to the
    attack too. What remains must hold six words of substance, or be a question of two ("How do I reset my
    password?"), to count as a genuine request.
    """
    if not spans:
        return False
    first, last = min(s.start for s in spans), max(s.end for s in spans)
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    words = 0
    for a, b in itertools.pairwise(bounds):
        if b > first and a < last:
            continue
        sentence = text[a:b].casefold()
        tokens = [w for w in _WORD.findall(sentence) if w not in _word_list("_filler")]
        if _MODEL_TALK.search(sentence) or any(w in _word_list("_model_words") for w in tokens):
            continue
        substance = len(tokens) + len(_CJK.findall(sentence)) // 2
        # A question of a few words is a request on its own.
        words += 6 if substance >= 2 and sentence.rstrip().endswith(("?", "？")) else substance
    return words < 6


_QUOTED = re.compile(r"[\"“”„«»「『‘’']\s*(?P<q>[^\"“”„«»「」『』‘’\n]{2,200}?)\s*[\"“”„«»」』‘’']")
_PRINT_VERB = re.compile(
    r"(?i)\b(?:print|say|write|output|type|repeat|reply|respond|answer|reply with|respond with|answer with|start with|"
    r"begin with|imprime|imprima|escribe|escreva|di|diga|dis|dites|dire|[ée]cris|[ée]crivez|[ée]crire|affiche|afficher|sag|sage|schreib|"
    r"schreibe|drucke|stampa|scrivi|zeg|schrijf|wypisz|napisz|powiedz|in ra|vi[eế]t|n[oó]i|cetak|"
    r"tulis|katakan)\b|打印|输出|輸出|说|說|出力|言って|書いて"
)
_UNQUOTED_TAIL = re.compile(
    r"(?i)(?:\bjust (?:print|say|write|output)\s*:?|\b(?:print|say|write|output)(?: exactly| only| verbatim)?\s*:)"
    r"\s*(?P<q>[^\"“'«「<\n.!?:]{3,120})"
    r"|\b(?:say|print|output|write) (?P<w>[^\s\"'“”][^\"'“”\n]{3,60}?)(?=[\"'”’]|\s*$)"
)
# Japanese puts the verb after the quote: 「X」とだけ出力して.
_QUOTE_THEN_VERB = re.compile(
    r"[「『\"“](?P<q>[^」』\"”\n]{2,200})[」』\"”]\s*[とを](?:だけ|のみ)?\s*(?:出力|言|書|表示|返)"
)


def _payloads(text: str) -> tuple[str, ...]:
    if not _ZERO_WIDTH.isdisjoint(text):
        text = "".join(c for c in text if c not in _ZERO_WIDTH)
    clean = text.replace("_", " ")
    found: list[str] = []
    for verb in _PRINT_VERB.finditer(clean):
        quote = _QUOTED.search(clean[verb.end() : verb.end() + 260])
        if quote and quote.start() <= 40:
            found.append(quote.group("q").strip(" :"))
    found += [(m.group("q") or m.group("w")).strip() for m in _UNQUOTED_TAIL.finditer(clean)]
    found += [m.group("q").strip() for m in _QUOTE_THEN_VERB.finditer(clean)]
    return tuple(dict.fromkeys(p for p in found if len(p.strip()) >= 3))


def detect_injection(text: str, language: str | None = None) -> InjectionReport:
    """Find instruction-like content in customer or KB text.

    Cues of every supported language run whatever ``language`` says, because attackers switch
    languages; base64 runs are decoded and checked again.

    Args:
        text: The text to check: a customer message, an agent note, a KB passage.
        language: The text's language if known (ISO 639-1). Accepted for symmetry with the other
            checks; detection does not depend on it, since an attack may come in any language.

    Returns:
        An :class:`InjectionReport`; ``is_attack`` is false for ordinary support messages.

    Raises:
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"detect_injection() needs a str, not {type(text).__name__}")
    return _detect(text)


@lru_cache(maxsize=512)
def _detect(text: str) -> InjectionReport:
    """:func:`detect_injection`, cached: the input guard and the search query scan the same
    message, and the report (frozen) does not depend on the language."""
    weights, spans, obfuscated = _scan(text)
    decoded_runs = _decoded_candidates(text)
    for start, end, decoded in decoded_runs:
        inner, _, _ = _scan(decoded)
        if inner:
            obfuscated = True
            for kind, w in inner.items():
                weights[kind] = max(weights.get(kind, 0.0), w)
            spans.append(InjectionSpan("encoded", start, end))
    payloads = _payloads(text) + tuple(p for _, _, decoded in decoded_runs for p in _payloads(decoded))
    if payloads and "print_payload" in weights:
        # A verb plus a quoted string to print is a clearer sign than the verb alone.
        weights["print_payload"] = max(weights["print_payload"], 0.65)
    if obfuscated and weights:
        weights["encoded"] = max(weights.get("encoded", 0.0), 0.3)
    score = _combine(weights)
    attack = score >= THRESHOLD
    if attack:
        for payload in payloads:
            at = text.find(payload)
            if at >= 0:
                spans.append(InjectionSpan("print_payload", at, at + len(payload)))
    spans = sorted(set(spans), key=lambda s: (s.start, s.end, s.kind))
    whole = attack and _is_whole_message(text, spans)
    return InjectionReport(
        is_attack=attack,
        score=score,
        kinds=tuple(k for k in KINDS if k in weights),
        whole_message=whole,
        spans=tuple(spans),
        payloads=payloads if attack else (),
    )


def payload_strings(report_or_text: InjectionReport | str) -> list[str]:
    """What an attack asks the model to print, to pass to :func:`check_output` as ``forbidden``.

    Args:
        report_or_text: A report from :func:`detect_injection`, or the text itself.

    Returns:
        The quoted (or, after "just print", unquoted) strings, e.g. ``["I hate humans"]``.
    """
    if isinstance(report_or_text, InjectionReport):
        return list(report_or_text.payloads)
    return list(_payloads(report_or_text))


_DELIMITERS = (
    (re.compile(r"`{3,}|~{3,}"), lambda m: "ʼ" * len(m.group())),
    (re.compile(r"<\|([^|<>]{0,40})\|>"), lambda m: f"‹¦{m.group(1)}¦›"),
    (
        re.compile(
            r"</?\s*(system|instructions?|data|context|user|assistant|developer|prompt|message|kb|"
            r"customer_message|im_start|im_end|s|inst)\b[^<>]{0,60}>",
            re.IGNORECASE,
        ),
        lambda m: "‹" + m.group()[1:-1] + "›",
    ),
    (re.compile(r"\[/?(INST|SYS|SYSTEM)\]", re.IGNORECASE), lambda m: "⟨" + m.group()[1:-1] + "⟩"),
    (
        re.compile(r"(?im)^([ \t>]*)(#{1,6})(?=\s*(system|assistant|user|developer|instructions?|new\b))"),
        lambda m: m.group(1) + "＃" * len(m.group(2)),
    ),
    (
        re.compile(r"(?im)^([ \t>]*)(system|assistant|developer|ai|bot)(\s*:)"),
        lambda m: f"{m.group(1)}⟦quoted: {m.group(2)}{m.group(3)}⟧",
    ),
)


def neutralize(text: str) -> str:
    """Make customer or KB text safe to embed as data in a prompt.

    Zero-width characters are dropped, ``⟦`` and ``⟧`` in the input become ``[`` and ``]`` so that
    no one can close a quote early, every sentence holding an injection cue is wrapped in
    ``⟦quoted: …⟧``, and delimiter-like sequences (code fences, ``<|im_start|>``, ``</data>``,
    ``### system``, ``System:`` at the start of a line) are escaped. The words stay readable, so
    the model can still see (and the agent can still read) what the customer wrote.

    Args:
        text: The text to embed.

    Returns:
        The text with instruction-like spans defanged.
    """
    text = "".join(c for c in text if c not in _ZERO_WIDTH).replace("⟦", "[").replace("⟧", "]")
    spans = detect_injection(text).spans
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    pieces: list[str] = []
    for a, b in itertools.pairwise(bounds):
        chunk = _escape_delimiters(text[a:b])
        if chunk.strip() and any(s.start < b and s.end > a for s in spans):
            body = chunk.rstrip("\n")
            lead = len(body) - len(body.lstrip())
            chunk = f"{body[:lead]}⟦quoted: {body[lead:]}⟧{chunk[len(body) :]}"
        pieces.append(chunk)
    return "".join(pieces)


def _escape_delimiters(text: str) -> str:
    for pattern, replace in _DELIMITERS:
        text = pattern.sub(replace, text)
    return text


_URL = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>()\"'\]]+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|info|biz|ru|cn|xyz|top|"
    r"ly|me|app|link|click|shop|store|online|site|gg|tk|uk|de|fr|es|it|nl|pl|vn|id|jp|br|pt|example)\b(?:/[^\s<>()\"']*)?"
)
_EMAIL = re.compile(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w#/-])(?:\+|00)?\d[\d ().-]{6,18}\d(?![\w/-])")
_IMAGE_MARKDOWN = re.compile(r"!\[[^\]\n]{0,200}(?:\]|$)|!\[http", re.MULTILINE)
_TOKEN = re.compile(r"\w+")


def _host(url: str) -> str:
    if "://" not in url:
        url = "http://" + url
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def _host_allowed(host: str, allowed: Collection[str]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def _loose(text: str) -> str:
    """Case- and punctuation-insensitive form for finding one string inside another."""
    return " " + " ".join(_TOKEN.findall(_normalize(text)[0])) + " "


@lru_cache(maxsize=64)
def _grams(source: str, run: int) -> frozenset[tuple[str, ...]]:
    tokens = _TOKEN.findall(_normalize(source)[0])
    return frozenset(tuple(tokens[i : i + run]) for i in range(len(tokens) - run + 1))


def _shared_run(draft_tokens: list[str], source: str, run: int) -> str | None:
    grams = _grams(source, run)
    for i in range(len(draft_tokens) - run + 1):
        if tuple(draft_tokens[i : i + run]) in grams:
            return " ".join(draft_tokens[i : i + run])
    return None


def check_output(
    draft_text: str,
    *,
    forbidden: Sequence[str] = (),
    allowed_urls: Collection[str] = (),
    allowed_contacts: Collection[str] = (),
    system_texts: Sequence[str] = (),
    persona_markers: Sequence[str] = (),
    min_leak_words: int = 8,
) -> list[OutputFinding]:
    """Check a draft for the traces a successful injection leaves.

    Args:
        draft_text: The draft reply.
        forbidden: Strings the draft must not contain, e.g. :func:`payload_strings` of the
            ticket; matched ignoring case and punctuation.
        allowed_urls: URLs or host names the draft may link to (from the KB and the brand's
            settings); subdomains of an allowed host are allowed.
        allowed_contacts: Email addresses and phone numbers the draft may give.
        system_texts: The system prompt, policies and other text that must not leak.
        persona_markers: Extra strings that show the model left its support persona; added to
            the built-in list (``[DAN]``, "as an AI language model", "Developer Mode enabled", …).
        min_leak_words: How many words in a row shared with a system text count as a leak.

    Returns:
        The findings, empty for a clean draft.
    """
    findings: list[OutputFinding] = []
    draft_tokens = _TOKEN.findall(_normalize(draft_text)[0])
    for source in system_texts:
        shared = _shared_run(draft_tokens, source, min_leak_words)
        if shared:
            findings.append(
                OutputFinding("prompt_leak", f"The draft repeats system text verbatim: “{shared}…”.")
            )
            break
    hosts = {_host(u) for u in allowed_urls if u.strip()}
    for m in _URL.finditer(draft_text):
        host = _host(m.group().rstrip(".,;:!?"))
        if "@" in draft_text[max(0, m.start() - 1) : m.start()]:
            continue  # the domain of an email address; checked as a contact below
        if host and not _host_allowed(host, hosts):
            findings.append(
                OutputFinding("foreign_link", f"The draft links to {host}, which is not allowed.")
            )
    if _IMAGE_MARKDOWN.search(draft_text):
        findings.append(OutputFinding("foreign_link", "The draft embeds a Markdown image."))
    emails = {c.strip().lower() for c in allowed_contacts if "@" in c}
    phones = {_digits(c) for c in allowed_contacts if "@" not in c and len(_digits(c)) >= 6}
    for m in _EMAIL.finditer(draft_text):
        if m.group().lower() not in emails:
            findings.append(
                OutputFinding(
                    "foreign_contact", f"The draft gives an email address not allowed: {m.group()}."
                )
            )
    for m in _PHONE.finditer(draft_text):
        number = _digits(m.group())
        looks_like_phone = m.group().startswith(("+", "00", "(")) or len(re.findall(r"[ .-]", m.group())) >= 2
        if 8 <= len(number) <= 15 and looks_like_phone and not any(number.endswith(p[-9:]) for p in phones):
            findings.append(
                OutputFinding("foreign_contact", f"The draft gives a phone number not allowed: {m.group()}.")
            )
    loose_draft = _loose(draft_text)
    for bad in forbidden:
        needle = _loose(bad)
        if needle.strip() and needle in loose_draft:
            findings.append(
                OutputFinding("attack_payload", f"The draft contains text the attacker asked for: “{bad}”.")
            )
    for marker in (*_raw_cues()["_persona_markers"], *persona_markers):
        # Upper-case markers (DAN:, STAN:) are matched as written so that "Hi Dan," is fine.
        hit = marker in draft_text if marker.upper() == marker else marker.casefold() in draft_text.casefold()
        if hit:
            findings.append(
                OutputFinding("persona_broken", f"The draft leaves the support persona: “{marker}”.")
            )
            break
    return findings
