"""Planned human review: the plan and labels in the run store, the plan's draw, the
design-based estimator of the human_review gate, and the command line."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from swapkit.errors import RuntimeFailure, UsageError
from swapkit.ingest.labels import HumanLabel
from swapkit.store import RunStore
from swapkit.store.reviews import LabelWriter, PlannedRecord, load_plan, read_labels_in, save_plan

from .viewhelp import large_run


def test_labels_are_written_beside_a_writer_holding_the_run(tmp_path: Path) -> None:
    """A reviewer's labels go in while another process holds the run directory (a replay):
    the label writer takes no lock and waits out the other's transactions."""
    with RunStore(tmp_path) as store:
        save_plan(store, {"seed": 0}, [PlannedRecord("r1", 0, 0, "s", 0.5, "BA")])
        with LabelWriter(tmp_path) as writer:  # the store is open for writing meanwhile
            store.db.execute("BEGIN IMMEDIATE")
            done = threading.Event()

            def label() -> None:
                writer.add([HumanLabel(record_id="r1", reviewer="ana", label="A", order="BA")])
                done.set()

            thread = threading.Thread(target=label)
            thread.start()
            assert not done.wait(0.3)  # it waits for the other writer...
            store.db.execute("COMMIT")
            thread.join(5)
            assert done.is_set()  # ...and lands after it
        labels = read_labels_in(store.db)
    assert [(x.record_id, x.reviewer, x.preferred, x.inclusion_probability) for x in labels] \
        == [("r1", "ana", "candidate", 0.5)]
    assert labels[0].time is not None and labels[0].time <= datetime.now(UTC)


def test_a_store_that_predates_reviews_refuses_labels(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        assert load_plan(store.db) == []
        store.db.execute("DROP TABLE review_plan")  # as a store from before reviews
    with pytest.raises(UsageError, match="no review yet"):
        LabelWriter(tmp_path)
    with pytest.raises(RuntimeFailure, match="no run store"):
        LabelWriter(tmp_path / "nowhere")


# -- the estimator -------------------------------------------------------------------


def test_stratified_mean_known_answer() -> None:
    """Three strata worked by hand (Cochran 1977, §5.3): one sampled, one without spread
    (the pseudo-pair of the range's ends gives it some), one drawn whole (no variance);
    Satterthwaite's degrees of freedom over the two sampled strata."""
    from scipy import stats

    from swapkit.decision.stats.design import stratified_mean

    values = np.array([1, 0, -1, 1, 1, 1, -1, -1, 0], dtype=float)
    strata = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    est = stratified_mean(values, strata, {0: 100, 1: 20, 2: 3}, (-1, 1))
    assert est.mean == pytest.approx(43 / 123)
    # stratum 0 with the pair: 1, 0, -1, 1, -1, 1 -> variance 29/30; stratum 1: 1, 1, -1, 1 -> 1
    t0 = (100 / 123) ** 2 * (1 - 4 / 100) * (29 / 30) / 4
    t1 = (20 / 123) ** 2 * (1 - 2 / 20) * 1.0 / 2
    assert est.se == pytest.approx(np.sqrt(t0 + t1))
    assert est.df == pytest.approx((t0 + t1) ** 2 / (t0 ** 2 / 3 + t1 ** 2 / 1))
    assert est.df == pytest.approx(3.4218, abs=1e-3)
    assert (est.n, est.population) == (9, 123)
    low, high = est.bounds(0.05)
    assert low == pytest.approx(43 / 123 - stats.t.ppf(0.95, est.df) * np.sqrt(t0 + t1))
    assert high - est.mean == pytest.approx(est.mean - low)
    census = stratified_mean(np.array([1.0, -1.0]), np.array([0, 0]), {0: 2}, (-1, 1))
    # a census knows the mean exactly (0): above -0.1 for certain, never above 0.5
    assert census.se == 0 and census.p_above(-0.1) == 0.0 and census.p_above(0.5) == 1.0


@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30)), min_size=1, max_size=5),
       st.integers(0, 2**32 - 1))
