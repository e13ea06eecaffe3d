"""A run's records filtered, sorted and paged on the server.

The index holds a few numbers per record (segment, statuses, the report's regression score
and one mask per flag), never the texts: a page of a million-record run reads only its own
rows. Search runs in SQLite over the stored record and both answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import numpy as np

from swapkit.completion import Completion
from swapkit.decision.model import Decision, GateResult
from swapkit.records import Record
from swapkit.report.assemble import (
    blocking_scores,
    counts_against,
    failed_gate_flag,
    regression_scores,
)
from swapkit.scoring.metrics.base import MetricScores, RunData
from swapkit.scoring.score import load_run_data, load_scores
from swapkit.store.sequence import StoredSequence
from swapkit.view.runs import RunReader

__all__ = ["PAGE_SIZE", "SORTS", "Query", "RecordIndex", "load_index", "page_data"]

PAGE_SIZE = 50
SORTS = {"regression": "largest score drops first", "failures": "candidate failures first",
         "position": "replay order"}
MISSING = "(none)"  # the segment or status of a record that has none
_SEARCH = (
    "SELECT r.position FROM records r "
    "LEFT JOIN completions b ON b.target = ? AND b.request_hash = r.request_hash "
    "AND b.sample = 0 "
    "LEFT JOIN completions c ON c.target = ? AND c.request_hash = r.request_hash "
    "AND c.sample = 0 "
    "WHERE instr(lower(r.record), ?) OR instr(lower(b.answer), ?) OR instr(lower(c.answer), ?)")
# CROSS JOIN makes SQLite look the page's records up first, then each one's answer by
# index (left to itself it may walk every answer of the target).
_KEYS = ("SELECT r.position, c.key FROM records r CROSS JOIN completions c ON c.target = ? "
         "AND c.request_hash = r.request_hash AND c.sample = 0 WHERE r.position IN ({})")
T = TypeVar("T")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Query:
    """A filter state: what the records page's URL says."""

    q: str = ""
    segment: str = ""
    status: str = ""
    flag: str = ""
    sort: str = "regression"
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> Query:
        """From URL parameters; anything unknown falls back to the default."""
        sort = params.get("sort", "regression")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        return cls(q=params.get("q", "").strip()[:200], segment=params.get("segment", ""),
                   status=params.get("status", ""), flag=params.get("flag", ""),
                   sort=sort if sort in SORTS else "regression", page=page)

    def params(self, **changes: Any) -> dict[str, str]:
        """The URL parameters of this state (defaults left out), with ``changes``."""
        values = {"q": self.q, "segment": self.segment, "status": self.status,
                  "flag": self.flag, "sort": self.sort, "page": str(self.page), **changes}
        defaults = {"sort": "regression", "page": "1"}
        return {k: str(v) for k, v in values.items() if v and str(v) != defaults.get(k)}


@dataclass
class RecordIndex:
    """Per record, in replay order: what filters and sorts need."""

    segments: np.ndarray  # str
    cand_status: np.ndarray  # str
    base_status: np.ndarray  # str
    regression: np.ndarray  # float
    blocking: np.ndarray  # float: the drops on the gates that block the verdict
    failed: list[GateResult]  # the decision's NO-GO gates
    flags: dict[str, np.ndarray]  # flag → bool mask
    targets: tuple[str, str]  # the baseline's and candidate's target identities
    scores: dict[str, MetricScores]

    def __len__(self) -> int:
        return len(self.segments)

    def select(self, query: Query, found: set[int] | None) -> np.ndarray:
        """Positions matching ``query`` (``found``: the search's matches), in its order."""
        keep = np.ones(len(self), dtype=bool)
        if query.segment:
            keep &= self.segments == query.segment
        if query.status:
            keep &= self.cand_status == query.status
        if query.flag:
            keep &= self.flags.get(query.flag, np.zeros(len(self), dtype=bool))
        if found is not None:
            hits = np.zeros(len(self), dtype=bool)
            hits[[i for i in found if 0 <= i < len(self)]] = True
            keep &= hits
        positions = np.flatnonzero(keep)
        if query.sort == "position":
            return positions
        keys = [-self.regression[positions]]  # np.lexsort: the last key sorts first
        if query.sort == "failures":
            keys.append(np.where(self.cand_status[positions] == "ok", 1, 0))
        return positions[np.lexsort(keys)]

    def search(self, reader: RunReader, text: str) -> set[int]:
        """Positions whose record or either answer contains ``text`` (ASCII case folded,
        as SQLite folds it). Call with the reader's lock held."""
        needle = text.translate(_ASCII_LOWER)
        return {row[0] for row in reader.store.db.execute(
            _SEARCH, (*self.targets, needle, needle, needle))}


