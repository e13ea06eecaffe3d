"""The log part of ``swap.yaml``: where the prompt log is, how to read it, which of its
calls to replay (``log.filter``) and how to sample them.

These are the types every stage shares about a log; the readers that use them live in
:mod:`swapkit.ingest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_serializer,
    model_validator,
)

from swapkit.config.fields import FieldMapping, merge_mapping
from swapkit.errors import ConfigError

__all__ = ["ColumnMapping", "FieldMapping", "LogConfig", "LogFilter", "LogSource", "SampleSpec",
           "TimeBound", "relative_span"]

_RELATIVE = re.compile(r"\s*(\d{1,6})\s*([mhdw])\s*", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# The keys log.sample still accepts (the first filter swapkit had) and folds into log.filter.
SAMPLE_ALIASES = ("segments", "where", "since", "until")


def relative_span(bound: datetime | str) -> timedelta | None:
    """How far back from the log's latest timestamp a relative bound (``7d``) reaches;
    None for an absolute time."""
    if isinstance(bound, datetime):
        return None
    match = _RELATIVE.fullmatch(bound)
    if match is None:  # only a validated bound gets here
        raise ValueError(f"{bound!r} is not a relative time")
    return timedelta(**{_UNITS[match[2].lower()]: int(match[1])})


def _time_bound(value: Any) -> Any:
    """An ISO 8601 time (a zone-less one is UTC; a date is its midnight) or ``7d``."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):  # YAML reads an unquoted 2026-11-24 as a date
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        match = _RELATIVE.fullmatch(value)
        if match:
            return f"{int(match[1])}{match[2].lower()}"
        try:
            return _time_bound(datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValueError(
        f"{value!r} is not a time: give an ISO 8601 date or time (2026-11-24, "
        "2026-11-24T09:00:00+01:00; UTC when no zone is given) or a span back from the log's "
        "latest timestamp (30m, 24h, 7d, 2w)"
    )


# A time bound as written: an aware datetime, or a relative span such as "7d".
TimeBound = Annotated[datetime | str, BeforeValidator(_time_bound), WithJsonSchema({"anyOf": [
    {"type": "string", "format": "date-time"}, {"type": "string", "format": "date"},
    {"type": "string", "pattern": r"^\s*\d{1,6}\s*[mhdwMHDW]\s*$"}]})]


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
    segments: list[str] | None = Field(default=None,
        description="alias of log.filter.segments")
    where: dict[str, Any] = Field(default_factory=dict, description="alias of log.filter.where")
    since: TimeBound | None = Field(default=None, description="alias of log.filter.since")
    until: TimeBound | None = Field(default=None, description="alias of log.filter.until")

    def as_filter(self) -> LogFilter:
        """The filter its alias keys (``segments``, ``where``, ``since``, ``until``) ask for."""
        return LogFilter.model_validate({key: getattr(self, key) for key in SAMPLE_ALIASES
                                         if _given(getattr(self, key))})


def _given(value: Any) -> bool:
    """A filter key holds a condition (its default, None or an empty mapping, holds none)."""
    return value is not None and value != {}


def _one_or_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Patterns = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_one_or_list),
                     Field(min_length=1),
                     WithJsonSchema({"anyOf": [{"type": "string"}, {
                         "type": "array", "items": {"type": "string"}, "minItems": 1}]})]


class LogFilter(BaseModel):
    """Which logged calls to replay (``log.filter`` in swap.yaml); applied before sampling.

    A record is kept when it passes every condition given; one without the field a
    condition reads is dropped. Patterns are shell-style globs (``deepseek-r1*``).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: Patterns | None = Field(default=None,
        description="model name patterns, case-insensitive: the model that answered "
        "(response.model), else the one asked for (request.model)")
    name: Patterns | None = Field(default=None,
        description="span / observation / run name patterns, case-insensitive "
        "(metadata.span_name, which every trace reader sets)")
    where: dict[str, Any] = Field(default_factory=dict,
        description="dotted path → accepted value or list of them; strings may be globs, "
        "e.g. metadata.locale: en*")
    since: TimeBound | None = Field(default=None,
        description="keep calls at or after: ISO 8601 (UTC when no zone), or 7d / 24h back "
        "from the log's latest timestamp")
    until: TimeBound | None = Field(default=None,
        description="keep calls before: ISO 8601, or a span back from the log's latest "
        "timestamp")
    segments: list[str] | None = Field(default=None, description="keep only these segments")

    def is_set(self) -> bool:
        """True when any condition is given."""
        return any(_given(value) for _, value in self)

    def relative(self) -> bool:
        """True when a time bound counts back from the log's latest timestamp."""
        return any(b is not None and relative_span(b) is not None
                   for b in (self.since, self.until))


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
    filter: LogFilter = Field(default_factory=LogFilter,
        description="which calls to replay: by model, name, metadata value, time, segment")
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

    @model_validator(mode="after")
    def _one_place_per_condition(self) -> LogConfig:
        for key in SAMPLE_ALIASES:
            if _given(getattr(self.sample, key)) and _given(getattr(self.filter, key)):
                raise ValueError(
                    f"log.filter.{key} and log.sample.{key} are both given: log.sample.{key} "
                    f"is an older name of log.filter.{key}; keep only log.filter.{key}")
        return self

    def selection(self) -> LogFilter:
        """The filter in force: ``log.filter`` with the ``log.sample`` aliases folded in."""
        aliases = self.sample.as_filter()
        return self.filter.model_copy(update={k: v for k, v in aliases if _given(v)})

    def with_filter(self, update: dict[str, Any]) -> LogConfig:
        """This config with the filter keys in ``update`` (command-line flags) replacing the
        config's own; ``where`` paths replace paths one by one. The ``log.sample`` aliases
        are folded into ``log.filter`` first."""
        if not update:
            return self
        current = self.selection()
        merged = {key: value for key, value in current if _given(value)}
        merged.update({k: v for k, v in update.items() if k != "where"})
        if update.get("where"):
            merged["where"] = {**current.where, **update["where"]}
        sample = self.sample.model_dump(exclude=set(SAMPLE_ALIASES))
        return self.model_copy(update={"filter": LogFilter.model_validate(merged),
                                       "sample": SampleSpec.model_validate(sample)})

    def source(self) -> LogSource:
        """The reader's view of this config."""
        return LogSource(
            path=self.path, format=self.format, output=self.output,
            fields=merge_mapping(self.fields, self.columns, self.segment),
            split=self.split, skip_invalid=self.skip_invalid,
        )
