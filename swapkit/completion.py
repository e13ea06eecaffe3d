"""Completions: what a target returned for one record and sample, as the store keeps it.

Every status falls in one of three outcomes (docs/methodology.md §8.2), defined here once:

- *answer* (``ok``, ``refused``): the model answered; a refusal is an answer, scored as text.
- *failure* (``truncated``, ``empty``, ``error`` after retries, ``timeout``): the endpoint
  was reached but gave no usable answer. It scores the worst value of every quality metric
  and counts in ``failure_rate``.
- *missing* (no completion stored, ``rate_limited`` after retries, ``unreached``: nothing
  reached the endpoint): retried by the next resume, never scored as an answer; the
  decision bounds it instead (GO only if GO with every missing candidate answer failed).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from swapkit.config import Price
from swapkit.records import RecordedResponse, Usage

__all__ = ["ANSWER_FAILURES", "MISSING_STATUSES", "RETRYABLE_HTTP", "Completion", "Outcome",
           "cost_usd", "needs_retry", "outcome"]

Outcome = Literal["answer", "failure", "missing"]
ANSWER_FAILURES = frozenset({"truncated", "empty", "error", "timeout"})
MISSING_STATUSES = frozenset({"rate_limited", "unreached"})

# Statuses worth calling again on the next run: the endpoint, not the model, failed.
RETRYABLE_HTTP = frozenset({408, 409, 429, 500, 502, 503, 504})


class Completion(RecordedResponse):
    """A recorded response plus where it came from and what it cost."""

    key: str = Field(description="completion_key(target identity, request hash, sample)")
    target: str = Field(description="hash of the target identity")
    request_hash: str
    sample: int = 0
    ttfa_s: float | None = Field(default=None, description="time to first answer token")
    attempts: int = 1
    request_id: str | None = None


def outcome(completion: Completion | None) -> Outcome:
    """``answer``, ``failure`` or ``missing`` (None: nothing stored for this call yet)."""
    if completion is None or completion.status in MISSING_STATUSES:
        return "missing"
    return "failure" if completion.status in ANSWER_FAILURES else "answer"


def needs_retry(completion: Completion) -> bool:
    """True when a stored completion failed for infrastructure reasons (retry on resume)."""
    return status_needs_retry(completion.status, completion.http_status)


def status_needs_retry(status: str, http_status: int | None) -> bool:
    """:func:`needs_retry` from the two stored fields it looks at."""
    if status in ("timeout", "rate_limited", "unreached"):
        return True
    if status != "error":
        return False
    return http_status is None or http_status in RETRYABLE_HTTP or http_status >= 500


def cost_usd(usage: Usage | None, price: Price | None) -> float | None:
    """Cost of one call (docs/methodology.md §7.3); reasoning tokens are part of completion tokens.

    ``cost = p_in·(prompt − cached) + p_cached·cached + p_out·(completion − reasoning)
    + p_reasoning·reasoning``, with p_reasoning = p_out and p_cached = p_in by default.
    """
    if usage is None or price is None or usage.prompt_tokens is None or (
            usage.completion_tokens is None):
        return None
    # Parts never exceed their whole (an endpoint's counts are untrusted): no negative cost.
    cached = min(usage.cached_tokens or 0, usage.prompt_tokens)
    reasoning = min(usage.reasoning_tokens or 0, usage.completion_tokens)
    p_cached = price.input if price.cached is None else price.cached
    p_reasoning = price.output if price.reasoning is None else price.reasoning
    total = (
        price.input * (usage.prompt_tokens - cached)
        + p_cached * cached
        + price.output * (usage.completion_tokens - reasoning)
        + p_reasoning * reasoning
    )
    return total / 1_000_000
