"""From stored scores to GO / NO-GO / INCONCLUSIVE (docs/methodology.md §10 steps 5-7).

Hard gates decide: NO-GO if any is NO-GO after Holm's adjustment of the inferiority
p-values, GO if all are GO (an intersection-union test: no adjustment), INCONCLUSIVE
otherwise. Soft gates and segment flags are warnings. Segments the suite marks critical
become hard gates of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy

from swapkit.completion import MISSING_STATUSES
from swapkit.config import GateSpec, Suite
from swapkit.decision.difference import difference_test
from swapkit.decision.gates import GateInput, evaluate_gate, planned_sample
from swapkit.decision.headline import headline
from swapkit.decision.model import Decision, GateResult, MetricSummary, SegmentResult
from swapkit.decision.pairs import gate_data, natural
from swapkit.decision.panels import noise_floor, operations
from swapkit.decision.reasons import gate_reason
from swapkit.decision.stats.multiplicity import benjamini_hochberg, holm
from swapkit.errors import UsageError
from swapkit.scoring.metrics.base import MetricScores, RunData
from swapkit.scoring.score import load_run_data, load_scores, mean_or_none, score_run
from swapkit.store import RunStore
from swapkit.store.reviews import review_digest
from swapkit.support.numbers import fmt_count, fmt_percent

__all__ = ["decide", "decide_run", "expand_gates"]

DIFFERENCE_KINDS = ("noninferiority", "equivalence", "superiority")


def expand_gates(suite: Suite) -> list[tuple[GateSpec, bool]]:
    """The suite's gates, then the critical-segment copies of its hard ones (flagged True;
    dropped where their metric applies to no record). ``swapkit plan`` plans the same list."""
    gates = [(gate, False) for gate in suite.gates]
    for segment in suite.critical_segments:
        for gate in suite.gates:
            if gate.hard and gate.segment is None and gate.kind in DIFFERENCE_KINDS:
                gates.append((gate.model_copy(update={"segment": segment, "name": None}), True))
    return gates


def _segment_row(gate: GateResult, scores: MetricScores, inp: GateInput, segment: str,
                 min_n: int, critical: bool) -> SegmentResult:
    """One segment's one-sided test of "the candidate regressed here" (a warning only)."""
    data = gate_data(scores, inp.mask, inp.ids, inp.clusters)
    b, c, _ = data.complete()
    row = SegmentResult(gate=gate.name, segment=segment, n=int(b.size), critical=critical,
                        higher_is_better=scores.higher_is_better, percent=data.binary)
    if not b.size:
        return row
    row.baseline = natural(float(b.mean()), scores, data)
    row.candidate = natural(float(c.mean()), scores, data)
    row.estimate = float((c - b).mean())
    if b.size < min_n:
        row.note = f"too few records ({b.size} < {min_n}); not tested"
        return row
    test = difference_test(b, c, kind="noninferiority", margin=0.0, alpha=inp.alpha,
                           binary=data.binary, scale=data.scale, clusters=None,
                           seed=data.seed())
    row.low, row.high = test.low, test.high
    row.p_regressed = test.claims("noninferiority", 0.0)[1]
    row.tested = True
    return row


def _segments(results: list[tuple[GateResult, GateInput]], segments: np.ndarray,
              suite: Suite) -> list[SegmentResult]:
    rows: list[SegmentResult] = []
    names = sorted(set(segments.tolist()))
    if len(names) < 2:  # the whole run is the one segment: its gates already test it
        return rows
    for gate, inp in results:
        if gate.segment or gate.kind not in DIFFERENCE_KINDS or gate.status == "NOT_APPLICABLE":
            continue
        if planned_sample(inp.scores):  # a segment's share of a review plan: its own gate
            continue
        per_gate = []
        for segment in names:
            sub = GateInput(inp.spec, inp.scores, inp.mask & (segments == segment), inp.clusters,
                            inp.ids, inp.alpha, inp.min_n)
            per_gate.append(_segment_row(gate, inp.scores, sub, segment, suite.min_segment_n,
                                         segment in suite.critical_segments))
        tested = [r for r in per_gate if r.tested and r.p_regressed is not None]
        for row, adjusted in zip(tested, benjamini_hochberg([r.p_regressed or 1.0
                                                             for r in tested]), strict=True):
            row.p_adjusted = adjusted
            row.flagged = adjusted <= suite.segment_fdr
        rows.extend(r for r in per_gate if r.n)
    return rows


