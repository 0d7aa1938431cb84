"""Each known gap of python-freshdesk 1.3.9: shown on the bare library, then closed by the adapter.

The library is exercised for real (its HTTP session, its models) against the loopback fake.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from freshdesk.api import API as LibraryAPI
from freshdesk.v2.errors import FreshdeskRateLimited
from freshdesk.v2.models import Ticket as LibraryTicket
from replyassist import Channel, ConfigurationError, HelpdeskError, RateLimited, Role, TicketNotFound

from fake_freshdesk import FakeFreshdesk
from replyassist_freshdesk import FreshdeskAdapter, FreshdeskSettings, from_settings


def _library(fake: FakeFreshdesk) -> object:
    """The bare library, pointed at the fake the only way it allows (a private attribute)."""
    api = LibraryAPI("acme.freshdesk.com", fake.api_key)
    api._api_prefix = fake.base_url
    return api


# --- gap 1: the base URL is hard-coded to https://{domain}/api/v2/ ---------------------------------


def test_library_hard_codes_https_on_the_domain() -> None:
    assert LibraryAPI("acme.freshdesk.com", "k")._api_prefix == "https://acme.freshdesk.com/api/v2/"


def test_adapter_talks_to_the_configured_base_url(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket()

    assert adapter.fetch_ticket(str(ticket)).id == str(ticket)
    assert fake.count("GET", f"/api/v2/tickets/{ticket}") == 1
    # Without an override the API is Freshdesk's own, over HTTPS.
    plain = FreshdeskSettings.from_mapping({**fake.settings(), "FRESHDESK_BASE_URL": ""})
    assert plain.api_prefix == "https://acme.freshdesk.com/api/v2/"


# --- gap 2: the domain check ----------------------------------------------------------------------


def test_library_domain_check_is_a_substring_test_raising_attribute_error() -> None:
    with pytest.raises(AttributeError):
        LibraryAPI("127.0.0.1:8080", "k")
    # ...and lets through a host that merely contains "freshdesk.com".
    assert LibraryAPI("acme.freshdesk.com.evil.example", "k")._api_prefix.startswith(
        "https://acme.freshdesk.com.evil"
    )


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("acme", "acme.freshdesk.com"),
        ("ACME.freshdesk.com", "acme.freshdesk.com"),
        ("https://acme.freshdesk.com/", "acme.freshdesk.com"),
    ],
)
def test_adapter_normalises_the_domain(fake: FakeFreshdesk, given: str, domain: str) -> None:
    assert from_settings(fake.settings(FRESHDESK_DOMAIN=given)).settings.domain == domain


@pytest.mark.parametrize(
    "given", ["support.acme.com", "acme.freshdesk.com.evil.example", "127.0.0.1:8080", "ac_me"]
)
def test_adapter_refuses_other_domains_with_a_configuration_error(fake: FakeFreshdesk, given: str) -> None:
    with pytest.raises(ConfigurationError, match="FRESHDESK_DOMAIN"):
        from_settings(fake.settings(FRESHDESK_DOMAIN=given))


# --- gap 3: list calls without pagination ---------------------------------------------------------


def _folder_with_articles(fake: FakeFreshdesk, n: int) -> int:
    folder = fake.add_folder("Getting started", category_id=fake.add_category("General"))
    for i in range(n):
        fake.add_article(f"Article {i}", f"<p>Text {i}</p>", folder_id=folder)
    return folder


def test_library_solution_lists_stop_at_the_first_page(fake: FakeFreshdesk) -> None:
    folder = _folder_with_articles(fake, 35)

    assert len(_library(fake).solutions.articles.list_from_folder(folder)) == 30


def test_adapter_follows_the_link_header_to_the_last_page(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    _folder_with_articles(fake, 235)

    articles = list(adapter.list_articles())

    assert len(articles) == 235
    assert len({a.id for a in articles}) == 235
    pages = [r for r in fake.requests if r.path.endswith("/articles")]
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2", "3"]
    assert all(r.query["per_page"] == ["100"] for r in pages)


def test_conversations_beyond_the_ten_embedded_are_all_fetched(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    ticket = fake.add_ticket()
    for i in range(130):
        fake.add_conversation(ticket, f"<p>message {i}</p>", from_requester=i % 2 == 0)

    fetched = adapter.fetch_ticket(str(ticket))

    assert len(fetched.messages) == 131
    assert fetched.messages[-1].text == "message 129"


def test_next_links_to_freshdesk_itself_are_followed_on_the_configured_base_url() -> None:
    """A proxy may pass Freshdesk's absolute links through: the API key must still go only to the base URL."""
    with FakeFreshdesk(link_host="acme.freshdesk.com") as fake:
        _folder_with_articles(fake, 150)
        adapter = from_settings(fake.settings())

        assert len(list(adapter.list_articles())) == 150  # the network guard would fail a call to Freshdesk


# --- gap 4: KeyError on ticket sources 9 and 10 ---------------------------------------------------


