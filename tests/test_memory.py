"""Logs are read as streams: inspecting 4x more lines must not need more memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LINE = {
    "request": {"model": "deepseek-reasoner", "messages": [
        {"role": "system", "content": "You are a travel assistant."},
        {"role": "user", "content": "How do I get from the airport to hotel number {i}?"}]},
    "response": {"choices": [{"message": {"content": "Take the metro line {i}.",
                                          "reasoning_content": "Airport express is fastest."},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 31, "completion_tokens": 12}},
    "segment": "seg-{s}",
}
TEMPLATE = json.dumps(LINE)


def write_log(path: Path, lines: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            handle.write(TEMPLATE.replace("{i}", str(i)).replace("{s}", str(i % 7)) + "\n")


def peak_rss_mb(path: Path) -> float:
    """Peak RSS of `swapkit inspect` (and its worker processes), in a fresh parent."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'swapkit', 'inspect', sys.argv[1], '--json'],"
        " check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                         text=True, check=True)
    return int(out.stdout.strip()) / 1024


@pytest.mark.slow
def test_inspect_memory_is_bounded(tmp_path: Path) -> None:
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    write_log(small, 50_000)
    write_log(big, 200_000)
    small_mb, big_mb = peak_rss_mb(small), peak_rss_mb(big)
    # Per record, inspect keeps ~16 bytes (two lengths, a hash prefix): 150k more
    # records may add a few MB, never the records themselves (~120 MB of JSON here).
    assert big_mb < small_mb + 25, (small_mb, big_mb)
    assert big_mb < 400, big_mb
