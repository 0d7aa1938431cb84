"""The drafting pipeline: signals → retrieve → decide → compose → fit and cite → Draft."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from replyassist._errors import ConfigurationError, InvalidTicketError
from replyassist._text import strip_quoted, truncate
from replyassist.channels import ChannelProfile, FitResult, fit_to_profile
from replyassist.drafting.base import Composer, ComposeRequest, Composition
from replyassist.drafting.decide import decide
from replyassist.drafting.query import SearchQuery, answering_hits, build_query
from replyassist.guardrails.apply import InputGuard, guard_input, mask_request, review_output
from replyassist.guardrails.masking import MaskVault
from replyassist.models import (
    Channel,
    Citation,
    Decision,
    Draft,
    DraftWarning,
    Message,
    Passage,
    Role,
    SearchHit,
    Signals,
    Ticket,
    Timings,
)
from replyassist.policy import Policy

__all__ = ["ReplyAssistant", "adraft_reply", "draft_reply", "rephrase", "summarize"]

TicketLike = Ticket | Mapping[str, Any] | str
PolicyLike = Policy | Mapping[str, Any] | None
T = TypeVar("T")

# Past these sizes a message is cut for analysis (the ticket itself is left untouched):
# no reply needs more, and parsing megabytes of HTML would stall the draft.
MAX_MESSAGE_CHARS = 20_000
MAX_HTML_CHARS = 200_000
# Only the most recent messages matter for the reply; older ones are not analysed.
MAX_MESSAGES = 50


@dataclass
class _Analysed:
    ticket: Ticket
    warnings: list[DraftWarning]
    policy: Policy
    signals: Signals
    language: str
    search_args: dict[str, Any]
    started: float
    analysed: float
    query: SearchQuery
    raw: Ticket | None = None
    """The ticket as given (quoted history and all): scanned for injection, never analysed."""


@dataclass
class _Prepared:
    ticket: Ticket
    signals: Signals
    hits: list[SearchHit]
    answering: list[SearchHit]
    profile: ChannelProfile
    policy: Policy
    decision: Decision
    reasons: list[str]
    language: str
    warnings: list[DraftWarning]
    timings: Timings
    started: float
    query: str = ""
    guard: InputGuard = field(default_factory=InputGuard)
    composer: Any = None
    """Who writes this draft: the assistant's composer, or the offline one when the input is an attack."""
    masked: ComposeRequest | None = None
    vault: MaskVault | None = None

    def request(self) -> ComposeRequest:
        """What the composer gets: with private data masked when a model will read it."""
        return self.masked or self.plain_request()

    def plain_request(self) -> ComposeRequest:
        return ComposeRequest(
            ticket=self.ticket,
            signals=self.signals,
            hits=self.hits,
            answering_hits=self.answering,
            profile=self.profile,
            policy=self.policy,
            decision=self.decision,
            reasons=self.reasons,
            language=self.language,
            query=self.query,
        )


