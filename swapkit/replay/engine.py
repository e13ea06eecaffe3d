"""Replay a migration's sample against its targets, into the run store.

``replay_run(config)`` draws the sample (seeded, stratified, in replay order), stores it,
then runs each endpoint target's jobs with ``concurrency`` workers, both targets at
once. When the suite has a judge metric and swap.yaml a ``judge:``, the judge stage
follows (:mod:`swapkit.replay.judge_asks`): the judge is a third target (side ``judge``)
whose jobs are the judge requests of the records the sides answered, run by the same
workers under the same caps. Work already in the store is skipped; infrastructure
failures from earlier runs are retried. A request cap or spend cap stops the run
cleanly (in-flight requests finish and are stored); a target failing
``max_consecutive_failures`` times in a row aborts it (exit 3); Ctrl-C stops at once
and keeps what was committed.

Completions are committed in batches, every ``COMMIT_INTERVAL_S`` (or every
``COMMIT_ROWS`` completions, whichever comes first) and whenever the replay ends, for
any reason but a killed process. A killed process loses the completions not yet
committed, at most this interval's worth besides the requests in flight; the next run
sends those again, and never one that was committed.

With ``executor: ray`` each target's jobs are sharded over Ray actors
(:mod:`swapkit.replay.shards`); this process stays the only writer of the run store, so
committing, resuming and the caps work as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swapkit.completion import Completion
from swapkit.config import (
    DEFAULT_RUNS_DIR,
    SIDES,
    Suite,
    SwapConfig,
    TargetConfig,
    check_environment,
)
from swapkit.errors import RuntimeFailure
from swapkit.replay.call import CallContext
from swapkit.replay.jobs import endpoint_jobs
from swapkit.replay.judge_asks import JudgeAsk, judge_jobs, suite_asks
from swapkit.replay.limits import RateLimiter
from swapkit.replay.preflight import preflight
from swapkit.replay.progress import Progress, TargetProgress
from swapkit.replay.sample import prepare_sample
from swapkit.replay.shards import RayReplay
from swapkit.replay.targets import recorded_completions, target_hash, target_identity
from swapkit.replay.transport import ChatTransport, target_transport
from swapkit.replay.workers import Caps, Job, SharedJobs, TargetJobs, drain
from swapkit.store import RunStore, StoredTarget

COMMIT_INTERVAL_S = 0.1  # staged completions wait at most about this long for a commit

__all__ = ["ReplayOptions", "ReplaySummary", "replay_async", "replay_run"]


@dataclass
class ReplayOptions:
    """Command-line overrides of the config's replay settings."""

    run_dir: Path | None = None
    only: str | None = None
    max_requests: int | None = None
    max_spend_usd: float | None = None
    fail_fast: bool | None = None
    quiet: bool = False
    preflight: bool = True  # check every live target once before replaying


@dataclass
class ReplaySummary:
    """What a replay did."""

    run_dir: Path
    records: int
    noise_records: int
    targets: list[TargetProgress]
    stopped: str | None = None  # why it stopped early, if it did
    interrupted: bool = False
    wall_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unreached(self) -> int:
        """Requests stored as missing (never reached the endpoint, or rate limited to the
        end): the next run retries them."""
        return sum(t.status["unreached"] + t.status["rate_limited"] for t in self.targets)

    @property
    def complete(self) -> bool:
        """True when every planned job has a stored answer or answer failure."""
        return not self.stopped and not self.interrupted and not self.unreached and all(
            t.remaining == 0 for t in self.targets)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able view."""
        return {"run_dir": str(self.run_dir), "records": self.records,
                "noise_records": self.noise_records, "complete": self.complete,
                "stopped": self.stopped, "interrupted": self.interrupted,
                "unreached": self.unreached,
                "wall_s": round(self.wall_s, 3), "targets": [t.as_dict() for t in self.targets],
                **self.extra}


class _Run:
    """State shared by the workers of one replay."""

    def __init__(self, config: SwapConfig, options: ReplayOptions, store: RunStore) -> None:
        self.config, self.options, self.store = config, options, store
        settings = config.replay
        fail_fast = settings.fail_fast if options.fail_fast is None else options.fail_fast
        self.failure_limit = 1 if fail_fast else settings.max_consecutive_failures
        self.caps = Caps(options.max_requests or settings.max_requests,
                         options.max_spend_usd if options.max_spend_usd is not None
                         else settings.max_spend_usd, store.spent_usd())
        self.stop_reason: str | None = None
        self.abort: str | None = None
        self.stopping = asyncio.Event()

    async def take_request(self) -> bool:
        if self.stopping.is_set():
            return False
        if self.caps.take():
            return True
        self.stop(self.caps.reason or "stopped")
        return False

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopping.set()

    def record(self, progress: TargetProgress, completion: Completion) -> None:
        self.store.stage_completion(completion)
        progress.add(completion)
        capped = self.caps.spend(completion.cost_usd or 0.0)
        if capped:
            self.stop(capped)
        if progress.consecutive_failures >= self.failure_limit and self.abort is None:
            self.abort = (f"{progress.side} ({progress.label}) failed "
                          f"{progress.consecutive_failures} time(s) in a row; "
                          f"last error: {progress.last_error}")
            self.stop(self.abort)
        refused = _refuses_configuration(progress, completion)
        if refused and self.abort is None:
            self.abort = f"{progress.side} ({progress.label}) refuses the request: {refused}"
            self.stop(self.abort)


# Statuses that say the configuration (key, model, parameters) is wrong, not one request.
CONFIG_REFUSALS = {401: "the key is not accepted", 403: "the key may not use this model",
                   404: "the model or the endpoint path does not exist"}
SAME_400 = 3  # the same 400 this many times before any answer: a parameter is wrong


def _refuses_configuration(progress: TargetProgress, completion: Completion) -> str | None:
    """Why the target will refuse every request (stop now rather than retry the whole run)."""
    status = completion.http_status
    if status in CONFIG_REFUSALS:
        return f"{completion.error} ({CONFIG_REFUSALS[status]})"
    if status == 400 and progress.status.get("ok", 0) == 0:
        progress.same_400 = progress.same_400 + 1 if completion.error == progress.last_400 else 1
        progress.last_400 = completion.error
        if progress.same_400 >= SAME_400:
            return f"{completion.error} (the same answer to {SAME_400} requests: check params)"
    return None


async def _checked(config: SwapConfig, sides: list[str], transports: dict[str, ChatTransport],
                   enforce: bool) -> dict[str, bool]:
    """Preflight every live target; side → whether it is swapkit's simulator."""
    checks = await preflight(config, tuple(sides), transports)
    failed = [c for c in checks if not c.ok]
    if failed and enforce:
        raise RuntimeFailure("preflight failed, nothing was sent:\n  " + "\n  ".join(
            c.line() for c in failed), hint="fix the target's base_url, key or model (or "
            "skip the check with --no-preflight)")
    return {c.side: c.simulated for c in checks}


