"""swapkit: can we swap the LLM behind our product for another one?

The public API is re-exported here and locked by a test; modules load on first use
so that ``import swapkit`` (and ``swapkit --help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ColumnMapping": "swapkit.logs",
    "ConfigError": "swapkit.errors",
    "LogError": "swapkit.errors",
    "LogLineError": "swapkit.errors",
    "LogSource": "swapkit.logs",
    "LogStats": "swapkit.logstats",
    "Record": "swapkit.records",
    "RecordedResponse": "swapkit.records",
    "Sample": "swapkit.sampling",
    "SampleSpec": "swapkit.sampling",
    "Suite": "swapkit.suite",
    "SwapConfig": "swapkit.config",
    "SwapkitError": "swapkit.errors",
    "TargetConfig": "swapkit.config",
    "UsageError": "swapkit.errors",
    "canonical_json": "swapkit.hashing",
    "check_environment": "swapkit.config",
    "collect_stats": "swapkit.logstats",
    "draw_sample": "swapkit.sampling",
    "load_config": "swapkit.config",
    "read_log": "swapkit.logs",
    "request_hash": "swapkit.hashing",
    "split_reasoning": "swapkit.reasoning",
}

__all__ = [
    "ColumnMapping",
    "ConfigError",
    "LogError",
    "LogLineError",
    "LogSource",
    "LogStats",
    "Record",
    "RecordedResponse",
    "Sample",
    "SampleSpec",
    "Suite",
    "SwapConfig",
    "SwapkitError",
    "TargetConfig",
    "UsageError",
    "__version__",
    "canonical_json",
    "check_environment",
    "collect_stats",
    "draw_sample",
    "load_config",
    "read_log",
    "request_hash",
    "split_reasoning",
]

if TYPE_CHECKING:
    from swapkit.config import SwapConfig, TargetConfig, check_environment, load_config
    from swapkit.errors import ConfigError, LogError, LogLineError, SwapkitError, UsageError
    from swapkit.hashing import canonical_json, request_hash
    from swapkit.logs import ColumnMapping, LogSource, read_log
    from swapkit.logstats import LogStats, collect_stats
    from swapkit.reasoning import split_reasoning
    from swapkit.records import Record, RecordedResponse
    from swapkit.sampling import Sample, SampleSpec, draw_sample
    from swapkit.suite import Suite


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'swapkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
