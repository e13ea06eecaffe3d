"""How much worse each record's candidate did: what the report sorts by and the review
plan oversamples."""

from __future__ import annotations

import numpy as np

from swapkit.scoring.metrics.base import MetricScores, RunData

__all__ = ["regression_scores"]


def regression_scores(data: RunData, scores: dict[str, MetricScores]) -> np.ndarray:
    """Per record: the sum of the per-metric drops (candidate below baseline), failures 1."""
    total = np.zeros(len(data))
    for s in scores.values():
        if s.kind == "ratio":
            continue
        base, cand = s.base, s.cand
        if not s.higher_is_better:
            base, cand = -base, -cand
        drop = np.nan_to_num(base - cand, nan=0.0)
        total += np.clip(drop, 0, None)
    for i, (b, c) in enumerate(zip(data.statuses("baseline"), data.statuses("candidate"),
                                   strict=True)):
        if c is not None and c != "ok" and (b is None or b == "ok"):
            total[i] += 1.0
    return total
