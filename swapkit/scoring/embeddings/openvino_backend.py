"""An OpenVINO backend for sentence-transformers models: same vectors, several times faster.

The transformer is converted once with ``openvino.convert_model`` and the IR is cached on
disk (``$SWAPKIT_HOME/openvino``, default ``~/.cache/swapkit/openvino``); pooling (mean
over the attention mask) and L2 normalisation are done here, as sentence-transformers
does them for all-MiniLM-L6-v2. Texts are tokenized by the model's ``tokenizer.json``
through ``tokenizers`` alone, so that embedding imports neither transformers nor torch
(about 250 MB less memory); torch is used once, for the conversion (no optimum, no
torchvision). Batches run on one single-thread stream per CPU. The IR is saved in float32
and runs in the CPU's default inference precision: bfloat16 where the CPU supports it (pairwise
similarities within about 0.002 of torch, checked by the ``auto`` backend before use),
float32 elsewhere (``precision`` says which). int8 is never used: it shifts similarities
by 0.06-0.2, too much for a scoring tool.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["OpenVinoEmbedder", "cpu_precision", "fingerprint", "offline_quietly",
           "openvino_available", "swapkit_home"]

MAX_TOKENS = 256
BATCH = 8  # measured: length-sorted batches of 8 run as fast as 16 and need 50 MB less


def swapkit_home() -> Path:
    """Where swapkit keeps state between runs (``SWAPKIT_HOME`` overrides)."""
    return Path(os.environ.get("SWAPKIT_HOME") or Path.home() / ".cache" / "swapkit")


def offline_quietly(transformers: bool = True) -> None:
    """Models load from disk only, without progress bars or chatter on the terminal
    (``transformers``: also silence its loading bars, which imports it)."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"),
                        ("TRANSFORMERS_VERBOSITY", "error"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1")):
        os.environ.setdefault(name, value)
    if not transformers:
        return
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


def cpu_precision() -> str:
    """The precision OpenVINO infers in on this CPU (known without compiling a model)."""
    import openvino as ov

    return _precision(ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT"))


def _precision(hint: object) -> str:
    text = str(hint).lower()
    return "bf16" if "bf16" in text or "bfloat" in text else "f16" if "f16" in text else "f32"


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
        offline_quietly(transformers=False)
        import openvino as ov

        self.model_id = model_id
        self.tokenizer = _tokenizer(model_dir)
        ir = swapkit_home() / "openvino" / f"{fingerprint(model_dir)}-eager" / "model.xml"
        if not ir.exists():
            self._convert(model_dir, ir)
        # One stream (one inference at a time, one thread) per CPU: measured here, two
        # one-thread streams embed 1.3-1.6x faster than one two-thread inference.
        self.streams = threads or len(os.sched_getaffinity(0))
        config = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": self.streams,
                  "INFERENCE_NUM_THREADS": self.streams,
                  # Threads not pinned to cores: two encoders in two processes (Ray actors
                  # on one node) would both pin to the first cores and share them; measured
                  # here, 2 actors 0.98x the time of 1 pinned, 0.57x unpinned, and one
                  # process as fast either way (542 vs 555 texts/s on 2 threads).
                  "ENABLE_CPU_PINNING": False}
        self.compiled: Any = ov.Core().compile_model(str(ir), "CPU", config)
        self.inputs = {port.get_any_name() for port in self.compiled.inputs}
        self.precision = _precision(self.compiled.get_property("INFERENCE_PRECISION_HINT"))
        self.jobs = self.streams
        self._queues: dict[int, Any] = {}
        self._encoding = threading.Lock()

    def use_threads(self, threads: int) -> None:
        """Run at most ``threads`` inferences at once (one CPU each) from now on."""
        self.jobs = max(1, min(threads, self.streams))

    def _convert(self, model_dir: Path, ir: Path) -> None:
        import openvino as ov
        import torch
        from transformers import AutoModel

        offline_quietly()

        with warnings.catch_warnings():  # tracing warnings about a model we do not train
            warnings.simplefilter("ignore")
            model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
            model.eval()
            ids, mask, types, _ = self.tokenizer(["convert"])
            example = {"input_ids": torch.from_numpy(ids),
                       "attention_mask": torch.from_numpy(mask),
                       "token_type_ids": torch.from_numpy(types)}
            with torch.no_grad():
                converted = ov.convert_model(model, example_input=example)
        ir.parent.mkdir(parents=True, exist_ok=True)
        tmp = ir.with_suffix(".tmp.xml")
        ov.save_model(converted, str(tmp), compress_to_fp16=False)
        tmp.with_suffix(".bin").replace(ir.with_suffix(".bin"))
        tmp.replace(ir)

    def _queue(self) -> Any:
        if self.jobs not in self._queues:
            import openvino as ov

            self._queues[self.jobs] = ov.AsyncInferQueue(self.compiled, self.jobs)
        return self._queues[self.jobs]

    def encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        """Vectors in the input order; batches of similar lengths (less padding), run on
        ``jobs`` streams at once."""
        with self._encoding:  # one encode at a time: the queue and its callback are shared
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> tuple[np.ndarray, list[bool]]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        flags = [False] * len(texts)
        pieces: dict[int, np.ndarray] = {}
        masks: dict[int, np.ndarray] = {}
        failures: list[BaseException] = []

        def finished(request: Any, k: int) -> None:
            # Pooled as each batch finishes: its hidden states (batch x tokens x 384
            # floats) are never all held at once. An exception raised here would abort the
            # process from OpenVINO's thread: it is kept and raised below instead.
            try:
                pieces[k] = _pool(request.get_output_tensor(0).data, masks[k])
            except BaseException as err:  # re-raised after wait_all
                failures.append(err)

        queue = self._queue()
        queue.set_callback(finished)
        chunks = [order[start:start + BATCH] for start in range(0, len(order), BATCH)]
        try:
            for k, chunk in enumerate(chunks):
                ids, attention, types, truncated = self.tokenizer([texts[i] for i in chunk])
                tokens = {"input_ids": ids, "attention_mask": attention,
                          "token_type_ids": types}
                masks[k] = attention
                for i, flag in zip(chunk, truncated, strict=True):
                    flags[i] = flag
                queue.start_async({n: v for n, v in tokens.items() if n in self.inputs}, k)
        finally:  # never leave requests in flight (an interrupt, a tokenizer error)
            queue.wait_all()
        if failures:
            raise failures[0]
        if chunks:
            ordered = np.concatenate([pieces[k] for k in range(len(chunks))])
            out = np.empty_like(ordered)
            out[np.array(order)] = ordered
        return out, flags


def _pool(hidden: np.ndarray, attention: np.ndarray) -> np.ndarray:
    """Mean over the real tokens, then L2-normalised (sentence-transformers' pooling)."""
    mask = attention[..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    result: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return result


Tokens = tuple[np.ndarray, np.ndarray, np.ndarray, list[bool]]


class _Tokenizer:
    """The model's fast tokenizer (its ``tokenizer.json``, read by ``tokenizers`` alone, so
    that encoding imports neither transformers nor torch): padded to the longest text of a
    batch, truncated at ``MAX_TOKENS`` as sentence-transformers does, each text flagged when
    it was truncated."""

    def __init__(self, path: Path, pad_token: str) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        pad_id = self.tokenizer.token_to_id(pad_token)
        self.tokenizer.enable_padding(pad_id=pad_id or 0, pad_token=pad_token)

    def __call__(self, texts: list[str]) -> Tokens:
        encodings = self.tokenizer.encode_batch(texts)
        return (np.array([e.ids for e in encodings], dtype=np.int64),
                np.array([e.attention_mask for e in encodings], dtype=np.int64),
                np.array([e.type_ids for e in encodings], dtype=np.int64),
                [bool(e.overflowing) for e in encodings])


def _tokenizer(model_dir: Path) -> _Tokenizer:
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise ValueError(f"{model_dir}: no tokenizer.json (the openvino backend needs a "
                         "model with a fast tokenizer)")
    pad: Any = "[PAD]"
    config = model_dir / "tokenizer_config.json"
    if config.is_file():
        pad = json.loads(config.read_text(encoding="utf-8")).get("pad_token") or pad
    return _Tokenizer(path, pad["content"] if isinstance(pad, dict) else str(pad))
