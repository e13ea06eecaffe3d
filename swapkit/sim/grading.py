"""The simulated judge's grades: replies to swapkit's pointwise judge requests.

A request is a pointwise one when its ``response_format`` is a swapkit judge schema asking
for a ``score``, or for a two-word ``verdict`` (pass/fail, correct/incorrect); without a
schema, when its prompt holds an ``<answer>`` block and the shipped templates' reply
instruction (the scale "an integer from 1 to 10", or 'verdict is "pass" ... "fail"'). The
grade follows the answer's closeness (word-count cosine) to the reference the prompt shows,
else to what the simulator's index knows of the conversation: a score of low + closeness x
(high - low), rounded; a pass (correct) from ``pass_similarity`` up. The profile's
:class:`~swapkit.sim.profile.JudgeKnobs` bend it: ``noise`` gives a random grade,
``verbosity_bias`` the top grade to an answer longer than the reference. Rolls are
hash-seeded by (profile seed, judge prompt): deterministic.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from swapkit.records import message_text
from swapkit.replay.judge import JUDGE_SCHEMA_PREFIX
from swapkit.sim.answers import rng_for
from swapkit.sim.index import SimIndex
from swapkit.sim.judge import similarity
from swapkit.sim.profile import JudgeKnobs

__all__ = ["grading_form", "grading_reply"]

# A score's scale (low, high), or a verdict's words (good, bad).
Form = tuple[int, int] | tuple[str, str]

DEFAULT_SCALE = (1, 10)
_SCALE = re.compile(r"an\s+integer\s+from\s+(\d+)\s+to\s+(\d+)")
_WORDS = re.compile(r'where\s+verdict\s+is\s+"(\w+)"[^"]*"(\w+)"')


def _prompt(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    return message_text(last)


def _section(name: str, text: str) -> str | None:
    match = re.search(rf"<{name}>\n(.*?)\n</{name}>", text, re.DOTALL)
    return match.group(1) if match else None


def _scale(text: str) -> tuple[int, int]:
    match = _SCALE.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else DEFAULT_SCALE


def grading_form(body: dict[str, Any]) -> Form | None:
    """What a pointwise judge request asks for (None: it is not one)."""
    text = _prompt(body)
    response_format = body.get("response_format")
    spec = response_format.get("json_schema") if isinstance(response_format, dict) else None
    if isinstance(spec, dict) and str(spec.get("name", "")).startswith(JUDGE_SCHEMA_PREFIX):
        schema = spec.get("schema")
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            return None
        if "score" in properties:
            return _scale(text)
        verdict = properties.get("verdict")
        words = verdict.get("enum") if isinstance(verdict, dict) else None
        if isinstance(words, list) and len(words) == 2 and all(
                isinstance(w, str) for w in words):
            return words[0], words[1]
        return None
    if _section("answer", text) is None:
        return None
    if _SCALE.search(text):
        return _scale(text)
    match = _WORDS.search(text)
    return (match.group(1), match.group(2)) if match else None


def grading_reply(body: dict[str, Any], form: Form, index: SimIndex, knobs: JudgeKnobs,
                  seed: int, key: str) -> str:
    """The judge's grade of the one answer in ``body``: JSON, in a code fence when no
    structured output was asked for."""
    text = _prompt(body)
    answer = _section("answer", text) or ""
    truth = _section("reference", text)
    if truth is None:
        conversation = _section("conversation", text)
        truth = index.by_conversation(conversation).text if conversation else None
    rng = rng_for(seed, "grade", key)
    closeness = similarity(answer, truth) if truth else None
    if rng.random() < knobs.noise:
        closeness, reason = rng.random(), "Hard to say."
    elif truth and rng.random() < knobs.verbosity_bias and len(answer) > len(truth):
        closeness, reason = 1.0, "The answer is thorough and detailed."
    elif closeness is None:
        closeness, reason = 0.5, "Nothing to check the answer against."
    else:
        reason = ("The answer says what the user needed." if closeness >= knobs.pass_similarity
                  else "The answer misses or contradicts what the user needed.")
    reply: dict[str, Any] = {"reason": reason}
    if isinstance(form[0], int) and isinstance(form[1], int):
        low, high = form[0], form[1]
        reply["score"] = low + round(closeness * (high - low))
    else:
        reply["verdict"] = form[0] if closeness >= knobs.pass_similarity else form[1]
    encoded = orjson.dumps(reply).decode()
    return encoded if body.get("response_format") else f"```json\n{encoded}\n```"
