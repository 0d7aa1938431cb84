"""The report: figures from a store filled by drafting the sample tickets, HTML that is safe and self-contained."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from replyassist import Draft, Feedback, FeedbackKind, ReplyAssistant, Ticket
from replyassist.service.report import RESPONSE_TARGETS, build_report, render_html, write_report
from replyassist.service.store import Store

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_drafts() -> list[Draft]:
    """Offline drafts of every sample ticket (drafted once for the module)."""
    assistant = ReplyAssistant(ROOT / "examples" / "kb")
    files = sorted((ROOT / "examples" / "tickets").glob("*.json"))
    assert len(files) >= 20
    return [assistant.draft(Ticket.model_validate_json(f.read_text(encoding="utf-8"))) for f in files]


def fill(store: Store, drafts: list[Draft]) -> dict[str, float]:
    """Save the drafts over three days with known webhook delays, and give feedback on most.

    Returns the seconds from webhook to draft per draft id.
    """
    delays: dict[str, float] = {}
    for i, original in enumerate(drafts):
        created = START + timedelta(days=i % 3, minutes=i)
        draft = original.model_copy(update={"created_at": created})
        if i % 7 == 3:  # as the pipeline marks a draft the model failed to write
            draft = draft.model_copy(deep=True)
            draft.warn("model_fallback", "the model did not answer; the offline composer wrote this draft")
        delay = 0.5 + i * 1.5
        if i % 5 == 4:
            store.save_draft(draft, helpdesk=None)  # asked for from the sidebar: no webhook
        else:
            store.save_draft(draft, helpdesk="fake", received_at=created - timedelta(seconds=delay))
            delays[draft.id] = delay
        kind = i % 4
        if kind == 0:
            store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.ACCEPTED, agent_id="a1"))
        elif kind == 1:
            final = draft.text.replace("a", "e", i % 6) + " Cheers!"
            store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.EDITED, final_text=final))
        elif kind == 2:
            store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.REJECTED, reason="off topic"))
    return delays


def test_report_figures_match_the_stored_rows(store: Store, sample_drafts: list[Draft]) -> None:
    delays = fill(store, sample_drafts)
    rows = store.draft_rows()
    data = build_report(store)
    t = data.totals

    assert t.drafts == len(sample_drafts) == len(rows)
    assert sum(p.drafts for p in data.periods) == t.drafts
    assert [p.start.isoformat() for p in data.periods] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert sum(data.decisions.values()) == sum(c.drafts for c in data.channels) == t.drafts
    assert data.decisions == dict(Counter(d.decision.value for d in sample_drafts))
    assert data.languages == dict(Counter(d.language for d in sample_drafts))
    assert sum(sum(p.by_language.values()) for p in data.periods) == t.drafts

    kinds = Counter(store.feedback_for(r.draft_id)[-1].kind for r in rows if store.feedback_for(r.draft_id))
    assert (t.accepted, t.edited, t.rejected) == (kinds["accepted"], kinds["edited"], kinds["rejected"])
    assert t.with_feedback == sum(kinds.values())
    assert t.acceptance_rate == pytest.approx(kinds["accepted"] / t.with_feedback)
    assert t.used_rate == pytest.approx((kinds["accepted"] + kinds["edited"]) / t.with_feedback)
    assert sum(b.count for b in data.edit_distance_histogram) == t.edited
    assert sum(b.count for b in data.edit_ratio_histogram) == t.edited
    edited = [r.edit_distance for r in rows if r.feedback_kind is FeedbackKind.EDITED]
    assert all(d is not None and d >= len(" Cheers!") for d in edited)

    assert t.fallbacks == sum(1 for i in range(len(sample_drafts)) if i % 7 == 3)
    assert t.fallback_rate == pytest.approx(t.fallbacks / t.drafts)

    assert t.from_webhooks == len(delays) == sum(x.count for x in data.time_to_draft)
    by_channel: dict[str, list[float]] = {}
    for row in rows:
        if row.draft_id in delays:
            by_channel.setdefault(row.channel, []).append(delays[row.draft_id])
    for figures in data.time_to_draft:
        expected = by_channel[figures.channel]
        assert figures.p50_seconds == pytest.approx(np.percentile(expected, 50))
        assert figures.p95_seconds == pytest.approx(np.percentile(expected, 95))
        target = RESPONSE_TARGETS[figures.channel]  # type: ignore[index]
        assert figures.target_seconds == target
        assert figures.p95_share_of_target == pytest.approx(np.percentile(expected, 95) / target)


def test_the_report_window_selects_drafts_by_creation_day(
    sqlite_store: Store, sample_drafts: list[Draft]
) -> None:
    fill(sqlite_store, sample_drafts)
    one_day = build_report(sqlite_store, since=START + timedelta(days=1), until=START + timedelta(days=2))
    assert one_day.totals.drafts == sum(1 for i in range(len(sample_drafts)) if i % 3 == 1)
    assert [p.start.isoformat() for p in one_day.periods] == ["2026-11-03"]


def test_written_report_is_self_contained_html_and_matching_json(
    sqlite_store: Store, sample_drafts: list[Draft], tmp_path: Path
) -> None:
    fill(sqlite_store, sample_drafts)
    html_file, json_file = write_report(sqlite_store, tmp_path / "out")
    assert html_file == tmp_path / "out" / "replyassist-report.html"
    html = html_file.read_text(encoding="utf-8")
    figures = json.loads(json_file.read_text(encoding="utf-8"))
    assert figures["totals"]["drafts"] == len(sample_drafts)
    assert html.count("<svg") >= 6
    assert f"<b>{len(sample_drafts)}</b>" in html  # the helpdesk/composer listings
    # nothing is loaded from elsewhere and nothing runs
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=|url\(|@import""", html)
    assert re.findall(r"https?://[^\s\"'<]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


def test_hostile_text_is_escaped(sqlite_store: Store) -> None:
    hostile = '<script>alert("x")</script>'
    draft = Draft(decision="reply", text="hi", language='"><img src=x onerror=alert(1)>', created_at=START)
    sqlite_store.save_draft(draft, helpdesk=hostile, received_at=START - timedelta(seconds=2))
    sqlite_store.add_feedback(Feedback(draft_id=draft.id, kind=FeedbackKind.REJECTED, reason=hostile))
    html = render_html(build_report(sqlite_store))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x one" in html  # the store keeps 16 characters of a language code


def test_an_empty_store_still_makes_a_report(store: Store, tmp_path: Path) -> None:
    data = build_report(store)
    assert data.totals.drafts == 0 and data.totals.acceptance_rate is None and data.periods == []
    html = render_html(data)
    assert "no drafts yet" in html and "No drafts in this period." in html
    html_file, json_file = write_report(store, tmp_path / "empty.html", json_path=tmp_path / "figures.json")
    assert html_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(json_file.read_text(encoding="utf-8"))["totals"]["drafts"] == 0


def test_long_periods_are_shown_per_week(sqlite_store: Store) -> None:
    for day in (0, 50, 120):
        sqlite_store.save_draft(Draft(decision="reply", text="hi", created_at=START + timedelta(days=day)))
    data = build_report(sqlite_store)
    assert data.bucket == "week"
    assert all(p.start.weekday() == 0 for p in data.periods)
    assert sum(p.drafts for p in data.periods) == 3
    assert len(data.periods) == 18
