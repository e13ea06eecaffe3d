"""GenAI span attributes as OpenAI chat messages: the structured and the flat (indexed) forms.

Structured (current semantic conventions): ``gen_ai.system_instructions``,
``gen_ai.input.messages`` / ``gen_ai.output.messages`` (role + parts, JSON text or
structured) and ``gen_ai.tool.definitions``.

Flat (OpenLLMetry / traceloop-sdk, and the OpenAI instrumentations before the structured
form): one attribute per field, indexed by message, ``gen_ai.prompt.N.role`` /
``.content`` / ``.tool_call_id`` / ``.tool_calls.K.{id,name,arguments}`` for the input,
``gen_ai.completion.N.role`` / ``.content`` / ``.finish_reason`` / ``.refusal`` /
``.tool_calls.K.*`` for the output (the first choice is the answer),
``llm.request.functions.K.{name,description,parameters}`` for the tools and
``gen_ai.prompt.0.user`` for a legacy completions prompt. Indices are read in numeric order
(10 after 2) and gaps are closed up. A content that is JSON text of content parts
(``[{"type": "text", "text": ...}, {"type": "image_url", ...}]``) becomes those parts;
other text, even text that happens to look like JSON, stays as it is.
"""

from __future__ import annotations

from typing import Any

import orjson

from swapkit.support.hashing import canonical_json

__all__ = [
    "chat_messages",
    "flat_choice",
    "flat_messages",
    "flat_tools",
    "json_attribute",
    "system_messages",
    "text_of",
    "tool_call",
    "tool_definitions",
]

PART_TYPES = frozenset({"text", "image_url", "input_audio", "file"})


def json_attribute(value: Any, name: str) -> Any:
    """An attribute that may hold JSON text (the usual form of message attributes)."""
    if isinstance(value, str | bytes) and value.strip()[:1] in ("[", "{", b"[", b"{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"{name} is not valid JSON ({err})") from None
    return value


def text_of(value: Any) -> str:
    """A string as is; anything else as canonical JSON text."""
    return value if isinstance(value, str) else canonical_json(value).decode()


def tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """An OpenAI tool call (``arguments`` as JSON text); a call without a name is an error."""
    if not isinstance(name, str) or not name:
        raise ValueError("a tool call has no name")
    args = arguments if isinstance(arguments, str) else (
        "" if arguments is None else canonical_json(arguments).decode()
    )
    return {"id": None if call_id is None else str(call_id), "type": "function",
            "function": {"name": name, "arguments": args}}


def chat_messages(raw: Any, name: str) -> list[dict[str, Any]]:
    """OpenAI chat messages from GenAI ``{"role", "parts": [...]}`` messages."""
    raw = json_attribute(raw, name)
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
                texts.append(text_of(part.get("content", "")))
            elif kind == "tool_call":
                calls.append(tool_call(part.get("id"), part.get("name"), part.get("arguments")))
            elif kind == "tool_call_response":
                responses.append({"role": "tool", "tool_call_id": part.get("id"),
                                  "content": text_of(part.get("response", ""))})
        if responses:
            messages.extend(responses)
            continue
        out: dict[str, Any] = {"role": message["role"], "content": "\n".join(texts)}
        if calls:
            out["content"] = out["content"] or None
            out["tool_calls"] = calls
        messages.append(out)
    return messages


def system_messages(raw: Any) -> list[dict[str, Any]]:
    """A system message from ``gen_ai.system_instructions`` (text or a list of parts)."""
    raw = json_attribute(raw, "gen_ai.system_instructions")
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"role": "system", "content": raw}]
    if not isinstance(raw, list):
        raise ValueError("gen_ai.system_instructions must be a list of parts")
    texts = [text_of(p.get("content", "")) for p in raw
             if isinstance(p, dict) and p.get("type") == "text"]
    return [{"role": "system", "content": "\n".join(texts)}] if texts else []


def tool_definitions(raw: Any) -> list[dict[str, Any]] | None:
    """OpenAI function tools from ``gen_ai.tool.definitions`` (None when there are none)."""
    raw = json_attribute(raw, "gen_ai.tool.definitions")
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


