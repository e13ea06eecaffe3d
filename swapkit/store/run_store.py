"""The run store: one SQLite database per run directory (WAL).

A killed run loses nothing that was committed; a rerun skips what is done. The replay
stages its completions and commits them in batches (:meth:`RunStore.stage_completion`,
:meth:`RunStore.flush`): a commit per completion cost about as much CPU as the HTTP call
itself. A completion staged but not yet committed when the process dies is simply asked
for again by the next run. One process at a time holds a run directory (an ``flock`` on
``run.lock``). API keys are never written here: targets are stored by identity (URL,
model, parameters).
"""

from __future__ import annotations

import fcntl
import itertools
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from swapkit.completion import Completion, status_needs_retry
from swapkit.errors import RuntimeFailure
from swapkit.records import Record, ToolCall, Usage
from swapkit.store.migrations import migrate
from swapkit.store.sequence import PAGE, StoredSequence

__all__ = ["DB_NAME", "RunStore", "StoredTarget"]

DB_NAME = "swapkit.sqlite"
LOCK_NAME = "run.lock"
BUSY_TIMEOUT_S = 10.0
COMMIT_ROWS = 256  # staged completions committed together at the latest

_COMPLETION_COLUMNS = (
    "key", "target", "request_hash", "sample", "status", "http_status", "error", "answer",
    "reasoning", "tool_calls", "finish_reason", "truncated_in_reasoning", "prompt_tokens",
    "completion_tokens", "reasoning_tokens", "cached_tokens", "latency_s", "ttft_s", "ttfa_s",
    "cost_usd", "attempts", "request_id", "model", "created_at",
)
_INSERT = (f"INSERT OR REPLACE INTO completions ({', '.join(_COMPLETION_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COMPLETION_COLUMNS))})")
# The sample's completions of one (target, sample), by replay position (NULLs: none stored).
_BY_POSITION = (f"SELECT {', '.join('c.' + name for name in _COMPLETION_COLUMNS)} FROM records r "
                "LEFT JOIN completions c ON c.target = ? AND c.request_hash = r.request_hash "
                "AND c.sample = ? WHERE r.position >= ? AND r.position < ? ORDER BY r.position")
CHUNK = 5000  # rows written per executemany batch


