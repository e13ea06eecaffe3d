"""One number-formatting policy for every message and renderer.

Rates and pass/fail metrics print as percentages with differences in points; continuous
metrics with three decimals; ratios as ``1.12x``; money in dollars; counts with thousands
separators; durations in ms, s, min or h. HTML, Markdown, JUnit, the terminal and the
decision's sentences all format numbers here and nowhere else.
"""

from __future__ import annotations

import math

__all__ = ["fmt_count", "fmt_diff", "fmt_duration", "fmt_margin", "fmt_money", "fmt_number",
           "fmt_p", "fmt_percent", "fmt_ratio", "fmt_seconds", "fmt_value"]


def _ok(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def fmt_value(value: float | None, percent: bool) -> str:
    """A metric value: ``97.1%`` for rates, ``0.873`` otherwise."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return f"{value * 100:.1f}%" if percent else f"{value:.3f}"


def fmt_diff(value: float | None, percent: bool) -> str:
    """A difference: ``-2.3 pts`` for rates, ``+0.012`` otherwise."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    if percent:
        shown = round(value * 100, 1)
        return f"{shown + 0.0:+.1f} pts"  # + 0.0 turns -0.0 into 0.0
    return f"{round(value, 3) + 0.0:+.3f}"


def fmt_ratio(value: float | None) -> str:
    """A ratio: ``1.12×``."""
    if not _ok(value):
        return "n/a"
    return f"{value:.2f}×"


def fmt_p(value: float | None) -> str:
    """A p-value with two significant figures (``<0.0001`` floor)."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return "<0.0001" if value < 1e-4 else f"{value:.2g}"


def fmt_money(value: float | None) -> str:
    """Dollars with enough digits for per-request costs."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.6f}".rstrip("0").rstrip(".")


def fmt_seconds(value: float | None) -> str:
    """Seconds: ``850 ms`` below one second, ``1.24 s`` above."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_count(value: float | None) -> str:
    """A count with thousands separators: ``12,345``."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return f"{round(value):,}"


def fmt_percent(share: float | None, digits: int = 1) -> str:
    """A share as a percentage: ``12.5%`` (``digits`` decimals)."""
    if not _ok(share):
        return "n/a"
    assert share is not None
    return f"{share * 100:.{digits}f}%"


def fmt_number(value: float | None, digits: int = 4, signed: bool = False) -> str:
    """A plain statistic with ``digits`` significant figures: ``1234``, ``0.0123``, ``+0.05``."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    if abs(value) >= 10**digits:  # no scientific notation for large values
        return f"{value:+,.0f}" if signed else f"{value:,.0f}"
    return f"{value:+.{digits}g}" if signed else f"{value:.{digits}g}"


def fmt_duration(seconds: float | None) -> str:
    """A wall time: ``850 ms``, ``12.3 s``, ``4.5 min``, ``2.1 h``."""
    if not _ok(seconds):
        return "n/a"
    assert seconds is not None
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_margin(value: float | None, percent: bool) -> str:
    """A margin, an absolute distance: ``2.0 pts`` for rates (not ``2.0%``), ``0.030``."""
    if not _ok(value):
        return "n/a"
    assert value is not None
    return f"{value * 100:.1f} pts" if percent else f"{value:.3f}"
