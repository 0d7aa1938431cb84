"""The Freshdesk sidebar app (platform 3.0): packaging checks, and the packaged app in headless Chromium.

The app runs exactly as packaged (unzipped, served on loopback) against the real replyassist
service on loopback; only the FDK client is a stub whose ``invokeTemplate`` renders the packaged
``config/requests.json`` like the platform's proxy (see ``integrations/sidebar/sidebar_harness.py``).
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

from replyassist_freshdesk.app_package import package_app

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "sidebar"))

import sidebar_harness as harness  # noqa: E402

APP = HERE.parent / "app"
SCREENSHOT = HERE.parent / "docs" / "sidebar.png"


# --- packaging ------------------------------------------------------------------------------------


def test_package_is_the_zip_freshdesk_expects(tmp_path: Path) -> None:
    archive = package_app(tmp_path / "app.zip")

    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
        iparams = json.loads(zipped.read("config/iparams.json"))
        requests = json.loads(zipped.read("config/requests.json"))
    assert {
        "manifest.json",
        "app/index.html",
        "app/scripts/app.js",
        "app/scripts/sidebar.js",
        "app/scripts/sidebar-i18n.js",
        "app/styles/sidebar.css",
        "app/styles/images/icon.svg",
        "config/iparams.json",
        "config/requests.json",
    } <= names
    assert manifest["platform-version"] == "3.0"
    assert manifest["modules"]["support_ticket"]["location"]["ticket_sidebar"]["url"] == "index.html"
    assert set(manifest["modules"]["common"]["requests"]) == set(requests)
    assert iparams["service_token"]["secure"] is True
    for template in requests.values():
        assert "service_token" in template["schema"]["headers"]["Authorization"]
        assert "service_token" not in json.dumps(
            {k: v for k, v in template["schema"].items() if k != "headers"}
        )


def test_a_broken_app_is_refused_with_every_problem_listed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    manifest = json.loads((app / "manifest.json").read_text(encoding="utf-8"))
    manifest["platform-version"] = "2.3"
    manifest["modules"]["common"]["requests"]["deleteEverything"] = {}
    (app / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    requests = json.loads((app / "config" / "requests.json").read_text(encoding="utf-8"))
    requests["getDraft"]["schema"]["path"] += "?token=<%= iparam.service_token %>"
    (app / "config" / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    iparams = json.loads((app / "config" / "iparams.json").read_text(encoding="utf-8"))
    iparams["service_token"]["secure"] = False
    (app / "config" / "iparams.json").write_text(json.dumps(iparams), encoding="utf-8")
    page = (app / "app" / "index.html").read_text(encoding="utf-8")
    page = page.replace("scripts/app.js", "scripts/gone.js").replace(
        "</head>", '<script src="https://cdn.example.com/jquery.js"></script></head>'
    )
    (app / "app" / "index.html").write_text(page, encoding="utf-8")
    (app / "app" / "styles" / "images" / "icon.svg").unlink()

    with pytest.raises(ConfigurationError) as caught:
        package_app(tmp_path / "out.zip", app_dir=app)

    message = str(caught.value)
    for expected in (
        "platform-version must be '3.0'",
        "declares request 'deleteEverything'",
        "'service_token' parameter must be secure",
        "ticket_sidebar.icon app/styles/images/icon.svg is missing",
        "scripts/gone.js, which is not in the app",
        "https://cdn.example.com/jquery.js from outside the app",
    ):
        assert expected in message
    assert not (tmp_path / "out.zip").exists()

    iparams["service_token"]["secure"] = True
    (app / "config" / "iparams.json").write_text(json.dumps(iparams), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="secure iparam 'service_token' can only be used in headers"):
        package_app(tmp_path / "out.zip", app_dir=app)


# --- the app in Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Service]:
    with harness.run_service(tmp_path_factory.mktemp("service"), "freshdesk") as running:
        yield running


@pytest.fixture(scope="module")
def app_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("freshdesk-app")
    return harness.unzip(package_app(root / "app.zip"), root / "unzipped")


@pytest.fixture(scope="module")
def app_url(app_root: Path) -> Iterator[str]:
    with harness.serve_directory(app_root) as base:
        yield f"{base}/app/index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with harness.chromium() as running:
        yield running


def _open(browser: Any, service: harness.Service, app_root: Path, app_url: str, ticket_id: str = "") -> Any:
    context = browser.new_context(viewport={"width": 340, "height": 900})
    page = context.new_page()
    page.watch = harness.watch(page)
    ticket = service.fdk_ticket(ticket_id or service.ticket_id)
    harness.install_fdk_stub(page, app_root=app_root, service=service, ticket=ticket)
    page.goto(app_url)
    return page


@pytest.fixture
def page(browser: Any, service: harness.Service, app_root: Path, app_url: str) -> Iterator[Any]:
    page = _open(browser, service, app_root, app_url)
    page.wait_for_selector("#ra-draft")
    yield page
    page.context.close()


def test_draft_loads_through_the_request_templates(page: Any, service: harness.Service) -> None:
    stored = service.store.latest_draft("freshdesk", service.ticket_id)
    assert stored is not None
    assert page.input_value("#ra-draft") == stored.draft.text
    assert harness.current_draft_id(page) == stored.draft.id
    [call] = harness.calls(page, "invokeTemplate")
    assert call["name"] == "getDraft"
    assert call["context"] == {"ticket_id": service.ticket_id, "fresh": "false"}


def test_hostile_text_from_customer_and_kb_is_inert(page: Any, service: harness.Service) -> None:
    customer = page.text_content(".ra-customer") or ""
    assert harness.HOSTILE_SCRIPT in customer and harness.HOSTILE_IMG in customer
    titles = page.locator(".ra-citations li > :first-child").all_text_contents()
    assert any(harness.HOSTILE_IMG in title for title in titles), titles
    assert page.locator(".ra script, .ra img, .ra iframe, .ra [onerror]").count() == 0
    hrefs = page.eval_on_selector_all(".ra a", "links => links.map(a => a.getAttribute('href'))")
    assert all(href.startswith(("https://", "http://")) for href in hrefs)
    page.wait_for_timeout(200)  # let any would-be onerror handler fire
    assert page.watch.dialogs == []
    assert page.watch.errors == []
    assert page.watch.outside_requests == []
    assert service.token not in page.content()


def test_insert_puts_exactly_the_draft_into_the_editor(page: Any) -> None:
    text = page.input_value("#ra-draft")
    mode = page.input_value("#ra-mode")

    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--ok")

    triggers = harness.calls(page, "trigger")
    assert triggers[0]["action"] == "click"
    assert triggers[0]["options"]["id"] == ("openNote" if mode == "note" else "reply")
    assert [t["options"] for t in triggers if t["action"] == "setValue"] == [{"id": "editor", "text": text}]
    assert page.evaluate("window.__raFdk.editor.text") == text


def test_reply_sent_as_drafted_is_accepted(page: Any, service: harness.Service) -> None:
    draft_id = harness.current_draft_id(page)
    before = len(service.store.feedback_for(draft_id))
    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--ok")
    outcome = page.evaluate(
        "window.__raFdk.sendReply(window.__raFdk.editor.text.split('\\n\\n').map(p => '<p>' + p + '</p>').join(''))"
    )
    assert outcome == {"done": True, "failed": None, "intercepted": True}  # the send is never held up
    page.wait_for_function("document.querySelector('.ra-status').textContent.includes('as drafted')")

    [record] = service.store.feedback_for(draft_id)[before:]
    assert record.kind.value == "accepted"
    assert record.edit_distance == 0


def test_reply_sent_with_changes_is_edited(page: Any, service: harness.Service) -> None:
    draft_id = harness.current_draft_id(page)
    before = len(service.store.feedback_for(draft_id))
    page.fill("#ra-draft", "Hi Maria, your refund was sent today.")
    page.click("#ra-insert")
    page.wait_for_selector(".ra-status--ok")
    page.evaluate("window.__raFdk.sendReply('<div>Hi Maria, your refund was sent today.</div>')")
    page.wait_for_function("document.querySelector('.ra-status').textContent.includes('with edits')")

    [record] = service.store.feedback_for(draft_id)[before:]
    assert record.kind.value == "edited"
    assert record.final_text == "Hi Maria, your refund was sent today."


def test_tone_and_reject(page: Any, service: harness.Service) -> None:
    first = harness.current_draft_id(page)
    page.select_option("#ra-tone", "more_empathetic")
    page.click("#ra-tone-apply")
    page.wait_for_selector(".ra-status--error")
    assert "needs a language model" in (page.text_content(".ra-status") or "")

    page.select_option("#ra-tone", "shorter")
    page.click("#ra-tone-apply")
    page.wait_for_function(f"document.querySelector('.ra').dataset.draftId !== '{first}'")
    second = harness.current_draft_id(page)
    assert service.store.get_draft(second).parent_id == first
    before = len(service.store.feedback_for(second))

    page.click("#ra-reject-open")
    page.select_option("#ra-reject-reason", "wrong_tone")
    page.click(".ra-reject button[type=submit]")
    page.wait_for_function("document.querySelector('.ra-status').textContent.includes('rejection')")
    [record] = service.store.feedback_for(second)[before:]
    assert (record.kind.value, record.reason) == ("rejected", "Wrong tone")


def test_regenerate_asks_for_a_fresh_draft(page: Any, service: harness.Service) -> None:
    before = harness.current_draft_id(page)
    page.click("#ra-regenerate")
    page.wait_for_function(f"document.querySelector('.ra').dataset.draftId !== '{before}'")
    assert harness.calls(page, "invokeTemplate")[-1]["context"]["fresh"] == "true"
    latest = service.store.latest_draft("freshdesk", service.ticket_id)
    assert latest is not None and latest.draft.id == harness.current_draft_id(page)


def test_moving_to_another_ticket_loads_its_draft(page: Any, service: harness.Service) -> None:
    first = harness.current_draft_id(page)
    page.evaluate("window.__raFdk.activate()")  # same ticket: nothing reloads
    page.wait_for_timeout(100)
    assert len(harness.calls(page, "invokeTemplate")) == 1

    page.evaluate(f"window.__raFdk.activate({json.dumps(service.fdk_ticket(service.sample_id))})")
    page.wait_for_function(f"document.querySelector('.ra').dataset.draftId !== '{first}'")
    stored = service.store.latest_draft("freshdesk", service.sample_id)
    assert stored is not None and harness.current_draft_id(page) == stored.draft.id


def test_screenshot_of_an_ordinary_ticket(
    browser: Any, service: harness.Service, app_root: Path, app_url: str
) -> None:
    page = _open(browser, service, app_root, app_url, ticket_id=service.sample_id)
    page.wait_for_selector("#ra-draft")
    png = page.screenshot(full_page=True)
    assert png.startswith(b"\x89PNG")
    if os.environ.get("REPLYASSIST_UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(png)
    page.context.close()
