"""Langfuse observation exports: observations one a line, in a JSON array, or in API pages.

A line is either one observation (the UI / blob-storage JSONL export) or a page of
``GET /api/public/observations`` (``{"data": [observations], "meta": {...}}``). Every
``GENERATION`` observation is one record; spans, events, other observation types and
trace objects are counted as skipped.

``input`` is a list of chat messages, ``{"messages": [...], "tools": [...]}`` (the OpenAI
integration's form when tools are passed), one message object, or a prompt string (one
user message). ``output`` is a string, an assistant message (content / tool_calls), or a
``chat.completion``. ``modelParameters`` become request parameters (their values may be
strings). ``usageDetails`` follows Langfuse's convention of disjoint buckets: ``input``
excludes cached input (``input_cached_tokens``, ``cache_read_input_tokens``, ...), which
is added back for ``prompt_tokens``; the older ``usage`` (``input``/``output`` or
``promptTokens``/``completionTokens``) is read too. ``endTime - startTime`` is the
latency; time to first token (``completionStartTime``) and cost (``costDetails.total`` or
``calculatedTotalCost``) are the recorded response's ``ttft_s`` and ``cost_usd``; the
observation's name is ``metadata.span_name``. The trace id (or ``sessionId``) is the
conversation; the observation's own ``metadata`` is kept under
``metadata`` (so ``--segment metadata.metadata.route`` works).

Pages and JSON arrays of observations are split into entries before this reader sees
them (:mod:`.jsondoc`), as for every JSON format.
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

__all__ = ["LangfuseFormat"]

OBSERVATION_TYPES = frozenset({
    "GENERATION", "SPAN", "EVENT", "AGENT", "TOOL", "CHAIN", "RETRIEVER", "EVALUATOR",
    "EMBEDDING", "GUARDRAIL",
})
PARAMS: dict[str, tuple[str, type]] = {
    "temperature": ("temperature", float),
    "top_p": ("top_p", float),
    "topP": ("top_p", float),
    "max_tokens": ("max_tokens", int),
    "maxTokens": ("max_tokens", int),
    "max_completion_tokens": ("max_completion_tokens", int),
    "frequency_penalty": ("frequency_penalty", float),
    "presence_penalty": ("presence_penalty", float),
    "seed": ("seed", int),
    "n": ("n", int),
}
OTHER_PARAMS: dict[str, type | tuple[type, ...]] = {
    "stop": (str, list), "response_format": dict, "tool_choice": (str, dict),
    "reasoning_effort": str,
}
CACHED_INPUT = ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read",
                "cached_tokens")
REASONING_OUTPUT = ("output_reasoning_tokens", "output_reasoning", "reasoning_tokens",
                    "reasoning")
TRACE_KEYS = ("observations", "htmlPath", "scores", "sessionId", "bookmarked")


def _looks_like_observation(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("type") in OBSERVATION_TYPES and (
        "traceId" in obj or "startTime" in obj)


def _time(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 time, got {type(value).__name__}")
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value[:40]!r} is not an ISO 8601 time") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)




def _count(details: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    found = [parse_number(details[k], f"usage.{k}", int) for k in keys
             if details.get(k) is not None]
    return sum(found) if found else None


def _usage(obs: dict[str, Any]) -> dict[str, Any] | None:
    details = obs.get("usageDetails")
    if isinstance(details, dict) and details:
        cached = _count(details, CACHED_INPUT)
        created = _count(details, ("input_cache_creation", "cache_creation_input_tokens"))
        reasoning = _count(details, REASONING_OUTPUT)
        prompt = _count(details, ("input", "prompt_tokens", "input_tokens"))
        completion = _count(details, ("output", "completion_tokens", "output_tokens"))
        if prompt is not None or cached is not None or created is not None:
            prompt = (prompt or 0) + (cached or 0) + (created or 0)
        if reasoning is not None and completion is not None:
            completion += reasoning
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": reasoning}}
    if details is not None and not isinstance(details, dict):
        raise ValueError(f"usageDetails must be an object, got {type(details).__name__}")
    usage = obs.get("usage")
    if usage is None:
        return None
    if not isinstance(usage, dict):
        raise ValueError(f"usage must be an object, got {type(usage).__name__}")
    return {
        "prompt_tokens": _count(usage, ("input", "promptTokens", "prompt")),
        "completion_tokens": _count(usage, ("output", "completionTokens", "completion")),
    }


def _cost(obs: dict[str, Any]) -> float | None:
    details = obs.get("costDetails")
    if isinstance(details, dict) and details.get("total") is not None:
        return parse_number(details["total"], "costDetails.total", float)  # type: ignore[no-any-return]
    for key in ("calculatedTotalCost", "totalCost"):
        if obs.get(key) is not None:
            return parse_number(obs[key], key, float)  # type: ignore[no-any-return]
    return None


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else canonical_json(value).decode()


def _tool_calls(raw: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ValueError(f"{name} must be a list")
    calls = []
    for i, call in enumerate(raw):
        if not isinstance(call, dict):
            raise ValueError(f"{name}[{i}] must be an object")
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        fn_name = function.get("name")  # type: ignore[union-attr]
        if not isinstance(fn_name, str) or not fn_name:
            raise ValueError(f"{name}[{i}] has no function name")
        calls.append({
            "id": None if call.get("id") is None else str(call["id"]), "type": "function",
            "function": {"name": fn_name,
                         "arguments": _arguments(function.get("arguments"))},  # type: ignore[union-attr]
        })
    return calls


def _message(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise ValueError(f"{name} must be an object with a string 'role'")
    message = dict(raw)
    content = message.get("content")
    if content is not None and not isinstance(content, str | list):
        message["content"] = canonical_json(content).decode()
    if message.get("tool_calls") is not None:
        message["tool_calls"] = _tool_calls(message["tool_calls"], f"{name}.tool_calls")
    return message


def _input(raw: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Chat messages and any request fields (tools, ...) from a generation's input."""
    extra: dict[str, Any] = {}
    if isinstance(raw, dict) and "messages" in raw:
        extra = {k: raw[k] for k in ("tools", "tool_choice", "functions", "response_format")
                 if raw.get(k) is not None}
        raw = raw["messages"]
    if isinstance(raw, str):
        if not raw:
            raise ValueError("input is an empty prompt")
        return [{"role": "user", "content": raw}], extra
    if isinstance(raw, dict):
        return [_message(raw, "input")], extra
    if raw is None:
        raise ValueError("generation has no input (was input capture off?)")
    if not isinstance(raw, list):
        raise ValueError(f"input must be messages or a prompt string, not {type(raw).__name__}")
    if not raw:
        raise ValueError("input is an empty list of messages")
    return [_message(m, f"input[{i}]") for i, m in enumerate(raw)], extra


