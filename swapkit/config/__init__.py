"""The vocabulary of the files a user writes: ``swap.yaml`` (targets, log, replay limits,
embeddings, reports) and suite files (metrics and gates), with their loaders.

Takes in YAML; gives out validated pydantic models. Imports only :mod:`swapkit.errors`
and :mod:`swapkit.support`; every stage may import it.
"""

from swapkit.config.executor import ExecutorConfig, run_identity
from swapkit.config.load import (
    check_environment,
    format_validation_error,
    load_config,
    load_suite,
    secret_from_env,
    target_headers,
)
from swapkit.config.log import (
    ColumnMapping,
    FieldMapping,
    LogConfig,
    LogFilter,
    LogSource,
    SampleSpec,
)
from swapkit.config.suite import (
    DEFAULT_SUITE,
    JUDGE_METRICS,
    GateKind,
    GateSpec,
    MetricSpec,
    Suite,
)
from swapkit.config.swap import (
    DEFAULT_RUNS_DIR,
    REPORT_FORMATS,
    SIDES,
    EmbeddingsConfig,
    JudgeConfig,
    NoiseConfig,
    Price,
    ReplayConfig,
    ReportConfig,
    Side,
    SwapConfig,
    TargetConfig,
)

__all__ = [
    "DEFAULT_RUNS_DIR",
    "DEFAULT_SUITE",
    "JUDGE_METRICS",
    "REPORT_FORMATS",
    "SIDES",
    "ColumnMapping",
    "EmbeddingsConfig",
    "ExecutorConfig",
    "FieldMapping",
    "GateKind",
    "GateSpec",
    "JudgeConfig",
    "LogConfig",
    "LogFilter",
    "LogSource",
    "MetricSpec",
    "NoiseConfig",
    "Price",
    "ReplayConfig",
    "ReportConfig",
    "SampleSpec",
    "Side",
    "Suite",
    "SwapConfig",
    "TargetConfig",
    "check_environment",
    "format_validation_error",
    "load_config",
    "load_suite",
    "run_identity",
    "secret_from_env",
    "target_headers",
]
