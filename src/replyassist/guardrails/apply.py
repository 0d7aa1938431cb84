"""How the drafting pipeline applies the guardrails.

Before the composer: private data is masked in what a language model would see (the
customer's messages, agent notes and KB passages), and instruction-like text in the
customer's messages is detected. After it: the text is checked for what an attack asked
for, for leaked prompt text, for links and contacts nobody gave, for claims and promises
the cited passages do not support. Each check is a small unit of its own module; this one
only wires them and turns their findings into draft warnings.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from replyassist._resources import prompts_dir
from replyassist._text import html_to_text
from replyassist.models import DraftWarning, Message, Role, SearchHit, Ticket

if TYPE_CHECKING:
    from replyassist.drafting.base import ComposeRequest
    from replyassist.guardrails.injection import InjectionReport
    from replyassist.guardrails.masking import MaskVault

__all__ = ["InputGuard", "OutputReview", "guard_input", "mask_request", "review_output"]


@dataclass
class InputGuard:
    """What the input checks found, carried to the output checks."""

    injection: InjectionReport | None = None
    kb_attack: bool = False
    forbidden: list[str] = field(default_factory=list)
    warnings: list[DraftWarning] = field(default_factory=list)

    @property
    def attack(self) -> bool:
        return self.injection is not None and self.injection.is_attack

    @property
    def whole_attack(self) -> bool:
        return self.injection is not None and self.injection.is_attack and self.injection.whole_message


def guard_input(
    ticket: Ticket, language: str, checks: Collection[str], *, hits: Sequence[SearchHit] = ()
) -> InputGuard:
    """Look for injection attempts in the customer's messages (quoted text included) and in the
    retrieved KB passages; what an attack asks to be printed becomes forbidden in the draft."""
    guard = InputGuard()
    if "injection" not in checks:
        return guard
    from replyassist.guardrails.injection import detect_injection, payload_strings

    for h in hits:
        payloads = _passage_attack(h.passage.text)
        if payloads is not None:
            guard.forbidden.extend(payloads)
            guard.kb_attack = True
            guard.warnings.append(
                DraftWarning(
                    code="kb_injection",
                    message=f"the KB passage {h.passage.id!r} contains instruction-like text: "
                    "it was treated as data; check the article",
                )
            )

    customer = [m for m in ticket.messages if m.author is Role.CUSTOMER][-3:]
    if not customer:
        return guard
    texts = [_bounded_body(m) for m in customer]
    last = detect_injection(texts[-1], language)
    reports = [last] + [detect_injection(t, language) for t in texts[:-1]]
    worst = next((r for r in reports if r.is_attack), last)
    guard.injection = worst if worst.is_attack else last
    if worst.is_attack:
        for text in texts:
            guard.forbidden.extend(payload_strings(text))
        kinds = ", ".join(worst.kinds) or "instructions"
        guard.warnings.append(
            DraftWarning(
                code="injection_attempt",
                message=f"the customer's message contains text that tries to instruct the drafter ({kinds}); "
                "it was treated as data",
            )
        )
    return guard


_SCAN_CHARS = 50_000


@lru_cache(maxsize=8192)
def _passage_attack(text: str) -> tuple[str, ...] | None:
    """The payloads of an attack planted in a KB passage, ``None`` if it holds none.

    Passages are the same from draft to draft, and a long one costs milliseconds to scan: each
    text is scanned once. (Detection does not depend on the language argument.)
    """
    from replyassist.guardrails.injection import detect_injection, payload_strings

    if not detect_injection(text).is_attack:
        return None
    return tuple(payload_strings(text))


def _bounded_body(message: Message) -> str:
    """The message as text, quoted history included, cut to what a scan needs (1 MB HTML exists)."""
    if message.text.strip():
        return message.text[:_SCAN_CHARS]
    return html_to_text((message.html or "")[: _SCAN_CHARS * 4])[:_SCAN_CHARS]


def mask_request(request: ComposeRequest) -> tuple[ComposeRequest, MaskVault]:
    """The request with private data replaced by placeholders, and the vault to put values back."""
    from replyassist.guardrails.masking import MaskVault, mask, mask_passage

    vault = MaskVault()

    def masked(text: str) -> str:
        return mask(text, vault=vault).text if text else text

    messages = [m.model_copy(update={"text": masked(m.body), "html": None}) for m in request.ticket.messages]
    ticket = request.ticket.model_copy(
        update={
            "messages": messages,
            "subject": masked(request.ticket.subject or "") or request.ticket.subject,
        }
    )

    def hit(h: SearchHit) -> SearchHit:
        return h.model_copy(
            update={
                "passage": h.passage.model_copy(
                    update={"text": mask_passage(h.passage.text, vault=vault).text}
                )
            }
        )

    hits = [hit(h) for h in request.hits]
    by_id = {h.passage.id: h for h in hits}
    answering = [by_id.get(h.passage.id, hit(h)) for h in request.answering_hits]
    return replace(request, ticket=ticket, hits=hits, answering_hits=answering), vault


def allowed_urls(hits: Sequence[SearchHit]) -> set[str]:
    """Hosts a draft may link to: the retrieved articles'. Links the customer sent are not endorsed."""
    hosts: set[str] = set()
    for url in (h.passage.url for h in hits):
        if url:
            host = urlparse(url if "://" in url else f"https://{url}").hostname
            if host:
                hosts.add(host.lower())
    return hosts