def _choice(raw: Any) -> dict[str, Any] | None:
    """The answer as an OpenAI choice, from a string, a message or a chat.completion."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return {"message": {"role": "assistant", "content": raw}}
    if isinstance(raw, list) and raw and isinstance(raw[0], dict) and "role" in raw[0]:
        raw = raw[0]
    if isinstance(raw, dict):
        if isinstance(raw.get("choices"), list) and raw["choices"]:
            first = raw["choices"][0]
            if not isinstance(first, dict):
                raise ValueError("output.choices[0] must be an object")
            return {"message": _message({"role": "assistant", **(first.get("message") or {})},
                                        "output.choices[0].message"),
                    "finish_reason": first.get("finish_reason")}
        if "content" in raw or "tool_calls" in raw or "role" in raw:
            message = _message({"role": "assistant", **raw}, "output")
            if isinstance(raw.get("function_call"), dict):
                message["tool_calls"] = _tool_calls([raw["function_call"]], "output.function_call")
            finish = "tool_calls" if message.get("tool_calls") else None
            return {"message": message, "finish_reason": finish}
        if isinstance(raw.get("text"), str):
            return {"message": {"role": "assistant", "content": raw["text"]}}
    return {"message": {"role": "assistant", "content": canonical_json(raw).decode()}}


class LangfuseFormat(JsonlFormat):
    """Langfuse GENERATION observations, one a line or as public-API pages."""

    name = "langfuse"
    description = ("Langfuse observations: JSONL export (one observation a line) or "
                   'public API pages ({"data": [...]})')
    hint = ('each GENERATION observation needs "input" (chat messages or a prompt); '
            "export as JSONL, one observation a line")

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """An observation (a known ``type`` with ``traceId``/``startTime``), an API page of
        them, or a trace object (its ``observations`` id list)."""
        if not first or "request" in first or "messages" in first:
            return False
        if _looks_like_observation(first):
            return True
        return isinstance(first.get("observations"), list) and "timestamp" in first

    def to_records(
        self, obj: dict[str, Any], number: int
    ) -> Iterator[Record | Skipped | ValueError]:
        """The record of a generation (the observations of a page's ``data`` list reach
        here one by one: see ``iter_entries``); a malformed one is a ValueError item."""
        if "data" in obj and "type" not in obj:
            raise ValueError('"data" must be a list of observations')
        yield from self._observation(obj, number)

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """One observation as a record (anything else is an error here)."""
        return self.only_record(self._observation(obj, number), "no observation")

    def _observation(
        self, obs: dict[str, Any], number: int
    ) -> Iterator[Record | Skipped | ValueError]:
        kind = obs.get("type")
        if kind is None and any(key in obs for key in TRACE_KEYS):
            yield Skipped(number, "a trace, not an observation")
            return
        obs_id = obs.get("id")
        where = "observation" if obs_id is None else f"observation {str(obs_id)[:60]}"
        if not isinstance(kind, str):
            yield ValueError(f"{where}: no observation 'type' (GENERATION, SPAN, ...)")
            return
        if kind.upper() != "GENERATION":
            yield Skipped(number, f"type={kind[:40]}")
            return
        try:
            yield self._record(obs, number)
        except ENTRY_ERRORS as err:
            yield self.entry_error(where, err)

    def _record(self, obs: dict[str, Any], number: int) -> Record:
        messages, request = _input(obs.get("input"))
        request["messages"] = messages
        params = obs.get("modelParameters")
        if params is not None and not isinstance(params, dict):
            raise ValueError(f"modelParameters must be an object, got {type(params).__name__}")
        for key, value in (params or {}).items():
            if key in PARAMS:
                param, kind = PARAMS[key]
                number_value = parse_number(value, f"modelParameters.{key}", kind)
                if number_value is not None:
                    request[param] = number_value
            elif key in OTHER_PARAMS and value is not None:
                if not isinstance(value, OTHER_PARAMS[key]):
                    raise ValueError(f"modelParameters.{key} has the wrong type "
                                     f"({type(value).__name__})")
                request[key] = value
        model = obs.get("model")
        if model is not None:
            request["model"] = str(model)

        start = _time(obs.get("startTime"), "startTime")
        end = _time(obs.get("endTime"), "endTime")
        first_token = _time(obs.get("completionStartTime"), "completionStartTime")
        latency = (end - start).total_seconds() if start and end and end >= start else None
        if latency is None and obs.get("latency") is not None:  # the API's seconds
            latency = parse_number(obs["latency"], "latency", float)
        ttft = (first_token - start).total_seconds() if start and first_token and (
            first_token >= start) else None

        own = obs.get("metadata")
        metadata: dict[str, Any] = {
            key: value for key, value in {
                "trace_id": obs.get("traceId"),
                "observation_id": obs.get("id"),
                "parent_observation_id": obs.get("parentObservationId"),
                "span_name": obs.get("name"),
                "environment": obs.get("environment"),
                "version": obs.get("version"),
                "prompt_name": obs.get("promptName"),
                "metadata": own if isinstance(own, dict) else None,
            }.items() if value not in (None, "", {})
        }
        if own is not None and not isinstance(own, dict):
            metadata["metadata"] = {"value": own}
        conversation = obs.get("sessionId") or obs.get("traceId")
        return Record.model_validate({
            "id": str(obs.get("id") or f"line-{number}"),
            "request": request,
            "response": measured(self._response(obs, latency), ttft, _cost(obs)),
            "conversation_id": None if conversation is None else str(conversation),
            "timestamp": start,
            "metadata": metadata,
        })

    def _response(self, obs: dict[str, Any], latency: float | None) -> dict[str, Any] | None:
        choice = _choice(obs.get("output"))
        if choice is None:
            if obs.get("level") == "ERROR":
                message = obs.get("statusMessage")
                return {"status": "error", "error": str(message or "error")[:2000],
                        "latency_s": latency}
            return None
        return {
            "object": "chat.completion",
            "model": None if obs.get("model") is None else str(obs["model"]),
            "choices": [{"message": choice["message"],
                         "finish_reason": choice.get("finish_reason")}],
            "usage": _usage(obs),
            "latency_s": latency,
        }