def _apply_holm(results: list[GateResult], alpha: float) -> None:
    hard = [g for g in results if g.hard and g.status != "NOT_APPLICABLE"]
    adjusted = holm([g.p_inferior if g.p_inferior is not None else 1.0 for g in hard])
    for gate, p in zip(hard, adjusted, strict=True):
        gate.p_inferior_adjusted = p
        if gate.raw_status == "NO-GO" and p > alpha:
            gate.status = "INCONCLUSIVE"
            gate.annotations.append("regression not significant after Holm's adjustment "
                                    "across hard gates")


def _overall(results: list[GateResult], missing: int) -> tuple[str, str, list[str]]:
    hard = [g for g in results if g.hard and g.status != "NOT_APPLICABLE"]
    failed = [g.name for g in hard if g.status == "NO-GO"]
    open_ = [g.name for g in hard if g.status == "INCONCLUSIVE"]
    if failed:
        which = " and ".join([", ".join(failed[:-1]), failed[-1]] if len(failed) > 1 else failed)
        margins = "their margins" if len(failed) > 1 else "its margin"
        return "NO-GO", f"NO-GO: {which} regressed beyond {margins}.", failed
    if not hard:
        return "INCONCLUSIVE", "INCONCLUSIVE: no hard gate could be evaluated on this run.", []
    refused = [g for g in hard if g.status == "INCONCLUSIVE" and g.refused]
    if open_ and len(refused) == len(open_):
        return "INCONCLUSIVE", "INCONCLUSIVE: " + "; ".join(
            f"{g.name}: {g.refused}" for g in refused) + ".", open_
    if open_ and missing:
        return "INCONCLUSIVE", (f"INCONCLUSIVE: {fmt_count(missing)} records missing: rerun to "
                                f"complete ({', '.join(open_)} open until then)."), open_
    if open_:
        return "INCONCLUSIVE", (f"INCONCLUSIVE: {', '.join(open_)} cannot be settled with "
                                "this many records."), open_
    return "GO", f"GO: all {len(hard)} hard gates pass.", []


def _summaries(scores: dict[str, MetricScores]) -> list[MetricSummary]:
    out = []
    for name, s in scores.items():
        paired = s.paired
        out.append(MetricSummary(
            metric=name, kind=s.kind, higher_is_better=s.higher_is_better,
            n=int(paired.sum()), baseline=mean_or_none(s.base[paired]),
            candidate=mean_or_none(s.cand[paired]), failed_baseline=int(s.failed_base.sum()),
            failed_candidate=int(s.failed_cand.sum()), excluded=s.excluded))
    return out


def decide(data: RunData, scores: dict[str, MetricScores], suite: Suite, run_id: str,
           simulated: dict[str, bool] | None = None) -> Decision:
    """The decision for scored data (pure: reads and writes nothing)."""
    alpha = suite.alpha
    segments = np.array([s or "(none)" for s in data.record_field("segment")], dtype=object)
    clusters = np.array([c or "" for c in data.record_field("conversation_id")], dtype=object)
    ids = np.array(data.record_field("id"), dtype=object)
    everything = np.ones(len(data), dtype=bool)
    evaluated: list[tuple[GateResult, GateInput]] = []
    for spec, derived in expand_gates(suite):
        if spec.metric not in scores:
            raise UsageError(f"gate {spec.display_name}: metric {spec.metric} was not scored",
                             hint="run `swapkit score RUN` with this suite first")
        mask = everything if spec.segment is None else segments == spec.segment
        inp = GateInput(spec, scores[spec.metric], mask, clusters, ids, alpha, suite.min_n)
        result = evaluate_gate(inp)
        if derived and result.status == "NOT_APPLICABLE":
            continue  # a critical segment where the metric does not apply: no gate to show
        evaluated.append((result, inp))
    results = [g for g, _ in evaluated]
    _apply_holm(results, alpha)
    for gate in results:
        gate.reason = gate_reason(gate, alpha)
    missing = sum(1 for b, c in zip(data.statuses("baseline"), data.statuses("candidate"),
                                    strict=True)
                  if b is None or c is None or b in MISSING_STATUSES or c in MISSING_STATUSES)
    verdict, reason, blocking = _overall(results, missing)
    warnings = [g.reason for g in results if not g.hard and g.status in ("NO-GO",
                                                                          "INCONCLUSIVE")]
    segment_rows = _segments(evaluated, segments, suite)
    flagged = [r for r in segment_rows if r.flagged]
    if flagged:
        tested = sum(1 for r in segment_rows if r.tested)
        warnings.append(f"{len(flagged)} of {tested} segment tests flagged a regression at FDR "
                        f"{fmt_percent(suite.segment_fdr, 0)}: " + ", ".join(
                            f"{r.gate} in {r.segment}" for r in flagged))
    from swapkit.support.version import __version__

    decision = Decision(
        verdict=verdict, reason=reason, blocking=blocking,  # type: ignore[arg-type]
        warnings=warnings, alpha=alpha, segment_fdr=suite.segment_fdr,
        min_segment_n=suite.min_segment_n, records=len(data), missing=missing,
        baseline=data.base_label,
        candidate=data.cand_label, gates=results, segments=segment_rows,
        noise=noise_floor(data, scores.get("similarity"), scores.get("similarity_to_reference"),
                          alpha),
        operations=operations(data, simulated or {}), metrics=_summaries(scores),
        run_id=run_id, swapkit_version=__version__, scipy_version=scipy.__version__,
        notes=[f"incomplete: {fmt_count(missing)} records have a missing answer (never reached "
               "the endpoint, rate limited, or not replayed yet), counted against the verdict; "
               "rerun to retry them"] if missing else [],
    )
    decision.headline = headline(decision)
    return decision


