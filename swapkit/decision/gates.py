"""Evaluating one gate on paired per-record scores (docs/methodology.md §10 steps 1-4).

Pass/fail metrics without clusters: Tango score bounds. Continuous metrics: paired
BCa bootstrap of the mean difference (percentile fallback; constant differences are
"degenerate"). Clustered records (a shared conversation): the cluster bootstrap.
Ratios (latency, cost): paired bootstrap of the log ratio. The bounds are one-sided
(1−α), i.e. the ends of the two-sided (1−2α) interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from swapkit.config import GateSpec
from swapkit.decision.model import GateResult, Scale
from swapkit.decision.stats.bootstrap import (
    BootstrapResult,
    cluster_mean_bootstrap,
    log_ratio_of_sums_bootstrap,
    mean_difference_bootstrap,
    quantile_ratio_bootstrap,
)
from swapkit.decision.stats.power import achievable_margin, n_for_noninferiority
from swapkit.decision.stats.tango import tango_bounds, tango_p_values
from swapkit.scoring.metrics.base import MetricScores

__all__ = ["GateInput", "default_margin", "evaluate_gate", "gate_scale", "paired_values"]

QUANTILES = {"p50": 0.5, "p95": 0.95}


def default_margin(spec: GateSpec, scores: MetricScores) -> float:
    """docs/methodology.md §2.6 defaults by metric family."""
    if spec.margin is not None:
        return spec.margin
    if spec.kind == "superiority":
        return 0.0
    if spec.kind == "ratio_noninferiority":
        return 0.10 if spec.metric == "cost" else 0.20
    if spec.metric in ("json_valid", "json_schema_valid") or spec.metric.endswith("_rate"):
        return 0.01
    return 0.03 if scores.kind == "binary" else 0.02


@dataclass
class GateInput:
    """A gate, its metric's scores, and the record-level facts the tests need."""

    spec: GateSpec
    scores: MetricScores
    mask: np.ndarray  # records in the gate's segment
    clusters: np.ndarray  # conversation ids ("" when none)
    alpha: float
    seed: int
    min_n: int


