"""OpenTelemetry GenAI spans: OTLP JSON from the Collector's file exporter, or one span a line.

A line is either an export (``{"resourceSpans": [{"resource", "scopeSpans": [{"spans"}]}]}``,
attributes as OTLP ``{"key", "value": {"stringValue" | "intValue" | ...}}`` lists) or one
span object (OTLP form, or attributes as a plain object). Every chat span
(``gen_ai.operation.name`` chat / text_completion / generate_content) is one record; other
spans (tools, embeddings, agents) are counted as skipped.

Messages come from ``gen_ai.system_instructions`` / ``gen_ai.input.messages`` /
``gen_ai.output.messages`` (role + parts, JSON text or structured), or from the older span
events ``gen_ai.{system,user,assistant,tool}.message`` and ``gen_ai.choice``. The span id
is the record id, the trace id the conversation (unless ``gen_ai.conversation.id`` says),
the span's duration the latency.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import parse_number
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.records import Record
from swapkit.support.hashing import canonical_json

__all__ = ["OtelFormat", "otlp_attributes", "otlp_value"]

CHAT_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
PARAMS = {
    "gen_ai.request.temperature": ("temperature", float),
    "gen_ai.request.top_p": ("top_p", float),
    "gen_ai.request.max_tokens": ("max_tokens", int),
    "gen_ai.request.frequency_penalty": ("frequency_penalty", float),
    "gen_ai.request.presence_penalty": ("presence_penalty", float),
    "gen_ai.request.seed": ("seed", int),
    "gen_ai.request.choice.count": ("n", int),
    "gen_ai.request.model": ("model", str),
}
FINISH_REASONS = {"tool_call": "tool_calls", "tool_calls": "tool_calls"}
ERROR_STATUS = (2, "STATUS_CODE_ERROR", "ERROR")


def otlp_value(value: Any) -> Any:
    """A plain Python value from an OTLP ``AnyValue`` (a plain value passes through)."""
    if not isinstance(value, dict):
        return value
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        number = value["intValue"]
        if isinstance(number, bool) or not isinstance(number, int | str):
            raise ValueError(f"intValue {number!r} is not an integer")
        return int(number)
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        values = (value["arrayValue"] or {}).get("values") or []
        if not isinstance(values, list):
            raise ValueError("arrayValue.values must be a list")
        return [otlp_value(v) for v in values]
    if "kvlistValue" in value:
        return otlp_attributes((value["kvlistValue"] or {}).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return value if value else None


def otlp_attributes(raw: Any) -> dict[str, Any]:
    """Attributes as a dict, from an OTLP key/value list or a plain object."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): otlp_value(v) for k, v in raw.items()}
    if not isinstance(raw, list):
        raise ValueError(f"attributes must be a list or an object, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValueError('each attribute must be {"key": ..., "value": ...}')
        out[item["key"]] = otlp_value(item.get("value"))
    return out


def _json(value: Any, name: str) -> Any:
    """An attribute that may hold JSON text (the usual form of message attributes)."""
    if isinstance(value, str | bytes) and value.strip()[:1] in ("[", "{", b"[", b"{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"{name} is not valid JSON ({err})") from None
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value).decode()


def _tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise ValueError("a tool call has no name")
    args = arguments if isinstance(arguments, str) else (
        "" if arguments is None else canonical_json(arguments).decode()
    )
    return {"id": None if call_id is None else str(call_id), "type": "function",
            "function": {"name": name, "arguments": args}}


def _chat_messages(raw: Any, name: str) -> list[dict[str, Any]]:
    """OpenAI chat messages from GenAI ``{"role", "parts": [...]}`` messages."""
    raw = _json(raw, name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{name} must be a list of messages")
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError(f"{name}[{i}] must be an object with a string 'role'")
        parts = message.get("parts")
        if not isinstance(parts, list):
            raise ValueError(f"{name}[{i}].parts must be a list")
        texts, calls, responses = [], [], []
        for part in parts:
            if not isinstance(part, dict):
                raise ValueError(f"{name}[{i}].parts: each part must be an object")
            kind = part.get("type")
            if kind == "text":
                texts.append(_text(part.get("content", "")))
            elif kind == "tool_call":
                calls.append(_tool_call(part.get("id"), part.get("name"), part.get("arguments")))
            elif kind == "tool_call_response":
                responses.append({"role": "tool", "tool_call_id": part.get("id"),
                                  "content": _text(part.get("response", ""))})
        if responses:
            messages.extend(responses)
            continue
        out: dict[str, Any] = {"role": message["role"], "content": "\n".join(texts)}
        if calls:
            out["content"] = out["content"] or None
            out["tool_calls"] = calls
        messages.append(out)
    return messages


def _system(raw: Any) -> list[dict[str, Any]]:
    raw = _json(raw, "gen_ai.system_instructions")
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "system", "content": raw}]
    if not isinstance(raw, list):
        raise ValueError("gen_ai.system_instructions must be a list of parts")
    texts = [_text(p.get("content", "")) for p in raw
             if isinstance(p, dict) and p.get("type") == "text"]
    return [{"role": "system", "content": "\n".join(texts)}] if texts else []


