"""swapkit on Ray (`executor: ray`) against the local executor, on this machine.

- e2e: `swapkit run` (replay against the simulator in its own process, exact_match suite,
  decision, JSON report) of N simulated records, once with the local executor and once
  with `--ray` (a local Ray instance the run starts, its CPUs all of this machine's).
  Wall time and the driver's own peak RSS (VmHWM of the `swapkit` process, not of Ray's
  workers). Targets: peak under 1.5 GB at 1,000,000 records (ratio = peak / 1.5 GB; the
  Ray row's ratio is its wall time over the local executor's).
- embeddings: 20,000 distinct answers of about 60 words through Ray Data with 1 and with
  2 encoder actors (1 CPU each) on a local Ray instance of 2 CPUs; texts/s and the scaling
  ratio (2 actors' wall / 1 actor's; 0.5 would be perfect). The GPU row (torch on CUDA)
  runs only where torch sees a GPU; elsewhere it says "not measured".
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.gate import swapkit
from benchmarks.replay import simulator, write_log, write_profiles

TARGET_MB = 1500.0
SUITE = {"metrics": ["exact_match"], "gates": [{"metric": "exact_match", "margin": 0.5}]}
WORDS = ["hotel", "breakfast", "museum", "tram", "ticket", "walk", "old", "town", "river",
         "bridge", "garden", "station", "price", "room", "view", "quiet", "early", "late",
         "open", "close", "north", "south", "near", "far", "guide", "map"]


def _config(folder: Path, url: str, log: Path, name: str) -> Path:
    target = {"base_url": url, "concurrency": 64, "stream": False, "timeout_s": 120,
              "price": {"input": 1, "output": 2}}
    path = folder / f"{name}.json"
    path.write_text(json.dumps({
        "name": "bench-ray", "log": {"path": str(log)}, "noise": {"enabled": False},
        "baseline": {**target, "model": "bench-base"},
        "candidate": {**target, "model": "bench-cand"}, "suite": SUITE,
        "run_dir": str(folder / name),
        "report": {"dir": str(folder / f"{name}-report"), "formats": ["json"]}}))
    return path


def e2e(n: int) -> list[dict[str, Any]]:
    """The local executor and local Ray, end to end, at ``n`` records."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        command = ["run", "-q", "--inconclusive", "pass", "--no-preflight"]
        with simulator(write_profiles(folder, 0.0), log, exit_after_s=6 * 3600) as url:
            local_s, local_mb = swapkit([*command, str(_config(folder, url, log, "local"))])
            ray_s, ray_mb = swapkit([*command, "--ray", "local",
                                     str(_config(folder, url, log, "ray"))])
    size = f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"
    requests = 2 * n
    return [
        {"scenario": f"e2e-{size} local executor: `swapkit run` (simulator, exact_match)",
         "records": n, "wall_s": local_s, "peak_rss_mb": local_mb,
         "throughput": f"{requests / local_s:,.0f} requests/s end to end",
         "reference": f"target: driver peak RSS < {TARGET_MB:,.0f} MB",
         "ratio": local_mb / TARGET_MB},
        {"scenario": f"e2e-{size} on local Ray: `swapkit run --ray local` (same run)",
         "records": n, "wall_s": ray_s, "peak_rss_mb": ray_mb,
         "throughput": f"{requests / ray_s:,.0f} requests/s end to end; driver peak "
                       f"{ray_mb / TARGET_MB:.2f}x of {TARGET_MB:,.0f} MB",
         "reference": f"local executor {local_s:.1f} s", "ratio": ray_s / local_s},
    ]


def _answers(n: int) -> list[str]:
    rng = random.Random(0)
    return [f"Answer {i}: " + " ".join(rng.choice(WORDS) for _ in range(60)) for i in range(n)]


def embeddings(n: int = 20_000) -> list[dict[str, Any]]:
    """Ray Data with 1 and 2 actors; the GPU row where there is a GPU."""
    import ray

    from swapkit.config import EmbeddingsConfig, ExecutorConfig
    from swapkit.scoring.embeddings.backends import cuda_available
    from swapkit.scoring.embeddings.ray_encoder import RayEmbedder

    texts = _answers(n)
    walls = {}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        for actors in (1, 2):
            embedder = RayEmbedder(EmbeddingsConfig(), ExecutorConfig(
                kind="ray", embeddings={"actors": actors, "num_cpus": 1}))
            start = time.perf_counter()
            embedder.encode(texts)
            walls[actors] = time.perf_counter() - start
        backend = embedder.settings.backend
    finally:
        ray.shutdown()
    rows = [{"scenario": f"embeddings on Ray Data, {actors} actor(s) of 1 CPU ({backend})",
             "records": n, "wall_s": walls[actors], "peak_rss_mb": 0.0,
             "throughput": f"{n / walls[actors]:,.0f} texts/s (model loads included)",
             "reference": "1 actor" if actors == 2 else "itself; target for 2 actors ≤ 0.6x",
             "ratio": walls[actors] / walls[1]} for actors in (1, 2)]
    if cuda_available():
        from swapkit.scoring.embeddings.embedders import SentenceTransformerEmbedder

        encoder = SentenceTransformerEmbedder(batch_size=256, device="cuda")
        start = time.perf_counter()
        encoder.encode(texts)
        wall = time.perf_counter() - start
        rows.append({"scenario": "embeddings on CUDA (torch, one GPU)", "records": n,
                     "wall_s": wall, "peak_rss_mb": 0.0,
                     "throughput": f"{n / wall:,.0f} texts/s",
                     "reference": f"1 Ray actor {walls[1]:.1f} s", "ratio": wall / walls[1]})
    else:
        rows.append({"scenario": "embeddings on CUDA (torch, one GPU)", "records": n,
                     "wall_s": 0.0, "peak_rss_mb": 0.0,
                     "throughput": "not measured: no GPU on this machine",
                     "reference": "-", "ratio": 0.0})
    return rows


def run(n: int = 20_000) -> list[dict[str, Any]]:
    return e2e(n) + embeddings()


def run_1m() -> list[dict[str, Any]]:
    return e2e(1_000_000)


if __name__ == "__main__":
    print(json.dumps(e2e(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000), indent=2))