async def _ready(run: _Run, live: dict[str, ChatTransport]
                 ) -> tuple[dict[str, bool], RayReplay | None]:
    """Preflight the live targets (side → simulated) and, for ``executor: ray``, connect
    to the cluster; on failure, close the transports."""
    config = run.config
    try:
        simulated = await _checked(config, list(live), live, run.options.preflight)
        cluster = RayReplay(config.executor, run.caps, run.stopping, run.failure_limit) if (
            config.executor.ray and live) else None
    except BaseException:
        for transport in live.values():
            await transport.close()
        raise
    return simulated, cluster


def _pending(store: RunStore, name: str, jobs: list[Job]) -> list[Job]:
    settled = store.settled_keys(name)
    return [job for job in jobs if job[2] not in settled]


def _judge_asks(config: SwapConfig, options: ReplayOptions) -> list[JudgeAsk]:
    """What the judge stage asks (nothing: no judge stage in this replay)."""
    if config.judge is None or options.only is not None or not isinstance(config.suite, Suite):
        return []
    return suite_asks(config.suite)


def _counted(progress: TargetProgress, completions: Iterable[Completion]
             ) -> Iterator[Completion]:
    """The completions, each counted in ``progress`` as it goes by (none held)."""
    for completion in completions:
        progress.add(completion)
        yield completion


def _import_recorded(store: RunStore, side: str, target: TargetConfig,
                     sample_size: int) -> TargetProgress:
    """Store a recorded target's answers (from the log or a file) as its completions."""
    identity = target_identity(target)
    progress = TargetProgress(side, target.display_name, "recorded", planned=sample_size)
    # Records read back from the store a page at a time, completions written a chunk at
    # a time: importing holds neither all records nor all answers.
    store.put_completions(_counted(progress, recorded_completions(
        target, iter(store.record_sequence()))))
    store.save_target(StoredTarget(side, target_hash(identity), identity,
                                   target.display_name, False))
    return progress


def _start(run: _Run, work: TargetJobs, transport: ChatTransport | None, display: Progress,
           cluster: RayReplay | None) -> list[asyncio.Task[None]]:
    """Start the workers of one target's pending jobs: ``concurrency`` of them here, or its
    shards on the Ray cluster."""
    progress = work.progress

    def done(completion: Completion) -> None:
        run.record(progress, completion)
        display.update()

    if cluster is not None:
        return cluster.start(work, done)
    assert transport is not None
    target = work.target
    ctx = CallContext(target, work.name, transport, RateLimiter(target.rpm, target.tpm),
                      run.take_request, rng=random.Random(f"{work.name}:{os.getpid()}"))

    def counted(completion: Completion) -> None:
        progress.attempts, progress.retries = ctx.attempts, ctx.retries
        done(completion)

    shared = SharedJobs(work.jobs)
    return [asyncio.create_task(drain(ctx, shared, run.stopping.is_set, counted))
            for _ in range(min(target.concurrency, max(1, work.count)))]


