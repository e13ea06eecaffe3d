"""Helicone request exports: one request row a line, an API page a line, or a CSV export
(``@helicone/export --format csv`` or the dashboard's, read through :mod:`.table_rows`).

A line is one request row (``npx @helicone/export`` JSONL, or one ``GET
/v1/request/{id}`` result) or a page of ``POST /v1/request/query`` (``{"data": [rows],
"error": null}``). A row carries ``request_id``, ``request_created_at``, ``request_body``
(the provider request, JSON text or an object), ``response_body``, ``response_status``,
``request_model`` / ``response_model`` / ``model``, ``delay_ms``, ``time_to_first_token``
(milliseconds), token counts, ``costUSD`` / ``cost``, ``request_properties`` /
``properties`` (custom ``Helicone-Property-*`` headers) and ``request_user_id``.

Only chat requests (a body with ``messages``) become records; embeddings and other
requests, and rows exported without bodies, are counted as skipped. An HTTP status of
400 or more is a recorded error (429: ``rate_limited``). The time to first token and the
cost are the recorded response's ``ttft_s`` and ``cost_usd``; custom properties go to
``metadata.properties`` (``--segment properties.App``), and the
``Helicone-Session-Id`` property is the conversation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import measured, parse_number
from swapkit.ingest.formats.jsonl import ENTRY_ERRORS, JsonlFormat
from swapkit.records import Record

__all__ = ["HeliconeFormat"]

ROW_KEYS = ("request_body", "response_body", "response_status", "request_created_at",
            "delay_ms", "request_properties")
NUMBER_PARAMS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
INT_PARAMS = ("max_tokens", "max_completion_tokens", "seed", "n", "top_logprobs")
TYPED_PARAMS: dict[str, type | tuple[type, ...]] = {
    "tools": list, "tool_choice": (str, dict), "parallel_tool_calls": bool,
    "functions": list, "function_call": (str, dict), "response_format": dict,
    "stop": (str, list), "logit_bias": dict, "logprobs": bool, "reasoning_effort": str,
}
SESSION_KEYS = ("helicone-session-id", "session-id", "session_id", "sessionid")
NO_BODY = "request body not exported (export with --include-body)"


def _looks_like_row(obj: Any) -> bool:
    return isinstance(obj, dict) and "request_id" in obj and any(k in obj for k in ROW_KEYS)


def _placeholder(body: Any) -> bool:
    """The API's stand-in for a body it did not fetch (``{"helicone_message": ...}``)."""
    return isinstance(body, dict) and set(body) == {"helicone_message"}


def _is_page(obj: dict[str, Any]) -> bool:
    return "data" in obj and "error" in obj and "request_id" not in obj


def _json(value: Any, name: str) -> Any:
    """A body that may be stored as JSON text."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                pass
            try:  # what orjson refuses and Python reads: integers past 64 bits, NaN
                return json.loads(text)
            except (ValueError, RecursionError):
                raise ValueError(f"{name} is text that is not valid JSON") from None
    return value


def _params(body: dict[str, Any]) -> dict[str, Any]:
    """The request body's sampling parameters, numbers read from numeric text too."""
    params: dict[str, Any] = {}
    for key in NUMBER_PARAMS:
        if key in body:
            value = parse_number(body[key], f"request_body.{key}")
            if value is not None:
                params[key] = value
    for key in INT_PARAMS:
        if key in body:
            count = parse_number(body[key], f"request_body.{key}", int)
            if count is not None:
                params[key] = count
    for key, kind in TYPED_PARAMS.items():
        if body.get(key) is None:
            continue
        if not isinstance(body[key], kind):
            raise ValueError(f"request_body.{key} has the wrong type "
                             f"({type(body[key]).__name__})")
        params[key] = body[key]
    return params


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"request_created_at must be an ISO 8601 time, got "
                         f"{type(value).__name__}")
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"request_created_at {value[:40]!r} is not an ISO 8601 time") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _skip_reason(row: dict[str, Any], body: dict[str, Any]) -> str:
    path = row.get("request_path") or row.get("target_url") or ""
    model = body.get("model") or row.get("request_model") or ""
    if "embedding" in str(path) or ("input" in body and "embed" in str(model)):
        return "embeddings request"
    return "not a chat request (no messages in request_body)"


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and error:
            return error
        for key in ("message", "helicone_message", "heliconeMessage"):
            if body.get(key):
                return str(body[key])
        return json.dumps(body)[:2000]
    return str(body or "error")


