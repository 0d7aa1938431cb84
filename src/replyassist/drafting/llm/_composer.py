"""``LLMComposer``: replies written by a LangChain chat model, with the offline composer as a safety net."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from replyassist._errors import ConfigurationError, ModelError, ModelTimeoutError
from replyassist.channels import Format
from replyassist.drafting.base import Composer, ComposeRequest, Composition
from replyassist.drafting.llm import _loop
from replyassist.drafting.llm._calls import (
    GiveUp,
    Meter,
    StructuredOutput,
    UsageHolder,
    close_stream,
    filtered_on_azure,
    format_in_body,
    max_usage,
    message_text,
    next_or_none,
    open_stream,
    payload_of,
    unfinished_answer,
)
from replyassist.drafting.llm._checks import clean_body, map_passage_ids, reply_warnings, sign_off_for
from replyassist.drafting.llm._context import draft_prompt
from replyassist.drafting.llm._prompts import PromptSet, load_prompts
from replyassist.drafting.llm._retry import DeadlineExceeded, RetryPolicy, call_with_retries
from replyassist.drafting.llm._schema import (
    ModelReply,
    PartialText,
    UnparseableReply,
    parse_reply_text,
    schema_reply,
)
from replyassist.drafting.llm._settings import ModelSettings, require_openai_extra
from replyassist.drafting.llm._translate import classify, redact, scrub, to_model_error
from replyassist.models import Decision, DraftWarning

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

__all__ = ["LLMComposer", "StructuredOutput"]

logger = logging.getLogger("replyassist.llm")

_DOWNGRADE: dict[str, StructuredOutput] = {"json_schema": "function_calling", "function_calling": "json_text"}


def _predates_json_schema(model_name: object) -> bool:
    """OpenAI models older than structured outputs (the models LangChain's own check steps down for)."""
    return isinstance(model_name, str) and (
        model_name.startswith(("gpt-3", "gpt-4-")) or model_name == "gpt-4"
    )


def _response_format() -> dict[str, Any]:
    """The strict JSON schema of ``ModelReply``, as the SDK would derive it (a fresh dict per binding)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": "ModelReply", "schema": ModelReply.model_json_schema(), "strict": True},
    }


class LLMComposer:
    """Writes replies with a language model through LangChain; the offline composer is its safety net.

    The model gets the same rules as the offline composer (prompt files in ``prompts/llm/``),
    only the passages that answer and the turns that matter, and answers with a typed
    ``ModelReply``. Transient failures (429, 5xx, timeouts, dropped connections) are retried
    with backoff until ``retry.deadline``; after that, or after an answer that cannot be read
    twice, the offline composer writes the draft (``Draft.composer == "offline"``, warning
    ``model_fallback``). Refused credentials (401/403) and refused requests (400) are raised
    as ``ModelAuthError`` / ``ModelRequestError``: retrying or hiding them would help nobody.

    Args:
        model: a LangChain chat model; ``ModelSettings``; a string like ``"openai:gpt-4o-mini"``
            (key and base URL from ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``); ``None``: all from
            the environment.
        retry: retries and the per-draft deadline (default: 20 s, 4 attempts).
        deadline: shortcut for ``retry.deadline``, in seconds.
        structured_output: ``json_schema`` (OpenAI structured outputs), ``function_calling``
            (tool calling), ``json_text`` (JSON asked for in the prompt, for servers with
            neither), or ``auto``: the best the model offers, stepping down when the server
            says it lacks a feature.
        prompts_dir: a folder whose prompt files replace the shipped ones.
        fallback: the composer used when the model fails (default: ``OfflineComposer()``).
        fallback_on_error: ``False`` raises ``ModelTimeoutError`` / ``ModelError`` instead of
            falling back.
        name: the name drafts report (default ``openai:<model>`` or ``langchain:<class>``).

    Example:
        >>> composer = LLMComposer("openai:gpt-4o-mini", deadline=10)  # doctest: +SKIP
        >>> ReplyAssistant(kb, llm=composer).draft(ticket).composer  # doctest: +SKIP
        'openai:gpt-4o-mini'
    """

    def __init__(
        self,
        model: BaseChatModel | ModelSettings | str | None = None,
        *,
        retry: RetryPolicy | None = None,
        deadline: float | None = None,
        structured_output: StructuredOutput = "auto",
        prompts_dir: str | Path | None = None,
        fallback: Composer | None = None,
        fallback_on_error: bool = True,
        name: str | None = None,
    ) -> None:
        if structured_output not in ("auto", "json_schema", "function_calling", "json_text"):
            raise ConfigurationError(
                f"structured_output must be auto, json_schema, function_calling or json_text, not {structured_output!r}"
            )
        policy = retry or RetryPolicy()
        self.retry = replace(policy, deadline=deadline) if deadline is not None else policy
        self.prompts: PromptSet = load_prompts(prompts_dir)
        self._settings: ModelSettings | None = None
        self._chat: BaseChatModel | None = None
        if model is None or isinstance(model, str):
            self._settings = ModelSettings.from_env(model=model)
        elif isinstance(model, ModelSettings):
            self._settings = model
        elif callable(getattr(model, "ainvoke", None)) and callable(getattr(model, "astream", None)):
            self._chat = model
        else:
            raise ConfigurationError(
                f"model must be a LangChain chat model, ModelSettings or a model name, not {type(model).__name__}"
            )
        if self._settings is not None:
            require_openai_extra()
            if self._settings.api_key is None and self._settings.base_url is None:
                raise ConfigurationError(
                    f"the model {self._settings.name} needs an API key: set OPENAI_API_KEY, or pass "
                    "ModelSettings(api_key=...); for a local OpenAI-compatible server set OPENAI_BASE_URL"
                )
        self.name: str = name or self._default_name()
        self._requested_mode: StructuredOutput = structured_output
        self._mode: StructuredOutput | None = None if structured_output == "auto" else structured_output
        self._structured: dict[str, Runnable[Any, Any]] = {}
        self._bound: dict[str, Runnable[Any, Any]] = {}
        self._schema_route: tuple[Runnable[Any, Any], bool] | None = None
        self._fallback = fallback
        self.fallback_on_error = fallback_on_error
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"LLMComposer(name={self.name!r}, structured_output={self._mode or self._requested_mode!r}, "
            f"deadline={self.retry.deadline:g})"
        )

    # -- the model and its helpers ---------------------------------------------------------------

    @property
    def chat_model(self) -> BaseChatModel:
        """The LangChain chat model (built on first use from the settings)."""
        with self._lock:
            if self._chat is None:
                assert self._settings is not None
                self._chat = self._settings.chat_model(
                    timeout=self.retry.request_timeout or self.retry.deadline
                )
            return self._chat

    @property
    def fallback(self) -> Composer:
        """The composer that writes when the model cannot."""
        with self._lock:
            if self._fallback is None:
                from replyassist.drafting.offline import OfflineComposer

                self._fallback = OfflineComposer()
            return self._fallback

    @property
    def structured_output(self) -> StructuredOutput:
        """How the model is asked for its typed answer (after any step down)."""
        if self._mode is None:
            self._mode = self._best_mode()
        return self._mode

    def _default_name(self) -> str:
        if self._settings is not None:
            return self._settings.name
        chat = self._chat
        model_name = getattr(chat, "model_name", None) or getattr(chat, "model", None)
        if "OpenAI" in type(chat).__name__ and isinstance(model_name, str):
            return f"openai:{model_name}"
        return f"langchain:{type(chat).__name__}"

    def _best_mode(self) -> StructuredOutput:
        from langchain_core.language_models.chat_models import BaseChatModel

        chat = self._chat if self._chat is not None else None
        if self._settings is not None or "OpenAI" in type(chat).__name__:
            model_name = (
                self._settings.model if self._settings is not None else getattr(chat, "model_name", "")
            )
            return "function_calling" if _predates_json_schema(model_name) else "json_schema"
        if chat is not None and type(chat).bind_tools is not BaseChatModel.bind_tools:
            return "function_calling"
        return "json_text"

    def secrets(self) -> list[str]:
        """The secret values to keep out of every message (the API key, any ``SecretStr`` of the model)."""
        values: list[str] = []
        if self._settings is not None and self._settings.api_key is not None:
            values.append(self._settings.api_key.get_secret_value())
        for value in vars(self._chat).values() if self._chat is not None else ():
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
        return [v for v in values if v and v != "not-needed"]

    def _structured_runnable(self, mode: StructuredOutput) -> Runnable[Any, Any]:
        """LangChain's structured-output chain, for tool calling (JSON schema uses :meth:`_bound_runnable`)."""
        runnable = self._structured.get(mode)
        if runnable is None:
            runnable = self.chat_model.with_structured_output(ModelReply, method=mode, include_raw=True)
            self._structured[mode] = runnable
        return runnable

    def _bound_runnable(self, mode: StructuredOutput) -> Runnable[Any, Any]:
        """The chat model with the output format bound, built once per mode.

        For JSON schema this replaces ``with_structured_output``: its chain (sequence, assign,
        parallel, fallbacks, parsers run in executor threads) cost more CPU per draft than the
        rest of the model path, for a parse that ``ModelReply.model_validate_json`` does alone.
        The schema sent is the one the SDK would derive from ``ModelReply`` (strict).
        """
        runnable = self._bound.get(mode)
        if runnable is None:
            chat = self.chat_model
            if mode == "json_schema":
                runnable = chat.bind(response_format=_response_format())
            elif mode == "function_calling":
                runnable = chat.bind_tools([ModelReply], tool_choice="ModelReply")
            else:
                runnable = chat
            self._bound[mode] = runnable
        return runnable

    def _schema_call(self) -> tuple[Runnable[Any, Any], bool]:
        """The runnable for one JSON-schema answer, and whether it sends the format in ``extra_body``.

        For ``ChatOpenAI`` the format goes in ``extra_body`` (see ``format_in_body``): the same
        request, without the SDK's ``.parse()``. Streaming keeps :meth:`_bound_runnable`.
        """
        cached = self._schema_route
        if cached is None:
            extra = format_in_body(self.chat_model, _response_format())
            if extra is None:
                cached = (self._bound_runnable("json_schema"), False)
            else:
                cached = (self.chat_model.bind(extra_body=extra), True)
            self._schema_route = cached
        return cached

    # -- one model call ------------------------------------------------------------------------

    async def _ask(
        self, messages: list[BaseMessage], mode: StructuredOutput, meter: Meter
    ) -> tuple[str, ModelReply | None]:
        raw: Any = None
        payload = ""
        started = time.perf_counter()
        try:
            if mode == "json_text":
                raw = await self.chat_model.ainvoke(messages)
                payload = message_text(raw)
                return payload, None
            if mode == "json_schema":
                runnable, in_body = self._schema_call()
                if not in_body:
                    raw = await runnable.ainvoke(messages)
                else:
                    try:
                        message = await runnable.ainvoke(messages)
                    except ValueError as exc:
                        filtered = filtered_on_azure(exc)
                        if filtered is None:
                            raise
                        raise filtered from exc
                    unfinished = unfinished_answer(message)
                    if unfinished is not None:
                        raise unfinished  # as .parse() did: before the answer counts as received
                    raw = message
                payload = message_text(raw)
                return payload, schema_reply(payload)
            out = await self._structured_runnable(mode).ainvoke(messages)
            raw = out.get("raw") if isinstance(out, dict) else None
            parsed = out.get("parsed") if isinstance(out, dict) else None
            payload = payload_of(raw, mode)
            return payload, parsed if isinstance(parsed, ModelReply) else None
        finally:
            meter.record(raw, [str(m.content) for m in messages], payload, time.perf_counter() - started)

    async def complete_text(self, messages: list[BaseMessage], meter: Meter, deadline_at: float) -> str:
        """A plain-text answer, with retries (for rephrasing and summaries).

        Raises:
            ModelAuthError, ModelRequestError: not retried.
            GiveUp: transient failures outlasted the deadline.
        """
        return await _loop.arun(lambda: self._complete_text(messages, meter, deadline_at))

    async def _complete_text(self, messages: list[BaseMessage], meter: Meter, deadline_at: float) -> str:

        async def ask() -> str:
            raw: Any = None
            started = time.perf_counter()
            try:
                raw = await self.chat_model.ainvoke(messages)
                return message_text(raw)
            finally:
                text = message_text(raw) if raw is not None else ""
                meter.record(raw, [str(m.content) for m in messages], text, time.perf_counter() - started)

        try:
            return await call_with_retries(ask, self.retry, deadline_at=deadline_at, secrets=self.secrets())
        except Exception as exc:
            raise self._give_up_or_raise(exc, "json_text") from exc

    def _give_up_or_raise(self, exc: BaseException, mode: StructuredOutput) -> GiveUp:
        """Turn a failed call into ``GiveUp`` (fall back), or raise the error the user must see."""
        secrets = self.secrets()
        failure = classify(exc, secrets)
        if isinstance(exc, DeadlineExceeded):
            cause = exc.__cause__
            last = ""
            if cause is not None and not isinstance(cause, TimeoutError):
                before = classify(cause, secrets)
                last = f"; last error: {before.kind}" + (f", HTTP {before.status}" if before.status else "")
            return GiveUp(f"no answer within the {self.retry.deadline:g} s deadline{last}", "timeout")
        if failure.kind == "unparseable":
            return GiveUp(failure.message[:160], "unparseable")
        if isinstance(exc, NotImplementedError) and mode != "json_text":
            return GiveUp("unsupported", "unsupported")
        if failure.kind == "unsupported" and mode in _DOWNGRADE:
            return GiveUp("unsupported", "unsupported")
        if failure.kind in ("auth", "request", "unsupported"):
            raise to_model_error(failure, f"drafting with {self.name}") from scrub(exc, secrets)
        status = f", HTTP {failure.status}" if failure.status else ""
        if failure.transient:
            return GiveUp(f"the model kept failing ({failure.kind}{status}): {failure.message}", failure.kind)
        return GiveUp(f"the model call failed ({type(exc).__name__}): {failure.message}", "error")

    # -- drafting --------------------------------------------------------------------------------

    def compose(self, request: ComposeRequest) -> Composition:
        """Write the reply for ``request`` (blocking; see :meth:`acompose`)."""
        return _loop.run(self._acompose(request))

    async def acompose(self, request: ComposeRequest) -> Composition:
        """Write the reply for ``request`` with the model, or with the fallback when the model fails."""
        return await _loop.arun(lambda: self._acompose(request))

    async def _acompose(self, request: ComposeRequest) -> Composition:
        if request.decision is Decision.SKIP:
            return await self._delegate(request)
        self.chat_model  # noqa: B018 - built (SDK imported) before the deadline's clock starts
        meter = Meter()
        deadline_at = time.monotonic() + self.retry.deadline
        try:
            reply, shown = await self._reply(request, meter, deadline_at)
        except GiveUp as give_up:
            return await self._fall_back(request, give_up, meter)
        return self._composition(request, reply, shown, meter)

    async def _reply(
        self, request: ComposeRequest, meter: Meter, deadline_at: float, *, retry_parse: bool = True
    ) -> tuple[ModelReply, list[str]]:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        correction: list[BaseMessage] = []
        unreadable = 0
        while True:
            mode = self.structured_output
            prompt = draft_prompt(request, self.prompts, json_in_text=mode == "json_text")
            messages: list[BaseMessage] = [
                SystemMessage(prompt.system),
                HumanMessage(prompt.user),
                *correction,
            ]
            try:
                payload, parsed = await call_with_retries(
                    functools.partial(self._ask, messages, mode, meter),
                    self.retry,
                    deadline_at=deadline_at,
                    secrets=self.secrets(),
                )
                reply = parsed or parse_reply_text(payload)
                if not reply.text.strip():
                    raise UnparseableReply("the reply text is empty")
                return reply, list(prompt.passage_ids)
            except UnparseableReply as exc:
                problem, said = str(exc), payload
            except Exception as exc:
                give_up = self._give_up_or_raise(exc, mode)
                if give_up.kind == "unsupported":
                    self._step_down(mode)
                    continue
                if give_up.kind != "unparseable":
                    raise give_up from exc
                # The SDK refused to parse the answer (a JSON-schema reply that is not JSON).
                problem, said = give_up.reason, ""
            unreadable += 1
            logger.warning("the model's answer could not be read (%s)", problem)
            if unreadable > 1 or not retry_parse:
                raise GiveUp(f"its answer could not be read twice: {problem[:160]}", "unparseable")
            correction = [
                AIMessage(said[:4000] or "(an answer that was not valid JSON)"),
                HumanMessage(
                    f"That answer could not be read ({problem[:300]}). Answer again with every field "
                    "of the reply filled in, as one JSON object."
                ),
            ]

    def _step_down(self, mode: StructuredOutput) -> None:
        lower = _DOWNGRADE.get(mode, "json_text")
        logger.info("%s: the server does not support %s output; using %s", self.name, mode, lower)
        self._mode = lower

    def _composition(
        self, request: ComposeRequest, reply: ModelReply, shown_ids: list[str], meter: Meter
    ) -> Composition:
        profile, policy = request.profile, request.policy
        body = clean_body(reply.text, policy)
        sign = sign_off_for(profile, policy)
        if not sign:
            text, sign_off = body, ""
        elif profile.format is Format.PARAGRAPHS:
            text = f"{body}\n{sign}"
            # Without a hard limit nothing is trimmed, so the signature needs no protecting.
            sign_off = sign if profile.max_chars is not None else ""
        else:
            text, sign_off = f"{body} {sign}", sign
        shown = [h for h in request.hits if h.passage.id in shown_ids]
        return Composition(
            text=text,
            sign_off=sign_off,
            used_passage_ids=map_passage_ids(reply.used_passage_ids, request.hits),
            move_to_private=reply.move_to_private and profile.private_channel is not None,
            warnings=reply_warnings(request, reply, body, shown),
            language=request.language,
            usage=meter.usage(),
        )

    async def _delegate(self, request: ComposeRequest) -> Composition:
        composition = await self.fallback.acompose(request)
        composition.composer = composition.composer or self.fallback.name
        return composition

    async def _fall_back(self, request: ComposeRequest, give_up: GiveUp, meter: Meter) -> Composition:
        reason = redact(give_up.reason, self.secrets())
        if not self.fallback_on_error:
            error = ModelTimeoutError if give_up.kind == "timeout" else ModelError
            raise error(f"drafting with {self.name} failed: {reason}") from give_up
        logger.warning(
            "%s could not write the draft (%s): falling back to %s", self.name, reason, self.fallback.name
        )
        composition = await self._delegate(request)
        composition.warnings.append(
            DraftWarning(
                code="model_fallback",
                message=f"{self.name} could not write this draft ({reason}); "
                f"the {composition.composer} composer wrote it instead",
            )
        )
        composition.usage = meter.usage() if meter.calls else None
        return composition

    # -- streaming -----------------------------------------------------------------------------

    async def _open_stream(
        self, runnable: Runnable[Any, Any], messages: list[BaseMessage], meter: Meter
    ) -> tuple[Any, Any, float]:
        started = time.perf_counter()
        try:
            stream, first = await open_stream(runnable, messages)
            return stream, first, started
        except BaseException:
            meter.record(None, (), "", time.perf_counter() - started)  # a failed attempt still took time
            raise

    def astream_compose(self, request: ComposeRequest) -> AsyncIterator[str | Composition]:
        """Yield the reply text as the model writes it, then the final ``Composition``.

        The final composition is what counts: when the model fails mid-way, the fallback's
        composition follows text that was already streamed (its warnings say so).
        """
        return _loop.aiterate(lambda: self._astream_compose(request))

    async def _astream_compose(self, request: ComposeRequest) -> AsyncIterator[str | Composition]:
        if request.decision is Decision.SKIP:
            yield await self._delegate(request)
            return
        self.chat_model  # noqa: B018 - built (SDK imported) before the deadline's clock starts
        meter = Meter()
        deadline_at = time.monotonic() + self.retry.deadline
        try:
            async for item in self._stream_reply(request, meter, deadline_at):
                yield item
        except GiveUp as give_up:
            yield await self._fall_back(request, give_up, meter)

    async def _stream_reply(
        self, request: ComposeRequest, meter: Meter, deadline_at: float
    ) -> AsyncIterator[str | Composition]:
        from langchain_core.messages import HumanMessage, SystemMessage

        while True:
            mode = self.structured_output
            prompt = draft_prompt(request, self.prompts, json_in_text=mode == "json_text")
            messages: list[BaseMessage] = [SystemMessage(prompt.system), HumanMessage(prompt.user)]
            runnable = self._bound_runnable(mode)
            try:
                stream, first, started = await call_with_retries(
                    functools.partial(self._open_stream, runnable, messages, meter),
                    self.retry,
                    deadline_at=deadline_at,
                    secrets=self.secrets(),
                )
            except Exception as exc:
                give_up = self._give_up_or_raise(exc, mode)
                if give_up.kind == "unsupported":
                    self._step_down(mode)
                    continue
                raise give_up from exc
            break
        partial = PartialText()
        pieces: list[str] = []
        usage: dict[str, int] = {}
        finished = unreadable = False
        chunk: Any = first
        try:
            while chunk is not None:
                piece = payload_of(chunk, mode)
                max_usage(usage, chunk)
                finished = finished or bool(
                    (getattr(chunk, "response_metadata", None) or {}).get("finish_reason")
                )
                pieces.append(piece)
                delta = partial.feed(piece)
                if delta:
                    yield delta
                remaining = deadline_at - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded("the draft's deadline passed while the model was writing")
                chunk = await asyncio.wait_for(next_or_none(stream), timeout=remaining)
        except Exception as exc:
            meter.record(None, (), "", time.perf_counter() - started)
            if isinstance(exc, TimeoutError):
                raise GiveUp(
                    f"the answer was not finished within the {self.retry.deadline:g} s deadline", "timeout"
                ) from exc
            failure = classify(exc, self.secrets())
            if failure.kind != "unparseable":
                raise GiveUp(
                    f"the stream broke off ({failure.kind}): {failure.message}", failure.kind
                ) from exc
            unreadable = True  # the SDK could not parse the finished answer: asked again below
        finally:
            await close_stream(stream)
        payload = "" if unreadable else "".join(pieces)
        if not unreadable:
            meter.record(
                UsageHolder(usage), [str(m.content) for m in messages], payload, time.perf_counter() - started
            )
        try:
            reply = parse_reply_text(payload)
            if not reply.text.strip():
                raise UnparseableReply("the reply text is empty")
            shown = list(prompt.passage_ids)
        except UnparseableReply as exc:
            if not finished and not usage and not unreadable:
                # No finish reason and no usage: the stream ended early (an upstream that
                # dropped the connection), not a model that wrote something unreadable.
                raise GiveUp("the stream ended before the answer was complete", "connection") from exc
            logger.warning("the streamed answer could not be read (%s); asking once more", exc)
            reply, shown = await self._reply(request, meter, deadline_at, retry_parse=False)
        composition = self._composition(request, reply, shown, meter)
        sign = composition.text[len(clean_body(reply.text, request.policy)) :]
        if sign.strip():
            yield sign
        yield composition
