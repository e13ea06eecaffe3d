"""LiteLLM proxy logs: one ``StandardLoggingPayload`` a line (custom / s3 / gcs loggers), or
the proxy's spend table rows (CSV / Parquet / JSON, see :mod:`.litellm_spendlogs`).

A payload carries the call's ``messages`` (OpenAI chat messages, or a string prompt),
its ``response`` (a chat completion, or its text), ``model`` / ``model_group``,
``model_parameters`` (temperature, max_tokens, tools, ...), token counts,
``response_cost``, and ``startTime`` / ``endTime`` / ``completionStartTime`` as epoch
seconds. Only chat completions (``call_type`` completion / acompletion) become records;
other calls (embeddings, images, ...) and payloads logged without their messages
(prompt logging turned off) are counted as skipped. A ``failure`` payload becomes a
recorded error. The time to first token (``completionStartTime - startTime``) and
``response_cost`` are the recorded response's ``ttft_s`` and ``cost_usd``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import REQUEST_KEYS, measured, parse_number
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.ingest.formats.litellm_spendlogs import (
    JSON_COLUMNS,
    NOT_STORED,
    is_spend_log,
    payload_from_spend_log,
    spend_log_header,
)
from swapkit.records import Record

__all__ = ["LiteLLMFormat"]

CHAT_CALLS = frozenset({"completion", "acompletion"})
PARAM_KEYS = tuple(sorted((REQUEST_KEYS - {"model", "extra_body"}) | {"stream", "stop_sequences"}))
REDACTED = "redacted-by-litellm"
# Keys of the payload's metadata worth keeping (the key hash is left out on purpose).
METADATA_KEYS = (
    "user_api_key_alias", "user_api_key_team_id", "user_api_key_team_alias",
    "user_api_key_user_id", "user_api_key_org_id", "requester_metadata",
    "spend_logs_metadata", "requester_ip_address",
)
TOP_KEYS = ("model", "model_group", "model_id", "api_base", "call_type", "status",
            "cache_hit", "end_user", "custom_llm_provider")
NOT_LOGGED = "messages and response not logged (prompt logging off in the proxy?)"


def _empty(value: Any) -> bool:
    """None, or an empty object, list or text (not 0 nor False)."""
    return value is None or (not value and isinstance(value, dict | list | str))


def _seconds(obj: dict[str, Any], key: str) -> float | None:
    """An epoch time in seconds (a number, a numeric string, or ISO 8601 text)."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{key} must be epoch seconds, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{key} {value[:40]!r} is neither epoch seconds nor ISO 8601") \
                from None
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    raise ValueError(f"{key} must be epoch seconds, not {type(value).__name__}")


