"""`swapkit inspect` throughput and memory on a large native JSONL log.

Reference, measured in the same process on the same file: a bare loop that only
parses each line with orjson (no validation, no statistics). Peak RSS is measured
by sampling the CLI's whole process tree (workers included), summed.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from benchmarks.rss import run_measured

SEGMENTS = ("itinerary", "visa_faq", "flight_search", "hotel_search", "attribute_extraction")


def write_native_log(path: Path, lines: int) -> None:
    """A swapkit-native log with realistic chat records (system + user, R1-style answer)."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            record = {
                "id": f"r{i}", "segment": SEGMENTS[i % len(SEGMENTS)],
                "request": {"messages": [
                    {"role": "system", "content": "You are AskMe, a travel assistant."},
                    {"role": "user", "content": f"Which hotels near gate {i % 977} of the "
                                                f"airport have a shuttle? (request {i})"}],
                    "temperature": 0.6, "max_tokens": 1024},
                "response": {"answer": "Three hotels run a free shuttle every 20 minutes.",
                             "reasoning": "Look up airport hotels with shuttles.",
                             "usage": {"prompt_tokens": 40, "completion_tokens": 60,
                                       "reasoning_tokens": 20}, "latency_s": 2.5},
            }
            handle.write(json.dumps(record) + "\n")


def run(lines: int = 1_000_000) -> list[dict[str, Any]]:
    """Inspect a generated log of ``lines`` records; return one result row."""
    from swapkit.config import LogSource
    from swapkit.ingest.inspection import inspect_log

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        write_native_log(path, lines)
        start = time.perf_counter()
        with path.open("rb") as handle:
            for line in handle:
                orjson.loads(line)
        reference_s = time.perf_counter() - start

        start = time.perf_counter()
        stats = inspect_log(LogSource(path))
        wall_s = time.perf_counter() - start
        assert stats.records == lines
        cli_s, peak_mb = run_measured(
            [sys.executable, "-m", "swapkit", "inspect", str(path), "--json"])
        size_mb = path.stat().st_size / 1e6
    return [{
        "scenario": f"inspect native JSONL ({size_mb:,.0f} MB)",
        "records": lines,
        "wall_s": wall_s,
        "peak_rss_mb": peak_mb,
        "throughput": f"{lines / wall_s:,.0f} rec/s (CLI incl. start-up {lines / cli_s:,.0f})",
        "reference": f"orjson.loads loop {reference_s:.2f} s",
        "ratio": wall_s / reference_s,
    }]
