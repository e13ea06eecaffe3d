"""Per-record metrics scored on a Ray cluster (``executor: ray``), a range of records per
task, the arrays put back together on the driver.

Only metrics whose score of a record depends on that record's request and answers alone
go to the cluster (:data:`PER_RECORD`; a test scores each whole and in ranges and
compares). The others stay on the driver: similarity (its vectors come from Ray Data),
the judge metrics (the judge's calls ran on the cluster already), human_review (the plan).
A metric whose ranges bring back notes, a refusal or per-range extras is scored again on
the driver: a note counted over one range is not the run's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from swapkit.scoring.metrics import MetricScores, RunData, get_metric

__all__ = ["PER_RECORD", "SLICE", "STALL_S", "merge_scores", "score_on_ray", "score_range"]

PER_RECORD = frozenset({
    "exact_match", "bleu", "contains", "regex", "refusal", "language_match", "rouge_l",
    "chrf", "answer_match", "json_valid", "json_schema_valid", "json_field_match",
    "label_match", "tool_call_match", "failure_rate", "error_rate", "timeout_rate",
    "rate_limited_rate", "unreached_rate", "empty_rate", "truncation_rate", "output_tokens",
    "reasoning_tokens", "cost", "latency_p50", "latency_p95", "ttft_p50", "ttft_p95",
    "ttfa_p95",
})
SLICE = 20_000  # records a Ray task scores
STALL_S = 300.0  # no range scored for this long (a cluster busy elsewhere): score here


def score_range(part: RunData, specs: list[tuple[str, dict[str, Any]]]
                ) -> dict[str, MetricScores]:
    """Every metric of ``specs`` over one range of the run (what a Ray task runs)."""
    return {name: get_metric(name).score(part, options) for name, options in specs}


def merge_scores(parts: list[MetricScores]) -> MetricScores | None:
    """The ranges' scores as the run's, in order; None when a range said more than its
    arrays (notes, a refusal, gate notes, extras): then only the whole run can say it."""
    first = parts[0]
    if any(p.notes or p.gate_notes or p.refuse or p.extra for p in parts) or any(
            (p.kind, p.higher_is_better, p.statistic, p.bounds) != (
                first.kind, first.higher_is_better, first.statistic, first.bounds)
            for p in parts):
        return None
    excluded: Counter[str] = Counter()
    for part in parts:
        excluded.update(part.excluded)

    def joined(get: Any) -> np.ndarray:
        return np.concatenate([get(p) for p in parts])

    return MetricScores(
        first.metric, first.kind, first.higher_is_better, joined(lambda p: p.base),
        joined(lambda p: p.cand), joined(lambda p: p.failed_base),
        joined(lambda p: p.failed_cand), dict(excluded),
        [d for p in parts for d in p.details], first.statistic, bounds=first.bounds,
        missing_base=joined(lambda p: p.missing("baseline")),
        missing_cand=joined(lambda p: p.missing("candidate")),
        applies=joined(lambda p: p.applies_mask()))


def score_on_ray(ray: Any, data: RunData, specs: list[tuple[str, dict[str, Any]]]
                 ) -> dict[str, MetricScores]:
    """The :data:`PER_RECORD` metrics of ``specs`` scored on the cluster, ``SLICE``
    records a task, as many tasks at once as the cluster has CPUs (the driver holds that
    many ranges, not the run). Nothing (the driver scores) when the cluster has no CPU or
    runs none of the tasks for ``STALL_S``."""
    wanted = [(name, options) for name, options in specs if name in PER_RECORD]
    cpus = int(ray.cluster_resources().get("CPU", 0))
    if not wanted or not len(data) or cpus < 1:
        return {}
    task = ray.remote(score_range)
    running: dict[Any, int] = {}
    results: dict[int, dict[str, MetricScores]] = {}
    try:
        for start in range(0, len(data), SLICE):
            stop = min(len(data), start + SLICE)
            part = RunData(data.records[start:stop], data.base[start:stop],
                           data.cand[start:stop], data.noise[start:stop], data.base_label,
                           data.cand_label)
            running[task.remote(part, wanted)] = start
            while len(running) >= cpus:
                results.update(_collected(ray, running))
        while running:
            results.update(_collected(ray, running))
    except TimeoutError:
        return {}
    finally:
        for ref in running:  # a failed or stalled range: the others are not waited for
            ray.cancel(ref)
    ordered = [results[start] for start in sorted(results)]
    merged = {name: merge_scores([r[name] for r in ordered]) for name, _ in wanted}
    return {name: scores for name, scores in merged.items() if scores is not None}


def _collected(ray: Any, running: dict[Any, int]) -> dict[int, dict[str, MetricScores]]:
    """Wait for one task at least (TimeoutError after ``STALL_S`` without any); its
    range's start → its scores."""
    ready, _ = ray.wait(list(running), num_returns=1, timeout=STALL_S)
    if not ready:
        raise TimeoutError
    return {running.pop(ref): ray.get(ref) for ref in ready}
