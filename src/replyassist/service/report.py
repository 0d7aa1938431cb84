"""``replyassist report``: how drafts are made and used, as one HTML page and the same figures as JSON.

The page is self-contained (inline CSS and SVG, no scripts, fonts or files from the network;
a Content-Security-Policy forbids them) so that it can be mailed or archived as it is. All
figures come from :meth:`Store.draft_rows`; :class:`ReportData` holds them, and the JSON file
is ``ReportData.model_dump_json()``.

Definitions (each draft counts once; its *latest* feedback is the one that counts):
    acceptance rate   drafts accepted as they were / drafts with feedback
    edit rate         drafts edited before sending / drafts with feedback
    rejection rate    drafts rejected / drafts with feedback
    used rate         (accepted + edited) / drafts with feedback — how Zendesk counts a
                      suggestion as "accepted" (edits included)
    fallback rate     drafts carrying the ``model_fallback`` warning / drafts
    time to draft     from the webhook's arrival to the draft (drafts made for webhooks only)
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from replyassist.channels import get_profile
from replyassist.models import Channel, FeedbackKind
from replyassist.service._report_html import render_html

if TYPE_CHECKING:
    from replyassist.service.store import DraftRow, Store

__all__ = [
    "RESPONSE_TARGETS",
    "ChannelFigures",
    "HistogramBin",
    "Period",
    "ReportData",
    "TimeToDraft",
    "Totals",
    "build_report",
    "render_html",
    "write_report",
]

_MINUTE, _HOUR = 60.0, 3600.0

# How fast a customer expects an answer on each channel, in seconds. The draft must be ready well
# within it: the report shows time to draft as a share of these targets.
# - Social, public and private: "about a third expect an answer on social within 30 minutes, most
#   within the hour on Twitter/X" (industry studies summarised in DESIGN.md, "What the field
#   teaches"). The hour is the bar most customers set, so it is the target.
# - Messaging (SMS, WhatsApp): asynchronous like social direct messages; the same hour.
# - Live chat: the customer is waiting in the widget. No published figure in our references; two
#   minutes is a conservative reading of "a conversation in progress" (a human's median first
#   response across channels is 19 minutes, Intercom's figure in reference/anchors.md, which no
#   live chat should take).
# - Email and web forms: "two thirds [expect an answer] within 24 hours" (DESIGN.md).
# - Voice (a callback note) and unknown channels: the slowest, email-like target.
RESPONSE_TARGETS: dict[Channel, float] = {
    Channel.TWITTER: 60 * _MINUTE,
    Channel.FACEBOOK_POST: 60 * _MINUTE,
    Channel.INSTAGRAM_COMMENT: 60 * _MINUTE,
    Channel.TWITTER_DM: 60 * _MINUTE,
    Channel.FACEBOOK_MESSENGER: 60 * _MINUTE,
    Channel.INSTAGRAM_DM: 60 * _MINUTE,
    Channel.SMS: 60 * _MINUTE,
    Channel.WHATSAPP: 60 * _MINUTE,
    Channel.CHAT: 2 * _MINUTE,
    Channel.EMAIL: 24 * _HOUR,
    Channel.WEB_FORM: 24 * _HOUR,
    Channel.VOICE: 24 * _HOUR,
    Channel.UNKNOWN: 24 * _HOUR,
}

# Edit distance bins, in characters changed: from a typo fixed to a rewrite.
_EDIT_BINS: tuple[tuple[int, int | None], ...] = (
    (0, 0),
    (1, 10),
    (11, 25),
    (26, 50),
    (51, 100),
    (101, 200),
    (201, 500),
    (501, None),
)
_MAX_DAILY_BARS = 92  # longer periods are shown per week


class Totals(BaseModel):
    """The headline figures. Rates are ``None`` when there is nothing to divide by."""

    drafts: int
    rephrased: int
    """Drafts made by rephrasing another draft (counted in ``drafts`` too)."""
    from_webhooks: int
    with_feedback: int
    accepted: int
    edited: int
    rejected: int
    feedback_coverage: float | None
    acceptance_rate: float | None
    edit_rate: float | None
    rejection_rate: float | None
    used_rate: float | None
    fallbacks: int
    fallback_rate: float | None
    median_edit_distance: int | None
    """Over edited drafts, in characters."""
    median_edit_ratio: float | None
    median_seconds_to_draft: float | None


class Period(BaseModel):
    """Drafts made in one day (or week) starting at ``start`` (UTC)."""

    start: date
    drafts: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    fallbacks: int


class ChannelFigures(BaseModel):
    channel: str
    label: str
    drafts: int
    decisions: dict[str, int]
    accepted: int
    edited: int
    rejected: int
    acceptance_rate: float | None
    used_rate: float | None
    fallbacks: int


class TimeToDraft(BaseModel):
    """Webhook-to-draft time on one channel, and its share of the channel's response target."""

    channel: str
    label: str
    target_seconds: float
    count: int
    p50_seconds: float
    p90_seconds: float
    p95_seconds: float
    max_seconds: float
    p50_share_of_target: float
    p95_share_of_target: float
    within_target_rate: float


