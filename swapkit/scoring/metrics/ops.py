"""Operational metrics: failure rates by status, latency, time to first token, cost, tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from swapkit.completion import Completion
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData
from swapkit.scoring.metrics.options import NoOptions, parse_options

__all__ = ["RATE_METRICS", "RATIO_METRICS", "RateMetric", "RatioMetric"]


class RateMetric:
    """Share of records whose completion has one of ``statuses`` (lower is better)."""

    kind: Kind = "binary"
    higher_is_better = False

    def __init__(self, name: str, statuses: frozenset[str], description: str) -> None:
        self.name, self.statuses, self.description = name, statuses, description

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Every record replayed on both sides counts; 1 = the status occurred."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        base, cand = np.full(n, np.nan), np.full(n, np.nan)
        missing = 0
        for i in range(n):
            b, c = data.base[i], data.cand[i]
            if b is None or c is None:
                missing += 1
                continue
            base[i] = float(b.status in self.statuses)
            cand[i] = float(c.status in self.statuses)
        zeros = np.zeros(n, dtype=bool)
        excluded = {"not replayed on both sides": missing} if missing else {}
        return MetricScores(self.name, self.kind, False, base, cand, zeros, zeros.copy(),
                            excluded, [None] * n)


RATE_METRICS = [
    RateMetric("error_rate", frozenset({"error", "timeout"}),
               "endpoint errors and timeouts (rate limits are counted apart)"),
    RateMetric("timeout_rate", frozenset({"timeout"}), "requests that timed out"),
    RateMetric("rate_limited_rate", frozenset({"rate_limited"}),
               "requests still rate-limited after retries"),
    RateMetric("truncation_rate", frozenset({"truncated"}),
               "answers cut off (finish_reason length, or inside the reasoning)"),
    RateMetric("empty_rate", frozenset({"empty"}), "empty answers (no text, no tool call)"),
    RateMetric("failure_rate", frozenset({"error", "timeout", "refused", "truncated", "empty"}),
               "any completion that is not ok (rate limits apart)"),
]

Getter = Callable[[Completion], float | None]


def _usage(field: str) -> Getter:
    def get(c: Completion) -> float | None:
        value = getattr(c.usage, field) if c.usage is not None else None
        return None if value is None else float(value)
    return get


class RatioMetric:
    """A lower-is-better quantity compared as candidate/baseline of a statistic (§7)."""

    kind: Kind = "ratio"
    higher_is_better = False

    def __init__(self, name: str, getter: Getter, statistic: str, description: str,
                 ok_only: bool = True) -> None:
        self.name, self.getter, self.statistic = name, getter, statistic
        self.description, self.ok_only = description, ok_only

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Pairs where both sides have the quantity (answered, for latencies)."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        base, cand = np.full(n, np.nan), np.full(n, np.nan)
        excluded = 0
        for i in range(n):
            pair = (data.base[i], data.cand[i])
            if any(c is None or (self.ok_only and c.status != "ok") for c in pair):
                excluded += 1
                continue
            values = [self.getter(c) for c in pair if c is not None]
            if any(v is None or v < 0 for v in values):
                excluded += 1
                continue
            base[i], cand[i] = values
        zeros = np.zeros(n, dtype=bool)
        reason = "not measured on both sides" + (" (failed or timed out)" if self.ok_only else "")
        scores = MetricScores(self.name, self.kind, False, base, cand, zeros, zeros.copy(),
                              {reason: excluded} if excluded else {}, [None] * n,
                              statistic=self.statistic)
        return scores


RATIO_METRICS = [
    RatioMetric("latency_p50", lambda c: c.latency_s, "p50", "median total latency"),
    RatioMetric("latency_p95", lambda c: c.latency_s, "p95", "95th percentile total latency"),
    RatioMetric("ttft_p50", lambda c: c.ttft_s, "p50", "median time to first token (streamed)"),
    RatioMetric("ttft_p95", lambda c: c.ttft_s, "p95", "p95 time to first token (streamed)"),
    RatioMetric("ttfa_p95", lambda c: c.ttfa_s, "p95",
                "p95 time to first answer token, after reasoning (streamed)"),
    RatioMetric("cost", lambda c: c.cost_usd, "total", "total cost of the replayed requests",
                ok_only=False),
    RatioMetric("output_tokens", _usage("completion_tokens"), "mean",
                "completion tokens per request (reasoning included)"),
    RatioMetric("reasoning_tokens", _usage("reasoning_tokens"), "mean",
                "reasoning tokens per request", ok_only=False),
]