def _flag_masks(data: RunData, scores: dict[str, MetricScores], divergent: set[str],
                base_status: np.ndarray, cand_status: np.ndarray, failed: list[GateResult]
                ) -> dict[str, np.ndarray]:
    """The report's record flags (see ``swapkit.report.assemble``) as one mask per flag."""
    masks: dict[str, np.ndarray] = {}
    named: dict[str, np.ndarray] = {}  # metric -> the records a failed gate flags already
    ids = data.record_field("id")
    segments = data.record_field("segment")
    for gate in failed:
        s = scores.get(gate.metric)
        if s is None:
            continue
        mask = np.array([gate.segment in (None, segments[i] or "(none)") and counts_against(
            gate, s, i, ids[i] in divergent) for i in range(len(data))], dtype=bool)
        masks[failed_gate_flag(gate)] = mask
        named[gate.metric] = named.get(gate.metric, np.zeros(len(data), dtype=bool)) | mask
    if divergent:
        masks["divergent"] = np.isin(np.array(ids, dtype=object), list(divergent))
    for side, statuses in (("candidate", cand_status), ("baseline", base_status)):
        for status in sorted(set(statuses.tolist()) - {"ok", MISSING}):
            masks[f"{side} {status}"] = statuses == status
    for name, s in scores.items():
        if s.kind != "binary":
            continue
        with np.errstate(invalid="ignore"):
            worse = s.cand < s.base if s.higher_is_better else s.cand > s.base
        mask = worse & ~np.isnan(s.base) & ~np.isnan(s.cand)
        if name in named:  # the failed gate's flag names these records already
            mask &= ~named[name]
        if mask.any():
            masks[f"regressed: {name}"] = mask
    return {k: v for k, v in masks.items() if v.any()}


def load_index(reader: RunReader) -> RecordIndex:
    """The run's record index, rebuilt only when the store has changed since the last one.
    Call with the reader's lock held."""
    cached = reader.cached("index")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    stored = load_run_data(reader.store)
    # Each status column is read once (the regression scores read it again otherwise).
    data = RunData(stored.records, _ColumnsOnce(stored.base), _ColumnsOnce(stored.cand),
                   stored.noise, stored.base_label, stored.cand_label)
    # Scores of an earlier sample (a replay going on) no longer line up: left out.
    scores = {k: s for k, s in load_scores(reader.store).items() if len(s.base) == len(data)}
    decision = reader.decision()
    divergent = set(decision.noise.divergent_ids) if decision is not None else set()
    segments = np.array([MISSING if s is None else str(s) for s in data.record_field("segment")],
                        dtype=object)
    base_status = np.array([MISSING if s is None else s for s in data.statuses("baseline")],
                           dtype=object)
    cand_status = np.array([MISSING if s is None else s for s in data.statuses("candidate")],
                           dtype=object)
    targets = reader.store.targets()
    failed = [g for g in decision.gates if g.status == "NO-GO"] if decision is not None else []
    index = RecordIndex(
        segments=segments, cand_status=cand_status, base_status=base_status,
        regression=regression_scores(data, scores), blocking=_blocking(data, scores, decision),
        failed=failed, scores=scores,
        flags=_flag_masks(data, scores, divergent, base_status, cand_status, failed),
        targets=(targets["baseline"].target, targets["candidate"].target))
    return reader.remember("index", index)  # type: ignore[no-any-return]


def _blocking(data: RunData, scores: dict[str, MetricScores], decision: Decision | None
              ) -> np.ndarray:
    """The report's per-record drops on the blocking gates (zeros before a decision)."""
    if decision is None:
        return np.zeros(len(data))
    return blocking_scores(data, scores, decision)


class _ColumnsOnce(Sequence[T]):
    """A stored sequence whose columns are read once (rows still come from it)."""

    def __init__(self, rows: Sequence[T]) -> None:
        assert isinstance(rows, StoredSequence)  # what load_run_data reads from a store
        self._rows: StoredSequence[T] = rows
        self._columns: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self._rows[index]

    def column(self, name: str) -> list[Any]:
        """One stored column of every row, read the first time it is asked for."""
        if name not in self._columns:
            self._columns[name] = self._rows.column(name)
        return self._columns[name]


class _Sparse(Sequence[T]):
    """A run-long sequence that holds only the rows of one page (what ``_row`` reads)."""

    def __init__(self, length: int, rows: dict[int, T]) -> None:
        self._length, self._rows = length, rows

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        return self._rows[index]


def page_data(reader: RunReader, index: RecordIndex, positions: list[int]) -> RunData:
    """The records at ``positions`` with both sides' answers, read by position (a page of a
    million-record run reads its own rows, not the pages around them). Call with the
    reader's lock held."""
    db, marks = reader.store.db, ",".join("?" * len(positions))
    records = {pos: Record.model_validate_json(text) for pos, text in db.execute(
        f"SELECT position, record FROM records WHERE position IN ({marks})", positions)}
    sides: list[dict[int, Completion | None]] = []
    for target in index.targets:
        found: dict[int, Completion | None] = dict.fromkeys(positions)
        for pos, key in db.execute(_KEYS.format(marks), (target, *positions)).fetchall():
            found[pos] = reader.store.get_completion(key)
        sides.append(found)
    n = len(index)
    return RunData(_Sparse(n, records), _Sparse(n, sides[0]), _Sparse(n, sides[1]), [])
