"""LangSmith run exports: one run a line (``list_runs`` dumped as JSON Lines), or the bulk
export's Parquet files (a run a row, read through :mod:`.table_rows`).

Every run with ``run_type == "llm"`` is one record; other runs (chain, tool, retriever,
embedding, prompt, parser) are counted as skipped. The prompt comes from ``inputs``:
OpenAI-shaped ``{"messages": [...]}``, LangChain's serialized messages (a list per batch
item, each ``{"lc": 1, "type": "constructor", "id": [..., "HumanMessage"], "kwargs"}`` or
``{"type": "human", "data": {...}}``), or ``{"prompts": [...]}`` (the first batch item).
The answer comes from ``outputs.generations`` (or an OpenAI-shaped ``choices``), the
parameters from ``extra.invocation_params``, usage from the run's token counts (or
``llm_output.token_usage``, or the AI message's ``usage_metadata``), latency from
``start_time``/``end_time``, the time to first token from ``first_token_time`` and the
cost from ``total_cost`` (or its prompt and completion parts), all on the recorded
response. The run id is the record id, the trace id the conversation (unless the metadata
names a session or thread); the run's name (``span_name``), tags and ``extra.metadata`` go
to the record's metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import measured, parse_number
from swapkit.ingest.formats.jsonl import ENTRY_ERRORS, JsonlFormat
from swapkit.records import Record
from swapkit.support.hashing import canonical_json

__all__ = ["LangsmithFormat"]

ROLES = {
    "human": "user", "user": "user", "humanmessage": "user", "humanmessagechunk": "user",
    "system": "system", "systemmessage": "system", "systemmessagechunk": "system",
    "ai": "assistant", "assistant": "assistant", "aimessage": "assistant",
    "aimessagechunk": "assistant",
    "tool": "tool", "toolmessage": "tool", "toolmessagechunk": "tool",
    "function": "function", "functionmessage": "function",
    "developer": "developer",
}
PARAMS = {
    "temperature": float, "top_p": float, "max_tokens": int, "max_completion_tokens": int,
    "frequency_penalty": float, "presence_penalty": float, "seed": int, "n": int,
}
PASS_PARAMS = ("tools", "tool_choice", "response_format", "stop", "parallel_tool_calls",
               "reasoning_effort")
CONVERSATION_KEYS = ("session_id", "thread_id", "conversation_id")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value).decode()


def _content(value: Any) -> str | list[Any]:
    if value is None:
        return ""
    if isinstance(value, str | list):
        return value
    return _text(value)


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else _text(value))


def _tool_calls(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenAI tool calls from a message's ``tool_calls`` (LangChain's ``{"name", "args"}``
    or OpenAI's ``{"function"}``), else from ``additional_kwargs.tool_calls``."""
    extra = fields.get("additional_kwargs")
    raw = fields.get("tool_calls") or (
        extra.get("tool_calls") if isinstance(extra, dict) else None)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("tool_calls must be a list")
    calls = []
    for call in raw:
        if not isinstance(call, dict):
            raise ValueError("each tool call must be an object")
        function = call.get("function")
        if isinstance(function, dict):
            name, args = function.get("name"), function.get("arguments")
        else:
            name, args = call.get("name"), call.get("args", call.get("arguments"))
        if not isinstance(name, str) or not name:
            raise ValueError("a tool call has no name")
        calls.append({"id": None if call.get("id") is None else str(call["id"]),
                      "type": "function",
                      "function": {"name": name, "arguments": _arguments(args)}})
    return calls


