"""What every replay worker shares, in this process or in a Ray actor: the run's caps
(:class:`Caps`) and the loop that works through jobs (:func:`drain`).

On Ray, one :class:`Caps` is an actor that every shard asks before each attempt, so the
request cap and the spend cap hold for the whole run, not per shard: a cap is exceeded
by at most the requests in flight when it was reached, as in one process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

from swapkit.completion import Completion
from swapkit.config import TargetConfig
from swapkit.records import Record
from swapkit.replay.call import CallContext, call_target
from swapkit.replay.progress import TargetProgress
from swapkit.support.numbers import fmt_money

__all__ = ["Caps", "Job", "SharedJobs", "TargetJobs", "drain"]

Job = tuple[Record, str, str, int]  # record, request hash, completion key, sample index


@dataclass
class TargetJobs:
    """One target's jobs still to do in this replay (read as they are taken), and its
    progress."""

    side: str  # baseline, candidate or judge
    target: TargetConfig
    name: str  # the target's identity hash
    jobs: Iterator[Job]
    count: int  # how many ``jobs`` holds
    progress: TargetProgress


class SharedJobs:
    """Jobs taken one at a time by a target's workers (an iterator shared as an async
    iterator: taking one never waits)."""

    def __init__(self, jobs: Iterator[Job]) -> None:
        self._jobs = jobs

    def __aiter__(self) -> SharedJobs:
        return self

    async def __anext__(self) -> Job:
        try:
            return next(self._jobs)
        except StopIteration:
            raise StopAsyncIteration from None


class Caps:
    """The request cap and the spend cap of one replay (spend counts stored completions).

    ``reason`` says why no request may start any more (a cap, or a stop from outside)."""

    def __init__(self, max_requests: int | None, max_spend: float | None,
                 spent: float = 0.0) -> None:
        self.max_requests, self.max_spend = max_requests, max_spend
        self.requests = 0
        self.spent = spent
        self.reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether a cap is set (without one, nothing needs counting across processes)."""
        return self.max_requests is not None or self.max_spend is not None

    def take(self) -> bool:
        """Count one attempt; False (and ``reason`` set) once none may start."""
        if self.reason is not None:
            return False
        if self.max_requests is not None and self.requests >= self.max_requests:
            self.stop(f"request cap reached ({self.max_requests} requests)")
            return False
        self.requests += 1
        return True

    def spend(self, cost: float) -> str | None:
        """Add a completion's cost; the reason to stop once the spend cap is reached."""
        self.spent += cost
        if self.max_spend is not None and self.spent >= self.max_spend:
            self.stop(f"spend cap reached ({fmt_money(self.spent)} of "
                      f"{fmt_money(self.max_spend)})")
        return self.reason

    def stop(self, reason: str) -> None:
        """No request starts from now on (the first reason is kept)."""
        if self.reason is None:
            self.reason = reason

    def state(self) -> tuple[int, float, str | None]:
        """(attempts counted, spend, reason): for the driver, at the end of a Ray replay."""
        return self.requests, self.spent, self.reason


async def drain(ctx: CallContext, jobs: AsyncIterator[Job], stopped: Callable[[], bool],
                done: Callable[[Completion], Awaitable[None] | None]) -> None:
    """Call the target for each job (``jobs`` shared by the target's workers) until they
    run out, ``stopped()`` says so, or the request cap is reached; hand each completion
    to ``done``."""
    async for record, digest, key, sample in jobs:
        if stopped():
            return
        completion = await call_target(ctx, record, digest, key, sample)
        if completion is None:
            return
        waiting = done(completion)
        if waiting is not None:
            await waiting
