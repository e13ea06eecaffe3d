"""Choosing which logged records to replay, and in which order.

Deterministic for a seed and independent of the log's order: each record draws a
priority from the hash of (seed, request identity), and a sample of n keeps the n
lowest priorities, allocated across segments in proportion to their size (with an
optional minimum per segment). Memory stays bounded by n per segment, whatever the
log size. Duplicates (same request identity) are dropped, first one kept.

The replay order is a seeded random permutation stratified by segment (docs/methodology.md §9):
every prefix of it holds the segments in about their final proportions, so an
interim look during replay sees a fair mix.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from swapkit.config import SampleSpec
from swapkit.ingest.formats.base import resolve_path
from swapkit.records import Record

__all__ = ["Sample", "allocate", "draw_sample", "noise_subset", "unit_interval"]

NO_SEGMENT = "(none)"


@dataclass
class Sample:
    """The records to replay, in replay order, and how they were chosen."""

    records: list[Record]
    seen: int = 0
    filtered_out: int = 0
    duplicates: int = 0
    available: dict[str, int] = field(default_factory=dict)
    selected: dict[str, int] = field(default_factory=dict)


def unit_interval(seed: int, key: str) -> float:
    """A uniform number in [0, 1) derived from ``seed`` and ``key`` alone."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _keep(record: Record, spec: SampleSpec) -> bool:
    if spec.segments is not None and (record.segment or NO_SEGMENT) not in spec.segments:
        return False
    for path, wanted in spec.where.items():
        value = resolve_path(record, path)
        accepted = wanted if isinstance(wanted, list) else [wanted]
        if value not in accepted and str(value) not in [str(a) for a in accepted]:
            return False
    if spec.since or spec.until:
        if record.timestamp is None:
            return False
        moment = _aware(record.timestamp)
        if spec.since and moment < _aware(spec.since):
            return False
        if spec.until and moment >= _aware(spec.until):
            return False
    return True


def allocate(counts: dict[str, int], n: int, minimum: int = 0) -> dict[str, int]:
    """Split ``n`` across strata in proportion to ``counts`` (largest remainder, capped).

    Each stratum first gets ``min(count, minimum)``; the rest is shared in proportion
    to what each stratum has left, and what a full stratum cannot take goes to others.
    """
    total = sum(counts.values())
    if n >= total:
        return dict(counts)
    alloc = {s: min(c, minimum) for s, c in counts.items()}
    if sum(alloc.values()) > n:  # the floor alone exceeds n: share n without it
        alloc = dict.fromkeys(counts, 0)
    remaining = n - sum(alloc.values())
    while remaining > 0:
        room = {s: counts[s] - alloc[s] for s in counts if counts[s] > alloc[s]}
        weight = sum(room.values())
        shares = {s: remaining * r / weight for s, r in room.items()}
        floors = {s: min(int(v), room[s]) for s, v in shares.items()}
        leftover = remaining - sum(floors.values())
        by_remainder = sorted(room, key=lambda s: (-(shares[s] - int(shares[s])), s))
        for s in by_remainder:
            if leftover <= 0:
                break
            if floors[s] < room[s]:
                floors[s] += 1
                leftover -= 1
        for s, k in floors.items():
            alloc[s] += k
        remaining = n - sum(alloc.values())
        if not any(floors.values()):
            break
    return alloc


def draw_sample(records: Iterable[Record], spec: SampleSpec) -> Sample:
    """Filter, deduplicate, sample and order ``records`` (one pass, bounded memory)."""
    seen_hashes: set[int] = set()
    heaps: dict[str, list[tuple[float, int, Record]]] = {}
    available: Counter[str] = Counter()
    sample = Sample(records=[])
    # Stratified: a segment never gets more than n; unstratified: one heap for all.
    cap = spec.n
    for order, record in enumerate(records):
        sample.seen += 1
        if not _keep(record, spec):
            sample.filtered_out += 1
            continue
        digest = record.request_hash
        if spec.dedupe:
            short = int(digest[:16], 16)
            if short in seen_hashes:
                sample.duplicates += 1
                continue
            seen_hashes.add(short)
        segment = record.segment or NO_SEGMENT
        available[segment] += 1
        key = digest if spec.dedupe else f"{digest}:{record.id}"
        priority = unit_interval(spec.seed, key)
        heap = heaps.setdefault(segment if spec.stratify else "", [])
        item = (-priority, order, record)
        if cap is None or len(heap) < cap:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    sample.available = dict(available)
    chosen = _choose(heaps, available, spec)
    sample.selected = dict(Counter(r.segment or NO_SEGMENT for r in chosen))
    sample.records = _replay_order(chosen, spec.seed)
    return sample


def _choose(
    heaps: dict[str, list[tuple[float, int, Record]]], available: Counter[str], spec: SampleSpec
) -> list[Record]:
    def lowest(heap: list[tuple[float, int, Record]], k: int) -> list[Record]:
        return [r for _, _, r in sorted(heap, key=lambda t: (-t[0], t[1]))[:k]]

    if not spec.stratify:
        heap = heaps.get("", [])
        return lowest(heap, spec.n or len(heap))
    quotas = allocate(dict(available), spec.n or sum(available.values()), spec.min_per_segment)
    chosen: list[Record] = []
    for segment, heap in heaps.items():
        chosen.extend(lowest(heap, quotas.get(segment, 0)))
    return chosen


def _replay_order(chosen: list[Record], seed: int) -> list[Record]:
    """Seeded permutation, stratified by segment: prefixes keep segment proportions."""
    by_segment: dict[str, list[Record]] = {}
    for record in chosen:
        by_segment.setdefault(record.segment or NO_SEGMENT, []).append(record)
    keyed: list[tuple[float, float, Record]] = []
    for segment, members in by_segment.items():
        members.sort(key=lambda r: unit_interval(seed, "order\x00" + r.request_hash + r.id))
        offset = unit_interval(seed, "offset\x00" + segment)
        size = len(members)
        for j, record in enumerate(members):
            tie = unit_interval(seed, "tie\x00" + record.id)
            keyed.append(((j + offset) / size, tie, record))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [r for _, _, r in keyed]


def noise_subset(records: list[Record], size: int, seed: int) -> set[str]:
    """Request hashes of a seeded, segment-stratified subset for extra baseline samples."""
    by_segment: dict[str, list[tuple[float, str]]] = {}
    for record in records:
        digest = record.request_hash
        by_segment.setdefault(record.segment or NO_SEGMENT, []).append(
            (unit_interval(seed, "noise\x00" + digest), digest))
    quotas = allocate({s: len(v) for s, v in by_segment.items()}, size)
    chosen: set[str] = set()
    for segment, members in by_segment.items():
        chosen.update(d for _, d in sorted(members)[: quotas.get(segment, 0)])
    return chosen
