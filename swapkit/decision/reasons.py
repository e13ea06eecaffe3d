"""How a gate reads: one sentence per gate (the numbers, the rule and the verdict), and the
gate's rule, values and interval as every report shows them."""

from __future__ import annotations

import functools

from swapkit.decision.model import GateResult, SegmentResult
from swapkit.scoring.metrics.human_review import HumanReview
from swapkit.support.numbers import (
    fmt_count,
    fmt_diff,
    fmt_margin,
    fmt_money,
    fmt_number,
    fmt_ratio,
    fmt_seconds,
    fmt_value,
)

__all__ = ["gate_interval", "gate_reason", "gate_rule", "gate_value", "quantity",
           "segment_value"]


def _interval(level: int, low: str, high: str) -> str:
    return f"({level}% CI {low} to {high})"


def _oriented(g: GateResult) -> tuple[float | None, float | None, float | None]:
    """Baseline, candidate and difference as they read: the sides are on the metric's own
    scale already; the estimate was oriented higher-is-better, and rates of bad events read
    better un-oriented."""
    sign = 1 if g.higher_is_better else -1
    return g.baseline, g.candidate, None if g.estimate is None else sign * g.estimate


def _difference(g: GateResult, level: int) -> str:
    margin = g.margin or 0.0
    sign = 1 if g.higher_is_better else -1
    base, cand, est = _oriented(g)
    bounds = [None if v is None else sign * v for v in (g.low, g.high)]
    low, high = min(bounds, key=lambda v: v if v is not None else 0), max(
        bounds, key=lambda v: v if v is not None else 0)
    interval = _interval(level, fmt_diff(low, g.percent), fmt_diff(high, g.percent))
    if g.metric == HumanReview.name:  # one number: people's preference, no two sides' means
        head = (f"{g.name}: P(people prefer the candidate) − P(they prefer the baseline) "
                f"{fmt_diff(est, g.percent)} {interval}")
    else:
        head = (f"{g.name}: candidate {fmt_value(cand, g.percent)} vs baseline "
                f"{fmt_value(base, g.percent)}, difference {fmt_diff(est, g.percent)} {interval}")
    limit = fmt_diff(-sign * margin, g.percent) if g.kind != "superiority" else fmt_diff(
        sign * margin, g.percent)
    if g.kind == "equivalence":
        rule = f"the ±{fmt_margin(margin, g.percent)} equivalence range"
    elif g.kind == "superiority":
        rule = f"the required gain of {limit}"
    else:
        rule = f"the {limit} margin"
    if g.status == "GO":
        verdict = f"within {rule}" if g.kind != "superiority" else f"better than {rule}"
    elif g.status == "NO-GO":
        verdict = f"worse than {rule}" if g.kind != "equivalence" else f"outside {rule}"
    else:
        verdict = f"the interval straddles {rule}"
    return f"{head}, {verdict}"


@functools.cache
def _units() -> dict[str, str]:
    """The unit each built-in ratio metric declares (latencies "s", cost "$", "tokens")."""
    from swapkit.scoring.metrics.ops import RATIO_METRICS

    return {m.name: m.unit for m in RATIO_METRICS}


def quantity(value: float | None, metric: str) -> str:
    """A ratio metric's statistic with its unit: ``918 ms``, ``$0.1661``, ``162 tokens``
    (a plain number for a metric that declares none)."""
    unit = _units().get(metric, "")
    if unit == "s":
        return fmt_seconds(value)
    if unit == "$":
        return fmt_money(value)
    text = fmt_number(value, 4)
    return f"{text} {unit}" if unit and text != "n/a" else text


def _ratio(g: GateResult, level: int) -> str:
    limit = fmt_ratio(1 + (g.margin or 0.0))
    return (f"{g.name}: candidate {quantity(g.candidate, g.metric)} vs baseline "
            f"{quantity(g.baseline, g.metric)}, ratio "
            f"{fmt_ratio(g.estimate)} {_interval(level, fmt_ratio(g.low), fmt_ratio(g.high))}"
            f", limit {limit}") if g.candidate is not None and g.baseline is not None else (
        f"{g.name}: ratio {fmt_ratio(g.estimate)}, limit {limit}")


def _noise(g: GateResult, level: int) -> str:
    return (f"{g.name}: the candidate diverges from the baseline {fmt_ratio(g.estimate)} as "
            f"much as the baseline from itself "
            f"{_interval(level, fmt_ratio(g.low), fmt_ratio(g.high))}, limit "
            f"{fmt_ratio(g.max)}")


