"""OpenAI chat request/response JSON Lines: ``{"request": {...}, "response": {...}}``.

The response may be a ``chat.completion`` object (with DeepSeek's ``reasoning_content``
or inline ``<think>`` blocks) or an error object; top-level keys other than the
record's own (id, segment, reference, ...) are kept in ``metadata``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swapkit.ingest.formats.fields import record_fields
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.records import Record

__all__ = ["OpenAIChatFormat", "response_fields"]

LATENCY_KEYS = ("latency_s", "latency_ms")


def response_fields(raw: Any, line: dict[str, Any]) -> dict[str, Any] | None:
    """A recorded response (OpenAI object, error object or swapkit form) as model input."""
    if raw is None:
        if isinstance(line.get("error"), dict | str):
            return _error(line["error"], line.get("status_code"))
        return None
    if not isinstance(raw, dict):
        raise ValueError("response must be a JSON object (a chat.completion)")
    if "error" in raw and "choices" not in raw:
        return _error(raw["error"], raw.get("status_code") or line.get("status_code"))
    fields = dict(raw)
    for key in LATENCY_KEYS:
        if key in line and key not in fields:
            fields[key] = line[key]
    if "choices" not in fields and "object" not in fields and "latency_ms" in fields:
        # swapkit's own normalised form: it keeps seconds.
        fields["latency_s"] = float(fields.pop("latency_ms")) / 1000
    return fields


def _error(error: Any, status_code: Any) -> dict[str, Any]:
    message = error.get("message") if isinstance(error, dict) else str(error)
    http_status = int(status_code) if isinstance(status_code, int | str) and str(
        status_code
    ).isdigit() else None
    status = "rate_limited" if http_status == 429 else "error"
    return {"status": status, "error": message or "error", "http_status": http_status}


class OpenAIChatFormat(JsonlFormat):
    """One logged chat-completions call per line."""

    name = "openai-chat"
    description = 'OpenAI chat JSONL: {"request": {...}, "response": {chat.completion}} per line'
    hint = 'each line needs "request" (a chat-completions body with "messages")'

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A ``request`` object with messages."""
        return bool(first) and isinstance(first.get("request"), dict)  # type: ignore[union-attr]

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """Split the line into request, response and record fields."""
        request = obj.get("request")
        if not isinstance(request, dict):
            raise ValueError('missing "request" object (the chat-completions request body)')
        skip = frozenset({"request", "response", "error", "status_code", *LATENCY_KEYS})
        fields = record_fields(obj, skip, default_id=f"line-{number}")
        fields["request"] = request
        fields["response"] = response_fields(obj.get("response"), obj)
        if "timestamp" not in fields:
            created = (obj.get("response") or {}).get("created")
            if isinstance(created, int | float):
                fields["timestamp"] = created
        return Record.model_validate(fields)
