"""The self-contained HTML report: one file, inline CSS/JS/SVG, no CDN, works offline.

Server-side text goes through Jinja's autoescaping; the record explorer's data is
embedded as JSON (with ``<``, ``>``, ``&`` and line separators escaped, so nothing in
it can close the script element) and rendered by inline JavaScript with
``textContent`` only. A Content-Security-Policy forbids any network access.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import jinja2
import markupsafe

from swapkit.decision.model import GateResult, SideOperations
from swapkit.decision.reasons import gate_interval, gate_rule, gate_value, segment_value
from swapkit.report.assemble import failed_gate_flag
from swapkit.report.charts import forest, histogram
from swapkit.report.model import RecordRow, ReportData
from swapkit.support.numbers import (
    fmt_count,
    fmt_diff,
    fmt_money,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_ratio,
    fmt_seconds,
    fmt_value,
)
from swapkit.support.sanitize import no_bidi

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


CLIP = 4.0  # the gate forest's axis: ±4 margins


def safe_json(value: Any) -> str:
    """JSON that is safe inside a <script> element of an HTML document."""
    text = no_bidi(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _op(o: SideOperations, key: str, kind: str) -> str:
    value = getattr(o, key)
    if kind == "seconds":
        return fmt_seconds(value)
    if kind == "money":
        return fmt_money(value)
    if kind == "percent":
        return fmt_value(value, True)
    return fmt_count(value) if kind == "count" else fmt_number(value, 4)


def _no_bidi(value: Any) -> Any:
    """Every rendered value without bidirectional controls (markup stays markup)."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(no_bidi(str(value)))
    return no_bidi(value) if isinstance(value, str) else value


