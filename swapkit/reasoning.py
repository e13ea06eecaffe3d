"""Separate a reasoning model's thinking from its final answer (STATS.md §8.1).

Precedence: a structured field (``reasoning_content`` or ``reasoning``) wins; else
inline ``<think>`` tags in the content, where everything up to the first
``</think>`` is reasoning (DeepSeek-R1 often omits the opening tag; Qwen3's
non-thinking mode emits an empty block); an opening tag with no closing tag, or a
``length`` finish while still thinking, means the model ran out of budget before
answering: the answer is empty and the completion is flagged.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ReasoningSplit", "split_reasoning"]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ReasoningSplit(NamedTuple):
    """The final answer, the reasoning (None when there was none), and the truncation flag."""

    answer: str
    reasoning: str | None
    truncated_in_reasoning: bool


def split_reasoning(
    content: str | None,
    reasoning_field: str | None = None,
    finish_reason: str | None = None,
) -> ReasoningSplit:
    """Split ``content`` (and an optional structured reasoning field) per STATS.md §8.1."""
    text = content or ""
    if reasoning_field:
        # Reasoning arrived apart. Stopping for length with no answer yet happened
        # inside the reasoning.
        truncated = finish_reason == "length" and not text.strip()
        return ReasoningSplit(text.strip(), reasoning_field, truncated)
    close = text.find(CLOSE_TAG)
    if close >= 0:
        thought = text[:close].lstrip()
        if thought.startswith(OPEN_TAG):
            thought = thought[len(OPEN_TAG) :]
        answer = text[close + len(CLOSE_TAG) :].strip()
        return ReasoningSplit(answer, thought.strip(), False)
    if text.lstrip().startswith(OPEN_TAG):
        thought = text.lstrip()[len(OPEN_TAG) :].strip()
        return ReasoningSplit("", thought, True)
    return ReasoningSplit(text.strip(), None, False)
