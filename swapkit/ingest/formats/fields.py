"""How the JSON Lines formats split a line's top-level keys between record and request."""

from __future__ import annotations

import contextlib
import math
from typing import Any

__all__ = ["RECORD_KEYS", "REQUEST_KEYS", "measured", "parse_number", "record_fields"]

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


def parse_number(value: Any, name: str, kind: type[int] | type[float] = float) -> Any:
    """An int or float from a log's number or numeric string (observability exports often
    write parameters and counts as strings); None when absent. Not a number, not finite, or
    not whole where an int is asked for: a ValueError naming ``name``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} must be a number, got {type(value).__name__}")
    if kind is int and isinstance(value, int):
        return value
    if kind is int and isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())  # exact, also past 2**53 (seeds)
    try:
        parsed = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} must be a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(parsed):
        raise ValueError(f"{name} must be a finite number, got {str(value)[:40]!r}")
    if kind is int:
        if parsed != int(parsed):
            raise ValueError(f"{name} must be a whole number, got {str(value)[:40]!r}")
        return int(parsed)
    return parsed



def measured(response: dict[str, Any] | None, ttft_s: float | None,
             cost_usd: float | None) -> dict[str, Any] | None:
    """A recorded response with the time to first token and the cost its log measured
    beside it (observability tools keep them outside the provider's response body)."""
    if response is None:
        return None
    return {**response, "ttft_s": ttft_s, "cost_usd": cost_usd}
