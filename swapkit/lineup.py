"""Several candidates in one run: the baseline replayed once, each candidate decided, and
the cheapest safe one recommended (docs/methodology.md §6.3).

Each candidate is a run of its own in ``run_dir/NAME`` (resume, reports and ``swapkit
view`` work on it as on any run). The first candidate's run replays the baseline; every
other run starts from a copy of the baseline's answers stored in its siblings' folders
(same target, same sample: the same keys), so the baseline's endpoint sees each request
once, also when a candidate joins the lineup later. The request and spend caps hold for
the lineup: each run gets what the earlier ones left.

The recommendation is the cheapest candidate (by its measured cost per request, or p95
latency) whose verdict is GO for the lineup. A candidate's GO p-value is the largest of
its hard gates' (every gate must hold: intersection-union). Two designs keep the chance of
recommending a candidate that is truly worse than a margin on a hard gate at α:

- ``sequence`` (the default): a fixed sequence fixed before any answer is seen, the
  dearest candidate by *planned* cost first (prices × the log's tokens): each is tested at
  α, and the sequence stops at the first that is not GO; the ones after it are not tested.
  This is the step-down search for the lowest effective dose, and it spends no α on the
  number of candidates.
- ``holm``: Holm's step-down over all the candidates' GO p-values (no order needed; it
  pays for their number).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from swapkit.config import DEFAULT_SUITE, GateSpec, Suite, SwapConfig
from swapkit.decision.gates import default_margin
from swapkit.decision.model import Decision
from swapkit.decision.stats.multiplicity import holm
from swapkit.decision.stats.sequential import prpl_eb_cs
from swapkit.pipeline import RunOptions, RunResult, run_migration
from swapkit.replay.engine import ReplayOptions, ReplaySummary, replay_run
from swapkit.replay.targets import target_hash, target_identity
from swapkit.scoring.embeddings.prefetch import EMBEDDING_METRICS
from swapkit.scoring.metrics import get_metric
from swapkit.scoring.metrics.human_review import HumanReview
from swapkit.scoring.score import load_run_data, run_suite, suite_specs
from swapkit.store import DB_NAME, RunStore

__all__ = ["MULTIPLICITY", "RANK_BY", "CandidateResult", "LineupResult", "adjust",
           "lineup_exit_code", "lineup_headline", "lineup_json", "lineup_markdown",
           "lineup_table", "recommend", "run_lineup", "sequence_order", "write_lineup_reports"]

CHUNK = 100  # candidate requests between two looks at the gates (early stopping)
MIN_WATCHED = 30  # answered pairs before a gate is looked at
RankBy = Literal["cost", "latency_p95"]
RANK_BY: tuple[RankBy, ...] = ("cost", "latency_p95")
Multiplicity = Literal["sequence", "holm"]
MULTIPLICITY: tuple[Multiplicity, ...] = ("sequence", "holm")


@dataclass
class CandidateResult:
    """One candidate of the lineup: its run's decision, its verdict after the lineup's
    adjustment, and what ranks it."""

    name: str
    run_dir: Path
    decision: Decision
    p_go: float | None  # the largest GO p-value of its hard gates (None: not a GO)
    verdict: str  # after Holm across the lineup
    cost_per_request: float | None
    latency_p95: float | None
    reports: dict[str, Path] = field(default_factory=dict)
    early_stop: EarlyStop | None = None  # the replay stopped: settled NO-GO on its way

    @property
    def unadjusted(self) -> str:
        """The candidate's own verdict, before the lineup's adjustment (NO-GO when its
        replay stopped early on a settled regression)."""
        return "NO-GO" if self.early_stop is not None else self.decision.verdict


@dataclass
class LineupResult:
    """What a lineup run produced."""

    candidates: list[CandidateResult]
    recommended: str | None
    rank_by: RankBy
    alpha: float
    notes: list[str] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)  # the lineup's own (md, json)
    multiplicity: Multiplicity = "sequence"
    order: list[str] = field(default_factory=list)  # the sequence's, dearest planned first


@dataclass
class EarlyStop:
    """Why a candidate's replay stopped before its sample was done."""

    answered: int  # records the candidate had answered, in replay order, at the stop
    planned: int  # records of the sample
    gate: str
    upper: float  # the anytime-valid upper bound of the gate's difference
    margin: float

    def note(self, cost_per_request: float | None) -> str:
        saved = self.planned - self.answered
        money = "" if cost_per_request is None else f" (about ${saved * cost_per_request:,.4g})"
        return (f"stopped early after {self.answered} of {self.planned} records: {self.gate}'s "
                f"anytime-valid upper bound {self.upper:+.3f} is below the −{self.margin:g} "
                f"margin, a NO-GO at any later point; {saved} requests not sent{money}")


