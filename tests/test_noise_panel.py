"""The noise-floor panel at its edges."""

from __future__ import annotations


def test_a_tiny_noise_subset_with_a_huge_bootstrap_bound_reports_it_unbounded() -> None:
    """Five noise records can give a studentized log-ratio bound past what exp() holds:
    the panel says the ratio is unbounded above instead of the decision crashing with
    OverflowError (found by a review on a run with noise.subset 5)."""
    import math

    import numpy as np

    from swapkit.decision.panels import noise_floor
    from swapkit.records import Record
    from swapkit.scoring.metrics import MetricScores, RunData

    a = np.array([0.999, 1.0, 0.7, 0.95, 0.99])  # the baseline against itself
    c = np.array([1.0, 1.0, 0.999, 0.1, 0.999])  # the candidate against the baseline
    records = [Record.model_validate({"id": f"q{i}", "request": {"messages": [
        {"role": "user", "content": f"q{i}"}]}}) for i in range(5)]
    data = RunData(records, [None] * 5, [None] * 5, [None] * 5)
    similarity = MetricScores("similarity", "agreement", True, a, c, np.zeros(5, bool),
                              np.zeros(5, bool))
    panel = noise_floor(data, similarity, None, 0.05)
    assert panel.ratio is not None and math.isfinite(panel.ratio)
    assert panel.ratio_high == math.inf