class HistogramBin(BaseModel):
    label: str
    lower: float
    upper: float | None
    """Inclusive; ``None``: no upper bound."""
    count: int


class ReportData(BaseModel):
    """Every figure of the report; the JSON file is this model."""

    generated_at: datetime
    since: datetime | None
    until: datetime | None
    first_draft_at: datetime | None
    last_draft_at: datetime | None
    bucket: Literal["day", "week"]
    totals: Totals
    periods: list[Period]
    decisions: dict[str, int]
    languages: dict[str, int]
    helpdesks: dict[str, int]
    composers: dict[str, int]
    channels: list[ChannelFigures]
    edit_distance_histogram: list[HistogramBin]
    edit_ratio_histogram: list[HistogramBin]
    time_to_draft: list[TimeToDraft]
    response_targets_seconds: dict[str, float]


def build_report(store: Store, *, since: datetime | None = None, until: datetime | None = None) -> ReportData:
    """The figures for drafts created in ``[since, until)`` (UTC; both optional).

    The period's rows are read into memory (a few hundred bytes a draft): on a large store,
    report a month at a time.
    """
    return report_from_rows(store.draft_rows(since=since, until=until), since=since, until=until)


def report_from_rows(
    rows: Sequence[DraftRow], *, since: datetime | None = None, until: datetime | None = None
) -> ReportData:
    """The figures for these draft rows (what :func:`build_report` reads from the store)."""
    kinds = Counter(row.feedback_kind for row in rows if row.feedback_kind is not None)
    with_feedback = sum(kinds.values())
    edited = [row for row in rows if row.feedback_kind is FeedbackKind.EDITED]
    latencies = [s for s in (row.seconds_to_draft for row in rows) if s is not None]
    fallbacks = sum(row.fallback for row in rows)
    totals = Totals(
        drafts=len(rows),
        rephrased=sum(row.parent_id is not None for row in rows),
        from_webhooks=len(latencies),
        with_feedback=with_feedback,
        accepted=kinds[FeedbackKind.ACCEPTED],
        edited=kinds[FeedbackKind.EDITED],
        rejected=kinds[FeedbackKind.REJECTED],
        feedback_coverage=_rate(with_feedback, len(rows)),
        acceptance_rate=_rate(kinds[FeedbackKind.ACCEPTED], with_feedback),
        edit_rate=_rate(kinds[FeedbackKind.EDITED], with_feedback),
        rejection_rate=_rate(kinds[FeedbackKind.REJECTED], with_feedback),
        used_rate=_rate(kinds[FeedbackKind.ACCEPTED] + kinds[FeedbackKind.EDITED], with_feedback),
        fallbacks=fallbacks,
        fallback_rate=_rate(fallbacks, len(rows)),
        median_edit_distance=_median_int(row.edit_distance for row in edited),
        median_edit_ratio=_median(row.edit_ratio for row in edited),
        median_seconds_to_draft=_median(latencies),
    )
    bucket: Literal["day", "week"] = "day"
    if rows and (rows[-1].created_at.date() - rows[0].created_at.date()).days >= _MAX_DAILY_BARS:
        bucket = "week"
    return ReportData(
        generated_at=datetime.now(UTC),
        since=since,
        until=until,
        first_draft_at=rows[0].created_at if rows else None,
        last_draft_at=rows[-1].created_at if rows else None,
        bucket=bucket,
        totals=totals,
        periods=_periods(rows, bucket),
        decisions=_count(row.decision for row in rows),
        languages=_count(row.language for row in rows),
        helpdesks=_count(row.helpdesk or "(none)" for row in rows),
        composers=_count(row.composer for row in rows),
        channels=[_channel_figures(channel, group) for channel, group in _by_channel(rows)],
        edit_distance_histogram=_edit_histogram([row.edit_distance for row in edited]),
        edit_ratio_histogram=_ratio_histogram([row.edit_ratio for row in edited]),
        time_to_draft=[t for t in (_time_to_draft(c, group) for c, group in _by_channel(rows)) if t],
        response_targets_seconds={channel.value: seconds for channel, seconds in RESPONSE_TARGETS.items()},
    )


