"""A ``log.fields`` mapping guessed from a JSON line swapkit cannot place, for the hint of
"cannot tell the log format": a ready-to-paste swap.yaml snippet and the ``--field`` flags.

The line is walked breadth-first, four levels deep (into the first item of a list of
objects); the shallowest match of each role wins.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["guess_fields", "suggest_fields"]

MAX_DEPTH = 4
# role -> key names that suggest it (compared lower-case), and the kind of value it needs.
TEXT_KEYS = {
    "prompt": ("prompt", "question", "input", "query", "instruction", "user_input",
               "user_message", "user_query"),
    "system": ("system", "system_prompt", "system_message", "instructions"),
    "answer": ("answer", "output", "completion", "response", "text", "generation", "reply",
               "output_text", "generated_text"),
    "reference": ("reference", "label", "expected", "expected_output", "gold",
                  "ground_truth", "target", "ideal"),
    "segment": ("segment", "route", "task", "category", "intent", "use_case", "feature"),
}
SCALAR_KEYS = {
    "id": ("request_id", "call_id", "uuid", "log_id"),
    "conversation": ("conversation_id", "session_id", "thread_id", "chat_id", "conversation",
                     "session", "thread"),
    "timestamp": ("timestamp", "ts", "created_at", "time", "datetime", "start_time",
                  "created", "logged_at"),
}
ORDER = ("id", "messages", "system", "prompt", "answer", "response", "reference", "segment",
         "conversation", "timestamp")
_PLAIN = re.compile(r"[A-Za-z_][\w-]*\Z")


def _walk(obj: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """(path, key, value) for every key, shallowest first."""
    level: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = [((), obj)]
    for _ in range(MAX_DEPTH):
        deeper: list[tuple[tuple[str | int, ...], Mapping[str, Any]]] = []
        for prefix, node in level:
            for key, value in node.items():
                path = (*prefix, str(key))
                yield path, str(key), value
                if isinstance(value, Mapping):
                    deeper.append((path, value))
                elif isinstance(value, list) and value and isinstance(value[0], Mapping) \
                        and not _is_messages(value):
                    deeper.append(((*path, 0), value[0]))
        level = deeper


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(m, Mapping) and isinstance(m.get("role"), str)
        and ("content" in m or "tool_calls" in m) for m in value)


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _text(parts: tuple[str | int, ...]) -> str:
    """A path as log.fields writes it: dotted, a key that is not a plain name in brackets."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f".{part}"
        elif _PLAIN.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def guess_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    """role -> path guessed from one JSON object; empty when no request can be found."""
    found: dict[str, tuple[str | int, ...]] = {}
    for path, key, value in _walk(obj):
        name = key.lower()
        if "messages" not in found and _is_messages(value):
            found["messages"] = path
            continue
        if isinstance(value, Mapping) and "choices" in value and "answer" not in found:
            found.setdefault("response", path)  # a recorded chat.completion
            continue
        for role, keys in TEXT_KEYS.items():
            if role not in found and name in keys and isinstance(value, str) and value:
                found[role] = path
                break
        else:
            if isinstance(value, Mapping) and _scalar(value.get("id")):
                path, value = (*path, "id"), value["id"]  # session: {id: ...}
            for role, keys in SCALAR_KEYS.items():
                if role not in found and name in keys and _scalar(value):
                    found[role] = path
                    break
    if "messages" in found:
        inside = found["messages"]
        found = {role: path for role, path in found.items()
                 if role == "messages" or path[:len(inside)] != inside}
        found.pop("prompt", None)
        found.pop("system", None)
    if "messages" not in found and "prompt" not in found:
        return {}
    if found.get("answer") == found.get("prompt"):
        found.pop("answer", None)
    if "response" in found:
        found.pop("answer", None)
    return {role: _text(found[role]) for role in ORDER if role in found}


def _yaml_value(path: str) -> str:
    return path if _PLAIN.match(path.replace(".", "_")) else json.dumps(path)


def suggest_fields(obj: Mapping[str, Any]) -> str | None:
    """The hint text: a swap.yaml snippet and the equivalent flags; None if nothing fits."""
    fields = guess_fields(obj)
    if not fields:
        return None
    yaml = "\n".join(f"      {role}: {_yaml_value(path)}" for role, path in fields.items())
    flags = " ".join(f"--field {shlex.quote(f'{role}={path}')}" for role, path in fields.items())
    return ("this looks like a custom log: read it through a field mapping (check the guess), "
            f"in swap.yaml:\n  log:\n    fields:\n{yaml}\nor on the command line: {flags}")
