"""The decision as a versioned contract: what ``swapkit gate`` prints and reports render."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "SCHEMA_VERSION",
    "Decision",
    "GateResult",
    "MetricSummary",
    "NoiseFloor",
    "Scale",
    "SegmentResult",
    "SideOperations",
    "Verdict",
]

# 2: a lower-is-better gate's baseline and candidate are on the metric's own scale (an
# error rate is the share of errors), as its reason says; version 1 stored them oriented;
# ``headline`` is new.
SCHEMA_VERSION = "2"
Verdict = Literal["GO", "NO-GO", "INCONCLUSIVE"]
GateStatus = Literal["GO", "NO-GO", "INCONCLUSIVE", "NOT_APPLICABLE"]
# What a gate's estimate and bounds measure: candidate − baseline, candidate / baseline, the
# excess-divergence ratio against the baseline's own noise, or the candidate's own rate.
Scale = Literal["difference", "ratio", "divergence", "rate"]


class GateResult(BaseModel):
    """One gate: its rule, the numbers, the verdict and the sentence that explains it."""

    name: str
    metric: str
    kind: str
    scale: Scale = Field(default="difference", description="what estimate, low and high "
                         "measure: difference, ratio, divergence (noise ratio) or rate")
    insufficient_data: bool = Field(default=False, description="fewer pairs than min_n: "
                                    "INCONCLUSIVE without a test")
    hard: bool
    segment: str | None = None
    margin: float | None = None
    max: float | None = None
    status: GateStatus
    raw_status: GateStatus
    n: int = 0
    baseline: float | None = Field(default=None, description="baseline mean, rate or "
                                   "statistic on the metric's own scale (an error rate is "
                                   "the share of errors, whichever way the gate is oriented)")
    candidate: float | None = None
    estimate: float | None = Field(default=None, description="candidate − baseline (oriented "
                                   "so higher is better), or the ratio for ratio gates")
    low: float | None = Field(default=None, description="one-sided (1−α) lower bound")
    high: float | None = Field(default=None, description="one-sided (1−α) upper bound")
    percent: bool = Field(default=False, description="values are rates (format as %)")
    higher_is_better: bool = True
    method: str = ""
    p_noninferior: float | None = None
    p_inferior: float | None = None
    p_inferior_adjusted: float | None = None
    certifiable_margin: float | None = None
    achievable_margin: float | None = None
    n_needed: int | None = Field(default=None, description="records for 80% power at the "
                                 "observed variability")
    failed_baseline: int = Field(default=0, description="answer failures, scored worst")
    failed_candidate: int = 0
    metric_failures: int = Field(default=0, description="non-finite or out-of-scale scores, "
                                 "scored worst for the side they happened on")
    missing: int = Field(default=0, description="records with a missing answer, counted "
                         "against the claim being made")
    refused: str | None = Field(default=None, description="why the metric's own data forbid "
                                "a verdict (e.g. a judge inconsistent across answer orders)")
    annotations: list[str] = Field(default_factory=list)
    reason: str = ""


class SegmentResult(BaseModel):
    """A gate's difference within one segment, and whether it is flagged (BH)."""

    gate: str
    segment: str
    n: int
    baseline: float | None = Field(default=None, description="mean on the metric's own "
                                   "scale, as the gate's")
    candidate: float | None = None
    estimate: float | None = Field(default=None, description="candidate − baseline, oriented "
                                   "so higher is better")
    low: float | None = None
    high: float | None = None
    p_regressed: float | None = None
    p_adjusted: float | None = None
    flagged: bool = False
    tested: bool = False
    critical: bool = False
    higher_is_better: bool = True
    percent: bool = False
    note: str = ""


class NoiseFloor(BaseModel):
    """The baseline against itself vs the candidate against it (docs/methodology.md §4.3)."""

    n: int = 0
    self_agreement: float | None = Field(default=None, description="mean sim(B1, B2)")
    cross_agreement: float | None = Field(default=None, description="mean ½[sim(C,B1)+sim(C,B2)]")
    ratio: float | None = Field(default=None, description="excess-divergence ratio R")
    ratio_low: float | None = None
    ratio_high: float | None = None
    threshold: float | None = Field(default=None, description="τ: 5th percentile of sim(B1,B2)")
    divergent: int = 0
    divergent_rate: float | None = None
    divergent_rate_low: float | None = None
    divergent_rate_high: float | None = None
    divergent_ids: list[str] = Field(default_factory=list, description="worst first")
    reference_drift: float | None = Field(default=None, description="|mean sim(B1,ref) − "
                                          "mean sim(B2,ref)|")
    note: str = ""


class SideOperations(BaseModel):
    """Failures, latency, cost and tokens of one side."""

    label: str
    requests: int = 0
    retries: int = Field(default=0, description="requests sent again after a failure")
    status: dict[str, int] = Field(default_factory=dict)
    latency_p50: float | None = None
    latency_p95: float | None = None
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    ttfa_p50: float | None = None
    cost_total: float | None = None
    cost_per_request: float | None = None
    cost_per_success: float | None = None
    reasoning_tokens_mean: float | None = None
    reasoning_share: float | None = None
    output_tokens_p95: float | None = None
    simulated: bool = False


class MetricSummary(BaseModel):
    """A metric's per-side means over the pairs it scored."""

    metric: str
    kind: str
    higher_is_better: bool
    n: int
    baseline: float | None = None
    candidate: float | None = None
    failed_baseline: int = 0
    failed_candidate: int = 0
    excluded: dict[str, int] = Field(default_factory=dict)


class Decision(BaseModel):
    """GO / NO-GO / INCONCLUSIVE with every gate, segment and panel behind it."""

    schema_version: str = SCHEMA_VERSION
    verdict: Verdict
    reason: str
    headline: str = Field(default="", description="the verdict in one plain sentence: speed, "
                          "cost, segments held, what blocks it (built from these numbers)")
    blocking: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    alpha: float
    segment_fdr: float = 0.10
    min_segment_n: int = 30
    records: int
    missing: int = Field(default=0, description="records whose answer is missing on a side "
                         "(nothing reached the endpoint, rate limited, or not replayed yet)")
    baseline: str
    candidate: str
    gates: list[GateResult]
    segments: list[SegmentResult] = Field(default_factory=list)
    noise: NoiseFloor = Field(default_factory=NoiseFloor)
    operations: list[SideOperations] = Field(default_factory=list)
    metrics: list[MetricSummary] = Field(default_factory=list)
    run_id: str = ""
    swapkit_version: str = ""
    scipy_version: str = ""
    notes: list[str] = Field(default_factory=list)
