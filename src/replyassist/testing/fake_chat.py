"""A scripted LangChain chat model: answers instantly from a list or a function, never from the network."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

__all__ = ["FakeChatModel", "model_reply"]

Script = str | BaseException | dict[str, Any]
Responder = Callable[[list[BaseMessage]], Script]


def model_reply(
    text: str,
    *,
    decision: str = "reply",
    reasons: Sequence[str] = ("answered from the passages",),
    used_passage_ids: Sequence[str] = (),
    move_to_private: bool = False,
) -> dict[str, Any]:
    """The typed answer replyassist asks a model for, as a dict to script fakes with."""
    return {
        "decision": decision,
        "reasons": list(reasons),
        "text": text,
        "used_passage_ids": list(used_passage_ids),
        "move_to_private": move_to_private,
    }


class FakeChatModel(BaseChatModel):
    """A chat model for tests: each call takes the next scripted answer, or asks ``respond``.

    An answer is a string (the text), a dict (sent as JSON text, as a model without
    structured output writes it), or an exception (raised, to test failures). It has no
    tool calling, so replyassist asks it for JSON in the text. Calls are recorded in
    ``calls``; token usage is reported (estimated from the text) unless ``report_usage`` is off.

    Example:
        >>> model = FakeChatModel(responses=[model_reply("Hi Ana, your parcel ships today.")])
        >>> ReplyAssistant(kb, llm=model).draft(ticket).composer  # doctest: +SKIP
        'langchain:FakeChatModel'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: list[Any] = Field(default_factory=list)
    respond: Callable[[list[BaseMessage]], Any] | None = None
    default: Any = None
    delay: float = 0.0
    chunk_chars: int = 8
    report_usage: bool = True
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "replyassist-fake"

    @property
    def calls(self) -> list[list[BaseMessage]]:
        """The messages of every call, oldest first."""
        return self._calls

    def _answer(self, messages: list[BaseMessage]) -> str:
        self._calls.append(list(messages))
        if self.responses:
            script = self.responses.pop(0)
        elif self.respond is not None:
            script = self.respond(messages)
        else:
            script = self.default
        if script is None:
            raise RuntimeError("FakeChatModel: no scripted answer left")
        if isinstance(script, BaseException):
            raise script
        if isinstance(script, dict):
            return json.dumps(script, ensure_ascii=False)
        return str(script)

    def _usage(self, messages: list[BaseMessage], text: str) -> UsageMetadata | None:
        if not self.report_usage:
            return None
        from replyassist.drafting.llm._tokens import estimate_message_tokens, estimate_tokens

        prompt = estimate_message_tokens(str(m.content) for m in messages)
        out = estimate_tokens(text)
        return UsageMetadata(input_tokens=prompt, output_tokens=out, total_tokens=prompt + out)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            time.sleep(self.delay)
        text = self._answer(messages)
        message = AIMessage(content=text, usage_metadata=self._usage(messages, text))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self._answer(messages)
        message = AIMessage(content=text, usage_metadata=self._usage(messages, text))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.delay:
            time.sleep(self.delay)
        text = self._answer(messages)
        yield from self._chunks(messages, text)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self._answer(messages)
        for chunk in self._chunks(messages, text):
            await asyncio.sleep(0)
            yield chunk

    def _chunks(self, messages: list[BaseMessage], text: str) -> Iterator[ChatGenerationChunk]:
        size = max(1, self.chunk_chars)
        for i in range(0, len(text), size):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[i : i + size]))
        usage = self._usage(messages, text)
        if usage is not None:
            yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))
