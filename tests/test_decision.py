"""The decision (docs/methodology.md §10) on synthetic scores: verdicts, Holm, segments, reasons."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swapkit.config import GateSpec, Suite
from swapkit.decision.decide import decide
from swapkit.decision.gates import GateInput, evaluate_gate
from swapkit.scoring.metrics import MetricScores

from .metrichelp import record, run

RANK = {"NO-GO": 0, "INCONCLUSIVE": 1, "GO": 2}


def binary(name: str, base: list[float], cand: list[float], higher: bool = True) -> MetricScores:
    n = len(base)
    return MetricScores(name, "binary", higher, np.array(base, float), np.array(cand, float),
                        np.zeros(n, bool), np.zeros(n, bool), {}, [None] * n)


def pairs(n: int, r: int, g: int, both: int | None = None) -> tuple[list[float], list[float]]:
    """n pairs with r baseline-only passes, g candidate-only passes, the rest both pass."""
    base = [1.0] * r + [0.0] * g + [1.0] * (n - r - g)
    cand = [0.0] * r + [1.0] * g + [1.0] * (n - r - g)
    return base, cand


def data_for(n: int, segments: list[str] | None = None):  # type: ignore[no-untyped-def]
    segs = segments or ["s"] * n
    return run([record(i, segment=segs[i]) for i in range(n)], [None] * n, [None] * n)


@pytest.mark.parametrize(("n", "r", "g", "verdict"), [
    (300, 0, 0, "GO"), (1000, 60, 52, "INCONCLUSIVE"),
    # Tango's bounds say NO-GO here (U = -0.022 < -0.02), but 5 discordant pairs cannot
    # prove it: the exact unconditional test gives p = 0.073 for the NO-GO claim.
    (100, 5, 0, "INCONCLUSIVE"), (100, 10, 0, "NO-GO"), (2000, 170, 92, "NO-GO")])
def test_single_binary_gate_follows_tango_or_the_exact_test(n: int, r: int, g: int,
                                                            verdict: str) -> None:
    scores = {"pass": binary("pass", *pairs(n, r, g))}
    suite = Suite(gates=[GateSpec(metric="pass", margin=0.02)])
    decision = decide(data_for(n), scores, suite, run_id="t")
    assert decision.verdict == verdict
    gate = decision.gates[0]
    assert "Tango" in gate.method
    assert gate.method.startswith("exact") == (r + g <= 200)
    assert gate.reason.endswith(f"{verdict} (n={n})")


def test_reason_sentence_has_the_numbers() -> None:
    scores = {"json_valid": binary("json_valid", *pairs(500, 30, 2))}
    suite = Suite(gates=[GateSpec(metric="json_valid", margin=0.01)])
    gate = decide(data_for(500), scores, suite, run_id="t").gates[0]
    assert gate.status == "NO-GO"
    assert gate.reason.startswith("json_valid: candidate 94.0% vs baseline 99.6%, difference "
                                  "-5.6 pts (90% CI ")
    assert "worse than the -1.0 pts margin: NO-GO (n=500)" in gate.reason


def test_lower_is_better_rates_read_as_rates() -> None:
    base = [0.0] * 500
    cand = [1.0] * 20 + [0.0] * 480
    scores = {"error_rate": binary("error_rate", base, cand, higher=False)}
    suite = Suite(gates=[GateSpec(metric="error_rate", margin=0.01)])
    gate = decide(data_for(500), scores, suite, run_id="t").gates[0]
    assert gate.status == "NO-GO"
    assert "candidate 4.0% vs baseline 0.0%, difference +4.0 pts" in gate.reason


def test_lower_is_better_values_are_stored_as_the_text_reads_them() -> None:
    """The JSON's baseline and candidate of an error-rate gate, its segments and a max_rate
    gate on it are the rates the sentences and tables show (schema 1 stored 1 − rate)."""
    from swapkit.decision.reasons import gate_value, segment_value

    base = [0.0] * 400
    cand = [1.0] * 20 + [0.0] * 380
    scores = {"error_rate": binary("error_rate", base, cand, higher=False)}
    suite = Suite(gates=[GateSpec(metric="error_rate", margin=0.01),
                         GateSpec(metric="error_rate", kind="max_rate", max=0.2)])
    segments = ["a", "b"] * 200
    decision = decide(data_for(400, segments), scores, suite, run_id="t")
    difference, cap = decision.gates
    assert (difference.baseline, difference.candidate) == (0.0, pytest.approx(0.05))
    assert "candidate 5.0% vs baseline 0.0%" in difference.reason
    assert [gate_value(difference, s) for s in ("baseline", "candidate")] == ["0.0%", "5.0%"]
    assert cap.candidate == pytest.approx(0.05) and cap.baseline == 0.0
    assert [gate_value(cap, s) for s in ("baseline", "candidate")] == ["0.0%", "5.0%"]
    seg = next(s for s in decision.segments if s.segment == "a")
    assert seg.baseline == 0.0 and seg.candidate == pytest.approx(0.05)
    assert segment_value(seg, "candidate") == "5.0%"
    assert segment_value(seg, "estimate") == "+5.0 pts"


def test_holm_downgrades_a_borderline_no_go_among_many_gates() -> None:
    n = 2000
    scores = {f"m{k}": binary(f"m{k}", *pairs(n, 100, 100)) for k in range(5)}
    # Raw NO-GO, but with p_inf just under alpha: not significant after Holm over 6 gates.
    scores["edge"] = binary("edge", *pairs(n, 170, 92))
    suite = Suite(gates=[GateSpec(metric=m, margin=0.02) for m in scores])
    decision = decide(data_for(n), scores, suite, run_id="t")
    edge = next(g for g in decision.gates if g.metric == "edge")
    assert edge.raw_status == "NO-GO"
    assert edge.p_inferior < 0.05 < edge.p_inferior_adjusted
    assert edge.status == "INCONCLUSIVE"
    assert "Holm" in edge.reason


def test_soft_gates_warn_and_never_decide() -> None:
    scores = {"good": binary("good", *pairs(400, 0, 0)), "bad": binary("bad", *pairs(400, 40, 0))}
    suite = Suite(gates=[GateSpec(metric="good", margin=0.02),
                         GateSpec(metric="bad", margin=0.02, hard=False)])
    decision = decide(data_for(400), scores, suite, run_id="t")
    assert decision.verdict == "GO"
    assert any(w.startswith("bad:") for w in decision.warnings)


def test_critical_segment_becomes_a_hard_gate_and_segments_are_flagged() -> None:
    n = 600
    segments = ["extract"] * 200 + ["faq"] * 400
    base = [1.0] * n
    cand = [0.0] * 40 + [1.0] * 160 + [1.0] * 400  # 20% regression, all in "extract"
    scores = {"pass": binary("pass", base, cand)}
    suite = Suite(gates=[GateSpec(metric="pass", margin=0.1)], critical_segments=["extract"])
    decision = decide(data_for(n, segments), scores, suite, run_id="t")
    names = {g.name: g for g in decision.gates}
    assert names["pass"].status == "GO"  # 6.7% overall, within a 10-pt margin
    assert names["pass@extract"].status == "NO-GO"
    assert decision.verdict == "NO-GO" and decision.blocking == ["pass@extract"]
    flagged = {(s.gate, s.segment) for s in decision.segments if s.flagged}
    assert ("pass", "extract") in flagged and ("pass", "faq") not in flagged


def test_small_segments_are_not_tested() -> None:
    segments = ["big"] * 100 + ["tiny"] * 10
    scores = {"pass": binary("pass", [1.0] * 110, [1.0] * 100 + [0.0] * 10)}
    decision = decide(data_for(110, segments), scores,
                      Suite(gates=[GateSpec(metric="pass", margin=0.2)]), run_id="t")
    tiny = next(s for s in decision.segments if s.segment == "tiny")
    assert not tiny.tested and not tiny.flagged and tiny.note == (
        "too few records (10 < 30); not tested")
    assert tiny.baseline == 1.0 and tiny.candidate == 0.0  # its numbers are still shown


def test_insufficient_data_and_not_applicable() -> None:
    scores = {"few": binary("few", *pairs(10, 0, 0)),
              "none": binary("none", [np.nan] * 10, [np.nan] * 10)}
    suite = Suite(gates=[GateSpec(metric="few"), GateSpec(metric="none")])
    decision = decide(data_for(10), scores, suite, run_id="t")
    statuses = {g.metric: g.status for g in decision.gates}
    assert statuses == {"few": "INCONCLUSIVE", "none": "NOT_APPLICABLE"}
    assert decision.verdict == "INCONCLUSIVE"


def test_a_gate_on_too_few_records_shows_its_numbers_untested() -> None:
    segments = ["big"] * 100 + ["small"] * 8
    scores = {"pass": binary("pass", [1.0] * 108, [1.0] * 100 + [0.0] * 2 + [1.0] * 6)}
    suite = Suite(gates=[GateSpec(metric="pass", margin=0.05, segment="small")])
    gate = decide(data_for(108, segments), scores, suite, run_id="t").gates[0]
    assert gate.status == "INCONCLUSIVE" and gate.insufficient_data and gate.n == 8
    assert (gate.baseline, gate.candidate, gate.estimate) == (1.0, 0.75, -0.25)
    assert gate.low is None and gate.p_inferior is None  # shown, never tested
    assert gate.reason == ("pass@small: candidate 75.0% vs baseline 100.0%, difference "
                           "-25.0 pts, untested: too few records to test: 8 pairs, fewer than "
                           "30 (the suite's min_n): INCONCLUSIVE (n=8)")


def continuous(base: np.ndarray, cand: np.ndarray, kind: str = "continuous") -> MetricScores:
    """A score on an open scale (synthetic shifts may leave [0, 1])."""
    n = base.size
    return MetricScores("sim", kind, True, base, cand, np.zeros(n, bool), np.zeros(n, bool),
                        {}, [None] * n, bounds=None)


def test_continuous_gate_uses_bca_and_reports_power() -> None:
    rng = np.random.default_rng(3)
    base = rng.uniform(0.6, 0.9, 400)
    cand = base + rng.normal(-0.005, 0.05, 400)
    suite = Suite(gates=[GateSpec(metric="sim", margin=0.005)])
    gate = decide(data_for(400), {"sim": continuous(base, cand)}, suite, run_id="t").gates[0]
    assert gate.method == "BCa bootstrap"
    assert gate.status == "INCONCLUSIVE" and gate.n_needed and gate.n_needed > 400
    assert "records would settle it" in gate.reason


def test_noise_ratio_gate() -> None:
    rng = np.random.default_rng(4)
    a = rng.uniform(0.90, 0.98, 200)
    scores = continuous(a, a - rng.uniform(0.0, 0.02, 200), kind="agreement")
    scores.extra["cand_vs_noise"] = scores.cand.copy()
    suite = Suite(gates=[GateSpec(metric="sim", kind="noise_ratio", max=1.5)])
    gate = decide(data_for(200), {"sim": scores}, suite, run_id="t").gates[0]
    assert gate.status == "GO" and 1.0 < gate.estimate < 1.5
    far = continuous(a, a - 0.3, kind="agreement")
    gate = decide(data_for(200), {"sim": far}, suite, run_id="t").gates[0]
    assert gate.status == "NO-GO" and gate.low > 1.5


def test_ratio_and_max_rate_gates() -> None:
    rng = np.random.default_rng(5)
    base = rng.lognormal(0, 0.3, 300)
    latency = MetricScores("latency_p95", "ratio", False, base, base * 2.0, np.zeros(300, bool),
                           np.zeros(300, bool), {}, [None] * 300, statistic="p95")
    suite = Suite(gates=[GateSpec(metric="latency_p95", kind="ratio_noninferiority",
                                  margin=0.2, hard=False)])
    gate = decide(data_for(300), {"latency_p95": latency}, suite, run_id="t").gates[0]
    assert gate.status == "NO-GO" and gate.estimate == pytest.approx(2.0)
    from swapkit.decision.reasons import gate_value, quantity

    assert gate_value(gate, "baseline").endswith(" s") or gate_value(gate, "baseline").endswith(
        " ms")
    assert re.search(r"candidate [\d.]+ m?s vs baseline [\d.]+ m?s, ratio 2\.\d\d×", gate.reason)
    assert quantity(0.1661, "cost") == "$0.1661" and quantity(0.918, "latency_p50") == "918 ms"
    assert quantity(162.0, "output_tokens") == "162 tokens" and quantity(3.0, "custom") == "3"
    errors = binary("error_rate", [0.0] * 500, [1.0] * 2 + [0.0] * 498, higher=False)
    suite = Suite(gates=[GateSpec(metric="error_rate", kind="max_rate", max=0.02)])
    gate = decide(data_for(500), {"error_rate": errors}, suite, run_id="t").gates[0]
    assert gate.status == "GO" and gate.candidate == pytest.approx(0.004)


def test_decisions_depend_on_the_data_only() -> None:
    """The same scores give the same numbers bit for bit, whatever the run id or gate name."""
    rng = np.random.default_rng(6)
    base = rng.uniform(0, 1, 300)
    scores = {"sim": continuous(base, base + rng.normal(0, 0.1, 300))}
    first = decide(data_for(300), scores, Suite(gates=[GateSpec(metric="sim", margin=0.02)]),
                   run_id="run-1").gates[0]
    renamed = decide(data_for(300), scores, Suite(gates=[
        GateSpec(metric="sim", name="other name", margin=0.02)]), run_id="run-2").gates[0]
    assert (first.low, first.high, first.p_noninferior) == (
        renamed.low, renamed.high, renamed.p_noninferior)
    shifted = continuous(base, base + rng.normal(0, 0.1, 300))
    other = decide(data_for(300), {"sim": shifted},
                   Suite(gates=[GateSpec(metric="sim", margin=0.02)]), run_id="run-1").gates[0]
    assert (other.low, other.high) != (first.low, first.high)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(100, 2000), r=st.integers(0, 80), g=st.integers(0, 80),
       extra=st.integers(1, 40))
def test_more_regressions_never_improve_the_verdict(n: int, r: int, g: int, extra: int) -> None:
    if r + g + extra > n:
        return
    def status(regressions: int) -> str:
        inp = GateInput(GateSpec(metric="pass", margin=0.02),
                        binary("pass", *pairs(n, regressions, g)), np.ones(n, bool),
                        np.array([""] * n, dtype=object), np.arange(n).astype(str), 0.05, 30)
        return evaluate_gate(inp).status
    assert RANK[status(r + extra)] <= RANK[status(r)]


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(-0.2, 0.2), n=st.integers(50, 400))
def test_continuous_verdict_is_monotone_in_the_shift(shift: float, n: int) -> None:
    rng = np.random.default_rng(n)
    base = rng.uniform(0.5, 0.9, n)
    noise = rng.normal(0, 0.05, n)

    def status(delta: float) -> str:
        inp = GateInput(GateSpec(metric="sim", margin=0.03),
                        continuous(base, base + delta + noise), np.ones(n, bool),
                        np.array([""] * n, dtype=object), np.arange(n).astype(str), 0.05, 30)
        return evaluate_gate(inp).status

    assert RANK[status(shift - 0.05)] <= RANK[status(shift)]


def test_a_lower_is_better_gate_on_too_few_records_shows_its_rates() -> None:
    """The untested numbers of a small gate are on the metric's own scale too: an error
    rate of 25% reads 25%, not 75%."""
    segments = ["big"] * 100 + ["small"] * 8
    cand = [0.0] * 100 + [1.0] * 2 + [0.0] * 6
    scores = {"error_rate": binary("error_rate", [0.0] * 108, cand, higher=False)}
    suite = Suite(gates=[GateSpec(metric="error_rate", margin=0.05, segment="small")])
    gate = decide(data_for(108, segments), scores, suite, run_id="t").gates[0]
    assert gate.insufficient_data
    assert (gate.baseline, gate.candidate) == (0.0, 0.25)
    assert "candidate 25.0% vs baseline 0.0%, difference +25.0 pts, untested" in gate.reason


def test_a_max_rate_gate_needs_events_not_scores() -> None:
    """A max_rate gate counts 0/1 events; on a continuous metric its count was the floor of a
    sum of scores (0.4 + 0.4 + 0.4 → 1 event): a wrong rate. Now a config error."""
    from swapkit.errors import ConfigError

    scores = continuous(np.full(100, 0.4), np.full(100, 0.4))
    suite = Suite(gates=[GateSpec(metric="sim", kind="max_rate", max=0.02)])
    with pytest.raises(ConfigError, match="max_rate counts events"):
        decide(data_for(100), {"sim": scores}, suite, run_id="t")
