"""Append-only schema migrations of the run store: one function each, never edited.

A ``_swapkit_migrations`` table records which have run; a new schema change is a new
``@migration`` function at the end of this file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MIGRATIONS", "migrate"]

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []
migration = MIGRATIONS.append


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    """Run metadata, the sampled records, the targets and their completions."""
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE records (
            position INTEGER PRIMARY KEY,
            id TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            segment TEXT,
            conversation_id TEXT,
            noise INTEGER NOT NULL DEFAULT 0,
            record TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX records_by_hash ON records(request_hash)")
    db.execute(
        """CREATE TABLE targets (
            side TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            identity TEXT NOT NULL,
            label TEXT NOT NULL,
            simulated INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute(
        """CREATE TABLE completions (
            key TEXT PRIMARY KEY,
            target TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            sample INTEGER NOT NULL,
            status TEXT NOT NULL,
            http_status INTEGER,
            error TEXT,
            answer TEXT NOT NULL,
            reasoning TEXT,
            tool_calls TEXT NOT NULL,
            finish_reason TEXT,
            truncated_in_reasoning INTEGER NOT NULL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            reasoning_tokens INTEGER,
            cached_tokens INTEGER,
            latency_s REAL,
            ttft_s REAL,
            ttfa_s REAL,
            cost_usd REAL,
            attempts INTEGER NOT NULL,
            request_id TEXT,
            model TEXT,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX completions_by_target ON completions(target, request_hash, sample)")


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations that have not run yet; return their names."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _swapkit_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM _swapkit_migrations")}
    applied = []
    for step in MIGRATIONS:
        if step.__name__ in done:
            continue
        with db:  # one transaction per migration
            # IMMEDIATE takes the write lock first (waiting out the busy timeout), and the
            # check below runs under it: a second connection opening the same new store
            # at once (the embedding prefetch beside the replay) finds the step done.
            db.execute("BEGIN IMMEDIATE")
            if db.execute("SELECT 1 FROM _swapkit_migrations WHERE name = ?",
                          (step.__name__,)).fetchone():
                continue
            step(db)
            db.execute("INSERT INTO _swapkit_migrations VALUES (?, ?)",
                       (step.__name__, datetime.now(UTC).isoformat()))
        applied.append(step.__name__)
    return applied


@migration
def m002_scoring(db: sqlite3.Connection) -> None:
    """Cached embedding vectors, per-metric score arrays, and decisions."""
    db.execute(
        """CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (model, text_hash)
        )"""
    )
    db.execute(
        """CREATE TABLE scores (
            metric TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            scores TEXT NOT NULL
        )"""
    )


@migration
def m003_reviews(db: sqlite3.Connection) -> None:
    """The review plan (records people judge blind, their inclusion probability and the order
    their answers are shown in) and people's labels, kept apart per reviewer."""
    db.execute(
        """CREATE TABLE review_plan (
            record_id TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            stratum TEXT NOT NULL,
            inclusion_probability REAL NOT NULL,
            shown TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            record_id TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            label TEXT NOT NULL,
            shown TEXT,
            time TEXT NOT NULL,
            note TEXT
        )"""
    )
    db.execute("CREATE INDEX labels_by_record ON labels(record_id)")


@migration
def m004_label_answers(db: sqlite3.Connection) -> None:
    """A digest of the two answers a label was given to: a label of answers since replaced
    (another target replayed into the run) no longer counts."""
    db.execute("ALTER TABLE labels ADD COLUMN answers TEXT")
