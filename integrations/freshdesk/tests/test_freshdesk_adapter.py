"""The adapter against the fake Freshdesk: tickets, channels, notes, tags, Solutions, settings."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from replyassist import (
    Channel,
    Citation,
    ConfigurationError,
    Decision,
    Draft,
    DraftWarning,
    HelpdeskError,
    Priority,
    Role,
    WebhookAuthError,
    WebhookRequest,
    load_helpdesk,
)
from replyassist.helpdesk import find_note_key

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import FreshdeskAdapter, from_settings

# --- tickets ---------------------------------------------------------------------------------------


def test_ticket_with_thread_and_requester(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket(
        "<div>My parcel <b>#A-1009</b> has not arrived.</div>", tags=["vip"], priority=3, subject="Parcel"
    )
    fake.add_conversation(ticket, "<p>We are checking.</p>", from_requester=False)
    fake.add_conversation(ticket, "<p>Carrier says lost.</p>", from_requester=False, private=True)
    fake.add_conversation(ticket, "<p>Any news?</p>", extra={"body_text": ""})  # only HTML

    fetched = adapter.fetch_ticket(str(ticket))

    assert fetched.id == str(ticket)
    assert (fetched.subject, fetched.tags, fetched.priority) == ("Parcel", ["vip"], Priority.HIGH)
    assert fetched.channel is Channel.EMAIL
    assert (fetched.customer.name, fetched.customer.first_name, fetched.customer.email) == (
        "Ana Souza",
        "Ana",
        "ana@example.com",
    )
    assert [(m.author, m.public) for m in fetched.messages] == [
        (Role.CUSTOMER, True),
        (Role.AGENT, True),
        (Role.AGENT, False),
        (Role.CUSTOMER, True),
    ]
    assert fetched.messages[0].text == "My parcel #A-1009 has not arrived."  # description_text
    assert fetched.messages[0].html.startswith("<div>")
    assert fetched.messages[-1].text == "Any news?"  # body_text empty: the HTML as text
    assert fetched.messages[1].author_name == "Rachel"
    times = [m.created_at for m in fetched.messages]
    assert times == sorted(times) and all(t is not None and t.tzinfo for t in times)
    assert fetched.last_customer_message is not None
    assert fetched.last_customer_message.text == "Any news?"
    assert fetched.metadata["url"] == f"https://acme.freshdesk.com/a/tickets/{ticket}"


def test_incoming_message_from_another_customer_side_person(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    ticket = fake.add_ticket()
    fake.add_conversation(ticket, "<p>cc'd colleague here</p>", from_requester=False, incoming=True)

    assert adapter.fetch_ticket(str(ticket)).messages[-1].author is Role.CUSTOMER


def test_chat_ticket_text_from_structured_body(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket(
        "", source=7, extra={"description_text": "", "structured_description": {"text": "Hi, my app crashes"}}
    )
    fake.add_conversation(
        ticket,
        "",
        extra={"body_text": "", "structured_body": {"blocks": [{"type": "text", "text": "on login"}]}},
    )

    fetched = adapter.fetch_ticket(str(ticket))

    assert fetched.channel is Channel.CHAT
    assert [m.text for m in fetched.messages] == ["Hi, my app crashes", "on login"]


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        (1, Channel.EMAIL),
        (2, Channel.WEB_FORM),
        (3, Channel.VOICE),
        (5, Channel.TWITTER),
        (6, Channel.FACEBOOK_POST),
        (7, Channel.CHAT),
        (9, Channel.WEB_FORM),
        (10, Channel.EMAIL),
        (13, Channel.WHATSAPP),  # not documented: named "WhatsApp" by the account's ticket_fields
    ],
)
def test_source_codes_map_to_channels(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter, source: int, channel: Channel
) -> None:
    fetched = adapter.fetch_ticket(str(fake.add_ticket(source=source)))

    assert fetched.channel is channel
    assert "channel_raw" not in fetched.metadata


@pytest.mark.parametrize(("source", "raw"), [(11, "11:E-commerce"), (4, "4:Forum"), (99, "99")])
def test_unknown_source_is_unknown_with_raw_value_and_warning(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter, caplog: pytest.LogCaptureFixture, source: int, raw: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="replyassist_freshdesk"):
        fetched = adapter.fetch_ticket(str(fake.add_ticket(source=source)))

    assert fetched.channel is Channel.UNKNOWN
    assert fetched.metadata["channel_raw"] == raw
    assert raw in caplog.text


def test_ticket_fields_are_read_once_and_only_for_undocumented_sources(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    adapter.fetch_ticket(str(fake.add_ticket(source=1)))
    assert fake.count("GET", "ticket_fields") == 0
    for _ in range(3):
        adapter.fetch_ticket(str(fake.add_ticket(source=13)))
    assert fake.count("GET", "ticket_fields") == 1


def test_threads_share_one_adapter(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    tickets = [fake.add_ticket(f"<p>question {i}</p>") for i in range(8)]
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def fetch(number: int) -> None:
        try:
            results[number] = adapter.fetch_ticket(str(number)).messages[0].text
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert results == {t: f"question {i}" for i, t in enumerate(tickets)}


# --- notes -----------------------------------------------------------------------------------------


def _draft(text: str = "Hello Ana,\n\nYour parcel ships today.") -> Draft:
    return Draft(
        decision=Decision.REPLY,
        text=text,
        channel=Channel.EMAIL,
        citations=[
            Citation(
                article_id="freshdesk:4",
                title="Shipping <times>",
                url="https://acme.freshdesk.com/support/solutions/articles/4",
                passage_id="freshdesk:4#0",
                quote="…",
            ),
            Citation(article_id="x", title="No link", url="javascript:alert(1)", passage_id="x#0", quote="…"),
        ],
        warnings=[DraftWarning(code="promise", message="Check the <date> before sending")],
        reasons=["answered from the KB"],
    )


def test_draft_is_posted_once_as_a_private_html_note(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket()

    first = adapter.post_note(str(ticket), _draft("<script>alert(1)</script> Hi"), key="job-1")
    again = adapter.post_note(str(ticket), _draft(), key="job-1")

    notes = fake.notes(ticket)
    assert len(notes) == 1
    note = notes[0]
    assert note["private"] is True
    assert (first.created, first.public, again.created, again.id) == (True, False, False, first.id)
    assert first.id == str(note["id"])
    body = note["body"]
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; Hi" in body
    assert '<a href="https://acme.freshdesk.com/support/solutions/articles/4"' in body
    assert "Shipping &lt;times&gt;" in body
    assert "javascript:" not in body.split("No link")[0][-40:]  # unsafe URLs are not linked
    assert "Check the &lt;date&gt; before sending" in body
    assert find_note_key(body) == "job-1"
    assert find_note_key(note["body_text"]) == "job-1"


def test_note_key_is_found_beyond_the_first_page(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket()
    for i in range(105):
        fake.add_conversation(ticket, f"<p>message {i}</p>")
    posted = adapter.post_note(str(ticket), _draft(), key="job-2")
    fake.add_conversation(ticket, "<p>later</p>")

    assert adapter.post_note(str(ticket), _draft(), key="job-2") == posted.__class__(
        id=posted.id, created=False, public=False
    )
    assert len(fake.notes(ticket)) == 1


def test_note_posted_before_a_crash_is_not_posted_again(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    ticket = fake.add_ticket()
    adapter.post_note(str(ticket), _draft(), key="job-3")
    fake.fail_next(status=503, retry_after=None, path_contains="/notes")  # any further POST would fail

    ref = adapter.post_note(str(ticket), _draft(), key="job-3")

    assert not ref.created
    assert fake.count("POST", "/notes") == 1


def test_public_post_is_a_reply_with_the_key(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket()

    ref = adapter.post_note(str(ticket), _draft(), public=True, key="job-4")

    assert ref.public and ref.created
    assert fake.count("POST", "/reply") == 1
    reply = fake.notes(ticket)[0]
    assert reply["private"] is False
    assert "Your parcel ships today." in reply["body"] and "Sources" not in reply["body"]
    assert adapter.post_note(str(ticket), _draft(), public=True, key="job-4").created is False


def test_note_key_must_be_findable(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    with pytest.raises(ConfigurationError):
        adapter.post_note(str(fake.add_ticket()), _draft(), key="has spaces")


# --- tags ------------------------------------------------------------------------------------------


def test_tags_are_merged_not_overwritten(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket(tags=["vip", "billing"])

    adapter.add_tags(str(ticket), ["replyassist_drafted", "vip", "replyassist_reply"])

    assert fake.tags(ticket) == ["vip", "billing", "replyassist_drafted", "replyassist_reply"]
    put = [r for r in fake.requests if r.method == "PUT"][-1]
    assert put.body == {"tags": ["vip", "billing", "replyassist_drafted", "replyassist_reply"]}


def test_nothing_is_written_when_every_tag_is_there(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket(tags=["a", "b"])

    adapter.add_tags(str(ticket), ["b", "a"])

    assert fake.count("PUT") == 0


# --- Solutions -------------------------------------------------------------------------------------


@pytest.fixture
def solutions(fake: FakeFreshdesk) -> dict[str, int]:
    fake.supported_languages = ["fr"]
    general = fake.add_category("General")
    started = fake.add_folder("Getting started", category_id=general)
    nested = fake.add_folder("Accounts", category_id=general, parent_id=started)
    internal = fake.add_folder("Agents only", category_id=general, visibility=3)
    old = datetime(2026, 1, 1, tzinfo=UTC)
    new = datetime(2026, 6, 1, tzinfo=UTC)
    ids = {
        "shipping": fake.add_article(
            "Shipping",
            "<p>We ship <b>daily</b>.</p><p>Free over 50.</p>",
            folder_id=started,
            updated_at=old,
            tags=["shipping"],
        ),
        "account": fake.add_article(
            "Changing account details", "<p>Open settings.</p>", folder_id=nested, updated_at=new
        ),
    }
    fake.add_article("Draft", "<p>unfinished</p>", folder_id=started, status=1)
    fake.add_article("Escalation matrix", "<p>internal</p>", folder_id=internal)
    fake.add_article(
        "Expédition",
        "<p>Nous expédions chaque jour.</p>",
        folder_id=started,
        language="fr",
        article_id=ids["shipping"],
        updated_at=new,
    )
    return ids


def test_solutions_sync_walks_categories_folders_subfolders_and_translations(
    adapter: FreshdeskAdapter, solutions: dict[str, int]
) -> None:
    articles = {a.id: a for a in adapter.list_articles()}

    shipping, fr = f"freshdesk:{solutions['shipping']}", f"freshdesk:{solutions['shipping']}:fr"
    assert set(articles) == {shipping, f"freshdesk:{solutions['account']}", fr}
    assert articles[shipping].body == "We ship daily.\n\nFree over 50."
    assert (
        articles[shipping].url
        == f"https://acme.freshdesk.com/support/solutions/articles/{solutions['shipping']}"
    )
    assert articles[shipping].locale == "en"
    assert articles[shipping].labels == ["General", "Getting started", "shipping"]
    assert articles[f"freshdesk:{solutions['account']}"].labels == ["General", "Getting started", "Accounts"]
    assert (articles[fr].title, articles[fr].locale) == ("Expédition", "fr")
    assert (
        articles[fr].url
        == f"https://acme.freshdesk.com/fr/support/solutions/articles/{solutions['shipping']}"
    )


def test_solutions_sync_is_incremental(adapter: FreshdeskAdapter, solutions: dict[str, int]) -> None:
    since = datetime(2026, 3, 1, tzinfo=UTC)

    ids = {a.id for a in adapter.list_articles(since=since)}

    assert ids == {f"freshdesk:{solutions['account']}", f"freshdesk:{solutions['shipping']}:fr"}
    assert all(a.updated_at and a.updated_at > since for a in adapter.list_articles(since=since))


def test_solutions_sync_without_subfolder_support_or_languages_setting(
    fake: FakeFreshdesk, solutions: dict[str, int]
) -> None:
    fake.subfolders_supported = False
    adapter = from_settings(fake.settings(FRESHDESK_LANGUAGES="en"))

    ids = {a.id for a in adapter.list_articles()}

    assert ids == {f"freshdesk:{solutions['shipping']}"}
    assert fake.count("GET", "settings/helpdesk") == 0


# --- settings and discovery ------------------------------------------------------------------------


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        from_settings({"FRESHDESK_DOMAIN": "acme"})
    assert "FRESHDESK_API_KEY" in str(caught.value) and "FRESHDESK_WEBHOOK_SECRET" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FRESHDESK_WEBHOOK_SECRET", "x7Qz9", "too short"),
        ("FRESHDESK_BASE_URL", "ftp://x", "FRESHDESK_BASE_URL"),
        ("FRESHDESK_BASE_URL", "http://user:pw@proxy/api/v2", "credentials"),
        ("FRESHDESK_TIMEOUT", "-1", "FRESHDESK_TIMEOUT"),
    ],
)
def test_bad_settings_are_explained(fake: FakeFreshdesk, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        from_settings(fake.settings(**{name: value}))
    assert "x7Qz9" not in str(caught.value) and "pw@" not in str(caught.value)


def test_secrets_never_show(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    shown = " ".join([repr(adapter), repr(adapter.settings), repr(adapter.client), str(adapter.settings)])

    assert fake.api_key not in shown
    assert "a-long-shared-webhook-secret" not in shown


def test_found_through_the_entry_point(fake: FakeFreshdesk) -> None:
    adapter = load_helpdesk("freshdesk", fake.settings())

    assert isinstance(adapter, FreshdeskAdapter)
    assert adapter.name == "freshdesk"


def test_secrets_stay_out_of_logs(fake: FakeFreshdesk, caplog: pytest.LogCaptureFixture) -> None:
    adapter = from_settings(fake.settings())
    wrong = from_settings(fake.settings(FRESHDESK_API_KEY="wrong-key-0123456789"))
    ticket = str(fake.add_ticket(source=11))
    with caplog.at_level(logging.DEBUG):
        adapter.fetch_ticket(ticket)
        adapter.post_note(ticket, _draft(), key="job-9")
        with pytest.raises(HelpdeskError):
            wrong.fetch_ticket(ticket)
        with pytest.raises(WebhookAuthError):
            adapter.verify_webhook(WebhookRequest(headers={"X-Replyassist-Secret": "guess"}, body=b"{}"))

    assert caplog.records  # something was logged (urllib3, the adapter)
    for secret in (fake.api_key, "wrong-key-0123456789", "a-long-shared-webhook-secret"):
        assert secret not in caplog.text
