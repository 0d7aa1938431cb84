"""Drafting with a language model through LangChain: OpenAI by default, any chat model by choice.

Install with ``pip install 'replyassist[openai]'``. Names are imported on first use: the model
machinery (LangChain, the OpenAI SDK, tenacity) loads only when a model is actually used, so
that the offline path neither needs the extra nor pays for its import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replyassist._lazy import lazy_exports

if TYPE_CHECKING:
    from replyassist.drafting.llm._calls import StructuredOutput
    from replyassist.drafting.llm._composer import LLMComposer
    from replyassist.drafting.llm._context import draft_prompt
    from replyassist.drafting.llm._prompts import PromptSet, PromptTemplate, escape_data, load_prompts
    from replyassist.drafting.llm._retry import RetryPolicy
    from replyassist.drafting.llm._rewrite import Tone, offline_summary, rephrase_text, summarize_ticket
    from replyassist.drafting.llm._schema import ModelReply, parse_reply_text
    from replyassist.drafting.llm._select import model_from_env, resolve_composer
    from replyassist.drafting.llm._settings import ModelSettings
    from replyassist.drafting.llm._tokens import estimate_message_tokens, estimate_tokens

_EXPORTS: dict[str, str] = {
    "LLMComposer": "_composer",
    "ModelReply": "_schema",
    "ModelSettings": "_settings",
    "PromptSet": "_prompts",
    "PromptTemplate": "_prompts",
    "RetryPolicy": "_retry",
    "StructuredOutput": "_calls",
    "Tone": "_rewrite",
    "draft_prompt": "_context",
    "escape_data": "_prompts",
    "estimate_message_tokens": "_tokens",
    "estimate_tokens": "_tokens",
    "load_prompts": "_prompts",
    "model_from_env": "_select",
    "offline_summary": "_rewrite",
    "parse_reply_text": "_schema",
    "rephrase_text": "_rewrite",
    "resolve_composer": "_select",
    "summarize_ticket": "_rewrite",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


__all__ = [
    "LLMComposer",
    "ModelReply",
    "ModelSettings",
    "PromptSet",
    "PromptTemplate",
    "RetryPolicy",
    "StructuredOutput",
    "Tone",
    "draft_prompt",
    "escape_data",
    "estimate_message_tokens",
    "estimate_tokens",
    "load_prompts",
    "model_from_env",
    "offline_summary",
    "parse_reply_text",
    "rephrase_text",
    "resolve_composer",
    "summarize_ticket",
]
