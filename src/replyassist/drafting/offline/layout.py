"""Put the pieces of a reply into the shape of its channel: email, one social block, or a call note."""

from __future__ import annotations

from dataclasses import dataclass, field

from replyassist.channels import Format
from replyassist.drafting.offline.markdown import Unit, has_cjk
from replyassist.drafting.offline.phrasebook import Phrasebook

__all__ = ["Pieces", "assemble", "render_unit"]

_ENDS = ".!?。！？:：…"


@dataclass
class Pieces:
    """The sentences of a reply, by role, before layout.

    Attributes:
        greeting: the greeting (a line in email, inline elsewhere).
        empathy: acknowledgement and apology sentences.
        intro: a lead-in to the answer (steps, a quoted notice, a passage in another language).
        answer: the passage units the reply quotes.
        link: "More here: <url>".
        holding: what stands in for an answer (a hand-over, "I don't know yet", an offer to help).
        closing: the next step (a private-channel invitation, "reply here if…").
        sign_off: the trailing signature text.
        name: the customer's first name (call notes only).
    """

    greeting: str = ""
    empathy: list[str] = field(default_factory=list)
    intro: str = ""
    answer: list[Unit] = field(default_factory=list)
    link: str = ""
    holding: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    sign_off: str = ""
    name: str = ""


def _end(text: str) -> str:
    """Make sure a sentence ends with punctuation (list items often do not)."""
    text = text.rstrip().rstrip(";,；，、")
    if not text or text[-1] in _ENDS:
        return text
    if text[-1] in "\"'”’»)）」" and len(text) > 1 and text[-2] in _ENDS:
        return text  # "(… in stock.)" or a quoted sentence already ends
    return text + ("。" if has_cjk(text) else ".")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_unit(unit: Unit, fmt: Format) -> str:
    """A unit as plain text; numbered steps stay as short numbered lines in email."""
    items = [i.strip() for i in unit.items if i.strip()]
    if unit.kind == "sentence":
        return _end(unit.text)
    if unit.kind == "steps":
        lead = unit.text.strip()
        if fmt is Format.PARAGRAPHS:
            marks = [f"{n}." for n in unit.numbers] if len(unit.numbers) == len(items) else ["•"] * len(items)
            return "\n".join(
                [*([lead] if lead else []), *(f"{m} {_end(i)}" for m, i in zip(marks, items, strict=True))]
            )
        return " ".join([*([lead] if lead else []), *(_end(_cap(i)) for i in items)])
    cjk = has_cjk(unit.all_text)
    body = ("；" if cjk else "; ").join(i.rstrip(" ;,.。；") for i in items)
    lead = unit.text.strip()
    if not lead:
        return _end(_cap(body))
    if lead[-1] in ":：":
        return _end(f"{lead}{'' if cjk else ' '}{body}")
    return _end(f"{lead}{'：' if cjk else ': '}{body}")


def _join(parts: list[str], joiner: str) -> str:
    """Join sentences with the language's joiner.

    Chinese and Japanese join without spaces, but a URL, or two sentences in a Latin script
    (a quoted passage in English), still need one.
    """
    out = ""
    for part in (p for p in parts if p):
        glue = joiner if out else ""
        if (
            out
            and not joiner
            and (
                "://" in part or "://" in out.rsplit(" ", 1)[-1] or not (has_cjk(out[-1]) or has_cjk(part[0]))
            )
        ):
            glue = " "
        out += glue + part
    return out


def assemble(p: Pieces, fmt: Format, book: Phrasebook) -> str:
    """The reply text in the channel's format, sign-off included."""
    joiner = book.style("joiner")
    rendered = [render_unit(u, fmt) for u in p.answer]
    if fmt is Format.CALL_NOTE:
        lines = []
        if p.name:
            lines.append(f"{book.label('note_call')}{book.style('colon')}{p.name}")
        if p.empathy:
            lines.append(f"{book.label('note_acknowledge')}{book.style('colon')}{_join(p.empathy, joiner)}")
        points = [*([p.intro] if p.intro and rendered else []), *rendered, *p.holding]
        if points:
            lines.append(f"{book.label('note_answer')}{book.style('colon').rstrip()}")
            lines.extend(f"• {' '.join(pt.split())}" for pt in points)
        if p.link:
            lines.append(f"{book.label('note_link')}{book.style('colon')}{p.link}")
        if p.closing:
            lines.append(f"{book.label('note_next')}{book.style('colon')}{_join(p.closing, joiner)}")
        return "\n".join(lines)
    if fmt is Format.PARAGRAPHS:
        answer_lines: list[str] = []
        paragraph: list[str] = [p.intro] if p.intro and rendered else []
        for unit, text in zip(p.answer, rendered, strict=True):
            if unit.kind == "steps":
                if paragraph:
                    answer_lines.append(_join(paragraph, joiner))
                    paragraph = []
                answer_lines.append(text)
            else:
                paragraph.append(text)
        if paragraph:
            answer_lines.append(_join(paragraph, joiner))
        if p.link:
            answer_lines.append(p.link)
        blocks = [
            p.greeting,
            _join(p.empathy, joiner),
            "\n".join(answer_lines),
            _join([*p.holding, *p.closing], joiner),
            p.sign_off,
        ]
        return "\n\n".join(b for b in blocks if b)
    body = _join(
        [p.greeting, *p.empathy, *([p.intro] if rendered else []), *rendered, p.link, *p.holding, *p.closing],
        joiner,
    )
    return f"{body} {p.sign_off}".strip() if p.sign_off else body
