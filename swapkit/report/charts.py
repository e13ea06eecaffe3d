"""Inline SVG charts rendered when the report is built (no JavaScript, no CDN).

Every chart has a visible title, labelled axes with units, and a legend on its own rows
(one entry a row, so long labels never overlap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from swapkit.support.numbers import fmt_count, fmt_number

__all__ = ["forest", "histogram", "pareto"]

COLOURS = ("#4c6ef5", "#f08c00", "#2b8a3e", "#c92a2a")
WIDTH, HEIGHT, PAD = 560, 200, 36
TITLE_H, LEGEND_ROW, AXIS_H = 20, 15, 34  # title line, one legend entry, ticks + axis label


def _open(width: int, height: int, title: str) -> list[str]:
    """The svg element with its accessible name and its visible title."""
    return [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
            f'<text class="chart-title" x="4" y="14" font-weight="600">{escape(title)}</text>']


def _axis_label(x: float, y: float, text: str, vertical: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if vertical else ""
    return (f'<text class="axis-label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle"{turn}>'
            f'{escape(text)}</text>')


def histogram(series: dict[str, Sequence[float]], title: str, x_label: str, bins: int = 24,
              log_x: bool = False, unit: str = "") -> str:
    """Overlaid histograms (share of each series per bin), one colour per series."""
    arrays = {k: np.asarray([v for v in vals if v is not None and math.isfinite(v)], dtype=float)
              for k, vals in series.items()}
    arrays = {k: (np.log10(v[v > 0]) if log_x else v) for k, v in arrays.items()}
    arrays = {k: v for k, v in arrays.items() if v.size}
    if not arrays:
        return ""
    low = min(float(v.min()) for v in arrays.values())
    high = max(float(v.max()) for v in arrays.values())
    if high <= low:
        high = low + 1e-6
    edges = np.linspace(low, high, bins + 1)
    shares = {k: np.histogram(v, edges)[0] / v.size for k, v in arrays.items()}
    top_share = max(float(s.max()) for s in shares.values()) or 1.0
    top = TITLE_H + LEGEND_ROW * len(shares) + 8  # the plot starts under the legend
    height = top + HEIGHT - 2 * PAD + AXIS_H
    left = PAD + 12  # room for the vertical axis label
    plot_w, plot_h = WIDTH - left - PAD / 2, HEIGHT - 2 * PAD
    bar_w = plot_w / bins
    parts = _open(WIDTH, int(height), title)
    for n, (label, share) in enumerate(shares.items()):
        colour = COLOURS[n % len(COLOURS)]
        for b, value in enumerate(share):
            h = plot_h * value / top_share
            parts.append(f'<rect x="{left + b * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{colour}" '
                         f'fill-opacity="0.55"/>')
        y = TITLE_H + n * LEGEND_ROW
        parts.append(f'<rect class="legend" x="{left}" y="{y + 2}" width="10" height="10" '
                     f'fill="{colour}"/><text class="legend" x="{left + 14}" y="{y + 11}">'
                     f'{escape(label)} (n={fmt_count(arrays[label].size)})</text>')
    for value in (low, (low + high) / 2, high):
        x = left + plot_w * (value - low) / (high - low)
        shown = 10**value if log_x else value
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle">'
                     f'{fmt_number(shown, 3)}{escape(unit)}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">'
                 f'{fmt_number(top_share * 100, 2)}%</text>'
                 f'<text x="{left - 4}" y="{top + plot_h:.1f}" text-anchor="end">0%</text>')
    parts.append(_axis_label(left + plot_w / 2, top + plot_h + 30, x_label))
    parts.append(_axis_label(12, top + plot_h / 2, "share of records", vertical=True))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                 f'y2="{top + plot_h}" stroke="#868e96"/></svg>')
    return "".join(parts)


def forest(rows: Sequence[tuple[str, float, float, float, bool]], limits: Sequence[float],
           title: str, x_label: str, tick: str = "{:+.2g}") -> str:
    """Estimates with their intervals, one row each (flagged ones red), on one axis; the
    ``limits`` (a margin, an allowed range) as dashed lines. ``tick`` formats the ticks."""
    rows = [r for r in rows if all(math.isfinite(v) for v in r[1:4])]
    if not rows:
        return ""
    values = [v for r in rows for v in r[1:4]] + [0.0, *limits]
    first, last = min(values), max(values)
    span = (last - first) or 1.0
    low, high = first - 0.05 * span, last + 0.05 * span
    row_h = 22
    top = TITLE_H + 14
    height = top + row_h * len(rows) + AXIS_H
    label_w = 190
    plot_w = WIDTH - label_w - PAD / 2
    bottom = top + row_h * len(rows)

    def x(v: float) -> float:
        return label_w + plot_w * (v - low) / (high - low)

    parts = _open(WIDTH, height, title)
    parts.append(f'<line x1="{x(0):.1f}" y1="{top - 6}" x2="{x(0):.1f}" y2="{bottom}" '
                 f'stroke="#868e96"/>')
    for limit in limits:
        parts.append(f'<line x1="{x(limit):.1f}" y1="{top - 6}" x2="{x(limit):.1f}" '
                     f'y2="{bottom}" stroke="#c92a2a" stroke-dasharray="4 3"/>')
    for n, (label, est, lo, hi, flagged) in enumerate(rows):
        y = top + n * row_h + row_h / 2
        colour = "#c92a2a" if flagged else "#495057"
        shown = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="4" y="{y + 4:.1f}">{escape(shown)}</text>'
                     f'<line x1="{x(lo):.1f}" y1="{y:.1f}" x2="{x(hi):.1f}" y2="{y:.1f}" '
                     f'stroke="{colour}" stroke-width="2"/>'
                     f'<circle cx="{x(est):.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
    ticks = sorted({0.0, *limits, first, last})  # zero and the limits win a crowded spot
    ticks.sort(key=lambda v: v not in (0.0, *limits))
    placed: list[float] = []
    for value in ticks:  # no two tick labels on top of each other
        if any(abs(x(value) - p) < 44 for p in placed):
            continue
        placed.append(x(value))
        anchor = "end" if x(value) > WIDTH - 30 else "middle"  # the last one stays inside
        parts.append(f'<text x="{x(value):.1f}" y="{bottom + 14}" text-anchor="{anchor}">'
                     f'{escape(tick.format(value + 0.0))}</text>')
    parts.append(_axis_label(label_w + plot_w / 2, bottom + 30, x_label))
    parts.append("</svg>")
    return "".join(parts)


def pareto(points: Sequence[tuple[str, float, float, str]], baseline: tuple[float, float] | None,
           title: str, x_label: str, y_label: str) -> str:
    """Quality against cost: one dot per candidate (coloured by verdict: GO, NO-GO,
    INCONCLUSIVE), the Pareto front (no other candidate is both cheaper and better) as a
    line, the baseline as a square. ``points``: (label, cost, quality, verdict)."""
    points = [p for p in points if math.isfinite(p[1]) and math.isfinite(p[2])]
    if not points:
        return ""
    colours = {"GO": "#2b8a3e", "NO-GO": "#c92a2a", "INCONCLUSIVE": "#f08c00"}
    xs = [p[1] for p in points] + ([baseline[0]] if baseline else [])
    ys = [p[2] for p in points] + ([baseline[1]] if baseline else [])
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys), max(ys)
    x_pad, y_pad = (x_high - x_low) * 0.08 or abs(x_high) * 0.1 or 1.0, (
        (y_high - y_low) * 0.12 or abs(y_high) * 0.1 or 0.1)
    x_low, x_high, y_low, y_high = x_low - x_pad, x_high + x_pad, y_low - y_pad, y_high + y_pad
    plot_top, left, plot_h = TITLE_H + 10, 64, 190
    plot_w = WIDTH - left - PAD / 2
    legend = ["GO", "NO-GO", "INCONCLUSIVE", "Pareto front", *(["baseline"] if baseline else [])]
    height = plot_top + plot_h + AXIS_H + LEGEND_ROW * len(legend) + 6

    def x(v: float) -> float:
        return left + plot_w * (v - x_low) / (x_high - x_low)

    def y(v: float) -> float:
        return plot_top + plot_h * (1 - (v - y_low) / (y_high - y_low))

    parts = _open(WIDTH, height, title)
    parts.append(f'<rect x="{left}" y="{plot_top}" width="{plot_w:.1f}" height="{plot_h}" '
                 'fill="none" stroke="#dee2e6"/>')
    front = sorted((p for p in points if not any(
        q[1] <= p[1] and q[2] >= p[2] and (q[1] < p[1] or q[2] > p[2]) for q in points)),
        key=lambda p: p[1])
    if len(front) > 1:
        path = " ".join(f"{x(p[1]):.1f},{y(p[2]):.1f}" for p in front)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#495057" '
                     'stroke-dasharray="5 3"/>')
    if baseline:
        parts.append(f'<rect x="{x(baseline[0]) - 5:.1f}" y="{y(baseline[1]) - 5:.1f}" '
                     'width="10" height="10" fill="#868e96"/>')
    placed: list[tuple[float, float]] = []  # label positions: a crowded one moves down
    for label, cost, quality, verdict in sorted(points, key=lambda p: (p[1], -p[2])):
        colour = colours.get(verdict, "#495057")
        shown = label if len(label) <= 24 else label[:23] + "…"
        anchor = "end" if x(cost) > left + plot_w * 0.75 else "start"
        label_x = x(cost) + (-8 if anchor == "end" else 8)
        label_y = y(quality) - 7
        while any(abs(label_x - px) < 7 * len(shown) and abs(label_y - py) < 13
                  for px, py in placed):
            label_y += 13
        placed.append((label_x, label_y))
        parts.append(f'<circle cx="{x(cost):.1f}" cy="{y(quality):.1f}" r="5" fill="{colour}"/>'
                     f'<text x="{label_x:.1f}" y="{label_y:.1f}" '
                     f'text-anchor="{anchor}">{escape(shown)}</text>')
    bottom = plot_top + plot_h
    for value in (x_low + x_pad, x_high - x_pad):
        parts.append(f'<text x="{x(value):.1f}" y="{bottom + 14}" text-anchor="middle">'
                     f'{escape(fmt_number(value))}</text>')
    for value in (y_low + y_pad, y_high - y_pad):
        parts.append(f'<text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f'{escape(fmt_number(value))}</text>')
    parts.append(_axis_label(left + plot_w / 2, bottom + 30, x_label))
    parts.append(_axis_label(14, plot_top + plot_h / 2, y_label, vertical=True))
    top = bottom + AXIS_H + 4
    for k, name in enumerate(legend):
        row_y = top + k * LEGEND_ROW
        if name in colours:
            mark = f'<circle cx="{left + 5}" cy="{row_y - 4}" r="5" fill="{colours[name]}"/>'
        elif name == "baseline":
            mark = f'<rect x="{left}" y="{row_y - 9}" width="10" height="10" fill="#868e96"/>'
        else:
            mark = (f'<line x1="{left - 4}" y1="{row_y - 4}" x2="{left + 14}" y2="{row_y - 4}" '
                    'stroke="#495057" stroke-dasharray="5 3"/>')
        parts.append(f'{mark}<text x="{left + 20}" y="{row_y}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
