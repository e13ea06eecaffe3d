"""Tables: CSV, Parquet and Hugging Face ``datasets``, read through a column mapping.

A row becomes a record from either a ``request`` column (a whole chat request as
JSON text or a struct) or a ``prompt`` column (plus an optional ``system`` column).
A ``response`` column may hold the answer text (``<think>`` blocks are split off) or
a chat.completion as JSON. Columns that are not mapped go into ``metadata`` unless
``metadata`` lists the ones to keep. Rows are read in batches: memory stays bounded.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from swapkit.config import ColumnMapping, LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats.base import validation_message
from swapkit.records import Record, split_reasoning

__all__ = [
    "CsvFormat", "HFDatasetFormat", "ParquetFormat", "Table", "TableRows", "check_columns",
    "is_table", "open_table", "row_to_record", "table_columns",
]

ROLE_FIELDS = ("id", "prompt", "system", "request", "response", "reference", "segment",
               "conversation_id", "timestamp")
HINT = "map your columns with log.columns in swap.yaml (or --column FIELD=COLUMN)"
CSV_SUFFIXES = (".csv", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
BATCH_ROWS = 2048

# (row number, cells by column), or a row that cannot be read as cells.
TableRows = Iterator[tuple[int, dict[str, Any]] | LogLineError]


@dataclass
class Table:
    """An open CSV or Parquet file: its columns, and its rows read lazily (CSV rows are
    numbered by the file line they start on, Parquet rows from 1)."""

    columns: list[str]
    rows: TableRows


def is_table(path: Path) -> bool:
    """A CSV / TSV or Parquet file, by extension."""
    return path.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES


@contextlib.contextmanager
def open_table(path: Path) -> Iterator[Table]:
    """Open a CSV / TSV or Parquet file for reading rows; unreadable files are LogErrors."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        parquet = _open_parquet(path)
        try:
            yield Table(list(parquet.schema_arrow.names), _parquet_rows(path, parquet))
        finally:
            parquet.close()
        return
    csv.field_size_limit(sys.maxsize)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise LogError(f"{path}: no such file") from None
    with handle:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        reader = csv.reader(handle, delimiter=delimiter)
        columns = _csv_guard(path, reader, lambda: next((r for r in reader if r), []))
        yield Table(columns, _csv_rows(path, reader, columns))


def table_columns(path: Path) -> list[str] | None:
    """A table's column names, for sniffing; None if the file cannot be read as a table."""
    try:
        with open_table(path) as table:
            return table.columns
    except LogError:
        return None


def _csv_guard(path: Path, reader: Any, step: Any) -> Any:
    try:
        return step()
    except UnicodeDecodeError as err:
        raise LogError(f"{path}: not UTF-8 text ({err})",
                       hint="re-export the CSV as UTF-8") from None
    except csv.Error as err:
        raise LogLineError(path, reader.line_num, f"bad CSV: {err}") from None


def _csv_rows(path: Path, reader: Any, columns: list[str]) -> TableRows:
    width = len(columns)
    while True:
        start = reader.line_num + 1
        cells = _csv_guard(path, reader, lambda: next(reader, None))
        if cells is None:
            return
        if not cells:  # a blank line
            continue
        if len(cells) > width:
            yield LogLineError(path, start, f"the row has {len(cells)} cells but the header "
                               f"has {width} columns", hint="quote cells that hold commas")
            continue
        yield start, dict(zip(columns, cells + [None] * (width - len(cells)), strict=True))


