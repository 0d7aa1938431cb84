"""The report's HTML page: tiles, inline-SVG charts and tables, every text escaped."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Literal

from replyassist.service import _report_charts as charts

if TYPE_CHECKING:
    from replyassist.service.report import Period, ReportData

__all__ = ["render_html"]

_MAX_SERIES = len(charts.PALETTE)  # more channels or languages than colours: the smallest become "other"


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    sections = [
        _tiles(data),
        _section("Drafts per " + data.bucket + " by channel", _per_period(data, "channel")),
        _section("Drafts per " + data.bucket + " by language", _per_period(data, "language")),
        _section(
            "Decisions",
            charts.share_bar(list(data.decisions.items()), title="Decisions")
            + _note("reply: a draft to send · escalate: a person must handle it · skip: no reply needed"),
        ),
        _section("What agents did with the drafts", _feedback(data)),
        _section("How much agents edited", _edits(data)),
        _section("Time from webhook to draft, against each channel's response target", _latency(data)),
        _section("By channel", _channel_table(data)),
        _section("Sources", _sources(data)),
    ]
    period = _period_text(data)
    return _PAGE.format(
        title=_e("replyassist report"),
        subtitle=_e(f"{period} · generated {data.generated_at:%Y-%m-%d %H:%M} UTC"),
        body="\n".join(sections),
    )


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _share(value: float) -> str:
    """A share of a target, readable when tiny (a draft in seconds against a day)."""
    return "< 0.1%" if 0 < value < 0.001 else f"{100 * value:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _period_text(data: ReportData) -> str:
    start = data.since or data.first_draft_at
    end = data.until or data.last_draft_at
    if start is None or end is None:
        return "no drafts yet"
    return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _tiles(data: ReportData) -> str:
    t = data.totals
    tiles = [
        ("Drafts", f"{t.drafts:,}", f"{t.from_webhooks:,} from webhooks · {t.rephrased:,} rephrased"),
        ("Accepted as is", _pct(t.acceptance_rate), f"{t.accepted:,} of {t.with_feedback:,} with feedback"),
        ("Edited", _pct(t.edit_rate), _median_edit_text(t.median_edit_distance)),
        ("Rejected", _pct(t.rejection_rate), f"{t.rejected:,} drafts"),
        ("Used (accepted + edited)", _pct(t.used_rate), f"feedback on {_pct(t.feedback_coverage)} of drafts"),
        ("Model fallback", _pct(t.fallback_rate, 1), f"{t.fallbacks:,} drafts written offline instead"),
        ("Median time to draft", _duration(t.median_seconds_to_draft), "webhook to draft"),
    ]
    cells = "".join(
        f'<div class="tile"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div><div class="s">{_e(s)}</div></div>'
        for k, v, s in tiles
    )
    return f'<section class="tiles">{cells}</section>'


def _median_edit_text(median: int | None) -> str:
    return "no edits yet" if median is None else f"median {median:,} characters changed"


def _per_period(data: ReportData, by: Literal["channel", "language"]) -> str:
    if not data.periods:
        return _note("No drafts in this period.")
    totals = data.languages if by == "language" else {c.channel: c.drafts for c in data.channels}
    shown = list(totals)[: _MAX_SERIES - 1] if len(totals) > _MAX_SERIES else list(totals)
    labels = [f"{p.start:%m-%d}" for p in data.periods]
    series = []
    for name in shown:
        series.append((name, [_counts_of(p, by).get(name, 0) for p in data.periods]))
    if len(shown) < len(totals):  # the smallest ones together, so that colours stay distinct
        rest = [sum(n for k, n in _counts_of(p, by).items() if k not in shown) for p in data.periods]
        series.append(("other", rest))
    names = [name for name, _ in series]
    return charts.stacked_columns(labels, series, title=f"Drafts per {data.bucket} by {by}") + charts.legend(
        names
    )


def _counts_of(period: Period, by: Literal["channel", "language"]) -> dict[str, int]:
    return period.by_language if by == "language" else period.by_channel


def _feedback(data: ReportData) -> str:
    t = data.totals
    parts = [("accepted", t.accepted), ("edited", t.edited), ("rejected", t.rejected)]
    return charts.share_bar(parts, title="Feedback") + _note(
        f"{t.with_feedback:,} of {t.drafts:,} drafts have feedback; the latest feedback on a draft counts. "
        "Zendesk counts a suggestion as accepted when the agent uses it, edits included: that is the "
        "'used' rate above."
    )


def _edits(data: ReportData) -> str:
    if data.totals.edited == 0:
        return _note("No edited drafts yet.")
    by_chars = [(b.label, b.count) for b in data.edit_distance_histogram]
    by_ratio = [(b.label, b.count) for b in data.edit_ratio_histogram]
    return (
        '<div class="two"><div><h3>Characters changed</h3>'
        + charts.columns(by_chars, title="Edit distance in characters", width=480)
        + "</div><div><h3>Share of the text changed (%)</h3>"
        + charts.columns(
            by_ratio, title="Edit distance as a share of the text", color=charts.PALETTE[1], width=480
        )
        + "</div></div>"
        + _note(
            f"Levenshtein distance between the draft and the text the agent sent; median "
            f"{data.totals.median_edit_distance} characters ({_pct(data.totals.median_edit_ratio)} of the text)."
        )
    )


def _latency(data: ReportData) -> str:
    if not data.time_to_draft:
        return _note("No drafts were made for webhooks in this period.")
    rows = [
        (
            t.label,
            t.p50_share_of_target,
            t.p95_share_of_target,
            f"p50 {_duration(t.p50_seconds)} · p95 {_duration(t.p95_seconds)} of {_duration(t.target_seconds)}",
        )
        for t in data.time_to_draft
    ]
    table_rows = "".join(
        f"<tr><td>{_e(t.label)}</td><td>{t.count:,}</td><td>{_e(_duration(t.p50_seconds))}</td>"
        f"<td>{_e(_duration(t.p95_seconds))}</td><td>{_e(_duration(t.max_seconds))}</td>"
        f"<td>{_e(_duration(t.target_seconds))}</td><td>{_e(_share(t.p95_share_of_target))}</td>"
        f"<td>{_e(_pct(t.within_target_rate))}</td></tr>"
        for t in data.time_to_draft
    )
    return (
        charts.bullet_rows(rows, title="Time to draft as a share of the response target")
        + _note(
            "Bar: 95th percentile; black tick: median; dashed line: the channel's response target "
            "(what most customers expect: an hour on social and messaging, two minutes in live chat, "
            "a day by email). The draft should take a small share of it, leaving the rest to the agent."
        )
        + "<table><thead><tr><th>Channel</th><th>Drafts</th><th>p50</th><th>p95</th><th>Max</th>"
        + "<th>Target</th><th>p95 / target</th><th>Within target</th></tr></thead><tbody>"
        + table_rows
        + "</tbody></table>"
    )


def _channel_table(data: ReportData) -> str:
    if not data.channels:
        return _note("No drafts in this period.")
    rows = "".join(
        f"<tr><td>{_e(c.label)}</td><td>{c.drafts:,}</td>"
        f"<td>{_e(', '.join(f'{k} {v}' for k, v in c.decisions.items()))}</td>"
        f"<td>{c.accepted:,} / {c.edited:,} / {c.rejected:,}</td><td>{_e(_pct(c.acceptance_rate))}</td>"
        f"<td>{_e(_pct(c.used_rate))}</td><td>{c.fallbacks:,}</td></tr>"
        for c in data.channels
    )
    return (
        "<table><thead><tr><th>Channel</th><th>Drafts</th><th>Decisions</th>"
        "<th>Accepted / edited / rejected</th><th>Accepted</th><th>Used</th><th>Fallbacks</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _sources(data: ReportData) -> str:
    def listing(title: str, counts: dict[str, int]) -> str:
        items = "".join(f"<li>{_e(name)} <b>{count:,}</b></li>" for name, count in counts.items())
        return f"<div><h3>{_e(title)}</h3><ul>{items or '<li>–</li>'}</ul></div>"

    return (
        '<div class="three">'
        + listing("Helpdesks", data.helpdesks)
        + listing("Languages", data.languages)
        + listing("Composers", data.composers)
        + "</div>"
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0;
  background: #f6f7f9; }}
header {{ background: #1f2d3d; color: #fff; padding: 20px 32px; }}
header h1 {{ margin: 0; font-size: 22px; }} header p {{ margin: 4px 0 0; opacity: .8; }}
main {{ max-width: 1080px; margin: 0 auto; padding: 20px 32px 40px; }}
section {{ background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0;
  box-shadow: 0 1px 2px rgba(0,0,0,.06); }}
h2 {{ font-size: 16px; margin: 0 0 12px; }} h3 {{ font-size: 13px; margin: 4px 0; color: #555; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px;
  background: none; box-shadow: none; padding: 0; }}
.tile {{ background: #fff; border-radius: 8px; padding: 12px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }}
.tile .k {{ font-size: 12px; color: #666; }} .tile .v {{ font-size: 26px; font-weight: 650; margin: 2px 0; }}
.tile .s {{ font-size: 11px; color: #777; }}
.legend {{ display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 12px; margin-top: 6px; }}
.legend i {{ display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }}
.note {{ font-size: 12px; color: #666; margin: 8px 0 0; }}
.two {{ display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }}
.three {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; }}
.three ul {{ list-style: none; padding: 0; margin: 0; font-size: 13px; }} .three li {{ padding: 2px 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 10px; }}
th, td {{ text-align: left; padding: 6px 8px; border-bottom: 1px solid #eee; }}
th {{ color: #555; font-weight: 600; }}
@media (max-width: 720px) {{ .two, .three {{ grid-template-columns: 1fr; }} main {{ padding: 12px; }} }}
</style>
</head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>
<main>
{body}
</main>
</body>
</html>
"""
