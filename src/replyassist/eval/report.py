"""The report of a run: one self-contained HTML page (inline SVG, no script, no external asset) and
``figures.json``. Every text that comes from cases or drafts is escaped."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from replyassist.eval.run import PUBLIC_SOCIAL, CaseResult, EvalRun
from replyassist.eval.scoring import METRICS

__all__ = ["render_html", "write_report"]

_COLOURS = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626")
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1240px;
color:#1f2937;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f9fafb}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.good{background:#ecfdf5}.fair{background:#fffbeb}.poor{background:#fef2f2}.muted{color:#6b7280}
.note{background:#f3f4f6;padding:6px 10px;border-radius:4px}.case{margin:16px 0;border:1px solid #e5e7eb;
border-radius:6px;padding:10px}.drafts{display:grid;gap:10px}.draft{white-space:pre-wrap;background:#f9fafb;
padding:8px;border-radius:4px;font-size:13px}.fail{color:#b91c1c}.wide{overflow-x:auto}.legend span{display:inline-block;
margin-right:14px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
table.groups{font-size:12.5px}table.groups td,table.groups th{padding:3px 6px}table.groups th{font-size:11.5px}
.pair{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:flex-start}.pair>table{flex:1 1 440px;margin:0}svg.chart{display:block;margin:6px 0}
"""


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _cls(value: float | None) -> str:
    if value is None:
        return ""
    return "good" if value >= 0.95 else "fair" if value >= 0.8 else "poor"


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    maximum: float = 1.0,
    label: Callable[[float], str] = lambda v: f"{100 * v:.0f}%",
) -> str:
    """A horizontal grouped bar chart as inline SVG: one group per category, one bar per series."""
    names = list(series)
    bar, gap, left, width = 12, 10, 190, 420
    group = bar * len(names) + gap
    height = 30 + group * len(categories)
    top = maximum if maximum > 0 else 1.0
    out = [
        f'<svg class="chart" role="img" width="{left + width + 70}" height="{height}" '
        f'viewBox="0 0 {left + width + 70} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):  # a scale to read the bars against: 0, ¼, ½, ¾ and all of the maximum
        x = left + width * step / 4
        out.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height}" stroke="{"#9ca3af" if step == 0 else "#e5e7eb"}"/>'
            f'<text x="{x:.1f}" y="12" font-size="10" fill="#6b7280" text-anchor="middle">'
            f"{escape(label(top * step / 4))}</text>"
        )
    for i, category in enumerate(categories):
        y0 = 24 + i * group
        out.append(
            f'<text x="{left - 6}" y="{y0 + group / 2}" text-anchor="end" font-size="12" '
            f'dominant-baseline="middle">{escape(category[:32])}</text>'
        )
        for j, name in enumerate(names):
            value = series[name][i]
            if value is None:
                continue
            w = max(1.0, width * min(value, top) / top)
            y = y0 + j * bar
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" fill="{_COLOURS[j % len(_COLOURS)]}">'
                f"<title>{escape(f'{name} · {category}: {label(value)}')}</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{y + bar / 2}" font-size="10" '
                f'dominant-baseline="middle">{escape(label(value))}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _legend(names: Sequence[str]) -> str:
    spans = "".join(
        f'<span><i class="swatch" style="background:{_COLOURS[i % len(_COLOURS)]}"></i>{escape(n)}</span>'
        for i, n in enumerate(names)
    )
    return f'<p class="legend">{spans}</p>'


def _metrics_table(figures: dict[str, Any], names: Sequence[str]) -> str:
    rows = ["<table><tr><th>metric</th>" + "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr>"]
    for metric, description in METRICS.items():
        cells = []
        for name in names:
            m = figures["composers"][name]["metrics"].get(metric)
            value = m["value"] if m else None
            detail = f' <span class="muted">({m["hits"]:g}/{m["n"]})</span>' if m else ""
            cells.append(f'<td class="num {_cls(value)}">{_pct(value)}{detail}</td>')
        rows.append(
            f'<tr><td>{escape(metric)}<br><span class="muted">{escape(description)}</span></td>{"".join(cells)}</tr>'
        )
    rows.append("</table>")
    return "".join(rows)


