"""Sample-size and power formulas for planning and INCONCLUSIVE verdicts.

See docs/methodology.md §5.3.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = [
    "achievable_margin",
    "connor_n",
    "mcnemar_exact_power",
    "n_for_noninferiority",
]


def _z(p: float) -> float:
    return float(stats.norm.ppf(p))


def n_for_noninferiority(variance: float, margin: float, alpha: float = 0.05,
                         power: float = 0.8, delta1: float = 0.0) -> float:
    """Records for a one-sided NI test: (z_{1−α} + z_{power})² · variance / (Δ + δ1)².

    ``variance`` is the discordance ψ − δ1² for pass/fail metrics, σ_d² for continuous
    ones (per-record difference variance).
    """
    if margin + delta1 <= 0:
        return math.inf
    return (_z(1 - alpha) + _z(power)) ** 2 * variance / (margin + delta1) ** 2


def achievable_margin(variance: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """The NI margin this n can certify with the given power: (z_{1−α} + z_β)·sqrt(var/n)."""
    if n <= 0:
        return math.inf
    return (_z(1 - alpha) + _z(power)) * math.sqrt(variance / n)


def connor_n(psi: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Records to detect a difference δ with McNemar's test (two-sided; Connor 1987)."""
    root = _z(1 - alpha / 2) * math.sqrt(psi) + _z(power) * math.sqrt(psi - delta**2)
    return root**2 / delta**2


def mcnemar_exact_power(n: int, psi: float, delta: float, alpha: float = 0.05) -> float:
    """Power of the two-sided exact McNemar test, by exact enumeration over discordant counts."""
    pi = (psi + delta) / (2 * psi)  # P(candidate-only | discordant)
    total = 0.0
    discordant = np.arange(n + 1)
    weights = stats.binom.pmf(discordant, n, psi)
    for d, weight in zip(discordant, weights, strict=True):
        if d == 0 or weight < 1e-15:
            continue
        g = np.arange(d + 1)
        # Two-sided exact binomial p-value of each outcome (as binomtest computes it).
        pmf = stats.binom.pmf(g, d, 0.5)
        p_two = np.minimum(1.0, 2 * np.minimum(stats.binom.cdf(g, d, 0.5),
                                               stats.binom.sf(g - 1, d, 0.5)))
        del pmf
        reject = p_two <= alpha
        total += weight * float(stats.binom.pmf(g[reject], d, pi).sum())
    return total
