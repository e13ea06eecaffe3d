"""Request-rate and token-rate limits, as asyncio waiters shared by a target's workers."""

from __future__ import annotations

import asyncio
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces request starts for ``rpm`` and keeps a ``tpm`` token bucket.

    Requests start at most every 60/rpm seconds (smooth, no bursts at minute edges). The
    token bucket holds up to ``tpm`` tokens, refills continuously, and is charged an
    estimate before a request (all of it, even beyond the bucket: the debt is waited out
    by the next requests) and corrected with the real usage after it.
    """

    def __init__(self, rpm: float | None, tpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.capacity = float(tpm) if tpm else 0.0
        self.tokens = self.capacity
        self._next_start = 0.0
        self._refilled = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        """False when there is nothing to limit."""
        return bool(self.interval or self.capacity)

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self._refilled) * self.capacity / 60)
        self._refilled = now

    async def acquire(self, tokens: int) -> None:
        """Wait until a request of about ``tokens`` tokens may start."""
        if not self.active:
            return
        async with self._lock:
            if self.interval:
                now = time.monotonic()
                wait = self._next_start - now
                self._next_start = max(now, self._next_start) + self.interval
                if wait > 0:
                    await asyncio.sleep(wait)
            if self.capacity:
                # Wait for a full bucket at most, then charge the whole estimate: a request
                # larger than the bucket leaves it in debt, so the rate still holds (a Ray
                # shard's bucket is its share of tpm, often smaller than one request).
                need = min(float(tokens), self.capacity)
                self._refill()
                while self.tokens < need:
                    await asyncio.sleep((need - self.tokens) * 60 / self.capacity)
                    self._refill()
                self.tokens -= float(tokens)

    def settle(self, estimated: int, actual: int | None) -> None:
        """Correct the bucket once the real token count of a request is known."""
        if self.capacity and actual is not None:
            self.tokens = min(self.capacity, self.tokens + estimated - actual)
