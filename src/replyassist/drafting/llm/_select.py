"""Which composer writes: an explicit ``llm=``, else the environment, else the offline composer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from replyassist._errors import ConfigurationError, MissingDependencyError
from replyassist.drafting.base import Composer
from replyassist.drafting.llm._settings import ModelSettings, require_openai_extra

__all__ = ["model_from_env", "resolve_composer"]

_OFFLINE = {"offline", "none", "off", ""}


def resolve_composer(llm: Any = None, env: Mapping[str, str] | None = None) -> Composer:
    """The composer for ``llm``.

    In order: a ``Composer`` as it is; a LangChain chat model, ``ModelSettings`` or a model
    string (``"openai:gpt-4o-mini"``; ``"offline"`` for none) wrapped in an ``LLMComposer``;
    ``None``: the environment (``REPLYASSIST_MODEL``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``),
    else the offline composer.

    Raises:
        MissingDependencyError: a model is asked for and ``replyassist[openai]`` is missing.
        ConfigurationError: ``llm`` is none of the above, or names an unknown provider.
    """
    if llm is None:
        llm = model_from_env(env)
        if llm is None:
            return _offline()
    if isinstance(llm, str):
        if llm.strip().lower() in _OFFLINE:
            return _offline()
        llm = ModelSettings.from_env(llm, env)
    if isinstance(llm, Composer):
        return llm
    if isinstance(llm, ModelSettings) or _is_chat_model(llm):
        # Checked before importing the composer, which needs tenacity: the error names the extra.
        require_openai_extra() if isinstance(llm, ModelSettings) else _require_tenacity()
        from replyassist.drafting.llm._composer import LLMComposer

        return LLMComposer(llm)
    raise ConfigurationError(
        f"llm must be a LangChain chat model, a model name such as 'openai:gpt-4o-mini', ModelSettings "
        f"or a Composer, not {type(llm).__name__}"
    )


def model_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """The model the environment asks for, or ``None`` for the offline composer.

    ``REPLYASSIST_MODEL`` decides when set (``offline`` turns models off); otherwise a model is
    used when ``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` is set.
    """
    env = os.environ if env is None else env
    named = env.get("REPLYASSIST_MODEL")
    if named is not None and named.strip():
        return None if named.strip().lower() in _OFFLINE else named.strip()
    if env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"):
        return ModelSettings().model
    return None


def _is_chat_model(value: Any) -> bool:
    try:
        from langchain_core.language_models.chat_models import BaseChatModel
    except ImportError:  # without langchain-core nothing can be a LangChain model
        return False
    return isinstance(value, BaseChatModel)


def _require_tenacity() -> None:
    import importlib.util

    if importlib.util.find_spec("tenacity") is None:
        raise MissingDependencyError("tenacity", "openai", "Drafting with a LangChain chat model")


def _offline() -> Composer:
    from replyassist.drafting.offline import OfflineComposer

    return OfflineComposer()
