"""Limits on untrusted input, shared by every log reader and the run store."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["MAX_JSON_DEPTH", "too_deep"]

# Chat requests nest a few levels (messages → content parts, tools → JSON schemas); a log
# line nested deeper than this is not a request, and JSON libraries (orjson at 255) or
# recursive code would fail on it later, in the middle of a run.
MAX_JSON_DEPTH = 64


_CONTAINERS = (dict, list, tuple)


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests lists and mappings more than ``limit`` levels (no recursion).

    Every log record goes through this, so it must cost little beside parsing the line:
    a value whose JSON text holds at most ``limit`` opening brackets cannot nest deeper
    (brackets inside strings only add to the count), which orjson tells in C; other values
    are walked one level at a time."""
    if not isinstance(value, _CONTAINERS):
        return False
    try:
        text = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):  # big integers, odd keys, too deep for orjson
        pass
    else:
        if text.count(b"{") + text.count(b"[") <= limit:
            return False
    return _walk(value, limit)


def _walk(value: Any, limit: int) -> bool:
    level = [value]
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        keep = below.append
        for item in level:  # only dicts and lists reach a level
            for inner in item.values() if isinstance(item, dict) else item:
                if isinstance(inner, _CONTAINERS):
                    keep(inner)
        level = below
        depth += 1
    return False
