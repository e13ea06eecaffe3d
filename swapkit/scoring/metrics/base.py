"""What every metric works on (the run's paired records) and what it produces.

A metric turns the run's records into per-record scores for each side, aligned by
replay position. Failures follow docs/methodology.md §8.2 and the issue's rule: a model failure
(refused, truncated, empty) or an endpoint failure (error, timeout) is scored as the
worst value on pass/fail metrics, and excluded with a count on continuous ones; a
rate-limited request is never scored as a bad answer (excluded with a count); a
record where both sides failed at the endpoint is dropped with a count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from swapkit.completion import Completion
from swapkit.records import Record

__all__ = [
    "Kind",
    "Metric",
    "MetricScores",
    "RunData",
    "answer_state",
    "score_pairs",
]

Kind = Literal["binary", "continuous", "ratio", "agreement"]
MODEL_FAILURES = frozenset({"refused", "truncated", "empty"})
ENDPOINT_FAILURES = frozenset({"error", "timeout"})


@dataclass
class RunData:
    """A run's sample with each side's completions, aligned by replay position."""

    records: list[Record]
    base: list[Completion | None]
    cand: list[Completion | None]
    noise: list[Completion | None]  # the baseline's second sample, on the noise subset
    base_label: str = "baseline"
    cand_label: str = "candidate"
    embedder: Any = None  # swapkit.scoring.embeddings.embedders.EmbeddingCache, set by the scorer

    def __len__(self) -> int:
        return len(self.records)


def answer_state(completion: Completion | None) -> str:
    """``missing``, ``ok``, ``model_failure``, ``endpoint_failure`` or ``rate_limited``."""
    if completion is None:
        return "missing"
    if completion.status == "ok":
        return "ok"
    if completion.status in MODEL_FAILURES:
        return "model_failure"
    if completion.status == "rate_limited":
        return "rate_limited"
    return "endpoint_failure"


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

    @property
    def paired(self) -> np.ndarray:
        """Mask of records scored on both sides."""
        mask: np.ndarray = ~np.isnan(self.base) & ~np.isnan(self.cand)
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
        )


class Metric(Protocol):
    """A named scorer. Register it from a ``register_metrics`` hook."""

    name: str
    kind: Kind
    higher_is_better: bool
    description: str

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record of the run."""
        ...


Value = Callable[[int, Completion], tuple[float, str | None]]


def score_pairs(data: RunData, name: str, kind: Kind, higher_is_better: bool,
                applies: Callable[[int], bool], value: Value) -> MetricScores:
    """Score both sides of every applicable record with ``value(i, completion)``.

    Handles failures as the module docstring says; ``value`` sees only answers with
    status ok and returns (score, detail).
    """
    n = len(data)
    base = np.full(n, np.nan)
    cand = np.full(n, np.nan)
    failed_base = np.zeros(n, dtype=bool)
    failed_cand = np.zeros(n, dtype=bool)
    details: list[str | None] = [None] * n
    excluded: Counter[str] = Counter()
    worst = 0.0 if higher_is_better else 1.0
    for i in range(n):
        if not applies(i):
            continue
        completions = (data.base[i], data.cand[i])
        states = [answer_state(c) for c in completions]
        if "missing" in states:
            excluded["not replayed on both sides"] += 1
            continue
        if "rate_limited" in states:
            excluded["rate limited (not an answer)"] += 1
            continue
        if states[0] == states[1] == "endpoint_failure":
            excluded["both sides failed at the endpoint"] += 1
            continue
        scored: list[float] = []
        for side, (state, completion) in enumerate(zip(states, completions, strict=True)):
            if state == "ok" and completion is not None:
                score, detail = value(i, completion)
                scored.append(score)
                if side == 1:
                    details[i] = detail
            else:
                scored.append(worst)
                (failed_base if side == 0 else failed_cand)[i] = True
        if kind != "binary" and (failed_base[i] or failed_cand[i]):
            excluded["a side failed (continuous metric)"] += 1
            continue
        base[i], cand[i] = scored
    return MetricScores(name, kind, higher_is_better, base, cand, failed_base, failed_cand,
                        dict(excluded), details)
