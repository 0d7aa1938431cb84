"""Fakes for testing code that uses replyassist, without the network.

- ``FakeOpenAIServer``: an OpenAI-compatible HTTP server on loopback (scripted answers,
  streaming, tool calls, JSON schema, 429 with ``Retry-After``, 5xx, 401, slow answers);
  point the real ``openai`` SDK or ``langchain-openai`` at its ``base_url``.
- ``FakeChatModel``: a scripted LangChain chat model that answers instantly (needs
  ``langchain-core``, the ``langchain`` extra).
- ``model_reply``: the typed answer a model gives replyassist, as a dict for scripting fakes.
- ``FakeHelpdesk``: an in-memory helpdesk adapter with a control surface (tickets, notes, tags,
  articles, signed webhooks, injected failures and latency).
- ``HelpdeskConformance`` / ``HelpdeskHarness``: the test suite every helpdesk adapter's tests
  subclass, and what their ``harness`` fixture returns (needs ``pytest``).
- ``loopback_only(monkeypatch)``: refuse every connection beyond loopback for the rest of a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replyassist._lazy import lazy_exports

if TYPE_CHECKING:
    from replyassist.testing.conformance import HelpdeskConformance, HelpdeskHarness
    from replyassist.testing.fake_chat import FakeChatModel, model_reply
    from replyassist.testing.fake_helpdesk import FakeHelpdesk
    from replyassist.testing.fake_openai import FakeOpenAIServer, FakeReply, RecordedRequest
    from replyassist.testing.network import loopback_only

_EXPORTS = {
    "FakeChatModel": "replyassist.testing.fake_chat",
    "FakeHelpdesk": "replyassist.testing.fake_helpdesk",
    "FakeOpenAIServer": "replyassist.testing.fake_openai",
    "FakeReply": "replyassist.testing.fake_openai",
    "HelpdeskConformance": "replyassist.testing.conformance",
    "HelpdeskHarness": "replyassist.testing.conformance",
    "loopback_only": "replyassist.testing.network",
    "RecordedRequest": "replyassist.testing.fake_openai",
    "model_reply": "replyassist.testing.fake_chat",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


__all__ = [
    "FakeChatModel",
    "FakeHelpdesk",
    "FakeOpenAIServer",
    "FakeReply",
    "HelpdeskConformance",
    "HelpdeskHarness",
    "RecordedRequest",
    "loopback_only",
    "model_reply",
]
