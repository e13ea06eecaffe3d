"""The self-contained HTML report: one file, inline CSS/JS/SVG, no CDN, works offline.

Server-side text goes through Jinja's autoescaping; the record explorer's data is
embedded as JSON (with ``<``, ``>``, ``&`` and line separators escaped, so nothing in
it can close the script element) and rendered by inline JavaScript with
``textContent`` only. A Content-Security-Policy forbids any network access.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jinja2

from swapkit.decision.model import GateResult, SegmentResult, SideOperations
from swapkit.numbers import fmt_diff, fmt_money, fmt_p, fmt_ratio, fmt_seconds, fmt_value
from swapkit.report.charts import forest, histogram
from swapkit.report.model import ReportData

__all__ = ["render_html", "safe_json"]

OPS_ROWS = [
    ("requests", "requests", "count"), ("retries", "retries", "count"),
    ("latency p50", "latency_p50", "seconds"),
    ("latency p95", "latency_p95", "seconds"), ("time to first token p50", "ttft_p50", "seconds"),
    ("time to first token p95", "ttft_p95", "seconds"),
    ("time to first answer token p50", "ttfa_p50", "seconds"),
    ("total cost", "cost_total", "money"), ("cost per request", "cost_per_request", "money"),
    ("cost per successful request", "cost_per_success", "money"),
    ("reasoning tokens (mean)", "reasoning_tokens_mean", "number"),
    ("reasoning share of output", "reasoning_share", "percent"),
    ("output tokens p95", "output_tokens_p95", "number"),
]


def safe_json(value: Any) -> str:
    """JSON that is safe inside a <script> element of an HTML document."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _rule(g: GateResult) -> str:
    if g.kind == "noise_ratio":
        return f"divergence ratio ≤ {fmt_ratio(g.max)}"
    if g.kind == "max_rate":
        return f"rate ≤ {fmt_value(g.max, True)}"
    if g.kind == "ratio_noninferiority" or g.method.endswith("ratio)"):
        return f"ratio ≤ {fmt_ratio(1 + (g.margin or 0))}"
    margin = fmt_value(g.margin, g.percent) if g.margin is not None else "default"
    return {"noninferiority": f"not worse by more than {margin}",
            "equivalence": f"within ±{margin}",
            "superiority": f"better by more than {margin}"}.get(g.kind, g.kind)


def _side(g: GateResult, which: str) -> str:
    value = getattr(g, which)
    if value is None:
        return "n/a"
    if g.kind in ("ratio_noninferiority",) or g.method.endswith("ratio)"):
        return f"{value:.4g}"
    if g.kind == "noise_ratio":
        return f"{value:.3f}"
    if not g.higher_is_better:
        value = 1 - value if g.percent else -value
    return fmt_value(value, g.percent)


def _interval(g: GateResult) -> str:
    if g.estimate is None:
        return "n/a"
    if g.kind in ("ratio_noninferiority", "noise_ratio") or g.method.endswith("ratio)"):
        return f"{fmt_ratio(g.estimate)} ({fmt_ratio(g.low)} to {fmt_ratio(g.high)})"
    if g.kind == "max_rate":
        return f"{fmt_value(g.estimate, True)} ({fmt_value(g.low, True)} to " \
               f"{fmt_value(g.high, True)})"
    sign = 1 if g.higher_is_better else -1
    bounds = sorted(sign * v for v in (g.low, g.high) if v is not None)
    return (f"{fmt_diff(sign * g.estimate, g.percent)} ("
            + " to ".join(fmt_diff(b, g.percent) for b in bounds) + ")")


def _op(o: SideOperations, key: str, kind: str) -> str:
    value = getattr(o, key)
    if kind == "seconds":
        return fmt_seconds(value)
    if kind == "money":
        return fmt_money(value)
    if kind == "percent":
        return fmt_value(value, True)
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if kind == "count" else f"{value:,.1f}"


def _seg(s: SegmentResult, which: str) -> str:
    """Segment values un-oriented (rates of bad events read as rates)."""
    value = getattr(s, which)
    if value is None:
        return "n/a"
    if which == "estimate":
        return fmt_diff(value if s.higher_is_better else -value, s.percent)
    if not s.higher_is_better:
        value = 1 - value if s.percent else -value
    return fmt_value(value, s.percent)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("swapkit.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(rule=_rule, side=_side, interval=_interval, op=_op, seg=_seg,
                       pvalue=fmt_p, thousands=lambda v: f"{v:,}")
    return env


def _asset(name: str) -> str:
    return resources.files("swapkit.report").joinpath("templates", name).read_text("utf-8")


def _charts(report: ReportData) -> dict[str, str]:
    d = report.decision
    rows = report.records
    similarity = [r.scores.get("similarity", [None, None]) for r in rows]
    sim_chart = histogram({"baseline vs itself": [s[0] for s in similarity if s[0] is not None],
                           "candidate vs baseline": [s[1] for s in similarity
                                                     if s[1] is not None]},
                          "similarity distributions") if similarity else ""
    latency_chart = histogram(
        {f"{report.targets[0].label}": [r.baseline.latency_s for r in rows
                                        if r.baseline.latency_s],
         f"{report.targets[1].label}": [r.candidate.latency_s for r in rows
                                        if r.candidate.latency_s]},
        "latency distributions (log scale)", log_x=True, unit=" s")
    primary = next((g for g in d.gates if g.hard and g.kind == "noninferiority"
                    and g.segment is None and g.status != "NOT_APPLICABLE"), None)
    forest_chart = ""
    if primary is not None:
        segment_rows = [(s.segment, s.estimate or 0.0, s.low if s.low is not None else 0.0,
                         s.high if s.high is not None else 0.0, s.flagged)
                        for s in d.segments if s.gate == primary.name and s.tested]
        forest_chart = forest(segment_rows, primary.margin,
                              f"per-segment difference: {primary.name}", primary.percent)
    return {"similarity_chart": sim_chart, "latency_chart": latency_chart,
            "forest": forest_chart}


def render_html(report: ReportData) -> str:
    """The whole report as one HTML document."""
    d = report.decision
    reasons = {g.reason for g in d.gates}
    records = [r.model_dump(mode="json") for r in report.records]
    tested = [s for s in d.segments if s.tested]
    context = {
        "r": report, "d": d, "css": _asset("report.css"), "js": _asset("report.js"),
        "level": round((1 - 2 * d.alpha) * 100), "records_json": safe_json(records),
        "segments": d.segments, "tested": len(tested),
        "flagged": sum(1 for s in tested if s.flagged), "fdr": d.segment_fdr,
        "min_n": d.min_segment_n,
        "ops_rows": OPS_ROWS, "simulated": any(t.simulated for t in report.targets),
        "extra_warnings": [w for w in d.warnings if w not in reasons],
        "segment_names": sorted({r.segment or "(none)" for r in report.records}),
        "statuses": sorted({r.candidate.status or "" for r in report.records} - {""}),
        "flags": sorted({f for r in report.records for f in r.flags}),
        **_charts(report),
    }
    return _environment().get_template("report.html.j2").render(**context)