def _max_rate(g: GateResult, level: int) -> str:
    return (f"{g.name}: candidate rate {fmt_value(g.candidate, True)} (one-sided bounds "
            f"{fmt_value(g.low, True)} to {fmt_value(g.high, True)}), limit "
            f"{fmt_value(g.max, True)}")


def gate_reason(g: GateResult, alpha: float) -> str:
    """The sentence for a gate whose numbers and final status are set."""
    level = round((1 - 2 * alpha) * 100)
    if g.status == "NOT_APPLICABLE":
        why = "; ".join(g.annotations) or "no record this gate applies to"
        return f"{g.name}: not evaluated: {why}"
    if g.insufficient_data:
        base, cand, est = _oriented(g)
        numbers = "" if base is None or cand is None or est is None else (
            f"candidate {fmt_value(cand, g.percent)} vs baseline {fmt_value(base, g.percent)}, "
            f"difference {fmt_diff(est, g.percent)}, untested: ")
        return f"{g.name}: {numbers}{'; '.join(g.annotations)}: INCONCLUSIVE (n={g.n})"
    text = {"divergence": _noise, "rate": _max_rate, "ratio": _ratio,
            "difference": _difference}[g.scale](g, level)
    extra = ""
    if g.failed_baseline or g.failed_candidate:
        extra += (f"; answer failures scored worst: candidate {fmt_count(g.failed_candidate)}, "
                  f"baseline {fmt_count(g.failed_baseline)}")
    if (g.status == "INCONCLUSIVE" and g.kind in ("noninferiority", "equivalence")
            and g.certifiable_margin is not None):
        certifiable = fmt_margin(g.certifiable_margin, g.percent)
        extra += f"; this run can certify a margin of {certifiable}"
    if g.status == "INCONCLUSIVE" and g.n_needed:
        extra += (f"; about {fmt_count(g.n_needed)} records would settle it (in a fresh "
                  "sample: topping this one up after looking needs the sequential decision)")
    for note in g.annotations:
        extra += f"; {note}"
    return f"{text}{extra}: {g.status} (n={g.n})"


def gate_rule(g: GateResult) -> str:
    """The gate's rule in words: ``not worse by more than 2.0%``, ``ratio ≤ 1.20x``."""
    if g.scale == "divergence":
        return f"divergence ratio ≤ {fmt_ratio(g.max)}"
    if g.scale == "rate":
        return f"rate ≤ {fmt_value(g.max, True)}"
    if g.scale == "ratio":
        return f"ratio ≤ {fmt_ratio(1 + (g.margin or 0))}"
    margin = fmt_margin(g.margin, g.percent) if g.margin is not None else "default"
    return {"noninferiority": f"not worse by more than {margin}",
            "equivalence": f"within ±{margin}",
            "superiority": f"better by more than {margin}"}.get(g.kind, g.kind)


def gate_value(g: GateResult, which: str) -> str:
    """The baseline's or candidate's value, on the metric's own scale (as stored)."""
    value = getattr(g, which)
    if value is None:
        return "n/a"
    if g.scale == "ratio":
        return quantity(value, g.metric)
    if g.scale == "divergence":
        return fmt_value(value, False)
    return fmt_value(value, g.percent)


def gate_interval(g: GateResult) -> str:
    """The estimate and its interval: ``-1.2 pts (-2.9 pts to +0.4 pts)``, ``1.05x (...)``."""
    if g.estimate is None:
        return "n/a"
    if g.scale in ("ratio", "divergence"):
        return f"{fmt_ratio(g.estimate)} ({fmt_ratio(g.low)} to {fmt_ratio(g.high)})"
    if g.scale == "rate":
        return f"{fmt_value(g.estimate, True)} ({fmt_value(g.low, True)} to " \
               f"{fmt_value(g.high, True)})"
    sign = 1 if g.higher_is_better else -1
    bounds = sorted(sign * v for v in (g.low, g.high) if v is not None)
    return (f"{fmt_diff(sign * g.estimate, g.percent)} ("
            + " to ".join(fmt_diff(b, g.percent) for b in bounds) + ")")


def segment_value(s: SegmentResult, which: str) -> str:
    """A segment's value, or its difference un-oriented (rates of bad events read as rates)."""
    value = getattr(s, which)
    if value is None:
        return "n/a"
    if which == "estimate":
        return fmt_diff(value if s.higher_is_better else -value, s.percent)
    return fmt_value(value, s.percent)
