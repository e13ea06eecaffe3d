"""Any JSON Lines log, read through ``log.fields``: dotted paths to the messages (or the
prompt), the recorded answer, the reference, the segment, ...

Chosen when the format is ``auto`` and ``log.fields`` maps how the request or the answer
is built (messages, prompt, system, request, answer, response, ...); a ``.gz`` file is
decompressed on the fly. Each line goes through :func:`.mapping.mapped_record`, the
code tables use too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from swapkit.config import FieldMapping, LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.ingest.formats.mapping import mapped_record, resolve_mapping
from swapkit.records import Record

__all__ = ["CustomFormat"]

_DEFAULT = resolve_mapping(FieldMapping())


class CustomFormat(JsonlFormat):
    """One JSON object per line, whatever its shape, read through ``log.fields``."""

    name = "custom"
    description = "any JSON Lines, read through log.fields (paths to messages or prompt, ...)"
    hint = ("check log.fields (--field ROLE=PATH): each path is dotted from the top of the "
            "line, e.g. input.messages, outputs.0.text")
    maps_fields = True

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """A line through the default mapping (top-level keys named for their roles)."""
        return mapped_record(obj, _DEFAULT, default_id=f"line-{number}")

    def read(self, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
        """Every line through the source's mapping."""
        mapped = resolve_mapping(source.mapping())
        return self._read_lines(
            source, lambda obj, number: (mapped_record(obj, mapped, f"line-{number}"),))