def _group_section(title: str, key: str, figures: dict[str, Any], names: Sequence[str]) -> str:
    groups = sorted({g for n in names for g in figures["composers"][n][key]})
    series = {n: [figures["composers"][n][key].get(g, {}).get("quality") for g in groups] for n in names}
    chart = bar_chart(f"{title}: mean share of checks passed", groups, series)
    shown = [
        m
        for m in METRICS
        if any(m in d["metrics"] for n in names for d in figures["composers"][n][key].values())
    ]
    several = len(names) > 1  # one composer: no column repeating its name on every row
    rows = [
        "<div class=wide><table class=groups><tr><th>"
        + escape(key.removeprefix("by_"))
        + "</th>"
        + ("<th>composer</th>" if several else "")
        + "<th>cases</th>"
    ]
    rows.append("".join(f"<th>{_breakable(m)}</th>" for m in shown) + "</tr>")
    for g in groups:
        for n in names:
            data = figures["composers"][n][key].get(g)
            if not data:
                continue
            cells = "".join(
                f'<td class="num {_cls(v)}">{_pct(v, 0)}</td>'
                for v in (data["metrics"].get(m, {}).get("value") for m in shown)
            )
            who = f"<td>{escape(n)}</td>" if several else ""
            rows.append(f"<tr><td>{_breakable(g)}</td>{who}<td class=num>{data['cases']}</td>{cells}</tr>")
    rows.append("</table></div>")
    caption = "<p class=muted>Bars: the mean share of its checks a case passed. Table: each check.</p>"
    return f"<h2>{escape(title)}</h2>{caption}{_legend(names)}{chart}{''.join(rows)}"


def _breakable(name: str) -> str:
    """A metric name that may wrap after its underscores, so wide tables fit the page."""
    return "_<wbr>".join(escape(part) for part in name.split("_"))


def _speed_section(figures: dict[str, Any], names: Sequence[str]) -> str:
    comps = figures["composers"]
    rows = [
        "<table><tr><th>composer</th><th>p50 ms</th><th>p95 ms</th><th>mean ms</th>"
        "<th>tokens in / draft</th><th>tokens out / draft</th><th>errors</th><th>fell back to offline</th></tr>"
    ]
    for n in names:
        c = comps[n]
        lat, tok = c["latency_ms"], c["tokens"]
        rows.append(
            f"<tr><td>{escape(n)}</td><td class=num>{lat['p50']:.1f}</td><td class=num>{lat['p95']:.1f}</td>"
            f"<td class=num>{lat['mean']:.1f}</td><td class=num>{tok['input_per_draft']:.0f}</td>"
            f"<td class=num>{tok['output_per_draft']:.0f}</td><td class=num>{c['errors']}</td>"
            f"<td class=num>{c['fallbacks']}</td></tr>"
        )
    rows.append("</table>")
    top = max((comps[n]["latency_ms"]["p95"] for n in names), default=1.0) or 1.0
    chart = bar_chart(
        "latency (ms)",
        ["p50", "p95"],
        {n: [comps[n]["latency_ms"]["p50"], comps[n]["latency_ms"]["p95"]] for n in names},
        maximum=top,
        label=lambda v: f"{v:.0f} ms",
    )
    return f"<h2>Latency and tokens</h2>{_legend(names)}{chart}{''.join(rows)}"


