"""The replay on Ray (``executor: ray``): each target's jobs sharded by request hash over
Ray actors, each running this package's async replay for its shard.

- **Limits**: a target's ``concurrency``, ``rpm`` and ``tpm`` are split by the driver into
  shares that add up to the target's (a shard's share of concurrency is its connection
  pool). Why shares rather than a token actor: no round trip to a central actor before
  each request, so the replay's throughput does not hinge on one actor, and the global
  bound holds by construction (the shares never add up to more). Its cost: a shard that
  runs out of jobs leaves its share idle; sharding by hash keeps the shards even.
- **Caps**: the request cap and the spend cap are one :class:`~.workers.Caps` actor that
  every shard asks before each attempt (only when a cap is set), so a cap holds for the
  whole run, exceeded by at most the requests in flight, as in one process.
- **Store**: completions stream back to the driver in batches (at most every
  ``BATCH_S``), which stages and commits them as a local replay does: the driver is the
  only writer of the run store, so resuming, locking and kill -9 safety are unchanged.
  The actors die with the driver (Ray ties an actor's life to its owner's).
- **Keys**: never sent. A shard builds its transport from its own environment
  (:func:`~swapkit.config.target_headers`), so a key must be set on the workers.
"""

from __future__ import annotations

import asyncio
import os
import random
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from swapkit.completion import Completion
from swapkit.config import ExecutorConfig, TargetConfig
from swapkit.errors import RuntimeFailure
from swapkit.replay.call import CallContext
from swapkit.replay.cluster import connect, task_error
from swapkit.replay.limits import RateLimiter
from swapkit.replay.progress import TargetProgress
from swapkit.replay.transport import target_transport
from swapkit.replay.workers import Caps, Job, TargetJobs, drain

__all__ = ["BATCH_S", "MAX_DEFAULT_SHARDS", "JobFeed", "RayReplay", "ReplayShard", "Share",
           "shard_of", "split_limits"]

BATCH_S = 0.1  # a shard sends its completions at least this often
MAX_DEFAULT_SHARDS = 64
BACKPRESSURE = 16  # batches a shard may send ahead of the driver
SHARD_START_S = 120.0  # how long the shards may take to start (an autoscaler adds nodes)
STOPPED_BY_DRIVER = "stopped by the driver"
FEED_CHUNK = 256  # jobs the driver sends a shard at once
FEED_CHUNKS = 4  # chunks a shard may have queued before the driver waits


@dataclass(frozen=True)
class Share:
    """One shard's part of a target's limits."""

    concurrency: int
    rpm: float | None = None
    tpm: float | None = None


@dataclass
class ShardBatch:
    """Completions a shard sends back, with the attempts and retries since its last batch."""

    completions: list[Completion] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0


def shard_of(request_hash: str, shards: int) -> int:
    """The shard a request goes to: by its hash, so every sample of a record goes to the
    same shard and the split does not depend on the replay order."""
    return zlib.crc32(request_hash.encode()) % shards


def split_limits(target: TargetConfig, shards: int) -> list[Share]:
    """``shards`` shares of the target's limits: concurrency as evenly as whole connections
    allow (each shard at least one), rpm and tpm in equal parts; they add up to the
    target's own."""
    assert 1 <= shards <= target.concurrency
    base, extra = divmod(target.concurrency, shards)
    return [Share(base + (i < extra), target.rpm / shards if target.rpm else None,
                  target.tpm / shards if target.tpm else None) for i in range(shards)]


