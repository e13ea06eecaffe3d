"""Replay throughput against the simulator (in its own process) on loopback.

Scenarios, each measured in this run:
- zero latency, 2 x N requests, concurrency 64: `swapkit replay` against the reference,
  a minimal AsyncOpenAI + semaphore loop (benchmarks/reference_replay.py) on the same
  simulator; both are whole processes (start-up included), peak RSS of the tree summed;
- replay CPU per request, from that same `swapkit replay` process: its user + system CPU
  time (start-up included) over its requests, against a bare aiohttp client + semaphore
  (benchmarks/reference_aiohttp.py) posting the same requests at the same concurrency
  to the same simulator; the simulator's own CPU is not counted;
- 200 ms latency, concurrency 64: `swapkit replay` against the ideal
  requests x latency / concurrency (both targets run at once, each at concurrency 64).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.rss import run_measured

CONCURRENCY = 64


def write_log(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"r{i}", "segment": f"s{i % 4}", "request": {
                "messages": [{"role": "system", "content": "You are a helpful assistant."},
                             {"role": "user", "content": f"Tell me about hotel {i} near the "
                                                         "old town and its breakfast."}]},
                "reference": f"Hotel {i} is a short walk from the old town; breakfast is "
                             "served from seven to ten."}) + "\n")


def write_profiles(folder: Path, latency_s: float) -> list[Path]:
    paths = []
    for name in ("bench-base", "bench-cand"):
        path = folder / f"{name}.yaml"
        latency = {"median_s": latency_s, "p95_s": latency_s} if latency_s else {}
        path.write_text(json.dumps({"name": name, "quality": 0.9, "latency": latency}))
        paths.append(path)
    return paths


@contextmanager
def simulator(profiles: list[Path], log: Path, exit_after_s: float = 900) -> Iterator[str]:
    args = [sys.executable, "-m", "swapkit", "sim", "--port", "0", "--log", str(log),
            "--exit-after", str(exit_after_s)]
    for p in profiles:
        args += ["-p", str(p)]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        yield url
    finally:
        process.terminate()
        process.wait(10)


def write_config(folder: Path, url: str, log: Path, run_dir: Path) -> Path:
    target = {"base_url": url, "concurrency": CONCURRENCY, "stream": False, "timeout_s": 60,
              "price": {"input": 1, "output": 2}}
    config = {"name": "bench", "log": {"path": str(log)}, "noise": {"enabled": False},
              "baseline": {**target, "model": "bench-base"},
              "candidate": {**target, "model": "bench-cand"}, "run_dir": str(run_dir)}
    path = folder / f"swap-{run_dir.name}.yaml"
    path.write_text(json.dumps(config))
    return path


def run_with_cpu(args: list[str]) -> tuple[float, float, float]:
    """``run_measured`` plus the CPU seconds (user + system) of the process and the
    descendants it waited for (the simulator, also our child, is reaped only later)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, rss = run_measured(args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, rss, cpu


def swapkit_replay(config: Path) -> tuple[float, float, float]:
    return run_with_cpu([sys.executable, "-m", "swapkit", "replay", str(config), "-q"])


def run(n: int = 5000, slow_n: int = 5000) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        with simulator(write_profiles(folder, 0.0), log) as url:
            ref_wall, ref_rss = run_measured([
                sys.executable, "-m", "benchmarks.reference_replay", url, str(log),
                "bench-base,bench-cand", str(CONCURRENCY)])
            _, _, bare_cpu = run_with_cpu([
                sys.executable, "-m", "benchmarks.reference_aiohttp", url, str(log),
                "bench-base,bench-cand", str(CONCURRENCY)])
            wall, rss, cpu = swapkit_replay(write_config(folder, url, log, folder / "run0"))
        rows.append({
            "scenario": f"replay, zero latency, concurrency {CONCURRENCY}", "records": 2 * n,
            "wall_s": wall, "peak_rss_mb": rss, "throughput": f"{2 * n / wall:,.0f} req/s",
            "reference": f"AsyncOpenAI+semaphore {ref_wall:.2f} s, {ref_rss:.0f} MB",
            "ratio": wall / ref_wall,
        })
        rows.append({
            "scenario": f"replay CPU per request, zero latency, concurrency {CONCURRENCY}",
            "records": 2 * n, "wall_s": wall, "peak_rss_mb": rss,
            "throughput": f"{1000 * cpu / (2 * n):.3f} ms CPU/req",
            "reference": f"bare aiohttp {1000 * bare_cpu / (2 * n):.3f} ms CPU/req",
            "ratio": cpu / bare_cpu,
        })
        slow_log = folder / "slow.jsonl"
        write_log(slow_log, slow_n)
        with simulator(write_profiles(folder, 0.2), slow_log) as url:
            wall, rss, _ = swapkit_replay(write_config(folder, url, slow_log, folder / "run1"))
        ideal = slow_n * 0.2 / CONCURRENCY
        rows.append({
            "scenario": f"replay, 200 ms latency, concurrency {CONCURRENCY}",
            "records": 2 * slow_n, "wall_s": wall, "peak_rss_mb": rss,
            "throughput": f"{2 * slow_n / wall:,.0f} req/s",
            "reference": f"ideal {ideal:.2f} s", "ratio": wall / ideal,
        })
    return rows
