"""What every metric works on (the run's paired records) and what it produces.

A metric turns the run's records into per-record scores for each side, aligned by
replay position. The outcome of each call (docs/methodology.md §8.2,
:func:`swapkit.completion.outcome`) decides how it is scored, for every quality metric:

- an *answer* (a refusal included) is scored as text;
- an *answer failure* (truncated, empty, error, timeout) scores the worst value of the
  metric's scale (``failed_base``/``failed_cand`` say where): no prompt is dropped because
  one side failed, and a side never looks better for failing;
- a *missing* answer is not scored (NaN) and marked (``missing_base``/``missing_cand``):
  the decision bounds it, counting it as a failure of the candidate for a GO.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from swapkit.completion import Completion, outcome
from swapkit.records import Record

if TYPE_CHECKING:
    from swapkit.replay.pointwise import PointwiseAsk
    from swapkit.store.reviews import ReviewData

__all__ = [
    "UNIT",
    "Bounds",
    "JudgeVerdicts",
    "Kind",
    "Metric",
    "MetricScores",
    "RunData",
    "record_applies",
    "score_pairs",
]

# binary: 0/1 per record; continuous: a score on a scale (bounded when ``bounds`` is set);
# ratio: a lower-is-better quantity compared as candidate/baseline of a statistic;
# agreement: the candidate's similarity to the baseline (the noise floor's form).
Kind = Literal["binary", "continuous", "ratio", "agreement"]
Bounds = tuple[float, float]
UNIT: Bounds = (0.0, 1.0)


class JudgeVerdicts(Protocol):
    """The judge's stored completions of a run (swapkit.scoring.judging.StoredJudge)."""

    def pair(self, i: int, template: str | None) -> tuple[Completion | None,
                                                           Completion | None] | None:
        """The judge's completions of record ``i`` in the orders AB and BA (baseline shown
        first, then the candidate), None where none is stored; asked only for records whose
        two sides answered. None instead of a pair: the two answers read the same to the
        judge, who was not asked. ``template``: the template file (None: the shipped one)."""
        ...

    def pointwise(self, i: int, ask: PointwiseAsk) -> tuple[Completion | None,
                                                           Completion | None]:
        """The judge's completions of record ``i``'s baseline and candidate answers, each
        judged alone by ``ask``; None for a side not judged (it did not answer, or the
        metric does not apply) or whose verdict is not stored."""
        ...

    def rejudged(self, judged: list[int], template: str | None
                 ) -> dict[int, tuple[Completion | None, Completion | None]]:
        """The judge's second completions (orders AB and BA) of the re-judged subset of the
        ``judged`` records (those :meth:`pair` gave a pair for), by record index; empty when
        no subset is re-judged."""
        ...


@dataclass
class RunData:
    """A run's sample with each side's completions, aligned by replay position.

    Lists, or the run store's sequences (:meth:`RunStore.record_sequence`), which read a
    page at a time: a pass over a large run never holds all its records at once.
    """

    records: Sequence[Record]
    base: Sequence[Completion | None]
    cand: Sequence[Completion | None]
    noise: Sequence[Completion | None]  # the baseline's second sample, on the noise subset
    base_label: str = "baseline"
    cand_label: str = "candidate"
    embedder: Any = None  # swapkit.scoring.embeddings.embedders.EmbeddingCache, set by the scorer
    judge: JudgeVerdicts | None = None  # the run's stored judge verdicts, set by the scorer
    labels: Path | None = None  # people's preference labels (judge.labels), set by the scorer
    review: ReviewData | None = None  # the run's review plan and labels, set by the scorer

    def __len__(self) -> int:
        return len(self.records)

    def record_field(self, name: Literal["id", "segment", "conversation_id"]) -> list[Any]:
        """One field of every record, in order (from the store's column when stored)."""
        column = getattr(self.records, "column", None)
        if column is not None:
            return list(column(name))
        return [getattr(r, name) for r in self.records]

    def statuses(self, side: Literal["baseline", "candidate"]) -> list[str | None]:
        """Each record's completion status on ``side`` (None: nothing stored)."""
        completions = self.base if side == "baseline" else self.cand
        column = getattr(completions, "column", None)
        if column is not None:
            return list(column("status"))
        return [None if c is None else c.status for c in completions]