def template_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("swapkit.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_no_bidi)
    env.filters.update(rule=gate_rule, side=gate_value, interval=gate_interval, op=_op,
                       seg=segment_value, pvalue=fmt_p, thousands=fmt_count, ratio=fmt_ratio,
                       percent=fmt_percent, score=lambda v: fmt_value(v, False))
    return env


def report_asset(name: str) -> str:
    return resources.files("swapkit.report").joinpath("templates", name).read_text("utf-8")


def _against_margin(g: GateResult) -> tuple[float, float, float] | None:
    """A gate's estimate and interval as shares of its allowed change: 0 is no change, −1
    the margin (or the cap), left worse; None when the gate has no limit to measure by."""
    est, lo, hi = g.estimate, g.low, g.high
    if g.status == "NOT_APPLICABLE" or est is None or lo is None or hi is None:
        return None
    if g.scale == "difference" and g.margin:
        return est / g.margin, lo / g.margin, hi / g.margin
    if g.scale == "ratio" and g.margin and min(est, lo, hi) > 0:
        limit = math.log1p(g.margin)
        return -math.log(est) / limit, -math.log(hi) / limit, -math.log(lo) / limit
    if g.scale == "rate" and g.max:
        return -est / g.max, -hi / g.max, -lo / g.max
    if g.scale == "divergence" and g.max and g.max > 1:
        unit = g.max - 1
        return -(est - 1) / unit, -(hi - 1) / unit, -(lo - 1) / unit
    return None


def _gate_value(g: GateResult) -> str:
    """A gate's headline number with its unit, for a chart's row label."""
    if g.scale in ("ratio", "divergence"):
        return fmt_ratio(g.estimate)
    if g.scale == "rate":
        return fmt_value(g.candidate, True)
    sign = 1 if g.higher_is_better else -1
    return fmt_diff(None if g.estimate is None else sign * g.estimate, g.percent)


def _gate_forest(report: ReportData) -> str:
    """Every gate on one axis: its estimate and interval against its own margin (clipped
    at ±CLIP margins, so one far-off gate does not squash the others; its label has the
    real value)."""
    rows: list[tuple[str, float, float, float, bool]] = []
    limits, clipped = {-1.0}, False
    for g in report.decision.gates:
        shares = _against_margin(g)
        if shares is None:
            continue
        est, lo, hi = (min(max(v, -CLIP), CLIP) for v in shares)
        clipped = clipped or (est, lo, hi) != shares
        rows.append((f"{g.name} {_gate_value(g)}", est, lo, hi, g.status == "NO-GO"))
        if g.kind in ("equivalence", "superiority"):
            limits.add(1.0)
    label = "multiple of the gate's margin (−1: the margin; left is worse)"
    return forest(rows, sorted(limits), "Every gate against its margin",
                  label + (f", cut at ±{CLIP:g}" if clipped else ""), tick="{:+.1f}×")


def _charts(report: ReportData) -> dict[str, str]:
    d = report.decision
    rows = report.records
    similarity = [r.scores.get("similarity", [None, None]) for r in rows]
    sim_chart = histogram({"baseline vs itself": [s[0] for s in similarity if s[0] is not None],
                           "candidate vs baseline": [s[1] for s in similarity
                                                     if s[1] is not None]},
                          "Similarity distributions", "similarity (0 to 1)"
                          ) if similarity else ""
    latency_chart = histogram(
        {f"{report.targets[0].label}": [r.baseline.latency_s for r in rows
                                        if r.baseline.latency_s],
         f"{report.targets[1].label}": [r.candidate.latency_s for r in rows
                                        if r.candidate.latency_s]},
        "Latency distributions", "latency per request (s, log scale)", log_x=True, unit=" s")
    primary = next((g for g in d.gates if g.hard and g.kind == "noninferiority"
                    and g.segment is None and g.status != "NOT_APPLICABLE"), None)
    forest_chart = ""
    if primary is not None:
        scale = 100 if primary.percent else 1
        segment_rows = [(s.segment, scale * (s.estimate or 0.0),
                         scale * (s.low if s.low is not None else 0.0),
                         scale * (s.high if s.high is not None else 0.0), s.flagged)
                        for s in d.segments if s.gate == primary.name and s.tested]
        unit = "pts" if primary.percent else "score"
        forest_chart = forest(
            segment_rows, [-(primary.margin or 0.0) * scale] if primary.margin else [],
            f"{primary.name} per segment",
            f"difference, candidate − baseline ({unit}; left is worse; dashed: the margin)",
            tick="{:+.1f} pts" if primary.percent else "{:+.3f}")
    return {"similarity_chart": sim_chart, "latency_chart": latency_chart,
            "forest": forest_chart, "gate_forest": _gate_forest(report)}


def _explorer_row(row: RecordRow) -> dict[str, Any]:
    """A record for the explorer's script, its numbers already formatted for reading."""
    data = row.model_dump(mode="json")
    data["scores_text"] = {name: [fmt_value(v, False) if v is not None else "-" for v in pair]
                           for name, pair in row.scores.items()}
    for side, answer in (("baseline", row.baseline), ("candidate", row.candidate)):
        latency, cost = answer.latency_s, answer.cost_usd
        data[side]["latency_text"] = None if latency is None else fmt_seconds(latency)
        data[side]["cost_text"] = None if cost is None else fmt_money(cost)
    return data


def _flag_options(report: ReportData) -> list[str]:
    """The flag filter's options: every failed gate first (matched or not), then the rest."""
    failed = [failed_gate_flag(g) for g in report.decision.gates if g.status == "NO-GO"]
    return failed + sorted({f for r in report.records for f in r.flags} - set(failed))


def render_html(report: ReportData) -> str:
    """The whole report as one HTML document."""
    d = report.decision
    reasons = {g.reason for g in d.gates}
    records = [_explorer_row(r) for r in report.records]
    tested = [s for s in d.segments if s.tested]
    context = {
        "r": report, "d": d, "css": report_asset("report.css"), "js": report_asset("report.js"),
        "level": round((1 - 2 * d.alpha) * 100), "records_json": safe_json(records),
        "segments": d.segments, "tested": len(tested),
        "flagged": sum(1 for s in tested if s.flagged), "fdr": d.segment_fdr,
        "min_n": d.min_segment_n,
        "ops_rows": OPS_ROWS, "simulated": any(t.simulated for t in report.targets),
        "extra_warnings": [w for w in d.warnings if w not in reasons],
        "segment_names": sorted({r.segment or "(none)" for r in report.records}),
        "statuses": sorted({r.candidate.status or "" for r in report.records} - {""}),
        "flags": _flag_options(report),
        **_charts(report),
    }
    return template_environment().get_template("report.html.j2").render(**context)
