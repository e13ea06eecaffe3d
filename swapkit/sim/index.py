"""What the simulator knows about prompts: references and recorded answers from logs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from swapkit.config import LogSource
from swapkit.ingest.formats import read_log
from swapkit.records import Record
from swapkit.replay.judge import render_conversation
from swapkit.sim.answers import Source
from swapkit.support.hashing import content_hash

__all__ = ["SimIndex", "prompt_key"]


def prompt_key(messages: Any) -> str:
    """How the simulator recognises a prompt: the hash of its messages alone.

    Target-level parameters (temperature, extra_body, model) change the request the
    replay sends, not the prompt, so they must not hide the record from the simulator.
    """
    return content_hash(messages)


class SimIndex:
    """prompt key → what the answer should resemble, and the prompt's segment."""

    def __init__(self) -> None:
        self._sources: dict[str, Source] = {}
        # The conversation as a judge prompt shows it → the same Source (for judge requests).
        self._by_conversation: dict[str, Source] = {}

    def __len__(self) -> int:
        return len(self._sources)

    def add(self, record: Record) -> None:
        """Learn one record: its reference (preferred) or recorded answer, tool calls, segment."""
        reference = record.reference
        text: str | None = None
        tool_calls: list[dict[str, Any]] = []
        if isinstance(reference, dict) and isinstance(reference.get("tool_calls"), list):
            tool_calls = [_call(c) for c in reference["tool_calls"] if isinstance(c, dict)]
        elif isinstance(reference, str) and reference.strip():
            text = reference
        response = record.response
        if response is not None:
            if text is None and response.answer:
                text = response.answer
            if not tool_calls and response.tool_calls:
                tool_calls = [{"name": c.name, "arguments": c.arguments}
                              for c in response.tool_calls]
        source = Source(text, tool_calls, record.segment)
        self._sources[prompt_key(record.messages)] = source
        self._by_conversation[content_hash(render_conversation(record.messages))] = source

    def add_records(self, records: Iterable[Record]) -> None:
        """Learn many records."""
        for record in records:
            self.add(record)

    def add_log(self, path: Path, segment_field: str | None = None) -> None:
        """Learn every record of a log (any format swapkit reads, sniffed)."""
        self.add_records(read_log(LogSource(path=path, segment_field=segment_field,
                                             skip_invalid=True)))

    def get(self, key: str) -> Source:
        """What is known about a prompt (an empty Source when nothing is)."""
        return self._sources.get(key) or Source()

    def by_conversation(self, rendered: str) -> Source:
        """What is known about a prompt, from its conversation as a judge prompt shows it."""
        return self._by_conversation.get(content_hash(rendered)) or Source()


def _call(call: dict[str, Any]) -> dict[str, Any]:
    inner = call.get("function")
    function: dict[str, Any] = inner if isinstance(inner, dict) else call
    arguments = function.get("arguments", {})
    return {"name": function.get("name"), "arguments": arguments}
