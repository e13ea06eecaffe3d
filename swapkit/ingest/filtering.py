"""Which logged calls to replay: ``log.filter`` applied to records, one reason per drop.

A record is kept when it passes every condition given. The conditions are checked in a
fixed order (model, name, segments, where, time) and a dropped record is counted under the
first one it fails, so the counts by reason add up to the records filtered out. A record
that lacks the field a condition reads is dropped too, under its own reason ("no model").

A relative time bound (``since: 7d``) counts back from the latest timestamp in the log,
not from the clock: the same log selects the same calls whenever and wherever it is
replayed, planned or inspected. Resolving one costs a first pass over the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from swapkit.config import LogFilter, LogSource
from swapkit.config.log import relative_span
from swapkit.errors import ConfigError
from swapkit.ingest.formats import read_log
from swapkit.ingest.formats.base import resolve_path
from swapkit.records import Record
from swapkit.support.numbers import fmt_count

__all__ = ["NAME_KEY", "NO_SEGMENT", "RecordFilter", "describe_drops", "filter_for_log",
           "latest_timestamp", "recorded_model"]

NO_SEGMENT = "(none)"
# Where every trace reader (OpenTelemetry, OpenLLMetry, Langfuse, LangSmith) keeps the span,
# observation or run name.
NAME_KEY = "span_name"


def recorded_model(record: Record) -> str | None:
    """The model that answered (the recorded response's), else the one asked for."""
    response = record.response.model if record.response is not None else None
    if isinstance(response, str) and response:
        return response
    requested = record.request.get("model")
    return requested if isinstance(requested, str) and requested else None


def _span_name(record: Record) -> str | None:
    value = record.metadata.get(NAME_KEY)
    return value if isinstance(value, str) and value else None


def _matches(value: str, patterns: list[str]) -> bool:
    """A case-insensitive glob match of the whole value or of its part after the last ``/``
    (``deepseek-r1*`` matches ``deepseek/deepseek-r1-0528``: proxies prefix the provider)."""
    folded = value.lower()
    short = folded.rpartition("/")[2]
    return any(fnmatchcase(folded, p.lower()) or fnmatchcase(short, p.lower()) for p in patterns)


def _accepts(value: Any, wanted: list[Any]) -> bool:
    """``where``: equal to an accepted value (or to its text), a glob match for strings;
    a list field is accepted when one of its items is."""
    if isinstance(value, list):
        return any(_accepts(item, wanted) for item in value)
    text = str(value)
    for accepted in wanted:
        if accepted == value or str(accepted) == text:
            return True
        if isinstance(accepted, str) and isinstance(value, str) and fnmatchcase(value, accepted):
            return True
    return False


def _listed(values: Iterable[Any]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RecordFilter:
    """A :class:`LogFilter` ready to apply, its relative bounds resolved against ``latest``
    (the log's latest timestamp)."""

    def __init__(self, spec: LogFilter, latest: datetime | None = None) -> None:
        self.spec = spec
        self.since = self._bound("since", spec.since, latest)
        self.until = self._bound("until", spec.until, latest)
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ConfigError(
                f"log.filter: since ({spec.since}: {self.since.isoformat()}) is not before "
                f"until ({spec.until}: {self.until.isoformat()}), so no call could be kept",
                hint="since is the earlier bound, until the later one (7d back to 1d back: "
                "since: 7d, until: 1d)")
        self.where = [(path, wanted if isinstance(wanted, list) else [wanted])
                      for path, wanted in spec.where.items()]
        self.active = spec.is_set()

    @staticmethod
    def _bound(key: str, bound: datetime | str | None, latest: datetime | None
               ) -> datetime | None:
        if bound is None:
            return None
        span = relative_span(bound)
        if span is None:
            assert isinstance(bound, datetime)
            return _aware(bound)
        if latest is None:
            raise ConfigError(
                f"log.filter.{key}: {bound} counts back from the log's latest timestamp, "
                "but no record of the log has a timestamp",
                hint=f"give {key} as an ISO 8601 time (2026-11-24T00:00:00Z), or drop it")
        return _aware(latest) - span

    def reason(self, record: Record) -> str | None:
        """Why ``record`` is filtered out (the first condition it fails), or None to keep it."""
        if not self.active:
            return None
        spec = self.spec
        if spec.model is not None:
            why = _pattern_reason("model", recorded_model(record), spec.model)
            if why:
                return why
        if spec.name is not None:
            why = _pattern_reason("name", _span_name(record), spec.name)
            if why:
                return why
        if spec.segments is not None and (record.segment or NO_SEGMENT) not in spec.segments:
            return f"segment not in {_listed(spec.segments)}"
        for path, wanted in self.where:
            value = resolve_path(record, path)
            if value is None and None not in wanted:
                return f"no {path}"
            if not _accepts(value, wanted):
                return f"{path} not in {_listed(wanted)}"
        return self._time_reason(record)

    def _time_reason(self, record: Record) -> str | None:
        if self.since is None and self.until is None:
            return None
        if record.timestamp is None:
            return "no timestamp"
        moment = _aware(record.timestamp)
        if self.since is not None and moment < self.since:
            return "before since"
        if self.until is not None and moment >= self.until:
            return "at or after until"
        return None


def _pattern_reason(what: str, value: str | None, patterns: list[str]) -> str | None:
    if value is None:
        return f"no {what}"
    return None if _matches(value, patterns) else f"{what} not in {_listed(patterns)}"


def latest_timestamp(records: Iterable[Record]) -> datetime | None:
    """The latest timestamp among ``records`` (None when none has one)."""
    latest: datetime | None = None
    for record in records:
        if record.timestamp is not None:
            moment = _aware(record.timestamp)
            if latest is None or moment > latest:
                latest = moment
    return latest


def filter_for_log(spec: LogFilter, source: LogSource) -> RecordFilter:
    """``spec`` ready to apply to ``source``: a relative bound is resolved against the log's
    latest timestamp, read in a first pass (only then)."""
    return RecordFilter(spec, latest_timestamp(read_log(source)) if spec.relative() else None)


def describe_drops(filtered_by: dict[str, int]) -> str:
    """``812 out: model not in [deepseek-r1*] (700), before since (112)``."""
    total = sum(filtered_by.values())
    return f"{fmt_count(total)} out: " + ", ".join(
        f"{reason} ({fmt_count(n)})" for reason, n in filtered_by.items())
