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
import itertools
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from swapkit.config import LogConfig, SampleSpec
from swapkit.ingest.filtering import NO_SEGMENT, RecordFilter, filter_for_log
from swapkit.ingest.formats import read_log
from swapkit.records import Record

__all__ = ["Drawn", "Sample", "SampleSpill", "allocate", "draw_sample", "noise_subset",
           "sample_log", "unit_interval"]

SPILL_CHUNK = 5000


class Keyed(Protocol):
    """What sampling reads of a record (a :class:`Record` or a :class:`Drawn`)."""

    @property
    def id(self) -> str: ...

    @property
    def segment(self) -> str | None: ...

    @property
    def request_hash(self) -> str: ...


K = TypeVar("K", bound=Keyed)


class Drawn(NamedTuple):
    """A sampled record's keys, the record itself kept in a :class:`SampleSpill`."""

    order: int  # its place in the log stream: its key in the spill
    id: str
    segment: str | None
    conversation_id: str | None
    request_hash: str


class SampleSpill:
    """Records a sample may keep, off the heap: each one's stored JSON (the run store's form,
    ``model_dump_json(exclude_defaults=True)``) in a private temporary SQLite file, so a
    sample of a million records holds their keys in memory, not the records."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)  # "": a temporary file
        self.db.execute("CREATE TABLE spill (ord INTEGER PRIMARY KEY, record TEXT NOT NULL)")
        self._buffer: list[tuple[int, str]] = []

    def add(self, order: int, record: Record) -> Drawn:
        self._buffer.append((order, record.model_dump_json(exclude_defaults=True)))
        if len(self._buffer) >= SPILL_CHUNK:
            self.flush()
        return Drawn(order, record.id, record.segment, record.conversation_id,
                     record.request_hash)

    def flush(self) -> None:
        if self._buffer:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO spill VALUES (?, ?)", self._buffer)
            self._buffer = []

    def texts(self, drawn: Iterable[Drawn]) -> Iterator[tuple[Drawn, str]]:
        """Each drawn record with its stored JSON, in the order given."""
        self.flush()
        items = iter(drawn)
        while chunk := list(itertools.islice(items, SPILL_CHUNK)):
            marks = ",".join("?" * len(chunk))
            found = dict(self.db.execute(f"SELECT ord, record FROM spill WHERE ord IN ({marks})",
                                         [d.order for d in chunk]))
            for d in chunk:
                yield d, found[d.order]

    def close(self) -> None:
        self.db.close()


@dataclass
class Sample:
    """The records to replay, in replay order, and how they were chosen."""

    records: list[Record]  # empty when spilled: then ``drawn`` and ``spill`` hold them
    seen: int = 0
    filtered_out: int = 0
    filtered_by: dict[str, int] = field(default_factory=dict)  # reason -> records, see filtering
    since: datetime | None = None  # the filter's time window, relative bounds resolved
    until: datetime | None = None
    duplicates: int = 0
    available: dict[str, int] = field(default_factory=dict)
    selected: dict[str, int] = field(default_factory=dict)
    drawn: list[Drawn] = field(default_factory=list)
    spill: SampleSpill | None = None

    def __len__(self) -> int:
        return len(self.drawn) if self.spill is not None else len(self.records)


def unit_interval(seed: int, key: str) -> float:
    """A uniform number in [0, 1) derived from ``seed`` and ``key`` alone."""
    digest = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def allocate(counts: dict[str, int], n: int, minimum: int = 0,
             weights: dict[str, float] | None = None) -> dict[str, int]:
    """Split ``n`` across strata in proportion to ``counts`` (largest remainder, capped).

    Each stratum first gets ``min(count, minimum)``; the rest is shared in proportion
    to what each stratum has left (times its weight in ``weights``, 1 when absent), and
    what a full stratum cannot take goes to others.
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
        weighted = {s: r * (weights or {}).get(s, 1.0) for s, r in room.items()}
        total_weight = sum(weighted.values())
        shares = {s: remaining * w / total_weight for s, w in weighted.items()}
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


def sample_log(log: LogConfig, spill: bool = False) -> Sample:
    """The sample every stage draws from a config's log (inspect, plan, replay): its
    filter in force (``log.filter`` with the ``log.sample`` aliases) applied, then sampled."""
    source = log.source()
    keep = filter_for_log(log.selection(), source)
    return draw_sample(read_log(source), log.sample, spill=spill, keep=keep)