class ReplyAssistant:
    """Drafts replies to tickets for one brand. Build it once and reuse it.

    Args:
        kb: a ``KnowledgeBase`` (or any ``KnowledgeSource``), or a path: a folder saved with
            ``KnowledgeBase.save`` or a folder of articles. ``None`` drafts without a KB
            (questions of fact are then escalated, never answered from thin air).
        llm: the composer that writes the text. ``None`` uses the offline composer.
        policy: the brand's policy, or a dict of its fields.

    Example:
        >>> assistant = ReplyAssistant("examples/kb", policy={"brand": "Pinecone", "agent_name": "Ana"})
        >>> draft = assistant.draft(Ticket.from_text("Where is my order?", channel="email"))
    """

    def __init__(self, kb: Any = None, *, llm: Any = None, policy: PolicyLike = None) -> None:
        self.kb = _resolve_kb(kb)
        self.composer: Composer = _resolve_composer(llm)
        self.policy = Policy().merged(dict(policy) if isinstance(policy, Mapping) else policy)
        self._offline_composer: Any = None

    def _offline(self) -> Any:
        """The offline composer, for the safety fallbacks (made once, on first need)."""
        if self._offline_composer is None:
            from replyassist.drafting.offline import OfflineComposer

            self._offline_composer = self.composer if self.composer.name == "offline" else OfflineComposer()
        return self._offline_composer

    def __repr__(self) -> str:
        return (
            f"ReplyAssistant(kb={type(self.kb).__name__ if self.kb is not None else None}, "
            f"composer={self.composer.name!r}, brand={self.policy.brand!r})"
        )

    def draft(self, ticket: TicketLike, *, policy: PolicyLike = None) -> Draft:
        """Draft a reply to ``ticket`` (a ``Ticket``, its dict or JSON form, or a plain message)."""
        prepared = self._prepare(ticket, policy)
        started = time.perf_counter()
        compose = getattr(prepared.composer, "compose", None)
        if callable(compose):
            composition = compose(prepared.request())
        else:
            composition = _run_sync(lambda: prepared.composer.acompose(prepared.request()))
        return self._finish(prepared, composition, started)

    async def adraft(self, ticket: TicketLike, *, policy: PolicyLike = None) -> Draft:
        """Draft a reply without blocking the event loop (see :meth:`draft`)."""
        prepared = await self._aprepare(ticket, policy)
        started = time.perf_counter()
        composition = await prepared.composer.acompose(prepared.request())
        return self._finish(prepared, composition, started)

    # -- steps -------------------------------------------------------------------------------------

    async def _aprepare(self, ticket: TicketLike, policy: PolicyLike) -> _Prepared:
        step = self._analyse(ticket, policy)
        # Retrieval may be remote (a wrapped LangChain retriever): await it.
        hits = await self.kb.asearch(**step.search_args) if self.kb is not None else []
        return self._decide(step, hits)

    def _prepare(self, ticket: TicketLike, policy: PolicyLike) -> _Prepared:
        step = self._analyse(ticket, policy)
        hits = self.kb.search(**step.search_args) if self.kb is not None else []
        return self._decide(step, hits)

    def _analyse(self, ticket: TicketLike, policy: PolicyLike) -> _Analysed:
        from replyassist.signals import analyze

        policy_obj = self.policy.merged(dict(policy) if isinstance(policy, Mapping) else policy)
        raw = _parse_ticket(ticket)
        cleaned, warnings = _clean_ticket(raw)
        started = time.perf_counter()
        signals = analyze(
            cleaned,
            brand_names=[policy_obj.brand] if policy_obj.brand else [],
            brand_handles=list(policy_obj.brand_handles),
        )
        language = policy_obj.language or signals.language
        # Built once: its text is what the KB is searched with, its concepts judge the answers.
        query = build_query(cleaned, signals)
        search_args = {
            "query": query.text,
            "k": policy_obj.search_k,
            "language": language,
            "locale": language,
        }
        return _Analysed(
            cleaned,
            warnings,
            policy_obj,
            signals,
            language,
            search_args,
            started,
            time.perf_counter(),
            query,
            raw=raw,
        )

    def _decide(self, step: _Analysed, hits: list[SearchHit]) -> _Prepared:
        policy, ticket, warnings = step.policy, step.ticket, step.warnings
        answering = answering_hits(step.query, hits, policy.min_coverage)
        if self.kb is None:
            warnings.append(
                DraftWarning(
                    code="no_knowledge_base",
                    message="no knowledge base was given: nothing could be looked up",
                )
            )
        decision, reasons = decide(
            step.signals,
            answering,
            public_channel=ticket.channel.is_public,
            escalate_when_kb_silent=policy.escalate_when_kb_silent,
        )
        # Only the answering passages reach the composer (and a model): those are the ones to scan.
        guard = guard_input(step.raw or ticket, step.language, policy.guardrails, hits=answering)
        warnings.extend(guard.warnings)
        # An attempt to instruct the drafter is shown to a person on every channel where the brand
        # is addressed (a DM, a chat, an email, a post at the brand), also when it reads as spam:
        # the attack is the more specific finding. A public post not addressed to the brand stays
        # unanswered, as any such post.
        unaddressed = ticket.channel.is_public and not step.signals.addressed_to_brand
        if guard.whole_attack and not unaddressed:
            decision = Decision.ESCALATE
            reasons = [
                "the message is an attempt to instruct the drafter, with no support request: a person should look"
            ]
        timings = Timings(
            signals_ms=(step.analysed - step.started) * 1000,
            retrieval_ms=(time.perf_counter() - step.analysed) * 1000,
        )
        prepared = _Prepared(
            ticket=ticket,
            signals=step.signals,
            hits=hits,
            answering=answering,
            profile=policy.profile_for(ticket.channel),
            policy=policy,
            decision=decision,
            reasons=reasons,
            language=step.language,
            warnings=warnings,
            timings=timings,
            started=step.started,
            query=step.query.text,
            guard=guard,
        )
        prepared.composer = self.composer
        if guard.attack and self.composer.name != "offline":
            # A model could be steered by the attack; the offline composer cannot. A bad reply is
            # worse than a plainer one.
            prepared.composer = self._offline()
            prepared.warnings.append(
                DraftWarning(
                    code="offline_for_safety",
                    message="written by the offline composer because the message tries to instruct the drafter",
                )
            )
        if "mask" in policy.guardrails and prepared.composer.name != "offline":
            # Only what leaves the process is masked: the offline composer sends nothing anywhere.
            prepared.masked, prepared.vault = mask_request(prepared.plain_request())
        return prepared

    def _finish(self, prepared: _Prepared, composition: Composition, compose_started: float) -> Draft:
        t_check = time.perf_counter()
        timings = prepared.timings
        timings.compose_ms = (t_check - compose_started) * 1000
        draft = Draft(
            ticket_id=prepared.ticket.id,
            decision=prepared.decision,
            reasons=list(prepared.reasons),
            language=composition.language or prepared.language,
            channel=prepared.ticket.channel,
            signals=prepared.signals,
            composer=composition.composer or prepared.composer.name,
            usage=composition.usage,
            warnings=list(prepared.warnings),
            move_to_private=composition.move_to_private,
        )
        for warning in composition.warnings:
            draft.warn(warning.code, warning.message)
        text = composition.text.strip()
        if prepared.vault is not None:
            draft.masked = prepared.vault.counts()
            # The customer's own contact details may come back in a private reply; never in public,
            # and a card number only ever as its last four digits.
            allow = () if prepared.profile.public else ("email", "phone", "address")
            text = prepared.vault.unmask(text, allow=allow)
        review = review_output(
            text,
            hits=prepared.hits,
            ticket=prepared.ticket,
            language=draft.language,
            checks=prepared.policy.guardrails,
            guard=prepared.guard,
            names=_names(prepared.ticket, prepared.policy),
        )
        if review.untrusted and draft.composer != "offline":
            # The model did what an attack (or a leak) asked: its text is dropped and the offline
            # composer, which no customer text can steer, writes the draft instead.
            for warning in review.warnings:
                draft.warn(warning.code, warning.message)
            draft.warn(
                "output_blocked",
                "the model's draft was blocked by the safety checks; the offline draft is shown",
            )
            draft.composer = "offline"
            offline = self._offline().compose(prepared.plain_request())
            composition = offline
            draft.move_to_private = offline.move_to_private
            review = review_output(
                offline.text,
                hits=prepared.hits,
                ticket=prepared.ticket,
                language=draft.language,
                checks=prepared.policy.guardrails - {"output"},
                guard=prepared.guard,
                names=_names(prepared.ticket, prepared.policy),
            )
        text = review.text.strip()
        for warning in review.warnings:
            draft.warn(warning.code, warning.message)
        if review.escalate_reason and draft.decision is Decision.REPLY:
            draft.decision = Decision.ESCALATE
            draft.reasons = [review.escalate_reason]
        if text:
            sign_off = composition.sign_off.strip()
            if prepared.profile.fits(text):
                # Within the limit the composer's layout (line breaks before a signature) stays.
                fitted = FitResult(text, [text])
            else:
                body = text[: -len(sign_off)].rstrip() if sign_off and text.endswith(sign_off) else text
                fitted = fit_to_profile(body, prepared.profile, keep_last=sign_off if body != text else "")
            draft.text, draft.parts = fitted.text, fitted.parts
            if fitted.trimmed:
                draft.warn(
                    "trimmed_for_channel",
                    f"the reply was shortened to fit {prepared.profile.label}; check nothing needed was cut",
                )
            for note in fitted.notes:
                draft.warn("channel_format", note)
        elif prepared.decision is not Decision.SKIP:
            draft.warn("empty_draft", "the composer wrote nothing: write this reply yourself")
        draft.citations = _citations(composition.used_passage_ids, prepared.hits, prepared.policy, draft)
        timings.check_ms = (time.perf_counter() - t_check) * 1000
        timings.total_ms = (time.perf_counter() - prepared.started) * 1000
        draft.timings = timings
        return draft

    # -- streaming, rephrasing and summaries ---------------------------------------------------------

    async def astream(self, ticket: TicketLike, *, policy: PolicyLike = None) -> AsyncIterator[str | Draft]:
        """Yield the reply text as it is written, then the final, checked ``Draft``.

        A model's text comes as the model writes it; the offline composer's finished text comes
        in a few pieces. The ``Draft``, always last, is what counts: it is fitted to the channel,
        its citations are checked, and when the model failed mid-way the offline composer wrote
        it (``composer == "offline"``, warning ``model_fallback``).
        """
        from replyassist.drafting.llm._sync import pieces_of

        prepared = await self._aprepare(ticket, policy)
        started = time.perf_counter()
        streamer = getattr(prepared.composer, "astream_compose", None)
        if not callable(streamer):
            draft = self._finish(prepared, await prepared.composer.acompose(prepared.request()), started)
            for piece in pieces_of(draft.text):
                yield piece
            yield draft
            return
        composition: Composition | None = None
        async for item in streamer(prepared.request()):
            if isinstance(item, Composition):
                composition = item
            else:
                yield str(item)
        yield self._finish(prepared, composition or Composition(text=""), started)

    def stream(self, ticket: TicketLike, *, policy: PolicyLike = None) -> Iterator[str | Draft]:
        """:meth:`astream` for sync code: text pieces as they come, then the ``Draft``."""
        from replyassist.drafting.llm._sync import iterate_in_thread

        return iterate_in_thread(lambda: self.astream(ticket, policy=policy))

    async def arephrase(
        self,
        text: str,
        tone: str = "friendlier",
        *,
        channel: Channel | str | None = None,
        language: str | None = None,
    ) -> str:
        """Rewrite a reply in another tone, keeping its facts and the channel's limits.

        Args:
            text: the reply to rewrite (greeting and sign-off are kept).
            tone: ``friendlier``, ``more_formal``, ``shorter``, ``more_empathetic`` or ``simpler``.
            channel: the channel it is for (its length limit applies); ``None``: no limit.
            language: the reply's language; ``None``: detected from ``text``.

        Raises:
            ConfigurationError: an unknown tone, or a tone other than ``shorter`` without a model.
            ModelError: the model failed or changed the facts (the text is left as it was).
        """
        from replyassist.drafting.llm._rewrite import rephrase_text

        parsed = Channel.parse(channel) if channel is not None else Channel.EMAIL
        if parsed is None:
            raise ConfigurationError(f"unknown channel {channel!r}")
        if language is None:
            from replyassist.signals import detect_language

            language = detect_language(text)[0] or "en"
        composer: Any = self.composer if callable(getattr(self.composer, "complete_text", None)) else None
        return await rephrase_text(
            composer,
            text,
            tone,
            profile=self.policy.profile_for(parsed),
            language=language,
            policy=self.policy,
        )

    def rephrase(
        self,
        text: str,
        tone: str = "friendlier",
        *,
        channel: Channel | str | None = None,
        language: str | None = None,
    ) -> str:
        """Sync :meth:`arephrase`."""
        return _run_sync(lambda: self.arephrase(text, tone, channel=channel, language=language))

    async def asummarize(self, ticket: TicketLike, *, max_words: int = 100) -> str:
        """A gist of the thread for an agent picking it up (at most ``max_words`` words).

        With a model, the model's summary; without one (or when it fails), an extract of the
        customer's own words and our last reply.
        """
        from replyassist.drafting.llm._rewrite import summarize_ticket

        cleaned, _ = _clean_ticket(_parse_ticket(ticket))
        composer: Any = self.composer if callable(getattr(self.composer, "complete_text", None)) else None
        return await summarize_ticket(composer, cleaned, max_words=max_words)

    def summarize(self, ticket: TicketLike, *, max_words: int = 100) -> str:
        """Sync :meth:`asummarize`."""
        return _run_sync(lambda: self.asummarize(ticket, max_words=max_words))


