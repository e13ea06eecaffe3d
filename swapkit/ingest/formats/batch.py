"""OpenAI Batch API files: an input file, optionally joined with its output file.

Input lines: ``{"custom_id", "method", "url", "body"}``; output lines:
``{"custom_id", "response": {"status_code", "body"}, "error"}``, joined to the input by
``custom_id`` (``output_join``); a failed output line becomes a recorded response with an
error status.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import record_fields
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.ingest.formats.openai_chat import response_fields
from swapkit.ingest.formats.output_join import join_output
from swapkit.records import Record

__all__ = ["BatchFormat"]

CHAT_URL_SUFFIX = "/chat/completions"


def _output_response(line: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The join's converter: an output line's recorded response (no metadata)."""
    return _response(line), {}


def _response(line: dict[str, Any]) -> dict[str, Any] | None:
    response = line.get("response")
    error = line.get("error")
    if error:
        status_code = response.get("status_code") if isinstance(response, dict) else None
        return response_fields(None, {"error": error, "status_code": status_code})
    if not isinstance(response, dict):
        return None
    status_code = response.get("status_code")
    body = response.get("body")
    if status_code not in (None, 200):
        error_body = body.get("error") if isinstance(body, dict) else body
        return response_fields(None, {"error": error_body or "failed", "status_code": status_code})
    return response_fields(body, line)


class BatchFormat(JsonlFormat):
    """OpenAI Batch API input (+ output) JSONL."""

    name = "openai-batch"
    description = "OpenAI Batch API input JSONL (custom_id, method, url, body), + output file"
    hint = 'each line needs "custom_id" and "body" (a chat-completions request)'

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """``custom_id`` and ``body``: a batch input line."""
        return bool(first) and "custom_id" in first and "body" in first  # type: ignore[operator]

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """One batch input line (without its output)."""
        url = obj.get("url")
        if isinstance(url, str) and not url.rstrip("/").endswith(CHAT_URL_SUFFIX):
            raise ValueError(
                f"url {url!r} is not a chat-completions request; only /v1/chat/completions "
                "lines can be replayed"
            )
        body = obj.get("body")
        if not isinstance(body, dict):
            raise ValueError('missing "body" object (the chat-completions request)')
        if obj.get("custom_id") is None:
            raise ValueError('missing "custom_id"')
        fields = record_fields(
            obj, frozenset({"custom_id", "method", "url", "body"}), default_id=f"line-{number}"
        )
        fields["request"] = body
        return Record.model_validate(fields)

    def read(self, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
        """Read the input file; attach each record's output line when an output file is given."""
        if source.output is None:
            return super().read(source)
        return join_output(super().read(source), source.output, _output_response)
