"""Metrics: a registry by name (built-ins and plugins), and specs as suites write them.

A suite names metrics as ``json_valid`` or ``{exact_match: {normalize: [lower]}}``;
``evaluate:PATH`` loads any Hugging Face evaluate module. May import the vocabulary and
support only (the embeddings come in through ``RunData``).
"""

from __future__ import annotations

import functools
from typing import Any

from swapkit.errors import ConfigError
from swapkit.scoring.metrics.base import Metric, MetricScores, RunData
from swapkit.support.registry import Registry, from_hook

__all__ = ["Metric", "MetricScores", "RunData", "get_metric", "metric_registry", "parse_spec"]

@functools.cache
def metric_registry() -> Registry[Metric]:
    """The registry of metrics (built-ins and plugins), filled on first use."""
    return from_hook("metric", "register_metrics", ConfigError)


def get_metric(name: str) -> Metric:
    """The metric called ``name`` (``evaluate:PATH`` builds an evaluate adapter)."""
    from swapkit.scoring.metrics.overlap import EVALUATE_PREFIX, EvaluateMetric

    if name.startswith(EVALUATE_PREFIX):
        where = name[len(EVALUATE_PREFIX):]
        return EvaluateMetric(name, where, f"evaluate module {where}")
    return metric_registry().get(name)


def parse_spec(spec: str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``name`` or ``{name: {options}}`` → (name, options)."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, dict) and len(spec) == 1:
        name, options = next(iter(spec.items()))
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise ConfigError(f"metric {name}: options must be a mapping, got {options!r}")
        return str(name), options
    raise ConfigError(f"metric spec {spec!r}: write a name or {{name: {{options}}}}")
