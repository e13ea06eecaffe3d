"""The run store (SQLite, one file per run directory)."""

from swapkit.store.run_store import DB_NAME, RunStore, StoredTarget

__all__ = ["DB_NAME", "RunStore", "StoredTarget"]
