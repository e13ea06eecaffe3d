"""Inline SVG charts rendered when the report is built (no JavaScript, no CDN)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from swapkit.support.numbers import fmt_count, fmt_number

__all__ = ["forest", "histogram"]

COLOURS = ("#4c6ef5", "#f08c00", "#2b8a3e", "#c92a2a")
WIDTH, HEIGHT, PAD = 560, 200, 36


def histogram(series: dict[str, Sequence[float]], title: str, bins: int = 24,
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
    top = max(float(s.max()) for s in shares.values()) or 1.0
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    bar_w = plot_w / bins
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for n, (label, share) in enumerate(shares.items()):
        colour = COLOURS[n % len(COLOURS)]
        for b, value in enumerate(share):
            h = plot_h * value / top
            parts.append(f'<rect x="{PAD + b * bar_w:.1f}" y="{PAD + plot_h - h:.1f}" '
                         f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="{colour}" '
                         f'fill-opacity="0.55"/>')
        parts.append(f'<rect x="{PAD + n * 190}" y="8" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{PAD + 14 + n * 190}" y="17">{escape(label)} '
                     f'(n={fmt_count(arrays[label].size)})</text>')
    for value in (low, (low + high) / 2, high):
        x = PAD + plot_w * (value - low) / (high - low)
        shown = 10**value if log_x else value
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                     f'{fmt_number(shown, 3)}{escape(unit)}</text>')
    parts.append(f'<line x1="{PAD}" y1="{PAD + plot_h}" x2="{PAD + plot_w}" '
                 f'y2="{PAD + plot_h}" stroke="#868e96"/></svg>')
    return "".join(parts)


def forest(rows: Sequence[tuple[str, float, float, float, bool]], margin: float | None,
           title: str, percent: bool) -> str:
    """Per-segment differences with their intervals; the margin as a dashed line."""
    rows = [r for r in rows if all(math.isfinite(v) for v in r[1:4])]
    if not rows:
        return ""
    values = [v for r in rows for v in r[1:4]] + [0.0] + ([-margin] if margin else [])
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span
    row_h = 22
    height = 2 * PAD + row_h * len(rows)
    label_w = 150
    plot_w = WIDTH - label_w - PAD

    def x(v: float) -> float:
        return label_w + plot_w * (v - low) / (high - low)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{x(0):.1f}" y1="{PAD - 8}" x2="{x(0):.1f}" y2="{height - PAD}" '
             f'stroke="#868e96"/>']
    if margin:
        parts.append(f'<line x1="{x(-margin):.1f}" y1="{PAD - 8}" x2="{x(-margin):.1f}" '
                     f'y2="{height - PAD}" stroke="#c92a2a" stroke-dasharray="4 3"/>')
    scale = 100 if percent else 1
    for n, (label, est, lo, hi, flagged) in enumerate(rows):
        y = PAD + n * row_h + row_h / 2
        colour = "#c92a2a" if flagged else "#495057"
        parts.append(f'<text x="4" y="{y + 4:.1f}">{escape(label[:22])}</text>'
                     f'<line x1="{x(lo):.1f}" y1="{y:.1f}" x2="{x(hi):.1f}" y2="{y:.1f}" '
                     f'stroke="{colour}" stroke-width="2"/>'
                     f'<circle cx="{x(est):.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
    ticks = [low, high] + ([0.0] if min(abs(low), abs(high)) > 0.15 * (high - low) else [])
    for value in ticks:
        parts.append(f'<text x="{x(value):.1f}" y="{height - 10}" text-anchor="middle">'
                     f'{fmt_number(value * scale, 2, signed=True)}'
                     f'{" pts" if percent else ""}</text>')
    parts.append("</svg>")
    return "".join(parts)
