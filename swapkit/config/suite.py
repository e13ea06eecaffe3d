"""Suites: the metrics and gates for a kind of traffic, as data (YAML), never code.

A suite names metrics from the metric registry (``metrics: [json_valid, similarity]``
or ``- exact_match: {normalize: [lower]}``) and gates the candidate must pass. Gate
kinds follow docs/methodology.md §2: ``noninferiority`` (GO if the lower bound of candidate −
baseline is above −margin), ``equivalence``, ``superiority``, ``ratio_noninferiority``
(lower-better quantities: GO if the upper bound of the ratio is at most 1 + margin),
``noise_ratio`` (similarity to the baseline judged against the baseline's own noise,
GO if the upper bound of the excess-divergence ratio is at most ``max``) and
``max_rate`` (the candidate's rate of an event, e.g. errors, at most ``max``).
``swapkit schema suite`` writes the JSON Schema that suite files reference.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_SUITE", "JUDGE_METRICS", "GateKind", "GateSpec", "MetricSpec", "Suite"]

MetricSpec = str | dict[str, dict[str, Any] | None]
# Metrics that need swap.yaml's judge: (a model that reads the answers).
JUDGE_METRICS = ("judge_pairwise", "judge_score", "judge_reference")

GateKind = Literal["noninferiority", "equivalence", "superiority", "ratio_noninferiority",
                   "noise_ratio", "max_rate"]


class GateSpec(BaseModel):
    """A rule the candidate must meet, tested statistically (docs/methodology.md §2)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    metric: str = Field(description="metric name (scored even if not listed under metrics)")
    name: str | None = Field(default=None, description="display name; default: the metric")
    kind: GateKind = Field(default="noninferiority", description="statistical test family")
    margin: float | None = Field(
        default=None, ge=0, le=1_000_000,
        description="NI/equivalence: Δ in metric units (0.02 = 2 points); superiority: the "
                    "gain required (default 0); ratio: m, GO if ratio ≤ 1 + m. Default: "
                    "docs/methodology.md §2.6 by metric family")
    max: float | None = Field(default=None, gt=0, le=1_000_000,
                              description="noise_ratio: largest ratio (default 1.5); "
                                          "max_rate: largest rate, e.g. 0.01")
    hard: bool = Field(default=True, description="hard gates decide; soft gates warn")
    segment: str | None = Field(default=None, description="apply to this segment only")

    @model_validator(mode="after")
    def _needs_max(self) -> GateSpec:
        if self.kind == "max_rate" and self.max is None:
            raise ValueError("kind max_rate needs max (the largest acceptable rate)")
        if self.kind == "max_rate" and self.max is not None and self.max > 1:
            raise ValueError("max of a max_rate gate is a rate: at most 1 (e.g. 0.01)")
        return self

    @property
    def display_name(self) -> str:
        """How reports name the gate."""
        base = self.name or self.metric
        return f"{base}@{self.segment}" if self.segment and not self.name else base


class Suite(BaseModel):
    """A reusable bundle of metrics, gates and segment rules."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str | None = None
    description: str | None = None
    metrics: list[MetricSpec] = Field(default_factory=list)
    extract: str | dict[str, str] | None = Field(
        default=None, description="default extraction for every metric that extracts, e.g. "
        "json, last_number, {json: answer}, {tag: answer}, {regex: PATTERN} (a metric's own "
        "extract: wins)")
    gates: list[GateSpec] = Field(default_factory=list)
    critical_segments: list[str] = Field(
        default_factory=list, description="segments whose regressions are hard gates")
    alpha: float = Field(default=0.05, gt=0, lt=0.5,
                         description="per one-sided claim; 0.025 is the strict profile")
    min_n: int = Field(default=30, ge=1, le=10**9, description="fewer pairs: INCONCLUSIVE")
    min_segment_n: int = Field(default=30, ge=1, le=10**9,
        description="smaller segments: not tested")
    segment_fdr: float = Field(default=0.10, gt=0, lt=1,
                               description="Benjamini-Hochberg q for segment flags")

    @model_validator(mode="after")
    def _metrics_once(self) -> Suite:
        names = [spec if isinstance(spec, str) else next(iter(spec), "")
                 for spec in self.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"metrics: {', '.join(twice)} listed more than once (each metric "
                             "is scored once per run: give it one entry with its options)")
        return self

    def judge_metrics(self) -> list[str]:
        """The judge metrics the suite lists or gates, in order, each once."""
        names = [spec if isinstance(spec, str) else next(iter(spec), "")
                 for spec in self.metrics] + [gate.metric for gate in self.gates]
        return list(dict.fromkeys(n for n in names if n in JUDGE_METRICS))


DEFAULT_SUITE = Suite(
    name="default",
    description="Used when swap.yaml names no suite: agreement with the baseline against its "
                "noise floor, similarity to references where the log has them, failures, "
                "latency and cost.",
    metrics=["similarity", "similarity_to_reference", "refusal", "language_match"],
    gates=[
        GateSpec(metric="similarity", kind="noise_ratio", hard=False),
        GateSpec(metric="similarity_to_reference", kind="noninferiority", margin=0.02),
        GateSpec(metric="failure_rate", kind="noninferiority", margin=0.01),
        GateSpec(metric="refusal", kind="noninferiority", margin=0.02, hard=False),
        GateSpec(metric="language_match", kind="noninferiority", margin=0.02, hard=False),
        GateSpec(metric="latency_p95", kind="ratio_noninferiority", margin=0.2, hard=False),
        GateSpec(metric="cost", kind="ratio_noninferiority", margin=0.1, hard=False),
    ],
)