def _tools(raw: Any) -> list[dict[str, Any]] | None:
    raw = _json(raw, "gen_ai.tool.definitions")
    if not isinstance(raw, list):
        return None
    tools = []
    for tool in raw:
        if not isinstance(tool, dict):
            continue
        if isinstance(tool.get("function"), dict):
            tools.append(tool)
        elif tool.get("type", "function") == "function" and isinstance(tool.get("name"), str):
            function = {k: tool[k] for k in ("name", "description", "parameters") if k in tool}
            tools.append({"type": "function", "function": function})
    return tools or None


def _event_body(attributes: dict[str, Any]) -> dict[str, Any]:
    for key in ("body", "gen_ai.event.content", "event.body"):
        if key in attributes:
            body = _json(attributes[key], key)
            if isinstance(body, dict):
                return body
            return {"content": body}
    return attributes


def _event_message(role: str, body: dict[str, Any]) -> dict[str, Any]:
    content = body.get("content")
    if content is not None and not isinstance(content, str | list):
        content = _text(content)
    message: dict[str, Any] = {"role": role, "content": content}
    if role == "tool":
        message["tool_call_id"] = body.get("id")
        message["content"] = content or ""
    calls = _json(body.get("tool_calls"), "tool_calls")
    if isinstance(calls, list) and calls:
        message["tool_calls"] = [
            _tool_call(c.get("id"), (c.get("function") or {}).get("name"),
                       (c.get("function") or {}).get("arguments"))
            for c in calls if isinstance(c, dict)
        ]
    elif content is None:
        message["content"] = ""
    return message