def indexed(attributes: dict[str, Any], prefix: str) -> list[tuple[int, dict[str, Any]]]:
    """``prefix.N.field`` attributes as ``(N, {field: value})``, N in numeric order; keys
    whose N is not a number (``gen_ai.prompt.prompt_filter_results``), or has more than 9
    digits, are not entries."""
    entries: dict[int, dict[str, Any]] = {}
    dotted = prefix + "."
    for key, value in attributes.items():
        if not key.startswith(dotted):
            continue
        index, _, field = key[len(dotted):].partition(".")
        if field and index.isascii() and index.isdigit() and len(index) <= 9:
            entries.setdefault(int(index), {})[field] = value
    return sorted(entries.items())


def _parts(raw: list[Any], where: str) -> list[dict[str, Any]]:
    parts = []
    for k, part in enumerate(raw):
        kind = part.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": text_of(part.get("text", ""))})
        elif kind in PART_TYPES:
            parts.append(part)
        else:
            raise ValueError(f"{where}[{k}]: a {str(kind)[:40]!r} content part cannot be "
                             "replayed as an OpenAI chat message")
    return parts


def _content(value: Any, where: str) -> str | list[dict[str, Any]] | None:
    """A flat ``content``: text, or the content parts its JSON text holds."""
    if value is None:
        return None
    if isinstance(value, str) and value.lstrip()[:1] == "[":
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        if isinstance(parsed, list) and parsed and all(
                isinstance(p, dict) and isinstance(p.get("type"), str) for p in parsed):
            return _parts(parsed, where)
        return value
    return value if isinstance(value, str) else text_of(value)


def _calls(fields: dict[str, Any], where: str) -> list[dict[str, Any]]:
    calls = []
    for k, call in indexed(fields, "tool_calls"):
        if not isinstance(call.get("name"), str) or not call["name"]:
            raise ValueError(f"{where}.tool_calls.{k}.name is missing or not a string")
        calls.append(tool_call(call.get("id"), call["name"], call.get("arguments")))
    return calls


def _message(fields: dict[str, Any], where: str, role: Any) -> dict[str, Any]:
    if not isinstance(role, str) or not role:
        raise ValueError(f"{where}.role is missing or not a string")
    content = _content(fields.get("content"), f"{where}.content")
    message: dict[str, Any] = {"role": role, "content": content}
    calls = _calls(fields, where)
    if calls:
        message["tool_calls"] = calls
    elif content is None:
        message["content"] = ""
    if fields.get("tool_call_id") is not None:
        message["tool_call_id"] = text_of(fields["tool_call_id"])
    return message


def flat_messages(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """The input messages of ``gen_ai.prompt.N.*`` (none when the span has no such keys)."""
    messages = []
    for index, fields in indexed(attributes, "gen_ai.prompt"):
        where = f"gen_ai.prompt.{index}"
        if "role" not in fields and "user" in fields:  # a legacy completions prompt
            messages.append({"role": "user", "content": text_of(fields["user"])})
        else:
            messages.append(_message(fields, where, fields.get("role")))
    return messages


def flat_choice(attributes: dict[str, Any]) -> dict[str, Any] | None:
    """The first ``gen_ai.completion.N.*`` choice as ``{"message", "finish_reason"}``."""
    entries = indexed(attributes, "gen_ai.completion")
    if not entries:
        return None
    index, fields = entries[0]
    finish = fields.get("finish_reason")
    if finish == "content_filter" and fields.get("content") == "FILTERED":
        fields = {k: v for k, v in fields.items() if k != "content"}  # a placeholder, not text
    message = _message(fields, f"gen_ai.completion.{index}", fields.get("role") or "assistant")
    if fields.get("refusal"):
        message["refusal"] = text_of(fields["refusal"])
    return {"message": message, "finish_reason": finish if isinstance(finish, str) else None}


def flat_tools(attributes: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Function tools from ``llm.request.functions.K.*`` (None when there are none)."""
    tools = []
    for index, fields in indexed(attributes, "llm.request.functions"):
        name = fields.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"llm.request.functions.{index}.name is missing or not a string")
        function: dict[str, Any] = {"name": name}
        if isinstance(fields.get("description"), str):
            function["description"] = fields["description"]
        parameters = json_attribute(fields.get("parameters"),
                                    f"llm.request.functions.{index}.parameters")
        if isinstance(parameters, dict):
            function["parameters"] = parameters
        tools.append({"type": "function", "function": function})
    return tools or None