def _messages(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    if isinstance(raw, dict):
        if isinstance(raw.get("messages"), list):
            return list(raw["messages"])
        if "role" in raw:
            return [raw]
        raise ValueError("messages is an object without 'role' or 'messages'")
    if isinstance(raw, list):
        return raw
    raise ValueError(f"messages must be a list of chat messages, not {type(raw).__name__}")


def _redacted(messages: list[Any]) -> bool:
    return bool(messages) and all(
        isinstance(m, dict) and m.get("content") == REDACTED for m in messages
    )


class LiteLLMFormat(JsonlFormat):
    """One LiteLLM ``StandardLoggingPayload`` per line."""

    name = "litellm"
    description = ("LiteLLM proxy StandardLoggingPayload JSONL (custom / s3 / gcs loggers), or "
                   "LiteLLM_SpendLogs rows (CSV / Parquet / JSON)")
    hint = ('each line needs "call_type" and "messages" (a LiteLLM StandardLoggingPayload); '
            "use --skip-invalid to count and skip malformed lines")
    table_json = JSON_COLUMNS  # the LiteLLM_SpendLogs table, exported as CSV / Parquet

    def sniff_table(self, columns: list[str]) -> bool:
        """A ``LiteLLM_SpendLogs`` export."""
        return spend_log_header(columns)

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """``call_type`` beside a LiteLLM-only key (model_group, response_cost, ...)."""
        if not first or not isinstance(first.get("call_type"), str):
            return False
        return any(k in first for k in ("model_group", "response_cost", "model_parameters",
                                        "standard_built_in_tools_params", "hidden_params"))

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """A single record (see :meth:`to_records`, which also skips)."""
        return self.only_record(self.to_records(obj, number), "no record")

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterable[Record | Skipped | ValueError]:
        """The payload (or SpendLogs row) as a record, or Skipped for a call that is not a
        logged chat."""
        spend_log = is_spend_log(obj)
        if spend_log:
            obj = payload_from_spend_log(obj)
        call_type = obj.get("call_type")
        if not isinstance(call_type, str) or not call_type:
            raise ValueError('missing "call_type" (a LiteLLM StandardLoggingPayload has one)')
        if call_type not in CHAT_CALLS:
            return (Skipped(number, f"call_type={call_type[:60]}"),)
        raw_messages, raw_response = obj.get("messages"), obj.get("response")
        if _empty(raw_messages):
            if _empty(raw_response):
                return (Skipped(number, NOT_STORED if spend_log else NOT_LOGGED),)
            raise ValueError("messages is empty but a response is logged: nothing to replay")
        messages = _messages(raw_messages)
        if _redacted(messages):
            return (Skipped(number, "messages redacted by litellm (turn_off_message_logging)"),)
        return (self._record(obj, number, messages),)

    def _record(self, obj: dict[str, Any], number: int, messages: list[Any]) -> Record:
        params = obj.get("model_parameters")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise ValueError("model_parameters must be an object")
        request: dict[str, Any] = {"messages": messages}
        model = obj.get("model_group") or obj.get("model")
        if isinstance(model, str) and model:
            request["model"] = model
        if params:
            for key in PARAM_KEYS:
                if key in params and params[key] is not None:
                    request["stop" if key == "stop_sequences" else key] = params[key]
        if request.get("stream") is False:
            del request["stream"]

        start, end = _seconds(obj, "startTime"), _seconds(obj, "endTime")
        first_token = _seconds(obj, "completionStartTime")
        latency = end - start if start is not None and end is not None and end >= start else None
        ttft = first_token - start if start is not None and first_token is not None \
            and first_token >= start else None

        raw_meta = obj.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        metadata = {k: meta[k] for k in METADATA_KEYS if k in meta and not _empty(meta[k])}
        metadata.update({k: obj[k] for k in TOP_KEYS if k in obj and not _empty(obj[k])})
        tags = obj.get("request_tags") or meta.get("tags")
        if isinstance(tags, list) and tags:
            metadata["tags"] = tags
        cost_usd = parse_number(obj.get("response_cost"), "response_cost")
        if isinstance(obj.get("trace_id"), str):
            metadata["trace_id"] = obj["trace_id"]

        session = obj.get("session_id") or meta.get("session_id") or obj.get("trace_id")
        record_id = obj.get("id")
        return Record.model_validate({
            "id": str(record_id) if isinstance(record_id, str | int) and record_id != ""
            else f"line-{number}",
            "request": request,
            "response": measured(self._response(obj, latency), ttft, cost_usd),
            "conversation_id": None if _empty(session) else str(session),
            "timestamp": None if start is None else datetime.fromtimestamp(start, UTC),
            "metadata": metadata,
        })

    def _response(self, obj: dict[str, Any], latency: float | None) -> dict[str, Any] | None:
        usage = {key: parse_number(obj.get(key), key, int)
                 for key in ("prompt_tokens", "completion_tokens")}
        raw = obj.get("response")
        if obj.get("status") == "failure":
            info = obj.get("error_information")
            info = info if isinstance(info, dict) else {}
            code = str(info.get("error_code") or "")
            http_status = int(code) if code.isdigit() and len(code) <= 3 else None
            message = obj.get("error_str") or info.get("error_message") or info.get(
                "error_class") or "error"
            return {"status": "rate_limited" if http_status == 429 else "error",
                    "error": str(message)[:2000], "http_status": http_status,
                    "latency_s": latency, "model": obj.get("model") or None}
        if _empty(raw):
            return None
        if isinstance(raw, str):
            return {"answer": raw, "usage": usage, "latency_s": latency,
                    "model": obj.get("model") or None}
        if not isinstance(raw, dict) or "choices" not in raw:
            raise ValueError("response must be a chat completion (an object with 'choices') "
                             "or the answer text")
        fields = dict(raw)
        if not isinstance(fields.get("usage"), dict):
            fields["usage"] = usage
        fields["latency_s"] = latency
        return fields
