"""Targets: who answers. An OpenAI-compatible endpoint, or answers recorded in a log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from swapkit.completion import Completion
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


Answers = dict[str, RecordedResponse]


def _index_second_log(path: Path) -> tuple[Answers, Answers]:
    by_id: dict[str, RecordedResponse] = {}
    by_hash: dict[str, RecordedResponse] = {}
    for record in read_log(LogSource(path=path)):
        if record.response is not None:
            by_id[record.id] = record.response
            by_hash[record.request_hash] = record.response
    return by_id, by_hash


def recorded_completions(target: TargetConfig, records: Iterable[Record]) -> Iterator[Completion]:
    """Completions of a recorded target, one per record (sample 0), from the log(s)."""
    identity = target_identity(target)
    name = target_hash(identity)
    second: tuple[Answers, Answers] | None = None
    if isinstance(target.recorded, Path):
        second = _index_second_log(target.recorded)
    for record in records:
        digest = record.request_hash
        if second is None:
            response = record.response
            missing = "the log has no recorded answer for this record"
        else:
            response = second[0].get(record.id) or second[1].get(digest)
            missing = f"{target.recorded} has no answer for this record (by id or request)"
        fields = response.model_dump() if response is not None else {
            "status": "error", "error": missing}
        yield Completion.model_validate({
            **fields, "key": completion_key(identity, digest, 0), "target": name,
            "request_hash": digest, "sample": 0, "attempts": 0,
        })