def _events(span: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Input messages and the first choice from the older event-based form."""
    events = span.get("events") or []
    if not isinstance(events, list):
        raise ValueError("events must be a list")
    messages: list[dict[str, Any]] = []
    choice: dict[str, Any] | None = None
    for event in events:
        if not isinstance(event, dict):
            continue
        name = event.get("name")
        if name in EVENT_ROLES:
            body = _event_body(otlp_attributes(event.get("attributes")))
            role = str(body.get("role") or EVENT_ROLES[name])
            messages.append(_event_message(role, body))
        elif name == "gen_ai.choice" and choice is None:
            body = _event_body(otlp_attributes(event.get("attributes")))
            raw = _json(body.get("message"), "message")
            message = _event_message("assistant", raw if isinstance(raw, dict) else {})
            choice = {"message": message, "finish_reason": body.get("finish_reason")}
    return messages, choice


def _nanos(value: Any) -> int | None:
    if isinstance(value, bool) or value in (None, "", 0, "0"):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        try:  # the SDK's console exporter writes ISO 8601 times
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"time {value[:40]!r} is neither nanoseconds nor ISO 8601") from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return int(stamp.timestamp() * 1e9)
    raise ValueError(f"time {value!r} is not a number of nanoseconds")


def _number(attributes: dict[str, Any], key: str, kind: type) -> Any:
    value = attributes.get(key)
    if kind is str:
        return None if value is None else str(value)
    return parse_number(value, key, kind)


def _first(attributes: dict[str, Any], key: str, old_key: str) -> int | None:
    value = _number(attributes, key, int)
    return _number(attributes, old_key, int) if value is None else value  # type: ignore[no-any-return]


def _span_id(span: dict[str, Any], key: str) -> str | None:
    context = span.get("context") if isinstance(span.get("context"), dict) else {}
    snake = "trace_id" if key == "traceId" else "span_id"
    value = span.get(key) or span.get(snake) or context.get(snake)  # type: ignore[union-attr]
    if value is None or value == "":
        return None
    text = str(value)
    return text[2:] if text.startswith("0x") else text


class OtelFormat(JsonlFormat):
    """OpenTelemetry GenAI chat spans, as OTLP JSON exports or one span per line."""

    name = "otel"
    description = "OpenTelemetry GenAI spans: OTLP JSON (Collector file exporter) or a span a line"
    hint = ("chat spans need gen_ai.operation.name=chat and their messages "
            "(gen_ai.input.messages, or gen_ai.*.message events)")

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """An OTLP export (``resourceSpans``) or a span object with an id and attributes."""
        if not first:
            return False
        if isinstance(first.get("resourceSpans"), list):
            return True
        has_id = "spanId" in first or "span_id" in first or isinstance(first.get("context"), dict)
        return has_id and "attributes" in first and "request" not in first

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterator[Record | Skipped | ValueError]:
        """One record per chat span of the line; a malformed span is a ValueError item."""
        if "resourceSpans" not in obj:
            yield from self._span(obj, {}, number, 0)
            return
        resource_spans = obj["resourceSpans"]
        if not isinstance(resource_spans, list):
            raise ValueError("resourceSpans must be a list")
        k = 0
        for rs in resource_spans:
            if not isinstance(rs, dict):
                raise ValueError("resourceSpans: each entry must be an object")
            resource = otlp_attributes((rs.get("resource") or {}).get("attributes"))
            for scope in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []:
                spans = scope.get("spans") if isinstance(scope, dict) else None
                if not isinstance(spans, list):
                    raise ValueError("scopeSpans: each entry needs a list of spans")
                for span in spans:
                    yield from self._span(span, resource, number, k)
                    k += 1

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """One span object as a record (a span that is not a chat call is an error here)."""
        return self.only_record(self._span(obj, {}, number, 0), "no span")

    def _span(
        self, span: Any, resource: dict[str, Any], number: int, k: int
    ) -> Iterator[Record | Skipped | ValueError]:
        if not isinstance(span, dict):
            yield ValueError(f"span {k + 1}: not an object")
            return
        span_id = _span_id(span, "spanId")
        where = f"span {span_id or k + 1}"
        try:
            attributes = otlp_attributes(span.get("attributes"))
            operation = attributes.get("gen_ai.operation.name")
            if operation not in CHAT_OPERATIONS:
                reason = ("not a GenAI span (no gen_ai.operation.name)" if operation is None
                          else f"gen_ai.operation.name={str(operation)[:40]}")
                yield Skipped(number, reason)
                return
            yield self._record(span, attributes, resource, span_id, number, k)
        except ValidationError as err:
            yield ValueError(f"{where}: {err.errors(include_url=False)[0]['msg']}")
        except (ValueError, TypeError, KeyError, RecursionError) as err:
            yield ValueError(f"{where}: {err}")

    def _record(
        self, span: dict[str, Any], attributes: dict[str, Any], resource: dict[str, Any],
        span_id: str | None, number: int, k: int,
    ) -> Record:
        for event in span.get("events") or []:  # the newer single-event form
            if isinstance(event, dict) and event.get("name") == (
                "gen_ai.client.inference.operation.details"
            ):
                for key, value in otlp_attributes(event.get("attributes")).items():
                    attributes.setdefault(key, value)
        event_messages, choice = _events(span)
        messages = _system(attributes.get("gen_ai.system_instructions"))
        inputs = _chat_messages(attributes.get("gen_ai.input.messages"), "gen_ai.input.messages")
        if not inputs:
            inputs = event_messages
        if inputs and inputs[0]["role"] == "system":
            messages = []  # the instructions are in the messages already
        messages += inputs
        if not inputs:
            raise ValueError(
                "chat span has no input messages (gen_ai.input.messages or gen_ai.*.message "
                "events): was message content capture off? (e.g. "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)"
            )
        request: dict[str, Any] = {"messages": messages}
        for key, (param, kind) in PARAMS.items():
            value = _number(attributes, key, kind)
            if value is not None:
                request[param] = value
        stop = attributes.get("gen_ai.request.stop_sequences")
        if isinstance(stop, list) and stop:
            request["stop"] = stop
        tools = _tools(attributes.get("gen_ai.tool.definitions"))
        if tools:
            request["tools"] = tools

        start, end = _nanos(span.get("startTimeUnixNano") or span.get("start_time")), _nanos(
            span.get("endTimeUnixNano") or span.get("end_time"))
        latency = (end - start) / 1e9 if start is not None and end is not None and end >= start \
            else None
        trace_id = _span_id(span, "traceId")
        conversation = attributes.get("gen_ai.conversation.id") or trace_id
        metadata = {
            key: value for key, value in {
                "trace_id": trace_id, "span_id": span_id, "span_name": span.get("name"),
                "parent_span_id": span.get("parentSpanId") or span.get("parent_id"),
                "service_name": resource.get("service.name"),
                "provider": attributes.get("gen_ai.provider.name")
                or attributes.get("gen_ai.system"),
                "operation": attributes.get("gen_ai.operation.name"),
            }.items() if value not in (None, "")
        }
        return Record.model_validate({
            "id": span_id or f"line-{number}-{k + 1}",
            "request": request,
            "response": self._response(span, attributes, choice, latency),
            "conversation_id": None if conversation is None else str(conversation),
            "timestamp": None if start is None else datetime.fromtimestamp(start / 1e9, UTC),
            "metadata": metadata,
        })

    def _response(
        self, span: dict[str, Any], attributes: dict[str, Any],
        choice: dict[str, Any] | None, latency: float | None,
    ) -> dict[str, Any] | None:
        finish = attributes.get("gen_ai.response.finish_reasons")
        finish_reason = finish[0] if isinstance(finish, list) and finish else (
            finish if isinstance(finish, str) else None)
        outputs = _json(attributes.get("gen_ai.output.messages"), "gen_ai.output.messages")
        if isinstance(outputs, list) and outputs:
            first = outputs[0]
            if isinstance(first, dict) and isinstance(first.get("finish_reason"), str):
                finish_reason = finish_reason or first["finish_reason"]
            reasoning = "\n".join(
                _text(p.get("content", "")) for p in (
                    first.get("parts") if isinstance(first, dict) else None) or []
                if isinstance(p, dict) and p.get("type") == "reasoning"
            ) or None
            message = _chat_messages(outputs[:1], "gen_ai.output.messages")[0]
            if reasoning:
                message["reasoning_content"] = reasoning
            choice = {"message": message, "finish_reason": finish_reason}
        raw_status = span.get("status")
        status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
        if status.get("code") in ERROR_STATUS and choice is None:
            error = attributes.get("error.type") or status.get("message")
            return {"status": "error", "error": str(error or "error"), "latency_s": latency}
        usage = {
            "prompt_tokens": _first(attributes, "gen_ai.usage.input_tokens",
                                    "gen_ai.usage.prompt_tokens"),
            "completion_tokens": _first(attributes, "gen_ai.usage.output_tokens",
                                        "gen_ai.usage.completion_tokens"),
            "prompt_tokens_details": {
                "cached_tokens": _number(attributes, "gen_ai.usage.cache_read.input_tokens", int)
            },
        }
        if choice is None:
            return None
        reason: Any = choice.get("finish_reason") or finish_reason
        return {
            "object": "chat.completion",
            "model": attributes.get("gen_ai.response.model") or attributes.get(
                "gen_ai.request.model"),
            "choices": [{"message": choice["message"],
                         "finish_reason": FINISH_REASONS.get(str(reason), reason)}],
            "usage": usage,
            "latency_s": latency,
        }
