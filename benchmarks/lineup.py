"""A lineup of 5 candidates over 2,000 records against the simulator (its own process).

The same 5 candidates are first run one at a time (`swapkit run`, each a fresh
one-candidate run: the baseline replayed every time), then as one lineup (`swapkit run`
of a config with `candidates:`: the baseline replayed once, shared). Both include scoring
(exact_match), the decision and the reports. Targets: the lineup sends exactly N baseline
requests (counted at the simulator), and its wall time is at most 1.1x the sum of the
single-candidate runs (ratio = lineup wall / that sum).
"""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.replay import simulator, write_log
from benchmarks.rss import run_measured

CANDIDATES = 5
CONCURRENCY = 64
LATENCY_S = 0.05
SUITE = {"gates": [{"metric": "exact_match", "margin": 0.1}]}


def _profiles(folder: Path) -> list[Path]:
    paths = []
    for k, name in enumerate(["lineup-base", *(f"lineup-c{i}" for i in range(CANDIDATES))]):
        path = folder / f"{name}.yaml"
        path.write_text(json.dumps({"name": name, "seed": k, "quality": 0.9, "latency": {
            "median_s": LATENCY_S, "p95_s": LATENCY_S}}))
        paths.append(path)
    return paths


def _target(url: str, model: str, price: float) -> dict[str, Any]:
    return {"base_url": url, "model": model, "concurrency": CONCURRENCY, "stream": False,
            "timeout_s": 60, "price": {"input": price, "output": 2 * price}}


def _config(folder: Path, name: str, url: str, log: Path, **sides: Any) -> Path:
    config = {"name": name, "log": {"path": str(log)}, "noise": {"enabled": False},
              "baseline": _target(url, "lineup-base", 1.0), "suite": SUITE,
              "run_dir": str(folder / name), "report": {"dir": str(folder / f"{name}-report"),
                                                        "formats": ["json"]}, **sides}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(config))
    return path


def _baseline_requests(url: str) -> int:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as response:
        stats = json.loads(response.read())
    return int(stats["models"].get("lineup-base", {}).get("requests", 0))


def run(n: int = 2000) -> list[dict[str, Any]]:
    """One row: the lineup against the sum of its candidates run one at a time."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        command = [sys.executable, "-m", "swapkit", "run", "-q", "--inconclusive", "pass"]
        with simulator(_profiles(folder), log) as url:
            singles = 0.0
            for i in range(CANDIDATES):
                path = _config(folder, f"single{i}", url, log,
                               candidate=_target(url, f"lineup-c{i}", 1.0 / (i + 1)))
                wall, _ = run_measured([*command, str(path)])
                singles += wall
            before = _baseline_requests(url)
            path = _config(folder, "lineup", url, log, candidates={
                f"c{i}": _target(url, f"lineup-c{i}", 1.0 / (i + 1)) for i in range(CANDIDATES)})
            wall, rss = run_measured([*command, str(path)])
            sent = _baseline_requests(url) - before
        if sent != n:
            raise SystemExit(f"the lineup sent {sent} baseline requests, not {n}")
    return [{
        "scenario": f"lineup of {CANDIDATES} candidates (swapkit run: replay at "
                    f"{LATENCY_S * 1000:.0f} ms latency, exact_match, reports)",
        "records": n, "wall_s": wall, "peak_rss_mb": rss,
        "throughput": f"{sent:,} baseline requests (once); {(CANDIDATES + 1) * n:,} requests",
        "reference": f"{CANDIDATES} single-candidate runs {singles:.2f} s; target ≤ 1.1x",
        "ratio": wall / singles,
    }]
