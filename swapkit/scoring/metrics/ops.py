"""Operational metrics: failure rates by status, latency, time to first token, cost, tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from swapkit.completion import MISSING_STATUSES, Completion, outcome
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData
from swapkit.scoring.metrics.options import NoOptions, parse_options

__all__ = ["RATE_METRICS", "RATIO_METRICS", "RateMetric", "RatioMetric"]


class RateMetric:
    """Share of records whose completion has one of ``statuses`` (lower is better)."""

    kind: Kind = "binary"
    higher_is_better = False

    def __init__(self, name: str, statuses: frozenset[str], description: str) -> None:
        self.name, self.statuses, self.description = name, statuses, description

    def _missing(self, completion: Completion | None) -> bool:
        """Missing for this rate: nothing stored, or a missing status it does not count."""
        return completion is None or (completion.status in MISSING_STATUSES
                                      and completion.status not in self.statuses)

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Every record counts on each side where the call ended; 1 = the status occurred."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        arrays = (np.full(n, np.nan), np.full(n, np.nan))
        missing = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        for i in range(n):
            for side, completion in enumerate((data.base[i], data.cand[i])):
                if self._missing(completion):
                    missing[side][i] = True
                elif completion is not None:
                    arrays[side][i] = float(completion.status in self.statuses)
        zeros = np.zeros(n, dtype=bool)
        count = int((missing[0] | missing[1]).sum())
        excluded = {"missing on a side (bounded by the decision)": count} if count else {}
        return MetricScores(self.name, self.kind, False, arrays[0], arrays[1], zeros,
                            zeros.copy(), excluded, [None] * n, missing_base=missing[0],
                            missing_cand=missing[1], applies=np.ones(n, dtype=bool))


RATE_METRICS = [
    RateMetric("error_rate", frozenset({"error", "timeout"}),
               "HTTP errors after retries and timeouts (not truncated or empty answers, not "
               "rate limits)"),
    RateMetric("timeout_rate", frozenset({"timeout"}), "requests that timed out"),
    RateMetric("rate_limited_rate", frozenset({"rate_limited"}),
               "requests still rate-limited after retries"),
    RateMetric("truncation_rate", frozenset({"truncated"}),
               "answers cut off (finish_reason length, or inside the reasoning)"),
    RateMetric("empty_rate", frozenset({"empty"}), "empty answers (no text, no tool call)"),
    RateMetric("failure_rate", frozenset({"error", "timeout", "truncated", "empty"}),
               "answer failures: truncated, empty, error after retries, timeout (a refusal "
               "is an answer; missing calls are bounded by the decision)"),
    RateMetric("unreached_rate", frozenset({"unreached"}),
               "calls that never reached the endpoint (connection refused, DNS)"),
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
                 ok_only: bool = True, unit: str = "") -> None:
        self.name, self.getter, self.statistic = name, getter, statistic
        self.description, self.ok_only = description, ok_only
        self.unit = unit  # how reports print its values: "s", "$" or "tokens"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Pairs where both sides have the quantity (answered, for latencies)."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        base, cand = np.full(n, np.nan), np.full(n, np.nan)
        excluded = 0
        for i in range(n):
            pair = (data.base[i], data.cand[i])
            if any(c is None or (self.ok_only and outcome(c) != "answer") for c in pair):
                excluded += 1
                continue
            values = [self.getter(c) for c in pair if c is not None]
            if any(v is None or v < 0 for v in values):
                excluded += 1
                continue
            base[i], cand[i] = values
        zeros = np.zeros(n, dtype=bool)
        reason = "not answered on both sides" if self.ok_only else "not measured on both sides"
        scores = MetricScores(self.name, self.kind, False, base, cand, zeros, zeros.copy(),
                              {reason: excluded} if excluded else {}, [None] * n,
                              statistic=self.statistic, bounds=None)
        return scores


RATIO_METRICS = [
    RatioMetric("latency_p50", lambda c: c.latency_s, "p50", "median total latency",
                unit="s"),
    RatioMetric("latency_p95", lambda c: c.latency_s, "p95", "95th percentile total latency",
                unit="s"),
    RatioMetric("ttft_p50", lambda c: c.ttft_s, "p50", "median time to first token (streamed)",
                unit="s"),
    RatioMetric("ttft_p95", lambda c: c.ttft_s, "p95", "p95 time to first token (streamed)",
                unit="s"),
    RatioMetric("ttfa_p95", lambda c: c.ttfa_s, "p95",
                "p95 time to first answer token, after reasoning (streamed)", unit="s"),
    RatioMetric("cost", lambda c: c.cost_usd, "total", "total cost of the replayed requests",
                ok_only=False, unit="$"),
    RatioMetric("output_tokens", _usage("completion_tokens"), "mean",
                "completion tokens per request (reasoning included)", unit="tokens"),
    RatioMetric("reasoning_tokens", _usage("reasoning_tokens"), "mean",
                "reasoning tokens per request", ok_only=False, unit="tokens"),
]
