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

__all__ = ["EXACT_MAX_DISCORDANT", "SPARSE_MIN_DIFFERING", "DifferenceTest", "claims",
           "difference_test"]

# Discordant pairs up to which the exact unconditional test decides a pass/fail gate, and
# the largest discordance its null may allow (n·Δ) before its enumeration gets too big.
EXACT_MAX_DISCORDANT = 200
EXACT_MAX_NULL_DISCORDANT = 1500
# Records that must differ (and differ in more than two ways) before a bootstrap decides.
SPARSE_MIN_DIFFERING = 30

PValues = tuple[float, float]  # (p for δ > t, p for δ < t)


@dataclass
class DifferenceTest:
    """One test of a mean difference: estimate, bounds, and the p-values at each threshold
    t: ``p_at[t] = (p for δ > t, p for δ < t)``."""

    estimate: float
    low: float
    high: float
    method: str
    p_at: dict[float, PValues]
    variance: float  # per-record variance of d (for sample-size estimates)

    def claims(self, kind: str, margin: float) -> tuple[float, float]:
        """(p of the GO claim, p of the NO-GO claim) from this one test."""
        return claims(kind, margin, self, self)


def claims(kind: str, margin: float, against_go: DifferenceTest,
           against_nogo: DifferenceTest) -> tuple[float, float]:
    """(p of the GO claim, p of the NO-GO claim).

    Each "δ > t" leg is read from ``against_go`` (missing answers filled against the
    candidate) and each "δ < t" leg from ``against_nogo`` (filled in its favour), so that
    every leg of every claim, the two legs of an equivalence included, is proven with the
    missing answers counted against it.
    """
    def above(t: float) -> float:
        return against_go.p_at[t][0]

    def below(t: float) -> float:
        return against_nogo.p_at[t][1]

    if kind == "superiority":  # the gain required
        return above(margin), below(margin)
    if kind == "equivalence":  # both sides must hold (intersection-union); either breaks
        return max(above(-margin), below(margin)), min(1.0, 2 * min(below(-margin),
                                                                     above(margin)))
    return above(-margin), below(-margin)


def _thresholds(kind: str, margin: float) -> list[float]:
    if kind == "superiority":
        return [margin]
    return [-margin, margin] if kind == "equivalence" else [-margin]


def _per_cluster(d: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """The mean difference of each conversation (the independent units when they cluster)."""
    _, inverse = np.unique(clusters, return_inverse=True)
    means: np.ndarray = (np.bincount(inverse, weights=d)
                         / np.bincount(inverse).astype(float))
    return means


def difference_test(b: np.ndarray, c: np.ndarray, *, kind: str, margin: float, alpha: float,
                    binary: bool, scale: float, clusters: np.ndarray | None,
                    seed: int) -> DifferenceTest:
    """Test d = c − b (oriented higher-is-better) for a gate of ``kind`` at ``margin``.

    ``scale`` is the range of the score's scale (differences lie in ±scale); ``clusters``
    holds the conversation of each record when the records really cluster (else None).
    """
    d = c - b
    n = int(d.size)
    estimate = float(d.mean())
    variance = float(np.var(d, ddof=1)) if n > 1 else 0.0
    thresholds = _thresholds(kind, margin)
    if binary and clusters is None:
        r, g = int(np.sum(d < 0)), int(np.sum(d > 0))
        low, high = tango_bounds(r, g, n, alpha)
        # The exact test's cost grows with the discordance its null allows (n·Δ): past
        # EXACT_MAX_NULL_DISCORDANT, Tango's asymptotics are accurate anyway.
        if r + g <= EXACT_MAX_DISCORDANT and n * max(map(abs, thresholds)) <= (
                EXACT_MAX_NULL_DISCORDANT):
            method = "exact unconditional test (Tango-ordered); Tango score interval"
            p_at = {t: exact_paired_p_values(r, g, n, t) for t in thresholds}
        else:
            method = "Tango score interval (paired proportions)"
            p_at = {t: tango_p_values(r, g, n, t) for t in thresholds}
        return DifferenceTest(estimate, low, high, method, p_at, variance)
    # With real clusters the conversations are the independent units.
    units = _per_cluster(d, clusters) if clusters is not None else d
    differing = int(np.count_nonzero(units))
    if differing < SPARSE_MIN_DIFFERING or np.unique(units).size < 3:
        if scale <= 0:  # an open scale and no difference seen: nothing to bound it with
            return DifferenceTest(estimate, estimate, estimate,
                                  "no difference on an open scale: cannot be bounded",
                                  {t: (1.0, 1.0) for t in thresholds}, variance)
        sparse = sparse_bounds(units, scale, alpha)
        p_at = {t: (sparse.p_above(t), sparse.p_below(t)) for t in thresholds}
        per = "conversations" if clusters is not None else "records"
        method = (f"exact bound: {sparse.worse} of {sparse.n} {per} lower, {sparse.better} "
                  "higher (too few differ for a bootstrap)")
        return DifferenceTest(estimate, sparse.low, sparse.high, method, p_at, variance)
    if clusters is not None:
        boot = cluster_mean_bootstrap(d, clusters, alpha, seed, expand=True)
    else:
        boot = mean_difference_bootstrap(b, c, alpha, seed, expand=True)
    p_at = {t: (boot.p_at_most(t), boot.p_at_least(t)) for t in thresholds}
    return DifferenceTest(estimate, boot.low, boot.high, boot.method, p_at, variance)