class JobFeed:
    """The jobs the driver sends a shard, chunk by chunk, taken one at a time by the
    shard's workers. The driver waits while ``FEED_CHUNKS`` chunks are queued (so neither
    side holds the whole shard); once closed, whatever is still sent is dropped."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[list[Job] | None] = asyncio.Queue(FEED_CHUNKS)
        self._ready: deque[Job] = deque()  # received, not yet taken
        self._ended = False  # the driver sent its last chunk
        self._closed = False  # the shard stopped taking jobs

    async def put(self, chunk: list[Job] | None) -> None:
        if not self._closed:
            await self._queue.put(chunk)

    def close(self) -> None:
        """Take no more jobs; release a driver waiting to send more."""
        self._closed = True
        while not self._queue.empty():
            self._queue.get_nowait()

    def __aiter__(self) -> JobFeed:
        return self

    async def __anext__(self) -> Job:
        while not self._ready:  # several workers may wait here: each chunk joins the queue
            if self._ended or self._closed:
                raise StopAsyncIteration
            chunk = await self._queue.get()
            if chunk is None:
                self._ended = True
                self._queue.put_nowait(None)  # for the next worker waiting here
            else:
                self._ready.extend(chunk)
        return self._ready.popleft()


class ReplayShard:
    """A Ray actor: the async replay of one shard of each target's jobs."""

    def __init__(self) -> None:
        self._stopped = False
        self._feeds: dict[str, JobFeed] = {}

    async def stop(self) -> None:
        """Start no more requests (those in flight finish and are sent back)."""
        self._stopped = True

    async def feed(self, side: str, chunk: list[Job] | None) -> None:
        """More jobs of ``side`` (None: no more); returns once they are queued."""
        await self._feeds.setdefault(side, JobFeed()).put(chunk)

    async def replay(self, side: str, target: TargetConfig, name: str, share: Share,
                     caps: Any, count_spend: bool, failure_limit: int
                     ) -> AsyncIterator[ShardBatch]:
        """Call the target for the jobs :meth:`feed` sends, with ``share.concurrency``
        workers; yield the completions in batches. ``caps`` is the run's :class:`Caps`
        actor (None: no cap). A failed completion is sent at once (the driver counts the
        target's failures in a row and stops every shard); ``failure_limit`` failures in a
        row here stop this shard without waiting for it."""
        jobs = self._feeds.setdefault(side, JobFeed())
        transport = target_transport(target, side, share.concurrency)

        async def take() -> bool:
            return not self._stopped and (caps is None or bool(await caps.take.remote()))

        ctx = CallContext(target, name, transport, RateLimiter(share.rpm, share.tpm), take,
                          rng=random.Random(f"{name}:{os.getpid()}"))
        out: list[Completion] = []
        failed = asyncio.Event()  # a failure waits for no batch interval
        counted = TargetProgress(side, name, "shard")  # this shard's failures in a row

        async def done(completion: Completion) -> None:
            out.append(completion)
            counted.add(completion)
            if counted.consecutive_failures:
                failed.set()
                self._stopped = self._stopped or (
                    counted.consecutive_failures >= failure_limit)
            if count_spend and completion.cost_usd:
                await caps.spend.remote(completion.cost_usd)

        workers = {asyncio.create_task(drain(ctx, jobs, lambda: self._stopped, done))
                   for _ in range(share.concurrency)}
        sent = (0, 0)
        try:
            running = set(workers)
            while running:
                alarm = asyncio.ensure_future(failed.wait())
                await asyncio.wait({*running, alarm}, timeout=BATCH_S,
                                   return_when=asyncio.FIRST_COMPLETED)
                alarm.cancel()
                failed.clear()
                for task in [t for t in running if t.done()]:
                    running.discard(task)
                    task.result()  # a worker's failure fails the shard, now
                if out or not running:
                    batch = ShardBatch(out[:], ctx.attempts - sent[0], ctx.retries - sent[1])
                    out.clear()
                    sent = (ctx.attempts, ctx.retries)
                    yield batch
        finally:
            jobs.close()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await transport.close()


