"""Embedding on a Ray cluster (``executor: ray``): Ray Data ``map_batches`` over a pool of
actors, each loading the model once; GPUs per actor when the cluster has them.

The driver decides the backend (and so the vectors' cache key) before anything runs: on
GPUs the encoder is torch on CUDA, else the backend ``embeddings.backend`` resolves to
here. Vectors come back to the driver, which stores them in the run store's cache, so a
later local scoring reuses them.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from swapkit.config import EmbeddingsConfig, ExecutorConfig
from swapkit.errors import ConfigError, RuntimeFailure
from swapkit.replay.cluster import connect, task_error
from swapkit.scoring.embeddings.backends import resolve_backend

__all__ = ["RayEmbedder", "cluster_settings"]


def cluster_settings(config: EmbeddingsConfig, executor: ExecutorConfig,
                     ray: Any) -> tuple[EmbeddingsConfig, float]:
    """The settings every actor encodes with (backend resolved, device and threads fixed)
    and the GPUs each actor reserves."""
    stage = executor.embeddings
    gpus = stage.num_gpus
    if gpus is None:
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        gpus = 1.0 if has_gpus and config.device != "cpu" and config.backend in (
            "auto", "sentence-transformers") else 0.0
    if config.device == "cuda" and not gpus:
        raise ConfigError("embeddings.device is cuda, but the Ray cluster has no GPU for the "
                          "encoder actors (or executor.embeddings.num_gpus is 0)",
                          hint="set embeddings.device: auto (or cpu), or add GPU nodes")
    if gpus and config.backend in ("openvino", "openai"):
        raise ConfigError(f"embeddings.backend {config.backend} does not run on a GPU, but "
                          "executor.embeddings.num_gpus asks for one",
                          hint="leave executor.embeddings.num_gpus unset, or set "
                          "embeddings.backend: auto")
    if gpus > 0:
        settings = config.model_copy(update={"backend": "sentence-transformers",
                                             "device": "cuda"})
    else:
        backend = config.backend if config.backend == "openai" else resolve_backend(
            config.model_copy(update={"device": "cpu"})).name
        settings = config.model_copy(update={"backend": backend, "device": "cpu"})
    threads = max(1, int(stage.num_cpus)) if stage.num_cpus >= 1 else 1
    return settings.model_copy(update={"threads": threads}), gpus


class _Encode:
    """A Ray Data callable class: one embedder per actor, loaded in the constructor."""

    def __init__(self, settings_json: str) -> None:
        from swapkit.scoring.embeddings.embedders import load_embedder

        self.embedder = load_embedder(EmbeddingsConfig.model_validate_json(settings_json))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors, truncated = self.embedder.encode([str(t) for t in batch["text"]])
        return {"index": batch["index"], "vector": vectors,
                "truncated": np.asarray(truncated, dtype=bool),
                # what made the vectors here (backend, precision): the cache key they need
                "model": np.asarray([self.embedder.model_id] * len(vectors))}


class RayEmbedder:
    """The :class:`~.embedders.Embedder` of a run on Ray."""

    def __init__(self, config: EmbeddingsConfig, executor: ExecutorConfig) -> None:
        # Ray Data logs every dataset it runs to the console at INFO: only its errors here.
        os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
        self.ray = connect(executor)
        self.executor = executor
        self.settings, self.gpus = cluster_settings(config, executor, self.ray)
        from swapkit.scoring.embeddings.embedders import cache_model_id

        self.model_id = cache_model_id(self.settings)

    def use_threads(self, threads: int) -> None:
        """Nothing to do: each actor encodes with its own CPUs."""

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Vectors in the order of ``texts``, encoded by the actor pool."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32), []
        stage = self.executor.embeddings
        context = self.ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the run's own progress speaks for it
        blocks = -(-len(texts) // stage.batch_size)
        data = self.ray.data.from_items(
            [{"index": i, "text": text} for i, text in enumerate(texts)],
            override_num_blocks=blocks)
        encoded = data.map_batches(
            _Encode, fn_constructor_args=(self.settings.model_dump_json(),),
            batch_size=stage.batch_size, batch_format="numpy",
            compute=self.ray.data.ActorPoolStrategy(size=min(stage.actors, blocks)),
            num_cpus=stage.num_cpus, num_gpus=self.gpus)
        vectors: np.ndarray | None = None
        truncated = np.zeros(len(texts), dtype=bool)
        try:
            for batch in encoded.iter_batches(batch_format="numpy", batch_size=None):
                block = np.asarray(batch["vector"], dtype=np.float32)
                if vectors is None:
                    vectors = np.zeros((len(texts), block.shape[1]), dtype=np.float32)
                made_by = set(batch["model"].tolist()) - {self.model_id}
                if made_by:
                    raise RuntimeFailure(
                        f"the Ray workers embed with {', '.join(sorted(made_by))}, this "
                        f"process expected {self.model_id}: their vectors would be cached "
                        "under the wrong model", hint="give every machine the same "
                        "backend: set embeddings.backend (sentence-transformers is the same "
                        "everywhere)")
                vectors[batch["index"]] = block
                truncated[batch["index"]] = batch["truncated"]
        except self.ray.exceptions.RayError as err:
            raise task_error(err) from None
        assert vectors is not None
        return vectors, truncated.tolist()
