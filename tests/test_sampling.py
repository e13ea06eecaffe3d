from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from swapkit.config import SampleSpec
from swapkit.ingest.sampling import allocate, draw_sample
from swapkit.records import Record


def make(n: int, segments: dict[str, int]) -> list[Record]:
    out = []
    i = 0
    for segment, count in segments.items():
        for _ in range(count):
            out.append(Record(
                id=f"r{i}", segment=segment, metadata={"tier": "pro" if i % 2 else "free"},
                timestamp=datetime(2026, 11, 1 + i % 20, tzinfo=UTC),
                request={"messages": [{"role": "user", "content": f"question {i}"}]},
            ))
            i += 1
    return out[:n] if n else out


def test_allocate_is_proportional_and_exact() -> None:
    assert allocate({"a": 600, "b": 300, "c": 100}, 100) == {"a": 60, "b": 30, "c": 10}
    assert sum(allocate({"a": 7, "b": 5, "c": 1}, 10).values()) == 10
    assert allocate({"a": 1000, "b": 5}, 100, minimum=10) == {"a": 95, "b": 5}
    assert allocate({"a": 3, "b": 2}, 10) == {"a": 3, "b": 2}
    assert allocate({"a": 90, "b": 10}, 20, minimum=30) == {"a": 18, "b": 2}


def test_sample_is_deterministic_and_order_independent() -> None:
    records = make(0, {"a": 500, "b": 300, "c": 200})
    spec = SampleSpec(n=100, seed=3)
    first = [r.id for r in draw_sample(records, spec).records]
    again = [r.id for r in draw_sample(list(reversed(records)), spec).records]
    assert first == again
    other = [r.id for r in draw_sample(records, SampleSpec(n=100, seed=4)).records]
    assert set(first) != set(other)


def test_sample_is_stratified() -> None:
    sample = draw_sample(make(0, {"a": 500, "b": 300, "c": 200}), SampleSpec(n=100))
    assert sample.selected == {"a": 50, "b": 30, "c": 20}
    assert Counter(r.segment for r in sample.records) == {"a": 50, "b": 30, "c": 20}


def test_replay_order_prefixes_keep_segment_proportions() -> None:
    sample = draw_sample(make(0, {"a": 600, "b": 300, "c": 100}), SampleSpec(n=500, seed=1))
    prefix = Counter(r.segment for r in sample.records[:100])
    assert abs(prefix["a"] - 60) <= 2 and abs(prefix["b"] - 30) <= 2
    assert abs(prefix["c"] - 10) <= 2
    # A permutation, not the log order.
    ids = [int(r.id[1:]) for r in sample.records]
    assert ids != sorted(ids)


def test_dedupe_and_filters() -> None:
    records = make(0, {"a": 10})
    records.append(records[0].model_copy(update={"id": "dup"}))
    sample = draw_sample(records, SampleSpec())
    assert sample.duplicates == 1 and len(sample.records) == 10
    assert len(draw_sample(records, SampleSpec(dedupe=False)).records) == 11
    only_pro = draw_sample(records, SampleSpec(where={"metadata.tier": "pro"}))
    assert all(r.metadata["tier"] == "pro" for r in only_pro.records)
    assert only_pro.filtered_out == 5 + 1  # the duplicate of r0 (free) is filtered first
    dated = draw_sample(records, SampleSpec(since=datetime(2026, 11, 3, tzinfo=UTC),
                                            until=datetime(2026, 11, 5)))
    assert sorted(r.id for r in dated.records) == ["r2", "r3"]
    segs = draw_sample(make(0, {"a": 3, "b": 4}), SampleSpec(segments=["b"]))
    assert {r.segment for r in segs.records} == {"b"}


def test_unstratified_sample_takes_n() -> None:
    sample = draw_sample(make(0, {"a": 50, "b": 50}), SampleSpec(n=10, stratify=False))
    assert len(sample.records) == 10


@pytest.mark.parametrize("n", [1, 7, 99])
def test_sample_size_is_exact(n: int) -> None:
    assert len(draw_sample(make(0, {"a": 40, "b": 30, "c": 30}), SampleSpec(n=n)).records) == n


@pytest.mark.parametrize("spec", [SampleSpec(n=100, seed=3), SampleSpec(), SampleSpec(
    n=50, stratify=False, seed=9), SampleSpec(n=120, min_per_segment=30, dedupe=False)])
def test_a_spilled_sample_is_the_same_sample(spec: SampleSpec) -> None:
    """spill=True keeps the records in a temporary file and their keys in memory: the same
    records, in the same replay order, each stored as the run store writes it."""
    records = make(0, {"a": 500, "b": 300, "c": 200})
    records += [records[7].model_copy(update={"id": "dup"})]  # a duplicate request
    plain = draw_sample(records, spec)
    spilled = draw_sample(records, spec, spill=True)
    assert spilled.records == [] and spilled.spill is not None
    assert len(spilled) == len(plain) == len(plain.records)
    assert [d.id for d in spilled.drawn] == [r.id for r in plain.records]
    assert (spilled.seen, spilled.duplicates, spilled.available, spilled.selected) == (
        plain.seen, plain.duplicates, plain.available, plain.selected)
    texts = [text for _, text in spilled.spill.texts(spilled.drawn)]
    assert texts == [r.model_dump_json(exclude_defaults=True) for r in plain.records]
    assert [d.request_hash for d in spilled.drawn] == [r.request_hash for r in plain.records]
    spilled.spill.close()
