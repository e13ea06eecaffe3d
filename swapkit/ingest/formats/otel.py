"""OpenTelemetry GenAI spans: OTLP JSON from the Collector's file exporter, or one span a line.

A line is either an export (``{"resourceSpans": [{"resource", "scopeSpans": [{"spans"}]}]}``,
attributes as OTLP ``{"key", "value": {"stringValue" | "intValue" | ...}}`` lists) or one
span object (OTLP form, or attributes as a plain object). Every chat span
(``gen_ai.operation.name`` chat / text_completion / generate_content, or, without it,
OpenLLMetry's ``llm.request.type`` chat / completion) is one record; other spans (tools,
embeddings, agents, workflows) are counted as skipped.

Messages come from one of three forms (``otel_attributes``), taken in this order when a
span has several, each side (input, answer) on its own: the structured attributes
(``gen_ai.system_instructions`` / ``gen_ai.input.messages`` / ``gen_ai.output.messages``),
then the older span events (``gen_ai.{system,user,assistant,tool}.message``,
``gen_ai.choice``), then the flat indexed attributes of OpenLLMetry
(``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*``, tools from ``llm.request.functions.K.*``).
The span id is the record id, the trace id the conversation (unless
``gen_ai.conversation.id`` says), the span's duration the latency. OpenLLMetry's
``traceloop.entity.name`` / ``traceloop.workflow.name`` and its association properties
(``traceloop.association.properties.KEY``, set by ``Traceloop.set_association_properties``)
go to ``metadata`` (a property as ``metadata.KEY``, unless the reader's own key has the name).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import parse_number
from swapkit.ingest.formats.jsonl import ENTRY_ERRORS, JsonlFormat
from swapkit.ingest.formats.otel_attributes import (
    chat_messages,
    flat_choice,
    flat_messages,
    flat_tools,
    json_attribute,
    system_messages,
    text_of,
    tool_call,
    tool_definitions,
)
from swapkit.records import Record

__all__ = ["OtelFormat", "otlp_attributes", "otlp_value"]

CHAT_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
REQUEST_TYPES = {"chat": "chat", "completion": "text_completion"}  # OpenLLMetry's llm.request.type
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
FLAT_PARAMS = {  # OpenLLMetry's names, where the semantic conventions have none or later ones
    "llm.frequency_penalty": ("frequency_penalty", float),
    "llm.presence_penalty": ("presence_penalty", float),
    "llm.user": ("user", str),
}
ASSOCIATION = "traceloop.association.properties."
# keys of the flat (indexed) forms and of OpenLLMetry's properties
FLAT_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.", "llm.", "traceloop.")
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
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str):
            raise ValueError('each attribute must be {"key": ..., "value": ...}')
        value = item.get("value")
        # most attributes are strings: read them here rather than through otlp_value
        if isinstance(value, dict) and "stringValue" in value:
            out[key] = value["stringValue"]
        else:
            out[key] = otlp_value(value)
    return out


def _event_body(attributes: dict[str, Any]) -> dict[str, Any]:
    for key in ("body", "gen_ai.event.content", "event.body"):
        if key in attributes:
            body = json_attribute(attributes[key], key)
            if isinstance(body, dict):
                return body
            return {"content": body}
    return attributes


def _event_message(role: str, body: dict[str, Any]) -> dict[str, Any]:
    content = body.get("content")
    if content is not None and not isinstance(content, str | list):
        content = text_of(content)
    message: dict[str, Any] = {"role": role, "content": content}
    if role == "tool":
        message["tool_call_id"] = body.get("id")
        message["content"] = content or ""
    calls = json_attribute(body.get("tool_calls"), "tool_calls")
    if isinstance(calls, list) and calls:
        message["tool_calls"] = [
            tool_call(c.get("id"), (c.get("function") or {}).get("name"),
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
            raw = json_attribute(body.get("message"), "message")
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


def _operation(attributes: dict[str, Any]) -> tuple[str, Any]:
    """The attribute that names the span's operation, and the operation it names."""
    operation = attributes.get("gen_ai.operation.name")
    request_type = attributes.get("llm.request.type")
    if operation is None and request_type is not None:
        return "llm.request.type", REQUEST_TYPES.get(str(request_type), request_type)
    return "gen_ai.operation.name", operation


