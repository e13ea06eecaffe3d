"""``swapkit demo``: the whole workflow on the bundled AskMe + Accio log, against the simulator.

The simulator plays an R1-like baseline (reasoning, slower) and a Qwen3-like candidate
(faster, cheaper, as good on most traffic, but breaking JSON in product-search attribute
extraction and refusing a few prompts): a realistic NO-GO. ``candidate_profile=
"qwen3-fixed"`` plays the same candidate without the regression: a GO. A third simulated
model, ``judge-like``, judges the two answers for the suite's (soft) judge gate.
May import the main job (pipeline), the simulator and the vocabulary.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from swapkit.config import load_config
from swapkit.pipeline import RunOptions, RunResult, run_migration
from swapkit.sim.runner import start_simulator

__all__ = ["DEMO_CONFIG", "DEMO_JUDGE", "DEMO_LOG", "run_demo"]

DEMO_DIR = Path(__file__).parent
DEMO_CONFIG = DEMO_DIR / "swap.yaml"
DEMO_LOG = DEMO_DIR / "askme-accio.jsonl"
DEMO_JUDGE = "judge-like"  # the simulator profile that plays swap.yaml's judge


def run_demo(out_dir: Path, candidate_profile: str = "qwen3-like", quiet: bool = False,
             stage: Callable[[str], None] | None = None) -> RunResult:
    """Start the simulator, run the demo migration into ``out_dir``, stop the simulator."""
    out_dir = out_dir.resolve()
    with start_simulator(["r1-like", candidate_profile, DEMO_JUDGE], [DEMO_LOG]) as sim:
        config = load_config(DEMO_CONFIG, env={**os.environ, "SWAPKIT_SIM_URL": sim.base_url})
        options = RunOptions(quiet=quiet, run_dir=out_dir / "run", report_dir=out_dir / "report")
        return run_migration(config, options, stage=stage)
