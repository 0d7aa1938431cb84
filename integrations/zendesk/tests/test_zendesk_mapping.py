"""Zendesk's wire format → replyassist: the channel table, recorded tickets and comments, notes."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from replyassist import Channel, Citation, Decision, Draft, Role
from replyassist.helpdesk import find_note_key

from replyassist_zendesk import CHANNELS, VIA_IDS, map_channel, render_note_html
from replyassist_zendesk._mapping import article_from_translation, ticket_from_zendesk

FIXTURES = (
    Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "zendesk" / "zenpy" / "decoded"
)


def _recorded(name: str, index: int = 0) -> dict[str, Any]:
    path = FIXTURES / f"{name}.decoded.json"
    if not path.is_file():
        pytest.fail(f"the recorded Zendesk payloads are missing: {path}")
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["interactions"][index]["response"][
        "body"
    ]
    return body


def _via(channel: object, rel: str | None = None) -> dict[str, Any]:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": rel}}


# Every row: (via.channel as Zendesk sends it, source.rel, from_messaging_channel) → channel.
CHANNEL_TABLE: list[tuple[object, str | None, bool, Channel]] = [
    # short "created by" names (REST tickets and comments)
    ("email", None, False, Channel.EMAIL),
    ("web", None, False, Channel.WEB_FORM),
    ("api", None, False, Channel.WEB_FORM),
    ("chat", None, False, Channel.CHAT),
    ("voice", None, False, Channel.VOICE),
    ("sms", None, False, Channel.SMS),
    ("twitter", None, False, Channel.TWITTER),
    ("twitter", "mention", False, Channel.TWITTER),
    ("twitter", "direct_message", False, Channel.TWITTER_DM),
    ("facebook", None, False, Channel.FACEBOOK_POST),
    ("facebook", "post", False, Channel.FACEBOOK_POST),
    ("facebook", "message", False, Channel.FACEBOOK_MESSENGER),
    # long via-type names (events, the via-types reference)
    ("mail", None, False, Channel.EMAIL),
    ("web_form", None, False, Channel.WEB_FORM),
    ("web_service", None, False, Channel.WEB_FORM),
    ("web_widget", None, False, Channel.WEB_FORM),
    ("helpcenter", None, False, Channel.WEB_FORM),
    ("native_messaging", None, True, Channel.CHAT),
    ("chat_transcript", None, False, Channel.CHAT),
    ("line", None, True, Channel.CHAT),
    ("whatsapp", None, True, Channel.WHATSAPP),
    ("instagram_dm", None, True, Channel.INSTAGRAM_DM),
    ("twitter_dm", None, False, Channel.TWITTER_DM),
    ("twitter_favorite", None, False, Channel.TWITTER),
    ("facebook_post", None, False, Channel.FACEBOOK_POST),
    ("facebook_message", None, False, Channel.FACEBOOK_MESSENGER),
    ("sunshine_conversations_facebook_messenger", None, True, Channel.FACEBOOK_MESSENGER),
    ("sunshine_conversations_twitter_dm", None, True, Channel.TWITTER_DM),
    ("text_message", None, False, Channel.SMS),
    ("twilio_sms", None, False, Channel.SMS),
    ("voicemail", None, False, Channel.VOICE),
    ("phone_call_inbound", None, False, Channel.VOICE),
    ("api_phone_call_outbound", None, False, Channel.VOICE),
    # integer via ids, as numbers and as strings
    (0, None, False, Channel.WEB_FORM),
    (4, None, False, Channel.EMAIL),
    ("4", None, False, Channel.EMAIL),
    (5, None, False, Channel.WEB_FORM),
    (26, None, False, Channel.TWITTER_DM),
    (29, None, False, Channel.CHAT),
    (30, None, False, Channel.TWITTER),
    (30, "direct_message", False, Channel.TWITTER_DM),
    (33, None, False, Channel.VOICE),
    (37, None, False, Channel.SMS),
    (38, None, False, Channel.FACEBOOK_POST),
    (41, None, False, Channel.FACEBOOK_MESSENGER),
    # messaging hidden behind a short name
    ("api", None, True, Channel.CHAT),
    ("web", None, True, Channel.CHAT),
    # how a ticket was made, not where to answer: the safe default
    ("rule", None, False, Channel.UNKNOWN),
    ("sample_ticket", None, False, Channel.UNKNOWN),
    (8, None, False, Channel.UNKNOWN),
    ("closed_ticket", None, False, Channel.UNKNOWN),
]


@pytest.mark.parametrize(("value", "rel", "messaging", "expected"), CHANNEL_TABLE)
def test_channel_table(value: object, rel: str | None, messaging: bool, expected: Channel) -> None:
    match = map_channel(_via(value, rel), from_messaging_channel=messaging)
    assert match.channel is expected
    assert match.raw == str(value)
    assert match.known


def test_every_via_id_has_a_row_in_the_table() -> None:
    assert set(VIA_IDS.values()) - set(CHANNELS) <= {"iphone", "get_satisfaction", "topic", "blog", "github"}


@pytest.mark.parametrize("value", ["carrier_pigeon", 999, "", None])
def test_unknown_channels_fall_back_to_unknown_with_a_warning(
    value: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="replyassist_zendesk"):
        match = map_channel(_via(value))
    assert (match.channel, match.known) == (Channel.UNKNOWN, False)
    assert "unknown Zendesk via channel" in caplog.text


def test_an_unknown_channel_keeps_its_raw_value_on_the_ticket() -> None:
    ticket = ticket_from_zendesk({"id": 9, "via": _via("carrier_pigeon"), "requester_id": 1}, [], {})
    assert ticket.channel is Channel.UNKNOWN
    assert ticket.metadata["raw_channel"] == "carrier_pigeon"


# --- recorded payloads ------------------------------------------------------------------------------


def test_the_recorded_sample_ticket_maps() -> None:
    recorded = _recorded("TestIncrementalObjectUpdate.test_clean_dirty-setup")["ticket"]
    requester = {
        "id": recorded["requester_id"],
        "name": "maria keller",
        "role": "end-user",
        "locale": "en-US",
    }
    comment = {
        "id": 1,
        "author_id": recorded["requester_id"],
        "body": recorded["description"],
        "public": True,
        "created_at": recorded["created_at"],
        "via": recorded["via"],
    }
    ticket = ticket_from_zendesk(recorded, [comment], {str(requester["id"]): requester})
    assert ticket.id == "1"
    assert ticket.subject == "Sample ticket: Meet the ticket"
    assert ticket.channel is Channel.UNKNOWN and ticket.metadata["raw_channel"] == "sample_ticket"
    assert ticket.tags == ["sample", "support", "zendesk"]
    assert ticket.priority is not None and ticket.priority.value == "normal"
    assert (ticket.customer.first_name, ticket.customer.locale) == ("Maria", "en-US")
    assert ticket.last_customer_message is not None
    assert "troubleshoot" in ticket.last_customer_message.body


def test_recorded_comments_and_users_map_with_roles() -> None:
    comments = _recorded("TestAttachmentUpload.test_redact_attachment-upload-single", 2)["comments"]
    agent = _recorded("TestUserMe.test_users_me")["user"]
    end_user = _recorded("TestUserCreateUpdateDelete.test_single_object_creation-create-single")["user"]
    private = {**comments[0], "id": 2, "author_id": end_user["id"], "public": False, "plain_body": "psst"}
    users = {str(agent["id"]): agent, str(end_user["id"]): end_user, str(comments[0]["author_id"]): agent}
    ticket = ticket_from_zendesk(
        {"id": 33, "via": comments[0]["via"], "requester_id": end_user["id"]}, [comments[0], private], users
    )
    assert [(m.author, m.text, m.public) for m in ticket.messages] == [
        (Role.AGENT, "Some comment", True),
        (Role.CUSTOMER, "psst", False),
    ]
    assert ticket.messages[0].html is not None and "zd-comment" in ticket.messages[0].html
    assert ticket.messages[0].created_at is not None
    assert ticket.customer.name == "testUser"


def test_comments_by_triggers_are_the_bots() -> None:
    comment = {"id": 5, "author_id": -1, "body": "Automatic reply", "via": {"channel": "rule"}}
    [message] = ticket_from_zendesk({"id": 1, "requester_id": 2}, [comment], {}).messages
    assert message.author is Role.BOT


def test_a_twitter_handle_becomes_the_customer_handle() -> None:
    via = {"channel": "twitter", "source": {"from": {"username": "maria_k"}, "to": {}, "rel": "mention"}}
    ticket = ticket_from_zendesk({"id": 1, "requester_id": 2, "via": via}, [], {})
    assert (ticket.channel, ticket.customer.handle) == (Channel.TWITTER, "@maria_k")


def test_a_recorded_article_translation_maps() -> None:
    article = _recorded("TestHelpCenterCreateArticle.test_create_article_with_notify_subscribers-true")[
        "article"
    ]
    mapped = article_from_translation(article, {**article, "locale": "de", "title": "Artikel"})
    assert mapped.id == f"{article['id']}:de"
    assert (mapped.title, mapped.locale) == ("Artikel", "de")
    assert "notifies subscribers" in mapped.body
    assert mapped.updated_at is not None and mapped.updated_at.year == 2024


# --- the note ---------------------------------------------------------------------------------------


def _draft(**fields: Any) -> Draft:
    values: dict[str, Any] = {
        "decision": Decision.REPLY,
        "text": "Hi Ana,\n\nyour refund <script>alert(1)</script> is on its way.",
        "channel": Channel.EMAIL,
        "citations": [
            Citation(
                article_id="1:en",
                title="Refunds & returns",
                url="https://acme.zendesk.com/hc/articles/1",
                passage_id="1:en#0",
                quote="q",
            ),
            Citation(
                article_id="2:en", title="Evil", url="javascript:alert(1)", passage_id="2:en#0", quote="q"
            ),
        ],
        "reasons": ["the KB answers it"],
    }
    values.update(fields)
    draft = Draft(**values)
    draft.warn("promise", 'Check the "refund" <promise>')
    return draft


def test_the_note_is_escaped_html_with_links_warnings_and_the_key_last() -> None:
    note = render_note_html(_draft(), key="job-42")
    assert "<script>" not in note and "&lt;script&gt;" in note
    assert '<a href="https://acme.zendesk.com/hc/articles/1">Refunds &amp; returns</a>' in note
    assert "javascript:" not in note.split("Evil")[0][-40:]  # only http(s) links become links
    assert "&lt;promise&gt;" in note
    assert find_note_key(note) == "job-42"
    assert note.rstrip().endswith("replyassist draft job-42</p>")


def test_a_skip_note_says_why() -> None:
    note = render_note_html(_draft(decision=Decision.SKIP, text="", citations=[]), key="k")
    assert "suggests no reply" in note and find_note_key(note) == "k"


def test_a_public_comment_carries_the_reply_alone() -> None:
    comment = render_note_html(_draft(), key="job-7", public=True)
    assert "your refund &lt;script&gt;" in comment
    for internal in ("Suggested reply", "Sources", "Check before sending", "promise", "Why"):
        assert internal not in comment
    assert find_note_key(comment) == "job-7"
