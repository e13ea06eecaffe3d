"""Weighted Cohen's kappa for two raters on an ordered scale, with a bootstrap interval.

Two raters (the judge and the people) put each item in one of ``k`` ordered categories.
With linear agreement weights ``w_ij = 1 − |i − j| / (k − 1)`` (Cohen 1968; "equal
spacing"), kappa is ``(p_o − p_e) / (1 − p_e)``: ``p_o`` the weighted share of agreement
observed, ``p_e`` the one expected if the raters were independent with the same margins.

Items may carry weights (inverse inclusion probabilities, 1/π): the confusion table is
then the Horvitz–Thompson estimate of the population's table, and kappa the plug-in
estimate from it. The interval is a seeded percentile bootstrap that resamples items with
their weights (Efron & Tibshirani 1993, ch. 13; for a weighted sample, resampling the
weighted items is the with-replacement bootstrap of the design); without weights the
resampled table is drawn directly from the multinomial of the observed cell shares, which
is the same distribution at a cost independent of n. Known answers: tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KappaResult", "confusion_table", "linear_weights", "weighted_kappa",
           "weighted_kappa_interval"]

RESAMPLES = 2000
BATCH_ELEMENTS = 1 << 22  # resampled items held at once


def linear_weights(k: int) -> np.ndarray:
    """Agreement weights ``1 − |i − j| / (k − 1)`` of ``k`` ordered categories."""
    steps = np.abs(np.subtract.outer(np.arange(k), np.arange(k)))
    weights: np.ndarray = 1.0 - steps / max(1, k - 1)
    return weights


def _kappas(tables: np.ndarray) -> np.ndarray:
    """Linear-weighted kappa of each (…, k, k) table (NaN where it is undefined)."""
    k = tables.shape[-1]
    w = linear_weights(k)
    total = tables.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = tables / total[..., None, None]
        observed = (w * p).sum(axis=(-2, -1))
        expected = (w * (p.sum(axis=-1)[..., :, None] * p.sum(axis=-2)[..., None, :])).sum(
            axis=(-2, -1))
        kappa: np.ndarray = (observed - expected) / (1.0 - expected)
    undefined = (total <= 0) | np.isclose(expected, 1.0)
    return np.where(undefined, np.nan, kappa)


def weighted_kappa(table: np.ndarray) -> float | None:
    """Linear-weighted kappa of a k×k table (rows: one rater, columns: the other); None when
    undefined (an empty table, or both raters always in the same single category)."""
    value = float(_kappas(np.asarray(table, dtype=float)))
    return None if np.isnan(value) else value


def confusion_table(first: np.ndarray, second: np.ndarray, k: int,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """The k×k table of (first, second) category pairs (integers 0..k−1), each item counted
    with its weight (1 without weights)."""
    codes = np.asarray(first, dtype=int) * k + np.asarray(second, dtype=int)
    table: np.ndarray = np.bincount(codes, weights=weights, minlength=k * k).astype(
        float).reshape(k, k)
    return table


def _multinomial_tables(table: np.ndarray, n: int, resamples: int,
                        rng: np.random.Generator) -> np.ndarray:
    """Bootstrap tables of a simple random sample: resampling n items with replacement
    draws the table's cells from the multinomial of its shares (the same distribution,
    without touching the items)."""
    k = table.shape[0]
    draws: np.ndarray = rng.multinomial(n, table.ravel() / table.sum(), size=resamples)
    return draws.reshape(resamples, k, k).astype(float)


def _weighted_replicates(codes: np.ndarray, w: np.ndarray, k: int, resamples: int,
                         rng: np.random.Generator) -> np.ndarray:
    """Kappa of weighted tables of items resampled with replacement, with their weights."""
    n = codes.size
    batch = max(1, min(resamples, BATCH_ELEMENTS // n))
    replicates = []
    for start in range(0, resamples, batch):
        b = min(batch, resamples - start)
        idx = rng.integers(0, n, (b, n))
        flat = (np.arange(b)[:, None] * k * k + codes[idx]).ravel()
        tables = np.bincount(flat, weights=w[idx].ravel(), minlength=b * k * k)
        replicates.append(_kappas(tables.reshape(b, k, k)))
    return np.concatenate(replicates)


@dataclass
class KappaResult:
    """Weighted kappa with its interval, raw agreement and the confusion table."""

    kappa: float | None
    low: float | None
    high: float | None
    agreement: float  # the (weighted) share of items both raters put in the same category
    table: np.ndarray  # rows: the first rater, columns: the second (weighted counts)
    n: int  # items
    level: float
    weighted: bool  # inverse-probability weights were used


def weighted_kappa_interval(first: np.ndarray, second: np.ndarray, k: int,
                            weights: np.ndarray | None = None, level: float = 0.9,
                            seed: int = 0, resamples: int = RESAMPLES) -> KappaResult:
    """Linear-weighted kappa of two raters' ordered categories (integers 0..k−1) with a
    two-sided ``level`` percentile bootstrap interval (seeded); ``weights``: each item's
    inverse inclusion probability (None: a simple random sample)."""
    first, second = np.asarray(first, dtype=int), np.asarray(second, dtype=int)
    n = first.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    table = confusion_table(first, second, k, w)
    total = table.sum()
    agreement = float(np.trace(table) / total) if total > 0 else float("nan")
    kappa = weighted_kappa(table) if n else None
    low = high = None
    if kappa is not None and n > 1:
        rng = np.random.default_rng(seed)
        if weights is None:
            values = _kappas(_multinomial_tables(table, n, resamples, rng))
        else:
            values = _weighted_replicates(first * k + second, w, k, resamples, rng)
        values = values[~np.isnan(values)]
        if values.size:
            tail = (1 - level) / 2
            low, high = (float(q) for q in np.quantile(values, [tail, 1 - tail]))
    return KappaResult(kappa, low, high, agreement, table, n, level, weights is not None)