def _style_section(figures: dict[str, Any], names: Sequence[str]) -> str:
    parts = ["<h2>Public social replies, boilerplate and real agents</h2><table>"]
    parts.append(
        "<tr><th>composer</th><th>public drafts</th><th>within limit</th><th>off-channel redirects</th>"
        "<th>repeated openings</th><th>most repeated openings</th></tr>"
    )
    key = PUBLIC_SOCIAL.replace(" ", "_")
    for n in names:
        c = figures["composers"][n]
        social, boiler = c[key], c["boilerplate"]
        limit = social["metrics"].get("within_limit", {}).get("value")
        tops = "<br>".join(f"{escape(t['opening'])} ({t['drafts']})" for t in boiler["top_openings"]) or "–"
        parts.append(
            f"<tr><td>{escape(n)}</td><td class=num>{social['drafts']}</td>"
            f'<td class="num {_cls(limit)}">{_pct(limit)}</td><td class=num>{social["off_channel_redirects"]}</td>'
            f"<td class=num>{_pct(boiler['repeated_openings'])}</td><td>{tops}</td></tr>"
        )
    parts.append("</table>")
    agents = [
        (n, figures["composers"][n]["vs_agents"]) for n in names if "vs_agents" in figures["composers"][n]
    ]
    if agents:
        parts.append(
            "<table><tr><th>replies</th><th>n</th><th>mean length</th><th>apology</th>"
            "<th>sends to phone/email</th><th>invites to DM</th></tr>"
        )
        rows = [(f"{n}: drafts", v["drafts"]) for n, v in agents] + [("real agents", agents[0][1]["agents"])]
        for label, s in rows:
            parts.append(
                f"<tr><td>{escape(label)}</td><td class=num>{s['replies']}</td>"
                f"<td class=num>{s['mean_chars']:.0f}</td><td class=num>{_pct(s['apology_rate'])}</td>"
                f"<td class=num>{_pct(s['redirect_rate'])}</td><td class=num>{_pct(s['private_invite_rate'])}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)


def _judge_section(figures: dict[str, Any], names: Sequence[str]) -> str:
    judged = [(n, figures["composers"][n]["judge"]) for n in names if "judge" in figures["composers"][n]]
    if not judged:
        return ""
    rows = [
        "<h2>Model judge (1–5, two runs)</h2><p class=note>One signal among the checks above, never the "
        "only one: a judge model shares the blind spots of the model it grades.</p><table><tr><th>composer</th>"
        "<th>drafts</th><th>helpfulness</th><th>empathy</th><th>tone</th><th>runs disagree (≥1 point)</th>"
        "<th>failed runs</th></tr>"
    ]
    for n, j in judged:
        disagree = max(j[c]["runs_disagree"] for c in ("helpfulness", "empathy", "tone"))
        rows.append(
            f"<tr><td>{escape(n)}</td><td class=num>{j['drafts']}</td>"
            + "".join(f"<td class=num>{j[c]['mean']:.2f}</td>" for c in ("helpfulness", "empathy", "tone"))
            + f"<td class=num>{_pct(disagree)}</td><td class=num>{j['failed_runs']}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _draft_block(result: CaseResult) -> str:
    o = result.outcome
    failed = [f"{m} {s.hits:g}/{s.n}" for m, s in result.scores.items() if s.hits < s.n]
    head = f"<b>{escape(o.composer)}</b> · {escape(o.decision.value if o.decision else 'no decision')}"
    if o.actual_composer == "offline" and o.composer != "offline":
        head += f" · written by {escape(o.actual_composer)}"
    body = escape(o.text) if o.text else f'<span class="muted">{escape(o.error or "(no reply)")}</span>'
    cites = ", ".join(o.cited_articles)
    return (
        f"<div>{head}<div class=draft>{body}</div>"
        + (f'<div class="muted">cites: {escape(cites)}</div>' if cites else "")
        + (f'<div class="fail">failed: {escape("; ".join(failed))}</div>' if failed else "")
        + "</div>"
    )


def _worst_section(run: EvalRun, figures: dict[str, Any]) -> str:
    parts = ["<h2>Worst cases</h2>"]
    for item in figures["worst_cases"]:
        results = [r for r in run.results if r.case.id == item["case"]]
        if not results:
            continue
        case = results[0].case
        last = case.ticket.last_customer_message
        columns = len(results) + (1 if case.expect.reference_reply else 0) + 1
        cells = [
            f"<div><b>customer</b> · {escape(case.ticket.channel.value)} · {escape(results[0].language)}"
            f"<div class=draft>{escape(last.body if last else '')}</div>"
            + (f'<div class="muted">expects: {escape(_expects(case.expect.model_dump()))}</div>')
            + "</div>"
        ]
        cells += [_draft_block(r) for r in results]
        if case.expect.reference_reply:
            cells.append(
                f"<div><b>real agent</b><div class=draft>{escape(case.expect.reference_reply)}</div></div>"
            )
        parts.append(
            f'<div class=case><div><b>{escape(case.id)}</b> <span class="muted">'
            f"{escape(', '.join(f'{k}={v}' for k, v in case.tags.items()))}</span></div>"
            f'<div class=drafts style="grid-template-columns:repeat({columns},1fr)">{"".join(cells)}</div></div>'
        )
    return "".join(parts)


def _expects(expect: dict[str, Any]) -> str:
    shown = {k: v for k, v in expect.items() if v not in (None, [], False) and k != "reference_reply"}
    return ", ".join(f"{k}={v.value if hasattr(v, 'value') else v}" for k, v in shown.items()) or "nothing"


def _yardstick(figures: dict[str, Any]) -> str:
    y = figures.get("retrieval_yardstick")
    if not y:
        return ""
    return (
        f"<p class=note>Yardstick: recall@{y['k']} of {escape(y['retriever'])} on the same KB and cases: "
        f"<b>{_pct(y['recall_at_k'])}</b> ({y['hits']:g}/{y['n']}).</p>"
    )


def _suite_note(suite: Any) -> str:
    """Which public suite the cases come from, and the license its text is under."""
    if not isinstance(suite, dict):
        return ""
    sample = f", a seeded sample (seed {suite.get('seed')})" if suite.get("limit") else ""
    return (
        f"<p class=note>Suite <b>{escape(str(suite.get('name')))}</b>: {escape(str(suite.get('cases')))} cases"
        f"{escape(sample)}. Measures {escape(str(suite.get('measures')))}. Data: "
        f"{escape(str(suite.get('source')))}; license: {escape(str(suite.get('license')))}.</p>"
    )


def render_html(run: EvalRun, figures: dict[str, Any] | None = None) -> str:
    """The report page of ``run``."""
    figures = figures or run.figures()
    names = run.composers
    meta = figures["meta"]
    not_run = "".join(
        f"<li>{escape(name)}: not run — {escape(reason)}</li>" for name, reason in run.not_run.items()
    )
    measured = [m for m in METRICS if any(m in figures["composers"][n]["metrics"] for n in names)]
    series = {
        n: [figures["composers"][n]["metrics"].get(m, {}).get("value") for m in measured] for n in names
    }
    sections = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        f"<title>replyassist eval — {len(run.cases)} cases</title><style>{_CSS}</style></head><body>",
        f"<h1>replyassist eval — {len(run.cases)} cases, {len(names)} composer(s)</h1>",
        f"<p class=muted>{escape(str(meta.get('created_at', '')))} · KB {escape(str(meta.get('kb', '–')))} · "
        f"model {escape(str(meta.get('model') or 'none'))}</p>",
        _suite_note(meta.get("suite")),
        f"<ul>{not_run}</ul>" if not_run else "",
        f"<p class=note>judge: {escape(str(meta['judge']))}</p>" if meta.get("judge") else "",
        "<h2>Checks per composer</h2>",
        _legend(names),
        "<div class=pair>"
        + bar_chart("share of checks passed, per metric", measured, series)
        + _metrics_table(figures, names)
        + "</div>",
        _yardstick(figures),
        _group_section("Per channel", "by_channel", figures, names),
        _group_section("Per language", "by_language", figures, names),
        _group_section("Per suite", "by_suite", figures, names),
        _style_section(figures, names),
        _speed_section(figures, names),
        _judge_section(figures, names),
        _worst_section(run, figures),
        "</body></html>",
    ]
    return "\n".join(s for s in sections if s)


def write_report(run: EvalRun, directory: str | Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``figures.json`` into ``directory``; returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures = run.figures()
    html_path = directory / "report.html"
    json_path = directory / "figures.json"
    html_path.write_text(render_html(run, figures), encoding="utf-8")
    json_path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return html_path, json_path
