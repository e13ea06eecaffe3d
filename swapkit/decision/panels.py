"""The noise-floor panel (docs/methodology.md §4.3) and the per-side operations panel (§7)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy import stats

from swapkit.completion import Completion
from swapkit.decision.gates import NOISE_FLOOR
from swapkit.decision.model import NoiseFloor, SideOperations
from swapkit.decision.pairs import seed_of
from swapkit.decision.stats.bootstrap import studentized_log_ratio_bootstrap
from swapkit.scoring.metrics.base import MetricScores, RunData

__all__ = ["noise_floor", "operations"]

EXPECTED_DIVERGENT = 0.05


def noise_floor(data: RunData, similarity: MetricScores | None,
                to_reference: MetricScores | None, alpha: float) -> NoiseFloor:
    """Self-agreement of the baseline against the candidate's agreement with it (records
    where the candidate answered; the noise gate bounds the others)."""
    panel = NoiseFloor()
    if similarity is None:
        panel.note = "similarity was not scored"
        return panel
    cross = similarity.extra.get("cand_vs_noise")
    mask = similarity.paired
    if not mask.any():
        panel.note = ("no record has a second baseline sample: the noise floor needs an "
                      "endpoint baseline and noise.enabled (a recorded baseline cannot be "
                      "sampled again)")
        return panel
    a = similarity.base[mask]
    c = similarity.cand[mask]
    if cross is not None:
        other = cross[mask]
        c = np.where(np.isnan(other), c, (c + other) / 2)
    panel.n = int(mask.sum())
    panel.self_agreement, panel.cross_agreement = float(a.mean()), float(c.mean())
    all_ids = np.array(data.record_field("id"), dtype=object)
    ids = all_ids[mask]
    boot = studentized_log_ratio_bootstrap(1 - c, 1 - a, alpha, seed_of(ids),
                                           floor=NOISE_FLOOR)
    if float(np.mean(1 - a)) < NOISE_FLOOR:
        panel.note = (f"the baseline answered (almost) identically to itself: the ratio is "
                      f"measured against a floor of {NOISE_FLOOR} divergence per record")
    if math.isfinite(boot.estimate):
        # A tiny noise subset can give a bootstrap bound of log-ratio in the millions:
        # its exponential is "unbounded", not an overflow that ends the decision.
        panel.ratio, panel.ratio_low, panel.ratio_high = (
            _exp(boot.estimate), _exp(boot.low), _exp(boot.high))
    tau = float(np.percentile(a, 5))
    panel.threshold = tau
    divergent = c < tau
    k, n = int(divergent.sum()), int(divergent.size)
    panel.divergent, panel.divergent_rate = k, k / n
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=1 - 2 * alpha,
                                                   method="wilson")
    panel.divergent_rate_low, panel.divergent_rate_high = interval.low, interval.high
    positions = np.flatnonzero(mask)
    excess = c - a
    order = np.argsort(excess[divergent])
    panel.divergent_ids = [all_ids[positions[divergent][j]] for j in order[:100]]
    if to_reference is not None:
        drift_source = to_reference.extra.get("noise_vs_reference")
        if drift_source is not None:
            both = to_reference.paired & ~np.isnan(drift_source)
            if both.any():
                panel.reference_drift = float(abs(to_reference.base[both].mean()
                                                  - drift_source[both].mean()))
    return panel


def _quantile(values: list[float], q: float) -> float | None:
    return float(np.quantile(values, q)) if values else None


def _side(label: str, completions: Iterable[Completion | None], simulated: bool
          ) -> SideOperations:
    # One pass, keeping only the numbers (a large run never holds its completions at once).
    requests = retries = ok = 0
    statuses: Counter[str] = Counter()
    latency: list[float] = []
    ttft: list[float] = []
    ttfa: list[float] = []
    costs: list[float] = []
    reasoning: list[int] = []
    output: list[int] = []
    for c in completions:
        if c is None:
            continue
        requests += 1
        retries += max(0, c.attempts - 1)
        statuses[c.status] += 1
        if c.status == "ok":
            ok += 1
            if c.latency_s is not None:
                latency.append(c.latency_s)
            if c.ttft_s is not None:
                ttft.append(c.ttft_s)
            if c.ttfa_s is not None:
                ttfa.append(c.ttfa_s)
        if c.cost_usd is not None:
            costs.append(c.cost_usd)
        if c.usage is not None:
            reasoning.append(c.usage.reasoning_tokens or 0)
            if c.usage.completion_tokens is not None:
                output.append(c.usage.completion_tokens)
    panel = SideOperations(label=label, requests=requests, simulated=simulated,
                           retries=retries, status=dict(statuses.most_common()))
    panel.latency_p50 = _quantile(latency, 0.5)
    panel.latency_p95 = _quantile(latency, 0.95)
    panel.ttft_p50 = _quantile(ttft, 0.5)
    panel.ttft_p95 = _quantile(ttft, 0.95)
    panel.ttfa_p50 = _quantile(ttfa, 0.5)
    if costs:
        panel.cost_total = float(sum(costs))
        panel.cost_per_request = panel.cost_total / len(costs)
        panel.cost_per_success = panel.cost_total / ok if ok else None
    if reasoning:
        panel.reasoning_tokens_mean = float(np.mean(reasoning))
        total_output = sum(output)
        panel.reasoning_share = sum(reasoning) / total_output if total_output else None
    panel.output_tokens_p95 = _quantile([float(v) for v in output], 0.95)
    return panel


def operations(data: RunData, simulated: dict[str, bool]) -> list[SideOperations]:
    """Failures, latency, cost and tokens of both sides (sample 0)."""
    return [_side(data.base_label, data.base, simulated.get("baseline", False)),
            _side(data.cand_label, data.cand, simulated.get("candidate", False))]


def _exp(log_value: float) -> float:
    """e ** ``log_value``, infinite past what a float holds (and for an infinite bound)."""
    return math.exp(log_value) if log_value < 700 else math.inf
