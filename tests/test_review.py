"""Planned human review: the plan and labels in the run store, the plan's draw, the
design-based estimator of the human_review gate, and the command line."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from swapkit.errors import RuntimeFailure, UsageError
from swapkit.ingest.labels import HumanLabel
from swapkit.store import RunStore
from swapkit.store.reviews import LabelWriter, PlannedRecord, load_plan, read_labels_in, save_plan


def test_labels_are_written_beside_a_writer_holding_the_run(tmp_path: Path) -> None:
    """A reviewer's labels go in while another process holds the run directory (a replay):
    the label writer takes no lock and waits out the other's transactions."""
    with RunStore(tmp_path) as store:
        save_plan(store, {"seed": 0}, [PlannedRecord("r1", 0, 0, "s", 0.5, "BA")])
        with LabelWriter(tmp_path) as writer:  # the store is open for writing meanwhile
            store.db.execute("BEGIN IMMEDIATE")
            done = threading.Event()

            def label() -> None:
                writer.add([HumanLabel(record_id="r1", reviewer="ana", label="A", order="BA")])
                done.set()

            thread = threading.Thread(target=label)
            thread.start()
            assert not done.wait(0.3)  # it waits for the other writer...
            store.db.execute("COMMIT")
            thread.join(5)
            assert done.is_set()  # ...and lands after it
        labels = read_labels_in(store.db)
    assert [(x.record_id, x.reviewer, x.preferred, x.inclusion_probability) for x in labels] \
        == [("r1", "ana", "candidate", 0.5)]
    assert labels[0].time is not None and labels[0].time <= datetime.now(UTC)


def test_a_store_that_predates_reviews_refuses_labels(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        assert load_plan(store.db) == []
        store.db.execute("DROP TABLE review_plan")  # as a store from before reviews
    with pytest.raises(UsageError, match="no review yet"):
        LabelWriter(tmp_path)
    with pytest.raises(RuntimeFailure, match="no run store"):
        LabelWriter(tmp_path / "nowhere")
