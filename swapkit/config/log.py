"""The log part of ``swap.yaml``: where the prompt log is, how to read it, how to sample it.

These are the types every stage shares about a log; the readers that use them live in
:mod:`swapkit.ingest`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, model_validator

from swapkit.config.fields import FieldMapping, merge_mapping
from swapkit.errors import ConfigError

__all__ = ["ColumnMapping", "FieldMapping", "LogConfig", "LogSource", "SampleSpec"]


class ColumnMapping(BaseModel):
    """Which column of a table (CSV, Parquet, HF dataset) holds which part of a record:
    the older spelling of :class:`FieldMapping` (``log.fields``), whose roles these keys
    set (``conversation_id`` sets ``conversation``); the defaults shown are the ones every
    table and custom log falls back to.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: str | None = "prompt"
    system: str | None = "system"
    request: str | None = "request"
    response: str | None = "response"
    reference: str | None = "reference"
    segment: str | None = "segment"
    id: str | None = "id"
    conversation_id: str | None = "conversation_id"
    timestamp: str | None = "timestamp"
    metadata: list[str] | None = None


@dataclass
class LogSource:
    """Where a log is and how to read it."""

    path: Path
    format: str = "auto"
    output: Path | None = None  # a batch output (results) file, joined by custom_id
    columns: ColumnMapping = field(default_factory=ColumnMapping)  # older spelling of fields
    fields: FieldMapping = field(default_factory=FieldMapping)
    split: str | None = None  # Hugging Face datasets split
    segment_field: str | None = None  # dotted path into the record, e.g. metadata.route
    skip_invalid: bool = False
    # Read only bytes [start, end) whose first line is number first_line (parallel readers).
    span: tuple[int, int, int] | None = None

    def mapping(self) -> FieldMapping:
        """``fields`` with ``columns`` and ``segment_field`` folded in (ConfigError when a
        role is given twice)."""
        return merge_mapping(self.fields, self.columns, self.segment_field)


class SampleSpec(BaseModel):
    """How to sample a log (``log.sample`` in swap.yaml)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    n: int | None = Field(default=None, ge=1, le=10**10,
        description="records to replay; all if unset")
    seed: int = Field(default=0, description="seed of the sample and of the replay order")
    stratify: bool = Field(default=True, description="allocate n across segments by size")
    min_per_segment: int = Field(default=0, ge=0, le=10**10,
        description="floor per segment when sampling")
    dedupe: bool = Field(default=True, description="drop records whose request repeats")
    segments: list[str] | None = Field(default=None, description="keep only these segments")
    where: dict[str, Any] = Field(
        default_factory=dict,
        description="dotted path → value (or list of accepted values), e.g. metadata.locale: en",
    )
    since: datetime | None = Field(default=None, description="keep records at or after")
    until: datetime | None = Field(default=None, description="keep records before")


class LogConfig(BaseModel):
    """Where the prompt log is and how to read and sample it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    path: Path = Field(description="the log file or dataset folder, relative to swap.yaml")
    format: str = Field(default="auto", description="a log format name, or auto to sniff")
    output: Path | None = Field(
        default=None, description="batch output file to join by custom_id (OpenAI Batch "
        "output, Anthropic Message Batches results)")
    fields: FieldMapping = Field(
        default_factory=FieldMapping,
        description="paths to the parts of a record in a custom JSONL or table log",
    )
    columns: ColumnMapping = Field(default_factory=ColumnMapping,
                                   description="table columns (older spelling of fields)")
    split: str | None = Field(default=None, description="Hugging Face dataset split")
    segment: str | None = Field(
        default=None, description="dotted path of the segment, e.g. metadata.route "
        "(older spelling of fields.segment)"
    )
    skip_invalid: bool = Field(default=False, description="count malformed lines, don't fail")
    sample: SampleSpec = Field(default_factory=SampleSpec)

    @field_serializer("fields", "columns")
    def _only_given(self, mapping: BaseModel) -> dict[str, Any]:
        # Only the roles given: an unset role falls back to its default, a null one does not,
        # so a stored config must read back the same.
        return mapping.model_dump(exclude_unset=True)

    @model_validator(mode="after")
    def _one_mapping(self) -> LogConfig:
        try:
            merge_mapping(self.fields, self.columns, self.segment)
        except ConfigError as err:
            raise ValueError(f"{err.message}: {err.hint}") from None
        return self

    def source(self) -> LogSource:
        """The reader's view of this config."""
        return LogSource(
            path=self.path, format=self.format, output=self.output,
            fields=merge_mapping(self.fields, self.columns, self.segment),
            split=self.split, skip_invalid=self.skip_invalid,
        )