@dataclass
class OutputReview:
    """The draft text after the output checks, and what they found."""

    text: str
    warnings: list[DraftWarning] = field(default_factory=list)
    escalate_reason: str | None = None
    untrusted: bool = False
    """The text did what an attack asked (or leaked the prompt): it must not be used."""


def review_output(
    text: str,
    *,
    hits: Sequence[SearchHit],
    ticket: Ticket,
    language: str,
    checks: Collection[str],
    guard: InputGuard,
    names: Sequence[str] = (),
) -> OutputReview:
    """Run the output checks on a composed draft (before it is fitted to the channel).

    ``names`` are the customer's, the agent's and the brand's: a greeting or a sign-off that
    names someone states no fact, even when the name reads as a month or a weekday ("Marco",
    "Domingo").
    """
    review = OutputReview(text)
    if not text.strip():
        return review
    conversation = [m.body for m in ticket.messages]
    if "output" in checks:
        from replyassist.guardrails.injection import check_output

        passage_texts = [h.passage.text for h in hits]
        findings = check_output(
            text,
            forbidden=guard.forbidden,
            allowed_urls=allowed_urls(hits),
            # Contact details from an attack's own text are not the customer's: then only the KB's count.
            allowed_contacts=_contacts(passage_texts, [] if guard.attack else conversation),
            system_texts=_system_texts(),
        )
        for finding in findings:
            review.warnings.append(DraftWarning(code=finding.code, message=finding.message))
        # Each of these is what a successful injection leaves behind: the text cannot be trusted.
        review.untrusted = any(f.code in _UNTRUSTED for f in findings)
        if review.untrusted:
            return review
    if "tone" in checks:
        from replyassist.guardrails.tone import check_tone

        for tone in check_tone(review.text, language=language if language in _TONE_LANGUAGES else "en"):
            review.warnings.append(DraftWarning(code=tone.code, message=tone.message))
    if "grounding" in checks or "promises" in checks:
        from replyassist.guardrails.grounding import check_grounding, check_promises

        passages = [h.passage for h in hits]
        if "grounding" in checks:
            result = check_grounding(
                review.text,
                passages=passages,
                conversation=conversation,
                language=language,
                allowed=names,
            )
            review.text = result.text
            review.warnings.extend(f.to_warning() for f in result.findings)
            if result.core_unsupported:
                review.escalate_reason = (
                    "the draft's facts are not supported by the knowledge base: a person should answer"
                )
        else:
            promises = check_promises(
                review.text, passages=passages, conversation=conversation, language=language
            )
            review.warnings.extend(f.to_warning() for f in promises)
    return review


_TONE_LANGUAGES = frozenset({"en", "es", "fr", "de", "pt", "it", "nl", "pl", "vi", "zh", "id", "ja"})
_UNTRUSTED = frozenset({"prompt_leak", "attack_payload", "persona_broken", "foreign_link", "foreign_contact"})


def _contacts(passages: Sequence[str], conversation: Sequence[str]) -> set[str]:
    """Emails and phone numbers given in the KB passages or the conversation."""
    from replyassist.guardrails.masking import mask, mask_passage

    scanned = [(t, mask_passage(t, kinds=_CONTACT_KINDS)) for t in passages]
    scanned += [(t, mask(t, kinds=_CONTACT_KINDS)) for t in conversation]
    return {text[span.start : span.end] for text, result in scanned for span in result.found}


_CONTACT_KINDS = ("email", "phone")


@cache
def _system_texts() -> tuple[str, ...]:
    """The model prompts' own text, which a draft must never repeat."""
    folder = prompts_dir() / "llm"
    return (
        tuple(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))) if folder.is_dir() else ()
    )
