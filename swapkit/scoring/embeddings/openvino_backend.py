"""An OpenVINO backend for sentence-transformers models: same vectors, several times faster.

The transformer is converted once with ``openvino.convert_model`` and the IR is cached on
disk (``$SWAPKIT_HOME/openvino``, default ``~/.cache/swapkit/openvino``); pooling (mean
over the attention mask) and L2 normalisation are done here, as sentence-transformers
does them for all-MiniLM-L6-v2. Only the ``openvino`` package is needed (no optimum, no
torchvision); torch is used once, for the conversion. The IR is saved in float32 and runs
in the CPU's default inference precision: bfloat16 where the CPU supports it (pairwise
similarities within about 0.002 of torch, checked by the ``auto`` backend before use),
float32 elsewhere (``precision`` says which). int8 is never used: it shifts similarities
by 0.06-0.2, too much for a scoring tool.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OpenVinoEmbedder", "fingerprint", "offline_quietly", "openvino_available",
           "swapkit_home"]

MAX_TOKENS = 256
BATCH = 16  # measured: smaller, length-sorted batches pad less and run fastest here


def swapkit_home() -> Path:
    """Where swapkit keeps state between runs (``SWAPKIT_HOME`` overrides)."""
    return Path(os.environ.get("SWAPKIT_HOME") or Path.home() / ".cache" / "swapkit")


def offline_quietly() -> None:
    """Models load from disk only, without progress bars or chatter on the terminal."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(name, value)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    except ImportError:
        pass


def openvino_available() -> bool:
    """Whether the openvino runtime can be imported."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def fingerprint(folder: Path) -> str:
    """What identifies a model folder's weights (names and sizes of its files)."""
    return _digest(folder)


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt"):
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:16]


class OpenVinoEmbedder:
    """Encodes like SentenceTransformer(model).encode(normalize_embeddings=True)."""

    def __init__(self, model_dir: Path, model_id: str, threads: int | None = None) -> None:
        offline_quietly()
        import openvino as ov
        from transformers import AutoTokenizer

        self.model_id = model_id
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(model_dir))
        ir = swapkit_home() / "openvino" / f"{fingerprint(model_dir)}-eager" / "model.xml"
        if not ir.exists():
            self._convert(model_dir, ir)
        config = {"INFERENCE_NUM_THREADS": threads or len(os.sched_getaffinity(0))}
        self.compiled: Any = ov.Core().compile_model(str(ir), "CPU", config)
        self.inputs = {port.get_any_name() for port in self.compiled.inputs}
        hint = str(self.compiled.get_property("INFERENCE_PRECISION_HINT")).lower()
        self.precision = ("bf16" if "bf16" in hint or "bfloat" in hint else
                          "f16" if "f16" in hint else "f32")

    def _convert(self, model_dir: Path, ir: Path) -> None:
        import openvino as ov
        import torch
        from transformers import AutoModel

        with warnings.catch_warnings():  # tracing warnings about a model we do not train
            warnings.simplefilter("ignore")
            model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
            model.eval()
            example = self.tokenizer(["convert"], return_tensors="pt")
            with torch.no_grad():
                converted = ov.convert_model(model, example_input=dict(example))
        ir.parent.mkdir(parents=True, exist_ok=True)
        tmp = ir.with_suffix(".tmp.xml")
        ov.save_model(converted, str(tmp), compress_to_fp16=False)
        tmp.with_suffix(".bin").replace(ir.with_suffix(".bin"))
        tmp.replace(ir)

    def _batch(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS,
                                return_tensors="np")
        feed = {k: v for k, v in tokens.items() if k in self.inputs}
        hidden = next(iter(self.compiled(feed).values()))
        mask = tokens["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Vectors in the input order; batches of similar lengths (less padding)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        pieces = []
        for start in range(0, len(order), BATCH):
            pieces.append(self._batch([texts[i] for i in order[start:start + BATCH]]))
        if pieces:
            ordered = np.concatenate(pieces)
            out = np.empty_like(ordered)
            out[np.array(order)] = ordered
        lengths = self.tokenizer(texts, add_special_tokens=True, truncation=False,
                                 return_attention_mask=False,
                                 return_token_type_ids=False)["input_ids"] if texts else []
        return out, [len(ids) > MAX_TOKENS for ids in lengths]
