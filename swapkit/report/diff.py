"""Diffs for reviewers: word-level text diffs, JSON field diffs (computed at build time)."""

from __future__ import annotations

import json
import re

from rapidfuzz.distance import Levenshtein

from swapkit.scoring.metrics.structured import flatten

__all__ = ["json_field_diff", "word_diff"]

_TOKENS = re.compile(r"\s+|[^\s]+")
MAX_DIFF_TOKENS = 3000


def word_diff(base: str, cand: str) -> list[list[str]]:
    """[op, text] runs turning ``base`` into ``cand``; op is ``=``, ``-`` or ``+``."""
    a, b = _TOKENS.findall(base), _TOKENS.findall(cand)
    if len(a) + len(b) > MAX_DIFF_TOKENS:  # a diff this long helps no one; show both whole
        return [["-", base], ["+", cand]] if base != cand else [["=", base]]
    runs: list[list[str]] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if runs and runs[-1][0] == op:
            runs[-1][1] += text
        else:
            runs.append([op, text])

    for op in Levenshtein.opcodes(a, b):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if tag == "equal":
            push("=", "".join(a[i1:i2]))
        else:
            push("-", "".join(a[i1:i2]))
            push("+", "".join(b[j1:j2]))
    return runs


def json_field_diff(base: str, cand: str) -> list[list[str]] | None:
    """[field, baseline, candidate] for fields that differ, when both answers are JSON."""
    try:
        a, b = json.loads(base), json.loads(cand)
    except (json.JSONDecodeError, ValueError):
        return None
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    fa, fb = flatten(a), flatten(b)
    rows = []
    for key in sorted(set(fa) | set(fb)):
        va, vb = fa.get(key, "(missing)"), fb.get(key, "(missing)")
        if va != vb:
            rows.append([key, json.dumps(va, ensure_ascii=False) if key in fa else va,
                         json.dumps(vb, ensure_ascii=False) if key in fb else vb])
    return rows
