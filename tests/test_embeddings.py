"""The real bundled embedding model (all-MiniLM-L6-v2, offline) and the vector cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from swapkit.config import EmbeddingsConfig
from swapkit.embeddings import EmbeddingCache
from swapkit.store import RunStore

from .metrichelp import answer, record, run


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with RunStore(tmp_path / "run") as opened:
        yield opened


def cosine(vectors: dict[str, np.ndarray], a: str, b: str) -> float:
    return float(np.dot(vectors[a], vectors[b]))


def test_real_model_similarities_and_cache(store: RunStore) -> None:
    cache = EmbeddingCache(store, EmbeddingsConfig())
    texts = ["Take the metro to the airport.", "Take the metro to the airport.",
             "You can reach the airport by subway.", "Bananas are rich in potassium."]
    vectors = cache.vectors(texts)
    assert cache.computed == 3  # identical texts are embedded once
    assert cosine(vectors, texts[0], texts[1]) == pytest.approx(1.0, abs=1e-5)
    assert cosine(vectors, texts[0], texts[2]) > cosine(vectors, texts[0], texts[3]) + 0.3
    again = EmbeddingCache(store, EmbeddingsConfig())
    cached = again.vectors(texts)
    assert again.computed == 0 and again.reused == 3  # a re-score computes nothing
    assert np.allclose(cached[texts[2]], vectors[texts[2]])


def test_long_texts_are_counted_as_truncated(store: RunStore) -> None:
    cache = EmbeddingCache(store, EmbeddingsConfig())
    cache.vectors(["short answer", "word " * 400])
    assert cache.truncated == 1


def test_similarity_metric_embeds_answers_not_reasoning(store: RunStore) -> None:
    data = run([record(0, reference="Paris is the capital of France.")],
               [answer("Paris is the capital of France.", reasoning="long chain " * 50)],
               [answer("The capital of France is Paris.")],
               [answer("Paris is the capital of France.")],
               embedder=EmbeddingCache(store, EmbeddingsConfig()))
    from swapkit.metrics import get_metric

    sim = get_metric("similarity").score(data, {})
    assert sim.base[0] == pytest.approx(1.0, abs=1e-5)  # B2 identical to B1
    assert 0.8 < sim.cand[0] < 1.0
    to_ref = get_metric("similarity_to_reference").score(data, {})
    assert to_ref.base[0] == pytest.approx(1.0, abs=1e-5)
    assert data.embedder.computed == 2  # reasoning text never embedded
