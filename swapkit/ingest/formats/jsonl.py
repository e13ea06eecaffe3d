"""Reading JSON Lines files as a stream: gzip, BOM, CRLF, blank lines, line numbers.

A log may also be a JSON document (an array of entries, API list pages: see
:mod:`~swapkit.ingest.formats.jsondoc`), and a line may hold an array or a page: every
JSON format reads its entries through :func:`iter_entries`, which yields them one by one.
A format whose vendor also exports tables (CSV / Parquet) reads those through
:mod:`swapkit.ingest.formats.table_rows`, row by row, with the same object reader.
"""

from __future__ import annotations

import gzip
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError

from swapkit.config import LogSource
from swapkit.errors import LogError, LogLineError
from swapkit.ingest.formats.base import Skipped, validation_message
from swapkit.ingest.formats.jsondoc import iter_document
from swapkit.ingest.formats.tabular import is_table
from swapkit.records import Record

__all__ = [
    "ENTRY_ERRORS", "JsonlFormat", "first_json_object", "is_json_document", "iter_entries",
    "iter_lines", "open_binary", "split_lines",
]

BOM = b"\xef\xbb\xbf"
# What building one entry may raise on hostile input (ValidationError is a ValueError).
ENTRY_ERRORS = (ValueError, TypeError, KeyError, RecursionError)
PEEK = 1 << 16
_DATA_LIST = re.compile(rb'"data"[ \t]*:[ \t]*\[')  # a list page's key, or a nested one


def open_binary(path: Path) -> IO[bytes]:
    """Open a log for reading bytes; ``.gz`` files are decompressed on the fly."""
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return path.open("rb")
    except FileNotFoundError:
        raise LogError(
            f"{path}: no such file", hint="check the path (relative paths in swap.yaml "
            "are relative to the config file)"
        ) from None
    except IsADirectoryError:
        raise LogError(f"{path}: is a directory, not a log file") from None
    except PermissionError:
        raise LogError(f"{path}: permission denied") from None


