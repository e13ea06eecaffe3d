"""Which local encoder runs: ``embeddings.backend: auto`` picks the fastest faithful one.

OpenVINO runs the same model several times faster than torch on a CPU (in bf16 where the
CPU has it), but a backend is only used if it agrees with torch: on a fixed check set
(``check_set.json``, shipped), every pairwise similarity within 0.005 of torch's. The check
runs once per model, backend and precision, and its result is cached under
``$SWAPKIT_HOME``. The backend and precision are part of the cache key of the vectors, and a
run that was scored keeps the backend it was scored with, so its numbers do not move.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from swapkit.config import EmbeddingsConfig
from swapkit.support.cpus import available_cpus

__all__ = ["AGREEMENT", "Backend", "check_agreement", "cuda_available", "encoder_device",
           "encoder_threads", "resolve_backend"]

AGREEMENT = 0.005  # largest |Δ similarity| vs torch on the check set
CHECK_SET = Path(__file__).parent / "check_set.json"
_RESOLVED: dict[str, Backend] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Backend:
    """A resolved backend: ``sentence-transformers`` (torch), ``openvino`` or ``openai``."""

    name: str
    precision: str = "f32"
    agreement: float | None = None  # measured max |Δ| vs torch, when checked

    def describe(self) -> str:
        """``openvino (bf16; within 0.0014 of torch)`` for reports."""
        if self.name == "openai":
            return "an OpenAI-compatible embeddings endpoint"
        checked = f"; within {self.agreement:.4f} of torch" if self.agreement is not None else ""
        label = "torch" if self.name == "sentence-transformers" else self.name
        return f"{label} ({self.precision}{checked})"


def encoder_threads(config: EmbeddingsConfig) -> int:
    """Threads for a local encoder: ``embeddings.threads``, else the CPUs really available."""
    return config.threads or available_cpus()


def _similarities(vectors: np.ndarray) -> np.ndarray:
    result: np.ndarray = vectors @ vectors.T
    return result


def check_agreement(config: EmbeddingsConfig) -> tuple[float, str]:
    """Max |Δ| of pairwise similarity between OpenVINO and torch on the check set, and the
    precision OpenVINO ran in (cached on disk per model, OpenVINO version and precision)."""
    import openvino

    from swapkit.scoring.embeddings.embedders import SentenceTransformerEmbedder, model_dir
    from swapkit.scoring.embeddings.openvino_backend import (
        OpenVinoEmbedder,
        cpu_precision,
        fingerprint,
        swapkit_home,
    )

    folder = model_dir(config.model)
    precision = cpu_precision()
    key = f"{fingerprint(folder)}-{openvino.__version__}-{precision}"
    cache = swapkit_home() / "backend-check.json"
    known: dict[str, float] = {}
    if cache.exists():
        try:
            known = json.loads(cache.read_text())
        except (OSError, ValueError):
            known = {}
    if key not in known:
        texts = json.loads(CHECK_SET.read_text(encoding="utf-8"))["texts"]
        torch_vectors, _ = SentenceTransformerEmbedder(config.model, config.batch_size,
                                                       encoder_threads(config)).encode(texts)
        fast_vectors, _ = OpenVinoEmbedder(folder, "check", encoder_threads(config)).encode(texts)
        known[key] = float(np.max(np.abs(_similarities(torch_vectors)
                                         - _similarities(fast_vectors))))
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known, indent=1))
    return known[key], precision


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU here (torch is not imported on a machine without an
    NVIDIA driver)."""
    if not (Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi")):
        return False
    import torch

    return bool(torch.cuda.is_available())


def encoder_device(config: EmbeddingsConfig) -> str:
    """Where a local torch encoder runs: ``cuda`` or ``cpu`` (``device: cuda`` without a GPU
    is an error naming the setting)."""
    if config.device == "cpu" or config.backend == "openai":
        return "cpu"
    if cuda_available():
        return "cuda"
    if config.device == "cuda":
        from swapkit.errors import ConfigError

        raise ConfigError("embeddings.device is cuda, but torch sees no CUDA GPU here",
                          hint="set embeddings.device: auto (or cpu), or install a CUDA "
                          "build of torch on a machine with a GPU")
    return "cpu"


def resolve_backend(config: EmbeddingsConfig) -> Backend:
    """The backend ``config`` gets (``auto`` resolved; once per process). On a GPU
    (``device`` cuda, or auto with a GPU) the encoder is torch: OpenVINO runs on the CPU."""
    if config.backend == "openai":
        return Backend("openai", "n/a")
    if config.backend == "sentence-transformers":
        return Backend("sentence-transformers")
    if config.device != "cpu" and encoder_device(config) == "cuda":
        if config.backend == "openvino":
            from swapkit.errors import ConfigError

            raise ConfigError("embeddings.backend openvino runs on the CPU; "
                              "embeddings.device asks for a GPU",
                              hint="set embeddings.device: cpu, or backend: auto")
        return Backend("sentence-transformers")
    from swapkit.scoring.embeddings.openvino_backend import openvino_available

    if not openvino_available():
        return Backend("sentence-transformers")
    key = f"{config.backend}:{config.model}"  # threads and batch size do not change it
    with _LOCK:
        if key not in _RESOLVED:
            _RESOLVED[key] = _choose(config)
        return _RESOLVED[key]


def _choose(config: EmbeddingsConfig) -> Backend:
    try:
        agreement, precision = check_agreement(config)
    except Exception as err:  # a model OpenVINO cannot convert: torch, and say why
        if config.backend == "openvino":
            raise
        import warnings

        warnings.warn(f"embeddings: openvino unavailable for this model ({err}); using torch",
                      stacklevel=2)
        return Backend("sentence-transformers")
    if config.backend == "openvino" or agreement <= AGREEMENT:
        return Backend("openvino", precision, agreement)
    return Backend("sentence-transformers")
