"""Testing candidate − baseline against a margin, with the method the data call for
(docs/methodology.md §1.2, §2.3, §2.4):

- 0/1 scores (declared or observed), no real clusters: Tango's score test, and the exact
  unconditional test when discordant pairs are few (it holds α at small n; Tango does not);
- real clusters (a conversation shared by enough records): the cluster bootstrap;
- bounded scores where few records differ at all (or all differ alike): exact binomial
  bounds on the share of records that differ, times the scale's range — a bootstrap of a
  rare large regression that is absent from the sample would certify a zero-width interval;
- otherwise: the paired BCa bootstrap, with p-values from the same BCa interval, widened
  for small samples (Hesterberg's expansion: a t interval's width at n − 1 degrees of
  freedom; it matters below about 100 records).

The verdict comes from the p-values of the GO and NO-GO claims, each at α; the bounds shown
are the same method's one-sided (1 − α) bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swapkit.decision.stats.bootstrap import cluster_mean_bootstrap, mean_difference_bootstrap
from swapkit.decision.stats.exact import exact_paired_p_values, sparse_bounds
from swapkit.decision.stats.tango import tango_bounds, tango_p_values

__all__ = ["EXACT_MAX_DISCORDANT", "SPARSE_MIN_DIFFERING", "DifferenceTest", "difference_test"]

# Discordant pairs up to which the exact unconditional test decides a pass/fail gate.
EXACT_MAX_DISCORDANT = 200
# Records that must differ (and differ in more than two ways) before a bootstrap decides.
SPARSE_MIN_DIFFERING = 30

PValues = tuple[float, float]  # (p for δ > t, p for δ < t)


@dataclass
class DifferenceTest:
    """One test of a mean difference: estimate, bounds, the two claims' p-values."""

    estimate: float
    low: float
    high: float
    method: str
    p_go: float
    p_nogo: float
    variance: float  # per-record variance of d (for sample-size estimates)

    def status(self, alpha: float) -> str:
        """GO when the GO claim holds at α, NO-GO when the NO-GO claim does."""
        if self.p_go <= alpha:
            return "GO"
        return "NO-GO" if self.p_nogo <= alpha else "INCONCLUSIVE"


def _claims(kind: str, margin: float, p_at: dict[float, PValues]) -> tuple[float, float]:
    """(p of the GO claim, p of the NO-GO claim) from p-values at ±margin."""
    if kind == "superiority":  # the gain required
        return p_at[margin][0], p_at[margin][1]
    low_above, low_below = p_at[-margin]
    if kind == "equivalence":  # both sides must hold (intersection-union); either breaks
        high_above, high_below = p_at[margin]
        return max(low_above, high_below), min(1.0, 2 * min(low_below, high_above))
    return low_above, low_below


def _thresholds(kind: str, margin: float) -> list[float]:
    if kind == "superiority":
        return [margin]
    return [-margin, margin] if kind == "equivalence" else [-margin]


def difference_test(b: np.ndarray, c: np.ndarray, *, kind: str, margin: float, alpha: float,
                    binary: bool, scale: float | None, clusters: np.ndarray | None,
                    seed: int) -> DifferenceTest:
    """Test d = c − b (oriented higher-is-better) for a gate of ``kind`` at ``margin``.

    ``scale`` is the range of a bounded score (None: unbounded); ``clusters`` holds the
    conversation of each record when the records really cluster (else None).
    """
    d = c - b
    n = int(d.size)
    estimate = float(d.mean())
    variance = float(np.var(d, ddof=1)) if n > 1 else 0.0
    thresholds = _thresholds(kind, margin)
    if binary and clusters is None:
        r, g = int(np.sum(d < 0)), int(np.sum(d > 0))
        low, high = tango_bounds(r, g, n, alpha)
        if r + g <= EXACT_MAX_DISCORDANT:
            method = "exact unconditional test (Tango-ordered); Tango score interval"
            p_at = {t: exact_paired_p_values(r, g, n, t) for t in thresholds}
        else:
            method = "Tango score interval (paired proportions)"
            p_at = {t: tango_p_values(r, g, n, t) for t in thresholds}
        return DifferenceTest(estimate, low, high, method, *_claims(kind, margin, p_at),
                              variance)
    if clusters is not None:
        boot = cluster_mean_bootstrap(d, clusters, alpha, seed, expand=True)
        p_at = {t: (boot.p_at_most(t), boot.p_at_least(t)) for t in thresholds}
        return DifferenceTest(estimate, boot.low, boot.high, boot.method,
                              *_claims(kind, margin, p_at), variance)
    differing = int(np.count_nonzero(d))
    if scale is not None and (differing < SPARSE_MIN_DIFFERING or np.unique(d).size < 3):
        sparse = sparse_bounds(d, scale, alpha)
        p_at = {t: (sparse.p_above(t), sparse.p_below(t)) for t in thresholds}
        method = (f"exact bound: {sparse.worse} of {n} records lower, {sparse.better} higher "
                  f"(too few differ for a bootstrap)")
        return DifferenceTest(estimate, sparse.low, sparse.high, method,
                              *_claims(kind, margin, p_at), variance)
    if differing == 0:  # an unbounded score with no difference at all: nothing to bound
        return DifferenceTest(estimate, estimate, estimate, "no difference (unbounded scale)",
                              1.0, 1.0, variance)
    boot = mean_difference_bootstrap(b, c, alpha, seed, expand=True)
    p_at = {t: (boot.p_at_most(t), boot.p_at_least(t)) for t in thresholds}
    return DifferenceTest(estimate, boot.low, boot.high, boot.method,
                          *_claims(kind, margin, p_at), variance)