def paired_values(inp: GateInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(baseline, candidate, mask) over the gate's scored pairs, oriented higher-is-better."""
    scores = inp.scores
    mask = scores.paired & inp.mask
    b, c = scores.base[mask], scores.cand[mask]
    if not scores.higher_is_better and scores.kind in ("binary", "continuous", "agreement"):
        b, c = (1 - b, 1 - c) if scores.kind == "binary" else (-b, -c)
    return b, c, mask


def _clustered(clusters: np.ndarray) -> bool:
    named = clusters[clusters != ""]
    return bool(named.size > 0 and np.unique(named).size < named.size)


def _cluster_ids(inp: GateInput, mask: np.ndarray) -> np.ndarray:
    ids = inp.clusters[mask].astype(object)
    singles = np.array([f"#record{i}" for i in np.flatnonzero(mask)], dtype=object)
    return np.where(ids == "", singles, ids)


def _status_from_bounds(kind: str, low: float, high: float, threshold: float) -> str:
    if kind == "noninferiority":
        return "GO" if low > -threshold else "NO-GO" if high < -threshold else "INCONCLUSIVE"
    if kind == "equivalence":
        if low > -threshold and high < threshold:
            return "GO"
        return "NO-GO" if high < -threshold or low > threshold else "INCONCLUSIVE"
    # superiority: threshold is the gain required
    return "GO" if low > threshold else "NO-GO" if high < threshold else "INCONCLUSIVE"


def _difference(inp: GateInput, result: GateResult) -> None:
    """NI, equivalence or superiority on a pass/fail or continuous metric."""
    spec, scores = inp.spec, inp.scores
    b, c, mask = paired_values(inp)
    margin = default_margin(spec, scores)
    result.margin = margin
    result.baseline, result.candidate = float(b.mean()), float(c.mean())
    binary = scores.kind == "binary"
    result.percent = binary
    d = c - b
    clustered = _clustered(inp.clusters[mask])
    # The bound whose crossing decides: -Δ (non-inferiority, equivalence) or the gain.
    threshold = margin if spec.kind == "superiority" else -margin
    if binary and not clustered:
        n = int(d.size)
        r, g = int(np.sum(d < 0)), int(np.sum(d > 0))
        low, high = tango_bounds(r, g, n, inp.alpha)
        result.method = "Tango score interval (paired proportions)"
        p_above, p_below = tango_p_values(r, g, n, threshold)
        if spec.kind == "equivalence":
            p_high = tango_p_values(r, g, n, margin)[0]
            p_below = min(1.0, 2 * min(p_below, p_high))
        variance = (r + g) / n
    else:
        boot: BootstrapResult = (
            cluster_mean_bootstrap(d, _cluster_ids(inp, mask), inp.alpha, inp.seed) if clustered
            else mean_difference_bootstrap(b, c, inp.alpha, inp.seed))
        low, high = boot.low, boot.high
        result.method = boot.method
        p_above, p_below = boot.p_at_most(threshold), boot.p_at_least(threshold)
        if spec.kind == "equivalence":
            p_below = min(1.0, 2 * min(p_below, boot.p_at_most(margin)))
        variance = float(np.var(d, ddof=1)) if d.size > 1 else 0.0
    result.estimate, result.low, result.high = float(d.mean()), low, high
    result.p_noninferior, result.p_inferior = p_above, p_below
    result.raw_status = _status_from_bounds(spec.kind, low, high,  # type: ignore[assignment]
                                            margin)
    result.certifiable_margin = max(0.0, -low)
    result.achievable_margin = achievable_margin(variance, d.size, inp.alpha)
    if spec.kind != "superiority" and margin > 0:
        needed = n_for_noninferiority(variance, margin, inp.alpha)
        result.n_needed = math.ceil(needed) if math.isfinite(needed) else None
    if result.raw_status == "GO" and spec.kind == "noninferiority" and high < 0:
        result.annotations.append("statistically significant regression within the margin")


def _ratio(inp: GateInput, result: GateResult) -> None:
    """Lower-is-better ratio (latency quantiles, total cost): log scale, percentile/BCa."""
    spec, scores = inp.spec, inp.scores
    mask = scores.paired & inp.mask
    b, c = scores.base[mask], scores.cand[mask]
    margin = default_margin(spec, scores)
    result.margin = margin
    statistic = scores.statistic or "mean"
    if statistic in QUANTILES:
        q = QUANTILES[statistic]
        result.baseline, result.candidate = float(np.quantile(b, q)), float(np.quantile(c, q))
        boot = quantile_ratio_bootstrap(b, c, q, inp.alpha, inp.seed)
    else:
        reduce = np.sum if statistic == "total" else np.mean
        result.baseline, result.candidate = float(reduce(b)), float(reduce(c))
        boot = log_ratio_of_sums_bootstrap(c, b, inp.alpha, inp.seed)
    limit = math.log1p(margin)
    result.method = f"{boot.method} of log({statistic} ratio)"
    result.estimate = math.exp(boot.estimate) if math.isfinite(boot.estimate) else None
    result.low = math.exp(boot.low) if math.isfinite(boot.low) else None
    result.high = math.exp(boot.high) if math.isfinite(boot.high) else None
    result.p_noninferior, result.p_inferior = boot.p_at_least(limit), boot.p_at_most(limit)
    if not (math.isfinite(boot.low) and math.isfinite(boot.high)):
        result.raw_status = "INCONCLUSIVE"
        result.annotations.append("ratio undefined (a zero total)")
        return
    result.raw_status = ("GO" if boot.high <= limit else
                         "NO-GO" if boot.low > limit else "INCONCLUSIVE")
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(c / b)
    logs = logs[np.isfinite(logs)]
    if logs.size > 1:
        needed = n_for_noninferiority(float(np.var(logs, ddof=1)), limit, inp.alpha)
        result.n_needed = math.ceil(needed) if math.isfinite(needed) else None


def _noise_ratio(inp: GateInput, result: GateResult) -> None:
    """Excess-divergence ratio R = Σ(1−c)/Σ(1−a) on the noise subset (docs/methodology.md §4.3)."""
    scores = inp.scores
    cross = scores.extra.get("cand_vs_noise")
    mask = scores.paired & inp.mask
    if cross is not None:
        mask &= ~np.isnan(cross)
    a = scores.base[mask]
    c = scores.cand[mask] if cross is None else (scores.cand[mask] + cross[mask]) / 2
    limit = inp.spec.max or 1.5
    result.max = limit
    result.baseline, result.candidate = float(a.mean()), float(c.mean())
    boot = log_ratio_of_sums_bootstrap(1 - c, 1 - a, inp.alpha, inp.seed)
    result.method = f"{boot.method} of log R (ratio of sums)"
    if not math.isfinite(boot.estimate):
        result.raw_status = "INCONCLUSIVE"
        result.annotations.append("the baseline never differs from itself: R undefined")
        return
    result.estimate, result.low, result.high = (math.exp(boot.estimate), math.exp(boot.low),
                                                math.exp(boot.high))
    log_limit = math.log(limit)
    result.p_noninferior, result.p_inferior = (boot.p_at_least(log_limit),
                                               boot.p_at_most(log_limit))
    result.raw_status = ("GO" if boot.high <= log_limit else
                         "NO-GO" if boot.low > log_limit else "INCONCLUSIVE")


def _max_rate(inp: GateInput, result: GateResult) -> None:
    """The candidate's event rate against an absolute cap (exact Clopper-Pearson bounds)."""
    scores = inp.scores
    mask = ~np.isnan(scores.cand) & inp.mask
    events = scores.cand[mask] if not scores.higher_is_better else 1 - scores.cand[mask]
    n, k = int(events.size), int(events.sum())
    limit = inp.spec.max or 0.0
    result.max, result.percent = limit, True
    result.candidate = k / n
    base = scores.base[mask]
    base = base[~np.isnan(base)]
    if base.size:
        result.baseline = float(base.mean() if not scores.higher_is_better else
                                (1 - base).mean())
    low = float(stats.beta.ppf(inp.alpha, k, n - k + 1)) if k > 0 else 0.0
    high = float(stats.beta.ppf(1 - inp.alpha, k + 1, n - k)) if k < n else 1.0
    result.estimate, result.low, result.high = k / n, low, high
    result.method = "exact (Clopper-Pearson) bound on the candidate's rate"
    result.p_noninferior = float(stats.binom.cdf(k, n, limit))
    result.p_inferior = float(stats.binom.sf(k - 1, n, limit))
    result.raw_status = ("GO" if high <= limit else
                         "NO-GO" if low > limit else "INCONCLUSIVE")


def gate_scale(spec: GateSpec, scores: MetricScores) -> Scale:
    """What the gate's interval measures (a metric scored as a ratio is always a ratio)."""
    if spec.kind == "max_rate":
        return "rate"
    if spec.kind == "noise_ratio":
        return "divergence"
    if spec.kind == "ratio_noninferiority" or scores.kind == "ratio":
        return "ratio"
    return "difference"


def evaluate_gate(inp: GateInput) -> GateResult:
    """The raw (pre-multiplicity) result of one gate."""
    spec, scores = inp.spec, inp.scores
    result = GateResult(name=spec.display_name, metric=spec.metric, kind=spec.kind,
                        scale=gate_scale(spec, scores), hard=spec.hard, segment=spec.segment,
                        margin=spec.margin, max=spec.max,
                        status="NOT_APPLICABLE", raw_status="NOT_APPLICABLE", seed=inp.seed,
                        higher_is_better=scores.higher_is_better)
    if spec.kind == "max_rate":
        n = int((~np.isnan(scores.cand) & inp.mask).sum())
    else:
        n = int((scores.paired & inp.mask).sum())
    result.n = n
    if n == 0:
        return result
    if n < inp.min_n:
        if spec.kind in ("noninferiority", "equivalence", "superiority"):
            b, c, _ = paired_values(inp)
            result.baseline, result.candidate = float(b.mean()), float(c.mean())
            result.percent = scores.kind == "binary"
        result.raw_status = result.status = "INCONCLUSIVE"
        result.insufficient_data = True
        result.annotations.append(f"insufficient data: {n} pairs, fewer than {inp.min_n}")
        return result
    {"rate": _max_rate, "divergence": _noise_ratio, "ratio": _ratio,
     "difference": _difference}[result.scale](inp, result)
    result.status = result.raw_status
    return result
