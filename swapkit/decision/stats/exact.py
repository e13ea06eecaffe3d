"""Exact tests for the cases where asymptotics and the bootstrap fail (methodology §2.3, §2.4).

- :func:`exact_paired_p_values`: the exact unconditional test of a paired difference of
  proportions against a margin. Outcomes (r, g) are ordered by Tango's score statistic; the
  p-value is the largest tail probability over the nuisance parameter (the discordance ψ)
  on the boundary of the null, searched within a 1 − γ confidence interval for ψ, plus γ
  (Berger and Boos 1994). It holds α at any n, where Tango's asymptotic test does not
  when discordant pairs are few; the exact conditional (McNemar) test covers only Δ = 0.
- :func:`sparse_bounds`: bounds for the mean difference of a bounded score when few records
  differ at all, where a bootstrap sees too little of the tail to be trusted (a rare large
  regression absent from the sample gives a zero-width interval). They rest on exact
  binomial bounds for the share of records that differ, times the scale's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["SparseBounds", "exact_paired_p_values", "sparse_bounds", "tango_z_grid"]

GAMMA = 1e-6  # Berger-Boos: the nuisance is searched in a 1 − γ interval, and γ is added
GRID = 64  # nuisance values tried across that interval


def tango_z_grid(delta0: float, r: np.ndarray, g: np.ndarray, n: int) -> np.ndarray:
    """Tango's Z(δ0) for arrays of (r, g) at one n (vectorised :func:`tango.tango_z`)."""
    r = r.astype(float)
    g = g.astype(float)
    a = 2.0 * n
    b = -g - r + (2.0 * n - g + r) * delta0
    c = -r * delta0 * (1.0 - delta0)
    p_tilde = (-b + np.sqrt(np.maximum(0.0, b * b - 4.0 * a * c))) / (2.0 * a)
    numerator = g - r - n * delta0
    variance = n * (2.0 * p_tilde + delta0 * (1.0 - delta0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = numerator / np.sqrt(np.maximum(variance, 0.0))
    infinite = np.where(numerator > 0, np.inf, np.where(numerator < 0, -np.inf, 0.0))
    result: np.ndarray = np.where(variance > 0, z, infinite)
    return result


def _psi_interval(k: int, n: int, low_limit: float) -> tuple[float, float]:
    """A 1 − γ Clopper-Pearson interval for the discordance, kept inside [low_limit, 1]."""
    low = float(stats.beta.ppf(GAMMA / 2, k, n - k + 1)) if k > 0 else 0.0
    high = float(stats.beta.ppf(1 - GAMMA / 2, k + 1, n - k)) if k < n else 1.0
    return max(low, low_limit), max(min(high, 1.0), low_limit)


def exact_paired_p_values(r: int, g: int, n: int, threshold: float) -> tuple[float, float]:
    """(p for δ > t, p for δ < t), exact unconditional, δ = p_C − p_B, t = ``threshold``.

    r counts baseline-only passes, g candidate-only passes. On the null boundary δ = t the
    discordance ψ ≥ |t| is free: P(r, g) = Bin(r + g; n, ψ) · Bin(g; r + g, (ψ + t) / 2ψ).
    """
    observed = float(tango_z_grid(threshold, np.array([r]), np.array([g]), n)[0])
    psi_low, psi_high = _psi_interval(r + g, n, abs(threshold) + 1e-12)
    k_max = int(min(n, stats.binom.isf(1e-15, n, psi_high) + 1))
    ks = np.arange(k_max + 1)
    # Every outcome with r + g = k ≤ k_max, as flat arrays.
    k_of = np.repeat(ks, ks + 1)
    g_of = np.concatenate([np.arange(k + 1) for k in ks])
    z = tango_z_grid(threshold, k_of - g_of, g_of, n)
    tol = 1e-9
    # Z grows with g at fixed k: the region Z ≥ z_obs is g ≥ first[k], Z ≤ z_obs is g ≤ last[k].
    above = z >= observed - tol
    below = z <= observed + tol
    first = np.full(k_max + 1, np.iinfo(np.int64).max)
    last = np.full(k_max + 1, -1)
    np.minimum.at(first, k_of[above], g_of[above])
    np.maximum.at(last, k_of[below], g_of[below])
    p_above = p_below = 0.0
    for psi in np.linspace(psi_low, psi_high, GRID):
        if psi <= 0:
            continue
        weights = stats.binom.pmf(ks, n, psi)
        q = min(1.0, max(0.0, (psi + threshold) / (2 * psi)))
        tail_up = np.where(first <= ks, stats.binom.sf(first - 1, ks, q), 0.0)
        tail_down = np.where(last >= 0, stats.binom.cdf(last, ks, q), 0.0)
        p_above = max(p_above, float(np.sum(weights * tail_up)))
        p_below = max(p_below, float(np.sum(weights * tail_down)))
    return min(1.0, p_above + GAMMA), min(1.0, p_below + GAMMA)


@dataclass
class SparseBounds:
    """Exact bounds for a mean difference from the counts of records that differ."""

    low: float
    high: float
    n: int
    worse: int  # records where the candidate scored lower
    better: int  # records where it scored higher
    much_worse: int  # lower by at least half the scale's range
    scale: float  # the range of the metric's scale (differences lie in ±scale)

    def p_above(self, threshold: float) -> float:
        """p for mean > t: Pr(Bin(n, −t/scale) ≤ worse), from L = −scale · p_U(worse)."""
        if threshold >= 0:
            return 1.0
        share = min(1.0, -threshold / self.scale)
        return float(stats.binom.cdf(self.worse, self.n, share))

    def p_below(self, threshold: float) -> float:
        """p for mean < t: the smallest α at which :func:`_upper` falls below t."""
        def gap(alpha: float) -> float:
            return _upper(self, alpha) - threshold

        if gap(1 - 1e-12) >= 0:
            return 1.0
        if gap(1e-12) < 0:
            return 1e-12
        return float(optimize.brentq(gap, 1e-12, 1 - 1e-12, xtol=1e-10))


def _cp_upper(k: int, n: int, alpha: float) -> float:
    return float(stats.beta.ppf(1 - alpha, k + 1, n - k)) if k < n else 1.0


def _cp_lower(k: int, n: int, alpha: float) -> float:
    return float(stats.beta.ppf(alpha, k, n - k + 1)) if k > 0 else 0.0


def _upper(b: SparseBounds, alpha: float) -> float:
    """E[d] = E[d⁺] − E[d⁻] ≤ scale · Pr(d > 0) − (scale/2) · Pr(d ≤ −scale/2), each share
    bounded exactly at α/2 (a union bound: both hold with probability ≥ 1 − α)."""
    return (b.scale * _cp_upper(b.better, b.n, alpha / 2)
            - b.scale / 2 * _cp_lower(b.much_worse, b.n, alpha / 2))


def sparse_bounds(d: np.ndarray, scale: float, alpha: float) -> SparseBounds:
    """One-sided (1 − α) bounds for the mean of differences d ∈ [−scale, scale].

    Lower: E[d] ≥ −E[d⁻] ≥ −scale · Pr(d < 0), with the exact (Clopper-Pearson) upper bound
    of that share; with no difference at all it is −scale · (1 − α^(1/n)) ≈ −3·scale/n, so a
    0.03 margin on a [0, 1] score needs about 100 records before it can pass.
    """
    n = int(d.size)
    worse = int(np.sum(d < 0))
    better = int(np.sum(d > 0))
    much_worse = int(np.sum(d <= -scale / 2))
    bounds = SparseBounds(0.0, 0.0, n, worse, better, much_worse, scale)
    bounds.low = -scale * _cp_upper(worse, n, alpha)
    bounds.high = _upper(bounds, alpha)
    if not math.isfinite(bounds.high):
        bounds.high = scale
    return bounds
