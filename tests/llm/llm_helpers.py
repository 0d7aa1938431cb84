"""Helpers of the model-drafting tests: settings for the fake server, tickets, scripted answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from replyassist import Policy, Ticket
from replyassist.drafting.llm import LLMComposer, ModelSettings
from replyassist.testing import FakeOpenAIServer, RecordedRequest, model_reply

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-replyassist-test-7f3a9c2e5b1d4f60"
POLICY = Policy(brand="Pinecone Outfitters", agent_name="Sam Rivera", brand_handles=("PineconeHelp",))
RETURN_TWEET = "@PineconeHelp hi, how do I return my tent? It leaks at the seams."


def settings(server: FakeOpenAIServer, **overrides: Any) -> ModelSettings:
    return ModelSettings(api_key=SecretStr(KEY), base_url=server.base_url, stream_usage=True, **overrides)


def composer(server: FakeOpenAIServer, **kwargs: Any) -> LLMComposer:
    return LLMComposer(settings(server), **kwargs)


def tweet(text: str = RETURN_TWEET, name: str = "Maria Lopez") -> Ticket:
    return Ticket.from_text(text, channel="twitter", customer=name, id="t1")


def email(text: str, name: str = "Maria Lopez", **fields: Any) -> Ticket:
    return Ticket.from_text(text, channel="email", customer=name, id="e1", **fields)


_PASSAGE_ID = re.compile(r'<passage id="([^"]+)"')


def shown_ids(request: RecordedRequest) -> list[str]:
    """The passage ids the model was shown in a request."""
    return _PASSAGE_ID.findall(request.prompt_text)


def answer_citing_shown(text: str, **fields: Any) -> Any:
    """A server handler: answers ``text`` citing the first passage the request showed."""

    def handler(request: RecordedRequest) -> dict[str, Any]:
        return model_reply(text, used_passage_ids=shown_ids(request)[:1], **fields)

    return handler