@dataclass
class MetricScores:
    """Per-record scores of one metric for both sides (NaN: not scored)."""

    metric: str
    kind: Kind
    higher_is_better: bool
    base: np.ndarray
    cand: np.ndarray
    failed_base: np.ndarray
    failed_cand: np.ndarray
    excluded: dict[str, int] = field(default_factory=dict)
    details: list[str | None] = field(default_factory=list)
    statistic: str | None = None  # ratio metrics: p50, p95, mean or total
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    bounds: Bounds | None = UNIT  # the scale of binary and continuous scores; None: unbounded
    # Records the metric applies to whose answer is missing on that side (None: none).
    missing_base: np.ndarray | None = None
    missing_cand: np.ndarray | None = None
    # Records the metric applies to (None: wherever a side has a score or is missing). A
    # non-finite score there is the metric failing on that record (the decision counts it).
    applies: np.ndarray | None = None
    # Why no gate on this metric may give a verdict, whatever its interval says (e.g. a
    # judge that contradicts itself when the answers swap places): gates turn INCONCLUSIVE.
    refuse: str | None = None
    # What every gate on this metric shows beside its numbers (e.g. the judge's consistency).
    gate_notes: list[str] = field(default_factory=list)

    @property
    def paired(self) -> np.ndarray:
        """Mask of records scored on both sides."""
        mask: np.ndarray = ~np.isnan(self.base) & ~np.isnan(self.cand)
        return mask

    def missing(self, side: str) -> np.ndarray:
        """Mask of records the metric applies to whose ``side`` answer is missing."""
        mask = self.missing_base if side == "baseline" else self.missing_cand
        return mask if mask is not None else np.zeros(self.base.size, dtype=bool)

    def applies_mask(self) -> np.ndarray:
        """Records the metric applies to."""
        if self.applies is not None:
            return self.applies
        scored: np.ndarray = ~np.isnan(self.base) | ~np.isnan(self.cand)
        mask: np.ndarray = scored | self.missing("baseline") | self.missing("candidate")
        return mask

    def to_json(self) -> dict[str, Any]:
        """JSON-able form for the store (NaN becomes null)."""
        def values(a: np.ndarray) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in a]

        return {
            "metric": self.metric, "kind": self.kind, "higher_is_better": self.higher_is_better,
            "base": values(self.base), "cand": values(self.cand),
            "failed_base": self.failed_base.astype(int).tolist(),
            "failed_cand": self.failed_cand.astype(int).tolist(),
            "excluded": self.excluded, "details": self.details, "statistic": self.statistic,
            "extra": {k: values(v) for k, v in self.extra.items()}, "notes": self.notes,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "missing_base": self.missing("baseline").astype(int).tolist(),
            "missing_cand": self.missing("candidate").astype(int).tolist(),
            "applies": self.applies_mask().astype(int).tolist(), "refuse": self.refuse,
            "gate_notes": self.gate_notes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MetricScores:
        """Inverse of :meth:`to_json`."""
        def array(v: list[float | None]) -> np.ndarray:
            return np.array([np.nan if x is None else x for x in v], dtype=float)

        return cls(
            metric=data["metric"], kind=data["kind"], higher_is_better=data["higher_is_better"],
            base=array(data["base"]), cand=array(data["cand"]),
            failed_base=np.array(data["failed_base"], dtype=bool),
            failed_cand=np.array(data["failed_cand"], dtype=bool),
            excluded=data["excluded"], details=data["details"], statistic=data["statistic"],
            extra={k: array(v) for k, v in data["extra"].items()}, notes=data.get("notes", []),
            bounds=_bounds(data.get("bounds", list(UNIT))),
            missing_base=_mask(data.get("missing_base")),
            missing_cand=_mask(data.get("missing_cand")), applies=_mask(data.get("applies")),
            refuse=data.get("refuse"), gate_notes=data.get("gate_notes", []),
        )


def _bounds(raw: list[float] | None) -> Bounds | None:
    return None if raw is None else (float(raw[0]), float(raw[1]))


def _mask(raw: list[int] | None) -> np.ndarray | None:
    return None if raw is None else np.array(raw, dtype=bool)


class Metric(Protocol):
    """A named scorer. Register it from a ``register_metrics`` hook."""

    name: str
    kind: Kind  # the scores' scale goes in MetricScores.bounds ([0, 1] unless said)
    higher_is_better: bool
    description: str

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record of the run."""
        ...

    # Optional: ``applies_to(record, options) -> bool``, the records the metric can score
    # judged from the record alone (its reference, its request), before any answer. The
    # metric's own scoring uses it, and so does ``swapkit plan``: see record_applies.


def record_applies(metric: Metric, record: Record, options: dict[str, Any]) -> bool:
    """Whether ``metric`` can score ``record``, known before the replay: the one rule that
    ``swapkit plan`` and the decision share (a gate whose metric applies to no record of
    its segment is NOT_APPLICABLE). True for a metric without ``applies_to``."""
    check = getattr(metric, "applies_to", None)
    return True if check is None else bool(check(record, options))


Value = Callable[[int, Completion], tuple[float, str | None]]


def score_pairs(data: RunData, name: str, kind: Kind, higher_is_better: bool,
                applies: Callable[[int], bool], value: Value,
                bounds: Bounds = UNIT) -> MetricScores:
    """Score both sides of every applicable record with ``value(i, completion)``.

    ``value`` sees answers only (refusals included) and returns (score, detail); an answer
    failure scores the worst value of ``bounds``; a missing answer stays NaN and is marked.
    """
    n = len(data)
    base = np.full(n, np.nan)
    cand = np.full(n, np.nan)
    failed = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
    missing = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
    details: list[str | None] = [None] * n
    excluded: Counter[str] = Counter()
    worst = bounds[0] if higher_is_better else bounds[1]
    applied = np.zeros(n, dtype=bool)
    for i in range(n):
        if not applies(i):
            continue
        applied[i] = True
        for side, (completion, scores) in enumerate(((data.base[i], base),
                                                     (data.cand[i], cand))):
            state = outcome(completion)
            if state == "missing":
                missing[side][i] = True
            elif state == "failure":
                scores[i] = worst
                failed[side][i] = True
            elif completion is not None:
                scores[i], detail = value(i, completion)
                if side == 1:
                    details[i] = detail
        if missing[0][i] or missing[1][i]:
            excluded["missing on a side (bounded by the decision)"] += 1
    return MetricScores(name, kind, higher_is_better, base, cand, failed[0], failed[1],
                        dict(excluded), details, bounds=bounds, missing_base=missing[0],
                        missing_cand=missing[1], applies=applied)
