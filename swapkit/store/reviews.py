"""A run's human review in its store: the plan and people's labels.

The plan (``review_plan`` table, with its settings in the ``review_plan`` meta key) lists
the records people judge, each with its stratum, its inclusion probability and the order
its two answers are shown in (``AB``: the baseline's answer is A). Labels (``labels``
table) are kept one row per judgement, reviewer by reviewer; combining them is the
reader's job (:func:`swapkit.ingest.labels.combine_labels`).

Labels are written through :class:`LabelWriter`: its own short connection that writes
only the labels table, in WAL mode with a busy timeout, without the run directory's lock,
so a reviewer can label while a replay or a scoring pass writes the same store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from swapkit.completion import Completion
from swapkit.errors import RuntimeFailure, UsageError
from swapkit.ingest.labels import HumanLabel, read_labels
from swapkit.store.run_store import BUSY_TIMEOUT_S, DB_NAME, RunStore
from swapkit.support.hashing import content_hash

__all__ = ["PLAN_META", "LabelWriter", "PlannedRecord", "ReviewData", "answers_digest",
           "has_review_tables",
           "import_labels", "load_plan", "load_review", "read_labels_in", "review_digest",
           "save_plan"]

PLAN_META = "review_plan"
Shown = Literal["AB", "BA"]


@dataclass(frozen=True)
class PlannedRecord:
    """One record of the review plan."""

    record_id: str
    position: int  # the record's place in the run
    rank: int  # the order the viewer walks the plan in (0 first)
    stratum: str
    inclusion_probability: float
    shown: Shown  # AB: the baseline's answer is shown as A


@dataclass
class ReviewData:
    """A run's review as the scoring reads it: the plan's settings and records, and every
    label (an empty plan and no labels when the run has no review)."""

    settings: dict[str, Any]
    planned: list[PlannedRecord]
    labels: list[HumanLabel]


def has_review_tables(db: sqlite3.Connection) -> bool:
    """Whether the store has the review tables (a store no newer swapkit has opened for
    writing has not)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                      "'review_plan'").fetchone() is not None


def save_plan(store: RunStore, settings: dict[str, Any], rows: Iterable[PlannedRecord]) -> None:
    """Replace the run's plan (labels already given are kept: a record drawn again keeps
    them; one no longer drawn keeps them too, outside the plan)."""
    with store.db:
        store.db.execute("BEGIN IMMEDIATE")
        store.db.execute("DELETE FROM review_plan")
        store.db.executemany(
            "INSERT INTO review_plan VALUES (?, ?, ?, ?, ?, ?)",
            [(r.record_id, r.position, r.rank, r.stratum, r.inclusion_probability, r.shown)
             for r in rows])
    store.set_meta(PLAN_META, settings)


def load_plan(db: sqlite3.Connection) -> list[PlannedRecord]:
    """The plan's records in walking order (empty: no plan)."""
    if not has_review_tables(db):
        return []
    rows = db.execute("SELECT record_id, position, rank, stratum, inclusion_probability, "
                      "shown FROM review_plan ORDER BY rank").fetchall()
    return [PlannedRecord(r[0], int(r[1]), int(r[2]), r[3], float(r[4]), r[5]) for r in rows]


def read_labels_in(db: sqlite3.Connection) -> list[HumanLabel]:
    """Every label in the store, oldest first, each with its record's inclusion probability
    in the plan (None for a record outside the plan)."""
    if not has_review_tables(db):
        return []
    probability = dict(db.execute("SELECT record_id, inclusion_probability FROM review_plan"))
    rows = db.execute("SELECT record_id, reviewer, label, shown, time, note, answers FROM "
                      "labels ORDER BY id").fetchall()
    return [HumanLabel(record_id=r[0], reviewer=r[1], label=r[2], order=r[3],
                       time=datetime.fromisoformat(r[4]), note=r[5],
                       inclusion_probability=probability.get(r[0]), answers=r[6])
            for r in rows]


