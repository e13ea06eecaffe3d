"""Helpers for tests that replay against the simulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from swapkit.sim import SimProfile

USER_SEGMENTS = ("faq", "search", "extract")


def profile(name: str, **behaviour: Any) -> SimProfile:
    """A simulated model with zero latency unless told otherwise."""
    return SimProfile.model_validate({"name": name, **behaviour})


def write_log(path: Path, n: int, *, json_mode_every: int = 0) -> Path:
    """An openai-chat log of ``n`` records across three segments, with references."""
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            request: dict[str, Any] = {"model": "prod", "messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": f"Question {i}: what is the best way to visit "
                                            f"museum number {i} in the old town?"}]}
            if json_mode_every and i % json_mode_every == 0:
                request["response_format"] = {"type": "json_object"}
            line = {"id": f"q{i}", "segment": USER_SEGMENTS[i % 3], "request": request,
                    "reference": f"Take tram {i % 7} and buy the ticket online for museum {i}.",
                    "response": {"choices": [{"message": {
                        "content": f"Tram {i % 7}, then walk; tickets online.",
                        "reasoning_content": "Think about transport."},
                        "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 30, "completion_tokens": 20}}}
            f.write(json.dumps(line) + "\n")
    return path


def write_config(tmp: Path, base_url: str, *, log: Path, baseline: dict[str, Any] | None = None,
                 candidate: dict[str, Any] | None = None, **top: Any) -> Path:
    """A swap.yaml for two simulated targets (overrides per side; other top-level keys;
    ``candidates=`` makes it a lineup)."""
    base = {"model": "base-sim", "base_url": base_url, "concurrency": 4, "timeout_s": 5,
            "stream": False, "price": {"input": 1.0, "output": 2.0}}
    cand = {**base, "model": "cand-sim"}
    config = {
        "name": "test-run", "log": {"path": str(log)},
        "baseline": {**base, **(baseline or {})}, "candidate": {**cand, **(candidate or {})},
        "noise": {"subset": 5, "samples": 1}, "run_dir": str(tmp / "run"), **top,
    }
    if "candidates" in top:  # a lineup instead of one candidate
        del config["candidate"]
    path = tmp / "swap.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
