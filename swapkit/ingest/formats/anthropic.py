"""Anthropic Messages API calls: ``{"request": {...}, "response": {Message}}`` per line.

The request (``request``, or ``params`` as in a Message Batches request line) is a
Messages API body; it is converted to the OpenAI chat shape so the traffic can be
replayed against OpenAI-compatible targets:

* ``system`` (a string or text blocks) becomes a first ``system`` message;
* text blocks become content (one block: a string; several: text parts), ``image``
  blocks (base64 or url source) ``image_url`` parts;
* ``tool_use`` blocks of an assistant turn become its ``tool_calls`` (``arguments`` is
  the JSON text of ``input``); ``tool_result`` blocks become ``role: tool`` messages
  (``tool_call_id``), placed before the rest of their user turn. OpenAI has no
  ``is_error``: the result's text is kept as is and the count goes to
  ``metadata.tool_errors``;
* ``tools`` (name, description, input_schema) become function tools, ``tool_choice``
  auto / any / tool / none becomes "auto" / "required" / a named function / "none"
  (``disable_parallel_tool_use`` → ``parallel_tool_calls: false``), ``stop_sequences``
  becomes ``stop``; ``max_tokens``, ``temperature``, ``top_p``, ``model`` are kept and
  ``metadata.user_id`` becomes ``user``. ``top_k`` and the ``thinking`` configuration
  have no OpenAI equivalent: they go to the record's ``metadata``.

What cannot be converted makes the line invalid, with the reason (``--skip-invalid``
counts and skips such lines): ``document``, ``search_result``, server-tool and other
unknown content blocks, images inside a tool result, and server tools in ``tools``
(web search, bash, ...). Earlier ``thinking`` / ``redacted_thinking`` blocks in the
request are dropped (OpenAI chat has no place for them), counted in
``metadata.dropped_blocks``.

The response's ``content`` blocks give the answer (text; citations are dropped),
the reasoning (``thinking``) and the tool calls (``tool_use``); other response blocks
(``redacted_thinking``, server tool blocks) are dropped and counted in
``metadata.dropped_response_blocks``. ``stop_reason`` maps end_turn / stop_sequence →
stop, max_tokens → length, tool_use → tool_calls, refusal → content_filter. Usage: an
OpenAI ``prompt_tokens`` counts every input token, cached ones included, while Anthropic's
``input_tokens`` leaves out cache reads and writes, so ``prompt_tokens`` = input_tokens +
cache_read_input_tokens + cache_creation_input_tokens and ``cached_tokens`` =
cache_read_input_tokens. An error body (``{"type": "error", "error": {...}}``) becomes a
recorded error; rate_limit_error and overloaded_error are ``rate_limited``.

A Message Batches input file (``{"custom_id", "params"}`` lines) is read the same way,
``custom_id`` as the record id; its results file (``log.output`` / ``--batch-output``:
``{"custom_id", "result": {"type", "message" | "error"}}`` lines) is joined by custom_id
(``output_join``): ``succeeded`` → the Message as the recorded response, ``errored`` → a
recorded error as above, ``canceled`` / ``expired`` → ``unreached`` (the request never
ran: missing, not a failure of the model).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from swapkit.config import LogSource
from swapkit.errors import LogLineError
from swapkit.ingest.formats.base import Skipped
from swapkit.ingest.formats.fields import record_fields
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.ingest.formats.output_join import join_output
from swapkit.records import Record

__all__ = ["AnthropicFormat"]

STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                "tool_use": "tool_calls", "refusal": "content_filter"}
ERROR_STATUS = {"invalid_request_error": 400, "authentication_error": 401,
                "billing_error": 402, "permission_error": 403, "not_found_error": 404,
                "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
                "timeout_error": 504, "overloaded_error": 529}
RATE_LIMITED = frozenset({"rate_limit_error", "overloaded_error"})
KEPT_PARAMS = ("model", "max_tokens", "temperature", "top_p")
THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})
LINE_KEYS = frozenset({"request", "params", "response"})
UNREACHED = {"canceled": "canceled: the batch was canceled before this request ran",
             "expired": "expired: the batch ended (24 hours) before this request ran"}


def _blocks(content: Any, where: str) -> list[dict[str, Any]]:
    """Content as a list of blocks (a string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise ValueError(f"{where} must be a string or a list of content blocks")
    for i, block in enumerate(content):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise ValueError(f"{where}[{i}] must be a content block with a 'type'")
    return content


def _text(block: dict[str, Any], where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise ValueError(f"{where}: a text block needs a string 'text'")
    return text


def _image(block: dict[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, dict) and source.get("type") == "base64" \
            and isinstance(source.get("data"), str) and isinstance(source.get("media_type"), str):
        url = f"data:{source['media_type']};base64,{source['data']}"
    elif isinstance(source, dict) and source.get("type") == "url" \
            and isinstance(source.get("url"), str):
        url = source["url"]
    else:
        raise ValueError(f"{where}: only base64 and url image sources can be converted")
    return {"type": "image_url", "image_url": {"url": url}}


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """OpenAI content: one text part as a string, else the list of parts."""
    if len(parts) == 1 and parts[0]["type"] == "text":
        text: str = parts[0]["text"]
        return text
    return parts


def _unsupported(kind: str, where: str) -> ValueError:
    return ValueError(f"{where}: a {kind[:40]!r} content block cannot be converted to an "
                      "OpenAI chat message")


class _Converter:
    """One request's conversion, counting what it drops."""

    def __init__(self) -> None:
        self.dropped: dict[str, int] = {}
        self.tool_errors = 0

    def system(self, raw: Any) -> list[dict[str, Any]]:
        if raw is None or raw == "" or raw == []:
            return []
        parts = []
        for i, block in enumerate(_blocks(raw, "system")):
            if block["type"] != "text":
                raise _unsupported(block["type"], f"system[{i}]")
            parts.append({"type": "text", "text": _text(block, f"system[{i}]")})
        return [{"role": "system", "content": _content(parts)}]

    def message(self, raw: Any, i: int) -> list[dict[str, Any]]:
        where = f"messages[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where} must be an object with 'role' and 'content'")
        role = raw.get("role")
        if role not in ("user", "assistant"):
            raise ValueError(f"{where}.role must be 'user' or 'assistant', not {role!r}"[:120])
        blocks = _blocks(raw.get("content"), f"{where}.content")
        return self._user(blocks, where) if role == "user" else self._assistant(blocks, where)

    def _user(self, blocks: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for j, block in enumerate(blocks):
            at, kind = f"{where}.content[{j}]", block["type"]
            if kind == "text":
                parts.append({"type": "text", "text": _text(block, at)})
            elif kind == "image":
                parts.append(_image(block, at))
            elif kind == "tool_result":
                tools.append(self._tool_result(block, at))
            elif kind in THINKING_BLOCKS:
                self._drop(kind)
            else:
                raise _unsupported(kind, at)
        if parts:
            return [*tools, {"role": "user", "content": _content(parts)}]
        return tools

    def _tool_result(self, block: dict[str, Any], where: str) -> dict[str, Any]:
        call_id = block.get("tool_use_id")
        if not isinstance(call_id, str) or not call_id:
            raise ValueError(f"{where}: a tool_result needs a 'tool_use_id'")
        content = block.get("content")
        texts = []
        for k, part in enumerate(_blocks("" if content is None else content,
                                         f"{where}.content")):
            if part["type"] != "text":
                raise _unsupported(part["type"], f"{where}.content[{k}] (in a tool_result)")
            texts.append(_text(part, f"{where}.content[{k}]"))
        if block.get("is_error") is True:
            self.tool_errors += 1
        return {"role": "tool", "tool_call_id": call_id, "content": "\n".join(texts)}

    def _assistant(self, blocks: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        texts: list[str] = []
        calls: list[dict[str, Any]] = []
        for j, block in enumerate(blocks):
            at, kind = f"{where}.content[{j}]", block["type"]
            if kind == "text":
                texts.append(_text(block, at))
            elif kind == "tool_use":
                calls.append(_call(block, at))
            elif kind in THINKING_BLOCKS:
                self._drop(kind)
            else:
                raise _unsupported(kind, at)
        message: dict[str, Any] = {"role": "assistant",
                                   "content": "\n".join(texts) if texts else None}
        if calls:
            message["tool_calls"] = calls
        elif not texts:
            message["content"] = ""
        return [message]

    def _drop(self, kind: str) -> None:
        self.dropped[kind] = self.dropped.get(kind, 0) + 1


def _call(block: dict[str, Any], where: str) -> dict[str, Any]:
    call_id, name, arguments = block.get("id"), block.get("name"), block.get("input", {})
    if not isinstance(call_id, str) or not isinstance(name, str) or not name:
        raise ValueError(f"{where}: a tool_use block needs string 'id' and 'name'")
    if not isinstance(arguments, dict):
        raise ValueError(f"{where}: a tool_use block's 'input' must be an object")
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)}}


def _tools(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ValueError("tools must be a list")
    tools = []
    for i, tool in enumerate(raw):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise ValueError(f"tools[{i}] must be an object with a 'name'")
        if tool.get("type") not in (None, "custom") or "input_schema" not in tool:
            kind = str(tool.get("type"))[:40]
            raise ValueError(f"tools[{i}] is a server tool ({kind!r}): it has no OpenAI "
                             "function equivalent")
        if not isinstance(tool["input_schema"], dict):
            raise ValueError(f"tools[{i}].input_schema must be an object")
        function: dict[str, Any] = {"name": tool["name"], "parameters": tool["input_schema"]}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        tools.append({"type": "function", "function": function})
    return tools


def _tool_choice(raw: Any, request: dict[str, Any]) -> None:
    if not isinstance(raw, dict):
        raise ValueError("tool_choice must be an object with a 'type'")
    kind = raw.get("type")
    if kind == "auto":
        request["tool_choice"] = "auto"
    elif kind == "any":
        request["tool_choice"] = "required"
    elif kind == "none":
        request["tool_choice"] = "none"
    elif kind == "tool" and isinstance(raw.get("name"), str):
        request["tool_choice"] = {"type": "function", "function": {"name": raw["name"]}}
    else:
        raise ValueError(f"tool_choice {str(kind)[:40]!r} is not auto, any, tool (with a "
                         "name) or none")
    if raw.get("disable_parallel_tool_use") is True and kind != "none":
        request["parallel_tool_calls"] = False


def convert_request(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An OpenAI chat request and the metadata of what did not fit in it."""
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise ValueError("request.messages must be a non-empty list of Anthropic messages")
    convert = _Converter()
    messages = convert.system(body.get("system"))
    for i, raw in enumerate(raw_messages):
        messages.extend(convert.message(raw, i))
    request: dict[str, Any] = {"messages": messages}
    for key in KEPT_PARAMS:
        if body.get(key) is not None:
            request[key] = body[key]
    stop = body.get("stop_sequences")
    if stop:
        request["stop"] = stop
    if body.get("tools"):
        request["tools"] = _tools(body["tools"])
    if body.get("tool_choice") is not None:
        _tool_choice(body["tool_choice"], request)
    user = body.get("metadata")
    if isinstance(user, dict) and isinstance(user.get("user_id"), str):
        request["user"] = user["user_id"]
    metadata: dict[str, Any] = {}
    for key in ("top_k", "thinking"):
        if body.get(key) is not None:
            metadata[key] = body[key]
    if convert.dropped:
        metadata["dropped_blocks"] = convert.dropped
    if convert.tool_errors:
        metadata["tool_errors"] = convert.tool_errors
    return request, metadata


def _count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"usage.{key} must be an integer, not {value!r}"[:120])
    return value


def _usage(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    inputs = _count(raw, "input_tokens")
    read = _count(raw, "cache_read_input_tokens")
    written = _count(raw, "cache_creation_input_tokens")
    prompt = None if inputs is None else inputs + (read or 0) + (written or 0)
    return {"prompt_tokens": prompt, "completion_tokens": _count(raw, "output_tokens"),
            "cached_tokens": read}


def convert_response(raw: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """RecordedResponse fields and the metadata of the blocks left out."""
    if raw is None:
        return None, {}
    if not isinstance(raw, dict):
        raise ValueError("response must be an Anthropic Message object or an error object")
    if raw.get("type") == "error":
        error = raw.get("error")
        error = error if isinstance(error, dict) else {}
        kind = str(error.get("type") or "error")
        message = error.get("message")
        return {"status": "rate_limited" if kind in RATE_LIMITED else "error",
                "error": f"{kind}: {message}"[:2000] if message else kind[:2000],
                "http_status": ERROR_STATUS.get(kind)}, {}
    if raw.get("type") != "message":
        raise ValueError('response must be an Anthropic Message ("type": "message") or an '
                         'error ("type": "error")')
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    dropped: dict[str, int] = {}
    for i, block in enumerate(_blocks(raw.get("content", []), "response.content")):
        at, kind = f"response.content[{i}]", block["type"]
        if kind == "text":
            texts.append(_text(block, at))
        elif kind == "thinking":
            thought = block.get("thinking")
            if not isinstance(thought, str):
                raise ValueError(f"{at}: a thinking block needs a string 'thinking'")
            thoughts.append(thought)
        elif kind == "tool_use":
            function = _call(block, at)
            calls.append({"id": function["id"], **function["function"]})
        else:
            dropped[kind[:40]] = dropped.get(kind[:40], 0) + 1
    stop = raw.get("stop_reason")
    finish = STOP_REASONS.get(stop, stop) if isinstance(stop, str) else None
    answer = "".join(texts).strip()
    reasoning = "\n".join(thoughts) if thoughts else None
    truncated = finish == "length" and not answer and reasoning is not None
    if finish == "content_filter":
        status = "refused"
    elif finish == "length":
        status = "truncated"
    elif not answer and not calls:
        status = "empty"
    else:
        status = "ok"
    model = raw.get("model")
    fields = {"answer": answer, "reasoning": reasoning, "tool_calls": calls,
              "finish_reason": finish, "status": status, "truncated_in_reasoning": truncated,
              "usage": _usage(raw.get("usage")),
              "model": model if isinstance(model, str) else None}
    return fields, ({"dropped_response_blocks": dropped} if dropped else {})


def batch_result(line: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A Message Batches results line as a recorded response and the metadata of its blocks."""
    result = line.get("result")
    if not isinstance(result, dict):
        raise ValueError('missing "result" object ({"type": "succeeded", "message": ...})')
    kind = result.get("type")
    if kind == "succeeded":
        if not isinstance(result.get("message"), dict):
            raise ValueError('a succeeded result needs its "message" object')
        return convert_response(result["message"])
    if kind == "errored":
        error = result.get("error")
        error = error if isinstance(error, dict) else {}
        if error.get("type") != "error":  # the error object itself, not its response
            error = {"type": "error", "error": error}
        return convert_response(error)
    if kind in UNREACHED:
        return {"status": "unreached", "error": UNREACHED[kind]}, {}
    raise ValueError(f"result.type {str(kind)[:40]!r} is not succeeded, errored, canceled or "
                     "expired")


class AnthropicFormat(JsonlFormat):
    """One logged Anthropic Messages API call per line."""

    name = "anthropic"
    description = ('Anthropic Messages API JSONL: {"request": {...}, "response": {Message}} '
                   'per line, or Message Batches {"custom_id", "params"} lines (+ results '
                   "file), converted to the OpenAI chat shape")
    hint = ('each line needs "request" (or "params"): an Anthropic Messages API body with '
            '"messages"; use --skip-invalid to count and skip lines that cannot be converted')

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A Message (or Anthropic error) response, or a request only Anthropic sends."""
        if not first:
            return False
        request = first.get("request", first.get("params"))
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            return False
        response = first.get("response")
        if isinstance(response, dict):
            if response.get("type") == "message" and isinstance(response.get("content"), list):
                return True
            if response.get("type") == "error" and isinstance(response.get("error"), dict):
                return True
        if "system" in request or "stop_sequences" in request:
            return True
        if "custom_id" in first and "params" in first:  # a Message Batches request line
            return True
        return any(isinstance(m, dict) and isinstance(m.get("content"), list) and any(
            isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result", "thinking")
            for b in m["content"]) for m in request["messages"])

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """Convert the request and the response; other top-level keys go to metadata."""
        body = obj.get("request", obj.get("params"))
        if not isinstance(body, dict):
            raise ValueError('missing "request" (or "params") object: the Messages API body')
        request, request_meta = convert_request(body)
        response, response_meta = convert_response(obj.get("response"))
        fields = record_fields(obj, LINE_KEYS, default_id="")
        if not fields["id"]:
            raw = obj.get("response")
            message_id = raw.get("id") if isinstance(raw, dict) else None
            fields["id"] = message_id if isinstance(message_id, str) and message_id \
                else f"line-{number}"
        fields["metadata"].update(request_meta)
        fields["metadata"].update(response_meta)
        fields["request"] = request
        fields["response"] = response
        return Record.model_validate(fields)

    def read(self, source: LogSource) -> Iterator[Record | LogLineError | Skipped]:
        """Read the log; join a Message Batches results file when one is given."""
        if source.output is None:
            return super().read(source)
        return join_output(super().read(source), source.output, batch_result)