def _traceloop(attributes: dict[str, Any]) -> dict[str, Any]:
    """OpenLLMetry's entity, workflow and association properties, for ``metadata``."""
    found = {key[len(ASSOCIATION):]: value for key, value in attributes.items()
             if key.startswith(ASSOCIATION) and len(key) > len(ASSOCIATION)}
    for key, name in (("traceloop.entity.name", "entity_name"),
                      ("traceloop.workflow.name", "workflow_name")):
        if attributes.get(key) not in (None, ""):
            found[name] = attributes[key]
    return found


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
    hint = ("chat spans need gen_ai.operation.name=chat (or llm.request.type=chat) and their "
            "messages (gen_ai.input.messages, gen_ai.*.message events or gen_ai.prompt.N.*)")

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
            key, operation = _operation(attributes)
            if operation not in CHAT_OPERATIONS:
                reason = ("not a GenAI span (no gen_ai.operation.name)" if operation is None
                          else f"{key}={str(attributes[key])[:40]}")
                yield Skipped(number, reason)
                return
            attributes["gen_ai.operation.name"] = operation
            yield self._record(span, attributes, resource, span_id, number, k)
        except ENTRY_ERRORS as err:
            yield self.entry_error(where, err)

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
        messages = system_messages(attributes.get("gen_ai.system_instructions"))
        inputs = (chat_messages(attributes.get("gen_ai.input.messages"), "gen_ai.input.messages")
                  or event_messages or flat_messages(attributes))
        if inputs and inputs[0]["role"] == "system":
            messages = []  # the instructions are in the messages already
        messages += inputs
        if not inputs:
            raise ValueError(
                "chat span has no input messages (gen_ai.input.messages, gen_ai.*.message "
                "events or gen_ai.prompt.N.*): was message content capture off? (e.g. "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, or "
                "TRACELOOP_TRACE_CONTENT=true for OpenLLMetry)"
            )
        request: dict[str, Any] = {"messages": messages}
        for key, (param, kind) in PARAMS.items():
            value = _number(attributes, key, kind) if key in attributes else None
            if value is not None:
                request[param] = value
        for key, (param, kind) in FLAT_PARAMS.items():
            value = _number(attributes, key, kind) if key in attributes else None
            if value is not None and param not in request:
                request[param] = value
        stop = attributes.get("gen_ai.request.stop_sequences")
        if isinstance(stop, list) and stop:
            request["stop"] = stop
        # the flat forms and OpenLLMetry's properties only where the span has such keys
        flat = any(key.startswith(FLAT_PREFIXES) for key in attributes)
        tools = tool_definitions(attributes.get("gen_ai.tool.definitions")) or (
            flat_tools(attributes) if flat else None)
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
        if flat:
            for key, value in _traceloop(attributes).items():
                metadata.setdefault(key, value)
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
        outputs = json_attribute(attributes.get("gen_ai.output.messages"), "gen_ai.output.messages")
        if isinstance(outputs, list) and outputs:
            first = outputs[0]
            if isinstance(first, dict) and isinstance(first.get("finish_reason"), str):
                finish_reason = finish_reason or first["finish_reason"]
            reasoning = "\n".join(
                text_of(p.get("content", "")) for p in (
                    first.get("parts") if isinstance(first, dict) else None) or []
                if isinstance(p, dict) and p.get("type") == "reasoning"
            ) or None
            message = chat_messages(outputs[:1], "gen_ai.output.messages")[0]
            if reasoning:
                message["reasoning_content"] = reasoning
            choice = {"message": message, "finish_reason": finish_reason}
        if choice is None:
            choice = flat_choice(attributes)
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
                "cached_tokens": _first(attributes, "gen_ai.usage.cache_read.input_tokens",
                                        "gen_ai.usage.cache_read_input_tokens")
            },
        }
        total = _number(attributes, "llm.usage.total_tokens", int)
        if usage["completion_tokens"] is None and usage["prompt_tokens"] is not None \
                and total is not None and total >= usage["prompt_tokens"]:
            usage["completion_tokens"] = total - usage["prompt_tokens"]
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