def _unwrap(raw: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The kind and fields of a message in any of its serialized forms."""
    if raw.get("lc") is not None and isinstance(raw.get("kwargs"), dict):
        ids = raw.get("id")
        kind = ids[-1] if isinstance(ids, list) and ids and isinstance(ids[-1], str) else None
        return kind or raw["kwargs"].get("type"), raw["kwargs"]
    if isinstance(raw.get("data"), dict) and isinstance(raw.get("type"), str):
        return raw["type"], raw["data"]
    role = raw.get("role")
    return (role if isinstance(role, str) else raw.get("type")), raw


def _message(raw: Any, where: str) -> dict[str, Any]:
    """One OpenAI chat message from an OpenAI, LangChain-serialized or ``message_to_dict``
    message."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a message object, not {type(raw).__name__}")
    kind, fields = _unwrap(raw)
    role = ROLES.get(str(kind).lower()) if kind is not None else None
    if role is None and str(kind).lower() in ("chatmessage", "chat"):
        role = fields.get("role") if isinstance(fields.get("role"), str) else None
    if role is None:
        raise ValueError(f"{where}: unknown message type {str(kind)[:40]!r}")
    message: dict[str, Any] = {"role": role, "content": _content(fields.get("content"))}
    if role == "tool":
        message["tool_call_id"] = fields.get("tool_call_id")
    if role == "assistant":
        calls = _tool_calls(fields)
        if calls:
            message["tool_calls"] = calls
            message["content"] = message["content"] or None
    if role == "function" and isinstance(fields.get("name"), str):
        message["name"] = fields["name"]
    return message


def _messages(raw: Any) -> list[dict[str, Any]]:
    """The prompt of the first batch item: a flat list, or a list of lists."""
    if not isinstance(raw, list):
        raise ValueError(f"inputs.messages must be a list, not {type(raw).__name__}")
    if raw and isinstance(raw[0], list):
        raw = raw[0]  # one list per batch item: the first is the call
    return [_message(m, f"inputs.messages[{i}]") for i, m in enumerate(raw)]


