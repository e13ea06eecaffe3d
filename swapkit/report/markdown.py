"""The Markdown report: PR-comment sized, renders on GitHub and GitLab."""

from __future__ import annotations

from swapkit.decision.reasons import gate_interval, gate_value, segment_value
from swapkit.report.model import ReportData
from swapkit.support.numbers import fmt_count, fmt_percent
from swapkit.support.sanitize import md_cell

__all__ = ["render_markdown"]

ICONS = {"GO": "✅", "NO-GO": "❌", "INCONCLUSIVE": "⚠️", "NOT_APPLICABLE": "➖"}


def render_markdown(report: ReportData, html_path: str | None = None) -> str:
    """Verdict, gates, flagged segments, the 5 worst regressions, and where the HTML is."""
    d = report.decision
    level = round((1 - 2 * d.alpha) * 100)
    simulated = any(t.simulated for t in report.targets)
    lines = [
        f"## {ICONS[d.verdict]} swapkit: {d.verdict} — {md_cell(d.candidate, 60)} replacing "
        f"{md_cell(d.baseline, 60)}",
        "",
        f"**{md_cell(d.headline, 600)}**",
        "",
        f"{fmt_count(d.records)} records · one-sided α = {d.alpha} · "
        f"swapkit {report.swapkit_version}"
        + (" · **simulated models**" if simulated else ""),
        "",
        f"| gate | status | baseline | candidate | difference ({level}% CI) | n |",
        "|---|---|---:|---:|---|---:|",
    ]
    for g in d.gates:
        soft = " (soft)" if not g.hard else ""
        lines.append(f"| {md_cell(g.name, 60)}{soft} | {ICONS[g.status]} {g.status} | "
                     f"{md_cell(gate_value(g, 'baseline'))} | "
                     f"{md_cell(gate_value(g, 'candidate'))} | "
                     f"{md_cell(gate_interval(g))} | {fmt_count(g.n)} |")
    flagged = [s for s in d.segments if s.flagged]
    if flagged:
        tested = sum(1 for s in d.segments if s.tested)
        lines += ["", f"**Segments flagged** ({len(flagged)} of {tested} tests, FDR "
                      f"{fmt_percent(d.segment_fdr, 0)}): " + ", ".join(
                          f"{md_cell(s.gate, 40)} in {md_cell(s.segment, 40)} "
                          f"({segment_value(s, 'estimate')})" for s in flagged[:10])]
    worst = [r for r in report.records if r.regression > 0][:5]
    if worst:
        lines += ["", "**Worst regressions**", ""]
        for r in worst:
            flags = md_cell(", ".join(r.flags[:4]) or "lower scores", 80)
            answer = md_cell(r.candidate.answer or r.candidate.error, 120)
            lines.append(f"- {md_cell(r.id, 40)} ({md_cell(r.segment or '-', 30)}; {flags}): "
                         f"{answer}")
    reasons = [md_cell(g.reason, 300) for g in d.gates if g.status != "GO" and g.hard]
    if reasons:
        lines += ["", "<details><summary>Why</summary>", ""]
        lines += [f"- {reason}" for reason in reasons]
        lines += ["", "</details>"]
    if html_path:
        lines += ["", f"Full report: [{md_cell(html_path, 200)}]({html_path.replace(' ', '%20')})"]
    return "\n".join(lines) + "\n"