async def replay_async(config: SwapConfig, options: ReplayOptions | None = None) -> ReplaySummary:
    """Replay ``config`` (see the module docstring)."""
    options = options or ReplayOptions()
    started = time.monotonic()
    sides = [s for s in SIDES if options.only in (None, s)]
    if options.only not in (None, *SIDES):
        raise RuntimeFailure(f"--only must be one of {', '.join(SIDES)}")
    check_environment(config)
    run_dir = options.run_dir or config.run_dir or DEFAULT_RUNS_DIR
    with RunStore(run_dir) as store:
        sample_size, noise_count = prepare_sample(config, store)
        run = _Run(config, options, store)
        progresses: list[TargetProgress] = []
        tasks: list[asyncio.Task[None]] = []
        display = Progress(progresses, quiet=options.quiet)
        live: dict[str, ChatTransport] = {
            side: target_transport(getattr(config, side), side, getattr(config, side).concurrency)
            for side in sides
            if getattr(config, side).recorded is False}
        asks = _judge_asks(config, options)
        if asks and config.judge is not None:
            live["judge"] = target_transport(config.judge, "judge", config.judge.concurrency)
        transports = list(live.values())
        simulated_sides, cluster = await _ready(run, live)
        for side in sides:
            target: TargetConfig = getattr(config, side)
            identity = target_identity(target)
            name = target_hash(identity)
            label = target.display_name
            if target.recorded is not False:
                progresses.append(_import_recorded(store, side, target, sample_size))
                continue
            store.save_target(StoredTarget(side, name, identity, label,
                                           simulated_sides.get(side, False)))
            planned, skipped, pending = endpoint_jobs(config, store, side, identity, name)
            progress = TargetProgress(side, label, "endpoint", planned=planned, skipped=skipped)
            progresses.append(progress)
            tasks += _start(run, TargetJobs(side, target, name, pending, planned - skipped,
                                            progress), live[side], display, cluster)
        summary = ReplaySummary(run_dir, sample_size, noise_count, progresses)
        if cluster is not None:
            summary.extra["executor"] = {"kind": "ray", "shards": cluster.shards}
        try:
            await _wait(run, tasks)
            if cluster is not None and (capped := await cluster.capped()):
                run.stop(capped)  # the caps actor stopped the shards: no judge stage
            if asks and not run.stopping.is_set():
                tasks += _judge_stage(run, asks, live["judge"], simulated_sides.get("judge", False),
                                      progresses, display, cluster)
                await _wait(run, tasks)
        except asyncio.CancelledError:
            summary.interrupted = True
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for transport in transports:
                await transport.close()
            if cluster is not None:  # always: the shards hold the cluster's CPUs
                capped = await cluster.close()
                run.stop_reason = run.stop_reason or capped
            store.flush()  # whatever ended the run: commit what the workers stored
        display.finish()
        summary.stopped = run.stop_reason
        summary.wall_s = time.monotonic() - started
        if run.abort and not summary.interrupted:
            raise RuntimeFailure(
                f"replay aborted: {run.abort}",
                hint="check the endpoint, key and model name; the store keeps every completed "
                "request and a rerun resumes",
            )
        return summary


def _judge_stage(run: _Run, asks: list[JudgeAsk], transport: ChatTransport, simulated: bool,
                 progresses: list[TargetProgress], display: Progress,
                 cluster: RayReplay | None) -> list[asyncio.Task[None]]:
    """Start the judge's workers on the judge requests not yet stored (after both sides)."""
    judge = run.config.judge
    assert judge is not None
    store = run.store
    store.flush()
    identity = target_identity(judge)
    name = target_hash(identity)
    store.save_target(StoredTarget("judge", name, identity, judge.display_name, simulated))
    jobs = judge_jobs(store, identity, asks, judge, run.config.log.sample.seed)
    pending = _pending(store, name, jobs)
    progress = TargetProgress("judge", judge.display_name, "endpoint", planned=len(jobs),
                              skipped=len(jobs) - len(pending))
    progresses.append(progress)
    return _start(run, TargetJobs("judge", judge, name, iter(pending), len(pending), progress),
                  transport, display, cluster)


async def _wait(run: _Run, tasks: list[asyncio.Task[None]]) -> None:
    """Wait for the workers, committing their completions every ``COMMIT_INTERVAL_S``; on
    an abort, cancel them instead of letting them drain."""
    if not tasks:
        return
    all_done = asyncio.ensure_future(asyncio.gather(*tasks))
    # Retrieve its outcome whatever happens (Ctrl-C cancels this coroutine mid-wait):
    # otherwise asyncio prints "exception was never retrieved" with a traceback at exit.
    all_done.add_done_callback(lambda f: f.cancelled() or f.exception())
    while not all_done.done():
        await asyncio.wait([all_done], timeout=COMMIT_INTERVAL_S)
        run.store.flush()
        if run.abort:
            all_done.cancel()
            break
    with contextlib.suppress(asyncio.CancelledError):
        await all_done


def replay_run(config: SwapConfig, options: ReplayOptions | None = None) -> ReplaySummary:
    """Run :func:`replay_async` in a fresh event loop; Ctrl-C stops it cleanly."""
    async def main() -> ReplaySummary:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        if task is not None:
            with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
                loop.add_signal_handler(signal.SIGINT, task.cancel)
        return await replay_async(config, options)

    return asyncio.run(main())