def iter_lines(
    path: Path, span: tuple[int, int, int] | None = None
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line_number, line)`` for every non-blank line, 1-based.

    ``span`` = (start, end, first_line) reads only the lines that start in [start, end).
    """
    with open_binary(path) as handle:
        first_line = 1
        lines: Iterator[bytes] = handle
        if span is not None:
            start, end, first_line = span
            handle.seek(start)
            lines = _until(handle, end - start)
        try:
            for number, line in enumerate(lines, start=first_line):
                if number == 1 and line.startswith(BOM):
                    line = line[len(BOM) :]
                line = line.strip()
                if line:
                    yield number, line
        except (OSError, EOFError) as err:  # e.g. a truncated .gz
            raise LogError(f"{path}: cannot be read to the end: {err}") from None


def is_json_document(path: Path) -> bool:
    """True if the log is one JSON document rather than JSON Lines: it opens with ``[``,
    or its first line opens an object it does not close (``{`` alone, ``{"data": [``)."""
    with open_binary(path) as handle:
        try:
            head = handle.read(PEEK)
        except (OSError, EOFError):
            return False
    head = head.removeprefix(BOM).lstrip()
    if head.startswith(b"["):
        return True
    first = head.split(b"\n", 1)[0].rstrip()
    return head.startswith(b"{") and len(first) < len(head) and first.endswith((b"{", b"["))


def iter_entries(
    path: Path, span: tuple[int, int, int] | None = None
) -> Iterator[tuple[int, bytes | LogLineError]]:
    """Yield ``(line_number, entry)`` for every entry of a log: each line of JSON Lines, each
    element of an array or page on a line, each entry of a JSON document (read as a
    stream); a broken document yields a LogLineError naming the line.

    ``span`` (from :func:`split_lines`) reads part of a JSON Lines file."""
    if span is None and is_json_document(path):
        with open_binary(path) as handle:
            try:
                skip = len(BOM) if handle.read(len(BOM)) == BOM else 0
                handle.seek(0)
                yield from iter_document(path, handle, skip=skip)
            except (OSError, EOFError) as err:  # e.g. a truncated .gz
                raise LogError(f"{path}: cannot be read to the end: {err}") from None
        return
    for number, line in iter_lines(path, span):
        if line.startswith(b"[") or _DATA_LIST.search(line):  # an array or maybe a page
            yield from iter_document(path, io.BytesIO(line), number)
        else:
            yield number, line


def _until(handle: IO[bytes], size: int) -> Iterator[bytes]:
    consumed = 0
    for line in handle:
        if consumed >= size:
            return
        consumed += len(line)
        yield line


def split_lines(path: Path, parts: int) -> list[tuple[int, int, int]]:
    """Cut a plain (not gzipped) file into ``parts`` spans on line boundaries."""
    size = path.stat().st_size
    spans: list[tuple[int, int, int]] = []
    start, first_line = 0, 1
    with path.open("rb") as handle:
        for k in range(1, parts + 1):
            if k == parts:
                end = size
            else:
                handle.seek(max(start, size * k // parts))
                handle.readline()  # move to the start of the next line
                end = handle.tell()
            if end > start:
                spans.append((start, end, first_line))
                handle.seek(start)
                lines_in_span = 0
                remaining = end - start
                while remaining > 0:
                    block = handle.read(min(remaining, 1 << 22))
                    if not block:
                        break
                    lines_in_span += block.count(b"\n")
                    remaining -= len(block)
                first_line += lines_in_span
                start = end
    return spans


def first_json_object(path: Path, max_lines: int = 5) -> dict[str, Any] | None:
    """The first JSON object in a file (the first entry of a document), for sniffing; None
    if the start is not JSON."""
    try:
        for n, (_, line) in enumerate(iter_entries(path)):
            if n >= max_lines:
                break
            if isinstance(line, LogLineError):
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            return obj if isinstance(obj, dict) else None
    except (LogError, UnicodeDecodeError):
        return None
    return None


def parse_json(path: Path, number: int, line: bytes) -> dict[str, Any] | LogLineError:
    """Parse one line as a JSON object, or describe why it is not one."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        return LogLineError(
            path, number, f"not valid JSON ({err})",
            hint="each line must be one complete JSON object; use --skip-invalid to count "
            "and skip malformed lines",
        )
    if not isinstance(obj, dict):
        return LogLineError(path, number, f"expected a JSON object, got {type(obj).__name__}")
    return obj


class JsonlFormat(ABC):
    """Base for JSON Lines formats: subclasses turn one parsed object into a Record."""

    name = ""
    description = ""
    hint = ""
    # Columns of the vendor's table export (CSV / Parquet) that hold JSON text; None: the
    # format has no table form.
    table_json: frozenset[str] | None = None

    @abstractmethod
    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """Build a Record from one line's object (raise ValueError/ValidationError if bad)."""

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterable[Record | Skipped | ValueError]:
        """Every record of one line: one by default. A format whose line holds several
        (OpenTelemetry: an export of many spans) overrides this and yields a ValueError
        for one malformed entry (the others stand); a raised exception fails the line."""
        return (self.to_record(obj, number),)

    @staticmethod
    def entry_error(where: str, err: Exception) -> ValueError:
        """The failure of one entry of a line that holds several, named ``where`` (the
        line's other entries stand): pydantic's first message, or the error's own."""
        if isinstance(err, ValidationError):
            return ValueError(f"{where}: {err.errors(include_url=False)[0]['msg']}")
        return ValueError(f"{where}: {err}")

    @staticmethod
    def only_record(items: Iterable[Record | Skipped | ValueError], nothing: str) -> Record:
        """``to_record`` of a format whose lines hold several entries: the first entry
        must be a record; a malformed or skipped one is the line's error."""
        for item in items:
            if isinstance(item, Record):
                return item
            if isinstance(item, ValueError):
                raise item
            raise ValueError(item.reason)
        raise ValueError(nothing)

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """Subclasses decide from the first JSON object."""
        return False

    def sniff_table(self, columns: list[str]) -> bool:
        """True if a CSV / Parquet file with these columns is this vendor's table export
        (formats with a table form, ``table_json`` set, decide from the header)."""
        return False

    def table_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """A table row as the object ``to_records`` reads (as it is, unless the vendor's
        table names a field differently from its JSON form)."""
        return row

    def read(self, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
        """Parse every line (or every row of the vendor's table export); malformed ones come
        out as LogLineError values."""
        if self.table_json is not None and is_table(source.path):
            from swapkit.ingest.formats.table_rows import read_table

            return read_table(self, source)
        return self._read_lines(source, self.to_records)

    def _read_lines(
        self, source: LogSource,
        build: Callable[[dict[str, Any], int], Iterable[Record | Skipped | ValueError]],
    ) -> Iterator[Record | LogLineError | Skipped]:
        path = source.path
        previous, on_line = 0, 0  # entries of one line (an array or a page on it)
        for number, line in iter_entries(path, source.span):
            on_line = on_line + 1 if number == previous else 0
            previous = number
            obj = line if isinstance(line, LogLineError) else parse_json(path, number, line)
            if isinstance(obj, LogLineError):
                yield obj
                continue
            for item in self.object_items(path, number, obj, build):
                if on_line and isinstance(item, Record) and item.id == f"line-{number}":
                    item.id = f"line-{number}-{on_line + 1}"  # keep default ids unique
                yield item

    def object_items(
        self, path: Path, number: int, obj: dict[str, Any],
        build: Callable[[dict[str, Any], int], Iterable[Record | Skipped | ValueError]],
    ) -> Iterator[Record | LogLineError | Skipped]:
        """What ``build`` makes of one line's (or row's) object, its failures turned into
        LogLineErrors naming the file and line."""
        try:
            items = list(build(obj, number))
        except ValidationError as err:
            yield LogLineError(path, number, validation_message(err), hint=self.hint)
        except ENTRY_ERRORS as err:
            yield LogLineError(path, number, str(err), hint=self.hint)
        else:
            for item in items:
                if isinstance(item, ValidationError):
                    message = validation_message(item)
                    yield LogLineError(path, number, message, hint=self.hint)
                elif isinstance(item, ValueError):
                    yield LogLineError(path, number, str(item), hint=self.hint)
                else:
                    yield item
