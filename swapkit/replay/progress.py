"""Progress of a replay: per-target counters, and their display on a terminal or in CI logs."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from swapkit.completion import Completion
from swapkit.support.numbers import fmt_count, fmt_duration, fmt_money, fmt_number

__all__ = ["FAILURE_STATUSES", "Progress", "TargetProgress"]

FAILURE_STATUSES = frozenset({"error", "timeout", "rate_limited", "unreached"})


@dataclass
class TargetProgress:
    """What happened to one target's jobs in this invocation."""

    side: str
    label: str
    kind: str
    planned: int = 0
    skipped: int = 0  # already in the store from an earlier run
    done: int = 0
    status: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    retries: int = 0
    spend_usd: float = 0.0
    consecutive_failures: int = 0
    last_error: str | None = None
    same_400: int = 0  # identical HTTP 400s in a row, before any answer
    last_400: str | None = None

    def add(self, completion: Completion) -> None:
        """Count one stored completion."""
        self.done += 1
        self.status[completion.status] += 1
        if completion.attempts > 0:  # a recorded answer's cost was spent before this run
            self.spend_usd += completion.cost_usd or 0.0
        if completion.status in FAILURE_STATUSES:
            self.consecutive_failures += 1
            self.last_error = completion.error
        else:
            self.consecutive_failures = 0

    @property
    def remaining(self) -> int:
        """Jobs neither skipped nor done."""
        return self.planned - self.skipped - self.done

    def as_dict(self) -> dict[str, Any]:
        """JSON-able view."""
        return {"side": self.side, "label": self.label, "kind": self.kind,
                "planned": self.planned, "skipped": self.skipped, "done": self.done,
                "remaining": self.remaining, "status": dict(self.status),
                "attempts": self.attempts, "retries": self.retries,
                "spend_usd": round(self.spend_usd, 6)}


class Progress:
    """A live line per target on a terminal; a line every ``interval_s`` elsewhere."""

    def __init__(self, targets: list[TargetProgress], *, quiet: bool = False,
                 stream: TextIO | None = None, interval_s: float = 10.0) -> None:
        self.targets = targets
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.interval_s = 0.25 if self.tty else interval_s
        self.start = time.monotonic()
        self._last = 0.0
        self._lines = 0
        self._shown: list[str] = []

    def line(self, t: TargetProgress) -> str:
        """One target's progress in one line."""
        if t.planned and t.skipped == t.planned:
            return (f"{t.side:<9} {t.label[:28]:<28} nothing to send: all {fmt_count(t.planned)} "
                    "already in the run store")
        elapsed = max(1e-9, time.monotonic() - self.start)
        todo = t.planned - t.skipped
        rate = t.done / elapsed
        eta = (todo - t.done) / rate if rate > 0 else float("nan")
        failures = sum(t.status[s] for s in FAILURE_STATUSES)
        eta_text = fmt_duration(eta) if eta == eta else "-"
        return (f"{t.side:<9} {t.label[:28]:<28} {fmt_count(t.done):>7}/{fmt_count(todo):<7} "
                f"{fmt_number(rate, 3):>7}/s  failed {fmt_count(failures):<5} "
                f"retries {fmt_count(t.retries):<5} {fmt_money(t.spend_usd)}  eta {eta_text}")

    def resumed(self) -> str | None:
        """What an earlier run left to this one, in a line; None when it left nothing.

        Counts the requests to endpoints (answers recorded in a log are read, not sent).
        """
        endpoints = [t for t in self.targets if t.kind == "endpoint"]
        stored = sum(t.skipped for t in endpoints)
        if not stored:
            return None
        sent = sum(t.done for t in endpoints)
        planned = sum(t.planned for t in endpoints)
        if stored == planned:
            return (f"resumed: all {fmt_count(planned)} requests were already in the run store; "
                    "nothing was sent")
        return (f"resumed: {fmt_count(stored)} of {fmt_count(planned)} requests were already in "
                f"the run store; {fmt_count(sent)} sent now")

    def finish(self) -> None:
        """The last redraw, then the resume line (unless quiet)."""
        self.update(force=True)
        line = self.resumed()
        if line is not None and not self.quiet:
            self.stream.write(f"{line}\n")
            self.stream.flush()

    def update(self, force: bool = False) -> None:
        """Redraw if enough time has passed (or ``force``)."""
        if self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        lines = [self.line(t) for t in self.targets if t.kind == "endpoint"]
        counts = [f"{t.side}{t.done}" for t in self.targets]
        if not self.tty and force and counts == self._shown:
            return  # nothing new since the last line printed
        self._shown = counts
        if self.tty:
            if self._lines:
                self.stream.write(f"\x1b[{self._lines}F")
            self.stream.write("".join(f"\x1b[2K{line}\n" for line in lines))
            self._lines = len(lines)
        else:
            self.stream.write("".join(f"{line}\n" for line in lines))
        self.stream.flush()
