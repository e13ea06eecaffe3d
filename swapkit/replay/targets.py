"""Targets: who answers. An OpenAI-compatible endpoint, or answers recorded in a log."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from swapkit.completion import Completion, cost_usd
from swapkit.config import LogSource, TargetConfig
from swapkit.ingest.formats import read_log
from swapkit.records import Record, RecordedResponse
from swapkit.support.hashing import completion_key, content_hash

__all__ = ["recorded_completions", "target_hash", "target_identity"]


def target_identity(target: TargetConfig) -> dict[str, Any]:
    """What makes a target's outputs what they are: never its key, limits or timeouts."""
    if target.recorded is not False:
        source = "log" if target.recorded is True else str(target.recorded)
        return {"kind": "recorded", "source": source}
    return {"kind": "endpoint", "base_url": (target.base_url or "").rstrip("/"),
            "model": target.model, "params": target.params}


def target_hash(identity: dict[str, Any]) -> str:
    """Short stable name of a target identity."""
    return content_hash(identity)[:16]


class _SecondLog:
    """The answers of a second log, by record id and by request hash (the last one of
    each wins), kept in a private temporary SQLite file: a million answers stay on disk."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect("", isolation_level=None)  # "": a temporary file
        self.db.execute("CREATE TABLE answers (n INTEGER PRIMARY KEY, id TEXT NOT NULL, "
                        "request_hash TEXT NOT NULL, response TEXT NOT NULL)")
        rows = ((n, r.id, r.request_hash, r.response.model_dump_json())
                for n, r in enumerate(read_log(LogSource(path=path))) if r.response is not None)
        with self.db:
            self.db.execute("BEGIN")
            while chunk := list(itertools.islice(rows, 5000)):
                self.db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)", chunk)
        self.db.execute("CREATE INDEX by_id ON answers(id, n)")
        self.db.execute("CREATE INDEX by_hash ON answers(request_hash, n)")

    def get(self, record_id: str, digest: str) -> RecordedResponse | None:
        for column, value in (("id", record_id), ("request_hash", digest)):
            row = self.db.execute(f"SELECT response FROM answers WHERE {column} = ? "
                                  "ORDER BY n DESC LIMIT 1", (value,)).fetchone()
            if row is not None:
                return RecordedResponse.model_validate_json(row[0])
        return None

    def close(self) -> None:
        self.db.close()


def recorded_completions(target: TargetConfig, records: Iterable[Record]) -> Iterator[Completion]:
    """Completions of a recorded target, one per record (sample 0), from the log(s).

    Cost: a ``price`` on the target reprices the recorded usage (the same basis as a priced
    candidate); without one, the cost the log recorded, if any. Either way it was spent in
    the past: the spend cap counts only calls made now (``attempts > 0``).
    """
    identity = target_identity(target)
    name = target_hash(identity)
    second: _SecondLog | None = None
    if isinstance(target.recorded, Path):
        second = _SecondLog(target.recorded)
    try:
        for record in records:
            digest = record.request_hash
            if second is None:
                response = record.response
                missing = "the log has no recorded answer for this record"
            else:
                response = second.get(record.id, digest)
                missing = f"{target.recorded} has no answer for this record (by id or request)"
            fields: dict[str, Any] = response.model_dump() if response is not None else {
                "status": "error", "error": missing}
            if response is not None and target.price is not None:
                priced = cost_usd(response.usage, target.price)
                fields["cost_usd"] = priced if priced is not None else response.cost_usd
            yield Completion.model_validate({
                **fields, "key": completion_key(identity, digest, 0), "target": name,
                "request_hash": digest, "sample": 0, "attempts": 0,
            })
    finally:
        if second is not None:
            second.close()
