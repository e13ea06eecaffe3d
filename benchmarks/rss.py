"""Peak resident memory of a command and all its descendants, sampled from /proc."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def _tree_rss_kb(root: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        pid = int(entry.name)
        children.setdefault(ppid, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(args: list[str], interval_s: float = 0.05,
                 ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Run ``args``; return (wall seconds, peak MB of the process tree's summed RSS)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, env=os.environ.copy())
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(interval_s)
    wall = time.perf_counter() - start
    if process.returncode not in ok_codes:
        raise subprocess.CalledProcessError(process.returncode, args)
    return wall, peak / 1024
