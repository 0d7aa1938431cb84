"""How to reach a model: settings read from arguments or the environment, and the LangChain model built from them."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from replyassist._errors import ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

__all__ = ["DEFAULT_MODEL", "ModelSettings", "parse_model_string", "require_openai_extra"]

DEFAULT_MODEL = "gpt-4o-mini"
# Providers that LangChain knows by these names: a string naming one is a request for that
# provider, which needs its own LangChain model object (``"llama3.1:8b"`` is just a model name).
_OTHER_PROVIDERS = frozenset(
    {
        "anthropic", "azure", "azure_openai", "bedrock", "bedrock_converse", "cohere", "deepseek",
        "fireworks", "gemini", "google", "google_genai", "google_vertexai", "groq", "huggingface", "ibm",
        "mistral", "mistralai", "nvidia", "ollama", "perplexity", "together", "vertexai", "xai",
    }
)  # fmt: skip
# Reasoning models accept only their default temperature.
_NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")


def require_openai_extra(feature: str = "Drafting with an OpenAI model") -> None:
    """Raise ``MissingDependencyError`` naming the ``openai`` extra when its packages are missing."""
    for package in ("langchain_openai", "openai", "tenacity"):
        if importlib.util.find_spec(package) is None:
            raise MissingDependencyError(package.replace("_", "-"), "openai", feature)


def parse_model_string(value: str) -> str:
    """``"openai:gpt-4o-mini"`` or ``"gpt-4o-mini"`` → ``"gpt-4o-mini"``; ``"llama3.1:8b"`` stays whole.

    Raises:
        ConfigurationError: another provider, or no model name.
    """
    provider, sep, model = value.strip().partition(":")
    provider = provider.strip().lower()
    if not sep or (provider != "openai" and provider not in _OTHER_PROVIDERS):
        provider, model = "openai", value.strip()
    model = model.strip()
    if provider != "openai":
        raise ConfigurationError(
            f"unknown model provider {provider!r} in {value!r}: strings name OpenAI models "
            "('openai:gpt-4o-mini', also for OpenAI-compatible servers through OPENAI_BASE_URL); "
            "for another provider pass its LangChain chat model object as llm="
        )
    if not model:
        raise ConfigurationError(f"no model name in {value!r}: write e.g. 'openai:{DEFAULT_MODEL}'")
    return model


class ModelSettings(BaseModel):
    """How to reach an OpenAI or OpenAI-compatible chat model (Azure, vLLM, Ollama, llama.cpp server).

    Attributes:
        model: the model name, e.g. ``gpt-4o-mini`` (or what the local server calls its model).
        api_key: the API key; a secret, never shown in reprs, logs, errors or drafts.
        base_url: the server's ``/v1`` URL for an OpenAI-compatible server; ``None``: OpenAI.
        temperature: sampling temperature; ``None`` leaves the provider's default.
        max_output_tokens: the longest answer the model may write.
        stream_usage: ask for token counts while streaming (``None``: on for OpenAI itself,
            off for other servers, several of which reject the option).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = DEFAULT_MODEL
    api_key: SecretStr | None = Field(default=None, repr=False)
    base_url: str | None = None
    temperature: float | None = Field(default=0.3, ge=0.0, le=2.0)
    max_output_tokens: int = Field(default=700, ge=16)
    stream_usage: bool | None = None

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        return parse_model_string(value)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {value!r}")
        return value.rstrip("/")

    @property
    def name(self) -> str:
        """The composer name drafts report: ``openai:<model>``."""
        return f"openai:{self.model}"

    @classmethod
    def from_env(cls, model: str | None = None, env: Mapping[str, str] | None = None) -> ModelSettings:
        """Settings from ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and ``REPLYASSIST_MODEL``; ``model`` wins."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {"model": model or env.get("REPLYASSIST_MODEL") or DEFAULT_MODEL}
        if env.get("OPENAI_API_KEY"):
            values["api_key"] = SecretStr(env["OPENAI_API_KEY"])
        if env.get("OPENAI_BASE_URL"):
            values["base_url"] = env["OPENAI_BASE_URL"]
        try:
            return cls(**values)
        except ValueError as exc:
            raise ConfigurationError(f"invalid model settings from the environment: {exc}") from exc

    def chat_model(self, *, timeout: float) -> BaseChatModel:
        """The LangChain ``ChatOpenAI`` for these settings, with the SDK's own retries off.

        Raises:
            MissingDependencyError: ``replyassist[openai]`` is not installed.
            ConfigurationError: no API key for OpenAI itself.
        """
        require_openai_extra()
        from langchain_openai import ChatOpenAI

        key = self.api_key
        if key is None:
            if self.base_url is None:
                raise ConfigurationError(
                    f"the model {self.name} needs an API key: set OPENAI_API_KEY, or pass "
                    "ModelSettings(api_key=...); for a local OpenAI-compatible server set OPENAI_BASE_URL"
                )
            key = SecretStr("not-needed")  # local servers ignore the key, the SDK insists on one
        temperature = None if self.model.startswith(_NO_TEMPERATURE) else self.temperature
        return ChatOpenAI(
            model=self.model,
            api_key=key,
            base_url=self.base_url,
            temperature=temperature,
            max_tokens=self.max_output_tokens,
            max_retries=0,  # tenacity owns the retries (see _retry.py)
            timeout=timeout,
            stream_usage=self.stream_usage if self.stream_usage is not None else self.base_url is None,
            use_responses_api=False,  # chat completions: what every OpenAI-compatible server speaks
            http_async_client=_async_http_client(),
        )


@cache
def _async_http_client() -> Any:
    """The SDK's aiohttp-backed client when aiohttp is installed (it is with ``replyassist[openai]``),
    else ``None`` (the SDK's default, httpx over httpcore). One per process, shared by every model
    (as LangChain shares its default client): its connections live on the one model loop.

    Drafts wait on the model dozens at a time, and httpcore's pool checks every idle connection
    (a socket query each) whenever a request starts or ends: with 48 calls in flight that was
    ~3 ms of CPU per draft, more than the rest of the model client. aiohttp's connector does
    not. Same SDK, same requests, timeouts and proxy settings (``trust_env``).
    """
    try:
        import aiohttp  # noqa: F401
        from openai import DefaultAioHttpClient
    except ImportError:
        return None
    client = DefaultAioHttpClient()
    atexit.register(_close_at_exit, client)
    return client


def _close_at_exit(client: Any) -> None:
    """Close the shared client's connections on the model loop (aiohttp complains at exit otherwise)."""
    from replyassist.drafting.llm import _loop

    with contextlib.suppress(Exception):  # exiting anyway: a connection the OS closes is no loss
        _loop.close_on_loop(client.aclose(), timeout=2.0)
