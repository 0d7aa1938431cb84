"""The helpdesk contract's helpers: note text and keys, plug-in loading, webhook request repr."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from replyassist import Channel, ConfigurationError, Draft, helpdesk
from replyassist.helpdesk import (
    HelpdeskAdapter,
    WebhookRequest,
    available_helpdesks,
    find_note_key,
    load_helpdesk,
    note_text,
    register_helpdesk,
)
from replyassist.models import Citation, Decision, DraftWarning
from replyassist.testing import FakeHelpdesk


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made here do not leak into other tests."""
    monkeypatch.setattr(helpdesk, "_registered", {})


def _draft(decision: Decision = Decision.REPLY) -> Draft:
    return Draft(
        decision=decision,
        text="Hi Ana, your parcel ships today.",
        channel=Channel.EMAIL,
        reasons=["answered from the shipping article"],
    )


def test_note_text_carries_reply_sources_warnings_and_key() -> None:
    draft = _draft()
    draft.citations.append(
        Citation(article_id="a", title="Shipping", url="https://x/s", passage_id="a#0", quote="q")
    )
    draft.warnings.append(DraftWarning(code="promise", message="mentions a date"))
    text = note_text(draft, key="job-1")
    assert "Suggested reply — email, en:" in text
    assert draft.text in text
    assert "- Shipping <https://x/s>" in text
    assert "- mentions a date" in text
    assert "Why: answered from the shipping article" in text
    assert find_note_key(text) == "job-1"


def test_note_text_uses_the_draft_id_without_a_key() -> None:
    draft = _draft()
    assert find_note_key(note_text(draft)) == draft.id


def test_note_text_for_escalate_and_skip() -> None:
    assert "needs review" in note_text(_draft(Decision.ESCALATE))
    skipped = note_text(_draft(Decision.SKIP))
    assert skipped.startswith("replyassist suggests no reply: answered from the shipping article")
    assert _draft().text not in skipped


def test_note_text_refuses_a_key_it_could_not_find_again() -> None:
    with pytest.raises(ConfigurationError, match="key"):
        note_text(_draft(), key="has spaces/and slashes")


def test_find_note_key_reads_html_and_ignores_other_text() -> None:
    html = "<p>Suggested reply</p><p>—</p><p>replyassist draft job-7</p>\n"
    assert find_note_key(html) == "job-7"
    assert find_note_key("just a note from an agent") is None
    assert find_note_key("") is None
    assert find_note_key("replyassist draft job-1\nand then more text") is None


def test_load_helpdesk_names_an_unknown_plugin() -> None:
    with pytest.raises(ConfigurationError, match="no helpdesk plug-in named 'nosuchdesk'"):
        load_helpdesk("nosuchdesk", {})


def test_load_helpdesk_rejects_a_factory_returning_something_else() -> None:
    def factory(settings: Mapping[str, str]) -> HelpdeskAdapter:
        return object()  # type: ignore[return-value]

    register_helpdesk("broken-desk", factory)
    with pytest.raises(ConfigurationError, match="did not return a HelpdeskAdapter"):
        load_helpdesk("broken-desk", {})


def test_registered_helpdesk_is_available_and_passes_settings() -> None:
    register_helpdesk("fake-desk", FakeHelpdesk.from_settings)
    assert available_helpdesks()["fake-desk"] == FakeHelpdesk.from_settings
    assert load_helpdesk("fake-desk", {"FAKE_HELPDESK_SECRET": "x"}).name == "fake"
    with pytest.raises(ConfigurationError, match="FAKE_HELPDESK_SECRET"):
        load_helpdesk("fake-desk", {})


def test_webhook_request_repr_hides_headers_and_body() -> None:
    request = WebhookRequest(headers={"Authorization": "Bearer t0psecret"}, body=b'{"secret": "b0dy"}')
    shown = repr(request)
    assert "t0psecret" not in shown and "b0dy" not in shown
    assert "authorization" in shown
    assert request.header("AUTHORIZATION") == "Bearer t0psecret"
