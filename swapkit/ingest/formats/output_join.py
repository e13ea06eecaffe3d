"""A batch's output file joined to its input by ``custom_id``, whatever the vendor.

The output (results) file is indexed by ``custom_id``: byte offset and line number only,
so memory stays small whatever the answers weigh. Each input record whose id has an
output line gets the recorded response that the vendor's converter makes of that line
(OpenAI Batch output in ``batch``, Anthropic Message Batches results in ``anthropic``).
An output line the converter rejects is a LogLineError naming the output file and line
(``--skip-invalid`` counts it and keeps the request, without a recorded answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from swapkit.errors import LogLineError
from swapkit.ingest.formats.base import Skipped, validation_message
from swapkit.ingest.formats.jsonl import open_binary
from swapkit.records import Record, RecordedResponse

__all__ = ["ResponseOf", "join_output"]

# An output line -> RecordedResponse fields (None: no recorded answer) and metadata to add.
ResponseOf = Callable[[dict[str, Any]], tuple[dict[str, Any] | None, dict[str, Any]]]
HINT = "pass the batch's output (results) file exactly as downloaded"


def _index(path: Path) -> dict[str, tuple[int, int]]:
    """custom_id → (byte offset, line number) of its line in the output file."""
    offsets: dict[str, tuple[int, int]] = {}
    with open_binary(path) as handle:
        offset = 0
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if stripped:
                try:
                    custom_id = orjson.loads(stripped).get("custom_id")
                except (orjson.JSONDecodeError, AttributeError):
                    raise LogLineError(path, number, "not a JSON object with a custom_id",
                                       hint=HINT) from None
                if custom_id is not None:
                    offsets.setdefault(str(custom_id), (offset, number))
            offset += len(line)
    return offsets


def join_output(
    items: Iterable[Record | LogLineError | Skipped], output: Path, response_of: ResponseOf
) -> Iterator[Record | LogLineError | Skipped]:
    """The input's items, each record with the response of its output line, if it has one."""
    offsets = _index(output)
    with open_binary(output) as handle:
        for item in items:
            if isinstance(item, Record) and item.id in offsets:
                offset, number = offsets[item.id]
                handle.seek(offset)
                try:
                    fields, metadata = response_of(orjson.loads(handle.readline()))
                    if fields is not None:
                        item.response = RecordedResponse.model_validate(fields)
                    item.metadata.update(metadata)
                except ValidationError as err:
                    yield _invalid(output, number, item.id, validation_message(err, "response."))
                except (ValueError, TypeError, KeyError, RecursionError) as err:
                    yield _invalid(output, number, item.id, str(err))
            yield item


def _invalid(output: Path, number: int, custom_id: str, message: str) -> LogLineError:
    return LogLineError(output, number, f"output for custom_id {custom_id!r} is invalid: "
                        f"{message}", hint=HINT)
