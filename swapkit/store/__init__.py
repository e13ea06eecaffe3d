"""The run store: one SQLite file per run directory, holding the config, the sample, every
completion, embedding, score and decision, with append-only migrations (``run_store``,
``migrations``), paged views of its rows (``sequence``) and finding a run from a folder or
config (``runs``).

Every stage from replay on reads and writes it. May import the vocabulary and support.
"""

from swapkit.store.run_store import DB_NAME, RunStore, StoredTarget

__all__ = ["DB_NAME", "RunStore", "StoredTarget"]
