"""What every log format shares: the reader protocol, the stream, invalid-line counting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.records import Record

__all__ = [
    "InvalidLines",
    "LogFormat",
    "LogStream",
    "Skipped",
    "resolve_path",
    "validation_message",
]


class LogFormat(Protocol):
    """A reader for one kind of log file. Register it from a ``register_log_formats`` hook."""

    name: str
    description: str

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """True if ``path`` looks like this format (``first``: first JSON line, if JSON)."""
        ...

    def read(self, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
        """Yield records in log order; a malformed line is yielded as a LogLineError,
        an entry passed over on purpose (not a chat call) as Skipped."""
        ...


@dataclass(frozen=True)
class Skipped:
    """An entry a reader passes over on purpose, being well formed but not a chat call
    (an OpenTelemetry tool or embeddings span): counted by reason, never an error."""

    line: int
    reason: str


@dataclass
class InvalidLines:
    """Malformed lines that ``skip_invalid`` turned into a count."""

    count: int = 0
    lines: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    keep: int = 1000  # line numbers kept, so a huge broken log stays bounded in memory

    def merge(self, other: InvalidLines) -> None:
        """Add the malformed lines of a later part of the same log."""
        self.count += other.count
        room = self.keep - len(self.lines)
        self.lines.extend(other.lines[:room])
        self.messages.extend(other.messages[:room])

    def add(self, error: LogLineError) -> None:
        """Count one malformed line."""
        self.count += 1
        if len(self.lines) < self.keep:
            self.lines.append(error.line)
            self.messages.append(str(error))


class LogStream:
    """An iterable of records read lazily from a log, with what was skipped."""

    def __init__(self, source: LogSource, log_format: LogFormat) -> None:
        self.source = source
        self.format = log_format
        self.invalid = InvalidLines()
        self.skipped: dict[str, int] = {}  # reason -> count, for entries that are not chat calls

    def __iter__(self) -> Iterator[Record]:
        segment_field = self.source.segment_field
        for item in self.format.read(self.source):
            if isinstance(item, LogLineError):
                if not self.source.skip_invalid:
                    raise item
                self.invalid.add(item)
                continue
            if isinstance(item, Skipped):
                reason = item.reason[:120]
                if reason in self.skipped or len(self.skipped) < 100:
                    self.skipped[reason] = self.skipped.get(reason, 0) + 1
                continue
            if segment_field:
                value = resolve_path(item, segment_field)
                item.segment = None if value is None else str(value)
            yield item


def resolve_path(record: Record, dotted: str) -> Any:
    """Look up a dotted path (``metadata.route``, ``request.metadata.task``) in a record.

    A first part that is not a Record field is looked up in ``metadata``, where readers
    keep a log line's extra top-level fields.
    """
    parts = dotted.split(".")
    head = parts[0]
    if head in Record.model_fields:
        value: Any = getattr(record, head)
        rest = parts[1:]
    else:
        value = record.metadata
        rest = parts
    for part in rest:
        if isinstance(value, BaseModel):
            value = getattr(value, part, None)
        elif isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
    return value


def validation_message(err: ValidationError, prefix: str = "") -> str:
    """One line per problem: ``field.path: message`` (pydantic's wording, trimmed)."""
    lines = []
    for problem in err.errors(include_url=False):
        loc = ".".join(str(p) for p in problem["loc"] if p != "__root__")
        where = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "record")
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        elif problem["type"] == "missing":
            message = "required field is missing"
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