def _checkable(spec: GateSpec, metric: Any) -> bool:
    """Gates the replay can watch: hard non-inferiority over the whole run, on a metric
    scored from the answers alone (no embedding model, judge or people)."""
    return (spec.hard and spec.kind == "noninferiority" and spec.segment is None
            and metric.kind in ("binary", "continuous") and spec.metric not in (
                *EMBEDDING_METRICS, HumanReview.name) and not spec.metric.startswith("judge"))


def settled_nogo(run_dir: Path, alpha: float) -> EarlyStop | None:
    """Whether a hard gate is already a NO-GO at any later point: the anytime-valid
    confidence sequence (predictable plug-in empirical Bernstein, docs/methodology.md §5.2)
    of its paired difference over the records answered so far, in replay order, lies below
    −margin. α is split over the gates watched."""
    with RunStore(run_dir, read_only=True) as store:
        if "candidate" not in store.targets():  # nothing answered yet
            return None
        suite = run_suite(store)
        data = load_run_data(store)
        answered = next((i for i, c in enumerate(data.cand) if c is None), len(data))
        if answered == len(data):  # nothing left to save: the run decides as usual
            return None
        watched = [(spec, get_metric(spec.metric)) for spec in suite.gates]
        watched = [(spec, metric) for spec, metric in watched if _checkable(spec, metric)]
        for spec, metric in watched:
            scores = metric.score(data, dict(next(
                (o for n, o in suite_specs(suite) if n == spec.metric), {})))
            base, cand = scores.base[:answered], scores.cand[:answered]
            d = (cand - base) if scores.higher_is_better else (base - cand)
            d = d[np.isfinite(d)]
            if d.size < MIN_WATCHED:
                continue
            low, high = scores.bounds or (0.0, 1.0)
            margin = default_margin(spec, scores)
            upper = float(prpl_eb_cs(d, low - high, high - low, alpha / len(watched))[1][-1])
            if upper < -margin:
                return EarlyStop(answered, len(data), spec.display_name, upper, margin)
    return None


def _replay_watching(member: SwapConfig, options: RunOptions, alpha: float
                     ) -> tuple[EarlyStop | None, int, float]:
    """Replay the baseline, then the candidate a chunk at a time, stopping when a hard gate
    is a settled NO-GO; (the stop, requests sent, money spent)."""
    assert member.run_dir is not None
    sent, spent = 0, 0.0

    def replay(only: str, cap: int | None, preflight: bool) -> ReplaySummary:
        nonlocal sent, spent
        summary = replay_run(member, ReplayOptions(
            run_dir=member.run_dir, only=only, max_requests=cap, quiet=options.quiet,
            preflight=preflight and options.preflight, fail_fast=options.fail_fast))
        sent += sum(t.attempts for t in summary.targets)
        spent += sum(t.spend_usd for t in summary.targets)
        if summary.interrupted:
            raise KeyboardInterrupt
        return summary

    replay("baseline", None, True)
    first = True
    while True:
        stop = settled_nogo(member.run_dir, alpha)  # a rerun looks before sending more
        if stop is not None:
            return stop, sent, spent
        summary = replay("candidate", CHUNK, first)
        first = False
        if summary.stopped is None:  # the whole sample is answered
            return None, sent, spent


def _seed_baseline(source: Path, run_dir: Path, config: SwapConfig) -> None:
    """Copy the baseline's stored answers of another candidate's run into ``run_dir``, and
    the embeddings it holds (a cache by text: the baseline's answers are embedded once)."""
    name = target_hash(target_identity(config.baseline))
    with RunStore(run_dir) as store:
        store.db.execute("ATTACH DATABASE ? AS earlier", (str(source / DB_NAME),))
        try:
            with store.db:
                store.db.execute("INSERT OR IGNORE INTO completions SELECT * FROM "
                                 "earlier.completions WHERE target = ?", (name,))
                store.db.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM "
                                 "earlier.embeddings")
        finally:
            store.db.execute("DETACH DATABASE earlier")


