"""Run the benchmarks and print (or write) the results table.

    python -m benchmarks                 # every scenario, table on stdout
    python -m benchmarks inspect --lines 200000
    python -m benchmarks --write         # also rewrite benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import e2e, inspect_log, replay, scoring

SCENARIOS: dict[str, Callable[[argparse.Namespace], list[dict[str, Any]]]] = {
    "inspect": lambda args: inspect_log.run(args.lines),
    "replay": lambda args: replay.run(args.replay_n, args.replay_slow_n),
    "scoring": lambda args: scoring.run(args.embed_pairs, args.stats_records),
    "e2e": lambda args: e2e.run(),
}
RESULTS = Path(__file__).parent / "RESULTS.md"


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.processor() or platform.machine()}, {cpus} cores, {memory_gb:.0f} GiB, "
            f"Python {platform.python_version()}")


def table(rows: list[dict[str, Any]]) -> str:
    head = "| scenario | records | wall s | peak RSS MB | throughput | reference | ratio |"
    lines = [head, "|---|---:|---:|---:|---|---|---:|"]
    for r in rows:
        lines.append(f"| {r['scenario']} | {r['records']:,} | {r['wall_s']:.2f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['throughput']} | {r['reference']} | "
                     f"{r['ratio']:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, []], default=[])
    parser.add_argument("--lines", type=int, default=1_000_000, help="records for inspect")
    parser.add_argument("--replay-n", type=int, default=5000, help="records per target, "
                        "zero-latency replay")
    parser.add_argument("--replay-slow-n", type=int, default=5000, help="records per target, "
                        "200 ms replay")
    parser.add_argument("--embed-pairs", type=int, default=2000, help="pairs to embed")
    parser.add_argument("--stats-records", type=int, default=100_000,
                        help="records for the statistics timing")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for name in args.scenarios or list(SCENARIOS):
        rows.extend(SCENARIOS[name](args))
    text = (f"Machine: {machine()}\nDate: {datetime.now(UTC):%Y-%m-%d}\n\n{table(rows)}\n")
    print(text)
    if args.write:
        RESULTS.write_text("# swapkit benchmark results\n\nRegenerate with "
                           "`make bench` (`python -m benchmarks --write`).\n\n" + text,
                           encoding="utf-8")


if __name__ == "__main__":
    main()
