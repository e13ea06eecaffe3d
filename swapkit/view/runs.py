"""Finding the runs under a folder and reading each one read-only while it may be written.

A :class:`RunReader` holds one read-only connection per run (SQLite ``mode=ro``: a replay
writing in WAL mode is never blocked, and nothing is written through it; a review label
goes through the store's own label writer, see :mod:`swapkit.view.review`). ``PRAGMA
data_version`` tells when another process has committed since the last look, so what is
derived from the store (the record index) is rebuilt only then.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from swapkit.decision.model import SCHEMA_VERSION, Decision
from swapkit.errors import RuntimeFailure, UsageError
from swapkit.store import DB_NAME, RunStore

__all__ = ["RunReader", "RunSummary", "find_runs", "unreadable"]

SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages"})


def find_runs(root: Path, marker: str = DB_NAME) -> dict[str, Path]:
    """Every run directory at or under ``root`` (a folder holding ``marker``: the run store,
    or a lineup's ``lineup.json``), keyed by its path relative to ``root`` ("." for ``root``
    itself); hidden folders and package folders are not searched."""
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder", hint="give a run directory or a folder of runs")
    found: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        if marker in files:
            found[Path(folder).relative_to(root).as_posix()] = Path(folder)
    return found


@dataclass
class RunSummary:
    """One line of the runs list."""

    key: str
    name: str
    updated: str  # the store's last write, UTC
    baseline: str
    candidate: str
    verdict: str  # GO, NO-GO, INCONCLUSIVE, or "not decided"
    records: int
    cost_usd: float | None
    problem: str | None = None  # why the store could not be read


class RunReader:
    """One run store opened read-only; every read goes through :meth:`reading`."""

    def __init__(self, key: str, run_dir: Path) -> None:
        self.key, self.run_dir = key, run_dir
        self.store = RunStore(run_dir, read_only=True)
        self.lock = threading.Lock()  # one connection, shared by the server's threads
        self._cache: dict[str, Any] = {}
        self._version: int | None = None

    def close(self) -> None:
        """Close the connection."""
        self.store.close()

    def cached(self, name: str) -> Any:
        """What was derived under ``name`` since the store last changed (None: nothing).
        Call with :attr:`lock` held."""
        version = int(self.store.db.execute("PRAGMA data_version").fetchone()[0])
        if version != self._version:
            self._cache.clear()
            self._version = version
        return self._cache.get(name)

    def remember(self, name: str, value: Any) -> Any:
        """Keep ``value`` until the store changes; returns it."""
        self._cache[name] = value
        return value

    def decision(self) -> Decision | None:
        """The stored decision (None until the run is decided)."""
        stored = self.store.get_meta("decision")
        if stored is None:
            return None
        hint = f"decide the run again: swapkit gate {self.run_dir}"
        version = stored.get("schema_version") if isinstance(stored, dict) else None
        if version != SCHEMA_VERSION:  # schema 1 stored lower-is-better sides oriented
            raise RuntimeFailure(f"{self.run_dir}: the stored decision has schema {version}, "
                                 f"this swapkit reads {SCHEMA_VERSION}", hint=hint)
        try:
            return Decision.model_validate(stored)
        except ValidationError:
            raise RuntimeFailure(f"{self.run_dir}: the stored decision does not validate with "
                                 "this swapkit", hint=hint) from None

    def summary(self) -> RunSummary:
        """The run's line in the runs list."""
        with self.lock:
            config = self.store.get_meta("config") or {}
            targets = self.store.targets()
            decision = self.decision()
            cost: float | None
            if decision is not None and decision.operations:
                costs = [o.cost_total for o in decision.operations if o.cost_total is not None]
                cost = sum(costs) if costs else None
            else:
                row = self.store.db.execute("SELECT SUM(cost_usd) FROM completions").fetchone()
                cost = None if row[0] is None else float(row[0])
            return RunSummary(
                key=self.key, name=str(config.get("name") or self.run_dir.name),
                updated=_updated(self.run_dir), verdict=decision.verdict if decision else
                "not decided",
                baseline=targets["baseline"].label if "baseline" in targets else "?",
                candidate=targets["candidate"].label if "candidate" in targets else "?",
                records=self.store.record_count(), cost_usd=cost)


def _updated(run_dir: Path) -> str:
    """When the store was last written (the database or its write-ahead log)."""
    times = []
    for path in (run_dir / DB_NAME, run_dir / f"{DB_NAME}-wal"):
        with contextlib.suppress(OSError):  # no log yet, or the run was just removed
            times.append(path.stat().st_mtime)
    if not times:
        return ""
    return datetime.fromtimestamp(max(times), UTC).strftime("%Y-%m-%d %H:%M")


def unreadable(key: str, run_dir: Path, err: RuntimeFailure) -> RunSummary:
    """The runs-list line of a store that cannot be opened: it says why."""
    return RunSummary(key=key, name=run_dir.name, updated="", baseline="?", candidate="?",
                      verdict="unreadable", records=0, cost_usd=None, problem=str(err))
