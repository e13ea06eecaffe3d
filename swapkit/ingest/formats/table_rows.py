"""Vendor exports that come as tables: each CSV / Parquet row read as the vendor's JSON object.

LiteLLM's SpendLogs table, LangSmith's bulk export (Parquet) and Helicone's CSV export hold
the fields of the vendors' JSON forms, one a column. A row becomes a dict: empty cells are
null, Parquet timestamps ISO 8601 text, decimals floats; the cells of the columns the format
declares as JSON (``table_json``) are parsed; then the format's own ``to_records`` reads it,
so the JSON and the table forms share everything past the row. Errors name the file and the
line a CSV row starts on, or the Parquet row (from 1). Rows are read in batches: memory stays
flat.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.tabular import open_table
from swapkit.records import Record

if TYPE_CHECKING:
    from swapkit.ingest.formats.jsonl import JsonlFormat

__all__ = ["json_cell", "read_table", "row_object"]

JSON_STARTS = ('{', '[', '"')


def json_cell(value: Any, column: str) -> Any:
    """The value of a JSON column's cell: JSON text of an object, an array or a string is
    parsed, anything else is kept as it is (a bare word stays text, as a log may hold a
    prompt as plain text). Text that opens an object or array but is not JSON is an error
    naming the column; JSON whose quotes were doubled twice (``{""a"": 1}``, as
    ``@helicone/export`` writes its CSV) is read as meant."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text.startswith(JSON_STARTS):
        return value
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as err:
        if text.startswith('"'):
            return value  # text that merely starts with a quote
        if '""' in text:
            try:
                return orjson.loads(text.replace('""', '"'))
            except orjson.JSONDecodeError:
                pass
        raise ValueError(f"column {column!r} is not valid JSON ({err})") from None


def _plain(value: Any) -> Any:
    """A value as JSON would carry it: null for NaN, ISO 8601 text for times, text for ids."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):  # text stored as binary, or a binary id (a UUID's 16 bytes)
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def row_object(cells: dict[str, Any], json_columns: frozenset[str]) -> dict[str, Any]:
    """One table row as the JSON object it stands for (see the module docstring)."""
    row = {}
    for column, value in cells.items():
        plain = None if value == "" else _plain(value)  # an empty cell is null
        row[column] = json_cell(plain, column) if column in json_columns else plain
    return row


def read_table(reader: JsonlFormat, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
    """Every row of a vendor's table export through ``reader.to_records``; a table whose
    header is not the vendor's fails at once, naming its columns."""
    path = source.path
    json_columns = reader.table_json or frozenset()
    with open_table(path) as table:
        if not reader.sniff_table(table.columns):
            shown = ", ".join(table.columns[:20]) or "(none)"
            raise LogError(
                f"{path}: not a {reader.name} table export; columns are: {shown}",
                hint="set the format that matches the export (swapkit formats), or csv / "
                     "parquet with a column mapping",
            )
        for item in table.rows:
            if isinstance(item, LogLineError):
                yield item
                continue
            number, cells = item
            try:
                row = reader.table_row(row_object(cells, json_columns))
            except (ValueError, RecursionError) as err:
                yield LogLineError(path, number, str(err), hint=reader.hint)
                continue
            yield from reader.object_items(path, number, row, reader.to_records)