def _set_wal(db: sqlite3.Connection) -> None:
    """Switch a new store to WAL. The switch needs the database to itself and SQLite does
    not wait for it (no busy handler), so a second connection opening the same new store at
    once (the embedding prefetch beside the replay) retries for up to the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class StoredTarget:
    """A side of the comparison as stored: its identity hash and display label."""

    def __init__(self, side: str, target: str, identity: dict[str, Any], label: str,
                 simulated: bool) -> None:
        self.side, self.target, self.identity = side, target, identity
        self.label, self.simulated = label, simulated


class RunStore:
    """Access to one run's database. Use as a context manager."""

    def __init__(self, run_dir: Path, *, lock: bool = True, read_only: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self._lock_fd: int | None = None
        self._staged: list[tuple[Any, ...]] = []  # completion rows not yet committed
        if read_only:
            self._open_read_only()
            return
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise RuntimeFailure(
                f"{self.run_dir}: cannot create the run directory ({err})",
                hint="choose a writable run_dir (swap.yaml or --run-dir)",
            ) from None
        if lock:
            self._lock()
        try:
            self.db = sqlite3.connect(self.run_dir / DB_NAME, isolation_level=None,
                                      check_same_thread=False, timeout=BUSY_TIMEOUT_S)
            _set_wal(self.db)
            self.db.execute("PRAGMA synchronous=NORMAL")
            migrate(self.db)
        except (sqlite3.Error, OSError) as err:
            self._unlock()
            raise RuntimeFailure(f"{self.run_dir / DB_NAME}: cannot open the run store ({err})",
                                 hint="check that the directory is writable and the disk has "
                                 "space") from None

    def _open_read_only(self) -> None:
        """Open for reading only: reports on a finished run whose folder is read-only."""
        path = self.run_dir / DB_NAME
        if not path.is_file():
            raise RuntimeFailure(f"{path}: no run store here", hint="give a run directory")
        # A folder that cannot be written cannot hold WAL's shared-memory file either: open
        # the database as immutable there (a finished run does not change).
        flags = "mode=ro" if os.access(self.run_dir, os.W_OK) else "immutable=1"
        try:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True,
                                      isolation_level=None, check_same_thread=False)
            self.db.execute("SELECT 1 FROM meta LIMIT 1")
        except sqlite3.Error as err:
            raise RuntimeFailure(f"{path}: cannot read the run store ({err})") from None

    def _lock(self) -> None:
        path = self.run_dir / LOCK_NAME
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise RuntimeFailure(f"{path}: cannot create the lock file ({err})",
                                 hint="choose a writable run_dir") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeFailure(
                f"{self.run_dir}: another swapkit process is using this run directory",
                hint="wait for it to finish, or use another --run-dir",
            ) from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        """Commit what is staged, close the database and release the run directory."""
        try:
            self.flush()
        finally:
            self.db.close()
            self._unlock()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-able value under ``key``."""
        with self._writing():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            (key, orjson.dumps(value).decode()))

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else orjson.loads(row[0])

    # -- records and targets --------------------------------------------------------

    def save_sample(self, records: Iterable[Record], noise: set[str]) -> int:
        """Replace the run's sample (in replay order); completions are kept."""
        rows = ((i, r.id, h, r.segment, r.conversation_id, int(h in noise),
                 r.model_dump_json(exclude_defaults=True))
                for i, (r, h) in enumerate((r, r.request_hash) for r in records))
        count = 0
        with self._writing(), self.db:  # one transaction, written a chunk at a time
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM records")
            while chunk := list(itertools.islice(rows, CHUNK)):
                self.db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
                count += len(chunk)
        return count

    def save_sample_rows(self, rows: Iterable[tuple[str, str, str | None, str | None, str]],
                         noise: set[str]) -> int:
        """:meth:`save_sample` from stored forms: (id, request hash, segment, conversation
        id, the record's JSON as :meth:`save_sample` writes it) in replay order."""
        numbered = ((i, rid, h, segment, conversation, int(h in noise), text)
                    for i, (rid, h, segment, conversation, text) in enumerate(rows))
        count = 0
        with self._writing(), self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM records")
            while chunk := list(itertools.islice(numbered, CHUNK)):
                self.db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
                count += len(chunk)
        return count

    def records(self) -> Iterator[tuple[Record, bool]]:
        """The sampled records in replay order, each with its noise-subset flag."""
        for record_json, noise in self.db.execute(
                "SELECT record, noise FROM records ORDER BY position"):
            yield Record.model_validate_json(record_json), bool(noise)

    def request_hashes(self) -> Iterator[str]:
        """The records' request hashes in replay order, read a page at a time (no
        statement stays open between pages: the caller may write meanwhile)."""
        start = 0
        while rows := self.db.execute(
                "SELECT request_hash FROM records WHERE position >= ? AND position < ? "
                "ORDER BY position", (start, start + PAGE)).fetchall():
            yield from (row[0] for row in rows)
            start += PAGE

    def record_sequence(self) -> StoredSequence[Record]:
        """The sampled records in replay order, read from the store a page at a time."""
        def fetch(start: int, stop: int) -> list[Any]:
            return [row[0] for row in self.db.execute(
                "SELECT record FROM records WHERE position >= ? AND position < ? "
                "ORDER BY position", (start, stop))]

        def column(name: str) -> list[Any]:
            if name not in ("id", "segment", "conversation_id", "request_hash"):
                raise ValueError(name)
            return [row[0] for row in self.db.execute(
                f"SELECT {name} FROM records ORDER BY position")]

        return StoredSequence(self.record_count(), fetch, Record.model_validate_json, column)

    def completion_sequence(self, target: str, sample: int) -> StoredSequence[Completion | None]:
        """``target``'s completions (of ``sample``) aligned with the sample's replay order
        (None where none is stored), read from the store a page at a time."""
        def fetch(start: int, stop: int) -> list[Any]:
            return self.db.execute(_BY_POSITION, (target, sample, start, stop)).fetchall()

        def parse(row: tuple[Any, ...]) -> Completion | None:
            if row[0] is None:
                return None
            return _completion(dict(zip(_COMPLETION_COLUMNS, row, strict=True)))

        def column(name: str) -> list[Any]:
            if name not in ("status",):
                raise ValueError(name)
            return [row[0] for row in self.db.execute(
                f"SELECT c.{name} FROM records r LEFT JOIN completions c ON c.target = ? "
                "AND c.request_hash = r.request_hash AND c.sample = ? ORDER BY r.position",
                (target, sample))]

        return StoredSequence(self.record_count(), fetch, parse, column)

    def record_count(self) -> int:
        """How many records the current sample holds."""
        return int(self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def save_target(self, target: StoredTarget) -> None:
        """Remember which identity plays ``side`` (baseline or candidate)."""
        with self._writing():
            self._save_target(target)

    def _save_target(self, target: StoredTarget) -> None:
        self.db.execute("INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?, ?)", (
            target.side, target.target, orjson.dumps(target.identity).decode(),
            target.label, int(target.simulated)))

    def targets(self) -> dict[str, StoredTarget]:
        """The stored sides."""
        return {side: StoredTarget(side, target, orjson.loads(identity), label, bool(sim))
                for side, target, identity, label, sim in self.db.execute(
                    "SELECT side, target, identity, label, simulated FROM targets")}

    # -- completions ----------------------------------------------------------------

    def put_completion(self, c: Completion) -> None:
        """Insert or replace one completion; committed (with anything staged) when this
        returns."""
        self.stage_completion(c)
        self.flush()

    def put_completions(self, completions: Iterable[Completion]) -> None:
        """Insert or replace many completions in one transaction (recorded targets)."""
        self.flush()
        with self._writing(), self.db:
            self.db.execute("BEGIN")
            rows = (_row(c) for c in completions)
            while chunk := list(itertools.islice(rows, CHUNK)):
                self.db.executemany(_INSERT, chunk)

    def stage_completion(self, c: Completion) -> None:
        """Queue one completion for the next commit: :meth:`flush`, or this call once
        ``COMMIT_ROWS`` are staged. Reading completions, or closing the store, commits
        first. Until then a crash loses it, and the next run asks for it again."""
        self._staged.append(_row(c))
        if len(self._staged) >= COMMIT_ROWS:
            self.flush()

    @property
    def staged(self) -> int:
        """How many completions wait for a commit."""
        return len(self._staged)

    def flush(self) -> None:
        """Commit the staged completions in one transaction. If that fails (disk full),
        they are dropped, as if the process had died: a rerun asks for them again."""
        if not self._staged:
            return
        rows, self._staged = self._staged, []
        with self._writing(), self.db:
            self.db.execute("BEGIN")
            self.db.executemany(_INSERT, rows)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn SQLite write failures (disk full, read-only) into a clear runtime error."""
        try:
            yield
        except sqlite3.OperationalError as err:
            raise RuntimeFailure(
                f"{self.run_dir / DB_NAME}: cannot write to the run store ({err})",
                hint="free disk space or fix the folder's permissions; everything committed "
                "before this is kept, and a rerun resumes from it") from None

    def completions(self, target: str | None = None) -> Iterator[Completion]:
        """Stored completions (of one target identity, if given)."""
        self.flush()
        query = f"SELECT {', '.join(_COMPLETION_COLUMNS)} FROM completions"
        args: tuple[Any, ...] = ()
        if target is not None:
            query += " WHERE target = ?"
            args = (target,)
        for row in self.db.execute(query, args):
            yield _completion(dict(zip(_COMPLETION_COLUMNS, row, strict=True)))

    def settled_keys(self, target: str) -> set[str]:
        """Keys of the target's stored completions that a rerun does not send again
        (everything but infrastructure failures), read without parsing completions."""
        self.flush()
        return {key for key, status, http_status in self.db.execute(
            "SELECT key, status, http_status FROM completions WHERE target = ?", (target,))
            if not status_needs_retry(status, http_status)}

    def noise_positions(self) -> list[int]:
        """Replay positions of the records in the noise subset."""
        return [int(row[0]) for row in self.db.execute(
            "SELECT position FROM records WHERE noise = 1 ORDER BY position")]

    def get_completion(self, key: str) -> Completion | None:
        """One completion by key."""
        self.flush()
        row = self.db.execute(
            f"SELECT {', '.join(_COMPLETION_COLUMNS)} FROM completions WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else _completion(dict(zip(_COMPLETION_COLUMNS, row,
                                                              strict=True)))

    # -- embeddings and scores -----------------------------------------------------

    def cached_vectors(self, model: str, hashes: list[str]) -> dict[str, tuple[bytes, bool]]:
        """Stored vectors (raw float32 bytes) and truncation flags of these text hashes."""
        found: dict[str, tuple[bytes, bool]] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for text_hash, vector, truncated in self.db.execute(
                    f"SELECT text_hash, vector, truncated FROM embeddings WHERE model = ? "
                    f"AND text_hash IN ({marks})", (model, *chunk)):
                found[text_hash] = (vector, bool(truncated))
        return found

    def put_vectors(self, model: str, rows: list[tuple[str, bytes, bool]]) -> None:
        """Cache vectors (one transaction)."""
        with self._writing(), self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [(model, h, v, int(t)) for h, v, t in rows])

    def save_scores(self, rows: list[tuple[str, str, str]]) -> None:
        """Replace all stored metric scores: (metric, spec JSON, scores JSON) rows."""
        with self._writing(), self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM scores")
            self.db.executemany("INSERT INTO scores VALUES (?, ?, ?)", rows)

    def load_scores(self) -> list[tuple[str, str, str]]:
        """The stored (metric, spec JSON, scores JSON) rows."""
        return list(self.db.execute("SELECT metric, spec, scores FROM scores"))

    def completions_version(self) -> list[Any]:
        """Changes whenever a completion is added or replaced (count, latest write)."""
        self.flush()
        row = self.db.execute("SELECT COUNT(*), MAX(created_at) FROM completions").fetchone()
        return [row[0], row[1]]

    def spent_usd(self) -> float:
        """What this run's calls have cost: recorded answers (``attempts = 0``) carry the
        cost of calls made before the run, which no spend cap should count."""
        self.flush()
        return float(self.db.execute(
            "SELECT COALESCE(SUM(cost_usd), 0) FROM completions WHERE attempts > 0"
        ).fetchone()[0])


def _row(c: Completion) -> tuple[Any, ...]:
    usage = c.usage or Usage()
    return (
        c.key, c.target, c.request_hash, c.sample, c.status, c.http_status, c.error,
        c.answer, c.reasoning, orjson.dumps([t.model_dump() for t in c.tool_calls]).decode(),
        c.finish_reason, int(c.truncated_in_reasoning), usage.prompt_tokens,
        usage.completion_tokens, usage.reasoning_tokens, usage.cached_tokens, c.latency_s,
        c.ttft_s, c.ttfa_s, c.cost_usd, c.attempts, c.request_id, c.model,
        datetime.now(UTC).isoformat(),
    )


def _completion(row: dict[str, Any]) -> Completion:
    usage = Usage(prompt_tokens=row.pop("prompt_tokens"),
                  completion_tokens=row.pop("completion_tokens"),
                  reasoning_tokens=row.pop("reasoning_tokens"),
                  cached_tokens=row.pop("cached_tokens"))
    row.pop("created_at")
    row["tool_calls"] = [ToolCall.model_validate(t) for t in orjson.loads(row["tool_calls"])]
    row["truncated_in_reasoning"] = bool(row["truncated_in_reasoning"])
    has_usage = any(v is not None for v in usage.model_dump().values())
    return Completion.model_validate({**row, "usage": usage if has_usage else None})
