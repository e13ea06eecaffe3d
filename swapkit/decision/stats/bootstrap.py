"""Paired bootstrap intervals: BCa with a percentile fallback, cluster and ratio forms.

SciPy's ``stats.bootstrap`` computes BCa's acceleration by a generic jackknife that
costs O(n²) (hours at n = 100k); the statistics swapkit bootstraps (a mean difference,
a ratio of sums) have closed-form leave-one-out values, so this module resamples the
same way (``rng.integers(0, n, (batch, n))``, paired: one index set for both models)
and applies Efron's BCa formulas with that jackknife (the bias correction counts ties
half, as SciPy does). Quantile statistics use the percentile method (methodology §1.4).
The p-values invert the same interval that gives the bounds (BCa where the bounds are
BCa), so a gate's verdict and Holm's adjustment of it never disagree. Tests check
agreement with SciPy on small samples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = [
    "BootstrapResult",
    "cluster_mean_bootstrap",
    "log_ratio_of_sums_bootstrap",
    "mean_difference_bootstrap",
    "n_resamples_for",
    "paired_bootstrap",
    "quantile_ratio_bootstrap",
]

MAX_RESAMPLES = 9999
MIN_RESAMPLES = 1999
ELEMENT_BUDGET = 50_000_000  # resampled elements per statistic: caps B for large n
BATCH_ELEMENTS = 1 << 22

Statistic = Callable[[np.ndarray], np.ndarray]  # index matrix (b, n) -> replicates (b,)


def n_resamples_for(n: int) -> int:
    """9,999 resamples (docs/methodology.md §9), fewer (not below 1,999) when n·B would be huge."""
    return int(min(MAX_RESAMPLES, max(MIN_RESAMPLES, ELEMENT_BUDGET // max(1, n))))


@dataclass
class BootstrapResult:
    """An estimate with one-sided (1−α) bounds and the bootstrap distribution behind them."""

    estimate: float
    low: float
    high: float
    method: str
    n: int
    replicates: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    # BCa's bias correction and acceleration, when the bounds are BCa bounds.
    bca: tuple[float, float] | None = None

    def _bca_alpha(self, share: float) -> float:
        """The α whose BCa lower bound sits at the ``share`` percentile of the replicates."""
        assert self.bca is not None
        z0, accel = self.bca
        w = float(special.ndtri(share)) - z0
        if 1 + accel * w <= 0:  # beyond what BCa's transformation reaches
            return 1 / (self.replicates.size + 1) if w < 0 else 1.0
        return float(special.ndtr(w / (1 + accel * w) - z0))

    def p_at_most(self, threshold: float) -> float:
        """p for θ > t: the α at which the lower bound reaches t (small when θ is clearly
        above t); (1 + #{θ* ≤ t}) / (B + 1) for percentile bounds."""
        if not self.replicates.size:
            return 0.0 if self.estimate > threshold else 1.0
        share = (1 + np.count_nonzero(self.replicates <= threshold)) / (self.replicates.size + 1)
        return float(share) if self.bca is None else self._bca_alpha(share)

    def p_at_least(self, threshold: float) -> float:
        """p for θ < t: the α at which the upper bound reaches t (small when θ is clearly
        below t); (1 + #{θ* ≥ t}) / (B + 1) for percentile bounds."""
        if not self.replicates.size:
            return 0.0 if self.estimate < threshold else 1.0
        share = (1 + np.count_nonzero(self.replicates >= threshold)) / (self.replicates.size + 1)
        if self.bca is None:
            return float(share)
        return 1.0 - self._bca_alpha(1.0 - share) if share < 1 else 1.0


def _index_batches(n: int, resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    batch = max(1, min(resamples, BATCH_ELEMENTS // max(1, n)))
    done = 0
    while done < resamples:
        size = min(batch, resamples - done)
        yield rng.integers(0, n, (size, n))
        done += size


def _percentile(replicates: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


def _bca(replicates: np.ndarray, estimate: float, jackknife: np.ndarray,
         alpha: float) -> tuple[float, float, float, float]:
    """Efron's BCa bounds, z0 and acceleration; NaN bounds when the distribution is degenerate.

    z0 counts replicates equal to the estimate as half below it, as SciPy does: on 0/1
    data many replicates tie, and counting them as not below biases the bounds low.
    """
    below = np.count_nonzero(replicates < estimate)
    ties = np.count_nonzero(replicates == estimate)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = float(special.ndtri((below + 0.5 * ties) / replicates.size))
        centred = jackknife.mean() - jackknife
        denominator = 6.0 * (centred**2).sum() ** 1.5
        accel = float((centred**3).sum() / denominator) if denominator else 0.0
        bounds = []
        for z_alpha in (special.ndtri(alpha), special.ndtri(1 - alpha)):
            adjusted = special.ndtr(z0 + (z0 + z_alpha) / (1 - accel * (z0 + z_alpha)))
            bounds.append(adjusted)
    if not np.all(np.isfinite(bounds)):
        return float("nan"), float("nan"), z0, accel
    low, high = np.percentile(replicates, [100 * bounds[0], 100 * bounds[1]])
    return float(low), float(high), z0, accel


def paired_bootstrap(statistic: Statistic, estimate: float, n: int, alpha: float, seed: int,
                     jackknife: np.ndarray | None = None,
                     resamples: int | None = None) -> BootstrapResult:
    """Bootstrap ``statistic`` over n paired units; BCa when a jackknife is given."""
    rng = np.random.default_rng(seed)
    count = resamples or n_resamples_for(n)
    replicates = np.concatenate([statistic(idx) for idx in _index_batches(n, count, rng)])
    replicates = replicates[np.isfinite(replicates)]
    if jackknife is not None:
        low, high, z0, accel = _bca(replicates, estimate, jackknife, alpha)
        if np.isfinite(low) and np.isfinite(high):
            return BootstrapResult(estimate, low, high, "BCa bootstrap", n, replicates,
                                   (z0, accel))
    low, high = _percentile(replicates, alpha)
    return BootstrapResult(estimate, low, high, "percentile bootstrap", n, replicates)


def mean_difference_bootstrap(s_base: np.ndarray, s_cand: np.ndarray, alpha: float,
                              seed: int, resamples: int | None = None) -> BootstrapResult:
    """Mean of d = s_C − s_B with BCa bounds (percentile fallback; degenerate if d is constant)."""
    d = np.asarray(s_cand, dtype=float) - np.asarray(s_base, dtype=float)
    n = d.size
    estimate = float(d.mean())
    if np.all(d == d[0]):
        return BootstrapResult(estimate, estimate, estimate, "degenerate (no variation)", n)
    jackknife = (d.sum() - d) / (n - 1)
    return paired_bootstrap(lambda idx: d[idx].mean(axis=1), estimate, n, alpha, seed,
                            jackknife, resamples)


def log_ratio_of_sums_bootstrap(numerator: np.ndarray, denominator: np.ndarray, alpha: float,
                                seed: int, resamples: int | None = None,
                                floor: float = 0.0) -> BootstrapResult:
    """log(Σ numerator / max(Σ denominator, floor · n)), paired, BCa (a ratio of sums).

    ``floor`` keeps the ratio finite and meaningful when the denominator is (nearly) zero,
    e.g. the noise floor of a deterministic baseline (methodology §4.3).
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    n = num.size
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = float(np.log(num.sum() / max(den.sum(), floor * n)))
        jackknife = np.log((num.sum() - num) / np.maximum(den.sum() - den, floor * (n - 1)))
    if not np.isfinite(estimate):
        return BootstrapResult(estimate, estimate, estimate, "undefined (zero total)", n)

    def statistic(idx: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            result: np.ndarray = np.log(num[idx].sum(axis=1)
                                        / np.maximum(den[idx].sum(axis=1), floor * n))
            return result

    usable = jackknife if np.all(np.isfinite(jackknife)) else None
    return paired_bootstrap(statistic, estimate, n, alpha, seed, usable, resamples)


def quantile_ratio_bootstrap(base: np.ndarray, cand: np.ndarray, q: float, alpha: float,
                             seed: int, resamples: int | None = None) -> BootstrapResult:
    """log(q-quantile of candidate / q-quantile of baseline), paired, percentile (§7.2)."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    with np.errstate(divide="ignore"):
        estimate = float(np.log(np.quantile(c, q) / np.quantile(b, q)))

    def statistic(idx: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            result: np.ndarray = np.log(np.quantile(c[idx], q, axis=1)
                                        / np.quantile(b[idx], q, axis=1))
            return result

    return paired_bootstrap(statistic, estimate, b.size, alpha, seed, None, resamples)


def cluster_mean_bootstrap(d: np.ndarray, clusters: np.ndarray, alpha: float, seed: int,
                           resamples: int | None = None) -> BootstrapResult:
    """Mean of d resampling whole clusters (methodology.md §3, M2): Σ S_c* / Σ m_c*, percentile."""
    values = np.asarray(d, dtype=float)
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    sums = np.bincount(inverse, weights=values)
    sizes = np.bincount(inverse).astype(float)
    estimate = float(values.mean())
    if np.all(values == values[0]):
        return BootstrapResult(estimate, estimate, estimate, "degenerate (no variation)",
                               values.size)
    result = paired_bootstrap(lambda idx: sums[idx].sum(axis=1) / sizes[idx].sum(axis=1),
                              estimate, sums.size, alpha, seed, None, resamples)
    result.method = f"cluster bootstrap ({sums.size} clusters), percentile"
    result.n = values.size
    return result
