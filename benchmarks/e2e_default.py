"""e2e-default: `swapkit run` with the default config against the naive way, same run.

2,000 records whose recorded answers are 100-150 words, two simulated models at 0 ms and
at 200 ms latency. swapkit runs with nothing but the log and the two endpoints in its
config (default suite, real local embeddings, noise samples, all reports); the naive way
(benchmarks/naive_way.py) replays the same requests with a bare AsyncOpenAI loop at the
same concurrency and then embeds the answers with ``SentenceTransformer.encode``. Both are
whole processes (start-up included); peak RSS is the process tree's. Targets: ≤ 0.4x the
naive way's wall time, peak RSS ≤ 700 MB.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.replay import simulator, write_profiles
from benchmarks.rss import run_measured
from benchmarks.scoring import WORDS

N = 2000
CONCURRENCY = 16  # the default of a target
MODELS = ("bench-base", "bench-cand")


def write_log(path: Path, n: int, seed: int = 7) -> None:
    """A production-like log: request and recorded answer (100-150 words), no reference."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            words = [rng.choice(WORDS) for _ in range(rng.randint(100, 150))]
            sentences = [" ".join(words[k:k + 12]).capitalize() + "."
                         for k in range(0, len(words), 12)]
            f.write(json.dumps({"id": f"r{i}", "request": {"messages": [
                {"role": "system", "content": "You are a helpful travel assistant."},
                {"role": "user", "content": f"Plan a day around hotel {i}: sights, food, "
                                            "transport."}]},
                "response": {"choices": [{"message": {"role": "assistant",
                                                      "content": " ".join(sentences)},
                                          "finish_reason": "stop"}]}}) + "\n")


def _config(folder: Path, url: str, log: Path) -> Path:
    path = folder / "swap.yaml"
    path.write_text(yaml.safe_dump({
        "name": "e2e-default", "log": {"path": str(log)},
        "baseline": {"base_url": url, "model": MODELS[0]},
        "candidate": {"base_url": url, "model": MODELS[1]},
        "run_dir": str(folder / "run"), "report": {"dir": str(folder / "report")}}))
    return path


def row(latency_s: float, n: int = N) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        log = folder / "log.jsonl"
        write_log(log, n)
        with simulator(write_profiles(folder, latency_s), log) as url:
            naive_wall, naive_rss = run_measured([
                sys.executable, "-m", "benchmarks.naive_way", url, str(log), ",".join(MODELS),
                str(CONCURRENCY)])
            wall, rss = run_measured([sys.executable, "-m", "swapkit", "run",
                                      str(_config(folder, url, log)), "-q"],
                                     ok_codes=(0, 1, 4))
        print(f"e2e-default {latency_s} s: swapkit {wall:.1f} s {rss:.0f} MB, naive "
              f"{naive_wall:.1f} s {naive_rss:.0f} MB", file=sys.stderr)
    return {"scenario": f"e2e-default: swapkit run, default config, {latency_s * 1000:.0f} ms "
                        "latency, answers of 100-150 words",
            "records": n, "wall_s": wall, "peak_rss_mb": rss,
            "throughput": f"{n / wall:,.0f} records/s; target ≤ 0.40x, RSS ≤ 700 MB",
            "reference": f"naive way (AsyncOpenAI loop, then SentenceTransformer.encode) "
                        f"{naive_wall:.1f} s, {naive_rss:.0f} MB",
            "ratio": wall / naive_wall}


def run(n: int = N) -> list[dict[str, Any]]:
    return [row(0.0, n), row(0.2, n)]


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else N), indent=2))
