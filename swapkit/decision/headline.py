"""The decision in one plain sentence, first in every report and on the terminal.

Built from the decision alone: the candidate's speed and cost against the baseline (from
the operations panel), on how many segments it holds up, and what blocks it, each blocking
gate named once with the segments where it regressed worst, e.g. ``NO-GO: qwen3 is faster
(0.47x median latency) and 8.00x cheaper per request, as good on 5 of 6 segments, but
json_valid drops 36.0 pts in extraction.``
"""

from __future__ import annotations

from swapkit.decision.model import Decision, GateResult, SegmentResult
from swapkit.scoring.metrics.human_review import HumanReview
from swapkit.support.numbers import fmt_count, fmt_diff, fmt_margin, fmt_ratio, fmt_value

__all__ = ["headline"]

SAME = 0.05  # within 5% either way reads as "as fast" / "about as costly"
SHOWN_SEGMENTS = 2  # segments named per blocking gate, worst first
SHOWN_GATES = 2  # blocking gates named, in the suite's order; the rest counted


def _join(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _speed_and_cost(d: Decision) -> list[str]:
    """``faster (0.47x median latency)``, ``8.00x cheaper per request``: what the data say."""
    if len(d.operations) != 2:
        return []
    base, cand = d.operations
    parts = []
    if base.latency_p50 and cand.latency_p50:
        ratio = cand.latency_p50 / base.latency_p50
        word = "faster" if ratio < 1 - SAME else "slower" if ratio > 1 + SAME else "as fast"
        parts.append(f"{word} ({fmt_ratio(ratio)} median latency)")
    if base.cost_per_request and cand.cost_per_request:
        ratio = cand.cost_per_request / base.cost_per_request
        if ratio < 1 - SAME:
            parts.append(f"{fmt_ratio(1 / ratio)} cheaper per request")
        elif ratio > 1 + SAME:
            parts.append(f"{fmt_ratio(ratio)} the cost per request")
        else:
            parts.append("about as costly per request")
    return parts


def _coverage(d: Decision) -> str:
    """``as good on 5 of 6 segments``: segments where no test or critical gate regressed."""
    tested = {s.segment for s in d.segments if s.tested}
    if not tested:
        return ""
    worse = {s.segment for s in d.segments if s.flagged} | {
        g.segment for g in d.gates if g.segment and g.hard and g.status == "NO-GO"}
    good = len(tested - worse)
    if not good:
        return ""
    if good == len(tested):
        return f"as good on all {len(tested)} segments"
    return f"as good on {good} of {len(tested)} segments"


def _change(g: GateResult | SegmentResult, estimate: float | None) -> str:
    """``drops 36.0 pts``, ``rises 4.0 pts`` (a rate of bad events), on the metric's scale."""
    if estimate is None:
        return "regressed"
    raw = estimate if g.higher_is_better else -estimate
    verb = "rises" if raw > 0 else "drops"
    return f"{verb} {fmt_margin(abs(raw), g.percent)}"


def _signed(g: GateResult | SegmentResult, estimate: float | None) -> str:
    """A change with its sign on the metric's scale: ``-36.0 pts``, ``+4.0 pts``."""
    if estimate is None:
        return "n/a"
    return fmt_diff(estimate if g.higher_is_better else -estimate, g.percent)


def _problem(gate: GateResult, d: Decision) -> str:
    """What one blocking gate says went wrong, the gate named once."""
    if gate.scale == "ratio":
        return f"{gate.name} is {fmt_ratio(gate.estimate)} the baseline's (limit " \
               f"{fmt_ratio(1 + (gate.margin or 0.0))})"
    if gate.scale == "rate":
        return f"{gate.name} reaches {fmt_value(gate.candidate, True)} (limit " \
               f"{fmt_value(gate.max, True)})"
    if gate.scale == "divergence":
        return f"its answers diverge {fmt_ratio(gate.estimate)} as much as the baseline's " \
               f"own (limit {fmt_ratio(gate.max)})"
    # segment → oriented estimate, signed change, records
    where: dict[str, tuple[float, str, int]] = {}
    for s in d.segments:
        if s.gate == gate.name and s.flagged:
            where[s.segment] = (s.estimate or 0.0, _signed(s, s.estimate), s.n)
    for g in d.gates:
        if (g.segment and g.metric == gate.metric and g.kind == gate.kind
                and g.status == "NO-GO" and g.segment not in where):
            where[g.segment] = (g.estimate or 0.0, _signed(g, g.estimate), g.n)
    worst = sorted(where.items(), key=lambda item: item[1][0])[:SHOWN_SEGMENTS]
    segments = _join([f"{name} ({change})" for name, (_, change, _) in worst])
    more = len(where) - len(worst)
    segments += f" and {fmt_count(more)} more segments" if more > 0 else ""
    if gate.segment is None and gate.status == "NO-GO":
        overall = f"{gate.name} {_change(gate, gate.estimate)}"
        if len(where) == 1 and worst[0][1][2] == gate.n:  # the metric applies there only
            return f"{overall} in {worst[0][0]}"
        return f"{overall}, worst in {segments}" if where else overall
    if not where:
        return f"{gate.name} {_change(gate, gate.estimate)}"
    verb = _change(gate, worst[0][1][0]).split(" ", 1)[0]  # the worst segment's direction
    return f"{gate.name} {verb} in {segments}"


def _whole_run(d: Decision, names: list[str]) -> list[GateResult]:
    """The blocking gates, each metric once: a critical segment's copy folds into its gate."""
    gates = [g for g in d.gates if g.name in names]
    whole = {(g.metric, g.kind) for g in gates if not g.segment}
    whole_gates = {(g.metric, g.kind): g for g in d.gates if not g.segment}
    out: list[GateResult] = []
    for g in gates:
        key = (g.metric, g.kind)
        if g.segment and key not in whole and key in whole_gates:
            whole.add(key)
            out.append(whole_gates[key])
        elif not g.segment or key not in whole_gates:
            out.append(g)
    return out


def _open(d: Decision) -> str:
    """Why an INCONCLUSIVE verdict is open: missing answers, a refusal, or too few records."""
    if d.missing:
        return f"{fmt_count(d.missing)} records are missing an answer (rerun to complete)"
    gates = _whole_run(d, d.blocking)
    if not gates:
        return "no hard gate could be evaluated on this run"
    refused = [g for g in gates if g.refused]
    if refused:
        return "; ".join(f"{g.name} waits: {g.refused}" if g.metric == HumanReview.name
                         else f"{g.name} cannot be trusted: {g.refused}" for g in refused)
    needed = [g.n_needed for g in gates if g.n_needed]
    names = _join([g.name for g in gates])
    verb = "is" if len(gates) == 1 else "are"
    if needed:
        return (f"{names} {verb} not settled by {fmt_count(d.records)} records (about "
                f"{fmt_count(max(needed))} would settle {'it' if len(gates) == 1 else 'them'})")
    return f"{names} {verb} not settled by {fmt_count(d.records)} records"


def headline(d: Decision) -> str:
    """The verdict and what it means, in one sentence built from the decision's numbers."""
    good = _speed_and_cost(d)
    coverage = _coverage(d)
    strengths = _join(good)
    if coverage:
        strengths = f"{strengths}, {coverage}" if strengths else coverage
    subject = f"{d.candidate} is {strengths}" if strengths else d.candidate
    if d.verdict == "GO":
        hard = sum(1 for g in d.gates if g.hard and g.status == "GO")
        gates = "the hard gate passes" if hard == 1 else f"all {fmt_count(hard)} hard gates pass"
        body = (f"{subject}: {gates}" if strengths
                else f"{d.candidate} can replace {d.baseline}: {gates}")
    elif d.verdict == "NO-GO":
        blocking = _whole_run(d, d.blocking)
        shown = [_problem(g, d) for g in blocking[:SHOWN_GATES]]
        if len(blocking) > SHOWN_GATES:
            rest = len(blocking) - SHOWN_GATES
            shown.append(f"{fmt_count(rest)} more hard "
                         f"{'gate fails' if rest == 1 else 'gates fail'}")
        problems = _join(shown)
        body = f"{subject}, but {problems}" if strengths else f"{d.candidate}: {problems}"
    else:
        body = (f"{subject}, but {_open(d)}" if strengths
                else f"{d.candidate}: {_open(d)}")
    return f"{d.verdict}: {body}."

