"""One row or JSON object → Record through a field mapping (``log.fields``).

Tables (a CSV column name is a path of one key; a Parquet struct column takes dotted
paths) and custom JSON Lines go through this same code. A role left unset falls back to a
top-level key named for it (``prompt``, ``request``, ``response``, ``reference``, ...);
the request comes from ``request``, else ``messages``, else ``prompt`` (+ ``system``).
A missing optional part is None; a missing request, or any part of the wrong type, is
a ValueError that names the role, the path and what the line holds there.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from swapkit.config.fields import FieldMapping, explicit_roles, metadata_key, parse_path
from swapkit.ingest.formats.fields import REQUEST_KEYS
from swapkit.records import Record, message_text, split_reasoning

__all__ = [
    "DEFAULT_PATHS", "REQUEST_ROLES", "Mapped", "head", "lookup", "mapped_record",
    "resolve_mapping",
]

# Where an unmapped role is looked for: a top-level key of its name (log.columns defaults).
DEFAULT_PATHS = {
    "id": "id", "request": "request", "messages": "messages", "prompt": "prompt",
    "system": "system",
    "response": "response", "reference": "reference", "segment": "segment",
    "conversation": "conversation_id", "timestamp": "timestamp",
}
REQUEST_ROLES = ("request", "messages", "prompt")
_MISSING = object()


@dataclass(frozen=True)
class Mapped:
    """A mapping with its defaults filled in and its paths parsed."""

    paths: dict[str, tuple[str, tuple[str | int, ...]]]  # role -> (text, parts)
    explicit: frozenset[str]
    metadata: list[tuple[str, str, tuple[str | int, ...]]] | None  # (key, text, parts)

    def heads(self, keys: Collection[str]) -> set[str]:
        """The top-level keys (columns) among ``keys`` that some role reads."""
        return {head(keys, text, parts) for text, parts in self.paths.values()}


def resolve_mapping(fields: FieldMapping) -> Mapped:
    """Explicit roles, then defaults for the rest; an explicit null turns a default off.
    Giving the request one way (request, messages or prompt) turns the others' defaults off."""
    given = explicit_roles(fields)
    chosen = {role: path for role, path in given.items() if role != "metadata"}
    request_given = any(given.get(role) for role in REQUEST_ROLES)
    for role, path in DEFAULT_PATHS.items():
        if role in given or (request_given and role in (*REQUEST_ROLES, "system")):
            continue
        if role == "response" and given.get("answer"):
            continue
        chosen[role] = path
    paths = {role: (path, parse_path(path)) for role, path in chosen.items() if path}
    metadata = None if fields.metadata is None else [
        (metadata_key(path), path, parse_path(path)) for path in fields.metadata]
    return Mapped(paths, frozenset(r for r, p in given.items() if p), metadata)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _effective(obj: Collection[str], text: str,
               parts: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The whole text as a key wins (a CSV column ``a.b``); a path starting ``metadata.``
    in a line without ``metadata`` looks in the line itself (unmapped keys become metadata)."""
    if text in obj:
        return (text,)
    if len(parts) > 1 and parts[0] == "metadata" and "metadata" not in obj:
        return parts[1:]
    return parts


def head(keys: Collection[str], text: str, parts: tuple[str | int, ...]) -> str:
    """The top-level key (column) a path starts at."""
    return str(_effective(keys, text, parts)[0])


def _walk(obj: Mapping[str, Any], parts: tuple[str | int, ...], text: str, role: str) -> Any:
    value: Any = obj
    where = "the line"
    for part in parts:
        if isinstance(value, Mapping):
            if str(part) not in value:
                return _MISSING
            value = value[str(part)]
        elif isinstance(value, list) and str(part).lstrip("-").isdigit():
            index = int(part)
            if not -len(value) <= index < len(value):
                return _MISSING
            value = value[index]
        else:
            raise ValueError(f"fields.{role}: path {text}: {where} is {_kind(value)}, "
                             f"not an object to look {str(part)!r} up in")
        where = repr(part)
    return value


def lookup(obj: Mapping[str, Any], text: str, parts: tuple[str | int, ...], role: str) -> Any:
    """The value at a path, or _MISSING; a step into a value that is neither object nor list
    is a ValueError naming where the walk stopped."""
    return _walk(obj, _effective(obj, text, parts), text, role)


def _missing(obj: Mapping[str, Any], text: str, parts: tuple[str | int, ...],
             role: str) -> ValueError:
    """Say how far a path got: the keys present at the deepest object reached."""
    value: Any = obj
    where = "the line"
    for part in _effective(obj, text, parts)[:-1]:
        step = value.get(str(part)) if isinstance(value, Mapping) else None
        if step is None and isinstance(value, list) and str(part).lstrip("-").isdigit():
            index = int(part)
            step = value[index] if -len(value) <= index < len(value) else None
        if not isinstance(step, Mapping | list):
            break
        value, where = step, repr(part)
    if isinstance(value, Mapping):
        keys = ", ".join(sorted(map(str, value))[:30]) or "none"
        return ValueError(f"fields.{role}: path {text}: {where} has keys: {keys}")
    return ValueError(f"fields.{role}: path {text}: {where} is a list of {len(value)}")


def _text(value: Any, role: str, text: str) -> str | None:
    if value is None or value is _MISSING:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas-written files
        return None
    if isinstance(value, Mapping | list):
        raise ValueError(f"fields.{role}: path {text}: expected text, got {_kind(value)}")
    string = value if isinstance(value, str) else str(value)
    return string if string.strip() else None


def _json(value: Any, role: str, text: str) -> Any:
    """A value, or the JSON a text holds (tables keep objects as JSON text)."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as err:
            raise ValueError(f"fields.{role}: path {text}: not valid JSON ({err})") from None
    return value


def _answer(value: Any, role: str, text: str) -> dict[str, Any] | None:
    """Answer text (``<think>`` split off), or a chat.completion given as its JSON text."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and "choices" in parsed:
            return parsed
    answer = _text(value, role, text)
    if answer is None:
        return None
    split = split_reasoning(answer)
    status = "truncated" if split.truncated_in_reasoning else "ok"
    return {"answer": split.answer, "reasoning": split.reasoning,
            "truncated_in_reasoning": split.truncated_in_reasoning, "status": status}


class _Line:
    """One object read through a mapping: each role's value, checked."""

    def __init__(self, obj: Mapping[str, Any], mapped: Mapped) -> None:
        self.obj = obj
        self.mapped = mapped

    def get(self, role: str) -> Any:
        if role not in self.mapped.paths:
            return _MISSING
        text, parts = self.mapped.paths[role]
        return lookup(self.obj, text, parts, role)

    def text(self, role: str) -> str | None:
        return _text(self.get(role), role, self.path(role))

    def path(self, role: str) -> str:
        return self.mapped.paths[role][0] if role in self.mapped.paths else role

    def required(self, role: str) -> ValueError:
        text, parts = self.mapped.paths[role]
        return _missing(self.obj, text, parts, role)


def _messages(line: _Line) -> tuple[dict[str, Any], Any]:
    """The request from a messages list (params beside it go along), and the reference a
    trailing assistant turn gives (as the messages format does)."""
    value = _json(line.get("messages"), "messages", line.path("messages"))
    if not isinstance(value, list) or not value or not all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str) for m in value
    ):
        got = "an empty list" if value == [] else _kind(value)
        raise ValueError(f"fields.messages: path {line.path('messages')}: expected a list of "
                         f"{{role, content}} objects, got {got}")
    messages = [dict(m) for m in value]
    text, parts = line.mapped.paths["messages"]
    parts = _effective(line.obj, text, parts)
    parent = _walk(line.obj, parts[:-1], text, "messages") if len(parts) > 1 else line.obj
    request: dict[str, Any] = {}
    if isinstance(parent, Mapping):
        request = {k: parent[k] for k in REQUEST_KEYS if k in parent}
    reference = None
    last = messages[-1]
    if last["role"] == "assistant" and len(messages) > 1:
        messages.pop()
        text = message_text(last)
        reference = text if text or not last.get("tool_calls") else {
            "tool_calls": last["tool_calls"]}
    system = line.text("system")
    if system and messages[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": system})
    request["messages"] = messages
    return request, reference


def _request(line: _Line) -> tuple[dict[str, Any], Any]:
    """The request from the first of request, messages, prompt the line holds."""
    sources = [role for role in REQUEST_ROLES if role in line.mapped.paths]
    role = next((r for r in sources if _present(line.get(r), None) is not None), None)
    if role == "request":
        request = _json(line.get("request"), "request", line.path("request"))
        if not isinstance(request, Mapping):
            raise ValueError(f"fields.request: path {line.path('request')}: expected a chat "
                             f"request object, got {_kind(request)}")
        return dict(request), None
    if role == "messages":
        return _messages(line)
    if role == "prompt":
        text = _text(line.get("prompt"), "prompt", line.path("prompt"))
        assert text is not None  # _present ruled out null and blank text
        system = line.text("system")
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": text})
        return {"messages": messages}, None
    explicit = [r for r in sources if r in line.mapped.explicit]
    if len(explicit) == 1:
        if line.get(explicit[0]) is _MISSING:
            raise line.required(explicit[0])
        raise ValueError(f"fields.{explicit[0]}: path {line.path(explicit[0])} is empty")
    tried = ", ".join(repr(line.path(r)) for r in sources)
    raise ValueError(f"no request on this line (looked for {tried or 'nothing'}): map "
                     "fields.messages, fields.prompt or fields.request")


def _response(line: _Line) -> dict[str, Any] | None:
    if "answer" in line.mapped.paths:
        response = _answer(line.get("answer"), "answer", line.path("answer"))
    else:
        value = _json(line.get("response"), "response", line.path("response"))
        if isinstance(value, Mapping):
            response = dict(value)
        elif isinstance(value, list):
            raise ValueError(f"fields.response: path {line.path('response')}: expected a "
                             "response object or answer text, got a list")
        else:
            response = _answer(value, "response", line.path("response"))
    if response is None or "choices" in response:
        return response
    for role in ("reasoning", "model"):
        value = line.text(role)
        if value:
            response[role] = value
    return response


def _metadata(line: _Line, used: set[str]) -> dict[str, Any]:
    kept = line.mapped.metadata
    if kept is None:
        return {k: v for k, v in line.obj.items() if k not in used}
    metadata = {}
    for key, text, parts in kept:
        value = lookup(line.obj, text, parts, "metadata")
        metadata[key] = None if value is _MISSING else value
    return metadata


_RECORD_FIELDS = {"segment": "segment", "conversation_id": "conversation",
                  "timestamp": "timestamp", "reference": "reference", "id": "id"}


def mapped_record(obj: Mapping[str, Any], mapped: Mapped, default_id: str) -> Record:
    """One row or JSON object → Record, following ``mapped``."""
    line = _Line(obj, mapped)
    request, reference = _request(line)
    response = _response(line)
    used = mapped.heads(obj.keys())
    if "messages" in mapped.paths and len(_effective(obj, *mapped.paths["messages"])) == 1:
        used |= REQUEST_KEYS & set(obj)  # chat params beside the messages joined the request
    reference = _present(line.get("reference"), reference)
    metadata = _metadata(line, used)
    if response is None:  # no recorded answer to hang them on: keep them as metadata
        metadata.update({role: value for role in ("reasoning", "model")
                         if (value := line.text(role)) is not None})
    try:
        return Record.model_validate({
            "id": line.text("id") or default_id,
            "request": request,
            "response": response,
            "reference": reference,
            "segment": line.text("segment"),
            "conversation_id": line.text("conversation"),
            "timestamp": _present(line.get("timestamp"), None),
            "metadata": metadata,
        })
    except ValidationError as err:
        raise ValueError(_record_problems(err, line)) from None


def _present(value: Any, default: Any) -> Any:
    """``value`` unless it is missing, null, blank text or NaN."""
    if value is _MISSING or value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, float) and value != value:
        return default
    return value


def _record_problems(err: ValidationError, line: _Line) -> str:
    """Pydantic's complaints about the built record, named by role and path."""
    problems = []
    for problem in err.errors(include_url=False):
        loc = [str(p) for p in problem["loc"]]
        role = _RECORD_FIELDS.get(loc[0]) if loc else None
        message = str(problem["msg"]).removeprefix("Value error, ")
        if loc and loc[0] == "response":
            role = "answer" if "answer" in line.mapped.paths else "response"
        if role is not None and role in line.mapped.paths:
            rest = ".".join(loc[1:])
            where = f"fields.{role}: path {line.path(role)}" + (f" ({rest})" if rest else "")
        else:
            where = ".".join(loc) or "record"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)
