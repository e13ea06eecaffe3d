"""Planning people's review of a run: which records they judge, blind, and how many.

The plan is a stratified random sample (docs/methodology.md §8.9). Strata are the run's
segments, each split into the records the metrics flag (the candidate scored below the
baseline on some metric, or failed where the baseline answered) and the others; flagged
strata are drawn ``oversample`` times as densely, so reviewers see the disputed records
without the estimate losing its footing: every record has a known, non-zero inclusion
probability n_h / N_h, and the ``human_review`` gate weights each label by its inverse.
Each stratum with two records or more gets at least two draws (its variance needs them).

The size certifies a non-inferiority margin δ at level α with 80% power when the
candidate is as good as the baseline: n₀ = ((z₁₋α + z₀.₈) σ / δ)², with σ² = 0.5 (the
paired outcome is −1, 0 or +1; half the pairs differing is the planning guess), times
Kish's design effect of the unequal weights (n Σ_h N_h² / n_h / N²), capped at the run.
Within each stratum the draw is seeded by record id, so the same run and seed give the
same plan; each record's answers are shown as A and B in a seeded random order, and the
plan is walked in a seeded order that mixes the strata (nothing on the page tells which).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scipy import stats

from swapkit.config import Suite
from swapkit.errors import UsageError
from swapkit.ingest.sampling import allocate, unit_interval
from swapkit.scoring.metrics.human_review import REVIEW_MARGIN, HumanReview
from swapkit.scoring.regression import regression_scores
from swapkit.scoring.score import load_run_data, load_scores
from swapkit.store import RunStore
from swapkit.store.reviews import PLAN_META, PlannedRecord, save_plan

__all__ = ["DEFAULT_MARGIN", "HUMAN_METRIC", "ReviewPlan", "plan_review", "planned_size",
           "smallest_plan"]

HUMAN_METRIC = HumanReview.name
DEFAULT_MARGIN = REVIEW_MARGIN  # of the paired outcome, when the gate gives none
PLANNING_SD = math.sqrt(0.5)
POWER = 0.8
OVERSAMPLE = 3.0
FLAGGED, OTHER = "flagged", "other"


@dataclass
class ReviewPlan:
    """What ``swapkit review plan`` drew."""

    run_dir: str
    size: int
    population: int
    margin: float
    alpha: float
    seed: int
    strata: dict[str, dict[str, int]]  # stratum -> population, planned
    replaced: bool  # an earlier plan was replaced
    certifying: int  # the size that certifies the margin
    notes: list[str]

    def settings(self) -> dict[str, Any]:
        """What the store keeps beside the plan's rows."""
        return {"version": 1, "size": self.size, "population": self.population,
                "margin": self.margin, "alpha": self.alpha, "seed": self.seed,
                "strata": self.strata, "oversample": OVERSAMPLE, "power": POWER,
                "planning_sd": PLANNING_SD, "certifying": self.certifying,
                "replaced": self.replaced, "created": datetime.now(UTC).isoformat()}


def _gate_settings(store: RunStore) -> tuple[float, float]:
    """The margin and α of the suite's human_review gate (defaults without one)."""
    raw = store.get_meta("scored_suite")
    suite = Suite.model_validate(raw) if raw else Suite()
    for gate in suite.gates:
        if gate.metric == HUMAN_METRIC and gate.margin is not None:
            return gate.margin, suite.alpha
    return DEFAULT_MARGIN, suite.alpha


def planned_size(sizes: dict[str, int], weights: dict[str, float], margin: float,
                 alpha: float) -> tuple[int, dict[str, int]]:
    """The size that certifies ``margin`` (see the module docstring) and its allocation."""
    z = float(stats.norm.ppf(1 - alpha) + stats.norm.ppf(POWER))
    base = math.ceil((z * PLANNING_SD / margin) ** 2)
    population = sum(sizes.values())
    n = max(min(base, population), smallest_plan(sizes))
    alloc = allocate(sizes, n, minimum=2, weights=weights)
    for _ in range(2):  # the design effect depends on the allocation, and back
        deff = sum(alloc.values()) * sum(
            sizes[h] ** 2 / alloc[h] for h in sizes if alloc[h]) / population ** 2
        n = min(population, max(n, math.ceil(base * deff)))
        alloc = allocate(sizes, n, minimum=2, weights=weights)
    return sum(alloc.values()), alloc


