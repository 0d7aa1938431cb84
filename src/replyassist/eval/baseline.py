"""The baseline: what a team would build first with LangChain, to measure the pipeline's gain against.

A ``ChatPromptTemplate`` (``prompts/eval/baseline.txt``) gets the whole thread and the top five
articles LangChain's ``BM25Retriever`` finds for the customer's last message; the same model
answers; a ``StrOutputParser`` gives the text. No signals, no decision, no masking, no checks,
no channel fitting: every draft is a reply.
"""

from __future__ import annotations

import re
import time
import warnings
from typing import TYPE_CHECKING, Any

from replyassist._errors import MissingDependencyError
from replyassist._resources import prompts_dir
from replyassist.eval.cases import EvalCase
from replyassist.eval.composers import PromptRecorder
from replyassist.eval.outcome import Outcome
from replyassist.models import Decision, Passage, Role
from replyassist.policy import Policy

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from replyassist.knowledge import KnowledgeBase

__all__ = ["BM25Articles", "BaselineRunner", "require_baseline_packages"]

TOP_ARTICLES = 5
_SPLIT = "=== human ==="


def require_baseline_packages() -> None:
    """Raise ``MissingDependencyError`` when LangChain's BM25 retriever cannot be imported."""
    import importlib.util

    for module, package in (("langchain_community", "langchain-community"), ("rank_bm25", "rank-bm25")):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(package, "eval", "The LangChain baseline of `replyassist eval`")


def _template() -> tuple[str, str]:
    raw = (prompts_dir() / "eval" / "baseline.txt").read_text(encoding="utf-8")
    body = re.sub(r"\A---.*?---\s*", "", raw, flags=re.S)
    system, _, human = body.partition(_SPLIT)
    return system.strip(), human.strip()


class BM25Articles:
    """LangChain's ``BM25Retriever`` over a KB's articles (title and body): the retrieval of the
    baseline, and the yardstick of the pipeline's recall@5 (it needs no model)."""

    def __init__(self) -> None:
        require_baseline_packages()
        self._index: tuple[int, Any, dict[str, list[Passage]]] | None = None

    def top(self, kb: KnowledgeBase, query: str) -> tuple[list[str], list[Passage], str]:
        """The top article ids for ``query``, their passages, and the articles as prompt text."""
        if self._index is None or self._index[0] != id(kb):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                from langchain_community.retrievers import BM25Retriever
            from langchain_core.documents import Document

            documents = [
                Document(page_content=f"{a.title}\n{a.body}", metadata={"id": a.id}) for a in kb.articles
            ]
            passages: dict[str, list[Passage]] = {}
            for passage in kb.passages:
                passages.setdefault(passage.article_id, []).append(passage)
            self._index = (id(kb), BM25Retriever.from_documents(documents, k=TOP_ARTICLES), passages)
        _, retriever, by_article = self._index
        docs = retriever.invoke(query) if query.strip() else []
        ids = [str(d.metadata["id"]) for d in docs]
        text = "\n\n".join(f"[{d.metadata['id']}] {d.page_content}" for d in docs)
        return ids, [p for a in ids for p in by_article.get(a, [])], text


class BaselineRunner:
    """Drafts with the plain LangChain chain.

    Args:
        chat: the LangChain chat model (the same model the ``model`` composer uses).
        recorder: collects what the chain sends to the model (its callback must be on ``chat``).
    """

    name = "baseline"

    def __init__(self, chat: BaseChatModel, recorder: PromptRecorder) -> None:
        require_baseline_packages()
        from langchain_core.output_parsers import StrOutputParser
        from langchain_core.prompts import ChatPromptTemplate

        system, human = _template()
        self.chain: Any = (
            ChatPromptTemplate.from_messages([("system", system), ("human", human)])
            | chat
            | StrOutputParser()
        )
        self.recorder = recorder
        self.retriever = BM25Articles()

    def run(self, case: EvalCase, kb: KnowledgeBase, policy: Policy) -> Outcome:
        from replyassist.signals import detect_language

        ticket = case.ticket
        merged = policy.merged(case.policy)
        last = ticket.last_customer_message
        started = time.perf_counter()
        ids, passages, articles = self.retriever.top(kb, last.body if last else "")
        thread = "\n\n".join(
            f"{'Customer' if m.author is Role.CUSTOMER else 'Agent'}: {m.body}"
            for m in ticket.messages
            if m.public
        )
        try:
            text = str(
                self.chain.invoke(
                    {
                        "brand": merged.brand or "our company",
                        "channel": merged.profile_for(ticket.channel).label,
                        "articles": articles,
                        "thread": thread,
                    }
                )
            ).strip()
        except Exception as exc:  # any provider error: the case is reported as not drafted
            self.recorder.take()
            return Outcome(self.name, case.id, retrieved_articles=ids, error=_describe(exc))
        latency = (time.perf_counter() - started) * 1000
        prompts, tokens_in, tokens_out = self.recorder.take()
        return Outcome(
            composer=self.name,
            case_id=case.id,
            text=text,
            parts=[text] if text else [],
            decision=Decision.REPLY,
            language=detect_language(text)[0] if text else None,
            cited_passages=passages,
            article_passages=passages,
            retrieved_articles=ids,
            latency_ms=latency,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            prompts=prompts,
            actual_composer=self.name,
        )


def _describe(exc: BaseException) -> str:
    """The error's class and HTTP status, never its message (a provider may echo the API key)."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
