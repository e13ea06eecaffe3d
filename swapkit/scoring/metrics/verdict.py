"""Reading a judge's verdict, tolerantly, and combining the two orders of one pair.

Judges wrap their JSON in code fences or prose, capitalise keys, and write the verdict as
``"A"``, ``"Answer A"``, ``"[[A]]"`` or ``"equal"``. :func:`parse_verdict` accepts all of
that and never raises: whatever it cannot read is *unparsed* (counted, and scored as a tie).

The outcome of a pair (docs/methodology.md, "The judge"): both orders prefer the candidate
→ win; both prefer the baseline → loss; anything else → tie (both tie, one order a tie,
the orders contradicting each other, or a verdict unparsed). Mixed pairs count as ties
because one order's preference, unconfirmed by the other, is not evidence of one.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, NamedTuple

__all__ = ["Order", "Outcome", "ParsedVerdict", "Preference", "Verdict", "combine",
           "first_field", "json_objects", "parse_verdict", "preference"]

Verdict = Literal["A", "B", "tie"]
Preference = Literal["baseline", "candidate", "tie"]
Outcome = Literal["win", "loss", "tie"]
Order = Literal["AB", "BA"]  # AB: the baseline shown as answer A; BA: swapped

MAX_TEXT = 100_000  # characters of a judge's reply that are searched
MAX_OBJECTS = 64  # JSON objects tried before giving up
MAX_REASON = 600
VERDICT_KEYS = ("verdict", "winner", "preference", "better", "choice", "answer")
REASON_KEYS = ("reason", "reasoning", "explanation", "rationale")
TIES = {"tie", "equal", "both", "draw", "neither", "same", "c", "none", "equally good"}
_PREFIX = re.compile(r"^(answer|response|assistant|option|output)\s+")
# After "verdict", a capital letter alone: the article ("verdict is a tie", "verdict: a
# clear win for B") is not answer A.
_TEXT_VERDICT = re.compile(r"\[\[\s*(A|B|C|tie)\s*\]\]|\bverdict\b\W{0,4}(?:is\s+)?"
                           r"(?:answer\s+)?(?:((?-i:[AB]))\b(?!\s+tie\b)|(?:an?\s+)?(tie)\b)",
                           re.IGNORECASE)


class ParsedVerdict(NamedTuple):
    """A verdict (None: unparsed) and the judge's reason (None when it gave none)."""

    verdict: Verdict | None
    reason: str | None


def _normalise(value: Any) -> Verdict | None:
    if not isinstance(value, str):
        return None
    word = value.strip().strip("[]()\"'`*.:!").strip().lower()
    word = _PREFIX.sub("", word).strip("[]()\"'`*.:! ")
    if word in ("a", "1"):
        return "A"
    if word in ("b", "2"):
        return "B"
    if word in TIES:
        return "tie"
    return None


def json_objects(text: str) -> list[dict[str, Any]]:
    """The JSON objects found in ``text``: the whole, else each ``{`` that starts one."""
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict):
        return [whole]
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    start = text.find("{")
    tried = 0
    while start >= 0 and tried < MAX_OBJECTS:
        tried += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            start = text.find("{", start + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        start = text.find("{", max(end, start + 1))
    return found


def first_field(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` in ``data`` (keys compared trimmed, lower-case)."""
    lowered = {str(k).strip().lower(): v for k, v in data.items()}
    for key in keys:
        if key in lowered:
            return lowered[key]
    return None


def parse_verdict(text: Any) -> ParsedVerdict:
    """The verdict in a judge's reply (see the module docstring); never raises."""
    if not isinstance(text, str) or not text.strip():
        return ParsedVerdict(None, None)
    text = text[:MAX_TEXT]
    for data in json_objects(text):
        verdict = _normalise(first_field(data, VERDICT_KEYS))
        if verdict is not None:
            reason = first_field(data, REASON_KEYS)
            return ParsedVerdict(verdict, reason[:MAX_REASON] if isinstance(reason, str)
                                 else None)
    match = _TEXT_VERDICT.search(text)
    if match:
        word = (match.group(1) or match.group(2) or match.group(3) or "").lower()
        verdict = "tie" if word in ("c", "tie") else _normalise(word)
        return ParsedVerdict(verdict, text.strip()[:MAX_REASON])
    return ParsedVerdict(None, None)


def preference(verdict: Verdict | None, order: Order) -> Preference | None:
    """Which side a verdict prefers, given the order the answers were shown in."""
    if verdict is None or verdict == "tie":
        return verdict
    first_is_baseline = order == "AB"
    return "baseline" if (verdict == "A") == first_is_baseline else "candidate"


def combine(ab: Preference | None, ba: Preference | None) -> tuple[Outcome, bool | None]:
    """(outcome, consistent) of a pair from its two orders' preferences (None: unparsed).

    ``consistent``: whether both orders said the same (None when either is unparsed)."""
    consistent = None if ab is None or ba is None else ab == ba
    if ab == ba == "candidate":
        return "win", consistent
    if ab == ba == "baseline":
        return "loss", consistent
    return "tie", consistent
