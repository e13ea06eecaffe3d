"""Messages-only JSON Lines (``{"messages": [...]}``), the common eval / fine-tune format.

Chat parameters beside ``messages`` (tools, response_format, temperature, ...) become
part of the request. A trailing assistant message is the expected answer: it becomes
the record's ``reference`` and is not sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swapkit.ingest.formats.fields import REQUEST_KEYS, record_fields
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.records import Record, message_text

__all__ = ["MessagesFormat"]


class MessagesFormat(JsonlFormat):
    """``{"messages": [...], "tools": [...], "segment": ...}`` per line."""

    name = "messages"
    description = 'messages-only JSONL: {"messages": [...]} per line (eval / fine-tune format)'
    hint = 'each line needs "messages": a list of {"role", "content"} objects'

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A top-level ``messages`` list."""
        return bool(first) and isinstance(first.get("messages"), list)  # type: ignore[union-attr]

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """Messages (minus a trailing assistant turn) and chat parameters form the request."""
        messages = obj.get("messages")
        if not isinstance(messages, list):
            raise ValueError('missing "messages" list')
        request: dict[str, Any] = {k: obj[k] for k in REQUEST_KEYS if k in obj}
        fields = record_fields(obj, REQUEST_KEYS | {"messages"}, default_id=f"line-{number}")
        last = messages[-1] if messages else None
        if isinstance(last, dict) and last.get("role") == "assistant" and len(messages) > 1:
            messages = messages[:-1]
            if fields.get("reference") is None:
                text = message_text(last)
                fields["reference"] = text if text or not last.get("tool_calls") else {
                    "tool_calls": last["tool_calls"]
                }
        request["messages"] = messages
        fields["request"] = request
        return Record.model_validate(fields)