class RayReplay:
    """The driver's side of a replay on Ray: the shard actors, the caps actor, and the
    tasks that receive the completions into this process."""

    def __init__(self, executor: ExecutorConfig, caps: Caps, stopping: asyncio.Event,
                 failure_limit: int) -> None:
        self.ray = connect(executor)
        self.executor, self.caps, self.stopping = executor, caps, stopping
        self.failure_limit = failure_limit
        self.ledger = self.ray.remote(Caps).options(num_cpus=0).remote(
            caps.max_requests, caps.max_spend, caps.spent) if caps.active else None
        per_shard = executor.replay.num_cpus
        free = self.ray.available_resources().get("CPU", 0.0)
        fits = int(free // per_shard) if per_shard else MAX_DEFAULT_SHARDS
        self.shards = executor.replay.shards or max(1, min(MAX_DEFAULT_SHARDS, fits))
        self.actors: list[Any] = []
        self._ready: set[int] = set()  # indexes of the actors known to have started
        self._stop_sent = False

    def _actor(self, index: int) -> Any:
        while len(self.actors) <= index:
            self.actors.append(self.ray.remote(ReplayShard).options(
                num_cpus=self.executor.replay.num_cpus).remote())
        return self.actors[index]

    def start(self, work: TargetJobs, done: Callable[[Completion], None]
              ) -> list[asyncio.Task[None]]:
        """Start the target's shards and send them its jobs; the tasks hand each
        completion to ``done`` as it arrives."""
        if not work.count:
            return []
        count = min(self.shards, work.target.concurrency, work.count)
        actors = [self._actor(i) for i in range(count)]
        tasks = []
        for actor, share in zip(actors, split_limits(work.target, count), strict=True):
            stream = actor.replay.options(
                num_returns="streaming",
                _generator_backpressure_num_objects=BACKPRESSURE).remote(
                work.side, work.target, work.name, share, self.ledger,
                self.caps.max_spend is not None, self.failure_limit)
            tasks.append(asyncio.create_task(self._receive(stream, work.progress, done)))
        tasks.append(asyncio.create_task(self._send(work, actors, list(tasks))))
        return tasks

    async def _send(self, work: TargetJobs, actors: list[Any],
                    receiving: list[asyncio.Task[None]]) -> None:
        """Send each shard its jobs (by request hash) in chunks of ``FEED_CHUNK``, waiting
        while a shard has enough queued; then tell every shard there are no more. Stops
        early once the run stops or every shard has (a cap reached)."""
        chunks: list[list[Job]] = [[] for _ in actors]
        try:
            await self._started(len(actors))
            for taken, job in enumerate(work.jobs):
                index = shard_of(job[1], len(actors))
                chunks[index].append(job)
                if len(chunks[index]) >= FEED_CHUNK:
                    await actors[index].feed.remote(work.side, chunks[index])
                    chunks[index] = []
                    if self.stopping.is_set() or all(task.done() for task in receiving):
                        break
                elif taken % FEED_CHUNK == 0:
                    await asyncio.sleep(0)  # let the completions in meanwhile
            for actor, chunk in zip(actors, chunks, strict=True):
                if chunk and not self.stopping.is_set():
                    await actor.feed.remote(work.side, chunk)
                await actor.feed.remote(work.side, None)
        except self.ray.exceptions.RayError as err:
            raise task_error(err) from None

    async def _started(self, count: int) -> None:
        """Wait until the first ``count`` shards run; an error naming the settings when
        the cluster cannot place them within ``SHARD_START_S`` (nothing would be sent)."""
        waiting = [i for i in range(count) if i not in self._ready]
        try:
            await asyncio.wait_for(asyncio.gather(
                *(self.actors[i].__ray_ready__.remote() for i in waiting)), SHARD_START_S)
        except TimeoutError:
            free = self.ray.available_resources().get("CPU", 0.0)
            raise RuntimeFailure(
                f"the replay's {count} shards did not all start within {SHARD_START_S:g} s: "
                f"each asks for {self.executor.replay.num_cpus:g} CPU and the cluster has "
                f"{free:g} CPU free", hint="lower executor.replay.shards or "
                "executor.replay.num_cpus, or give the cluster more CPUs") from None
        self._ready.update(waiting)

    async def _receive(self, stream: Any, progress: TargetProgress,
                       done: Callable[[Completion], None]) -> None:
        try:
            async for ref in stream:
                batch: ShardBatch = await ref
                progress.attempts += batch.attempts
                progress.retries += batch.retries
                for completion in batch.completions:
                    done(completion)
                if self.stopping.is_set():
                    self._stop_all()
        except self.ray.exceptions.RayError as err:
            raise task_error(err) from None

    def _stop_all(self) -> None:
        if self._stop_sent:
            return
        self._stop_sent = True
        for actor in self.actors:
            actor.stop.remote()
        if self.ledger is not None:
            self.ledger.stop.remote(STOPPED_BY_DRIVER)

    async def capped(self) -> str | None:
        """Why the caps actor stopped the replay, if it did (a cap reached)."""
        if self.ledger is None:
            return None
        try:
            reason: str | None = (await asyncio.wait_for(self.ledger.state.remote(), 30))[2]
        except (self.ray.exceptions.RayError, TimeoutError):
            return None
        return reason if reason != STOPPED_BY_DRIVER else None

    async def close(self) -> str | None:
        """End the actors; why the caps stopped the replay, if they did."""
        reason = await self.capped()
        for actor in [*self.actors, *([self.ledger] if self.ledger is not None else [])]:
            self.ray.kill(actor)
        self.actors.clear()
        return reason
