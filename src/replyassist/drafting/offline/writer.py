"""Write one reply: plan the moves, pick the answer, fit it to the channel, sign it."""

from __future__ import annotations

import re
from dataclasses import replace

from replyassist.channels import Format, SignOff, fit_to_profile
from replyassist.drafting.base import ComposeRequest, Composition
from replyassist.drafting.offline.extract import Candidate, base_language, candidates, choose
from replyassist.drafting.offline.layout import Pieces, assemble
from replyassist.drafting.offline.markdown import Unit
from replyassist.drafting.offline.phrasebook import Phrasebook
from replyassist.drafting.offline.plan import (
    Move,
    Reading,
    customer_words,
    has_cue,
    plan_empathy,
    read_request,
    risks_of,
)
from replyassist.models import ComplaintType, Decision, DraftWarning, SearchHit

__all__ = ["Writer"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_OPTIONAL_CLOSINGS = ("next_reply_here",)


class Writer:
    """Writes the reply for one request with one phrase bank (not reused across requests)."""

    def __init__(
        self,
        request: ComposeRequest,
        book: Phrasebook,
        english: Phrasebook,
        passage_books: dict[str, Phrasebook],
        warnings: list[DraftWarning],
    ) -> None:
        self.request = request
        self.book = book
        self.english = english
        self.passage_books = passage_books
        self.warnings = warnings
        self.profile = request.profile
        self.policy = request.policy
        self.fmt = request.profile.format
        self.tone = request.policy.tone
        last = request.ticket.last_customer_message
        self.seed = request.ticket.id or (last.body if last else "") or (request.ticket.subject or "")
        self.name = _first_name(request.ticket.customer.first_name)
        self.closing_slots: list[str] = []
        self.reading: Reading | None = None
        self.light_opener = False

    # -- words -------------------------------------------------------------------------------

    def say(self, slot: str, **values: str) -> str:
        return self.book.render(self.tone, slot, self.seed, **values)

    def entry(self, table: str, key: str | None) -> str | None:
        return self.book.entry(self.tone, table, key) if key else None

    def _move(self, move: Move) -> str:
        values = dict(move.values)
        if "fault" in values:
            values["fault"] = self.entry("faults", values["fault"]) or self.entry("faults", "generic") or ""
        return self.say(move.slot, **values)

    def _team(self) -> str:
        brand = self.policy.brand
        return self.say("team_name", brand=brand) if brand else self.say("team_name_generic")

    def greeting(self) -> str:
        if not self.profile.greeting or self.fmt is Format.CALL_NOTE:
            return ""
        kind = "greeting_line" if self.fmt is Format.PARAGRAPHS else "greeting_inline"
        return self.say(kind, name=self.name) if self.name else self.say(f"{kind}_noname")

    def sign_off(self) -> str:
        style, policy = self.profile.sign_off, self.policy
        if self.fmt is Format.CALL_NOTE or style is SignOff.NONE:
            return ""
        if style is SignOff.INITIALS:
            return f"^{policy.agent_initials}" if policy.agent_initials else ""
        if style is SignOff.FIRST_NAME:
            return f"{self.book.style('sign_dash')}{policy.agent_first_name or self._team()}"
        # A legal, safety or privacy escalation is signed soberly, whatever the brand's tone.
        grave = self.request.decision is Decision.ESCALATE and bool(risks_of(self.request))
        closing = self.book.render("formal" if grave else self.tone, "closing", self.seed)
        lines = [closing]
        if policy.agent_name:
            lines += [policy.agent_name.strip(), *([s] if (s := policy.signature or policy.brand) else [])]
        else:
            lines += [self._team(), *([policy.signature] if policy.signature else [])]
        return "\n".join(line for line in lines if line)

    # -- the reply ---------------------------------------------------------------------------

    def write(self) -> Composition:
        req = self.request
        signals = req.signals
        thanks = signals.thanks_only and not (req.decision is Decision.REPLY and req.answering_hits)
        if req.decision is Decision.SKIP or (thanks and req.decision is Decision.REPLY):
            if thanks and (req.decision is Decision.REPLY or self.policy.reply_to_thanks):
                return self._thanks()
            return self._done("", "")
        # The search text adds English concept terms: what lets a Polish question pick the right
        # sentence of an English passage.
        cands, language, safety = self._candidates(f"{customer_words(req)}\n{req.query}", risks_of(req))
        top_hit: SearchHit | None = None
        if cands:  # the answer's own article names the topic ("your refund"), not just the first hit
            best = max(cands, key=lambda c: c.score)
            top_hit = next(h for h in req.answering_hits if h.passage.id == best.unit.passage_id)
        reading = read_request(
            req, self.book, self.english, self.passage_books, top_hit.passage.labels if top_hit else None
        )
        self.reading = reading
        subject = self._subject(reading)
        base = Pieces(
            greeting=self.greeting(),
            sign_off=self.sign_off(),
            name=self.name if self.fmt is Format.CALL_NOTE else "",
        )
        moves = plan_empathy(req, reading, subject)
        self.light_opener = all(m.slot.startswith("opener") for m in moves)
        base.empathy = [self._move(m) for m in moves]
        chosen: list[Candidate] = []
        pieces = base
        if cands and top_hit is not None:
            pieces = self._with_steps(base, reading, has_answer=True)
            intro = []
            if safety:
                intro.append(self.say("safety_advice"))
            if language != self.book.language:
                intro.append(self.say("foreign_source"))
            pieces.intro = self.book.style("joiner").join(intro)
            if self.policy.links and self.profile.links and top_hit.passage.url:
                url = top_hit.passage.url
                pieces.link = url if self.fmt is Format.CALL_NOTE else self.say("link_line", url=url)
            chosen, pieces = self._fit(pieces, cands)
        if not chosen:
            pieces = self._shorten(self._with_steps(base, reading, has_answer=False))
            used: list[str] = []
        else:
            pieces.answer = [c.unit for c in chosen]
            if (
                self.fmt is Format.PARAGRAPHS
                and not pieces.intro
                and chosen[0].unit.kind == "steps"
                and not chosen[0].unit.text
            ):
                pieces.intro = self.say("steps_intro")
            used = list(dict.fromkeys(c.unit.passage_id for c in chosen))
            article_of = {h.passage.id: h.passage.article_id for h in req.answering_hits}
            cited_articles = {article_of.get(pid) for pid in used}
            if pieces.link and top_hit is not None and top_hit.passage.article_id not in cited_articles:
                used.append(top_hit.passage.id)  # the link names its article: cite it
            if language != self.book.language:
                self.warnings.append(
                    DraftWarning(
                        code="kb_language_mismatch",
                        message=f"the answer quotes a knowledge-base passage in '{language}' while the reply is in "
                        f"'{self.book.language}'; translate it before sending",
                    )
                )
        text = assemble(pieces, self.fmt, self.book)
        return self._done(
            text,
            pieces.sign_off,
            used,
            move_to_private=reading.private is not None and any(s == "dm_invite" for s in self.closing_slots),
        )

    def _done(
        self, text: str, sign_off: str, used: list[str] | None = None, move_to_private: bool = False
    ) -> Composition:
        return Composition(
            text=text,
            sign_off=sign_off if text else "",
            used_passage_ids=used or [],
            move_to_private=move_to_private,
            warnings=self.warnings,
            language=self.book.language,
        )

    def _thanks(self) -> Composition:
        if self.fmt is Format.CALL_NOTE:
            return self._done("", "")
        if self.fmt is Format.PLAIN and self.name and self.profile.greeting:
            body = self.say("thanks_reply_name", name=self.name)
            pieces = Pieces(holding=[body], sign_off=self.sign_off())
        else:
            pieces = Pieces(
                greeting=self.greeting() if self.fmt is Format.PARAGRAPHS else "",
                holding=[self.say("thanks_reply")],
                sign_off=self.sign_off(),
            )
        return self._done(assemble(pieces, self.fmt, self.book), pieces.sign_off)

    def _subject(self, reading: Reading) -> str | None:
        topic = self.entry("topics", reading.topic)
        if reading.ref:
            base = topic or self.entry("topics", "generic") or ""
            return f"{base}{self.book.style('paren_open')}{reading.ref}{self.book.style('paren_close')}"
        return topic

    def _with_steps(self, base: Pieces, reading: Reading, *, has_answer: bool) -> Pieces:
        """The hand-over and next-step sentences, for a reply with or without an answer."""
        req, signals = self.request, self.request.signals
        slots: list[str] = []
        holding: list[str] = []
        dm = ["dm_invite"] if reading.private else []
        question = signals.is_question or signals.complaint_type is ComplaintType.QUESTION
        # A question of fact the KB cannot answer gets "I don't know yet"; a problem gets a hand-over.
        asking = question and signals.complaint_type in (ComplaintType.QUESTION, ComplaintType.PRAISE)
        if req.decision is Decision.ESCALATE:
            if not reading.risks and asking and not has_answer:
                holding = ["dont_know"]
            else:
                holding = ["escalate_team"] if dm else ["escalate_handover"]
            slots = dm
        elif has_answer:
            slots = dm or ["next_reply_here"]
        elif signals.complaint_type is ComplaintType.PRAISE and not question:
            holding = ["praise_close"]
        elif signals.complaint_type is ComplaintType.VENTING and not question:
            holding, slots = ([] if dm else ["offer_help"]), dm
        elif question:
            holding, slots = ["dont_know"], dm
        else:
            holding, slots = ([] if dm else ["ask_more"]), dm
        if self.fmt is Format.CALL_NOTE:
            # On the phone the agent says what happens next; "reply here" lines make no sense.
            holding = [h for h in holding if h in ("ask_more", "praise_close")]
            slots = ["call_next" if has_answer and req.decision is Decision.REPLY else "call_next_escalate"]
        self.closing_slots = slots
        return replace(
            base,
            empathy=list(base.empathy),
            holding=[self.say(s) for s in holding],
            closing=[self._closing(s, reading) for s in slots],
        )

    def _closing(self, slot: str, reading: Reading) -> str:
        if slot != "dm_invite":
            return self.say(slot)
        channel = self.profile.private_channel.value if self.profile.private_channel else "default"
        key = "order_known" if reading.private == "order" and reading.ref else reading.private
        details = self.entry("details", key) or self.entry("details", "generic") or ""
        return self.say("dm_invite", channel=self.book.channel(channel), details=details)

    # -- the answer ----------------------------------------------------------------------------

    def _candidates(self, query: str, risks: set[str]) -> tuple[list[Candidate], str, bool]:
        """Units that may be quoted, all in one language; and whether it is safety advice."""
        req, signals = self.request, self.request.signals
        safety = req.decision is Decision.ESCALATE and "safety" in risks
        if req.decision is Decision.ESCALATE and not safety:
            return [], self.book.language, False  # a holding reply states no facts
        if signals.complaint_type is ComplaintType.VENTING and not signals.is_question:
            return [], self.book.language, False  # listen, don't lecture
        hits = list(req.answering_hits)
        if not hits:
            return [], self.book.language, safety
        language = base_language(hits[0].passage.locale) or self.book.language
        same = [h for h in hits if (base_language(h.passage.locale) or self.book.language) == language]

        def stopwords(lang: str) -> frozenset[str]:
            bank = self.passage_books.get(lang) or (self.book if lang == self.book.language else None)
            return frozenset(bank.cues("stopwords")) if bank else frozenset()

        procedure = has_cue(query, self.book.cues("how_to") + self.english.cues("how_to"))
        cands = candidates(
            same,
            query,
            self.book.language,
            stopwords,
            lambda unit, lang: self._sanitize(unit, lang, safety),
            procedure=procedure,
        )
        return cands, language, safety

    def _cues(self, language: str, key: str) -> tuple[str, ...]:
        bank = self.passage_books.get(language)
        return (bank.cues(key) if bank else ()) + (self.english.cues(key) if bank is not self.english else ())

    def _sanitize(self, unit: Unit, language: str, safety: bool) -> Unit | None:
        """Drop what a reply must not say here; keep only instructions for safety advice."""
        if unit.kind == "sentence" and unit.text.rstrip().endswith(("?", "？")):
            return None  # a question heading-like sentence answers nothing
        if has_cue(unit.all_text, self._cues(language, "cross_ref")):
            return None

        def banned(text: str) -> bool:
            if self.profile.public and (
                _EMAIL.search(text)
                or _PHONE.search(text)
                or has_cue(text, self._cues(language, "channel_switch"))
            ):
                return True  # never send a public customer to a phone line, an inbox or a store
            return safety and not has_cue(text, self._cues(language, "action"))

        if unit.kind == "sentence":
            return None if banned(unit.text) else unit
        if self.profile.public and unit.text and banned(unit.text) and not safety:
            return None
        keep = [(i, item) for i, item in enumerate(unit.items) if not banned(item)]
        if not keep:
            return None
        numbers = tuple(unit.numbers[i] for i, _ in keep) if unit.numbers else ()
        lead = "" if safety else unit.text
        return replace(unit, text=lead, items=tuple(item for _, item in keep), numbers=numbers)

    def _shorten(self, pieces: Pieces) -> Pieces:
        """A reply without an answer that runs over the target says less around it."""
        profile = self.profile
        if profile.length(assemble(pieces, self.fmt, self.book)) <= profile.target_chars:
            return pieces
        return replace(pieces, empathy=self._lean_empathy(pieces.empathy))

    def _lean_empathy(self, empathy: list[str]) -> list[str]:
        """At most one empathy sentence: the one naming their reference, else the last (owning the fault).

        With a legal, safety or privacy risk the last one (the careful acknowledgement) always stays.
        """
        if self.light_opener:
            return []  # a neutral question needs no opener when space is short
        if len(empathy) < 2:
            return list(empathy)
        ref = self.reading.ref if self.reading else None
        risky = bool(self.reading and self.reading.risks)
        return [empathy[0]] if ref and ref in empathy[0] and not risky else [empathy[-1]]

    def _fit(self, pieces: Pieces, cands: list[Candidate]) -> tuple[list[Candidate], Pieces]:
        """Choose units so the reply stays near the channel's target, relaxing step by step."""
        profile = self.profile
        public_plain = self.fmt is Format.PLAIN and profile.public
        max_units = {Format.PARAGRAPHS: 4, Format.CALL_NOTE: 4}.get(self.fmt, 2 if public_plain else 3)
        max_passages = max(1, self.policy.max_citations)
        min_ratio = 0.65 if public_plain else 0.5 if self.fmt is Format.PLAIN else 0.45

        def attempt(
            p: Pieces, budget: float, units: int = max_units, thread: bool = False
        ) -> list[Candidate]:
            def fits(trial: list[Candidate]) -> bool:
                text = assemble(replace(p, answer=[c.unit for c in trial]), self.fmt, self.book)
                if thread:  # exactly what the pipeline will do: split into numbered parts
                    body = text[: -len(p.sign_off)].rstrip() if p.sign_off else text
                    fitted = fit_to_profile(body, profile, keep_last=p.sign_off)
                    return not fitted.trimmed
                return profile.length(text) <= budget

            return choose(cands, fits, max_units=units, max_passages=max_passages, min_ratio=min_ratio)

        if chosen := attempt(pieces, profile.target_chars):
            return chosen, pieces
        # Too long: first say less around the answer (one empathy sentence, no link, no "reply here").
        lean = replace(pieces, empathy=self._lean_empathy(pieces.empathy))
        for step in range(3):
            if step == 1:
                lean.link = ""
            if step == 2:
                lean.closing = [
                    c
                    for c, s in zip(lean.closing, self.closing_slots, strict=False)
                    if s not in _OPTIONAL_CLOSINGS
                ]
            if chosen := attempt(lean, profile.target_chars):
                return chosen, lean
        if profile.max_chars is None:
            return attempt(pieces, float("inf")), pieces
        if chosen := attempt(lean, profile.max_chars * (1.0 if profile.max_parts > 1 else 0.95)):
            return chosen, lean
        if profile.max_parts > 1:  # a short thread (X) rather than no answer
            units = min(max_units, profile.max_parts - 1)
            if chosen := attempt(pieces, 0, units, thread=True):
                return chosen, pieces
            return attempt(lean, 0, units, thread=True), lean
        return [], pieces


def _first_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 40 or re.search(r"[\d@/:]", name):
        return ""
    return name
