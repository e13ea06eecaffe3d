"""Embedding answers while the replay waits on slow endpoints.

Against real endpoints a replay spends most of its time waiting; the embedding model
can load and embed finished answers (and the references) meanwhile, so that scoring
finds them cached. The model loads as the run starts; while the replay runs, the encoder
uses every CPU, or every CPU but one while the replay's event loop is busy (fast
endpoints): the replay is never slowed to embed. It is only an
optimisation: if it fails or is stopped early, scoring embeds whatever is missing.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from swapkit.config import EmbeddingsConfig, Suite
from swapkit.scoring.embeddings.backends import encoder_threads
from swapkit.scoring.embeddings.embedders import EmbeddingCache, load_embedder
from swapkit.scoring.metrics.text import reference_text
from swapkit.store import DB_NAME, RunStore

__all__ = ["EMBEDDING_METRICS", "EmbeddingPrefetch", "needs_embeddings"]

EMBEDDING_METRICS = frozenset({"similarity", "similarity_to_reference"})
CHUNK = 64  # small: a stop request waits for one chunk at most
BUSY = 0.5  # the replay's thread using this share of a CPU keeps one for itself


def needs_embeddings(suite: Suite) -> bool:
    """Whether scoring this suite embeds answers."""
    from swapkit.scoring.metrics import parse_spec

    names = {parse_spec(s)[0] for s in suite.metrics} | {g.metric for g in suite.gates}
    return bool(names & EMBEDDING_METRICS)


class EmbeddingPrefetch:
    """A background thread that embeds answers as the replay commits them."""

    def __init__(self, run_dir: Path, settings: EmbeddingsConfig) -> None:
        self.run_dir, self.settings = run_dir, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="swapkit-prefetch", daemon=True)
        self._replay_thread = threading.get_ident()  # the replay runs where we were made
        self.embedded = 0

    def start(self) -> EmbeddingPrefetch:
        """Begin in the background."""
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 600.0) -> None:
        """Stop after the chunk in hand: scoring embeds the rest with both cores."""
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        with contextlib.suppress(Exception):  # an optimisation: scoring does the rest
            self._prefetch()

    def _prefetch(self) -> None:
        embedder = load_embedder(self.settings)
        cpus = encoder_threads(self.settings)
        replay = _ThreadLoad(self._replay_thread)

        def fit() -> None:
            # A busy replay (fast endpoints) keeps a CPU for its event loop; one waiting on
            # slow endpoints needs little, and the encoder takes every CPU.
            embedder.use_threads(cpus if replay.share() < BUSY else max(1, cpus - 1))

        embedder.use_threads(max(1, cpus - 1))
        try:
            while not (self.run_dir / DB_NAME).exists():
                if self._stop.wait(0.2):
                    return
            with RunStore(self.run_dir, lock=False) as store:
                while not store.record_count():  # the replay is saving its sample
                    if self._stop.wait(0.2):
                        return
                cache = EmbeddingCache(store, self.settings, embedder=embedder)
                references = [t for r, _ in store.records() if (t := reference_text(r))]
                for start in range(0, len(references), CHUNK):
                    if self._stop.is_set():
                        return
                    fit()
                    cache.vectors(references[start:start + CHUNK])
                seen = 0
                while not self._stop.is_set():
                    rows = store.db.execute(
                        "SELECT rowid, answer FROM completions WHERE rowid > ? AND status = 'ok'"
                        " AND answer != '' ORDER BY rowid LIMIT ?", (seen, CHUNK)).fetchall()
                    if rows:
                        seen = rows[-1][0]
                        fit()
                        cache.vectors([answer for _, answer in rows])
                        self.embedded += len(rows)
                    else:
                        self._stop.wait(0.5)
        finally:
            embedder.use_threads(cpus)


class _ThreadLoad:
    """The share of one CPU a thread used since the last look (1.0 where unknown)."""

    def __init__(self, ident: int) -> None:
        try:
            self.clock: int | None = time.pthread_getcpuclockid(ident)
            self.last = (time.clock_gettime(self.clock), time.monotonic())
        except (AttributeError, OSError):  # no per-thread CPU clocks on this system
            self.clock = None

    def share(self) -> float:
        if self.clock is None:
            return 1.0
        now = (time.clock_gettime(self.clock), time.monotonic())
        cpu, wall = now[0] - self.last[0], now[1] - self.last[1]
        self.last = now
        return cpu / wall if wall > 0 else 1.0
