"""Anytime-valid confidence sequences for bounded means (docs/methodology.md §5.2).

The predictable-plug-in empirical-Bernstein CS of Waudby-Smith & Ramdas (2024), as
specified in docs/methodology.md: valid under any stopping rule, conservative.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["prpl_eb_cs"]


def _lower(x: np.ndarray, alpha: float) -> np.ndarray:
    t = np.arange(1, len(x) + 1, dtype=float)
    cumsum = np.cumsum(x)
    mu_tilde = (0.5 + cumsum) / (t + 1)
    sigma2_tilde = (0.25 + np.cumsum((x - mu_tilde) ** 2)) / (t + 1)
    sigma2_prev = np.concatenate([[0.25], sigma2_tilde[:-1]])
    log_term = math.log(1 / alpha)
    lam = np.minimum(np.sqrt(2 * log_term / (sigma2_prev * t * np.log1p(t))), 0.5)
    mu_hat_prev = np.concatenate([[0.0], cumsum[:-1] / t[:-1]])
    v = (x - mu_hat_prev) ** 2
    psi_e = -np.log1p(-lam) - lam
    lam_sum = np.cumsum(lam)
    lower: np.ndarray = (np.cumsum(lam * x) - (log_term + np.cumsum(v * psi_e))) / lam_sum
    return lower


def prpl_eb_cs(d: np.ndarray, a: float, b: float, alpha: float = 0.05,
               running_intersection: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided level-α CS for the mean of d ∈ [a, b], at every t = 1..n: (lower, upper)."""
    x = (np.asarray(d, dtype=float) - a) / (b - a)
    half = alpha / 2
    lower = _lower(x, half)
    upper = 1 - _lower(1 - x, half)
    if running_intersection:
        lower = np.maximum.accumulate(lower)
        upper = np.minimum.accumulate(upper)
    return a + (b - a) * lower, a + (b - a) * upper
