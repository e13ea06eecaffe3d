"""The judge's own noise beyond position consistency: its agreement with itself on a
re-judged subset (drawn, asked and resumed like any replay work; refused below the
threshold) and its length bias."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from swapkit.config import load_config
from swapkit.decision.decide import decide_run
from swapkit.replay.judge import REJUDGE_SAMPLE, judge_calls, load_template, rejudge_subset
from swapkit.replay.targets import target_identity
from swapkit.scoring.metrics.judge_noise import OUTCOMES, length_bias, self_agreement
from swapkit.scoring.score import score_run
from swapkit.store import RunStore

from .metrichelp import answer
from .simhelp import write_config, write_log
from .test_judge import (
    JUDGE_SUITE,
    N,
    differing_pairs,
    judge_completions,
    judge_config,
    judged,
    replay,
    serve,
    verdict,
)

WIN, LOSS, TIE = ((verdict("B"), verdict("A")), (verdict("A"), verdict("B")),
                  (verdict("tie"), verdict("tie")))

# -- the statistics -------------------------------------------------------------------------


def test_kappa_is_agreement_beyond_chance_with_its_interval() -> None:
    first = ["win"] * 4 + ["tie"] * 4 + ["loss"] * 2
    second = ["win"] * 3 + ["tie"] + ["tie"] * 3 + ["win"] + ["loss"] * 2
    agreement = self_agreement(first, second)
    # p_o = 8/10; margins (0.4, 0.4, 0.2) and (0.4, 0.4, 0.2): p_e = 0.36.
    assert agreement.same == 8 and agreement.share == pytest.approx(0.8)
    assert agreement.kappa == pytest.approx((0.8 - 0.36) / (1 - 0.36))
    assert agreement.low is not None and agreement.high is not None
    assert agreement.low < agreement.kappa < agreement.high
    perfect = self_agreement(first, first)
    assert (perfect.kappa, perfect.low, perfect.high) == pytest.approx((1.0, 1.0, 1.0))
    # Every outcome a tie in both judgings: agreement 100%, kappa undefined.
    ties = self_agreement(["tie"] * 5, ["tie"] * 5)
    assert ties.kappa is None and ties.share == 1 and "kappa undefined" in ties.line()


def test_the_kappa_interval_has_the_bootstrap_spread() -> None:
    """The large-sample variance (Fleiss, Cohen & Everitt) against resampling the pairs."""
    rng = np.random.default_rng(3)
    n = 60
    truth = rng.choice(3, size=n, p=[0.3, 0.5, 0.2])

    def judging() -> np.ndarray:
        return np.where(rng.random(n) < 0.25, rng.choice(3, size=n), truth)

    a, b = judging(), judging()
    agreement = self_agreement([OUTCOMES[x] for x in a], [OUTCOMES[x] for x in b])
    assert agreement.kappa is not None and agreement.high is not None
    kappas = []
    for _ in range(600):
        i = rng.integers(0, n, n)
        again = self_agreement([OUTCOMES[x] for x in a[i]], [OUTCOMES[x] for x in b[i]])
        if again.kappa is not None:
            kappas.append(again.kappa)
    formula_se = (agreement.high - agreement.kappa) / 1.96
    assert formula_se == pytest.approx(float(np.std(kappas)), rel=0.2)


def test_length_bias_counts_the_longer_answers_wins() -> None:
    # Three decided pairs where the candidate is longer (it wins two), one where it is
    # shorter (it loses), one about as long (a win, not a length comparison).
    bias = length_bias(["win", "win", "loss", "loss", "win", "tie"],
                       [10, 10, 10, 100, 100, 10], [100, 100, 100, 10, 105, 100])
    assert (bias.decided, bias.longer_won) == (4, 3)
    assert bias.net == {"longer": (1, 4), "shorter": (-1, 1), "as long": (1, 1)}
    text = " | ".join(bias.lines())
    assert "the longer answer won 75% of 4 decided pairs" in text
    assert "longer +25 pts (n = 4), shorter -100 pts (n = 1)" in text
    assert length_bias([], [], []).lines() == []


# -- the metric on crafted runs ------------------------------------------------------------


def test_the_metric_reports_self_agreement_and_refuses_below_min_self_kappa() -> None:
    replies = [WIN] * 10 + [LOSS] * 10 + [TIE] * 10
    same = {i: replies[i] for i in range(0, 30, 3)}
    scores = judged(replies, second=same)
    assert scores.refuse is None
    line = next(n for n in scores.notes if n.startswith("judge self-agreement"))
    assert "100% (10 of 10 re-judged pairs" in line and "kappa 1.00" in line
    assert line in scores.gate_notes
    # The second judging reverses every decided pair: kappa far below 0.6.
    flipped = {i: {WIN: LOSS, LOSS: WIN, TIE: TIE}[replies[i]] for i in range(0, 30, 3)}
    refused = judged(replies, second=flipped)
    assert refused.refuse is not None and "Cohen's kappa of" in refused.refuse
    assert "asked the same question again" in refused.refuse
    assert refused.gate_notes == []  # refused: the gates show the reason instead
    assert judged(replies, second=flipped, min_self_kappa=-1).refuse is None
    # Not asked again (judge.rejudge: 0): nothing measured, nothing refused.
    assert judged(replies).refuse is None
    assert not any("self-agreement" in n for n in judged(replies).notes)


def test_a_re_judged_subset_without_second_verdicts_refuses() -> None:
    replies = [WIN] * 5 + [LOSS] * 5
    scores = judged(replies, second={0: None, 1: None, 2: (answer("x", status="error"),
                                                           answer(verdict("A")))})
    assert scores.refuse is not None and "was not measured" in scores.refuse
    partial = judged(replies, second={0: None, 1: WIN, 7: LOSS})
    assert partial.refuse is None
    assert any("1 of the 3 re-judged pairs lack a verdict" in n for n in partial.notes)


def test_the_metric_reads_length_bias_from_the_answers_the_judge_saw() -> None:
    n = 40
    base = [answer("Paris.")] * n
    cand = [answer("Paris is the capital and largest city of France.")] * (n // 2) + [
        answer("Paris!")] * (n // 2)
    replies = [WIN] * (n // 2) + [TIE] * (n // 4) + [LOSS] * (n // 4)
    scores = judged(replies, base, cand)
    notes = " | ".join(scores.notes)
    assert "the longer answer won 100% of 20 decided pairs" in notes
    assert "longer +100 pts (n = 20), as long -50 pts (n = 20)" in notes
    assert any("judge length bias" in n for n in scores.gate_notes)


# -- whole runs against the simulator -------------------------------------------------------


def stored_second_keys(run_dir: Path) -> tuple[set[str], set[str]]:
    """(the sample-1 judge keys stored, the keys of the subset drawn from the judged
    records as the replay draws it)."""
    with RunStore(run_dir, lock=False) as store:
        config = load_config(run_dir.parent / "swap.yaml")
        assert config.judge is not None
        targets = store.targets()
        stored = {c.key for c in store.completions(targets["judge"].target)
                  if c.sample == REJUDGE_SAMPLE}
        base = store.completion_sequence(targets["baseline"].target, 0)
        cand = store.completion_sequence(targets["candidate"].target, 0)
        identity, template = target_identity(config.judge), load_template(None)
        rows = [(r, b, c) for r, b, c in zip(store.record_sequence(), base, cand, strict=True)
                if judge_calls(r, b, c, template, identity, config.judge.structured)]
        chosen = rejudge_subset([r for r, _, _ in rows], config.judge.rejudge,
                                config.log.sample.seed)
        expected = {call.key for r, b, c in rows if r.request_hash in chosen
                    for call in judge_calls(r, b, c, template, identity,
                                            config.judge.structured, REJUDGE_SAMPLE)}
    return stored, expected


def test_a_seeded_subset_is_judged_once_more_and_a_rerun_asks_nothing(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", N)
    with serve(log) as sim:
        config = judge_config(tmp_path, sim, log, judge_overrides={"rejudge": 10})
        summary = replay(config)
        assert summary.complete
        different = differing_pairs(tmp_path)
        assert sim.stats()["models"]["judge-sim"]["requests"] == 2 * different + 2 * 10
        stored, expected = stored_second_keys(tmp_path / "run")
        assert len(stored) == 20 and stored == expected
        before = sim.stats()["models"]
        assert all(t.done == 0 for t in replay(config).targets)
        assert sim.stats()["models"] == before
    scores = score_run(tmp_path / "run").metrics["judge_pairwise"]
    # A judge without noise (temperature 0) gives the same verdicts when asked again.
    assert scores.refuse is None
    assert any("judge self-agreement 100% (10 of 10" in n for n in scores.notes)


def test_raising_rejudge_later_asks_only_the_second_judgings_and_resumes(
        tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", N)
    with serve(log) as sim:
        replay(judge_config(tmp_path, sim, log, judge_overrides={"rejudge": 0}))
        different = differing_pairs(tmp_path)
        assert sim.stats()["models"]["judge-sim"]["requests"] == 2 * different
        assert not any("self-agreement" in n for n in
                       score_run(tmp_path / "run").metrics["judge_pairwise"].notes)
        # rejudge is not part of the judge's identity: its first verdicts stay valid.
        config = judge_config(tmp_path, sim, log, judge_overrides={"rejudge": 10})
        first = replay(config, max_requests=6)
        assert first.stopped and "request cap" in first.stopped
        asked = sim.stats()["models"]["judge-sim"]["requests"] - 2 * different
        assert 0 < asked < 20
        assert replay(config).complete
        total = sim.stats()["models"]["judge-sim"]["requests"]
        stored, expected = stored_second_keys(tmp_path / "run")
    assert stored == expected and len(stored) == 20
    assert total == len(judge_completions(tmp_path)) == 2 * different + 20


def test_a_noisy_judge_is_refused_on_its_agreement_with_itself(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", N)
    # Position consistency is not the check here: only self-agreement may refuse.
    suite: dict[str, Any] = {**JUDGE_SUITE,
                             "metrics": [{"judge_pairwise": {"min_consistency": 0}}]}
    with serve(log, judge={"noise": 0.9}) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, suite=suite, judge={
            "model": "judge-sim", "base_url": sim.base_url, "stream": False})
        replay(config)
    scores = score_run(tmp_path / "run").metrics["judge_pairwise"]
    assert scores.refuse is not None and "asked the same question again" in scores.refuse
    decision = decide_run(tmp_path / "run")
    gate = decision.gates[0]
    assert gate.status == "INCONCLUSIVE" and gate.refused == scores.refuse