def test_stratified_mean_is_the_weighted_horvitz_thompson_mean(
        strata: list[tuple[int, int]], seed: int) -> None:
    from swapkit.decision.stats.design import stratified_mean

    rng = np.random.default_rng(seed)
    values, codes, weights, sizes = [], [], [], {}
    for h, (a, b) in enumerate(strata):
        size, n = max(a, b), min(a, b)
        sizes[h] = size
        drawn = rng.integers(-1, 2, n).astype(float)
        values.extend(drawn)
        codes.extend([h] * n)
        weights.extend([size / n] * n)
    est = stratified_mean(np.array(values), np.array(codes), sizes, (-1, 1))
    assert est.mean == pytest.approx(float(np.dot(weights, values)) / sum(sizes.values()))
    assert est.se >= 0


def test_the_design_interval_covers_the_run_mean() -> None:
    """Seeded simulation: finite populations of -1/0/+1 outcomes in unequal strata,
    oversampled where outcomes are worse; the one-sided 95% bounds miss the true mean
    about 5% of the time each (checked with 1,500 draws, allowing for their noise)."""
    from swapkit.decision.stats.design import stratified_mean

    rng = np.random.default_rng(11)
    misses = [0, 0]
    reps = 1500
    for _ in range(reps):
        sizes = {0: 600, 1: 250, 2: 150}
        population = {0: rng.choice([-1, 0, 1], 600, p=[0.1, 0.6, 0.3]),
                      1: rng.choice([-1, 0, 1], 250, p=[0.3, 0.5, 0.2]),
                      2: rng.choice([-1, 0, 1], 150, p=[0.5, 0.3, 0.2])}
        truth = sum(v.sum() for v in population.values()) / 1000
        planned = {0: 60, 1: 50, 2: 60}
        values, codes = [], []
        for h, n in planned.items():
            values.extend(rng.choice(population[h], n, replace=False))
            codes.extend([h] * n)
        low, high = stratified_mean(np.array(values, dtype=float), np.array(codes), sizes,
                                    (-1, 1)).bounds(0.05)
        misses[0] += truth < low
        misses[1] += truth > high
    for miss in misses:  # at most 5% (+ 3 standard errors), and not far below it
        assert 0.02 < miss / reps < 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


def test_small_plans_do_not_certify_a_regression() -> None:
    """The false GO rate at α = 0.05 of a 40-label plan (the allocation `review plan --size
    40` gives) on a run worse than the 0.1 margin: nine segments, each with 10 flagged
    records (3 where people prefer the baseline) and 57 others (5 such), ties elsewhere:
    mean outcome −72/603. Most strata get two draws; two ties used to give a stratum zero
    variance and the run a zero-width interval (a false GO 13% of the time; seeded, 1,500
    draws)."""
    from swapkit.decision.stats.design import stratified_mean
    from swapkit.ingest.sampling import allocate

    strata = {f"s{k} · {kind}": (size, losses) for k in range(9)
              for kind, size, losses in (("flagged", 10, 3), ("other", 57, 5))}
    sizes = {h: size for h, (size, _) in strata.items()}
    weights = {h: 3.0 if "flagged" in h else 1.0 for h in strata}
    alloc = allocate(sizes, 40, minimum=2, weights=weights)
    population = {h: np.array([-1.0] * losses + [0.0] * (size - losses))
                  for h, (size, losses) in strata.items()}
    codes_of = {h: k for k, h in enumerate(strata)}
    rng = np.random.default_rng(5)
    reps, false_go = 1500, 0
    for _ in range(reps):
        values, codes = [], []
        for h, n in alloc.items():
            values.extend(rng.choice(population[h], n, replace=False))
            codes.extend([codes_of[h]] * n)
        est = stratified_mean(np.array(values), np.array(codes),
                              {codes_of[h]: sizes[h] for h in strata}, (-1, 1))
        false_go += est.p_above(-0.1) <= 0.05
    assert false_go / reps <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)


