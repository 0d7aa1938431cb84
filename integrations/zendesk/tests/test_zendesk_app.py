"""The Zendesk sidebar app: packaging checks, and the packaged app in headless Chromium.

The app runs exactly as packaged (unzipped, served on loopback) against the real replyassist
service on loopback; only the ZAF client is a stub (see ``integrations/sidebar/sidebar_harness.py``).
Set ``REPLYASSIST_UPDATE_SCREENSHOTS=1`` to refresh ``docs/sidebar.png`` for the README.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from replyassist import ConfigurationError

from replyassist_zendesk.app_package import ZAF_SDK_URL, package_app

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "sidebar"))

import sidebar_harness as harness  # noqa: E402

APP = HERE.parent / "app"
SCREENSHOT = HERE.parent / "docs" / "sidebar.png"


# --- packaging ------------------------------------------------------------------------------------


def test_package_is_the_zip_zendesk_expects(tmp_path: Path) -> None:
    archive = package_app(tmp_path / "app.zip", service_domain="replyassist.example.com")

    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        translations = {
            name: json.loads(zipped.read(name)) for name in names if name.startswith("translations/")
        }
    assert {
        "manifest.json",
        "assets/iframe.html",
        "assets/main.js",
        "assets/sidebar.js",
        "assets/sidebar-i18n.js",
        "assets/sidebar.css",
        "assets/logo.png",
        "assets/logo-small.png",
    } <= names
    assert set(translations) == {"translations/en.json", "translations/es.json", "translations/de.json"}
    assert all(data["app"]["parameters"]["service_token"]["label"] for data in translations.values())
    assert manifest["location"]["support"]["ticket_sidebar"]["url"] == "assets/iframe.html"
    assert manifest["domainWhitelist"] == ["replyassist.example.com"]
    assert {p["name"]: p["secure"] for p in manifest["parameters"]} == {
        "service_url": False,
        "service_token": True,
    }


def test_a_broken_app_is_refused_with_every_problem_listed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    manifest = json.loads((app / "manifest.json").read_text(encoding="utf-8"))
    del manifest["frameworkVersion"]
    manifest["parameters"][1]["secure"] = False
    (app / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    page = (app / "assets" / "iframe.html").read_text(encoding="utf-8")
    page = page.replace("main.js", "missing.js").replace(
        "</head>", '<script src="https://cdn.example.com/lib.js"></script></head>'
    )
    (app / "assets" / "iframe.html").write_text(page, encoding="utf-8")
    (app / "translations" / "es.json").write_text("{not json", encoding="utf-8")
    (app / "translations" / "en.json").unlink()

    with pytest.raises(ConfigurationError) as caught:
        package_app(tmp_path / "out.zip", app_dir=app)

    message = str(caught.value)
    for expected in (
        "'frameworkVersion' is required",
        "'service_token' parameter must be secure",
        "missing.js, which is not in the app",
        "https://cdn.example.com/lib.js from outside the app",
        "translations/es.json is not valid JSON",
        "translations/en.json (the defaultLocale) is missing",
    ):
        assert expected in message
    assert not (tmp_path / "out.zip").exists()


def test_the_only_external_script_is_the_zaf_sdk() -> None:
    page = (APP / "assets" / "iframe.html").read_text(encoding="utf-8")
    assert ZAF_SDK_URL in page
    assert page.count("https://") == 1


# --- the app in Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Service]:
    with harness.run_service(tmp_path_factory.mktemp("service"), "zendesk") as running:
        yield running


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("zendesk-app")
    harness.unzip(package_app(root / "app.zip", service_domain="replyassist.example.com"), root / "unzipped")
    with harness.serve_directory(root / "unzipped") as base:
        yield f"{base}/assets/iframe.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with harness.chromium() as running:
        yield running


def _open(browser: Any, service: harness.Service, app_url: str, ticket_id: str = "", **overrides: Any) -> Any:
    context = browser.new_context(viewport={"width": 340, "height": 900})
    page = context.new_page()
    page.watch = harness.watch(page)
    ticket_id = ticket_id or service.ticket_id
    comments = service.zaf_comments(ticket_id)
    harness.install_zaf_stub(page, service=service, ticket_id=ticket_id, comments=comments, **overrides)
    page.goto(app_url)
    return page


@pytest.fixture
def page(browser: Any, service: harness.Service, app_url: str) -> Iterator[Any]:
    page = _open(browser, service, app_url)
    page.wait_for_selector("#ra-draft")
    yield page
    page.context.close()


def test_draft_loads_with_decision_signals_and_citations(page: Any, service: harness.Service) -> None:
    stored = service.store.latest_draft("zendesk", service.ticket_id)
    assert stored is not None
    draft = stored.draft

    assert page.input_value("#ra-draft") == draft.text
    assert harness.current_draft_id(page) == draft.id
    assert page.text_content(".ra-badge") in {"Reply", "Escalate"}
    chips = page.text_content(".ra-chips") or ""
    assert f"Language: {draft.signals.language}" in chips
    assert "Urgency:" in chips and "Sentiment:" in chips
    for reason in draft.reasons:
        assert reason in (page.text_content(".ra-reasons") or "")
    assert [c.title for c in draft.citations] == page.locator(
        ".ra-citations li > :first-child"
    ).all_text_contents()


def test_screenshot_of_an_ordinary_ticket(browser: Any, service: harness.Service, app_url: str) -> None:
    page = _open(browser, service, app_url, ticket_id=service.sample_id)
    page.wait_for_selector("#ra-draft")
    assert "Moab" not in (page.text_content(".ra-customer") or "")  # the customer's newest message is shown
    assert "THIRD time" in (page.text_content(".ra-customer") or "")
    png = page.screenshot(full_page=True)
    assert png.startswith(b"\x89PNG")
    if os.environ.get("REPLYASSIST_UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png)
    page.context.close()


def test_hostile_text_from_customer_and_kb_is_inert(page: Any, service: harness.Service) -> None:
    assert harness.HOSTILE_SCRIPT in (page.text_content(".ra-customer") or "")
    assert harness.HOSTILE_IMG in (page.text_content(".ra-customer") or "")
    citation_titles = page.locator(".ra-citations li > :first-child").all_text_contents()
    assert any(harness.HOSTILE_IMG in title for title in citation_titles), citation_titles
    assert page.locator(".ra script, .ra img, .ra iframe, .ra [onerror]").count() == 0
    hrefs = page.eval_on_selector_all(".ra a", "links => links.map(a => a.getAttribute('href'))")
    assert all(href.startswith(("https://", "http://")) for href in hrefs)  # the javascript: URL stayed text
    page.wait_for_timeout(200)  # let any would-be onerror handler fire
    assert page.watch.dialogs == []
    assert page.watch.errors == []
    assert [url for url in page.watch.outside_requests if not url.startswith(ZAF_SDK_URL)] == []
    assert service.token not in page.content()


def test_insert_puts_exactly_the_draft_into_the_editor(page: Any) -> None:
    text = page.input_value("#ra-draft")
    mode = page.input_value("#ra-mode")

    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--ok")

    inserts = [c for c in harness.calls(page, "invoke") if c["name"] == "comment.appendText"]
    assert [c["args"] for c in inserts] == [[text]]
    kinds = [c["value"] for c in harness.calls(page, "set") if c["path"] == "comment.type"]
    assert kinds == ["internalNote" if mode == "note" else "publicReply"]


def test_an_editor_that_refuses_the_text_is_reported(page: Any) -> None:
    page.evaluate("window.__raZafConfig.editorClosed = true")
    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--error")
    assert page.text_content(".ra-status") == "The editor did not accept the text."
    assert page.is_enabled("#ra-insert")  # the agent can try again


def test_sent_text_decides_edited_feedback_at_save(page: Any, service: harness.Service) -> None:
    draft_id = harness.current_draft_id(page)
    before = len(service.store.feedback_for(draft_id))
    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--ok")
    # The agent adds a line in Zendesk's editor, then submits the ticket.
    page.evaluate("window.__raZaf.editor.text = '<p>' + window.__raZaf.editor.text + '</p><p>Talk soon!</p>'")
    page.evaluate("window.__raZaf.save()")
    page.wait_for_function("document.querySelector('.ra-status').textContent.includes('with edits')")

    [record] = service.store.feedback_for(draft_id)[before:]
    assert record.kind.value == "edited"
    assert record.final_text is not None and record.final_text.rstrip().endswith("Talk soon!")
    assert record.edit_distance is not None and record.edit_distance > 0


def test_tone_needing_a_model_explains_itself_and_shorter_works(page: Any, service: harness.Service) -> None:
    first = harness.current_draft_id(page)
    page.select_option("#ra-tone", "friendlier")
    page.click("#ra-tone-apply")
    page.wait_for_selector(".ra-status--error")
    assert "needs a language model" in (page.text_content(".ra-status") or "")
    assert harness.current_draft_id(page) == first

    page.select_option("#ra-tone", "shorter")
    page.click("#ra-tone-apply")
    page.wait_for_function(f"document.querySelector('.ra').dataset.draftId !== '{first}'")
    second = harness.current_draft_id(page)
    assert service.store.get_draft(second).parent_id == first
    assert page.input_value("#ra-tone") == "shorter"


def test_reject_with_a_reason_is_stored(page: Any, service: harness.Service) -> None:
    draft_id = harness.current_draft_id(page)
    before = len(service.store.feedback_for(draft_id))
    page.focus("#ra-reject-open")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "ra-reject-reason"  # keyboard users land in the form
    page.keyboard.press("Escape")
    assert page.locator(".ra-reject").count() == 0
    assert page.evaluate("document.activeElement.id") == "ra-reject-open"
    page.keyboard.press("Enter")
    page.select_option("#ra-reject-reason", "wrong_facts")
    page.fill("#ra-reject-details", "the refund policy changed")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ra-status--ok")

    [record] = service.store.feedback_for(draft_id)[before:]
    assert record.kind.value == "rejected"
    assert record.reason == "Wrong or missing facts: the refund policy changed"


def test_regenerate_drafts_again(page: Any, service: harness.Service) -> None:
    before = harness.current_draft_id(page)
    page.click("#ra-regenerate")
    page.wait_for_function(f"document.querySelector('.ra').dataset.draftId !== '{before}'")
    latest = service.store.latest_draft("zendesk", service.ticket_id)
    assert latest is not None and latest.draft.id == harness.current_draft_id(page)


def test_a_wrong_token_points_at_the_app_settings(
    browser: Any, service: harness.Service, app_url: str
) -> None:
    page = _open(browser, service, app_url, token="ra_not-a-real-token")
    page.wait_for_selector(".ra-error")
    assert "Check the token in the app settings" in (page.text_content(".ra-error") or "")
    page.context.close()


def test_a_service_that_is_down_offers_a_retry(browser: Any, service: harness.Service, app_url: str) -> None:
    page = _open(browser, service, app_url, service_url=f"http://127.0.0.1:{harness.free_port()}")
    page.wait_for_selector(".ra-error")
    assert "cannot be reached" in (page.text_content(".ra-error") or "")
    assert page.locator(".ra-error button").text_content() == "Try again"
    page.context.close()


def test_a_message_that_needs_no_reply_says_so(browser: Any, service: harness.Service, app_url: str) -> None:
    page = _open(browser, service, app_url, ticket_id=service.thanks_id)
    page.wait_for_selector(".ra-decision")
    assert page.text_content(".ra-badge") == "No reply needed"
    assert page.text_content(".ra-skip") == "This message needs no reply."
    assert "only says thanks" in (page.text_content(".ra-reasons") or "")
    assert page.locator("#ra-regenerate").is_visible()
    page.context.close()


def test_agents_see_the_sidebar_in_their_language(
    browser: Any, service: harness.Service, app_url: str
) -> None:
    page = _open(browser, service, app_url, locale="de-DE")
    page.wait_for_selector("#ra-draft")
    assert page.text_content("#ra-insert") == "Einfügen"
    assert page.text_content("label[for=ra-draft]") == "Antwortvorschlag (bearbeitbar)"
    page.context.close()
