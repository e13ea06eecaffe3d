"""What every log format shares: the reader protocol, the stream, invalid-line counting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, TypeAdapter, ValidationError

from swapkit.config import LogSource
from swapkit.config.fields import RECORD_ROLES, explicit_roles, parse_path
from swapkit.errors import LogError, LogLineError
from swapkit.records import Record

__all__ = [
    "InvalidLines",
    "LogFormat",
    "LogStream",
    "Skipped",
    "resolve_path",
    "validation_message",
]

_TIMESTAMP: TypeAdapter[datetime | None] = TypeAdapter(datetime | None)


class LogFormat(Protocol):
    """A reader for one kind of log file. Register it from a ``register_log_formats`` hook.

    A reader that builds its records through ``source.mapping()`` (``log.fields``) itself
    sets a class attribute ``maps_fields = True``; any other reader's records get only the
    record-level roles (segment, id, ...), applied by :class:`LogStream`.
    """

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
        # A reader that reads through the mapping applied it all; any other reader's records
        # take the record-level roles (segment, id, ...) from paths into the record it built.
        overrides = {} if getattr(self.format, "maps_fields", False) else {
            role: path for role, path in explicit_roles(self.source.mapping()).items()
            if role in RECORD_ROLES}
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
            if overrides:
                self._override(item, overrides)
            yield item

    def _override(self, record: Record, overrides: dict[str, str | None]) -> None:
        for role, path in overrides.items():
            value = None if path is None else resolve_path(record, path)
            if role == "reference":
                record.reference = value
            elif role == "timestamp":
                try:
                    record.timestamp = _TIMESTAMP.validate_python(value)
                except ValidationError as err:
                    problem = err.errors(include_url=False)[0]["msg"]
                    raise LogError(f"{self.source.path}: record {record.id}: fields.timestamp: "
                                   f"path {path}: {problem}") from None
            else:
                text = None if value is None else str(value)
                if role == "id":
                    record.id = text or record.id
                elif role == "segment":
                    record.segment = text
                else:
                    record.conversation_id = text


def resolve_path(record: Record, dotted: str) -> Any:
    """Look up a dotted path (``metadata.route``, ``request.metadata.task``) in a record
    (the path syntax of ``log.fields``: ``metadata["app.route"]``, ``outputs[0]``).

    A first part that is not a Record field is looked up in ``metadata``, where readers
    keep a log line's extra top-level fields.
    """
    parts = [str(part) for part in parse_path(dotted)]
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