def write_report(
    store: Store,
    out: Path | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    json_path: Path | str | None = None,
) -> tuple[Path, Path]:
    """Write the HTML page and the JSON figures; returns their paths.

    ``out`` is the HTML file, or a folder (an existing one, or a path without a suffix) to write
    ``replyassist-report.html`` into. The JSON goes to ``json_path``, else next to the HTML file
    with the ``.json`` suffix.
    """
    out = Path(out)
    html_path = out / "replyassist-report.html" if out.is_dir() or not out.suffix else out
    json_file = Path(json_path) if json_path is not None else html_path.with_suffix(".json")
    data = build_report(store, since=since, until=until)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    json_file.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(data), encoding="utf-8")
    json_file.write_text(data.model_dump_json(indent=2), encoding="utf-8")
    return html_path, json_file


# --- figures --------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def _median_int(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return int(statistics.median_low(present)) if present else None


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default method)."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _label(channel: str) -> str:
    parsed = Channel.parse(channel)
    return get_profile(parsed).label if parsed is not None else channel


def _target(channel: str) -> float:
    return RESPONSE_TARGETS.get(Channel.parse(channel) or Channel.UNKNOWN, RESPONSE_TARGETS[Channel.UNKNOWN])


def _by_channel(rows: Sequence[DraftRow]) -> list[tuple[str, list[DraftRow]]]:
    groups: dict[str, list[DraftRow]] = {}
    for row in rows:
        groups.setdefault(row.channel, []).append(row)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def _periods(rows: Sequence[DraftRow], bucket: str) -> list[Period]:
    if not rows:
        return []

    def start_of(moment: datetime) -> date:
        day = moment.astimezone(UTC).date()
        return day - timedelta(days=day.weekday()) if bucket == "week" else day

    step = timedelta(days=7 if bucket == "week" else 1)
    grouped: dict[date, list[DraftRow]] = {}
    for row in rows:
        grouped.setdefault(start_of(row.created_at), []).append(row)
    periods = []
    day, last = start_of(rows[0].created_at), start_of(rows[-1].created_at)
    while day <= last:  # every period, empty ones too, so the time axis is even
        group = grouped.get(day, [])
        periods.append(
            Period(
                start=day,
                drafts=len(group),
                by_channel=_count(row.channel for row in group),
                by_language=_count(row.language for row in group),
                fallbacks=sum(row.fallback for row in group),
            )
        )
        day += step
    return periods


def _channel_figures(channel: str, rows: Sequence[DraftRow]) -> ChannelFigures:
    kinds = Counter(row.feedback_kind for row in rows if row.feedback_kind is not None)
    with_feedback = sum(kinds.values())
    return ChannelFigures(
        channel=channel,
        label=_label(channel),
        drafts=len(rows),
        decisions=_count(row.decision for row in rows),
        accepted=kinds[FeedbackKind.ACCEPTED],
        edited=kinds[FeedbackKind.EDITED],
        rejected=kinds[FeedbackKind.REJECTED],
        acceptance_rate=_rate(kinds[FeedbackKind.ACCEPTED], with_feedback),
        used_rate=_rate(kinds[FeedbackKind.ACCEPTED] + kinds[FeedbackKind.EDITED], with_feedback),
        fallbacks=sum(row.fallback for row in rows),
    )


def _time_to_draft(channel: str, rows: Sequence[DraftRow]) -> TimeToDraft | None:
    seconds = sorted(s for s in (row.seconds_to_draft for row in rows) if s is not None)
    if not seconds:
        return None
    target = _target(channel)
    p50, p95 = _percentile(seconds, 0.5), _percentile(seconds, 0.95)
    return TimeToDraft(
        channel=channel,
        label=_label(channel),
        target_seconds=target,
        count=len(seconds),
        p50_seconds=p50,
        p90_seconds=_percentile(seconds, 0.9),
        p95_seconds=p95,
        max_seconds=seconds[-1],
        p50_share_of_target=p50 / target,
        p95_share_of_target=p95 / target,
        within_target_rate=sum(s <= target for s in seconds) / len(seconds),
    )


def _edit_histogram(distances: Sequence[int | None]) -> list[HistogramBin]:
    present = [d for d in distances if d is not None]
    bins = []
    for lower, upper in _EDIT_BINS:
        label = (
            f"{lower}" if lower == upper else (f"{lower}–{upper}" if upper is not None else f"> {lower - 1}")
        )
        count = sum(lower <= d and (upper is None or d <= upper) for d in present)
        bins.append(HistogramBin(label=label, lower=lower, upper=upper, count=count))
    return bins


def _ratio_histogram(ratios: Sequence[float | None]) -> list[HistogramBin]:
    present = [r for r in ratios if r is not None]
    bins = []
    for tenth in range(10):
        lower, upper = tenth / 10, (tenth + 1) / 10
        count = sum(lower <= r < upper or (tenth == 9 and r == 1.0) for r in present)
        bins.append(
            HistogramBin(label=f"{tenth * 10}–{tenth * 10 + 10}", lower=lower, upper=upper, count=count)
        )
    return bins
