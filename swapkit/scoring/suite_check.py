"""Checking a suite beyond its schema: every metric exists and accepts its options."""

from __future__ import annotations

from pathlib import Path

from swapkit.config import Suite, load_suite
from swapkit.errors import ConfigError
from swapkit.scoring.metrics import get_metric
from swapkit.scoring.metrics.base import RunData
from swapkit.scoring.score import suite_specs

__all__ = ["check_suite"]


def check_suite(path: Path) -> Suite:
    """Load, validate and dry-run every metric's options on an empty run."""
    suite = load_suite(path)
    empty = RunData([], [], [], [])
    try:
        specs = suite_specs(suite)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err.message}", hint=err.hint) from None
    for name, options in specs:
        metric = get_metric(name)
        if name.startswith("evaluate:"):
            continue  # loading the module is the check; done when scoring
        try:
            metric.score(empty, options)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err.message}", hint=err.hint) from None
    kinds = {g.metric: g.kind for g in suite.gates}
    for metric_name, kind in kinds.items():
        metric = get_metric(metric_name)
        if kind == "noise_ratio" and metric.kind != "agreement":
            raise ConfigError(f"{path}: gate on {metric_name}: noise_ratio needs an agreement "
                              "metric (similarity)")
        if kind == "ratio_noninferiority" and metric.kind != "ratio":
            raise ConfigError(f"{path}: gate on {metric_name}: ratio_noninferiority needs a "
                              "ratio metric (latency_p95, cost, ...)")
    return suite
