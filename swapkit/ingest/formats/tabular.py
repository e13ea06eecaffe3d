"""Tables: CSV, Parquet and Hugging Face ``datasets``, read through a column mapping.

A row becomes a record from either a ``request`` column (a whole chat request as
JSON text or a struct) or a ``prompt`` column (plus an optional ``system`` column).
A ``response`` column may hold the answer text (``<think>`` blocks are split off) or
a chat.completion as JSON. Columns that are not mapped go into ``metadata`` unless
``metadata`` lists the ones to keep. Rows are read in batches: memory stays bounded.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from swapkit.config import ColumnMapping, LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats.base import validation_message
from swapkit.records import Record, split_reasoning

__all__ = ["CsvFormat", "HFDatasetFormat", "ParquetFormat", "check_columns", "row_to_record"]

ROLE_FIELDS = ("id", "prompt", "system", "request", "response", "reference", "segment",
               "conversation_id", "timestamp")
HINT = "map your columns with log.columns in swap.yaml (or --column FIELD=COLUMN)"


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
    path: Path, rows: Iterable[tuple[int, dict[str, Any]]], mapping: ColumnMapping
) -> Iterator[Record | LogLineError]:
    for number, row in rows:
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
        return path.suffix.lower() in (".csv", ".tsv")

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream rows with csv.DictReader."""
        csv.field_size_limit(sys.maxsize)
        try:
            handle = source.path.open(newline="", encoding="utf-8-sig")
        except FileNotFoundError:
            raise LogError(f"{source.path}: no such file") from None
        with handle:
            delimiter = "\t" if source.path.suffix.lower() == ".tsv" else ","
            reader = csv.DictReader(handle, delimiter=delimiter)
            try:
                check_columns(str(source.path), list(reader.fieldnames or []), source.columns)

                def rows() -> Iterator[tuple[int, dict[str, Any]]]:
                    for row in reader:
                        yield reader.line_num, row

                yield from _rows_to_records(source.path, rows(), source.columns)
            except UnicodeDecodeError as err:
                raise LogError(f"{source.path}: not UTF-8 text ({err})",
                               hint="re-export the CSV as UTF-8") from None
            except csv.Error as err:
                raise LogLineError(source.path, reader.line_num, f"bad CSV: {err}") from None


class ParquetFormat:
    """Apache Parquet, read in record batches with pyarrow."""

    name = "parquet"
    description = "Parquet file, read in batches through a column mapping"

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """By extension."""
        return path.suffix.lower() in (".parquet", ".pq")

    def read(self, source: LogSource) -> Iterator[Record | LogLineError]:
        """Stream record batches; row numbers are 1-based data rows."""
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(source.path)
        except FileNotFoundError:
            raise LogError(f"{source.path}: no such file") from None
        except Exception as err:  # pyarrow raises ArrowInvalid and friends
            raise LogError(f"{source.path}: not a readable Parquet file ({err})") from None
        check_columns(str(source.path), parquet.schema_arrow.names, source.columns)

        def rows() -> Iterator[tuple[int, dict[str, Any]]]:
            number = 0
            for batch in parquet.iter_batches(batch_size=2048):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row

        yield from _rows_to_records(source.path, rows(), source.columns)


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
