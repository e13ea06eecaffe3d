"""Crafted runs for metric and decision tests (no store, no HTTP)."""

from __future__ import annotations

from typing import Any

from swapkit.completion import Completion
from swapkit.records import Record, ToolCall
from swapkit.scoring.metrics import RunData


def record(i: int, prompt: str = "What is the capital of France?", reference: Any = None,
           segment: str | None = None, **request: Any) -> Record:
    return Record(id=f"r{i}", request={"messages": [{"role": "user", "content": prompt}],
                                       **request},
                  reference=reference, segment=segment)


def answer(text: str = "", status: str = "ok", tools: list[tuple[str, str]] | None = None,
           latency: float | None = 1.0, cost: float | None = 0.001, **extra: Any) -> Completion:
    return Completion(key="k", target="t", request_hash="h", answer=text, status=status,
                      tool_calls=[ToolCall(name=n, arguments=a) for n, a in tools or []],
                      latency_s=latency, cost_usd=cost, **extra)


def run(records: list[Record], base: list[Completion | None], cand: list[Completion | None],
        noise: list[Completion | None] | None = None, embedder: Any = None) -> RunData:
    data = RunData(records, base, cand, noise or [None] * len(records))
    data.embedder = embedder
    return data
