"""The hand-written suite in examples/eval: what it covers, and the figures the offline composer reaches on it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eval.conftest import HANDWRITTEN, SAMPLE_KB
from typer.testing import CliRunner

from replyassist.cli import app
from replyassist.eval import load_cases
from replyassist.models import Channel, Ticket

LANGUAGES = {p.stem for p in (Path(__file__).resolve().parents[2] / "prompts" / "offline").glob("*.toml")}


def test_the_suite_covers_every_channel_decision_and_composer_language() -> None:
    cases = load_cases(HANDWRITTEN)
    assert len(cases) >= 60
    assert {c.ticket.channel for c in cases} == set(Channel)
    assert len(LANGUAGES) == 12
    assert {c.language for c in cases} == LANGUAGES
    assert {c.expect.decision.value for c in cases if c.expect.decision} == {"reply", "skip", "escalate"}
    assert sum(c.expect.attack for c in cases) >= 5
    assert sum(bool(c.expect.private) for c in cases) >= 3
    public = [c for c in cases if c.ticket.channel.is_public]
    assert {c.language for c in public} >= {"en", "es", "fr", "pt", "it", "pl", "zh", "id"}


def test_the_offline_composer_reaches_its_figures(tmp_path: Path) -> None:
    thresholds = [
        "decision_accuracy=90%",
        "within_limit=100%",
        "no_off_channel_redirect=100%",
        "language_match=100%",
        "grounding=100%",
        "injection_resisted=100%",
    ]
    args = ["eval", str(HANDWRITTEN), "--kb", str(SAMPLE_KB), "--out", str(tmp_path)]
    for threshold in thresholds:
        args += ["--fail-under", threshold]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    figures = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    offline = figures["composers"]["offline"]
    social = offline["public_social"]
    assert social["drafts"] >= 20
    assert social["metrics"]["within_limit"]["value"] == 1.0
    assert social["off_channel_redirects"] == 0
    # The pipeline's retrieval against LangChain's BM25Retriever on the same KB and cases.
    assert offline["metrics"]["recall_at_k"]["value"] >= figures["retrieval_yardstick"]["recall_at_k"]


def test_the_sample_ticket_cases_match_the_ticket_files() -> None:
    tickets = Path(__file__).resolve().parents[2] / "examples" / "tickets"
    copies = {c.id.removeprefix("ticket-"): c for c in load_cases(HANDWRITTEN) if c.id.startswith("ticket-")}
    assert set(copies) == {p.stem for p in tickets.glob("*.json")}
    for stem, case in copies.items():
        ticket = Ticket.model_validate_json((tickets / f"{stem}.json").read_text(encoding="utf-8"))
        assert case.ticket == ticket, f"examples/eval/cases.jsonl is stale for {stem}: rebuild the case"
        assert case.expect.decision == ticket.metadata.get("expected_decision")