def draw_sample(records: Iterable[Record], spec: SampleSpec, spill: bool = False,
                keep: RecordFilter | None = None) -> Sample:
    """Filter, deduplicate, sample and order ``records`` (one pass, bounded memory).

    ``keep`` is the filter to apply; by default the one ``spec``'s alias keys ask for
    (``where``, ``since``, ...). With ``spill`` the records kept go to a
    :class:`SampleSpill` as they are read, and the sample holds only their keys
    (``drawn``); the same records are chosen, in the same order.
    """
    keep = keep or RecordFilter(spec.as_filter())
    seen_hashes: set[int] = set()
    heaps: dict[str, list[tuple[float, int, Any]]] = {}
    store = SampleSpill() if spill else None
    available: Counter[str] = Counter()
    filtered_by: Counter[str] = Counter()
    sample = Sample(records=[], since=keep.since, until=keep.until)
    # Stratified: a segment never gets more than n; unstratified: one heap for all.
    cap = spec.n
    for order, record in enumerate(records):
        sample.seen += 1
        reason = keep.reason(record)
        if reason is not None:
            filtered_by[reason] += 1
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
        if cap is None or len(heap) < cap:
            heapq.heappush(heap, (-priority, order, _keep_as(store, order, record)))
        elif (-priority, order) > heap[0][:2]:
            heapq.heapreplace(heap, (-priority, order, _keep_as(store, order, record)))
    sample.filtered_by = dict(filtered_by.most_common())
    sample.filtered_out = filtered_by.total()
    sample.available = dict(available)
    chosen: list[Any] = _choose(heaps, available, spec)
    sample.selected = dict(Counter(r.segment or NO_SEGMENT for r in chosen))
    if store is None:
        sample.records = _replay_order(chosen, spec.seed)
    else:
        sample.drawn, sample.spill = _replay_order(chosen, spec.seed), store
    return sample


def _keep_as(store: SampleSpill | None, order: int, record: Record) -> Record | Drawn:
    return record if store is None else store.add(order, record)


def _choose(
    heaps: dict[str, list[tuple[float, int, K]]], available: Counter[str], spec: SampleSpec
) -> list[K]:
    def lowest(heap: list[tuple[float, int, K]], k: int) -> list[K]:
        return [r for _, _, r in sorted(heap, key=lambda t: (-t[0], t[1]))[:k]]

    if not spec.stratify:
        heap = heaps.get("", [])
        return lowest(heap, spec.n or len(heap))
    quotas = allocate(dict(available), spec.n or sum(available.values()), spec.min_per_segment)
    chosen: list[K] = []
    for segment, heap in heaps.items():
        chosen.extend(lowest(heap, quotas.get(segment, 0)))
    return chosen


def _replay_order(chosen: list[K], seed: int) -> list[K]:
    """Seeded permutation, stratified by segment: prefixes keep segment proportions."""
    by_segment: dict[str, list[K]] = {}
    for record in chosen:
        by_segment.setdefault(record.segment or NO_SEGMENT, []).append(record)
    keyed: list[tuple[float, float, K]] = []
    for segment, members in by_segment.items():
        members.sort(key=lambda r: unit_interval(seed, "order\x00" + r.request_hash + r.id))
        offset = unit_interval(seed, "offset\x00" + segment)
        size = len(members)
        for j, record in enumerate(members):
            tie = unit_interval(seed, "tie\x00" + record.id)
            keyed.append(((j + offset) / size, tie, record))
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [r for _, _, r in keyed]


def noise_subset(records: Sequence[Keyed], size: int, seed: int,
                 salt: str = "noise") -> set[str]:
    """Request hashes of a seeded, segment-stratified subset for extra baseline samples
    (``salt``: another name draws another subset, e.g. the judge's re-judged records)."""
    by_segment: dict[str, list[tuple[float, str]]] = {}
    for record in records:
        digest = record.request_hash
        by_segment.setdefault(record.segment or NO_SEGMENT, []).append(
            (unit_interval(seed, salt + "\x00" + digest), digest))
    quotas = allocate({s: len(v) for s, v in by_segment.items()}, size)
    chosen: set[str] = set()
    for segment, members in by_segment.items():
        chosen.update(d for _, d in sorted(members)[: quotas.get(segment, 0)])
    return chosen
