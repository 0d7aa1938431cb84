"""The adapter through the real zenpy against the fake Zendesk: settings, errors, limits, articles."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from replyassist import (
    Channel,
    ConfigurationError,
    Decision,
    Draft,
    HelpdeskError,
    RateLimited,
    Role,
    TicketNotFound,
)
from replyassist.helpdesk import load_helpdesk

from fake_zendesk import WEBHOOK_SECRET, FakeZendesk, make_adapter
from replyassist_zendesk import ZendeskAdapter, ZendeskSettings


def _ticket(fake: FakeZendesk, *, comments: int = 1, channel: str = "email") -> int:
    customer = fake.create_user("Ana Souza", email="ana@example.com", locale="pt-BR")
    ticket_id = fake.create_ticket(
        subject="Refund", requester_id=customer, via={"channel": channel, "source": {"rel": None}}
    )
    for n in range(comments):
        fake.add_comment(ticket_id, f"message {n}", author_id=customer)
    return ticket_id


def _draft() -> Draft:
    return Draft(decision=Decision.REPLY, text="Hi Ana, your refund is on its way.", channel=Channel.EMAIL)


# --- settings ---------------------------------------------------------------------------------------


def test_settings_name_everything_missing() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ZendeskSettings.from_mapping({})
    message = str(raised.value)
    for name in ("ZENDESK_SUBDOMAIN", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN", "ZENDESK_WEBHOOK_SECRET"):
        assert name in message


def test_settings_need_the_email_with_an_api_token() -> None:
    with pytest.raises(ConfigurationError, match="ZENDESK_EMAIL"):
        ZendeskSettings.from_mapping(
            {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_API_TOKEN": "x", "ZENDESK_WEBHOOK_SECRET": "s"}
        )


@pytest.mark.parametrize("value", ["acme", "ACME.zendesk.com", "https://acme.zendesk.com/"])
def test_settings_accept_a_subdomain_host_or_url(value: str) -> None:
    settings = ZendeskSettings.from_mapping(
        {"ZENDESK_SUBDOMAIN": value, "ZENDESK_OAUTH_TOKEN": "o", "ZENDESK_WEBHOOK_SECRET": "s"}
    )
    assert settings.subdomain == "acme"


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ZendeskSettings.from_mapping(
            {
                "ZENDESK_SUBDOMAIN": "not a subdomain!",
                "ZENDESK_OAUTH_TOKEN": "o",
                "ZENDESK_API_TOKEN": "t",
                "ZENDESK_WEBHOOK_SECRET": "s",
                "ZENDESK_BASE_URL": "ftp://x",
                "ZENDESK_REPLAY_WINDOW": "-3",
            }
        )
    for part in ("ZENDESK_SUBDOMAIN", "not both", "ZENDESK_BASE_URL", "ZENDESK_REPLAY_WINDOW"):
        assert part in str(raised.value)


def test_the_entry_point_loads_the_adapter(fake_zendesk: FakeZendesk) -> None:
    adapter = load_helpdesk(
        "zendesk",
        {
            "ZENDESK_SUBDOMAIN": "acme",
            "ZENDESK_EMAIL": fake_zendesk.email,
            "ZENDESK_API_TOKEN": fake_zendesk.token or "",
            "ZENDESK_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ZENDESK_BASE_URL": fake_zendesk.url,
        },
    )
    assert isinstance(adapter, ZendeskAdapter)
    assert adapter.fetch_ticket(str(_ticket(fake_zendesk))).customer.locale == "pt-BR"


def test_secrets_stay_out_of_reprs_errors_and_logs(
    fake_zendesk: FakeZendesk, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = make_adapter(fake_zendesk)
    secrets = (fake_zendesk.token or "", WEBHOOK_SECRET)
    fake_zendesk.fail_next(500)
    with caplog.at_level(logging.DEBUG), pytest.raises(HelpdeskError) as raised:
        adapter.fetch_ticket(str(_ticket(fake_zendesk)))
    shown = repr(adapter) + repr(adapter.settings) + str(raised.value) + repr(raised.value) + caplog.text
    for secret in secrets:
        assert secret not in shown


# --- authentication ------------------------------------------------------------------------------------


def test_an_oauth_token_works() -> None:
    with FakeZendesk(token=None, oauth_token="oauth-abc") as fake:
        adapter = ZendeskAdapter(
            ZendeskSettings(subdomain="acme", oauth_token="oauth-abc", webhook_secret="s", base_url=fake.url)
        )
        assert adapter.fetch_ticket(str(_ticket(fake))).subject == "Refund"


def test_wrong_credentials_are_a_helpdesk_error_without_the_token(fake_zendesk: FakeZendesk) -> None:
    adapter = ZendeskAdapter(
        ZendeskSettings(
            subdomain="acme", email="bot@acme.test", api_token="wrong-token", base_url=fake_zendesk.url
        )
    )
    with pytest.raises(HelpdeskError) as raised:
        adapter.fetch_ticket(str(_ticket(fake_zendesk)))
    assert raised.value.status_code == 401
    assert "wrong-token" not in str(raised.value)


# --- the thread -----------------------------------------------------------------------------------------


def test_a_long_thread_is_fetched_across_pages(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    ticket_id = _ticket(fake_zendesk, comments=7)
    ticket = adapter.fetch_ticket(str(ticket_id))
    assert [m.text for m in ticket.messages] == [f"message {n}" for n in range(7)]
    assert all(m.author is Role.CUSTOMER for m in ticket.messages)
    assert fake_zendesk.requests_to("GET", f"/tickets/{ticket_id}/comments.json") == 4  # pages of 2


def test_tickets_are_fetched_fresh_every_time(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    ticket_id = _ticket(fake_zendesk)
    assert len(adapter.fetch_ticket(str(ticket_id)).messages) == 1
    fake_zendesk.add_comment(
        ticket_id, "one more thing", author_id=fake_zendesk.ticket(ticket_id)["requester_id"]
    )
    assert len(adapter.fetch_ticket(str(ticket_id)).messages) == 2


def test_the_adapter_is_safe_to_share_between_threads(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    ids = [_ticket(fake_zendesk, comments=3) for _ in range(6)]
    failures: list[BaseException] = []

    def work(ticket_id: int) -> None:
        try:
            assert adapter.fetch_ticket(str(ticket_id)).id == str(ticket_id)
            adapter.post_note(str(ticket_id), _draft(), key=f"job-{ticket_id}")
            adapter.add_tags(str(ticket_id), ["replyassist_drafted"])
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for ticket_id in ids:
        notes = [c for c in fake_zendesk.comments(ticket_id) if c["author_id"] == fake_zendesk.api_user_id]
        assert len(notes) == 1 and f"job-{ticket_id}" in notes[0]["html_body"]
        assert fake_zendesk.ticket(ticket_id)["tags"] == ["replyassist_drafted"]


def test_a_non_numeric_ticket_id_is_not_found(adapter: ZendeskAdapter) -> None:
    with pytest.raises(TicketNotFound):
        adapter.fetch_ticket("../users/1")


# --- errors ----------------------------------------------------------------------------------------------


def test_429_with_retry_after_raises_at_once_with_the_delay(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(429, retry_after="120", path=f"/tickets/{ticket_id}.json")
    with pytest.raises(RateLimited) as raised:
        adapter.fetch_ticket(str(ticket_id))
    assert (raised.value.status_code, raised.value.retry_after) == (429, 120.0)
    # zenpy would have slept 120 s and asked again; the service decides instead.
    assert fake_zendesk.requests_to("GET", f"/tickets/{ticket_id}.json") == 1


def test_429_without_retry_after_uses_the_reset_header(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(429, method="PUT")
    with pytest.raises(RateLimited) as raised:
        adapter.add_tags(str(ticket_id), ["x"])
    assert raised.value.retry_after == 37.0  # the fake's ratelimit-reset


def test_404_is_ticket_not_found(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    with pytest.raises(TicketNotFound) as raised:
        adapter.add_tags("424242", ["x"])
    assert raised.value.status_code == 404


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_a_helpdesk_error_and_not_retried_inside(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter, status: int
) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(status, retry_after="5")
    with pytest.raises(HelpdeskError) as raised:
        adapter.fetch_ticket(str(ticket_id))
    assert not isinstance(raised.value, (RateLimited, TicketNotFound))
    assert (raised.value.status_code, raised.value.retry_after) == (status, 5.0)
    assert fake_zendesk.requests_to("GET", f"/tickets/{ticket_id}.json") == 1


def test_409_on_tags_is_retried(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(409, method="PUT")
    adapter.add_tags(str(ticket_id), ["replyassist_drafted"])
    assert fake_zendesk.ticket(ticket_id)["tags"] == ["replyassist_drafted"]
    assert fake_zendesk.requests_to("PUT", f"/tickets/{ticket_id}/tags.json") == 2


def test_409_on_a_note_is_retried_and_posts_once(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(409, method="PUT", times=2)
    ref = adapter.post_note(str(ticket_id), _draft(), key="job-409")
    assert ref.created
    assert [c["author_id"] for c in fake_zendesk.comments(ticket_id)].count(fake_zendesk.api_user_id) == 1


def test_a_conflict_that_persists_is_a_409_helpdesk_error(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    ticket_id = _ticket(fake_zendesk)
    fake_zendesk.fail_next(409, method="PUT", times=3)
    with pytest.raises(HelpdeskError) as raised:
        adapter.add_tags(str(ticket_id), ["x"])
    assert raised.value.status_code == 409
    assert fake_zendesk.requests_to("PUT", f"/tickets/{ticket_id}/tags.json") == 3


def test_an_unreachable_zendesk_is_a_helpdesk_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = ZendeskAdapter(
        ZendeskSettings(subdomain="acme", oauth_token="o", base_url=f"http://127.0.0.1:{port}", timeout=2)
    )
    with pytest.raises(HelpdeskError, match="cannot reach Zendesk") as raised:
        adapter.fetch_ticket("1")
    assert raised.value.status_code is None


def test_the_per_ticket_update_limit_is_respected(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    fake_zendesk.per_ticket_updates = 2
    ticket_id, other = _ticket(fake_zendesk), _ticket(fake_zendesk)
    adapter.post_note(str(ticket_id), _draft(), key="job-a")
    adapter.add_tags(str(ticket_id), ["replyassist_drafted"])  # Zendesk now reports remaining=0
    with pytest.raises(RateLimited) as raised:
        adapter.add_tags(str(ticket_id), ["replyassist_reply"])
    assert raised.value.retry_after is not None and 400 < raised.value.retry_after <= 468
    assert (
        fake_zendesk.requests_to("PUT", f"/tickets/{ticket_id}/tags.json") == 1
    )  # refused without a request
    adapter.add_tags(str(other), ["replyassist_drafted"])  # other tickets are not held back
    # A note already posted is found without an update, even while the limit is used up.
    assert adapter.post_note(str(ticket_id), _draft(), key="job-a").created is False


# --- notes -----------------------------------------------------------------------------------------------


def test_the_note_is_sent_as_a_private_html_comment(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    ticket_id = _ticket(fake_zendesk)
    ref = adapter.post_note(str(ticket_id), _draft(), key="job-html")
    [note] = [c for c in fake_zendesk.comments(ticket_id) if c["author_id"] == fake_zendesk.api_user_id]
    assert ref.id == str(note["id"])
    assert note["public"] is False
    assert "<p>Hi Ana, your refund is on its way.</p>" in note["html_body"]


# --- Help Center ------------------------------------------------------------------------------------------


def test_articles_come_in_every_locale_across_pages(
    fake_zendesk: FakeZendesk, adapter: ZendeskAdapter
) -> None:
    first = fake_zendesk.add_article("Returns", "<p>Return within 60 days.</p>", labels=["returns"])
    fake_zendesk.add_translation(first, "de", "Rücksendungen", "<p>Innerhalb von 60 Tagen.</p>")
    fake_zendesk.add_translation(first, "es", "Devoluciones", "<p>En 60 días.</p>", draft=True)
    others = [fake_zendesk.add_article(f"Article {n}", "Body") for n in range(4)]
    hidden = fake_zendesk.add_article("Unpublished", "Draft", draft=True)
    articles = {a.id: a for a in adapter.list_articles()}
    assert set(articles) == {f"{first}:en-us", f"{first}:de", *(f"{o}:en-us" for o in others)}
    assert f"{hidden}:en-us" not in articles
    german = articles[f"{first}:de"]
    assert (german.title, german.locale, german.labels) == ("Rücksendungen", "de", ["returns"])
    assert german.url is not None and german.url.endswith(f"/hc/de/articles/{first}")


def test_articles_since_only_fetch_what_changed(fake_zendesk: FakeZendesk, adapter: ZendeskAdapter) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = fake_zendesk.add_article("Old", "Body", updated_at=now - timedelta(days=10))
    changed = fake_zendesk.add_article("Changed", "Body", updated_at=now - timedelta(days=10))
    fake_zendesk.add_translation(changed, "fr", "Modifié", "Corps", updated_at=now - timedelta(minutes=5))
    ids = [a.id for a in adapter.list_articles(since=now - timedelta(days=1))]
    assert ids == [f"{changed}:fr"]
    assert fake_zendesk.requests_to("GET", f"/articles/{old}/translations.json") == 0


def test_the_public_api_is_pinned() -> None:
    import replyassist_zendesk

    assert replyassist_zendesk.__all__ == sorted(replyassist_zendesk.__all__)
    assert set(replyassist_zendesk.__all__) == {
        "CHANNELS",
        "TRIGGER_BODY",
        "VIA_IDS",
        "ZendeskAdapter",
        "ZendeskSettings",
        "__version__",
        "from_settings",
        "map_channel",
        "render_note_html",
        "sign",
    }
    assert all(hasattr(replyassist_zendesk, name) for name in replyassist_zendesk.__all__)