def _alpha(member: SwapConfig) -> float:
    suite = member.suite
    return suite.alpha if isinstance(suite, Suite) else DEFAULT_SUITE.alpha


def _p_go(decision: Decision) -> float | None:
    """A GO's p-value: every hard gate's GO claim must hold, so the largest of theirs."""
    if decision.verdict != "GO":
        return None
    hard = [g.p_noninferior for g in decision.gates if g.hard and g.status == "GO"]
    return max((p for p in hard if p is not None), default=0.0)


def _operations(decision: Decision) -> tuple[float | None, float | None]:
    """The candidate's cost per request and p95 latency."""
    side = decision.operations[1] if len(decision.operations) > 1 else None
    return (None, None) if side is None else (side.cost_per_request, side.latency_p95)


def adjust(results: list[CandidateResult], alpha: float, order: list[str] | None = None
           ) -> None:
    """The lineup's verdicts. With ``order`` (the fixed sequence): each candidate in turn
    keeps its GO while every one before it was GO; after the first that is not, a GO is
    INCONCLUSIVE (not tested). Without: Holm's step-down over the GO p-values, a GO that
    does not survive it INCONCLUSIVE. NO-GO and INCONCLUSIVE stay as they are."""
    if order is not None:
        by_name = {r.name: r for r in results}
        going = True
        for name in order:
            result = by_name.get(name)
            if result is None:
                continue
            ok = going and result.p_go is not None and result.p_go <= alpha
            result.verdict = "GO" if ok else (
                "INCONCLUSIVE" if result.unadjusted == "GO" else result.unadjusted)
            going = ok
        return
    adjusted = holm([r.p_go if r.p_go is not None else 1.0 for r in results])
    for result, p in zip(results, adjusted, strict=True):
        result.verdict = result.unadjusted if result.p_go is None else (
            "GO" if p <= alpha else "INCONCLUSIVE")


def sequence_order(config: SwapConfig, names: list[str] | None = None) -> list[str]:
    """The fixed sequence: the candidates by planned cost, dearest first (prices and the
    log's tokens, known before any answer); candidates without a price last, in swap.yaml's
    order."""
    from swapkit.plan import plan_lineup

    planned: dict[str, float | None] = {}
    for name, plan in plan_lineup(config):
        target = next((t for t in plan.targets if t.side == "candidate"), None)
        planned[name] = None if target is None else target.cost_usd
    chosen = [n for n in planned if names is None or n in names]
    return sorted(chosen, key=lambda n: (planned[n] is None, -(planned[n] or 0.0),
                                         chosen.index(n)))


def recommend(results: list[CandidateResult], rank_by: RankBy) -> str | None:
    """The cheapest (or fastest) candidate whose adjusted verdict is GO; ties go to the
    lineup's order. A GO without the number it is ranked by ranks last."""
    def key(r: CandidateResult) -> tuple[bool, float]:
        value = r.cost_per_request if rank_by == "cost" else r.latency_p95
        return value is None, value if value is not None else 0.0

    safe = [r for r in results if r.verdict == "GO"]
    return min(safe, key=key).name if safe else None


