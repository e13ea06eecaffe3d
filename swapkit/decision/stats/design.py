"""Design-based estimation from a stratified random sample (docs/methodology.md §8.9).

A review plan draws, in each stratum h of N_h records, a simple random sample of n_h
without replacement: record i of stratum h is drawn with probability π_i = n_h / N_h.
The population mean of a per-record value y is estimated by the stratified mean

    ȳ_st = Σ_h W_h ȳ_h,        W_h = N_h / N,

which is the Horvitz–Thompson estimator Σ y_i / π_i divided by N, with the variance

    v(ȳ_st) = Σ_h W_h² (1 − n_h / N_h) s̃_h² / n_h

(Cochran, *Sampling Techniques*, 3rd ed., 1977, §5.3, Theorems 5.1–5.3). A stratum drawn
whole (n_h = N_h) adds no variance. Elsewhere s̃_h² is the sample variance of the stratum's
values with one pseudo-pair added, the two ends of the values' range: with few draws of an
outcome that is −1, 0 or +1, two draws that agree give s_h² = 0 and a stratum would claim
certainty about a share it has barely seen (an interval of zero width, a false GO at small
plans: 13% at 40 labels in a simulated run worse than the margin). The pair keeps every
sampled stratum's variance above zero, matters little once n_h is large, and leaves the
estimate itself alone. The interval is Student's t with Satterthwaite's degrees of freedom
(Cochran §5A.2) over the sampled strata, n_h − 1 each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["StratifiedMean", "stratified_mean"]


@dataclass(frozen=True)
class StratifiedMean:
    """The stratified estimate of a population mean, its standard error and degrees of
    freedom, and the p-values of "mean > t" / "mean < t" at any threshold."""

    mean: float
    se: float  # 0 only for a census (every stratum drawn whole)
    df: float
    n: int
    population: int

    def p_above(self, threshold: float) -> float:
        """p-value of the claim mean > ``threshold``."""
        if self.se == 0:
            return 0.0 if self.mean > threshold else 1.0
        return float(stats.t.sf((self.mean - threshold) / self.se, self.df))

    def p_below(self, threshold: float) -> float:
        """p-value of the claim mean < ``threshold``."""
        if self.se == 0:
            return 0.0 if self.mean < threshold else 1.0
        return float(stats.t.cdf((self.mean - threshold) / self.se, self.df))

    def bounds(self, alpha: float) -> tuple[float, float]:
        """The one-sided (1 − α) lower and upper bounds."""
        half = float(stats.t.ppf(1 - alpha, self.df)) * self.se
        return self.mean - half, self.mean + half


def stratified_mean(values: np.ndarray, strata: np.ndarray, sizes: dict[int, int],
                    value_range: tuple[float, float]) -> StratifiedMean:
    """Estimate the mean over the population from the sampled ``values`` (one per drawn
    record), their ``strata`` (integer codes) and each stratum's population size
    ``sizes[h]`` (every stratum of the population, drawn from or not: one with no record
    drawn is an error, as its mean cannot be estimated)."""
    values = np.asarray(values, dtype=float)
    strata = np.asarray(strata)
    population = sum(sizes.values())
    if population <= 0 or values.size == 0:
        raise ValueError("no population or no sampled value")
    pair = np.array(value_range, dtype=float)
    mean = variance = 0.0
    terms: list[tuple[float, int]] = []  # each sampled stratum's variance term, n_h − 1
    for h, size in sizes.items():
        y = values[strata == h]
        n = y.size
        if n == 0:
            raise ValueError(f"stratum {h} has {size} records and none drawn")
        if n > size:
            raise ValueError(f"stratum {h} has {n} drawn of {size} records")
        weight = size / population
        mean += weight * float(y.mean())
        if n < size:
            s2 = float(np.concatenate([y, pair]).var(ddof=1))
            term = weight ** 2 * (1 - n / size) * s2 / n
            variance += term
            terms.append((term, max(n - 1, 1)))
    df = (variance ** 2 / sum(t ** 2 / k for t, k in terms)) if variance > 0 else 1.0
    return StratifiedMean(mean, float(np.sqrt(variance)), max(float(df), 1.0),
                          int(values.size), population)
