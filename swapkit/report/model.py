"""The report as a versioned contract: the JSON report is exactly this model.

``schema_version`` changes whenever a field changes meaning or disappears; the JSON
Schema is committed as ``swapkit/schemas/report.schema.json`` and tests fail on drift.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from swapkit.decision.model import Decision

__all__ = ["REPORT_SCHEMA_VERSION", "RecordRow", "ReportData", "SideAnswer", "TargetInfo"]

REPORT_SCHEMA_VERSION = "2"  # 2: the decision's schema 2


class TargetInfo(BaseModel):
    """A side of the comparison as the report shows it: never a key, only public facts."""

    side: str
    label: str
    kind: str = Field(description="endpoint or recorded")
    model: str | None = None
    host: str | None = Field(default=None, description="endpoint host (scheme://host:port)")
    params: dict[str, Any] = Field(default_factory=dict)
    simulated: bool = False
    price_version: str | None = None


class SideAnswer(BaseModel):
    """One side's answer to a record (texts cut at the report's length limit)."""

    status: str | None = None
    answer: str = ""
    reasoning: str | None = None
    tool_calls: list[dict[str, str]] = Field(default_factory=list)
    error: str | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    cost_usd: float | None = None
    cut: bool = Field(default=False, description="a text was longer than the limit and cut")


class RecordRow(BaseModel):
    """One record in the explorer."""

    id: str
    position: int
    segment: str | None = None
    conversation_id: str | None = None
    prompt: str = Field(description="the last user turn")
    conversation: list[dict[str, str]] = Field(default_factory=list,
                                               description="every turn: role and text")
    reference: str | None = None
    baseline: SideAnswer
    candidate: SideAnswer
    scores: dict[str, list[float | None]] = Field(default_factory=dict,
                                                  description="metric → [baseline, candidate]")
    details: dict[str, str] = Field(default_factory=dict, description="metric → what differs")
    flags: list[str] = Field(default_factory=list)
    regression: float = Field(default=0.0, description="sum of the per-metric drops")
    blocking: float = Field(default=0.0, description="sum of the drops on the metrics of the "
                            "gates blocking the verdict (the explorer's first sort key)")
    diff: list[list[str]] = Field(default_factory=list,
                                  description="word diff baseline → candidate: [op, text], "
                                              "op is = (both), - (baseline), + (candidate)")
    json_diff: list[list[str]] | None = Field(default=None,
                                              description="[field, baseline, candidate]")


class ReportData(BaseModel):
    """Everything the HTML, Markdown, JSON and JUnit reports show."""

    schema_version: str = REPORT_SCHEMA_VERSION
    name: str
    generated_at: str
    swapkit_version: str
    run_id: str
    log_source: str
    records_total: int
    records_shown: int
    omitted: str = ""
    targets: list[TargetInfo]
    decision: Decision
    records: list[RecordRow]
    html_report: str | None = Field(default=None, description="path of the HTML report")
