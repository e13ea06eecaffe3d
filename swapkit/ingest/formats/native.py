"""swapkit's own JSON Lines: one :class:`~swapkit.records.Record` per line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats.base import validation_message
from swapkit.ingest.formats.jsonl import JsonlFormat, iter_entries
from swapkit.records import Record

__all__ = ["NativeFormat"]

NATIVE_KEYS = frozenset(Record.model_fields)


class NativeFormat(JsonlFormat):
    """``{"id": ..., "request": {...}, "response": {...}, "segment": ...}`` per line."""

    name = "swapkit"
    description = "swapkit JSONL: one Record per line (id, request, response, reference, ...)"
    hint = "each line must be a swapkit Record: see the Record model in swapkit/records.py"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """An ``id`` and a ``request``, and nothing that is not a Record field."""
        if not first or "id" not in first or "request" not in first:
            return False
        response = first.get("response")
        return set(first) <= NATIVE_KEYS and not (
            isinstance(response, dict) and "choices" in response
        )

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """Validate a parsed line as a Record."""
        return Record.model_validate(obj)

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Validate each line straight from its JSON bytes (the fast path)."""
        path = source.path
        validate = Record.__pydantic_validator__.validate_json
        for number, line in iter_entries(path, source.span):
            if isinstance(line, LogLineError):
                yield line
                continue
            try:
                yield validate(line)
            except ValidationError as err:
                yield LogLineError(path, number, validation_message(err), hint=self.hint)