class HeliconeFormat(JsonlFormat):
    """Helicone request rows, one a line or as ``/v1/request/query`` pages."""

    name = "helicone"
    description = ('Helicone request export JSONL or CSV (@helicone/export, dashboard) or API '
                   'pages ({"data": [...], "error": null})')
    hint = ('each line needs a Helicone request row ("request_id", "request_body", ...) '
            'or a page {"data": [rows]}; use --skip-invalid to count and skip malformed lines')
    # The CSV of @helicone/export or of the dashboard's export: a request row's fields.
    table_json = frozenset({"request_body", "response_body", "request_properties",
                            "properties"})

    def sniff_table(self, columns: list[str]) -> bool:
        """A request export: ``request_body`` beside a request or response id."""
        return "request_body" in columns and bool({"request_id", "response_id"} & set(columns))

    def table_row(self, row: dict[str, Any]) -> dict[str, Any]:
        """The @helicone/export CSV has no ``request_id`` column: its ``response_id`` names
        the row instead."""
        if "request_id" not in row and row.get("response_id") is not None:
            return {**row, "request_id": row["response_id"]}
        return row

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A request row, or an API page (or single-request result) of them."""
        if not first:
            return False
        if _looks_like_row(first):
            return True
        return _is_page(first) and _looks_like_row(first["data"])

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterator[Record | Skipped | ValueError]:
        """The record of a request row or a single-request result (the rows of a page's
        ``data`` list reach here one by one: see ``iter_entries``); a malformed row is a
        ValueError item."""
        if _is_page(obj):
            data, error = obj["data"], obj["error"]
            if error is not None and not data:
                raise ValueError(f"an API error page: {str(error)[:200]}")
            if not isinstance(data, dict):
                raise ValueError('"data" must be a list of request rows')
            obj = data
        yield from self._row(obj, number)

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """One row as a record (anything else is an error here)."""
        return self.only_record(self._row(obj, number), "no request row")

    def _row(self, row: dict[str, Any], number: int) -> Iterator[Record | Skipped | ValueError]:
        row_id = row.get("request_id")
        where = "request" if row_id is None else f"request {str(row_id)[:60]}"
        if row_id is None:
            yield ValueError(f'{where}: no "request_id" (not a Helicone request row)')
            return
        try:
            body = _json(row.get("request_body"), "request_body")
            if body is None or body in ({}, "") or _placeholder(body):
                yield Skipped(number, NO_BODY)
                return
            if not isinstance(body, dict):
                raise ValueError(f"request_body must be an object, got {type(body).__name__}")
            if "messages" not in body:
                yield Skipped(number, _skip_reason(row, body))
                return
            yield self._record(row, body, number)
        except ENTRY_ERRORS as err:
            yield self.entry_error(where, err)

    def _record(self, row: dict[str, Any], body: dict[str, Any], number: int) -> Record:
        messages = body["messages"]
        if not isinstance(messages, list) or not messages:
            raise ValueError("request_body.messages must be a non-empty list")
        if not all(isinstance(m, dict) for m in messages):
            raise ValueError("request_body.messages must hold message objects")
        request: dict[str, Any] = {"messages": messages}
        if isinstance(body.get("system"), str) and body["system"] and all(
                m.get("role") != "system" for m in messages):
            request["messages"] = [{"role": "system", "content": body["system"]}, *messages]
        request.update(_params(body))
        model = body.get("model") or row.get("request_model") or row.get("model")
        if model:
            request["model"] = str(model)

        delay = row.get("delay_ms") if row.get("delay_ms") is not None else row.get("latency")
        delay_ms = parse_number(delay, "delay_ms")
        latency = delay_ms / 1000 if delay_ms is not None and delay_ms >= 0 else None
        ttft_ms = parse_number(row.get("time_to_first_token"), "time_to_first_token")
        cost = row.get("costUSD") if row.get("costUSD") is not None else row.get("cost")
        cost_usd = parse_number(cost, "costUSD")

        raw_props = row.get("request_properties")
        if raw_props is None:
            raw_props = row.get("properties")
        raw_props = _json(raw_props, "request_properties")
        if raw_props is not None and not isinstance(raw_props, dict):
            raise ValueError("request_properties must be an object")
        props: dict[str, Any] = raw_props or {}
        session = next((v for key, v in props.items()
                        if str(key).lower() in SESSION_KEYS and v not in (None, "")), None)
        user = row.get("request_user_id") or row.get("helicone_user")
        metadata = {key: value for key, value in {
            "properties": props or None,
            "user_id": user,
            "provider": row.get("provider"),
            "request_path": row.get("request_path"),
            "prompt_id": row.get("prompt_id"),
            "prompt_version": row.get("prompt_version"),
        }.items() if value not in (None, "", {})}
        return Record.model_validate({
            "id": str(row["request_id"]) or f"line-{number}",
            "request": request,
            "response": measured(self._response(row, latency),
                                 None if ttft_ms is None else ttft_ms / 1000, cost_usd),
            "conversation_id": None if session is None else str(session),
            "timestamp": _time(row.get("request_created_at")),
            "metadata": metadata,
        })

    def _response(self, row: dict[str, Any], latency: float | None) -> dict[str, Any] | None:
        status = parse_number(row.get("response_status"), "response_status", int)
        body = _json(row.get("response_body"), "response_body")
        model = row.get("response_model") or row.get("model")
        model = None if not model else str(model)
        if status is not None and status >= 400:
            return {"status": "rate_limited" if status == 429 else "error",
                    "error": _error_message(body)[:2000], "http_status": status,
                    "latency_s": latency, "model": model}
        if body is None or body in ({}, ""):
            return None
        if not isinstance(body, dict) or "choices" not in body:
            if isinstance(body, dict) and body.get("error"):
                return {"status": "error", "error": _error_message(body)[:2000],
                        "http_status": status, "latency_s": latency, "model": model}
            raise ValueError("response_body must be a chat completion (an object with "
                             "'choices')")
        fields = dict(body)
        if not isinstance(fields.get("usage"), dict):
            fields["usage"] = {
                "prompt_tokens": parse_number(row.get("prompt_tokens"), "prompt_tokens", int),
                "completion_tokens": parse_number(row.get("completion_tokens"),
                                                  "completion_tokens", int),
            }
        fields["latency_s"] = latency
        return fields
