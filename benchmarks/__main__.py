"""Run the benchmarks and print (or write) the results table.

    python -m benchmarks                 # every scenario, table on stdout
    python -m benchmarks inspect --lines 200000
    python -m benchmarks formats         # inspect on every JSON log format, 200,000 records each
    python -m benchmarks json            # JSON Lines vs arrays and list pages, same records
    python -m benchmarks default encoder # e2e-default and the encoder rows only
    python -m benchmarks calibration     # the decision's error rates (Monte Carlo)
    python -m benchmarks calibration --kind judge --write  # only the judge gate's cells
    python -m benchmarks gate            # `swapkit gate`, 100,000 recorded records
    python -m benchmarks lineup          # 5 candidates in one run vs one at a time
    python -m benchmarks gate1m          # the same at 1,000,000 (about 15 minutes)
    python -m benchmarks ray             # local vs Ray: run at 20,000 records, embeddings
    python -m benchmarks ray1m           # local vs Ray end to end at 1,000,000 records
    python -m benchmarks --write         # also rewrite benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    calibration,
    e2e,
    e2e_default,
    gate,
    inspect_formats,
    inspect_log,
    json_documents,
    lineup,
    ray_scale,
    replay,
    scoring,
)

SCENARIOS: dict[str, Callable[[argparse.Namespace], list[dict[str, Any]]]] = {
    "inspect": lambda args: inspect_log.run(args.lines),
    "formats": lambda args: inspect_formats.run(args.format_records),
    "json": lambda args: json_documents.run(args.json_lines),
    "replay": lambda args: replay.run(args.replay_n, args.replay_slow_n),
    "scoring": lambda args: scoring.run(args.embed_pairs, args.stats_records),
    "e2e": lambda args: e2e.run(),
    "encoder": lambda args: scoring.embed_rows(args.embed_pairs)[0],
    "default": lambda args: e2e_default.run(args.default_n),
    "gate": lambda args: gate.run(),
    "lineup": lambda args: lineup.run(args.lineup_n),
    "gate1m": lambda args: gate.run_1m(),  # ~14 minutes on 2 cores
    "ray": lambda args: ray_scale.run(),
    "ray1m": lambda args: ray_scale.run_1m(),
}
ON_REQUEST = {"encoder"}  # run only when named: the first half of "scoring"
RESULTS = Path(__file__).parent / "RESULTS.md"
METHODOLOGY = Path(__file__).parent.parent / "docs" / "methodology.md"


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


def _merged(new_table: str) -> str:
    """The stored table with the rows of ``new_table`` in place of those of the same
    scenario (new scenarios at the end)."""
    stored = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    block = re.search(r"<!-- BEGIN performance -->(.*?)<!-- END performance -->", stored,
                      re.DOTALL)
    lines = [line for line in (block.group(1) if block else "").splitlines()
             if line.startswith("| ")][1:]  # without the header
    head, *new_rows = new_table.splitlines()
    fresh = {row.split(" | ")[0]: row for row in new_rows[1:]}
    merged = [fresh.pop(line.split(" | ")[0], line) for line in lines]
    return "\n".join([head, new_rows[0], *merged, *fresh.values()])


def _replace(path: Path, name: str, body: str) -> None:
    """Rewrite the block between <!-- BEGIN name --> and <!-- END name --> (append if none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"<!-- BEGIN {name} -->\n{body.rstrip()}\n<!-- END {name} -->"
    pattern = re.compile(rf"<!-- BEGIN {name} -->.*?<!-- END {name} -->", re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + block + "\n")
    path.write_text(text, encoding="utf-8")


def _merged_calibration(cells: list[calibration.Cell], note: str) -> str:
    """The stored calibration section with the rows of ``cells`` in place of those of the
    same cell (new cells at the end of the table) and ``note`` under it, in place of an
    earlier note on the same kinds."""
    stored = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    block = re.search(r"<!-- BEGIN calibration -->\n(.*?)<!-- END calibration -->", stored,
                      re.DOTALL)
    lines = (block.group(1) if block else "").rstrip().splitlines()

    def key(row: str) -> str:
        return " | ".join(row.split(" | ")[:4])

    fresh = {key(row): row for row in calibration.table(cells).splitlines()[2:]}
    kept = [fresh.pop(key(line), line) if line.startswith("| ") else line for line in lines
            if not line.startswith(note.split(":")[0])]
    rows = [i for i, line in enumerate(kept) if line.startswith("| ")]
    at = rows[-1] + 1 if rows else len(kept)
    return "\n".join([*kept[:at], *fresh.values(), *kept[at:], "", note])


def run_calibration(args: argparse.Namespace) -> bool:
    """The calibration cells; prints (and with --write stores) the table. True: calibrated."""
    cells, broken = calibration.run(args.reps, args.workers, kind=args.kind)
    verdict = ("every cell and every pooled kind within the bar" if not broken else
               "BROKEN: " + "; ".join(broken))
    text = (f"Machine: {machine()}\nDate: {datetime.now(UTC):%Y-%m-%d}; "
            f"{args.reps:,} replications a cell; α = {calibration.ALPHA}; bar: each cell ≤ α + 3 "
            f"MC SE, each kind pooled ≤ α + 2 pooled SE (SE at α). Result: {verdict}.\n\n"
            f"{calibration.table(cells)}\n")
    print(text)
    if args.write and args.kind:  # a subset: its rows replace theirs, the others stay
        _replace(RESULTS, "calibration", _merged_calibration(cells, (
            f"Rows of the kinds naming \"{args.kind}\": `python -m benchmarks calibration "
            f"--kind {args.kind} --write`, {datetime.now(UTC):%Y-%m-%d}, {args.reps:,} "
            f"replications a cell, {machine()}. Result: {verdict}.")))
    elif args.write:
        _replace(RESULTS, "calibration", "## Calibration of the decision\n\n"
                 "`python -m benchmarks calibration --write` (Monte Carlo over `decide()`).\n\n"
                 + text)
        _replace(METHODOLOGY, "calibration-summary", calibration.summary(cells, broken, args.reps))
    return not broken


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("scenarios", nargs="*", choices=[*SCENARIOS, "calibration", []],
                        default=[])
    parser.add_argument("--lines", type=int, default=1_000_000, help="records for inspect")
    parser.add_argument("--format-records", type=int, default=200_000,
                        help="records per format for formats")
    parser.add_argument("--json-lines", type=int, default=200_000,
                        help="records for json (each shape of the same log)")
    parser.add_argument("--replay-n", type=int, default=5000, help="records per target, "
                        "zero-latency replay")
    parser.add_argument("--replay-slow-n", type=int, default=5000, help="records per target, "
                        "200 ms replay")
    parser.add_argument("--lineup-n", type=int, default=2000,
                        help="records of the lineup scenario (5 candidates)")
    parser.add_argument("--default-n", type=int, default=e2e_default.N,
                        help="records of the e2e-default scenario")
    parser.add_argument("--embed-pairs", type=int, default=2000, help="pairs to embed")
    parser.add_argument("--stats-records", type=int, default=100_000,
                        help="records for the statistics timing")
    parser.add_argument("--reps", type=int, default=2000,
                        help="calibration: replications a cell")
    parser.add_argument("--workers", type=int, default=2, help="calibration: processes")
    parser.add_argument("--kind", default=None, help="calibration: only the cells of the "
                        "kinds whose name holds this (e.g. judge); with --write their rows "
                        "replace theirs")
    parser.add_argument("--write", action="store_true", help="rewrite benchmarks/RESULTS.md")
    args = parser.parse_args()
    chosen = args.scenarios or [*(s for s in SCENARIOS if s not in ON_REQUEST), "calibration"]
    rows: list[dict[str, Any]] = []
    for name in chosen:
        if name in SCENARIOS:
            rows.extend(SCENARIOS[name](args))
    if rows:
        text = (f"Machine: {machine()}\nDate: {datetime.now(UTC):%Y-%m-%d}\n\n{table(rows)}\n")
        print(text)
        if args.write:
            if args.scenarios:  # a subset: its rows replace theirs, the others stay
                text = text.replace(table(rows), _merged(table(rows)))
            _replace(RESULTS, "performance", "# swapkit benchmark results\n\nRegenerate with "
                     "`make bench` (`python -m benchmarks --write`; naming scenarios rewrites "
                     "their rows only).\n\n" + text)
    if "calibration" in chosen and not run_calibration(args):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
