"""Reading a judge's grade of one answer, tolerantly: a score on a scale, or pass/fail.

Judges write a score as ``7``, ``"7"``, ``"7/10"``, ``"seven"``, ``Score: 7`` or ``[[7]]``,
and a pass/fail verdict as ``"pass"``, ``"Correct."``, ``true`` or ``Verdict: incorrect``.
:func:`parse_score` and :func:`parse_pass` accept all of that and never raise: a grade they
cannot read (none found, out of the scale, on another scale, not a number) is *unread*,
with the reason why, and the metric counts it (:mod:`.judge_pointwise`). A score outside the
scale is not clipped into it: the judge did not follow the scale, and clipping would invent
a grade it never gave.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from swapkit.scoring.metrics.verdict import (
    MAX_REASON,
    MAX_TEXT,
    REASON_KEYS,
    first_field,
    json_objects,
)

__all__ = ["ParsedGrade", "parse_pass", "parse_score"]

SCORE_KEYS = ("score", "rating", "grade", "points", "mark")
PASS_KEYS = ("verdict", "result", "judgement", "judgment", "decision", "grade", "correct",
             "is_correct", "pass", "passed")
NUMBER_WORDS = {word: n for n, word in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}
GOOD = {"pass", "passed", "passes", "correct", "right", "true", "yes", "accurate",
        "acceptable"}
BAD = {"fail", "failed", "fails", "incorrect", "wrong", "false", "no", "inaccurate",
       "unacceptable", "not correct"}
MAX_BARE = 24  # a reply this short may be the grade alone ("7/10", "Correct.")
_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:(?:/|out\s+of)\s*(\d+(?:\.\d+)?))?",
                     re.IGNORECASE)
_TEXT_SCORE = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]|\b(?:score|rating|grade)\b\W{0,4}"
                         r"(?:is\s+)?(-?\d+(?:\.\d+)?\s*(?:(?:/|out\s+of)\s*\d+(?:\.\d+)?)?)",
                         re.IGNORECASE)
_TEXT_PASS = re.compile(r"\[\[\s*(pass|fail|correct|incorrect)\s*\]\]|\b(?:verdict|result)\b"
                        r"\W{0,4}(?:is\s+)?(pass|fail|correct|incorrect)\b", re.IGNORECASE)


class ParsedGrade(NamedTuple):
    """A grade (a score on the judge's scale, or 1.0 pass / 0.0 fail; None: unread), the
    judge's reason, and why the grade is unread (None when read)."""

    value: float | None
    reason: str | None
    problem: str | None


def _word(value: str) -> str:
    return " ".join(value.strip().strip("[]()\"'`*.:!").lower().split())


def _score_value(raw: Any, low: int, high: int) -> tuple[float | None, str | None]:
    """(score, None), or (None, why it is unread)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None, "the score is not a number"
    if isinstance(raw, str):
        word = _word(raw)
        if word in NUMBER_WORDS:
            raw = NUMBER_WORDS[word]
        else:
            match = _NUMBER.fullmatch(word)
            if match is None:
                return None, "the score is not a number"
            if match.group(2) is not None and float(match.group(2)) != high:
                return None, f"a score out of {float(match.group(2)):g}, not of {high}"
            raw = float(match.group(1))
    value = float(raw)
    if not math.isfinite(value):
        return None, "the score is not a number"
    if not low <= value <= high:
        return None, f"score {value:g} outside {low}-{high}"
    return value, None


def _pass_value(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return float(raw)
    word = _word(raw) if isinstance(raw, str) else None
    return 1.0 if word in GOOD else 0.0 if word in BAD else None


def _bare(text: str) -> str | None:
    """The reply, when it is short enough to be the grade alone (and no JSON object)."""
    text = text.strip()
    return text if len(text) <= MAX_BARE and "{" not in text else None


def _reason(data: dict[str, Any]) -> str | None:
    reason = first_field(data, REASON_KEYS)
    return reason[:MAX_REASON] if isinstance(reason, str) else None


def parse_score(text: Any, low: int, high: int) -> ParsedGrade:
    """The score in a judge's reply on the scale ``low``-``high`` (see the module
    docstring); never raises."""
    if not isinstance(text, str) or not text.strip():
        return ParsedGrade(None, None, "an empty reply")
    text = text[:MAX_TEXT]
    problem = None
    for data in json_objects(text):
        raw = first_field(data, SCORE_KEYS)
        if raw is None:
            continue
        value, why = _score_value(raw, low, high)
        if value is not None:
            return ParsedGrade(value, _reason(data), None)
        problem = problem or why
    if problem is None:
        match = _TEXT_SCORE.search(text)
        found = (match.group(1) or match.group(2)) if match else _bare(text)
        if found is not None:
            value, problem = _score_value(found, low, high)
            if value is not None:
                return ParsedGrade(value, text.strip()[:MAX_REASON], None)
    return ParsedGrade(None, None, problem or "no score found")


def parse_pass(text: Any) -> ParsedGrade:
    """The pass/fail (correct/incorrect) verdict in a judge's reply: 1.0 or 0.0; never
    raises."""
    if not isinstance(text, str) or not text.strip():
        return ParsedGrade(None, None, "an empty reply")
    text = text[:MAX_TEXT]
    for data in json_objects(text):
        value = _pass_value(first_field(data, PASS_KEYS))
        if value is not None:
            return ParsedGrade(value, _reason(data), None)
    match = _TEXT_PASS.search(text)
    value = _pass_value(match.group(1) or match.group(2) if match else _bare(text))
    if value is not None:
        return ParsedGrade(value, text.strip()[:MAX_REASON], None)
    return ParsedGrade(None, None, "no pass/fail verdict found")
