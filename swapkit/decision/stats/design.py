"""Design-based estimation from a stratified random sample (docs/methodology.md §8.9).

A review plan draws, in each stratum h of N_h records, a simple random sample of n_h
without replacement: record i of stratum h is drawn with probability π_i = n_h / N_h.
The population mean of a per-record value y is estimated by the stratified mean

    ȳ_st = Σ_h W_h ȳ_h,        W_h = N_h / N,

which is the Horvitz–Thompson estimator Σ y_i / π_i divided by N, with the variance

    v(ȳ_st) = Σ_h W_h² (1 − n_h / N_h) s_h² / n_h

(Cochran, *Sampling Techniques*, 3rd ed., 1977, §5.3, Theorems 5.1–5.3; s_h² the sample
variance within stratum h). A stratum drawn whole (n_h = N_h) adds no variance; one
drawn with a single record out of several has no s_h²: the bound for values in
[lo, hi], ((hi − lo) / 2)², stands in for it. The interval is Student's t with
Σ (n_h − 1) degrees of freedom (at least 1), which is conservative for few records.
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
    se: float
    df: int
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
    bound = ((value_range[1] - value_range[0]) / 2) ** 2
    mean = variance = 0.0
    df = 0
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
            s2 = float(y.var(ddof=1)) if n > 1 else bound
            variance += weight ** 2 * (1 - n / size) * s2 / n
        df += n - 1
    return StratifiedMean(mean, float(np.sqrt(variance)), max(df, 1), int(values.size),
                          population)
