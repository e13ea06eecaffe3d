"""How the JSON Lines formats split a line's top-level keys between record and request."""

from __future__ import annotations

from typing import Any

__all__ = ["RECORD_KEYS", "REQUEST_KEYS", "record_fields"]

# Keys of a log line that describe the record rather than the request.
RECORD_KEYS = frozenset(
    {"id", "reference", "segment", "conversation_id", "timestamp", "metadata"}
)

# Chat-completions parameters that a messages-only line may carry beside "messages".
REQUEST_KEYS = frozenset(
    {
        "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call",
        "response_format", "temperature", "top_p", "max_tokens", "max_completion_tokens",
        "seed", "stop", "n", "presence_penalty", "frequency_penalty", "logit_bias",
        "logprobs", "top_logprobs", "reasoning_effort", "extra_body", "model",
    }
)


def record_fields(obj: dict[str, Any], skip: frozenset[str], default_id: str) -> dict[str, Any]:
    """Record-level fields of a line; keys that are neither record nor ``skip`` go to metadata."""
    fields: dict[str, Any] = {k: obj[k] for k in RECORD_KEYS if k in obj}
    metadata = dict(fields.get("metadata") or {})
    for key, value in obj.items():
        if key not in RECORD_KEYS and key not in skip:
            metadata.setdefault(key, value)
    fields["metadata"] = metadata
    fields["id"] = str(fields.get("id") or obj.get("custom_id") or default_id)
    if fields.get("conversation_id") is not None:
        fields["conversation_id"] = str(fields["conversation_id"])
    if fields.get("segment") is not None:
        fields["segment"] = str(fields["segment"])
    return fields
