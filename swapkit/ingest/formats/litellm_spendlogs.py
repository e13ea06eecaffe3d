"""LiteLLM's spend table (``LiteLLM_SpendLogs``) rows as the logging payload the LiteLLM
reader reads: the table exported from the database as CSV or Parquet, or as JSON rows.

A row has ``request_id``, ``call_type``, ``spend`` (USD), token counts, ``startTime`` /
``endTime`` / ``completionStartTime``, ``model`` / ``model_group`` / ``model_id``,
``session_id``, ``status`` and the JSON columns ``metadata``, ``request_tags``, ``messages``,
``response`` and ``proxy_server_request`` (the request body). The proxy stores the prompt and
the answer only when ``store_prompts_in_spend_logs`` is on; recent versions keep the prompt
in ``proxy_server_request`` and leave ``messages`` as ``{}``. The hashed key (``api_key``,
``metadata.user_api_key``) is never carried over.
"""

from __future__ import annotations

from typing import Any

from swapkit.ingest.formats.fields import parse_number
from swapkit.ingest.formats.table_rows import json_cell

__all__ = ["JSON_COLUMNS", "NOT_STORED", "is_spend_log", "payload_from_spend_log",
           "spend_log_header"]

JSON_COLUMNS = frozenset({"metadata", "request_tags", "messages", "response",
                          "proxy_server_request"})
NOT_STORED = ("messages and response not stored in SpendLogs (turn on "
              "general_settings.store_prompts_in_spend_logs in the proxy)")
SAME_KEYS = ("call_type", "model", "model_group", "model_id", "api_base", "custom_llm_provider",
             "cache_hit", "end_user", "status", "session_id", "request_tags", "startTime",
             "endTime", "completionStartTime")
KEY_FIELDS = frozenset({"user_api_key", "user_api_key_hash"})


def spend_log_header(columns: list[str]) -> bool:
    """The header of a SpendLogs export: request id, call type, start time and spend."""
    return {"request_id", "call_type", "startTime", "spend"} <= set(columns)


def is_spend_log(obj: dict[str, Any]) -> bool:
    """A SpendLogs row (its id is ``request_id``; a logging payload's is ``id``)."""
    return "request_id" in obj and "id" not in obj and "spend" in obj


def _object(row: dict[str, Any], key: str) -> dict[str, Any]:
    value = json_cell(row.get(key), key)
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be a JSON object, not {type(value).__name__}")
    return value


def payload_from_spend_log(row: dict[str, Any]) -> dict[str, Any]:
    """The logging payload a SpendLogs row stands for (JSON text in its JSON columns is
    parsed here too, for rows exported as JSON with those columns as text)."""
    body = _object(row, "proxy_server_request")
    metadata = {k: v for k, v in _object(row, "metadata").items() if k not in KEY_FIELDS}
    messages = json_cell(row.get("messages"), "messages")
    if messages in (None, "", {}, []) and "messages" in body:
        messages = body["messages"]
    payload: dict[str, Any] = {key: row[key] for key in SAME_KEYS if key in row}
    payload.update({
        "id": row.get("request_id"),
        "messages": messages,
        "response": json_cell(row.get("response"), "response"),
        "request_tags": json_cell(row.get("request_tags"), "request_tags"),
        "model_parameters": {k: v for k, v in body.items() if k != "messages"},
        "metadata": metadata,
        "error_information": metadata.get("error_information"),
        "prompt_tokens": parse_number(row.get("prompt_tokens"), "prompt_tokens", int),
        "completion_tokens": parse_number(row.get("completion_tokens"), "completion_tokens",
                                          int),
        "response_cost": parse_number(row.get("spend"), "spend"),
    })
    return payload