# -- the plan and the gate, on a run -------------------------------------------------

SUITE = {"metrics": ["exact_match"],
         "gates": [{"metric": "exact_match", "margin": 0.2},
                   {"metric": "human_review", "margin": 0.1}]}


@pytest.fixture(scope="module")
def reviewed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-record run scored with a human_review gate (nine segments, every seventh
    candidate answer wrong: those are the flagged records)."""
    from swapkit.config import Suite
    from swapkit.scoring.score import score_run

    run_dir = large_run(tmp_path_factory.mktemp("reviewed"), 600)
    score_run(run_dir, Suite.model_validate(SUITE))
    return run_dir


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    return copy


def _label_all(run_dir: Path, preferred: dict[str, str], reviewer: str = "ana") -> None:
    """Label every planned record as a reviewer would in the viewer: by letter, in the
    order shown (``preferred``: record id -> candidate | baseline | tie | both_bad)."""
    with RunStore(run_dir, read_only=True) as store:
        planned = load_plan(store.db)
    labels = []
    for p in planned:
        want = preferred.get(p.record_id, "tie")
        if want in ("tie", "both_bad"):
            labels.append(HumanLabel(record_id=p.record_id, reviewer=reviewer, label=want))
            continue
        letter = "A" if (want == "baseline") == (p.shown == "AB") else "B"
        labels.append(HumanLabel(record_id=p.record_id, reviewer=reviewer, label=letter,
                                 order=p.shown))
    with LabelWriter(run_dir) as writer:
        writer.add(labels)


def _gate(run_dir: Path) -> Any:
    from swapkit.decision.decide import decide_run

    decision = decide_run(run_dir)
    return next(g for g in decision.gates if g.metric == "human_review")


def test_the_plan_is_stratified_oversamples_flagged_records_and_is_seeded(
        reviewed_run: Path, tmp_path: Path) -> None:
    from swapkit.decision.review_plan import plan_review

    run_dir = _copy(reviewed_run, tmp_path)
    plan = plan_review(run_dir, seed=3)
    with RunStore(run_dir, read_only=True) as store:
        planned = load_plan(store.db)
        segments = dict(store.db.execute("SELECT id, coalesce(segment, '(none)') FROM records"))
    assert len(planned) == plan.size == sum(v["planned"] for v in plan.strata.values())
    assert plan.size < plan.population == 600
    for p in planned:  # a record's stratum is its segment and flag; π is n_h / N_h
        counts = plan.strata[p.stratum]
        assert p.stratum.startswith(segments[p.record_id] + " · ")
        assert p.inclusion_probability == pytest.approx(counts["planned"] / counts["population"])
    flagged = [p.inclusion_probability for p in planned if p.stratum.endswith("flagged")]
    other = [p.inclusion_probability for p in planned if p.stratum.endswith("other")]
    assert flagged and other and min(flagged) > max(other)  # disputed records come first
    assert all(v["planned"] >= min(2, v["population"]) for v in plan.strata.values())
    assert {p.shown for p in planned} == {"AB", "BA"}
    assert [p.rank for p in planned] == list(range(len(planned)))
    again = plan_review(run_dir, seed=3)
    with RunStore(run_dir, read_only=True) as store:
        assert load_plan(store.db) == planned and again.replaced
        assert store.get_meta("review_plan")["drawn"] == [3, 3]  # the decision will say so
    plan_review(run_dir, seed=4)
    with RunStore(run_dir, read_only=True) as store:
        assert {p.record_id for p in load_plan(store.db)} != {p.record_id for p in planned}


def test_the_planned_size_certifies_the_margin() -> None:
    """n₀ = ((z₀.₉₅ + z₀.₈) σ / δ)² with σ² = 0.5: 310 at δ = 0.1, times the design effect
    of unequal weights (1 when all strata are drawn alike)."""
    from swapkit.decision.review_plan import planned_size

    size, alloc = planned_size({"a": 5000, "b": 5000}, {"a": 1.0, "b": 1.0}, 0.1, 0.05)
    assert size == 310 and alloc == {"a": 155, "b": 155}
    weighted, _ = planned_size({"a": 9000, "b": 1000}, {"a": 1.0, "b": 3.0}, 0.1, 0.05)
    assert weighted > size  # oversampling costs a design effect, paid in records
    assert planned_size({"a": 40, "b": 10}, {"a": 1.0, "b": 3.0}, 0.1, 0.05)[0] == 50


def test_the_human_review_gate_waits_for_the_whole_plan_then_decides(
        reviewed_run: Path, tmp_path: Path) -> None:
    from swapkit.decision.review_plan import plan_review

    run_dir = _copy(reviewed_run, tmp_path)
    gate = _gate(run_dir)
    assert gate.status == "INCONCLUSIVE" and "swapkit review plan" in (gate.refused or "")
    plan_review(run_dir, size=120)
    with RunStore(run_dir, read_only=True) as store:
        planned = load_plan(store.db)
    # half labelled: a partial plan is no random sample
    half = {p.record_id: "candidate" for p in planned[:60]}
    with LabelWriter(run_dir) as writer:
        writer.add([HumanLabel(record_id=r, reviewer="ana", label="candidate") for r in half])
    gate = _gate(run_dir)
    assert gate.status == "INCONCLUSIVE" and "60 of 120 planned records have no label" in (
        gate.refused or "")
    # people like the candidate at least as well: GO
    _label_all(run_dir, {p.record_id: "candidate" if p.rank % 3 else "tie" for p in planned})
    gate = _gate(run_dir)
    assert gate.status == "GO", gate
    assert gate.estimate == pytest.approx(gate.candidate) and gate.estimate > 0.5
    assert "stratified design-based estimate" in (gate.method or "")
    # a second reviewer who prefers the baseline everywhere makes every record a tie
    _label_all(run_dir, {p.record_id: "baseline" for p in planned}, reviewer="bo")
    gate = _gate(run_dir)
    assert gate.estimate == pytest.approx(0.0) and gate.status == "GO"  # ties are within 0.1
    # and a third who agrees with bo turns it into a clear regression
    _label_all(run_dir, {p.record_id: "baseline" for p in planned}, reviewer="cy")
    gate = _gate(run_dir)
    assert gate.status == "NO-GO" and gate.estimate == pytest.approx(-1.0)


def test_labels_go_out_and_come_back_through_the_command_line(
        reviewed_run: Path, tmp_path: Path) -> None:
    from .conftest import assert_cli_ok, run_cli

    run_dir = _copy(reviewed_run, tmp_path)
    result = run_cli(["review", "plan", str(run_dir), "--size", "40", "--seed", "2"])
    assert_cli_ok(result)
    assert "review plan: 40 of 600 records" in result.output
    _label_all(run_dir, {}, reviewer="ana")
    status = run_cli(["review", "status", str(run_dir)])
    assert "labelled: 40 of 40 planned records (complete)" in status.output
    exported = tmp_path / "labels.jsonl"
    assert_cli_ok(run_cli(["review", "export", str(run_dir), "-o", str(exported)]))
    lines = exported.read_text().splitlines()
    assert len(lines) == 40 and all('"inclusion_probability"' in line for line in lines)
    again = run_cli(["review", "import", str(run_dir), str(exported)])
    assert "0 labels added, 40 already in the run" in again.output
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"record_id": "nope", "reviewer": "x", "label": "tie"}\n')
    refused = run_cli(["review", "import", str(run_dir), str(foreign)])
    assert refused.exit_code != 0 and "not in this run (nope)" in refused.output


def test_a_reviewer_who_labels_part_of_the_plan_cannot_choose_the_verdict(
        reviewed_run: Path, tmp_path: Path) -> None:
    """ana labels the whole plan (people prefer the baseline on a quarter): NO-GO. bo then
    labels only that quarter for the candidate: majority 1-1 would make them ties and the
    run a GO; a partial reviewer does not count."""
    from swapkit.decision.review_plan import plan_review

    run_dir = _copy(reviewed_run, tmp_path)
    plan_review(run_dir, size=120)
    with RunStore(run_dir, read_only=True) as store:
        planned = load_plan(store.db)
    worse = {p.record_id for p in planned if p.rank % 4 == 0}
    _label_all(run_dir, {r: "baseline" for r in worse})
    gate = _gate(run_dir)
    assert gate.status == "NO-GO"
    with LabelWriter(run_dir) as writer:
        writer.add([HumanLabel(record_id=r, reviewer="bo", label="candidate") for r in worse])
    gate = _gate(run_dir)
    assert gate.status == "NO-GO" and any(
        "1 who labelled part of it not counted" in note for note in gate.annotations)
    # with nobody through the whole plan, each record's first label counts
    split = _copy(reviewed_run, tmp_path / "split")
    plan_review(split, size=120)
    half = {p.record_id for p in planned if p.rank < 60}
    with LabelWriter(split) as writer:
        writer.add([HumanLabel(record_id=p.record_id, reviewer="ana" if p.record_id in half
                               else "bo", label="baseline" if p.record_id in worse else "tie")
                    for p in planned])
        writer.add([HumanLabel(record_id=r, reviewer="cy", label="candidate") for r in worse])
    gate = _gate(split)
    assert gate.status == "NO-GO" and any("first label" in n for n in gate.annotations)


def test_every_stratum_gets_draws_and_the_gate_uses_the_plans_margin(
        reviewed_run: Path, tmp_path: Path) -> None:
    """A --size below two per stratum is raised (a stratum without a draw would drop out of
    the estimate), and a human_review gate without a margin tests the one the plan was
    sized for."""
    from swapkit.decision.review_plan import plan_review

    run_dir = _copy(reviewed_run, tmp_path)
    plan = plan_review(run_dir, size=12)
    assert plan.size == 36 and all(v["planned"] == 2 for v in plan.strata.values())
    assert "--size 12 raised to 36: every stratum needs two draws (18 strata)" in plan.notes
    small = plan_review(run_dir, size=40)
    assert any("fewer than the" in note for note in small.notes)
    from swapkit.config import GateSpec
    from swapkit.decision.gates import default_margin

    human = next(s for s in [_scores(run_dir)] if s is not None)
    assert default_margin(GateSpec(metric="human_review"), human) == plan.margin == 0.1


def _scores(run_dir: Path) -> Any:
    from swapkit.scoring.score import load_scores

    with RunStore(run_dir, read_only=True) as store:
        return load_scores(store)["human_review"]


def test_a_label_stored_while_scoring_is_seen_by_the_next_decision(
        reviewed_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's state is read before its labels: a label that lands while the run is
    scored makes the next decision score again (report and gate agree)."""
    from swapkit.decision.review_plan import plan_review
    from swapkit.scoring import score as scoring

    run_dir = _copy(reviewed_run, tmp_path)
    plan_review(run_dir, size=40)
    with RunStore(run_dir, read_only=True) as store:
        planned = load_plan(store.db)
    with LabelWriter(run_dir) as writer:
        writer.add([HumanLabel(record_id=p.record_id, reviewer="ana", label="candidate")
                    for p in planned[1:]])
    real = scoring.load_review
    late = planned[0]

    def load_then_label(store: RunStore) -> Any:
        review = real(store)
        with LabelWriter(run_dir) as writer:  # a reviewer's label, mid-scoring
            writer.add([HumanLabel(record_id=late.record_id, reviewer="ana", label="candidate")])
        return review

    monkeypatch.setattr(scoring, "load_review", load_then_label)
    first = _gate(run_dir)
    assert first.status == "INCONCLUSIVE"  # scored without the late label
    monkeypatch.setattr(scoring, "load_review", real)
    assert _gate(run_dir).status == "GO"  # the next decision sees it
