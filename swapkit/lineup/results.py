"""A lineup's results: each candidate's verdicts, the lineup's adjustment (a fixed
sequence, or Holm) and the recommendation (docs/methodology.md §6.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from swapkit.config import SwapConfig
from swapkit.config.lineup import Multiplicity, RankQuantity
from swapkit.decision.model import Decision
from swapkit.decision.stats.multiplicity import holm

__all__ = ["CandidateResult", "EarlyStop", "LineupResult", "Multiplicity", "RankBy", "adjust",
           "recommend", "sequence_order"]

RankBy = RankQuantity | dict[RankQuantity, float]


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
        """The candidate's own verdict, before the lineup's adjustment (its run's decision:
        NO-GO when its replay stopped early on a settled regression)."""
        return self.decision.verdict


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


def adjust(results: list[CandidateResult], alpha: float, order: list[str] | None = None,
           family: int | None = None) -> None:
    """The lineup's verdicts. With ``order`` (the fixed sequence): each candidate in turn
    keeps its GO while every one before it was GO; after the first that is not, a GO is
    INCONCLUSIVE (not tested). Without: Holm's step-down over the GO p-values of the
    ``family`` (the whole lineup; a candidate without a decision counts as p = 1), a GO that
    does not survive it INCONCLUSIVE. NO-GO and INCONCLUSIVE stay as they are."""
    if order is not None:
        by_name = {r.name: r for r in results}
        going = True
        for name in order:
            result = by_name.get(name)
            if result is None:  # never decided (not run, or capped): the sequence ends here
                going = False
                continue
            ok = going and result.p_go is not None and result.p_go <= alpha
            result.verdict = "GO" if ok else (
                "INCONCLUSIVE" if result.unadjusted == "GO" else result.unadjusted)
            going = ok
        return
    undecided = max(0, (family or len(results)) - len(results))
    adjusted = holm([r.p_go if r.p_go is not None else 1.0 for r in results]
                    + [1.0] * undecided)[:len(results)]
    for result, p in zip(results, adjusted, strict=True):
        result.verdict = result.unadjusted if result.p_go is None else (
            "GO" if p <= alpha else "INCONCLUSIVE")


def sequence_order(config: SwapConfig) -> list[str]:
    """The fixed sequence over the whole lineup: the candidates by planned cost, dearest
    first (prices and the log's tokens, known before any answer); candidates without a price
    last, in swap.yaml's order."""
    from swapkit.plan import plan_lineup

    planned: dict[str, float | None] = {}
    for name, plan in plan_lineup(config):
        target = next((t for t in plan.targets if t.side == "candidate"), None)
        planned[name] = None if target is None else target.cost_usd
    names = list(planned)
    return sorted(names, key=lambda n: (planned[n] is None, -(planned[n] or 0.0),
                                        names.index(n)))


def _quantity(r: CandidateResult, name: str) -> float | None:
    return r.cost_per_request if name == "cost" else r.latency_p95


def recommend(results: list[CandidateResult], rank_by: RankBy) -> str | None:
    """The candidate whose verdict for the lineup is GO with the lowest cost (or p95
    latency, or weighted mix: each quantity over the best GO candidate's, weighted, summed);
    ties go to the lineup's order. A GO without a number it is ranked by ranks last."""
    safe = [r for r in results if r.verdict == "GO"]
    if not safe:
        return None
    weights = {rank_by: 1.0} if isinstance(rank_by, str) else dict(rank_by)
    best = {name: min((v for r in safe if (v := _quantity(r, name)) is not None), default=None)
            for name in weights}

    def key(r: CandidateResult) -> tuple[bool, float]:
        total = 0.0
        for name, weight in weights.items():
            value, floor = _quantity(r, name), best[name]
            if value is None or floor is None:
                return True, 0.0
            total += weight * (value / floor if floor > 0 else value)
        return False, total

    return min(safe, key=key).name