def _open_parquet(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise LogError(f"{path}: no such file") from None
    except Exception as err:  # pyarrow raises ArrowInvalid and friends
        raise LogError(f"{path}: not a readable Parquet file ({err})") from None


def _parquet_rows(path: Path, parquet: Any) -> TableRows:
    number = 0
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    while True:
        try:
            batch = next(batches, None)
        except Exception as err:  # a corrupt page or column chunk
            raise LogError(f"{path}: cannot be read past row {number} ({err})") from None
        if batch is None:
            return
        for row in batch.to_pylist():
            number += 1
            yield number, row


def check_columns(where: str, columns: list[str], mapping: ColumnMapping) -> None:
    """Fail early, naming the column, when the mapping asks for one the table lacks."""
    explicit = mapping.model_fields_set
    available = ", ".join(columns) or "(none)"
    for role in ROLE_FIELDS:
        name = getattr(mapping, role)
        if role in explicit and name is not None and name not in columns:
            raise LogError(
                f"{where}: column {name!r} (mapped to {role}) does not exist; columns are: "
                f"{available}", hint=HINT,
            )
    if mapping.prompt not in columns and mapping.request not in columns:
        raise LogError(
            f"{where}: no prompt column: expected {mapping.prompt!r} or a request column "
            f"{mapping.request!r}; columns are: {available}",
            hint=f"{HINT}, e.g. columns: {{prompt: question}}",
        )
    for name in mapping.metadata or []:
        if name not in columns:
            raise LogError(
                f"{where}: metadata column {name!r} does not exist; columns are: {available}",
                hint=HINT,
            )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas-written files
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def _json_value(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"{what} column is not valid JSON ({err})") from None
    return value


def _response(value: Any) -> dict[str, Any] | None:
    text = value if isinstance(value, dict) else _text(value)
    if text is None:
        return None
    if isinstance(text, str) and text.lstrip().startswith("{"):
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and "choices" in parsed:
            return parsed
    if isinstance(text, dict):
        return text
    split = split_reasoning(text)
    status = "truncated" if split.truncated_in_reasoning else "ok"
    return {"answer": split.answer, "reasoning": split.reasoning,
            "truncated_in_reasoning": split.truncated_in_reasoning, "status": status}


def row_to_record(row: dict[str, Any], mapping: ColumnMapping, default_id: str) -> Record:
    """One table row → Record, following ``mapping``."""
    used = {getattr(mapping, role) for role in ROLE_FIELDS} - {None}
    request_value = row.get(mapping.request) if mapping.request else None
    if request_value not in (None, ""):
        request = _json_value(request_value, "request")
        if not isinstance(request, dict):
            raise ValueError("request column must hold a JSON object")
    else:
        prompt = _text(row.get(mapping.prompt)) if mapping.prompt else None
        if prompt is None:
            raise ValueError(f"prompt column {mapping.prompt!r} is empty")
        messages = []
        system = _text(row.get(mapping.system)) if mapping.system else None
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        request = {"messages": messages}
    if mapping.metadata is not None:
        metadata = {k: row.get(k) for k in mapping.metadata}
    else:
        metadata = {k: v for k, v in row.items() if k not in used}

    def column(role: str) -> Any:
        name = getattr(mapping, role)
        return _text(row.get(name)) if name else None

    return Record.model_validate({
        "id": column("id") or default_id,
        "request": request,
        "response": _response(row.get(mapping.response)) if mapping.response else None,
        "reference": column("reference"),
        "segment": column("segment"),
        "conversation_id": column("conversation_id"),
        "timestamp": column("timestamp"),
        "metadata": metadata,
    })


def _rows_to_records(
    path: Path, rows: Iterable[tuple[int, dict[str, Any]] | LogLineError], mapping: ColumnMapping
) -> Iterator[Record | LogLineError]:
    for item in rows:
        if isinstance(item, LogLineError):
            yield item
            continue
        number, row = item
        try:
            yield row_to_record(row, mapping, default_id=f"row-{number}")
        except ValidationError as err:
            yield LogLineError(path, number, validation_message(err), hint=HINT)
        except ValueError as err:
            yield LogLineError(path, number, str(err), hint=HINT)


class CsvFormat:
    """Comma-separated values with a header row; line numbers are file lines."""

    name = "csv"
    description = "CSV with a header row, read through a column mapping (prompt, response, ...)"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """By extension."""
        return path.suffix.lower() in CSV_SUFFIXES

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream rows through the column mapping."""
        return _read_table(source)


class ParquetFormat:
    """Apache Parquet, read in record batches with pyarrow."""

    name = "parquet"
    description = "Parquet file, read in batches through a column mapping"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """By extension."""
        return path.suffix.lower() in PARQUET_SUFFIXES

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream record batches through the column mapping; rows are numbered from 1."""
        return _read_table(source)


def _read_table(source: LogSource) -> Iterator[Record | LogLineError]:
    with open_table(source.path) as table:
        check_columns(str(source.path), table.columns, source.columns)
        yield from _rows_to_records(source.path, table.rows, source.columns)


class HFDatasetFormat:
    """A Hugging Face ``datasets`` dataset: a ``save_to_disk`` folder, or ``hf:NAME``."""

    name = "hf-dataset"
    description = "Hugging Face dataset: a save_to_disk folder or hf:NAME, with a column mapping"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A folder written by ``save_to_disk`` (dataset or dataset dict)."""
        return path.is_dir() and (
            (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists()
            or (path / "state.json").exists()
        )

    def _load(self, source: LogSource) -> Any:
        import datasets

        where = str(source.path)
        try:
            if where.startswith("hf:"):
                return datasets.load_dataset(where[3:], split=source.split or "train")
            loaded = datasets.load_from_disk(where)
        except FileNotFoundError as err:
            raise LogError(f"{where}: not a dataset folder ({err})",
                           hint="pass a folder written by Dataset.save_to_disk") from None
        except Exception as err:  # offline hub access, corrupt arrow files, ...
            raise LogError(f"{where}: cannot load the dataset ({err})") from None
        if isinstance(loaded, datasets.DatasetDict):
            split = source.split or ("train" if "train" in loaded else None)
            if split not in loaded:
                raise LogError(
                    f"{where}: choose a split with log.split (--split): "
                    f"{', '.join(loaded)}"
                )
            return loaded[split]
        return loaded

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Iterate the dataset in batches (Arrow memory-maps it; RSS stays small)."""
        dataset = self._load(source)
        check_columns(str(source.path), list(dataset.column_names), source.columns)

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            number = 0
            for batch in dataset.iter(batch_size=2048):
                keys = list(batch)
                for values in zip(*(batch[k] for k in keys), strict=True):
                    number += 1
                    yield number, dict(zip(keys, values, strict=True))

        yield from _rows_to_records(source.path, rows(), source.columns)