def _prompt_messages(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    if "messages" in inputs:
        return _messages(inputs["messages"])
    prompts = inputs.get("prompts", inputs.get("prompt"))
    if isinstance(prompts, str):
        prompts = [prompts]
    if isinstance(prompts, list) and prompts:
        if not isinstance(prompts[0], str):
            raise ValueError("inputs.prompts must be a list of strings")
        return [{"role": "user", "content": prompts[0]}]
    if prompts is not None:
        raise ValueError("inputs.prompts must be a non-empty list of strings")
    return []


def _time(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be an ISO 8601 time, got {type(value).__name__}")
    try:
        if isinstance(value, int | float):  # epoch seconds or milliseconds
            stamp = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        else:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{name} {str(value)[:40]!r} is not an ISO 8601 time") from None
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)




def _dict(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object, not {type(value).__name__}")
    return value


def _error_status(error: str) -> str:
    """A recorded error's status: provider rate limits and timeouts keep their names."""
    lowered = error.lower()
    if "ratelimit" in lowered or "rate limit" in lowered or "429" in lowered:
        return "rate_limited"
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout"
    return "error"


def _cost(run: dict[str, Any]) -> float | None:
    """The run's cost: ``total_cost``, else its prompt and completion parts when both exist."""
    total = parse_number(run.get("total_cost"), "total_cost", float)
    if total is not None:
        return total  # type: ignore[no-any-return]
    parts = [parse_number(run.get(key), key, float) for key in ("prompt_cost", "completion_cost")]
    return None if None in parts else sum(parts)


class LangsmithFormat(JsonlFormat):
    """LangSmith runs, one a line: the ``llm`` runs become records."""

    name = "langsmith"
    description = ("LangSmith runs: a run a line, or the bulk export's Parquet (llm runs; others "
                   "counted as skipped)")
    hint = ("an llm run needs inputs.messages (OpenAI or LangChain-serialized) or "
            "inputs.prompts")
    # The bulk export (Parquet): the Run fields one a column, JSON ones as text.
    table_json = frozenset({"inputs", "outputs", "extra", "events", "feedback_stats", "tags",
                            "parent_run_ids"})

    def sniff_table(self, columns: list[str]) -> bool:
        """A bulk export of runs: ``run_type`` beside ``inputs`` or ``outputs``."""
        return "run_type" in columns and ("inputs" in columns or "outputs" in columns)

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A run: ``run_type`` beside ``inputs`` or ``outputs``, and no chat ``request``."""
        if not first or not isinstance(first.get("run_type"), str):
            return False
        return ("inputs" in first or "outputs" in first) and "request" not in first

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterator[Record | Skipped | ValueError]:
        """The run as a record, or Skipped for a run that is not an llm call."""
        run_type = obj.get("run_type")
        if run_type != "llm":
            yield Skipped(number, "run without a run_type" if run_type is None
                          else f"run_type={str(run_type)[:40]}")
            return
        where = f"run {str(obj['id'])[:64]}" if obj.get("id") is not None else "run"
        try:
            yield self._record(obj, number)
        except ENTRY_ERRORS as err:
            yield self.entry_error(where, err)

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """One llm run as a record (any other run is an error here)."""
        return self.only_record(self.to_records(obj, number), "no run")

    def _record(self, run: dict[str, Any], number: int) -> Record:
        inputs = _dict(run.get("inputs"), "inputs")
        messages = _prompt_messages(inputs)
        if not messages:
            raise ValueError("llm run has no prompt (inputs.messages or inputs.prompts)")
        extra = _dict(run.get("extra"), "extra")
        params = _dict(extra.get("invocation_params"), "extra.invocation_params")
        run_metadata = _dict(extra.get("metadata"), "extra.metadata")
        request: dict[str, Any] = {"messages": messages}
        model = params.get("model") or params.get("model_name") or run_metadata.get(
            "ls_model_name")
        if isinstance(model, str) and model:
            request["model"] = model
        for key, kind in PARAMS.items():
            if key in params:
                value = parse_number(params[key], f"invocation_params.{key}", kind)
                if value is not None:
                    request[key] = value
        for key in PASS_PARAMS:
            if params.get(key) is not None:
                request[key] = params[key]
        if isinstance(inputs.get("tools"), list) and "tools" not in request:
            request["tools"] = inputs["tools"]

        start = _time(run.get("start_time"), "start_time")
        end = _time(run.get("end_time"), "end_time")
        first_token = _time(run.get("first_token_time"), "first_token_time")
        latency = (end - start).total_seconds() if start and end and end >= start else None
        ttft = (first_token - start).total_seconds() if (
            start and first_token and first_token >= start) else None

        conversation = next((run_metadata[k] for k in CONVERSATION_KEYS
                             if run_metadata.get(k) not in (None, "")), None)
        conversation = conversation or run.get("trace_id")
        metadata: dict[str, Any] = {
            key: value for key, value in {
                "span_name": run.get("name"),
                "trace_id": run.get("trace_id"),
                "parent_run_id": run.get("parent_run_id"),
                "session_id": run.get("session_id"),
                "dotted_order": run.get("dotted_order"),
                "tags": run.get("tags") or None,
            }.items() if value not in (None, "")
        }
        for key, value in run_metadata.items():
            metadata.setdefault(str(key), value)
        run_id = run.get("id")
        return Record.model_validate({
            "id": str(run_id) if run_id not in (None, "") else f"line-{number}",
            "request": request,
            "response": measured(self._response(run, request.get("model"), latency), ttft,
                                 _cost(run)),
            "conversation_id": None if conversation in (None, "") else str(conversation),
            "timestamp": start,
            "metadata": metadata,
        })

    def _response(
        self, run: dict[str, Any], model: Any, latency: float | None
    ) -> dict[str, Any] | None:
        outputs = _dict(run.get("outputs"), "outputs")
        error = run.get("error")
        if not outputs:
            if error not in (None, ""):
                text = _text(error)[:2000]
                return {"status": _error_status(text), "error": text, "latency_s": latency}
            return None
        llm_output = _dict(outputs.get("llm_output"), "outputs.llm_output")
        message, finish_reason, usage_metadata = self._answer(outputs)
        usage = self._usage(run, outputs, llm_output, usage_metadata)
        response_model = llm_output.get("model_name") or outputs.get("model") or model
        return {
            "object": "chat.completion",
            "model": response_model if isinstance(response_model, str) else None,
            "choices": [{"message": message, "finish_reason": finish_reason}],
            "usage": usage,
            "latency_s": latency,
        }

    def _answer(
        self, outputs: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
        """The first generation's message, finish reason and ``usage_metadata``."""
        if isinstance(outputs.get("choices"), list):  # an OpenAI completion as outputs
            choices = outputs["choices"]
            choice = choices[0] if choices and isinstance(choices[0], dict) else {}
            message = _message(choice.get("message") or {"role": "assistant", "content": ""},
                               "outputs.choices[0].message")
            reason = choice.get("finish_reason")
            return message, reason if isinstance(reason, str) else None, {}
        generations = outputs.get("generations")
        if generations is None:
            if "message" in outputs or "content" in outputs:  # a bare message as outputs
                raw = outputs.get("message", outputs)
                return _message(raw if isinstance(raw, dict) else {"role": "assistant",
                                "content": raw}, "outputs.message"), None, {}
            raise ValueError("outputs has neither generations nor choices")
        if not isinstance(generations, list) or not generations:
            raise ValueError("outputs.generations must be a non-empty list")
        first = generations[0]
        if isinstance(first, list):  # one list per batch item
            first = first[0] if first else None
        if not isinstance(first, dict):
            raise ValueError("outputs.generations[0] must hold a generation object")
        info = first.get("generation_info")
        reason = info.get("finish_reason") if isinstance(info, dict) else None
        raw = first.get("message")
        if raw is None:
            text = first.get("text")
            message = {"role": "assistant", "content": "" if text is None else _text(text)}
            return message, reason if isinstance(reason, str) else None, {}
        message = _message(raw, "outputs.generations[0].message")
        if message["role"] != "assistant":
            raise ValueError(f"outputs.generations[0].message is a {message['role']} message")
        _, fields = _unwrap(raw)
        if not message.get("content") and not message.get("tool_calls") and first.get("text"):
            message["content"] = _text(first["text"])
        response_meta = fields.get("response_metadata")
        if reason is None and isinstance(response_meta, dict):
            reason = response_meta.get("finish_reason") or response_meta.get("stop_reason")
        usage_metadata = fields.get("usage_metadata")
        return (message, reason if isinstance(reason, str) else None,
                usage_metadata if isinstance(usage_metadata, dict) else {})

    def _usage(
        self, run: dict[str, Any], outputs: dict[str, Any], llm_output: dict[str, Any],
        usage_metadata: dict[str, Any],
    ) -> dict[str, Any]:
        token_usage = llm_output.get("token_usage") or llm_output.get("usage") or outputs.get(
            "usage") or {}
        if not isinstance(token_usage, dict):
            token_usage = {}
        candidates = (
            (run.get("prompt_tokens"), run.get("completion_tokens"), "run"),
            (token_usage.get("prompt_tokens"), token_usage.get("completion_tokens"),
             "outputs.llm_output.token_usage"),
            (usage_metadata.get("input_tokens"), usage_metadata.get("output_tokens"),
             "usage_metadata"),
        )
        usage: dict[str, Any] = {"prompt_tokens": None, "completion_tokens": None}
        for prompt, completion, source in candidates:
            if usage["prompt_tokens"] is None:
                usage["prompt_tokens"] = parse_number(prompt, f"{source} prompt tokens", int)
            if usage["completion_tokens"] is None:
                usage["completion_tokens"] = parse_number(completion, f"{source} completion tokens",
                                                     int)
        details = usage_metadata.get("output_token_details")
        if isinstance(details, dict) and details.get("reasoning") is not None:
            usage["completion_tokens_details"] = {
                "reasoning_tokens": parse_number(details["reasoning"], "reasoning tokens", int)}
        cached = usage_metadata.get("input_token_details")
        if isinstance(cached, dict) and cached.get("cache_read") is not None:
            usage["prompt_tokens_details"] = {
                "cached_tokens": parse_number(cached["cache_read"], "cached tokens", int)}
        return usage
