"""Reading the same chat log as JSON Lines and as JSON documents (arrays, list pages).

One row per shape: records read per second by one process (``read_log`` to the end:
scan, parse, validate), and the peak RSS of ``swapkit inspect`` on the file. Reference:
the same records as JSON Lines, read the same way. The target: at least 50,000 records/s
for every shape, memory flat in the log's size.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from benchmarks.rss import run_measured


def _entries(lines: int) -> Iterator[dict[str, Any]]:
    """openai-chat entries like a travel assistant's (system + user, tool-free answer)."""
    for i in range(lines):
        yield {"id": f"r{i}", "route": ("faq", "search")[i % 2], "request": {
            "model": "gpt-4o-mini", "temperature": 0.2, "messages": [
                {"role": "system", "content": "You are AskMe, a travel assistant."},
                {"role": "user", "content": f"Which hotels near gate {i % 977} have a "
                                            f"shuttle? (request {i})"}]},
            "response": {"object": "chat.completion", "created": 1_738_960_610 + i,
                         "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {
                             "role": "assistant", "content": "Three hotels run a free "
                             "shuttle every 20 minutes."}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 40, "completion_tokens": 12}}}


def _jsonl(out: TextIO, lines: int) -> None:
    for entry in _entries(lines):
        out.write(json.dumps(entry) + "\n")


def _array(out: TextIO, lines: int) -> None:
    out.write("[")
    for i, entry in enumerate(_entries(lines)):
        out.write(("," if i else "") + json.dumps(entry))
    out.write("]")


def _pretty(out: TextIO, lines: int) -> None:
    out.write("[\n")
    for i, entry in enumerate(_entries(lines)):
        out.write((",\n" if i else "") + json.dumps(entry, indent=2))
    out.write("\n]\n")


def _pages(out: TextIO, lines: int) -> None:
    page: list[dict[str, Any]] = []
    for entry in _entries(lines):
        page.append(entry)
        if len(page) == 100:
            out.write(json.dumps({"object": "list", "data": page, "has_more": True}) + "\n")
            page = []
    if page:
        out.write(json.dumps({"object": "list", "data": page, "has_more": False}) + "\n")


SHAPES: dict[str, Callable[[TextIO, int], None]] = {
    "JSON Lines": _jsonl, "one-line array": _array, "pretty-printed array": _pretty,
    "list pages, one a line": _pages,
}


def _read_rate(path: Path) -> tuple[int, float]:
    from swapkit.config import LogSource
    from swapkit.ingest.formats import read_log

    start = time.perf_counter()
    count = sum(1 for _ in read_log(LogSource(path=path, format="openai-chat")))
    return count, time.perf_counter() - start


def run(lines: int = 200_000) -> list[dict[str, Any]]:
    """One row per shape of the same ``lines`` records."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        reference_s = 0.0
        for shape, write in SHAPES.items():
            path = Path(tmp) / "log.json"
            with path.open("w", encoding="utf-8") as out:
                write(out, lines)
            count, wall_s = _read_rate(path)
            assert count == lines, (shape, count)
            reference_s = reference_s or wall_s
            _, peak_mb = run_measured([sys.executable, "-m", "swapkit", "inspect", str(path),
                                       "--format", "openai-chat", "--json"])
            rows.append({
                "scenario": f"read openai-chat as {shape} ({path.stat().st_size / 1e6:,.0f} MB)",
                "records": lines, "wall_s": wall_s, "peak_rss_mb": peak_mb,
                "throughput": f"{lines / wall_s:,.0f} rec/s, one process; target >= 50,000",
                "reference": f"the same records as JSON Lines: {reference_s:.2f} s",
                "ratio": wall_s / reference_s,
            })
    return rows
