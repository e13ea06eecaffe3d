"""Diagnostic tests and intervals shown beside the gates (docs/methodology.md §1.2-1.3, §3).

None of these decides a gate; they are the cross-checks a reviewer expects: McNemar for
"do the pass rates differ at all?", the paired t interval beside the bootstrap, the
Wilcoxon location shift, single-model proportion intervals, and clustered SEs.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = [
    "Mcnemar",
    "PairedT",
    "agresti_min_interval",
    "clustered_se",
    "mcnemar",
    "naive_se",
    "paired_t",
    "proportion_interval",
    "sign_test",
]


class Mcnemar(NamedTuple):
    """Exact, mid-p and asymptotic McNemar p-values (two-sided)."""

    exact: float
    mid_p: float
    chi2: float
    p_chi2: float


def mcnemar(r: int, g: int) -> Mcnemar:
    """McNemar on the discordant pairs: r baseline-only, g candidate-only passes."""
    m = r + g
    if m == 0:
        return Mcnemar(1.0, 1.0, 0.0, 1.0)
    exact = float(stats.binomtest(g, m, 0.5).pvalue)
    k = min(r, g)
    if r == g:
        mid = 1 - 0.5 * float(stats.binom.pmf(k, m, 0.5))
    else:
        mid = 2 * float(stats.binom.cdf(k, m, 0.5)) - float(stats.binom.pmf(k, m, 0.5))
    chi2 = (r - g) ** 2 / m
    return Mcnemar(exact, mid, chi2, float(stats.chi2.sf(chi2, 1)))


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test (ties ignored)."""
    return float(stats.binomtest(losses, wins + losses, 0.5).pvalue) if wins + losses else 1.0


class PairedT(NamedTuple):
    """The paired t test and interval, and the non-inferiority p-value at a margin."""

    t: float
    p: float
    mean: float
    low: float
    high: float
    p_noninferior: float


def paired_t(base: np.ndarray, cand: np.ndarray, margin: float, level: float = 0.95) -> PairedT:
    """``ttest_rel(cand, base)`` with its CI, and ``ttest_1samp(d, −Δ, 'greater')``."""
    result = stats.ttest_rel(cand, base)
    interval = result.confidence_interval(level)
    d = np.asarray(cand, dtype=float) - np.asarray(base, dtype=float)
    ni = stats.ttest_1samp(d, -margin, alternative="greater")
    return PairedT(float(result.statistic), float(result.pvalue), float(d.mean()),
                   float(interval.low), float(interval.high), float(ni.pvalue))


def proportion_interval(k: int, n: int, level: float = 0.95,
                        method: str = "wilson") -> tuple[float, float]:
    """A single model's pass-rate interval (Wilson by default, or exact)."""
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method=method)
    return float(ci.low), float(ci.high)


def agresti_min_interval(r: int, g: int, n: int, alpha: float) -> tuple[float, float]:
    """The Agresti-Min "Wald+2" interval for p_C − p_B: the documented Tango fallback."""
    z = float(stats.norm.ppf(1 - alpha))
    delta = (g - r) / (n + 2)
    se = math.sqrt((g + r + 1) - (g - r) ** 2 / (n + 2)) / (n + 2)
    return delta - z * se, delta + z * se


def naive_se(d: np.ndarray) -> float:
    """CLT standard error of the mean (M1)."""
    values = np.asarray(d, dtype=float)
    return float(values.std(ddof=1) / math.sqrt(values.size))


def clustered_se(d: np.ndarray, clusters: np.ndarray) -> float:
    """Cluster-robust (CR0) standard error of the mean (M2): (1/n)·sqrt(Σ_c (Σ_{i∈c} e_i)²)."""
    values = np.asarray(d, dtype=float)
    _, inverse = np.unique(np.asarray(clusters), return_inverse=True)
    residual_sums = np.bincount(inverse, weights=values - values.mean())
    return float(math.sqrt(float((residual_sums**2).sum())) / values.size)
