"""Small inline-SVG charts for the report: no JavaScript, no external files, every text escaped.

Each function returns one ``<svg>`` element sized by its ``viewBox`` so that it scales with
the page. Hover text uses SVG ``<title>`` elements, which browsers show without scripts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "bullet_rows", "color_for", "columns", "legend", "share_bar", "stacked_columns"]

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#7F7F7F")
_FIXED = {
    "reply": "#009E73",
    "escalate": "#D55E00",
    "skip": "#7F7F7F",
    "accepted": "#009E73",
    "edited": "#E69F00",
    "rejected": "#D55E00",
}
_WIDTH = 720
_FONT = "font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif"


def color_for(name: str, index: int) -> str:
    """A stable colour: fixed for decisions and feedback kinds, else the palette in order."""
    return _FIXED.get(name, PALETTE[index % len(PALETTE)])


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def stacked_columns(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str) -> str:
    """Columns per period, stacked by series (e.g. drafts per day by channel)."""
    height, left, bottom, top = 240, 40, 34, 10
    plot_w, plot_h = _WIDTH - left - 10, height - bottom - top
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    band = plot_w / max(1, len(labels))
    bar_w = max(1.0, band * 0.75)
    parts = [_svg_open(height, title), *_y_axis(top_value, left, top, plot_w, plot_h)]
    every = max(1, math.ceil(len(labels) / 12))  # at most ~12 date labels
    for i, label in enumerate(labels):
        x = left + i * band + (band - bar_w) / 2
        y = float(top + plot_h)
        for index, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top_value
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color_for(name, index)}"><title>{_e(label)} · {_e(name)}: {value}</title></rect>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * band + band / 2:.1f}" y="{height - 14}" text-anchor="middle" '
                f'font-size="11" fill="#555">{_e(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def columns(
    bins: Sequence[tuple[str, int]], *, title: str, color: str = PALETTE[0], width: int = _WIDTH
) -> str:
    """A histogram: one labelled column per bin, its count on top."""
    height, left, bottom, top = 220, 40, 34, 14
    plot_w, plot_h = width - left - 10, height - bottom - top
    top_value = _nice_max(max((count for _, count in bins), default=0))
    band = plot_w / max(1, len(bins))
    parts = [_svg_open(height, title, width), *_y_axis(top_value, left, top, plot_w, plot_h)]
    for i, (label, count) in enumerate(bins):
        h = plot_h * count / top_value
        x = left + i * band + band * 0.1
        y = top + plot_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{band * 0.8:.1f}" height="{h:.1f}" fill="{color}">'
            f"<title>{_e(label)}: {count}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + band * 0.4:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="11" '
                f'fill="#333">{count}</text>'
            )
        parts.append(
            f'<text x="{x + band * 0.4:.1f}" y="{height - 14}" text-anchor="middle" font-size="11" '
            f'fill="#555">{_e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def share_bar(parts: Sequence[tuple[str, int]], *, title: str) -> str:
    """One 100% bar split by share (decisions, feedback kinds), labelled inside when room allows."""
    height = 46
    total = sum(count for _, count in parts)
    out = [_svg_open(height, title)]
    if total == 0:
        out.append(f'<rect x="0" y="8" width="{_WIDTH}" height="30" fill="#eee"/>')
        out.append(
            f'<text x="{_WIDTH / 2}" y="28" text-anchor="middle" font-size="12" fill="#777">no data</text>'
        )
    x = 0.0
    for index, (name, count) in enumerate(parts):
        if not count:
            continue
        w = _WIDTH * count / total
        share = f"{100 * count / total:.0f}%"
        out.append(
            f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="30" fill="{color_for(name, index)}">'
            f"<title>{_e(name)}: {count} ({share})</title></rect>"
        )
        label = f"{name} {share}"
        if w > 7 * len(label):
            out.append(
                f'<text x="{x + w / 2:.1f}" y="28" text-anchor="middle" font-size="12" fill="#fff" '
                f'font-weight="600">{_e(label)}</text>'
            )
        x += w
    out.append("</svg>")
    return "".join(out)


def bullet_rows(rows: Sequence[tuple[str, float | None, float | None, str]], *, title: str) -> str:
    """Time to draft as a share of each channel's target: a bar to p95, a tick at p50.

    ``rows`` are ``(label, p50_share, p95_share, caption)``; the dashed line is the target
    (100%). Shares above 150% are drawn at 150% with the caption telling the real value.
    """
    row_h, left, right, cap = 30, 170, 250, 1.5
    height = 24 + row_h * max(1, len(rows))
    plot_w = _WIDTH - left - right
    out = [_svg_open(height, title)]
    target_x = left + plot_w / cap
    for i, (label, p50, p95, caption) in enumerate(rows):
        y = 8 + i * row_h
        out.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="11" fill="#333">{_e(label)}</text>'
        )
        out.append(f'<rect x="{left}" y="{y + 6}" width="{plot_w / cap:.1f}" height="16" fill="#eef3f8"/>')
        if p95 is not None:
            w = plot_w * min(p95, cap) / cap
            color = "#009E73" if p95 <= 1 else "#D55E00"
            out.append(
                f'<rect x="{left}" y="{y + 9}" width="{max(w, 1.5):.1f}" height="10" fill="{color}">'
                f"<title>{_e(label)}: p95 {100 * p95:.1f}% of the target</title></rect>"
            )
        if p50 is not None:
            x = left + plot_w * min(p50, cap) / cap
            out.append(f'<rect x="{x - 1:.1f}" y="{y + 4}" width="3" height="20" fill="#222"/>')
        out.append(
            f'<text x="{_WIDTH - right + 8}" y="{y + 17}" font-size="10" fill="#555">{_e(caption)}</text>'
        )
    out.append(
        f'<line x1="{target_x:.1f}" x2="{target_x:.1f}" y1="4" y2="{height - 14}" stroke="#333" '
        f'stroke-dasharray="4 3"/><text x="{target_x:.1f}" y="{height - 2}" text-anchor="middle" '
        f'font-size="11" fill="#333">target</text>'
    )
    out.append("</svg>")
    return "".join(out)


def legend(names: Sequence[str]) -> str:
    """An HTML legend matching the colours ``stacked_columns`` gives the same names."""
    items = "".join(
        f'<span class="key"><i style="background:{color_for(name, i)}"></i>{_e(name)}</span>'
        for i, name in enumerate(names)
    )
    return f'<div class="legend">{items}</div>'


def _svg_open(height: int, title: str, width: int = _WIDTH) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{_e(title)}" '
        f'style="{_FONT}" xmlns="http://www.w3.org/2000/svg"><title>{_e(title)}</title>'
    )


def _y_axis(top_value: float, left: int, top: int, plot_w: int, plot_h: int) -> list[str]:
    lines = []
    for step in range(5):
        value = top_value * step / 4
        y = top + plot_h - plot_h * step / 4
        lines.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#777">{_fmt(value)}</text>'
        )
    return lines
