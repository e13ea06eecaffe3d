"""`swapkit inspect` on every JSON log format: records/s and memory as the log grows.

Each format's log is made of the lines of its test fixtures that are whole chat calls
(written from the vendor's published schema), repeated until the log holds ``records``
records. Target: at least 50,000 records/s per format (the reference column gives the
time that rate allows; ratio = wall / that time, so ≤ 1.00x meets it), and peak memory
flat in the log's size (the CLI's peak RSS on a log a quarter of the size is shown beside
the full one).
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.rss import run_measured

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures"
TARGET_RATE = 50_000
# format name -> fixture folder (every *.jsonl in it)
FORMATS = {
    "otel": "otel", "langfuse": "langfuse", "langsmith": "langsmith", "litellm": "litellm",
    "helicone": "helicone", "anthropic": "anthropic", "openai-stored": "openai_stored",
}


def whole_calls(log_format: str, folder: Path) -> list[tuple[bytes, int]]:
    """The fixture lines that the reader turns into records with nothing skipped or
    invalid, each with its number of records."""
    from swapkit.config import LogSource
    from swapkit.errors import LogLineError
    from swapkit.ingest.formats import read_log

    kept = []
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                one.write_bytes(line + b"\n")
                stream = read_log(LogSource(one, format=log_format))
                try:
                    count = sum(1 for _ in stream)
                except LogLineError:
                    continue
                if count and not stream.skipped:
                    kept.append((line, count))
    return kept


def write_log(path: Path, lines: list[tuple[bytes, int]], records: int) -> int:
    """Repeat ``lines`` until ``records`` records are written; the number written."""
    written = 0
    with path.open("wb") as handle:
        for line, count in itertools.cycle(lines):
            if written >= records:
                break
            handle.write(line + b"\n")
            written += count
    return written


def run(records: int = 200_000) -> list[dict[str, Any]]:
    """One row per format."""
    from swapkit.config import LogSource
    from swapkit.ingest.inspection import inspect_log

    rows = []
    for log_format, folder in FORMATS.items():
        lines = whole_calls(log_format, FIXTURES / folder)
        if not lines:
            raise SystemExit(f"no whole chat call in the {log_format} fixtures")
        with tempfile.TemporaryDirectory() as tmp:
            small, full = Path(tmp) / "small.jsonl", Path(tmp) / "log.jsonl"
            write_log(small, lines, records // 4)
            total = write_log(full, lines, records)
            start = time.perf_counter()
            stats = inspect_log(LogSource(full, format=log_format))
            wall_s = time.perf_counter() - start
            assert stats.records == total, (log_format, stats.records, total)
            cli = [sys.executable, "-m", "swapkit", "inspect", "--format", log_format, "--json"]
            _, small_mb = run_measured([*cli, str(small)])
            _, peak_mb = run_measured([*cli, str(full)])
            size_mb = full.stat().st_size / 1e6
        allowed_s = total / TARGET_RATE
        rows.append({
            "scenario": f"inspect {log_format} ({len(lines)} fixture calls repeated, "
                        f"{size_mb:,.0f} MB)",
            "records": total,
            "wall_s": wall_s,
            "peak_rss_mb": peak_mb,
            "throughput": f"{total / wall_s:,.0f} rec/s; CLI peak RSS {small_mb:.0f} MB at "
                          f"a quarter of the log",
            "reference": f"target {TARGET_RATE:,} rec/s: {allowed_s:.2f} s",
            "ratio": wall_s / allowed_s,
        })
    return rows
