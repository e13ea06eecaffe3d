"""A target's jobs: one per record and sample, read from the run store as they are taken.

A replay of any size holds a page of records and the keys of the completions already
stored, never the whole sample: the records are parsed only for the jobs still to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from swapkit.config import SwapConfig
from swapkit.replay.workers import Job
from swapkit.store import RunStore
from swapkit.support.hashing import completion_key

__all__ = ["endpoint_jobs"]


def endpoint_jobs(config: SwapConfig, store: RunStore, side: str, identity: dict[str, Any],
                  name: str) -> tuple[int, int, Iterator[Job]]:
    """(jobs planned, jobs already stored, the jobs still to do in replay order): every
    record's first sample, then the noise subset's extra samples (the baseline's, and the
    candidate's with ``noise.candidate``)."""
    extra = config.noise.samples if config.noise.enabled and (
        side == "baseline" or config.noise.candidate) else 0
    settled = store.settled_keys(name)
    noisy = store.noise_positions() if extra else []
    noisy_hashes: dict[int, str] = {}
    wanted = set(noisy)
    planned = skipped = 0
    for position, digest in enumerate(store.request_hashes()):
        planned += 1
        skipped += completion_key(identity, digest, 0) in settled
        if position in wanted:
            noisy_hashes[position] = digest
    for sample in range(1, extra + 1):
        planned += len(noisy)
        skipped += sum(completion_key(identity, noisy_hashes[p], sample) in settled
                       for p in noisy)

    def pending() -> Iterator[Job]:
        records = store.record_sequence()
        for position, digest in enumerate(store.request_hashes()):
            key = completion_key(identity, digest, 0)
            if key not in settled:
                yield records[position], digest, key, 0
        for sample in range(1, extra + 1):
            for position in noisy:
                key = completion_key(identity, noisy_hashes[position], sample)
                if key not in settled:
                    yield records[position], noisy_hashes[position], key, sample

    return planned, skipped, pending()
