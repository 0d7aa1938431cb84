"""The ``/v1`` API the sidebar apps call: drafts (now, latest, streamed), rephrasing, feedback.

Every route needs a bearer token (:func:`~replyassist.service.auth.authorize`). Blocking work
(the store, the helpdesk SDK, CPU-bound drafting) runs in threads so the event loop keeps
answering webhooks while a draft is written.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator

from replyassist._errors import ConfigurationError, ReplyAssistError
from replyassist.drafting.llm._rewrite import Tone
from replyassist.models import Customer, Draft, Feedback, FeedbackKind, Ticket
from replyassist.service.auth import authorize
from replyassist.service.deps import ServiceState, adapter_for, get_state, off_loop
from replyassist.service.http_errors import ApiError, ErrorEnvelope, from_library_error
from replyassist.service.sse import SSE_HEADERS, sse_event

__all__ = ["DraftRequest", "FeedbackCreated", "FeedbackRequest", "RephraseRequest", "router"]

logger = logging.getLogger("replyassist.service.http")

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "`unauthorized`: missing, unknown or revoked token"},
    429: {"model": ErrorEnvelope, "description": "`rate_limited` (with Retry-After)"},
    503: {"model": ErrorEnvelope, "description": "`store_unavailable` (with Retry-After)"},
}

router = APIRouter(prefix="/v1", tags=["drafts"], dependencies=[Depends(authorize)], responses=_ERRORS)
StateDep = Annotated[ServiceState, Depends(get_state)]


class DraftRequest(BaseModel):
    """A ticket to draft for: either a whole ``ticket``, or one message's ``text``."""

    ticket: Ticket | None = None
    text: str | None = Field(default=None, min_length=1)
    channel: str | None = Field(default=None, max_length=64, description="e.g. email, chat, twitter")
    customer: str | None = Field(default=None, max_length=200, description="The customer's name.")
    helpdesk: str | None = Field(default=None, max_length=64, description="Stored with the draft.")
    ticket_id: str | None = Field(default=None, max_length=255, description="Stored with the draft.")

    @model_validator(mode="after")
    def _one_source(self) -> DraftRequest:
        if (self.ticket is None) == (self.text is None):
            raise ValueError("give either 'ticket' (a ticket object) or 'text' (a message), not both")
        return self

    def to_ticket(self) -> Ticket:
        if self.ticket is not None:
            ticket = self.ticket
            if self.ticket_id and not ticket.id:
                ticket = ticket.model_copy(update={"id": self.ticket_id})
            return ticket
        return Ticket.from_text(
            self.text or "",
            channel=self.channel or "unknown",
            customer=Customer(name=self.customer) if self.customer else None,
            id=self.ticket_id,
        )


class RephraseRequest(BaseModel):
    tone: Tone


class FeedbackRequest(BaseModel):
    """What the agent did with the draft: ``edited`` needs the text sent, ``rejected`` a reason."""

    kind: FeedbackKind
    final_text: str | None = Field(default=None, max_length=100_000)
    reason: str | None = Field(default=None, max_length=2_000)
    agent_id: str | None = Field(default=None, max_length=255)


class FeedbackCreated(BaseModel):
    id: str
    draft_id: str
    kind: FeedbackKind
    edit_distance: int | None
    created_at: datetime


@router.post("/drafts", response_model=Draft, summary="Draft a reply to a ticket now")
async def create_draft(body: DraftRequest, state: StateDep) -> Draft:
    """Draft a reply to the ticket in the body (for any helpdesk, or none) and store it."""
    draft = await _draft(state, body.to_ticket())
    ticket_id = body.ticket_id or draft.ticket_id
    await off_loop(state.context.store.save_draft, draft, helpdesk=body.helpdesk, ticket_id=ticket_id)
    return draft


@router.get(
    "/helpdesks/{helpdesk}/tickets/{ticket_id}/draft",
    response_model=Draft,
    summary="The latest draft for a ticket, or one drafted now",
    responses={404: {"model": ErrorEnvelope, "description": "`unknown_helpdesk` or `ticket_not_found`"}},
)
async def ticket_draft(
    helpdesk: str,
    ticket_id: str,
    state: StateDep,
    fresh: Annotated[bool, Query(description="Draft again even if a draft is stored.")] = False,
) -> Draft:
    """The ticket's latest stored draft; with none stored (or ``fresh``), fetch the ticket and draft now."""
    adapter = adapter_for(state, helpdesk)
    store = state.context.store
    if not fresh:
        record = await off_loop(store.latest_draft, helpdesk, ticket_id)
        if record is not None:
            return record.draft
    ticket = await off_loop(adapter.fetch_ticket, ticket_id)
    draft = await _draft(state, ticket)
    await off_loop(store.save_draft, draft, helpdesk=helpdesk, ticket_id=ticket_id)
    return draft


