"""Suites: the metrics and gates for a kind of traffic, as data (YAML), never code.

A suite names metrics from the metric registry (``metrics: [json_valid, similarity]``
or ``- rouge_l: {on: reference}``) and gates that the candidate must pass. The
statistical meaning of each gate kind is STATS.md's; the decision layer evaluates
them. ``swapkit schema suite`` writes the JSON Schema that suite files reference.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GateSpec", "MetricSpec", "Suite"]

MetricSpec = str | dict[str, dict[str, Any]]

GateKind = Literal["non_inferiority", "equivalence", "ratio", "max_rate", "noise_ratio"]


class GateSpec(BaseModel):
    """A rule the candidate must meet, tested statistically (STATS.md §2)."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="metric name, as listed under metrics")
    kind: GateKind = Field(default="non_inferiority", description="statistical test family")
    margin: float | None = Field(
        default=None, ge=0, description="non-inferiority / equivalence margin Δ (metric units)"
    )
    max: float | None = Field(
        default=None, gt=0, description="upper bound: ratio (e.g. 1.2) or rate (e.g. 0.01)"
    )
    hard: bool = Field(default=True, description="hard gates decide GO/NO-GO; soft ones warn")
    segment: str | None = Field(default=None, description="apply to this segment only")
    name: str | None = Field(default=None, description="display name; defaults to the metric")


class Suite(BaseModel):
    """A reusable bundle of metrics, gates and segment rules."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    metrics: list[MetricSpec] = Field(default_factory=list)
    gates: list[GateSpec] = Field(default_factory=list)
    critical_segments: list[str] = Field(
        default_factory=list, description="segments whose regressions are hard gates"
    )
