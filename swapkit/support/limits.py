"""Limits on untrusted input, shared by every log reader and the run store."""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_JSON_DEPTH", "too_deep"]

# Chat requests nest a few levels (messages → content parts, tools → JSON schemas); a log
# line nested deeper than this is not a request, and JSON libraries (orjson at 255) or
# recursive code would fail on it later, in the middle of a run.
MAX_JSON_DEPTH = 64


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``value`` nests lists and mappings more than ``limit`` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((inner, depth + 1) for inner in item.values()
                         if isinstance(inner, dict | list))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item if isinstance(inner, dict | list))
    return False