# -- helpers ---------------------------------------------------------------------------------------


def _parse_ticket(ticket: TicketLike) -> Ticket:
    if isinstance(ticket, Ticket):
        return ticket
    try:
        if isinstance(ticket, str):
            stripped = ticket.strip()
            if stripped.startswith("{"):
                return Ticket.model_validate_json(stripped)
            return Ticket.from_text(ticket)
        if isinstance(ticket, Mapping):
            return Ticket.model_validate(dict(ticket))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'ticket'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidTicketError(f"not a valid ticket: {problems}") from exc
    raise InvalidTicketError(f"a ticket must be a Ticket, a dict or a message, not {type(ticket).__name__}")


def _clean_ticket(ticket: Ticket) -> tuple[Ticket, list[DraftWarning]]:
    """A copy of the ticket fit for analysis: plain text, no quoted history, bounded size."""
    warnings: list[DraftWarning] = []
    raw_channel = ticket.metadata.get("channel_raw")
    if ticket.channel is Channel.UNKNOWN:
        what = (
            f"the channel {raw_channel!r} is not one replyassist knows"
            if raw_channel
            else "no channel was given"
        )
        warnings.append(
            DraftWarning(
                code="unknown_channel",
                message=f"{what}: drafted as a short plain reply; check it suits the channel",
            )
        )
    messages: list[Message] = []
    cut = False
    for message in ticket.messages[-MAX_MESSAGES:]:
        html = message.html
        if not message.text.strip() and html and len(html) > MAX_HTML_CHARS:
            html, cut = html[:MAX_HTML_CHARS], True
        body = message.text if message.text.strip() else Message(html=html).body if html else ""
        if message.author is Role.CUSTOMER:
            body = strip_quoted(body) or body
        if len(body) > MAX_MESSAGE_CHARS:
            body, cut = body[:MAX_MESSAGE_CHARS], True
        messages.append(message.model_copy(update={"text": body, "html": None}))
    if cut:
        warnings.append(
            DraftWarning(
                code="message_truncated",
                message=f"a very long message was read only in part (first {MAX_MESSAGE_CHARS:,} characters)",
            )
        )
    cleaned = ticket.model_copy(update={"messages": messages})
    if cleaned.last_customer_message is None:
        raise InvalidTicketError(
            f"ticket {ticket.id or '(no id)'} has no customer message with text: nothing to reply to"
        )
    return cleaned, warnings


