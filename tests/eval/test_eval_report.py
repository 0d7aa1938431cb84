"""The HTML report, opened in headless Chromium: it renders its charts, runs no script, loads nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from tests.eval.conftest import HANDWRITTEN, POLICY

from replyassist import Ticket
from replyassist.eval import EvalCase, Expectations, load_cases
from replyassist.eval.composers import PipelineRunner
from replyassist.eval.outcome import Outcome
from replyassist.eval.report import write_report
from replyassist.eval.run import run_eval
from replyassist.knowledge import KnowledgeBase
from replyassist.models import Decision
from replyassist.policy import Policy

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> & "quotes"'


class HostileRunner:
    """A second composer whose drafts are markup, as a model's might be: the page must show it as text."""

    name = "model"

    def run(self, case: EvalCase, kb: KnowledgeBase, policy: Policy) -> Outcome:
        return Outcome(
            self.name,
            case.id,
            text=f"Hi! {HOSTILE}",
            parts=[f"Hi! {HOSTILE}"],
            decision=Decision.REPLY,
            language="en",
            latency_ms=120.0,
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sample_kb: KnowledgeBase) -> Path:
    cases = [c for c in load_cases(HANDWRITTEN) if c.tags.get("language") in {"en", "ja", "es"}][:14]
    hostile = EvalCase(
        id=f"hostile {HOSTILE}",
        ticket=Ticket.from_text(f"Where is my order? {HOSTILE}", channel="chat", customer="Dana <b>Bold</b>"),
        expect=Expectations(decision=Decision.REPLY, reference_reply=f"Agent says {HOSTILE}"),
        tags={"suite": HOSTILE},
    )
    run = run_eval(
        [*cases, hostile],
        [PipelineRunner("offline", "offline"), HostileRunner()],
        kb=sample_kb,
        policy=Policy.model_validate(POLICY),
    )
    html_path, _ = write_report(run, tmp_path_factory.mktemp("report"))
    return html_path


def test_the_report_renders_in_chromium_without_errors(report: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            charts = page.locator("svg.chart")
            assert charts.count() >= 5  # per metric, per channel, per language, per suite, latency
            first = charts.first.bounding_box()
            assert first is not None and first["width"] > 300 and first["height"] > 100
            assert page.locator("svg.chart rect").count() > 20
            assert page.locator("img").count() == 0  # the hostile <img> is text, not an element
            assert HOSTILE in page.locator("body").inner_text()
            assert "Dana <b>Bold</b>" not in page.content()
            assert page.locator(".case").count() >= 5  # worst cases, drafts side by side
            assert page.locator(".case").first.locator(".draft").count() >= 2
            assert errors == []
            assert dialogs == []
            assert requests == [report.as_uri()]
        finally:
            browser.close()


def test_the_report_names_its_composers_and_real_agents(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "real agents" in html  # the hostile case has a reference reply
    assert "<script>" not in html
    assert "http://" not in html.split("<body>")[0]  # nothing loaded from outside
    assert html.count("<svg") >= 5