def smallest_plan(sizes: dict[str, int]) -> int:
    """The fewest records a plan may draw: two from every stratum (one from a stratum of
    one). A stratum with no draw would leave its records out of the estimate."""
    return sum(min(2, size) for size in sizes.values())


def plan_review(run_dir: Path, size: int | None = None, seed: int = 0,
                margin: float | None = None) -> ReviewPlan:
    """Draw the review plan of a scored run and store it (replacing an earlier one)."""
    with RunStore(run_dir) as store:
        scores = load_scores(store)
        if not scores:
            raise UsageError(f"{run_dir}: the run has not been scored",
                             hint="run `swapkit score RUN` (or `swapkit run`) first")
        data = load_run_data(store)
        gate_margin, alpha = _gate_settings(store)
        margin = gate_margin if margin is None else margin
        ids = data.record_field("id")
        repeated = [k for k, count in Counter(ids).items() if count > 1]
        if repeated:
            raise UsageError(f"{run_dir}: record ids repeat ({', '.join(map(str, repeated[:3]))})"
                             ": labels name records by id", hint="give the log's records "
                             "unique ids (log.fields id:) and run again")
        segments = [s or "(none)" for s in data.record_field("segment")]
        flagged = regression_scores(data, scores) > 0
        stratum_of = [f"{segment} · {FLAGGED if flag else OTHER}"
                      for segment, flag in zip(segments, flagged, strict=True)]
        members: dict[str, list[int]] = {}
        for i, stratum in enumerate(stratum_of):
            members.setdefault(stratum, []).append(i)
        sizes = {h: len(m) for h, m in sorted(members.items())}
        weights = {h: OVERSAMPLE if h.endswith(FLAGGED) else 1.0 for h in sizes}
        certifying, alloc = planned_size(sizes, weights, margin, alpha)
        notes = []
        if size is not None:
            floor = smallest_plan(sizes)
            if size < floor:
                notes.append(f"--size {size} raised to {floor}: every stratum needs two draws "
                             f"({len(sizes)} strata)")
            elif size < certifying:
                notes.append(f"{size} records are fewer than the {certifying} that certify "
                             f"margin {margin:g}: the gate may stay INCONCLUSIVE")
            alloc = allocate(sizes, min(max(size, floor), len(ids)), minimum=2,
                             weights=weights)
        rows: list[tuple[int, str, float]] = []
        for h, positions in members.items():
            drawn = sorted(positions, key=lambda i: unit_interval(seed, f"draw:{ids[i]}"))
            probability = alloc[h] / sizes[h]
            rows.extend((i, h, probability) for i in drawn[:alloc[h]])
        rows.sort(key=lambda row: unit_interval(seed, f"walk:{ids[row[0]]}"))
        planned = [PlannedRecord(str(ids[i]), i, rank, h, p,
                                 "AB" if unit_interval(seed, f"shown:{ids[i]}") < 0.5 else "BA")
                   for rank, (i, h, p) in enumerate(rows)]
        earlier = store.get_meta(PLAN_META) or {}
        plan = ReviewPlan(str(run_dir), len(planned), len(ids), margin, alpha, seed,
                          {h: {"population": sizes[h], "planned": alloc[h]} for h in sizes},
                          bool(earlier), certifying, notes)
        # every plan drawn for this run, so a decision can say when the plan was redrawn
        seeds = [*earlier.get("drawn", [earlier["seed"]] if "seed" in earlier else []), seed]
        save_plan(store, {**plan.settings(), "drawn": seeds}, planned)
        return plan
