"""The composers an evaluation compares, each turning a case into an ``Outcome``.

* ``offline``: the full pipeline with the offline composer (always runs).
* ``model``: the full pipeline with a language model (needs one configured).
* ``baseline``: a plain LangChain chain with the same model (see :mod:`replyassist.eval.baseline`).

The pipeline is used through its public API only. What it retrieved is seen through a KB that
records its searches; what it sent to the model, through a LangChain callback on the model.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from replyassist._errors import ReplyAssistError
from replyassist.eval.cases import EvalCase
from replyassist.eval.outcome import Outcome
from replyassist.models import Passage, SearchHit
from replyassist.policy import Policy

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from replyassist.drafting.llm import ModelSettings
    from replyassist.knowledge import KnowledgeBase

__all__ = ["DraftRunner", "PipelineRunner", "PromptRecorder", "RecordingKB", "chat_model_for"]


class DraftRunner(Protocol):
    """Drafts one case against a KB: what the evaluation calls for each composer."""

    name: str

    def run(self, case: EvalCase, kb: KnowledgeBase, policy: Policy) -> Outcome:
        """Draft ``case`` and describe the draft as an ``Outcome`` (errors go in ``Outcome.error``)."""
        ...


class RecordingKB:
    """A knowledge source that remembers the hits of its last search (for recall@k and citations)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.last: list[SearchHit] = []

    def search(self, *args: Any, **kwargs: Any) -> list[SearchHit]:
        self.last = self.kb.search(*args, **kwargs)
        return self.last

    async def asearch(self, *args: Any, **kwargs: Any) -> list[SearchHit]:
        self.last = await self.kb.asearch(*args, **kwargs)
        return self.last


class PromptRecorder:
    """Collects the text of every message sent to a chat model (a LangChain callback handler).

    Built lazily as a ``BaseCallbackHandler`` subclass so that importing this module does not
    import LangChain.
    """

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.input_tokens = 0
        self.output_tokens = 0

    def handler(self) -> Any:
        from langchain_core.callbacks import BaseCallbackHandler

        recorder = self

        class _Handler(BaseCallbackHandler):
            def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
                for batch in messages:
                    recorder.prompts.append("\n".join(_content(m.content) for m in batch))

            def on_llm_end(self, response: Any, **kwargs: Any) -> None:
                for generations in response.generations:
                    for generation in generations:
                        usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                        if usage:
                            recorder.input_tokens += int(usage.get("input_tokens", 0))
                            recorder.output_tokens += int(usage.get("output_tokens", 0))

        return _Handler()

    def take(self) -> tuple[list[str], int, int]:
        """What was recorded since the last call, then forget it."""
        taken = (self.prompts, self.input_tokens, self.output_tokens)
        self.prompts, self.input_tokens, self.output_tokens = [], 0, 0
        return taken


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def chat_model_for(settings: ModelSettings, recorder: PromptRecorder, *, timeout: float) -> BaseChatModel:
    """The LangChain model of ``settings``, reporting what it is sent to ``recorder``."""
    chat = settings.chat_model(timeout=timeout)
    chat.callbacks = [recorder.handler()]
    return chat


class PipelineRunner:
    """Drafts through ``ReplyAssistant`` with the offline composer or a model.

    Args:
        name: ``offline`` or ``model``.
        composer: what ``ReplyAssistant(llm=...)`` takes (``"offline"`` or an ``LLMComposer``);
            resolved once, so that its phrase banks and model client serve every case.
        recorder: the recorder of the model's prompts, when a model writes.
    """

    def __init__(self, name: str, composer: Any, recorder: PromptRecorder | None = None) -> None:
        from replyassist.drafting.llm import resolve_composer

        self.name = name
        self.composer = resolve_composer(composer)
        self.recorder = recorder
        self._passages: tuple[int, dict[str, list[Passage]]] | None = None

    def _article_passages(self, kb: KnowledgeBase, articles: Sequence[str]) -> list[Passage]:
        if self._passages is None or self._passages[0] != id(kb):
            index: dict[str, list[Passage]] = {}
            for passage in kb.passages:
                index.setdefault(passage.article_id, []).append(passage)
            self._passages = (id(kb), index)
        return [p for a in articles for p in self._passages[1].get(a, [])]

    def run(self, case: EvalCase, kb: KnowledgeBase, policy: Policy) -> Outcome:
        from replyassist.drafting.pipeline import ReplyAssistant

        recording = RecordingKB(kb)
        assistant = ReplyAssistant(recording, llm=self.composer, policy=policy.merged(case.policy))
        started = time.perf_counter()
        try:
            draft = assistant.draft(case.ticket)
        except ReplyAssistError as exc:
            if self.recorder is not None:
                self.recorder.take()
            return Outcome(self.name, case.id, error=f"{type(exc).__name__}: {exc}")
        latency = (time.perf_counter() - started) * 1000
        prompts = self.recorder.take()[0] if self.recorder is not None else []
        by_passage = {h.passage.id: h.passage for h in recording.last}
        cited = list(dict.fromkeys(c.article_id for c in draft.citations))  # one Citation per passage used
        return Outcome(
            composer=self.name,
            case_id=case.id,
            text=draft.text,
            parts=list(draft.parts),
            decision=draft.decision,
            language=draft.language,
            cited_articles=cited,
            cited_passages=_cited(draft.citations, by_passage),
            article_passages=self._article_passages(kb, cited),
            retrieved_articles=list(dict.fromkeys(h.passage.article_id for h in recording.last)),
            move_to_private=draft.move_to_private,
            latency_ms=latency,
            input_tokens=draft.usage.input_tokens if draft.usage else 0,
            output_tokens=draft.usage.output_tokens if draft.usage else 0,
            prompts=prompts,
            warnings=[w.code for w in draft.warnings],
            actual_composer=draft.composer,
        )


def _cited(citations: Sequence[Any], by_passage: dict[str, Passage]) -> list[Passage]:
    """The passages a draft cites (one per cited article: the one the pipeline named)."""
    return [by_passage[c.passage_id] for c in citations if c.passage_id in by_passage]