def run_lineup(config: SwapConfig, options: RunOptions | None = None,
               names: list[str] | None = None, rank_by: RankBy = "cost",
               stage: Callable[[str], None] | None = None,
               multiplicity: Multiplicity = "sequence", early_stop: bool = True
               ) -> LineupResult:
    """Run every candidate of ``config``'s lineup (or ``names``) and recommend one; with
    ``early_stop``, a candidate whose replay shows a settled NO-GO on a hard gate stops
    being sent requests (not with a request or spend cap)."""
    options = options or RunOptions()
    order = sequence_order(config, names) if multiplicity == "sequence" else None
    if options.run_dir is not None:
        config = config.model_copy(update={"run_dir": options.run_dir})
    if options.report_dir is not None:
        config = config.model_copy(update={"report": config.report.model_copy(
            update={"dir": options.report_dir})})
    members = config.lineup(names)
    say = stage or (lambda _: None)
    results: list[CandidateResult] = []
    notes: list[str] = []
    # every candidate's run folder, those of an earlier run of this lineup included (a
    # candidate added since starts from the baseline answers they hold)
    siblings = [m.run_dir for _, m in config.lineup() if m.run_dir is not None]
    requests, spend = options.max_requests, options.max_spend_usd
    for name, member in members:
        assert member.run_dir is not None
        if (requests is not None and requests <= 0) or (spend is not None and spend <= 0):
            notes.append(f"{name}: not replayed: the lineup's request or spend cap was reached")
            continue
        if not options.report_only:
            for source in siblings:
                if source != member.run_dir and (source / DB_NAME).is_file():
                    _seed_baseline(source, member.run_dir, member)
        say(f"candidate {name}")
        stop, sent, spent = None, 0, 0.0
        watching = early_stop and not options.report_only and requests is None and (
            spend is None)  # with caps, the plain replay keeps them exact
        if watching:
            stop, sent, spent = _replay_watching(member, options, _alpha(member))
        run: RunResult = run_migration(member, RunOptions(
            max_records=options.max_records, only=options.only,
            report_only=options.report_only or stop is not None, quiet=options.quiet,
            max_requests=requests, max_spend_usd=spend, fail_fast=options.fail_fast,
            preflight=options.preflight and not watching, formats=options.formats), stage)
        if run.replay is not None:
            sent += sum(t.attempts for t in run.replay.targets)
            spent += sum(t.spend_usd for t in run.replay.targets)
        requests = None if requests is None else requests - sent
        spend = None if spend is None else spend - spent
        notes.extend(f"{name}: {note}" for note in run.notes)
        cost, latency = _operations(run.decision)
        if stop is not None:
            notes.append(f"{name}: {stop.note(cost)}")
        results.append(CandidateResult(
            name, member.run_dir, run.decision, _p_go(run.decision) if stop is None else None,
            "NO-GO" if stop is not None else run.decision.verdict, cost, latency, run.reports,
            stop))
    alpha = results[0].decision.alpha if results else 0.05
    adjust(results, alpha, order)
    lineup = LineupResult(results, recommend(results, rank_by), rank_by, alpha, notes,
                          multiplicity=multiplicity, order=order or [])
    lineup.reports = write_lineup_reports(lineup, config.report.dir)
    return lineup


def lineup_exit_code(result: LineupResult, require: str | None = None,
                     inconclusive: str = "fail") -> int:
    """0 when a candidate is recommended, 1 when every candidate is NO-GO, 4 otherwise (0
    with ``inconclusive`` warn or pass); with ``require``, that candidate's own code."""
    if require is not None:
        chosen = next((r for r in result.candidates if r.name == require), None)
        verdict = chosen.verdict if chosen is not None else "INCONCLUSIVE"
        return {"GO": 0, "NO-GO": 1}.get(verdict, 4 if inconclusive == "fail" else 0)
    if result.recommended is not None:
        return 0
    if result.candidates and all(r.verdict == "NO-GO" for r in result.candidates):
        return 1
    return 4 if inconclusive == "fail" else 0


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
    by = "cost per request" if result.rank_by == "cost" else "p95 latency"
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


def write_lineup_reports(result: LineupResult, folder: Path) -> dict[str, Path]:
    """``lineup.html``, ``lineup.md`` and ``lineup.json`` in ``folder`` (beside the
    candidates' report folders, which the page links to)."""
    import json
    import os

    from swapkit.report.lineup_page import LineupRow, render_lineup

    folder.mkdir(parents=True, exist_ok=True)
    page, markdown, data = folder / "lineup.html", folder / "lineup.md", folder / "lineup.json"
    rows = [LineupRow(r.name, r.verdict, r.unadjusted, r.name == result.recommended,
                      r.decision, os.path.relpath(r.reports["html"], folder).replace(os.sep, "/")
                      if "html" in r.reports else None) for r in result.candidates]
    page.write_text(render_lineup(lineup_headline(result), rows, result.notes),
                    encoding="utf-8")
    markdown.write_text(lineup_markdown(result), encoding="utf-8")
    data.write_text(json.dumps(lineup_json(result), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return {"html": page, "md": markdown, "json": data}
