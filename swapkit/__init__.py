"""swapkit: can we swap the LLM behind our product for another one?

The public API: load a migration config, run it whole (:func:`run_migration`) or stage by
stage (:func:`read_log` → :func:`draw_sample` → :func:`replay_run` → :func:`score_run` →
:func:`decide_run` → :func:`build_reports`; :func:`sample_log` draws a config's sample with its
``log.filter``, as every stage does), read the :class:`Decision`, and catch the
:class:`SwapkitError` tree. Everything else may change between versions.

Names load on first use, so that ``import swapkit`` and ``swapkit --help`` stay fast.
``_API`` is the one list (module → names); the ``TYPE_CHECKING`` block repeats it only for
type checkers, and a test keeps the two identical.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from swapkit.support.version import __version__ as __version__

_API: dict[str, tuple[str, ...]] = {
    "swapkit.config": ("SwapConfig", "TargetConfig", "Suite", "GateSpec", "LogSource",
                       "ColumnMapping", "LogFilter", "SampleSpec", "load_config", "load_suite",
                       "check_environment"),
    "swapkit.errors": ("SwapkitError", "UsageError", "ConfigError", "LogError", "LogLineError",
                       "RuntimeFailure"),
    "swapkit.records": ("Record", "RecordedResponse", "split_reasoning"),
    "swapkit.completion": ("Completion",),
    "swapkit.support.hashing": ("request_hash",),
    "swapkit.ingest.formats": ("read_log",),
    "swapkit.ingest.sampling": ("Sample", "draw_sample", "sample_log"),
    "swapkit.ingest.logstats": ("LogStats", "collect_stats"),
    "swapkit.replay.engine": ("ReplayOptions", "ReplaySummary", "replay_run"),
    "swapkit.scoring.score": ("score_run",),
    "swapkit.decision.decide": ("decide_run",),
    "swapkit.decision.model": ("Decision", "GateResult"),
    "swapkit.report": ("build_reports",),
    "swapkit.plan": ("Plan", "plan_migration"),
    "swapkit.pipeline": ("RunOptions", "RunResult", "exit_code", "run_migration"),
    "swapkit.sim": ("start_simulator",),
    "swapkit.demo": ("DEMO_CONFIG", "DEMO_LOG"),
}
_MODULE_OF = {name: module for module, names in _API.items() for name in names}

__all__ = sorted(["__version__", *_MODULE_OF], key=str.casefold)

if TYPE_CHECKING:
    from swapkit.completion import Completion as Completion
    from swapkit.config import ColumnMapping as ColumnMapping
    from swapkit.config import GateSpec as GateSpec
    from swapkit.config import LogFilter as LogFilter
    from swapkit.config import LogSource as LogSource
    from swapkit.config import SampleSpec as SampleSpec
    from swapkit.config import Suite as Suite
    from swapkit.config import SwapConfig as SwapConfig
    from swapkit.config import TargetConfig as TargetConfig
    from swapkit.config import check_environment as check_environment
    from swapkit.config import load_config as load_config
    from swapkit.config import load_suite as load_suite
    from swapkit.decision.decide import decide_run as decide_run
    from swapkit.decision.model import Decision as Decision
    from swapkit.decision.model import GateResult as GateResult
    from swapkit.demo import DEMO_CONFIG as DEMO_CONFIG
    from swapkit.demo import DEMO_LOG as DEMO_LOG
    from swapkit.errors import ConfigError as ConfigError
    from swapkit.errors import LogError as LogError
    from swapkit.errors import LogLineError as LogLineError
    from swapkit.errors import RuntimeFailure as RuntimeFailure
    from swapkit.errors import SwapkitError as SwapkitError
    from swapkit.errors import UsageError as UsageError
    from swapkit.ingest.formats import read_log as read_log
    from swapkit.ingest.logstats import LogStats as LogStats
    from swapkit.ingest.logstats import collect_stats as collect_stats
    from swapkit.ingest.sampling import Sample as Sample
    from swapkit.ingest.sampling import draw_sample as draw_sample
    from swapkit.ingest.sampling import sample_log as sample_log
    from swapkit.pipeline import RunOptions as RunOptions
    from swapkit.pipeline import RunResult as RunResult
    from swapkit.pipeline import exit_code as exit_code
    from swapkit.pipeline import run_migration as run_migration
    from swapkit.plan import Plan as Plan
    from swapkit.plan import plan_migration as plan_migration
    from swapkit.records import Record as Record
    from swapkit.records import RecordedResponse as RecordedResponse
    from swapkit.records import split_reasoning as split_reasoning
    from swapkit.replay.engine import ReplayOptions as ReplayOptions
    from swapkit.replay.engine import ReplaySummary as ReplaySummary
    from swapkit.replay.engine import replay_run as replay_run
    from swapkit.report import build_reports as build_reports
    from swapkit.scoring.score import score_run as score_run
    from swapkit.sim import start_simulator as start_simulator
    from swapkit.support.hashing import request_hash as request_hash


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'swapkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
