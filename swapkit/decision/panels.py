"""The noise-floor panel (docs/methodology.md §4.3) and the per-side operations panel (§7)."""

from __future__ import annotations

import math
from collections import Counter

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
    ids = np.array([r.id for r in data.records], dtype=object)[mask]
    boot = studentized_log_ratio_bootstrap(1 - c, 1 - a, alpha, seed_of(ids),
                                           floor=NOISE_FLOOR)
    if float(np.mean(1 - a)) < NOISE_FLOOR:
        panel.note = (f"the baseline answered (almost) identically to itself: the ratio is "
                      f"measured against a floor of {NOISE_FLOOR} divergence per record")
    if math.isfinite(boot.estimate):
        panel.ratio = math.exp(boot.estimate)
        panel.ratio_low, panel.ratio_high = math.exp(boot.low), math.exp(boot.high)
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
    panel.divergent_ids = [data.records[positions[divergent][j]].id for j in order[:100]]
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


def _side(label: str, completions: list[Completion | None], simulated: bool) -> SideOperations:
    done = [c for c in completions if c is not None]
    ok = [c for c in done if c.status == "ok"]
    costs = [c.cost_usd for c in done if c.cost_usd is not None]
    reasoning = [c.usage.reasoning_tokens or 0 for c in done if c.usage is not None]
    output = [c.usage.completion_tokens for c in done
              if c.usage is not None and c.usage.completion_tokens is not None]
    panel = SideOperations(label=label, requests=len(done), simulated=simulated,
                           retries=sum(max(0, c.attempts - 1) for c in done),
                           status=dict(Counter(c.status for c in done).most_common()))
    panel.latency_p50 = _quantile([c.latency_s for c in ok if c.latency_s is not None], 0.5)
    panel.latency_p95 = _quantile([c.latency_s for c in ok if c.latency_s is not None], 0.95)
    panel.ttft_p50 = _quantile([c.ttft_s for c in ok if c.ttft_s is not None], 0.5)
    panel.ttft_p95 = _quantile([c.ttft_s for c in ok if c.ttft_s is not None], 0.95)
    panel.ttfa_p50 = _quantile([c.ttfa_s for c in ok if c.ttfa_s is not None], 0.5)
    if costs:
        panel.cost_total = float(sum(costs))
        panel.cost_per_request = panel.cost_total / len(costs)
        panel.cost_per_success = panel.cost_total / len(ok) if ok else None
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