@pytest.mark.parametrize("source", [9, 10])
def test_library_ticket_source_raises_key_error(fake: FakeFreshdesk, source: int) -> None:
    ticket = _library(fake).tickets.get_ticket(fake.add_ticket(source=source))

    assert isinstance(ticket, LibraryTicket)
    with pytest.raises(KeyError):
        _ = ticket.source


def test_adapter_maps_feedback_widget_and_outbound_email(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    widget = adapter.fetch_ticket(str(fake.add_ticket(source=9)))
    outbound = adapter.fetch_ticket(str(fake.add_ticket("<p>Your order shipped.</p>", source=10)))

    assert widget.channel is Channel.WEB_FORM
    assert widget.messages[0].author is Role.CUSTOMER
    assert outbound.channel is Channel.EMAIL
    assert outbound.messages[0].author is Role.AGENT  # an agent wrote the first message of an outbound email


# --- gap 5: no 429 handling -----------------------------------------------------------------------


def test_library_429_has_no_retry_after(fake: FakeFreshdesk) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(status=429, retry_after="17")

    with pytest.raises(FreshdeskRateLimited) as caught:
        _library(fake).tickets.get_ticket(ticket)

    assert not hasattr(caught.value, "retry_after")
    assert caught.value.response is None


def test_adapter_429_becomes_rate_limited_with_retry_after(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(status=429, retry_after="17")

    with pytest.raises(RateLimited) as caught:
        adapter.fetch_ticket(str(ticket))

    assert caught.value.status_code == 429
    assert caught.value.retry_after == 17.0
    assert adapter.fetch_ticket(str(ticket)).id == str(ticket)  # the next call goes through


def test_retry_after_as_an_http_date(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(
        status=429, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    )

    with pytest.raises(RateLimited) as caught:
        adapter.add_tags(str(ticket), ["x"])

    assert caught.value.retry_after is not None
    assert 100 < caught.value.retry_after <= 120


# --- the other statuses ---------------------------------------------------------------------------


def test_missing_ticket_is_ticket_not_found(fake: FakeFreshdesk, adapter: FreshdeskAdapter) -> None:
    with pytest.raises(TicketNotFound) as caught:
        adapter.fetch_ticket("424242")
    assert caught.value.status_code == 404
    with pytest.raises(TicketNotFound):
        adapter.fetch_ticket("not-a-number")
    with pytest.raises(TicketNotFound):
        adapter.add_tags("424242", ["x"])


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_helpdesk_errors_with_the_status(
    fake: FakeFreshdesk, adapter: FreshdeskAdapter, status: int
) -> None:
    ticket = fake.add_ticket()
    fake.fail_next(status=status, retry_after=None)

    with pytest.raises(HelpdeskError) as caught:
        adapter.fetch_ticket(str(ticket))

    assert type(caught.value) is HelpdeskError
    assert caught.value.status_code == status


def test_wrong_api_key_is_reported_without_the_key(fake: FakeFreshdesk) -> None:
    adapter = from_settings(fake.settings(FRESHDESK_API_KEY="wrong-key-that-must-not-leak"))

    with pytest.raises(HelpdeskError) as caught:
        adapter.fetch_ticket(str(fake.add_ticket()))

    assert caught.value.status_code == 401
    assert "FRESHDESK_API_KEY" in str(caught.value)
    assert "wrong-key-that-must-not-leak" not in str(caught.value)


def test_unreachable_freshdesk_is_a_helpdesk_error(fake: FakeFreshdesk) -> None:
    settings = fake.settings()
    fake.stop()
    adapter = from_settings(settings)

    with pytest.raises(HelpdeskError, match="cannot reach Freshdesk"):
        adapter.fetch_ticket("1")


# --- X-Ratelimit-* ---------------------------------------------------------------------------------


def test_rate_limit_headers_are_recorded_and_a_low_budget_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeFreshdesk(rate_total=40) as fake:
        adapter = from_settings(fake.settings())
        ticket = fake.add_ticket()
        adapter.fetch_ticket(str(ticket))
        assert adapter.rate_limit is not None
        assert (adapter.rate_limit.total, adapter.rate_limit.remaining) == (40, 39)

        fake.rate_remaining = 3
        with caplog.at_level(logging.WARNING, logger="replyassist_freshdesk"):
            adapter.fetch_ticket(str(ticket))

        assert "budget is low" in caplog.text


def test_sync_pauses_when_the_budget_runs_low_but_drafting_goes_on() -> None:
    with FakeFreshdesk(rate_total=100) as fake:
        _folder_with_articles(fake, 5)
        adapter = from_settings(fake.settings())
        list(adapter.list_articles())  # enough budget: completes

        fake.rate_remaining = 10
        with pytest.raises(RateLimited) as caught:
            list(adapter.list_articles())

        assert caught.value.retry_after == 60.0
        ticket = fake.add_ticket()
        assert adapter.fetch_ticket(str(ticket)).id == str(ticket)  # drafting keeps the rest of the budget
