"""Two runs of the same log side by side: their gates, and the records whose outcome
changed (matched by the request's hash, so the two samples may be in any order)."""

from __future__ import annotations

from dataclasses import dataclass

from swapkit.decision.model import Decision, GateResult
from swapkit.view.index import RecordIndex, load_index
from swapkit.view.runs import RunReader

__all__ = ["Change", "changed_records", "gate_pairs"]


@dataclass(frozen=True)
class Change:
    """A record whose outcome differs between run A and run B."""

    position_a: int
    position_b: int
    outcome_a: str
    outcome_b: str


def _outcomes(index: RecordIndex) -> list[str]:
    """Per record: the candidate's status and every flag it carries, in words."""
    flags = sorted(index.flags)
    return ["; ".join([f"candidate {index.cand_status[i]}",
                       *(f for f in flags if index.flags[f][i])]) for i in range(len(index))]


def _hashes(reader: RunReader) -> list[str]:
    return [row[0] for row in reader.store.db.execute(
        "SELECT request_hash FROM records ORDER BY position")]


def changed_records(a: RunReader, b: RunReader) -> tuple[list[Change], int]:
    """The records of both runs whose outcome changed (in A's replay order), and how many
    records the runs share. Takes each reader's lock in turn."""
    sides = []
    for reader in (a, b):
        with reader.lock:
            cached = reader.cached("outcomes")
            if cached is None:
                cached = reader.remember("outcomes", dict(zip(
                    _hashes(reader), enumerate(_outcomes(load_index(reader))), strict=True)))
            sides.append(cached)
    in_a, in_b = sides
    shared = [h for h in in_a if h in in_b]
    changes = [Change(in_a[h][0], in_b[h][0], in_a[h][1], in_b[h][1])
               for h in shared if in_a[h][1] != in_b[h][1]]
    changes.sort(key=lambda c: c.position_a)
    return changes, len(shared)


def gate_pairs(a: Decision | None, b: Decision | None
               ) -> list[tuple[str, GateResult | None, GateResult | None]]:
    """Every gate name of either decision with its result in A and in B (None: absent)."""
    gates_a = {g.name: g for g in a.gates} if a else {}
    gates_b = {g.name: g for g in b.gates} if b else {}
    names = list(gates_a) + [n for n in gates_b if n not in gates_a]
    return [(name, gates_a.get(name), gates_b.get(name)) for name in names]
