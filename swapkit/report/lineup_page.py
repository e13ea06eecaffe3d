"""The lineup's HTML page: every candidate's verdicts, hard gates, cost and latency, and
quality against cost with the Pareto front (the lineup itself is decided in
``swapkit.lineup``; this renders what it hands over)."""

from __future__ import annotations

from dataclasses import dataclass

from swapkit.decision.model import Decision, GateResult, SideOperations
from swapkit.report.charts import pareto
from swapkit.report.html import report_asset, template_environment

__all__ = ["LINEUP_FILE", "LineupRow", "lineup_chart", "quality_metric", "render_lineup"]

LINEUP_FILE = "lineup.json"  # a lineup's summary, beside its candidates' runs (and reports)


@dataclass
class LineupRow:
    """One candidate as the page shows it."""

    name: str
    verdict: str  # for the lineup
    unadjusted: str  # its own
    recommended: bool
    decision: Decision
    report_href: str | None  # its HTML report, relative to the lineup page

    @property
    def hard_gates(self) -> list[GateResult]:
        return [g for g in self.decision.gates if g.hard]

    @property
    def operations(self) -> SideOperations | None:
        ops = self.decision.operations
        return ops[1] if len(ops) > 1 else None


def quality_metric(rows: list[LineupRow]) -> str | None:
    """The metric on the chart's quality axis: the first hard difference gate over the whole
    run whose metric is a graded score (else the first pass/fail one), if every candidate
    has its mean."""
    if not rows:
        return None
    kinds = {m.metric: m.kind for m in rows[0].decision.metrics}
    usable = [g.metric for g in rows[0].hard_gates
              if g.scale == "difference" and g.segment is None
              and all(_mean(r, g.metric)[1] is not None for r in rows)]
    graded = [m for m in usable if kinds.get(m) == "continuous"]  # a scale, not pass/fail
    chosen = graded or usable
    return chosen[0] if chosen else None


def _mean(row: LineupRow, metric: str) -> tuple[float | None, float | None]:
    summary = next((m for m in row.decision.metrics if m.metric == metric), None)
    return (None, None) if summary is None else (summary.baseline, summary.candidate)


def lineup_chart(rows: list[LineupRow]) -> str:
    """Quality against cost with the Pareto front and the baseline ("" when no metric can
    be drawn): the page's chart, and the viewer's."""
    metric = quality_metric(rows)
    chart = ""
    if metric is not None:
        points = [(r.name, (r.operations.cost_per_request or float("nan")) * 1000
                   if r.operations else float("nan"), _mean(r, metric)[1] or float("nan"),
                   r.verdict) for r in rows]
        base_quality = _mean(rows[0], metric)[0]
        base_ops = rows[0].decision.operations[0] if rows[0].decision.operations else None
        baseline = None if base_quality is None or base_ops is None or \
            base_ops.cost_per_request is None else (base_ops.cost_per_request * 1000,
                                                    base_quality)
        chart = pareto(points, baseline, f"Quality ({metric}) against cost",
                       "cost per 1,000 requests ($)", f"{metric} (mean)")
    return chart


def render_lineup(headline: str, rows: list[LineupRow], notes: list[str]) -> str:
    """The whole page as one HTML document (model outputs never appear here: names,
    verdicts and numbers only, all escaped)."""
    chart = lineup_chart(rows)
    metric = quality_metric(rows)
    gate_names = [g.name for g in rows[0].hard_gates] if rows else []
    return template_environment().get_template("lineup.html.j2").render(
        headline=headline, rows=rows, notes=notes, chart=chart, metric=metric,
        gate_names=gate_names, css=report_asset("report.css"))
