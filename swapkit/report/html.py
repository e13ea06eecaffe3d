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
import markupsafe

from swapkit.decision.model import SideOperations
from swapkit.decision.reasons import gate_interval, gate_rule, gate_value, segment_value
from swapkit.report.charts import forest, histogram
from swapkit.report.model import RecordRow, ReportData
from swapkit.support.numbers import (
    fmt_count,
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


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("swapkit.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_no_bidi)
    env.filters.update(rule=gate_rule, side=gate_value, interval=gate_interval, op=_op,
                       seg=segment_value, pvalue=fmt_p, thousands=fmt_count, ratio=fmt_ratio,
                       percent=fmt_percent, score=lambda v: fmt_value(v, False))
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


def render_html(report: ReportData) -> str:
    """The whole report as one HTML document."""
    d = report.decision
    reasons = {g.reason for g in d.gates}
    records = [_explorer_row(r) for r in report.records]
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
