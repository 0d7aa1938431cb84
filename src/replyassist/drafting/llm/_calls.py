"""One model call's plumbing: what the answer is in a message or chunk, usage, streams, giving up."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from replyassist.drafting.llm._tokens import estimate_message_tokens, estimate_tokens
from replyassist.models import Usage

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

__all__ = [
    "GiveUp",
    "Meter",
    "StructuredOutput",
    "UsageHolder",
    "close_stream",
    "filtered_on_azure",
    "format_in_body",
    "max_usage",
    "message_text",
    "next_or_none",
    "open_stream",
    "payload_of",
    "unfinished_answer",
]

logger = logging.getLogger("replyassist.llm")

StructuredOutput = Literal["auto", "json_schema", "function_calling", "json_text"]


class GiveUp(Exception):
    """The model cannot write this draft in time; the fallback takes over."""

    def __init__(self, reason: str, kind: str = "error") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass
class Meter:
    """Tokens and model time over every call made for one result."""

    input_tokens: int = 0
    output_tokens: int = 0
    model_ms: float = 0.0
    calls: int = 0
    estimated: bool = False

    def record(self, message: Any, prompt: Sequence[str], output: str, seconds: float) -> None:
        self.calls += 1
        self.model_ms += seconds * 1000
        if message is None:
            return  # the call failed: nothing was generated
        usage = getattr(message, "usage_metadata", None)
        if usage and (usage.get("input_tokens") or usage.get("output_tokens")):
            self.input_tokens += int(usage.get("input_tokens") or 0)
            self.output_tokens += int(usage.get("output_tokens") or 0)
        else:
            self.estimated = True
            self.input_tokens += estimate_message_tokens(prompt)
            self.output_tokens += estimate_tokens(output)

    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model_ms=round(self.model_ms, 3),
            calls=self.calls,
            estimated=self.estimated,
        )


@dataclass
class UsageHolder:
    usage_metadata: dict[str, int]


async def open_stream(runnable: Runnable[Any, Any], messages: list[BaseMessage]) -> tuple[Any, Any]:
    """Start streaming and wait for the first chunk: errors before it (429, 5xx) can still be retried."""
    stream = runnable.astream(messages).__aiter__()
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        first = None
    except BaseException:
        await close_stream(stream)
        raise
    return stream, first


async def next_or_none(stream: Any) -> Any:
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return None


async def close_stream(stream: Any) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        try:
            await aclose()
        except Exception:  # closing a broken stream must not hide why it broke
            logger.debug("closing the model stream failed", exc_info=True)


def max_usage(usage: dict[str, int], chunk: Any) -> None:
    # Providers report usage once, or several times cumulatively: the largest figure is the total.
    metadata = getattr(chunk, "usage_metadata", None) or {}
    for key in ("input_tokens", "output_tokens"):
        value = metadata.get(key)
        if isinstance(value, int) and value > usage.get(key, 0):
            usage[key] = value


def message_text(message: Any) -> str:
    """The text content of a LangChain message (string content, or the text blocks of a list)."""
    if message is None:
        return ""
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
        return "".join(parts)
    return str(content)


def payload_of(message: Any, mode: StructuredOutput) -> str:
    """Where the answer is in a message or chunk: tool-call arguments, else the text."""
    if message is None:
        return ""
    if mode == "function_calling":
        chunks = getattr(message, "tool_call_chunks", None)
        if chunks:
            return "".join(str(c.get("args") or "") for c in chunks)
        calls = getattr(message, "tool_calls", None)
        if calls:
            return json.dumps(calls[0].get("args", {}))
    return message_text(message)


# What AzureChatOpenAI raises, after the answer came back, for ``finish_reason == "content_filter"``.
_AZURE_FILTERED = "Azure has not provided the response due to a content filter"


def format_in_body(chat: Any, response_format: dict[str, Any]) -> dict[str, Any] | None:
    """The ``extra_body`` that sends ``response_format`` as it is, or ``None`` to bind it as a parameter.

    Given ``response_format``, LangChain's ``ChatOpenAI`` calls the SDK's ``.parse()``, which
    walks the whole JSON schema against its ``TypedDict`` annotations and rebuilds the answer as
    a ``ParsedChatCompletion`` for a dict format it does not parse: about a sixth of the model
    loop's CPU per call (~1.7 ms against ``FakeOpenAIServer``). In ``extra_body`` the same JSON goes out through ``.create()`` untouched, and
    ``schema_reply`` reads the answer. Only for a chat-completions ``BaseChatOpenAI`` (Azure
    too) that does not stream on its own: the Responses API wants the format elsewhere, and a
    format already in ``extra_body`` or ``model_kwargs`` must keep winning as it does now.
    """
    base = sys.modules.get("langchain_openai.chat_models.base")  # not imported: not a ChatOpenAI
    if base is None or not isinstance(chat, base.BaseChatOpenAI) or chat.streaming:
        return None
    extra = dict(chat.extra_body or {})
    if "response_format" in extra or "response_format" in (chat.model_kwargs or {}):
        return None
    try:
        if chat._use_responses_api(dict(chat._default_params)):
            return None
    except Exception:  # a private method of langchain-openai: when it moves, keep the typed route
        logger.debug("could not tell whether %s uses the Responses API", type(chat).__name__, exc_info=True)
        return None
    extra["response_format"] = response_format
    return extra


def unfinished_answer(message: Any) -> Exception | None:
    """The error ``.parse()`` raises for an answer cut at the token limit or by the content filter.

    The ``extra_body`` route (:func:`format_in_body`) skips ``.parse()``; this keeps what happens
    next the same: the same error, read as an unreadable answer (the HTTP status was 200, which
    LangChain attaches as ``response``), so the model is asked once more, then falls back.
    """
    metadata = getattr(message, "response_metadata", None) or {}
    reason = metadata.get("finish_reason")
    if reason not in ("length", "content_filter"):
        return None
    import openai
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion

    usage = metadata.get("token_usage")
    completion = ChatCompletion.model_construct(  # what the error message needs: the usage
        id=str(metadata.get("id") or ""),
        choices=[],
        created=0,
        model=str(metadata.get("model_name") or ""),
        object="chat.completion",
        usage=CompletionUsage.model_validate(usage) if isinstance(usage, dict) else None,
    )
    if reason == "length":
        return _answered(openai.LengthFinishReasonError(completion=completion))
    return _answered(openai.ContentFilterFinishReasonError(completion=completion))


def filtered_on_azure(exc: BaseException) -> Exception | None:
    """``unfinished_answer`` for Azure, which raises a ``ValueError`` of its own before we see the answer."""
    if not (isinstance(exc, ValueError) and str(exc).startswith(_AZURE_FILTERED)):
        return None
    import openai

    return _answered(openai.ContentFilterFinishReasonError())


def _answered(error: Exception) -> Exception:
    # What LangChain does to an error raised while the SDK parsed a received answer.
    error.response = _Answered()  # type: ignore[attr-defined]
    return error


@dataclass(frozen=True)
class _Answered:
    """Stands for the HTTP response of an answer that came back (status 200, no ``Retry-After``)."""

    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)
