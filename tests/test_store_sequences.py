"""The run store's paged views: the same records and completions as loading them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from swapkit.completion import Completion
from swapkit.records import Record, Usage
from swapkit.store import RunStore
from swapkit.store import sequence as sequence_module


def _record(i: int) -> Record:
    return Record(id=f"r{i}", segment=f"s{i % 3}", conversation_id=f"c{i % 5}" if i % 2 else None,
                  request={"messages": [{"role": "user", "content": f"question {i}"}]},
                  reference=f"answer {i}")


def test_stored_sequences_page_through_records_and_completions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sequence_module, "PAGE", 7)  # many pages, a partial last one
    records = [_record(i) for i in range(50)]
    with RunStore(tmp_path) as store:
        assert store.save_sample(records, noise={records[3].request_hash}) == 50
        stored = [Completion(key=f"k{i}", target="t", request_hash=r.request_hash,
                             answer=f"a{i}", usage=Usage(completion_tokens=i),
                             status="ok" if i % 4 else "timeout")
                  for i, r in enumerate(records) if i % 6]
        store.put_completions(iter(stored))
        seq = store.record_sequence()
        assert len(seq) == 50 and list(seq) == records
        assert seq[-1] == records[-1] and seq[10:13] == records[10:13]
        assert seq[20] is seq[20]  # one object per index while its page is held
        with pytest.raises(IndexError):
            seq[50]
        assert seq.column("segment") == [r.segment for r in records]
        assert seq.column("conversation_id") == [r.conversation_id for r in records]
        base = store.completion_sequence("t", 0)
        by_hash = {c.request_hash: c for c in stored}
        expected = [by_hash.get(r.request_hash) for r in records]
        assert [c.key if c else None for c in base] == [c.key if c else None for c in expected]
        assert [base[i] for i in (49, 0, 25, 6)] == [expected[i] for i in (49, 0, 25, 6)]
        assert base.column("status") == [c.status if c else None for c in expected]
        assert list(store.completion_sequence("t", 1)) == [None] * 50
