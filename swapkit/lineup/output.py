"""A lineup's outputs: the terminal table, the headline, Markdown, JSON, and the report
files (HTML page, Markdown, JSON, JUnit)."""

from __future__ import annotations

from pathlib import Path

from swapkit.lineup.results import LineupResult

__all__ = ["lineup_headline", "lineup_json", "lineup_markdown", "lineup_table",
           "write_lineup_reports"]

def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value * 1000:,.4g}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:,.0f} ms"


def lineup_table(result: LineupResult) -> list[list[str]]:
    """The lineup as rows: candidate, verdict after the adjustment (the candidate's own
    beside it), each hard gate's status, cost per 1,000 requests, p95 latency."""
    rows = [["candidate", "verdict (own)", "hard gates", "cost / 1k requests", "latency p95"]]
    for r in result.candidates:
        hard = [g for g in r.decision.gates if g.hard and g.status != "NOT_APPLICABLE"]
        failing = {status: [g.name for g in hard if g.status == status]
                   for status in ("NO-GO", "INCONCLUSIVE")}
        gates = "; ".join(f"{status}: {', '.join(names)}" for status, names in failing.items()
                          if names) or f"all {len(hard)} GO"
        mark = " (recommended)" if r.name == result.recommended else ""
        rows.append([r.name + mark, f"{r.verdict} ({r.unadjusted})", gates,
                     _money(r.cost_per_request), _seconds(r.latency_p95)])
    return rows


def lineup_headline(result: LineupResult) -> str:
    """One sentence: the recommendation, or why there is none."""
    names = {"cost": "cost per request", "latency_p95": "p95 latency"}
    by = names[result.rank_by] if isinstance(result.rank_by, str) else "weighted " + " + ".join(
        f"{weight:g}×{names[name]}" for name, weight in result.rank_by.items())
    if result.recommended is not None:
        safe = sum(r.verdict == "GO" for r in result.candidates)
        among = (f"the lowest {by} of the {safe} candidates that are GO" if safe > 1
                 else "the only candidate that is GO")
        return f"recommended: {result.recommended}, {among} for the lineup ({_design(result)})"
    if result.candidates and all(r.verdict == "NO-GO" for r in result.candidates):
        return "no candidate recommended: every candidate is NO-GO"
    return f"no candidate recommended: none is GO for the lineup ({_design(result)})"


def _design(result: LineupResult) -> str:
    if result.multiplicity == "holm":
        return f"Holm across {len(result.candidates)} candidates, α {result.alpha:g}"
    return (f"a fixed sequence, dearest planned first: {' → '.join(result.order)}; "
            f"each at α {result.alpha:g}, stopping at the first that is not GO")


def lineup_markdown(result: LineupResult) -> str:
    """The lineup report in Markdown (each candidate's own reports are in its folder)."""
    rows = lineup_table(result)
    lines = [f"# Lineup: {lineup_headline(result)}", "",
             "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
              for row in rows[1:]]
    lines += ["", "Each candidate's full report: its run folder "
              + ", ".join(f"`{r.run_dir}`" for r in result.candidates) + "."]
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def lineup_json(result: LineupResult) -> dict[str, object]:
    """The lineup as JSON: the recommendation and each candidate's verdicts and numbers."""
    return {
        "recommended": result.recommended, "rank_by": result.rank_by, "alpha": result.alpha,
        "multiplicity": result.multiplicity, "order": result.order,
        "headline": lineup_headline(result), "notes": result.notes,
        "candidates": [{
            "name": r.name, "verdict": r.verdict, "unadjusted_verdict": r.unadjusted,
            "p_go": r.p_go, "cost_per_request": r.cost_per_request,
            "latency_p95": r.latency_p95, "run_dir": str(r.run_dir),
            "reports": {k: str(v) for k, v in r.reports.items()},
            "headline": r.decision.headline} for r in result.candidates],
    }


def write_lineup_reports(result: LineupResult, folder: Path, name: str = "lineup"
                         ) -> dict[str, Path]:
    """``lineup.html``, ``lineup.md``, ``lineup.json`` and ``lineup-junit.xml`` in ``folder``
    (beside the candidates' report folders, which the page links to)."""
    import json
    import os

    from swapkit.report.junit import render_lineup_junit
    from swapkit.report.lineup_page import LineupRow, render_lineup

    folder.mkdir(parents=True, exist_ok=True)
    page, markdown, data = folder / "lineup.html", folder / "lineup.md", folder / "lineup.json"
    rows = [LineupRow(r.name, r.verdict, r.unadjusted, r.name == result.recommended,
                      r.decision, os.path.relpath(r.reports["html"], folder).replace(os.sep, "/")
                      if "html" in r.reports else None) for r in result.candidates]
    page.write_text(render_lineup(lineup_headline(result), rows, result.notes),
                    encoding="utf-8")
    junit = folder / "lineup-junit.xml"
    junit.write_text(render_lineup_junit(
        name, lineup_headline(result),
        [(r.name, r.verdict, r.early_stop.note(r.cost_per_request) if r.early_stop else
          f"{r.decision.headline} (own verdict {r.unadjusted})") for r in result.candidates],
        result.recommended), encoding="utf-8")
    markdown.write_text(lineup_markdown(result), encoding="utf-8")
    data.write_text(json.dumps(lineup_json(result), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return {"html": page, "md": markdown, "json": data, "junit": junit}