def decide_run(run_dir: Path, suite: Suite | None = None,
               notes: list[str] | None = None) -> Decision:
    """Decide from a run's stored scores, and store the decision (with ``notes``). Labels
    given (or a review planned) since the run was scored are scored first: every number
    that reads them (the human_review gate, the judge's agreement with people) is current."""
    with RunStore(run_dir) as store:
        scored = store.get_meta("scored_suite")
        stale = bool(scored) and store.get_meta("scored_review") != review_digest(store)
    if stale:  # the same suite as before
        score_run(run_dir, Suite.model_validate(scored), force=False)
    with RunStore(run_dir) as store:
        scores = load_scores(store)
        if not scores:
            raise UsageError(f"{run_dir}: the run has not been scored",
                             hint="run `swapkit score RUN` first")
        stored_suite = store.get_meta("scored_suite")
        chosen = suite or (Suite.model_validate(stored_suite) if stored_suite else None)
        if chosen is None:
            raise UsageError(f"{run_dir}: no suite recorded", hint="run `swapkit score RUN`")
        data = load_run_data(store)
        simulated = {t.side: t.simulated for t in store.targets().values()}
        run_id = str(store.get_meta("config_hash", ""))
        decision = decide(data, scores, chosen, run_id, simulated)
        stop = store.get_meta("early_stop")
        candidate = store.targets().get("candidate")
        if (stop and decision.missing and candidate is not None  # the replay stopped there
                and stop.get("target") == candidate.target  # for this candidate,
                and stop.get("config_hash") == run_id  # this config and sample,
                and any(g.name == stop.get("gate") for g in decision.gates)):  # this gate
            stopped_early(decision, stop)
        decision.notes.extend(store.get_meta("score_notes", []) or [])
        decision.notes.extend(notes or [])
        store.set_meta("decision", decision.model_dump(mode="json"))
        return decision


def stopped_early(decision: Decision, stop: dict[str, Any]) -> None:
    """The decision of a run whose replay stopped once a hard gate was a NO-GO at any later
    point (docs/methodology.md §6.3): NO-GO, for that gate, whatever the rest of the
    unfinished run would say."""
    reason = (f"stopped early after {stop['answered']:,} of {stop['planned']:,} records: "
              f"{stop['gate']}'s anytime-valid upper bound {stop['upper']:+.3f} is below the "
              f"−{stop['margin']:g} margin, a NO-GO at any later point")
    decision.verdict = "NO-GO"
    decision.reason = reason
    decision.headline = f"NO-GO: {reason}"
    decision.blocking = [stop["gate"]]
    for gate in decision.gates:
        if gate.name == stop["gate"]:
            gate.status = "NO-GO"
            gate.annotations.append(reason)
            gate.reason = f"{gate.name}: {reason}"
