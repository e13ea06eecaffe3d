"""A large run: the reports build in bounded memory, and the HTML in bounded size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BUILD = r"""
import json, sys, time
from pathlib import Path
from swapkit.config import load_config
from swapkit.replay.engine import ReplayOptions, replay_run
from swapkit.scoring.score import score_run
from swapkit.decision.decide import decide_run
from swapkit.report import build_reports
config = load_config(sys.argv[1])
replay_run(config, ReplayOptions(quiet=True))
score_run(config.run_dir)
decide_run(config.run_dir)
start = time.perf_counter()
written = build_reports(config.run_dir, ["html", "md", "json", "junit"], config.report.dir)
seconds = time.perf_counter() - start
# VmHWM: this process's own peak. ru_maxrss would also count the pytest parent's RSS at
# fork (Linux carries it across exec), which is over 1 GB once the embedding model is loaded.
rss_mb = next(int(line.split()[1]) for line in open("/proc/self/status")
              if line.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb,
                  "sizes": {k: v.stat().st_size for k, v in written.items()}}))
"""


def write_logs(folder: Path, n: int) -> tuple[Path, Path]:
    base, cand = folder / "base.jsonl", folder / "cand.jsonl"
    with base.open("w") as b, cand.open("w") as c:
        for i in range(n):
            request = {"messages": [{"role": "user", "content": f"Where is hotel {i}? " * 3}]}
            for handle, text in ((b, f"Hotel {i} is by the river."),
                                 (c, f"Hotel {i} is by the river." if i % 7 else "Unknown.")):
                handle.write(json.dumps({"id": f"r{i}", "segment": f"s{i % 9}",
                                         "reference": f"Hotel {i} is by the river.",
                                         "request": request, "response": {"choices": [
                                             {"message": {"content": text},
                                              "finish_reason": "stop"}]}}) + "\n")
    return base, cand


@pytest.mark.slow
def test_large_run_report_is_bounded(tmp_path: Path) -> None:
    """20,000 records: the explorer keeps 1,000, the files stay small, memory stays far below
    the 1 GB design target (measured at 100,000 and 1,000,000 records by `python -m
    benchmarks gate` / `gate1m`). The build reads the store a page at a time: ~150 MB here
    on an idle machine; the bound leaves room for a busy one."""
    base, cand = write_logs(tmp_path, 20_000)
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "scale", "log": {"path": str(base)}, "run_dir": str(tmp_path / "run"),
        "baseline": {"recorded": True}, "candidate": {"recorded": str(cand)},
        "noise": {"enabled": False}, "report": {"dir": str(tmp_path / "report")},
        "suite": {"metrics": ["exact_match"], "gates": [{"metric": "exact_match",
                                                          "margin": 0.2}]}}))
    out = subprocess.run([sys.executable, "-c", BUILD, str(config)], capture_output=True,
                         text=True, check=True, timeout=900)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"20k-record run: reports in {result['seconds']:.1f} s, peak RSS "
          f"{result['rss_mb']:.0f} MB, sizes {result['sizes']}")
    assert result["sizes"]["html"] < 15_000_000, result  # the explorer holds 1,000 records
    assert result["rss_mb"] < 600, result
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["records_total"] == 20_000 and report["records_shown"] == 1000