def answers_digest(baseline: Completion | None, candidate: Completion | None) -> str | None:
    """What a reviewer saw of a record's two answers, as a short digest (None while either
    is missing: such a record cannot be labelled). A label whose digest differs from the
    stored answers' was given to other answers (the run replayed another target since)."""
    if baseline is None or candidate is None:
        return None
    return content_hash([[c.answer, c.reasoning, [[t.name, t.arguments] for t in c.tool_calls]]
                         for c in (baseline, candidate)])[:32]


class LabelWriter:
    """Adds labels to a run's store, beside whatever else writes it. Use as a context
    manager."""

    def __init__(self, run_dir: Path) -> None:
        path = Path(run_dir) / DB_NAME
        if not path.is_file():
            raise RuntimeFailure(f"{path}: no run store here", hint="give a run directory")
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_S,
                                      check_same_thread=False)
            ready = has_review_tables(self.db)
        except sqlite3.Error as err:
            raise RuntimeFailure(f"{path}: cannot open the run store to write labels ({err})",
                                 hint="check that the run directory is writable") from None
        if not ready:
            self.db.close()
            raise UsageError(f"{run_dir}: this run has no review yet",
                             hint="run `swapkit review plan RUN` first")

    def add(self, labels: Iterable[HumanLabel]) -> int:
        """Store ``labels`` (the time now where one has none); how many were stored."""
        now = datetime.now(UTC).isoformat()
        rows = [(x.record_id, x.reviewer, x.label, x.order,
                 x.time.isoformat() if x.time is not None else now, x.note, x.answers)
                for x in labels]
        try:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT INTO labels (record_id, reviewer, label, shown, "
                                    "time, note, answers) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as err:
            raise RuntimeFailure(f"cannot store the labels ({err})",
                                 hint="check that the run directory is writable and the "
                                 "disk has space") from None
        return len(rows)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> LabelWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_review(store: RunStore) -> ReviewData:
    """The run's review plan and labels."""
    return ReviewData(store.get_meta(PLAN_META) or {}, load_plan(store.db),
                      read_labels_in(store.db))


def review_digest(store: RunStore) -> str:
    """What the review holds now (the plan drawn, the labels given): a change makes the
    scores that read it stale."""
    labels = (0, 0)
    if has_review_tables(store.db):
        labels = store.db.execute("SELECT count(*), coalesce(max(id), 0) FROM labels").fetchone()
    plan = store.get_meta(PLAN_META) or {}
    return f"{plan.get('created')}|{labels[0]}|{labels[1]}"


def import_labels(run_dir: Path, path: Path) -> tuple[int, int, int]:
    """Add a labels file's labels to the run: (added, already there, naming records outside
    the plan). Labels naming records
    the run does not have, or giving a planned record another inclusion probability than
    the plan's, are refused (UsageError naming them) and nothing is added."""
    labels = read_labels(path)
    with RunStore(run_dir, read_only=True) as store:
        known = {row[0] for row in store.db.execute("SELECT id FROM records")}
        plan = {p.record_id: p.inclusion_probability for p in load_plan(store.db)}
        stored = {_key(x) for x in read_labels_in(store.db)}
    unknown = sorted({x.record_id for x in labels} - known)
    if unknown:
        raise UsageError(f"{path}: {len(unknown)} labelled records are not in this run "
                         f"({', '.join(unknown[:5])})", hint="labels name records by their "
                         "id in the run; is this the run they were given for?")
    for x in labels:
        if x.inclusion_probability is not None and plan.get(x.record_id) not in (
                None, x.inclusion_probability):
            raise UsageError(f"{path}: record {x.record_id} has inclusion probability "
                             f"{x.inclusion_probability} in the file and "
                             f"{plan[x.record_id]} in the run's plan",
                             hint="the labels come from another plan: plan again with the "
                             "same seed, or import them into the run they were given in")
    fresh = [x for x in labels if _key(x) not in stored]
    with LabelWriter(run_dir) as writer:
        writer.add(fresh)
    return (len(fresh), len(labels) - len(fresh),
            sum(1 for x in fresh if x.record_id not in plan))


def _key(label: HumanLabel) -> tuple[Any, ...]:
    time = None if label.time is None else label.time.isoformat()
    return (label.record_id, label.reviewer, label.label, label.order, time, label.note,
            label.answers)
