"""OpenAI stored chat completions (``store: true``), exported with their request messages.

``GET /v1/chat/completions`` lists stored ``chat.completion`` objects (``id``, ``model``,
``created``, ``choices``, ``usage``, ``metadata`` and, in the API's answers, ``request_id``,
``seed``, ``temperature``, ``top_p``, ``tools``, ``tool_choice``, ``response_format``,
``service_tier``, ...) but not the messages that were sent; those come from
``GET /v1/chat/completions/{id}/messages`` (``chat.completion.message`` objects: ``id``,
``role``, ``content``, ``content_parts``, ``name``, ...). An entry of this format is one
completion object with its request messages under ``"messages"`` (the list, or the
messages page as returned): ``examples/export_openai_stored.py`` writes them with the
official SDK, one a line. Pages and arrays of such entries are read too (``iter_entries``).

The store keeps no ``max_tokens``, ``stop``, ``n``, ``reasoning_effort`` or ``logit_bias``
(and the typed SDK schema promises none of the sampling parameters): what the entry does
not carry, the replay leaves to each target's own defaults. The recorded response is the
first choice (answer, tool calls, finish reason) with its usage (cached and reasoning
tokens included); ``created`` is the timestamp; the store's ``metadata`` tags become the
record's metadata (``log.segment: metadata.route``), beside ``request_id``,
``service_tier``, ``system_fingerprint`` and ``user`` (the ``input_user``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swapkit.ingest.formats.fields import parse_number
from swapkit.ingest.formats.jsonl import JsonlFormat
from swapkit.records import Record

__all__ = ["OpenAIStoredFormat"]

FLOAT_PARAMS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
OBJECT_PARAMS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "tools": (list, "list"), "tool_choice": ((str, dict), "string or an object"),
    "response_format": (dict, "object"),
}
INFO_KEYS = {"request_id": "request_id", "service_tier": "service_tier",
             "system_fingerprint": "system_fingerprint", "input_user": "user"}
NO_MESSAGES = ('no "messages": the stored completions list does not return the request '
               "messages; export with examples/export_openai_stored.py, which adds them")


def _message(raw: Any, k: int) -> dict[str, Any]:
    """A stored ``chat.completion.message`` as a request message."""
    where = f"messages[{k}]"
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a message object")
    role = raw.get("role")
    if not isinstance(role, str) or not role:
        raise ValueError(f"{where}.role must be a string")
    parts, content = raw.get("content_parts"), raw.get("content")
    if parts is not None and not isinstance(parts, list):
        raise ValueError(f"{where}.content_parts must be a list of parts or null")
    if content is not None and not isinstance(content, str | list):
        raise ValueError(f"{where}.content must be text or null")
    message: dict[str, Any] = {"role": role, "content": parts or content}
    for key, kind in (("name", str), ("tool_call_id", str), ("tool_calls", list)):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, kind):
            raise ValueError(f"{where}.{key} must be a {kind.__name__}")
        message[key] = value
    return message


def _messages(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, dict) and "data" in raw:  # the messages page, as returned
        raw = raw["data"]
    if raw is None:
        raise ValueError(NO_MESSAGES)
    if not isinstance(raw, list) or not raw:
        raise ValueError('"messages" must be a non-empty list of stored messages')
    return [_message(m, k) for k, m in enumerate(raw)]


def _check_choices(choices: Any) -> None:
    """The shapes the response normaliser reads, checked so bad types name their field."""
    if not isinstance(choices, list):
        raise ValueError("choices must be a list")
    if not choices:
        return
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("message") or {}, dict):
        raise ValueError("choices[0] must be an object with a message object")
    calls = (choice.get("message") or {}).get("tool_calls") or []
    if not isinstance(calls, list) or not all(
            isinstance(c, dict) and isinstance(c.get("function") or {}, dict) for c in calls):
        raise ValueError("choices[0].message.tool_calls must be a list of tool calls")


def _usage(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("usage must be an object")
    for key in ("prompt_tokens_details", "completion_tokens_details"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise ValueError(f"usage.{key} must be an object")
    return raw


class OpenAIStoredFormat(JsonlFormat):
    """Stored ``chat.completion`` objects, each with its request ``messages``."""

    name = "openai-stored"
    description = ("OpenAI stored chat completions (store: true), each with its messages "
                   "(examples/export_openai_stored.py); max_tokens, stop etc. are not stored")
    hint = ('each entry is a stored chat.completion with its request "messages" (see '
            "examples/export_openai_stored.py); use --skip-invalid to count and skip "
            "malformed entries")

    def sniff(self, path: Path, first: dict[str, Any] | None) -> bool:
        """A ``chat.completion`` object standing alone (not inside a request/response)."""
        return first is not None and first.get("object") == "chat.completion" and isinstance(
            first.get("choices"), list)

    def to_record(self, obj: dict[str, Any], number: int) -> Record:
        """The completion as a record: its messages and parameters, its first choice."""
        request: dict[str, Any] = {"messages": _messages(obj.get("messages"))}
        model = obj.get("model")
        if model is not None and not isinstance(model, str):
            raise ValueError("model must be a string")
        if model:
            request["model"] = model
        for key in FLOAT_PARAMS:
            value = parse_number(obj.get(key), key)
            if value is not None:
                request[key] = value
        seed = parse_number(obj.get("seed"), "seed", int)
        if seed is not None:
            request["seed"] = seed
        for key, (kind, kind_name) in OBJECT_PARAMS.items():
            value = obj.get(key)
            if value is not None:
                if not isinstance(value, kind):
                    raise ValueError(f"{key} must be a {kind_name}")
                request[key] = value
        return Record.model_validate({
            "id": self._id(obj, number),
            "request": request,
            "response": self._response(obj),
            "timestamp": self._created(obj),
            "metadata": self._metadata(obj),
        })

    @staticmethod
    def _id(obj: dict[str, Any], number: int) -> str:
        completion_id = obj.get("id")
        if isinstance(completion_id, str) and completion_id:
            return completion_id
        if completion_id is not None:
            raise ValueError("id must be a string")
        return f"line-{number}"

    @staticmethod
    def _response(obj: dict[str, Any]) -> dict[str, Any]:
        _check_choices(obj.get("choices"))
        return {"object": "chat.completion", "choices": obj["choices"],
                "usage": _usage(obj.get("usage")), "model": obj.get("model")}

    @staticmethod
    def _created(obj: dict[str, Any]) -> datetime | None:
        created = parse_number(obj.get("created"), "created")
        if created is None:
            return None
        try:
            return datetime.fromtimestamp(created, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"created {created!r} is not a Unix time in seconds") from None

    @staticmethod
    def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
        tags = obj.get("metadata")
        if tags is not None and not isinstance(tags, dict):
            raise ValueError("metadata must be an object of string tags")
        metadata = dict(tags or {})
        for key, name in INFO_KEYS.items():
            if obj.get(key) not in (None, ""):
                metadata.setdefault(name, obj[key])
        return metadata
