"""Tables: CSV, Parquet and Hugging Face ``datasets``, read through a field mapping.

A row becomes a record through ``log.fields`` (or its older spelling ``log.columns``)
by the same code as a custom JSON log (:mod:`.mapping`): a column name is a path of one
key, a struct column takes dotted paths. Unmapped roles fall back to columns of their
name (``prompt``, ``request``, ``response``, ...). Rows are read in batches: memory stays
bounded.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats.base import validation_message
from swapkit.ingest.formats.mapping import (
    REQUEST_ROLES,
    Mapped,
    head,
    mapped_record,
    resolve_mapping,
)
from swapkit.records import Record

__all__ = [
    "CsvFormat", "HFDatasetFormat", "ParquetFormat", "Table", "TableRows", "check_columns",
    "is_table", "open_table", "table_columns",
]

HINT = ("map your columns with log.fields in swap.yaml (--field ROLE=PATH; the older "
        "log.columns / --column still work)")
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


def check_columns(where: str, columns: list[str], mapped: Mapped) -> None:
    """Fail early, naming the column, when the mapping asks for one the table lacks."""
    available = ", ".join(columns) or "(none)"
    for role, (text, parts) in mapped.paths.items():
        column = head(columns, text, parts)
        if role in mapped.explicit and column not in columns:
            raise LogError(f"{where}: column {column!r} (mapped to {role}) does not exist; "
                           f"columns are: {available}", hint=HINT)
    for _, text, parts in mapped.metadata or []:
        column = head(columns, text, parts)
        if column not in columns:
            raise LogError(f"{where}: metadata column {column!r} does not exist; columns are: "
                           f"{available}", hint=HINT)
    sources = [mapped.paths[role] for role in REQUEST_ROLES if role in mapped.paths]
    if not any(head(columns, text, parts) in columns for text, parts in sources):
        expected = " or ".join(repr(text) for text, _ in sources) or "none mapped"
        raise LogError(
            f"{where}: no prompt column: expected {expected}; columns are: {available}",
            hint=f"{HINT}, e.g. fields: {{prompt: question}} (--field prompt=question)",
        )


def _rows_to_records(
    path: Path, rows: Iterable[tuple[int, dict[str, Any]] | LogLineError], source: LogSource
) -> Iterator[Record | LogLineError]:
    mapped = resolve_mapping(source.mapping())
    for item in rows:
        if isinstance(item, LogLineError):
            yield item
            continue
        number, row = item
        try:
            yield mapped_record(row, mapped, default_id=f"row-{number}")
        except ValidationError as err:
            yield LogLineError(path, number, validation_message(err), hint=HINT)
        except (ValueError, TypeError, RecursionError) as err:
            yield LogLineError(path, number, str(err), hint=HINT)


class CsvFormat:
    """Comma-separated values with a header row; line numbers are file lines."""

    name = "csv"
    maps_fields = True
    description = "CSV with a header row, read through log.fields (prompt, answer, ...)"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """By extension."""
        return path.suffix.lower() in CSV_SUFFIXES

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream rows through the field mapping."""
        return _read_table(source)


class ParquetFormat:
    """Apache Parquet, read in record batches with pyarrow."""

    name = "parquet"
    maps_fields = True
    description = "Parquet file, read in batches through log.fields"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """By extension."""
        return path.suffix.lower() in PARQUET_SUFFIXES

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream record batches through the field mapping; rows are numbered from 1."""
        return _read_table(source)


def _read_table(source: LogSource) -> Iterator[Record | LogLineError]:
    with open_table(source.path) as table:
        check_columns(str(source.path), table.columns, resolve_mapping(source.mapping()))
        yield from _rows_to_records(source.path, table.rows, source)


class HFDatasetFormat:
    """A Hugging Face ``datasets`` dataset: a ``save_to_disk`` folder, or ``hf:NAME``."""

    name = "hf-dataset"
    maps_fields = True
    description = "Hugging Face dataset: a save_to_disk folder or hf:NAME, read through log.fields"

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
        check_columns(str(source.path), list(dataset.column_names),
                      resolve_mapping(source.mapping()))

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            number = 0
            for batch in dataset.iter(batch_size=2048):
                keys = list(batch)
                for values in zip(*(batch[k] for k in keys), strict=True):
                    number += 1
                    yield number, dict(zip(keys, values, strict=True))

        yield from _rows_to_records(source.path, rows(), source)
