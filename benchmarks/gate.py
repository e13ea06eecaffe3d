"""`swapkit gate` over recorded answers at 100,000 and 1,000,000 records: wall and peak RSS.

The log carries the baseline's answers, a second log the candidate's (both ``recorded:``),
so no endpoint is involved: the rows measure what swapkit itself costs at scale. The
suite scores exact_match, rouge_l and output_tokens and gates on exact_match.

- cold: a fresh run directory: `swapkit replay` (sampling the log, importing both sides'
  recorded answers) then `swapkit gate` (scoring, deciding); wall is the sum of the two
  processes, peak the larger of their peaks;
- warm: `swapkit gate` again on the same store (the stored scores are current: deciding only).

Peak RSS is each process's own VmHWM (read at exit from /proc/self/status), not
ru_maxrss (on Linux it carries the parent's RSS across fork+exec). Targets: peak under
1 GB at 100,000 records, under 1.5 GB at 1,000,000; the ratio is peak / target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

TARGET_MB = {100_000: 1000.0, 1_000_000: 1500.0}

# Runs the swapkit CLI in this process and writes the process's own peak (VmHWM, kB) to the
# file named by the first argument when it exits (click exits through SystemExit).
PROBE = r"""
import atexit, runpy, sys
out = sys.argv.pop(1)
def peak():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        f.write(str(kb))
atexit.register(peak)
sys.argv[0] = "swapkit"
runpy.run_module("swapkit", run_name="__main__")
"""

ANSWERS = ("Hotel {i} is a short walk from the old town; breakfast is served from seven "
           "to ten.",
           "Hotel {i} lies near the old town, and breakfast runs from seven until ten.",
           "I am not sure about hotel {i}.")


def write_logs(folder: Path, n: int) -> tuple[Path, Path]:
    """The baseline's log (requests, references, recorded answers) and the candidate's."""
    base, cand = folder / "base.jsonl", folder / "cand.jsonl"
    with base.open("w", encoding="utf-8") as b, cand.open("w", encoding="utf-8") as c:
        for i in range(n):
            request = {"messages": [
                {"role": "system", "content": "You are a helpful travel assistant."},
                {"role": "user", "content": f"Tell me about hotel {i} near the old town "
                                            "and its breakfast."}]}
            reference = ANSWERS[0].format(i=i)
            for handle, text in ((b, reference if i % 10 else ANSWERS[1].format(i=i)),
                                 (c, ANSWERS[i % 3].format(i=i))):
                handle.write(json.dumps({
                    "id": f"r{i}", "segment": f"s{i % 8}", "reference": reference,
                    "request": request, "response": {
                        "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 30, "completion_tokens": len(text) // 4}}},
                    separators=(",", ":")) + "\n")
    return base, cand


def write_config(folder: Path, base: Path, cand: Path) -> Path:
    path = folder / "swap.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bench-gate", "log": {"path": str(base)}, "run_dir": str(folder / "run"),
        "baseline": {"recorded": True}, "candidate": {"recorded": str(cand)},
        "noise": {"enabled": False}, "report": {"dir": str(folder / "report")},
        "suite": {"metrics": ["exact_match", "rouge_l", "output_tokens"],
                  "gates": [{"metric": "exact_match", "margin": 0.5}]}}))
    return path


def swapkit(args: list[str], ok_codes: tuple[int, ...] = (0, 1, 4)) -> tuple[float, float]:
    """Run ``swapkit ARGS``; (wall seconds, the process's own peak RSS in MB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        start = time.perf_counter()
        code = subprocess.run([sys.executable, "-c", PROBE, peak.name, *args],
                              stdout=subprocess.DEVNULL, env=os.environ.copy()).returncode
        wall = time.perf_counter() - start
        if code not in ok_codes:
            raise subprocess.CalledProcessError(code, args)
        return wall, int(Path(peak.name).read_text()) / 1024


def gate(n: int) -> list[dict[str, Any]]:
    """The cold and warm rows at ``n`` records."""
    target = TARGET_MB[n]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = write_config(folder, *write_logs(folder, n))
        replay_s, replay_mb = swapkit(["replay", str(config), "-q"], ok_codes=(0,))
        cold_s, cold_mb = swapkit(["gate", str(config)])
        warm_s, warm_mb = swapkit(["gate", str(config)])
    cold_peak = max(replay_mb, cold_mb)
    size = f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"
    suite = "exact_match + rouge_l + output_tokens"
    return [
        {"scenario": f"gate-{size} cold: `swapkit replay` (import recorded answers) + "
                     f"`swapkit gate` ({suite}), fresh run dir",
         "records": n, "wall_s": replay_s + cold_s, "peak_rss_mb": cold_peak,
         "throughput": f"import {replay_s:.1f} s / {replay_mb:.0f} MB; gate {cold_s:.1f} s / "
                       f"{cold_mb:.0f} MB",
         "reference": f"target: peak RSS < {target:,.0f} MB", "ratio": cold_peak / target},
        {"scenario": f"gate-{size} warm: `swapkit gate` again (scores reused)",
         "records": n, "wall_s": warm_s, "peak_rss_mb": warm_mb,
         "throughput": f"{n / warm_s:,.0f} records/s",
         "reference": f"target: peak RSS < {target:,.0f} MB", "ratio": warm_mb / target},
    ]


def run() -> list[dict[str, Any]]:
    return gate(100_000)


def run_1m() -> list[dict[str, Any]]:
    return gate(1_000_000)


if __name__ == "__main__":
    print(json.dumps(gate(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000), indent=2))
