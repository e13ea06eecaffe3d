"""The simulated judge: verdicts on swapkit's pairwise judge requests, with known biases.

A request is a judge request when its ``response_format`` schema is swapkit's judge schema
or its prompt holds both ``<answer_a>`` and ``<answer_b>`` blocks (the shipped template's
markers). The "true" preference is for the answer closer (word-count cosine) to the
reference the prompt shows, else to what the simulator's index knows of the conversation
(its reference or recorded answer); the profile's :class:`~swapkit.sim.profile.JudgeKnobs`
bend it. Every roll is hash-seeded by (profile seed, judge prompt): deterministic, and the
two orders of one pair are independent draws. Asked the same prompt again (a second
sample, as on the re-judged subset), the judge keeps its biases but draws its ``noise``
afresh: a judge without noise agrees with itself, as one at temperature 0 does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import orjson

from swapkit.records import message_text
from swapkit.replay.judge import JUDGE_SCHEMA_PREFIX
from swapkit.sim.answers import rng_for
from swapkit.sim.index import SimIndex
from swapkit.sim.profile import JudgeKnobs

__all__ = ["is_judge_request", "judge_reply", "similarity"]

_BLOCK = {name: re.compile(rf"<{name}>\n(.*?)\n</{name}>", re.DOTALL)
          for name in ("conversation", "reference", "answer_a", "answer_b")}
_WORD = re.compile(r"\w+")


def _prompt(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    return message_text(last)


def is_judge_request(body: dict[str, Any]) -> bool:
    """Whether ``body`` asks for a pairwise verdict."""
    response_format = body.get("response_format")
    schema = response_format.get("json_schema") if isinstance(response_format, dict) else None
    if isinstance(schema, dict) and str(schema.get("name", "")).startswith(
            JUDGE_SCHEMA_PREFIX):
        return True
    text = _prompt(body)
    return "<answer_a>" in text and "<answer_b>" in text


def similarity(left: str, right: str) -> float:
    """Cosine of the two texts' word counts (lower-cased): 1 for the same words."""
    a, b = Counter(_WORD.findall(left.lower())), Counter(_WORD.findall(right.lower()))
    dot = sum(count * b[word] for word, count in a.items())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def _block(name: str, text: str) -> str | None:
    match = _BLOCK[name].search(text)
    return match.group(1) if match else None


def judge_reply(body: dict[str, Any], index: SimIndex, knobs: JudgeKnobs, seed: int,
                key: str, sample: int = 0) -> str:
    """The judge's reply: JSON, in a code fence when no structured output was asked for
    (``sample``: which time this prompt is asked; only the noise is drawn per sample)."""
    text = _prompt(body)
    answer_a, answer_b = _block("answer_a", text) or "", _block("answer_b", text) or ""
    truth = _block("reference", text)
    if truth is None:
        conversation = _block("conversation", text)
        truth = index.by_conversation(conversation).text if conversation else None
    rng = rng_for(seed, "judge", key)
    roll, noise = rng.random(), rng  # drawn on every sample: the rolls after it stay put
    if sample:  # asked again: the same biases, the noise drawn afresh
        noise = rng_for(seed, "judge", key, sample)
        roll = noise.random()
    if roll < knobs.noise:
        verdict, reason = noise.choice(["A", "B", "tie"]), "Hard to say."
    elif rng.random() < knobs.position_bias:
        verdict, reason = "A", "Answer A addresses the question."
    elif rng.random() < knobs.verbosity_bias and len(answer_a) != len(answer_b):
        verdict = "A" if len(answer_a) > len(answer_b) else "B"
        reason = f"Answer {verdict} is more detailed."
    elif rng.random() < knobs.tie_rate or truth is None:
        verdict, reason = "tie", "Both answers are about as good."
    else:
        gap = similarity(answer_a, truth) - similarity(answer_b, truth)
        verdict = "tie" if abs(gap) <= knobs.tie_margin else "A" if gap > 0 else "B"
        reason = ("Both answers are about as good." if verdict == "tie" else
                  f"Answer {verdict} is closer to what the user needed.")
    reply = orjson.dumps({"reason": reason, "verdict": verdict}).decode()
    return reply if body.get("response_format") else f"```json\n{reply}\n```"