def _names(ticket: Ticket, policy: Policy) -> list[str]:
    """Who the draft may name (customer, agent, brand): names are never claims."""
    customer = ticket.customer
    candidates = (
        customer.name,
        customer.first_name,
        customer.handle,
        policy.agent_name,
        policy.signature,
        policy.brand,
        *policy.brand_handles,
    )
    return [n for n in candidates if n]


def _citations(used: list[str], hits: list[SearchHit], policy: Policy, draft: Draft) -> list[Citation]:
    """One citation per passage the draft used, grouped by article (at most ``max_citations`` articles).

    A draft may take sentences from two passages of one article; a citation names the passage it
    shows, so each of them gets its own, or a sentence would be credited to a passage that does
    not hold it.
    """
    by_id = {h.passage.id: h.passage for h in hits}
    by_article: dict[str, list[Passage]] = {}
    for passage_id in dict.fromkeys(used):
        passage = by_id.get(passage_id)
        if passage is None:
            draft.warn(
                "unknown_citation", f"the composer cited {passage_id!r}, which was not retrieved: dropped"
            )
            continue
        if passage.article_id in by_article or len(by_article) < policy.max_citations:
            by_article.setdefault(passage.article_id, []).append(passage)
    return [
        Citation(
            article_id=passage.article_id,
            title=passage.title,
            url=passage.url,
            passage_id=passage.id,
            quote=truncate(passage.text, 300),
        )
        for passages in by_article.values()
        for passage in passages
    ]