@router.get(
    "/helpdesks/{helpdesk}/tickets/{ticket_id}/draft/stream",
    summary="Draft a reply now, streamed as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": '`delta` events (`{"text"}`), then one `draft` event (the Draft); '
            'or an `error` event (`{"code", "message"}`)',
        },
        404: {"model": ErrorEnvelope, "description": "`unknown_helpdesk`"},
    },
)
async def stream_draft(helpdesk: str, ticket_id: str, state: StateDep) -> StreamingResponse:
    """Fetch the ticket and stream a fresh draft: text pieces as written, then the checked draft (stored)."""
    adapter = adapter_for(state, helpdesk)

    async def events() -> AsyncIterator[bytes]:
        try:
            ticket = await off_loop(adapter.fetch_ticket, ticket_id)
            # closed on the way out, also when the client leaves mid-stream (the task is cancelled)
            stream = cast(AsyncGenerator[str | Draft, None], state.context.assistant.astream(ticket))
            async with aclosing(stream) as pieces:
                async for piece in pieces:
                    if isinstance(piece, Draft):
                        await off_loop(
                            state.context.store.save_draft, piece, helpdesk=helpdesk, ticket_id=ticket_id
                        )
                        yield sse_event("draft", piece.model_dump_json())
                    else:
                        yield sse_event("delta", {"text": piece})
        except ReplyAssistError as exc:
            error = from_library_error(exc)
            yield sse_event("error", {"code": error.code, "message": error.message})
        except Exception:
            logger.exception("streaming a draft for %s ticket %s failed", helpdesk, ticket_id)
            yield sse_event("error", {"code": "internal_error", "message": "drafting failed"})

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post(
    "/drafts/{draft_id}/rephrase",
    response_model=Draft,
    summary="Rephrase a draft in another tone",
    responses={
        404: {"model": ErrorEnvelope, "description": "`draft_not_found`"},
        422: {"model": ErrorEnvelope, "description": "`tone_unavailable`: the tone needs a model"},
    },
)
async def rephrase_draft(draft_id: str, body: RephraseRequest, state: StateDep) -> Draft:
    """A new draft (new id, same ticket, ``parent_id`` = this one) with the text in another tone."""
    store = state.context.store
    record = await off_loop(store.get_draft, draft_id)
    original = record.draft
    if not original.text.strip():
        raise ApiError(422, "nothing_to_rephrase", "this draft has no text (its decision is skip)")
    try:
        text = await state.context.assistant.arephrase(
            _unthreaded(original), body.tone, channel=original.channel, language=original.language
        )
    except ConfigurationError:
        raise ApiError(
            422,
            "tone_unavailable",
            f"rephrasing to be {body.tone.value.replace('_', ' ')} needs a language model and none is "
            "configured (set REPLYASSIST_LLM or OPENAI_API_KEY); without one only 'shorter' is available",
        ) from None
    rephrased = original.model_copy(
        update={
            "id": uuid.uuid4().hex,
            "text": text,
            "parts": _thread_parts(text),
            "created_at": datetime.now(UTC),
        },
        deep=True,
    )
    await off_loop(
        store.save_draft,
        rephrased,
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        parent_id=original.id,
    )
    return rephrased


@router.post(
    "/drafts/{draft_id}/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    summary="Record what the agent did with a draft",
    responses={
        404: {"model": ErrorEnvelope, "description": "`draft_not_found`"},
        422: {"model": ErrorEnvelope, "description": "`invalid_feedback`"},
    },
)
async def add_feedback(draft_id: str, body: FeedbackRequest, state: StateDep) -> FeedbackCreated:
    """Accepted as is, edited (with the text the agent sent) or rejected (with a reason)."""
    if body.kind is FeedbackKind.EDITED and not (body.final_text or "").strip():
        raise ApiError(
            422, "invalid_feedback", "'edited' feedback needs final_text: the reply the agent sent"
        )
    if body.kind is FeedbackKind.REJECTED and not (body.reason or "").strip():
        raise ApiError(422, "invalid_feedback", "'rejected' feedback needs a reason")
    feedback = Feedback(draft_id=draft_id, **body.model_dump())
    record = await off_loop(state.context.store.add_feedback, feedback)
    return FeedbackCreated(
        id=record.id,
        draft_id=record.draft_id,
        kind=record.kind,
        edit_distance=record.edit_distance,
        created_at=record.created_at,
    )


_PART_NUMBER = re.compile(r"\s+(\d+)/(\d+)$")


def _unthreaded(draft: Draft) -> str:
    """The draft's text without the ``k/n`` numbers of a thread: they are added again after rephrasing."""
    if len(draft.parts) < 2:
        return draft.text
    return " ".join(_PART_NUMBER.sub("", part) for part in draft.parts)


def _thread_parts(text: str) -> list[str]:
    """The parts of a fitted text: a numbered thread (``… 1/2``, blank line, ``… 2/2``) or the text itself."""
    chunks = text.split("\n\n")
    numbers = [_PART_NUMBER.search(chunk) for chunk in chunks]
    total = len(chunks)
    if total > 1 and all(
        m is not None and (int(m.group(1)), int(m.group(2))) == (i, total) for i, m in enumerate(numbers, 1)
    ):
        return chunks
    return [text]


async def _draft(state: ServiceState, ticket: Ticket) -> Draft:
    # In a thread: the offline pipeline is CPU work that would stall the event loop (and intake).
    return await off_loop(state.context.assistant.draft, ticket)
