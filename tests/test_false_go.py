"""No false GO: every wrong GO the audit found, end to end and on crafted scores, and the
class each belongs to (failures, rare large regressions, odd scores, missing answers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from swapkit.config import GateSpec, Suite
from swapkit.decision.decide import decide
from swapkit.decision.gates import GateInput, evaluate_gate
from swapkit.scoring.metrics import MetricScores
from swapkit.sim import start_simulator

from .conftest import run_cli
from .metrichelp import record, run
from .simhelp import profile, write_config

IDS = np.array([f"r{i}" for i in range(5000)], dtype=object)


def _line(i: int, text: str, reference: str, *, truncated: bool = False) -> dict[str, Any]:
    finish = "length" if truncated else "stop"
    return {"id": f"q{i}", "segment": "math", "reference": reference,
            "request": {"messages": [{"role": "user", "content": f"Solve problem {i}."}]},
            "response": {"choices": [{"message": {"content": text}, "finish_reason": finish}],
                         "usage": {"prompt_tokens": 20, "completion_tokens": 30}}}


def _recorded_run(tmp_path: Path, base: list[dict[str, Any]], cand: list[dict[str, Any]],
                  suite: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    log, shadow = tmp_path / "log.jsonl", tmp_path / "cand.jsonl"
    log.write_text("".join(json.dumps(x) + "\n" for x in base), encoding="utf-8")
    shadow.write_text("".join(json.dumps(x) + "\n" for x in cand), encoding="utf-8")
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "audit", "log": {"path": "log.jsonl"}, "baseline": {"recorded": True},
        "candidate": {"recorded": "cand.jsonl"}, "noise": {"enabled": False}, "suite": suite,
    }), encoding="utf-8")
    result = run_cli(["run", str(config), "-q"])
    report = json.loads((tmp_path / "swapkit-report" / "report.json").read_text("utf-8"))
    return result.exit_code, report["decision"]


def test_a_candidate_truncating_exactly_its_wrong_answers_is_a_no_go(tmp_path: Path) -> None:
    """The audit's case: accuracy 80.0% vs 92.4%, but the continuous metric read 1.000 vs
    0.970 because the truncated answers vanished from it, and the run said GO."""
    n = 1000
    references = [f"the answer to problem {i} is {i * 7 + 3} apples" for i in range(n)]
    base_right = np.arange(n) % 1000 < 924  # 92.4% right
    cand_right = np.arange(n) < 800  # 80.0% right: every other answer is cut off
    base = [_line(i, references[i] if base_right[i] else f"it is {i} pears", references[i])
            for i in range(n)]
    cand = [_line(i, references[i], references[i]) if cand_right[i]
            else _line(i, "the answer to problem", references[i], truncated=True)
            for i in range(n)]
    code, decision = _recorded_run(tmp_path, base, cand, {
        "metrics": ["rouge_l"], "gates": [{"metric": "rouge_l", "margin": 0.03}]})
    gate = decision["gates"][0]
    assert code == 1 and decision["verdict"] == "NO-GO"
    assert gate["status"] == "NO-GO" and gate["n"] == n
    assert gate["failed_candidate"] == 200 and gate["failed_baseline"] == 0
    assert gate["candidate"] == pytest.approx(0.8)  # the truncated answers score 0
    assert "answer failures scored worst: candidate 200" in gate["reason"]


def test_a_handful_of_catastrophic_answers_is_not_a_go_at_50(tmp_path: Path) -> None:
    n = 50
    references = [f"the answer to problem {i} is {i} apples" for i in range(n)]
    base = [_line(i, references[i], references[i]) for i in range(n)]
    cand = [_line(i, f"no idea about problem {i}" if i in (7, 19, 33) else references[i],
                  references[i]) for i in range(n)]
    code, decision = _recorded_run(tmp_path, base, cand, {
        "metrics": ["rouge_l"], "gates": [{"metric": "rouge_l", "margin": 0.03}]})
    gate = decision["gates"][0]
    assert code == 4 and gate["status"] == "INCONCLUSIVE"
    assert gate["method"].startswith("exact bound: 3 of 50 records lower")


def continuous(base: list[float] | np.ndarray, cand: list[float] | np.ndarray,
               kind: str = "continuous") -> MetricScores:
    b, c = np.asarray(base, float), np.asarray(cand, float)
    return MetricScores("score", kind, True, b, c, np.zeros(b.size, bool),  # type: ignore[arg-type]
                        np.zeros(b.size, bool), {}, [None] * b.size)


def gate(scores: MetricScores, margin: float = 0.03, **spec: Any) -> Any:
    n = scores.base.size
    inp = GateInput(GateSpec(metric="score", margin=margin, **spec), scores, np.ones(n, bool),
                    np.array([""] * n, dtype=object), IDS[:n], 0.05, 30)
    return evaluate_gate(inp)


@pytest.mark.parametrize("n", [30, 50, 80, 95])
def test_no_difference_at_all_cannot_certify_a_small_sample(n: int) -> None:
    """A rare regression that missed the sample leaves every difference at 0: the bootstrap
    would certify [0, 0]. The exact bound needs about 100 records for a 0.03 margin."""
    scores = np.linspace(0.2, 0.9, n)
    result = gate(continuous(scores, scores))
    assert result.status == "INCONCLUSIVE" and result.low < -0.03
    assert gate(continuous(np.linspace(0.2, 0.9, 120), np.linspace(0.2, 0.9, 120))
                ).status == "GO"


def test_equal_differences_are_never_certified_by_a_zero_width_bootstrap() -> None:
    base = np.linspace(0.3, 0.8, 200)
    result = gate(continuous(base, base - 0.01))  # every record exactly 0.01 lower
    assert result.status != "GO" and result.high > result.low


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_non_finite_score_counts_against_its_side(bad: float) -> None:
    base = np.full(300, 0.8)
    cand = np.full(300, 0.8)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, 300)
    cand = cand + noise
    cand[:10] = bad  # 3.3% of the records: the metric failed on them
    result = gate(continuous(base, cand))
    assert result.metric_failures == 10
    assert result.status == "INCONCLUSIVE"
    assert any("the metric failed on 10 records" in a for a in result.annotations)
    cand[:10] = 0.8
    cand[0] = bad  # a single one (0.3%): scored worst for the candidate, not dropped
    one = gate(continuous(base, cand))
    assert one.metric_failures == 1 and one.n == 300
    assert one.candidate == pytest.approx(np.mean(np.r_[0.0, cand[1:]]))


def test_zero_one_output_of_a_continuous_metric_takes_the_binary_path() -> None:
    base = np.r_[np.ones(280), np.zeros(20)]
    cand = np.r_[np.ones(270), np.zeros(30)]
    result = gate(continuous(base, cand))
    assert "Tango" in result.method and result.percent


def test_missing_candidate_answers_bound_the_verdict() -> None:
    n = 400
    base = np.ones(n)
    cand = np.ones(n)
    scores = continuous(base, cand, kind="binary")
    missing = np.zeros(n, bool)
    missing[:40] = True  # 10% never reached the endpoint
    scores.cand[missing] = np.nan
    scores.missing_cand = missing
    result = gate(scores)
    assert result.status == "INCONCLUSIVE" and result.missing == 40
    assert "40 records missing: rerun to complete" in result.reason or any(
        "40 records missing" in a for a in result.annotations)
    scores.cand[:] = 0.0  # every answered record failed: NO-GO even if the missing passed
    scores.cand[missing] = np.nan
    assert gate(scores).status == "NO-GO"


def test_with_one_segment_the_run_is_not_tested_again_as_a_segment() -> None:
    n = 200
    base = np.r_[np.ones(150), np.zeros(50)]
    records = [record(i, segment="only") for i in range(n)]
    decision = decide(run(records, [None] * n, [None] * n),
                      {"score": continuous(base, base, kind="binary")},
                      Suite(gates=[GateSpec(metric="score", margin=0.03)]), run_id="t")
    assert decision.segments == []


def test_a_deterministic_baseline_floors_the_noise_ratio() -> None:
    n = 300
    rng = np.random.default_rng(1)
    base = np.ones(n)  # sim(B2, B1) = 1: the baseline never differs from itself
    cand = 1 - rng.uniform(0, 0.01, n)
    scores = continuous(base, cand, kind="agreement")
    result = gate(scores, margin=None, kind="noise_ratio")  # type: ignore[arg-type]
    assert result.estimate < 1.5 and result.status == "GO"  # not 26,215,180x
    assert any("identically to itself" in a for a in result.annotations)
    scores.cand[:] = 1 - rng.uniform(0.05, 0.15, n)
    assert gate(scores, margin=None, kind="noise_ratio").status == "NO-GO"  # type: ignore[arg-type]


def test_records_needed_follow_the_observed_difference() -> None:
    """From the observed difference and spread: the closer to the margin, the more records;
    on the margin itself, no number at all."""
    rng = np.random.default_rng(2)
    base = rng.uniform(0.3, 0.7, 300)
    noise = rng.uniform(-0.17, 0.17, 300)
    noise -= noise.mean()
    results = {shift: gate(continuous(base, base + shift + noise))
               for shift in (-0.022, -0.025, -0.028, -0.0299)}
    assert all(r.status == "INCONCLUSIVE" for r in results.values())
    needed = [results[s].n_needed for s in (-0.022, -0.025, -0.028)]
    assert needed[0] < needed[1] < needed[2]  # type: ignore[operator]
    assert needed[1] == pytest.approx(6.18 * np.var(noise, ddof=1) / 0.005**2, rel=0.02)
    on_margin = results[-0.0299]
    assert on_margin.n_needed is None
    assert any("cannot be settled at this margin" in a for a in on_margin.annotations)


def test_a_recorded_baseline_says_why_the_noise_gate_does_not_apply() -> None:
    n = 100
    scores = continuous(np.full(n, np.nan), np.full(n, 0.9), kind="agreement")
    scores.applies = np.zeros(n, bool)
    result = gate(scores, margin=None, kind="noise_ratio")  # type: ignore[arg-type]
    assert result.status == "NOT_APPLICABLE"
    assert any("second baseline sample" in a for a in result.annotations)


def test_an_unreachable_candidate_is_inconclusive_until_the_resume_completes(
        tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    labels = ("refund", "booking", "complaint")
    log.write_text("".join(json.dumps({
        "id": f"q{i}", "segment": "route", "reference": labels[i % 3],
        "request": {"messages": [{"role": "user", "content": f"Route ticket {i}"}]}}) + "\n"
        for i in range(300)), encoding="utf-8")
    suite = {"metrics": ["exact_match"], "gates": [
        {"metric": "exact_match", "margin": 0.05}, {"metric": "failure_rate", "margin": 0.02}]}
    flaky = profile("cand-sim", faults={"reset": 0.3})
    with start_simulator([profile("base-sim"), flaky], [log]) as sim:
        port = sim.port
        config = write_config(tmp_path, sim.base_url, log=log, suite=suite,
                              noise={"enabled": False}, candidate={"max_retries": 0},
                              replay={"max_consecutive_failures": 1000})
        first = run_cli(["run", str(config), "-q", "--inconclusive", "pass"])
    assert first.exit_code == 4, first.output  # never passes while answers are missing
    assert "records missing: rerun to complete" in first.output
    assert "never passes" in first.output
    report = json.loads((tmp_path / "swapkit-report" / "report.json").read_text("utf-8"))
    missing = report["decision"]["missing"]
    assert 30 < missing < 150
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log], port=port) as sim:
        second = run_cli(["run", str(config), "-q"])
        requests = sim.stats()["models"]
    assert second.exit_code == 0, second.output
    assert requests["cand-sim"]["requests"] == missing  # only what was missing
    assert "base-sim" not in requests or requests["base-sim"]["requests"] == 0


def test_each_leg_of_an_equivalence_counts_missing_answers_against_itself() -> None:
    """A candidate 9.5 points better than the baseline is outside ±5: never a GO, whichever
    answers are missing (filling them one way for both legs once gave GO)."""
    rng = np.random.default_rng(0)
    n = 3000
    base = (rng.random(n) < 0.8).astype(float)
    cand = base.copy()
    cand[(base == 0) & (rng.random(n) < 0.45)] = 1
    scores = continuous(base, cand.copy(), kind="binary")
    missing = rng.random(n) < 0.1
    scores.cand[missing] = np.nan
    scores.missing_cand = missing
    result = gate(scores, margin=0.05, kind="equivalence")
    assert result.status != "GO"
    assert gate(continuous(base, cand, kind="binary"), margin=0.05,
                kind="equivalence").status == "NO-GO"


def test_clustered_records_never_certify_from_a_degenerate_bootstrap() -> None:
    for base, cand in ((np.ones(30), np.ones(30)),
                       (np.linspace(0.3, 0.8, 200), np.linspace(0.3, 0.8, 200) - 0.01)):
        n = base.size
        scores = continuous(base, cand)
        inp = GateInput(GateSpec(metric="score", margin=0.03), scores, np.ones(n, bool),
                        np.array([f"c{i // 2}" for i in range(n)], dtype=object), IDS[:n],
                        0.05, 30)
        result = evaluate_gate(inp)
        assert result.status == "INCONCLUSIVE" and result.low < result.high
        assert "conversations" in result.method


def test_one_divergent_record_against_a_deterministic_baseline_is_not_a_go() -> None:
    for divergent in (0, 1, 2, 5):
        cand = np.ones(200)
        cand[:divergent] = 0.0
        result = gate(continuous(np.ones(200), cand, kind="agreement"), margin=None,  # type: ignore[arg-type]
                      kind="noise_ratio", max=1.5)
        assert result.status != "GO" or divergent == 0, divergent


def test_odd_inputs_give_a_verdict_not_a_crash_or_a_nan() -> None:
    flat = continuous(np.full(200, 5.0), np.full(200, 5.0))
    flat.bounds = None  # an open scale with no difference at all
    assert gate(flat).status == "INCONCLUSIVE"
    rng = np.random.default_rng(3)
    base = rng.uniform(0.3, 0.4, 300)
    skewed = continuous(base, base - 0.25 + rng.exponential(0.05, 300))
    skewed.bounds = None
    result = gate(skewed)
    assert result.status == "NO-GO"
    assert np.isfinite(result.p_noninferior) and np.isfinite(result.p_inferior)