def _resolve_kb(kb: Any) -> Any:
    if kb is None:
        return None
    if isinstance(kb, str | Path):
        from replyassist.knowledge import KnowledgeBase

        path = Path(kb)
        return (
            KnowledgeBase.load(path) if KnowledgeBase.is_saved(path) else KnowledgeBase.from_directory(path)
        )
    if callable(getattr(kb, "search", None)) and callable(getattr(kb, "asearch", None)):
        return kb
    if type(kb).__name__.endswith("Retriever") or hasattr(kb, "ainvoke"):
        from replyassist.knowledge import KnowledgeBase

        return KnowledgeBase.from_retriever(kb)
    raise ConfigurationError(
        f"kb must be a KnowledgeBase, a LangChain retriever or a folder path, not {type(kb).__name__}"
    )


def _resolve_composer(llm: Any) -> Composer:
    # Explicit llm= (a Composer, a LangChain chat model, "openai:<model>", ModelSettings), else the
    # environment (REPLYASSIST_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL), else the offline composer.
    from replyassist.drafting.llm._select import resolve_composer

    return resolve_composer(llm)


def _run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from sync code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(make))
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(_await(make)))
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


async def _await(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


def draft_reply(ticket: TicketLike, kb: Any = None, llm: Any = None, policy: PolicyLike = None) -> Draft:
    """Draft a reply to one ticket. For many tickets, build a :class:`ReplyAssistant` once.

    Args:
        ticket: a ``Ticket``, its dict or JSON form, or a plain customer message.
        kb: a ``KnowledgeBase``, any ``KnowledgeSource``, a LangChain retriever, or a folder path.
        llm: the composer that writes the text; ``None`` uses the offline composer.
        policy: the brand's ``Policy`` or a dict of its fields.

    Returns:
        The draft: a decision with reasons, the text, citations, signals and warnings.

    Raises:
        InvalidTicketError: the ticket is malformed or has no customer text.
        ConfigurationError: a wrong argument.
    """
    return ReplyAssistant(kb, llm=llm, policy=policy).draft(ticket)


async def adraft_reply(
    ticket: TicketLike, kb: Any = None, llm: Any = None, policy: PolicyLike = None
) -> Draft:
    """Async :func:`draft_reply`."""
    return await ReplyAssistant(kb, llm=llm, policy=policy).adraft(ticket)


def rephrase(
    text: str,
    tone: str = "friendlier",
    *,
    llm: Any = None,
    channel: Channel | str | None = None,
    policy: PolicyLike = None,
) -> str:
    """Rewrite a reply in another tone (see :meth:`ReplyAssistant.rephrase`)."""
    return ReplyAssistant(None, llm=llm, policy=policy).rephrase(text, tone, channel=channel)


def summarize(ticket: TicketLike, *, llm: Any = None, max_words: int = 100) -> str:
    """A gist of a ticket's thread for an agent (see :meth:`ReplyAssistant.summarize`)."""
    return ReplyAssistant(None, llm=llm).summarize(ticket, max_words=max_words)
