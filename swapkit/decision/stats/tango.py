"""Tango's score interval and test for a paired difference of proportions (methodology.md §2.3).

With r = baseline-only passes, g = candidate-only passes over n pairs, the score
statistic for H0: δ = δ0 (δ = p_C − p_B) is Z(δ0); it is decreasing in δ0, so the
one-sided (1−α) bounds solve Z(L) = z_{1−α} and Z(U) = −z_{1−α}. It handles zero
discordant cells (n = 300, r = g = 0 gives L = −0.0089 at one-sided 95 %).
"""

from __future__ import annotations

import math

from scipy import optimize, stats

__all__ = ["tango_bounds", "tango_p_values", "tango_z"]

_EDGE = 1e-12


def tango_z(delta0: float, r: int, g: int, n: int) -> float:
    """Tango's score statistic Z(δ0) (the Nam 1997 form); Z(0) is McNemar's z."""
    a = 2.0 * n
    b = -g - r + (2.0 * n - g + r) * delta0
    c = -r * delta0 * (1.0 - delta0)
    p_tilde = (-b + math.sqrt(max(0.0, b * b - 4.0 * a * c))) / (2.0 * a)
    numerator = g - r - n * delta0
    variance = n * (2.0 * p_tilde + delta0 * (1.0 - delta0))
    if variance <= 0:
        if numerator == 0:
            return 0.0
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(variance)


def tango_bounds(r: int, g: int, n: int, alpha: float) -> tuple[float, float]:
    """One-sided (1−α) lower and upper confidence bounds for p_C − p_B."""
    z = float(stats.norm.ppf(1.0 - alpha))
    lo_edge, hi_edge = -1.0 + _EDGE, 1.0 - _EDGE

    def solve(target: float) -> float:
        return float(optimize.brentq(lambda d: tango_z(d, r, g, n) - target, lo_edge, hi_edge,
                                     xtol=1e-12, rtol=1e-12, maxiter=500))

    lower = -1.0 if tango_z(lo_edge, r, g, n) < z else solve(z)
    upper = 1.0 if tango_z(hi_edge, r, g, n) > -z else solve(-z)
    return lower, upper


def tango_p_values(r: int, g: int, n: int, threshold: float) -> tuple[float, float]:
    """(p for δ > threshold, p for δ < threshold): 1 − Φ(Z(t)) and Φ(Z(t))."""
    z = tango_z(threshold, r, g, n)
    return float(stats.norm.sf(z)), float(stats.norm.cdf(z))
