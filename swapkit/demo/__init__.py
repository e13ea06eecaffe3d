"""``swapkit demo``: the whole workflow on the bundled AskMe + Accio log, against the simulator.

The simulator plays an R1-like baseline (reasoning, slower) and a Qwen3-like candidate
(faster, cheaper, as good on most traffic, but breaking JSON in product-search attribute
extraction and refusing a few prompts): a realistic NO-GO. ``run_demo_lineup`` plays four
Qwen3 configurations against the same baseline (``lineup.yaml``) and recommends one.
``candidate_profile="qwen3-fixed"`` plays the same candidate without the regression: a GO.
A third simulated model, ``judge-like``, judges the two answers for the suite's (soft)
judge gate.
May import the main job (pipeline, lineup), the simulator and the vocabulary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from swapkit.config import load_config
from swapkit.lineup import LineupResult, run_lineup
from swapkit.pipeline import RunOptions, RunResult, run_migration
from swapkit.sim.runner import RunningSimulator, start_simulator
from swapkit.support.hashing import content_hash

__all__ = ["DEMO_CONFIG", "DEMO_JUDGE", "DEMO_LINEUP", "DEMO_LOG", "run_demo",
           "run_demo_lineup"]

DEMO_DIR = Path(__file__).parent
DEMO_CONFIG = DEMO_DIR / "swap.yaml"
DEMO_LINEUP = DEMO_DIR / "lineup.yaml"  # four Qwen3 configurations against the same baseline
LINEUP_PROFILES = ["qwen3-235b-like", "qwen3-32b-like", "qwen3-32b-thinking-like",
                   "qwen3-8b-like"]
DEMO_LOG = DEMO_DIR / "askme-accio.jsonl"
DEMO_JUDGE = "judge-like"  # the simulator profile that plays swap.yaml's judge
PORT_FILE = "sim-port.json"  # in the output folder: the port of its last demo


def _start(out_dir: Path, profiles: list[str]) -> RunningSimulator:
    """The simulator on the port of ``out_dir``'s previous demo with the same profiles,
    when that port is free.

    The port is part of the targets' identity (their base_url): on the same port a second
    demo into the same folder resumes from the run store instead of replaying again. Other
    profiles (another candidate) get another port, so their answers are never reused.
    """
    remembered = out_dir / PORT_FILE
    key = _profiles_key(profiles)
    try:
        saved = json.loads(remembered.read_text(encoding="utf-8"))
        port = int(saved["port"]) if saved.get("profiles") == key else 0
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        port = 0
    port = port if 0 < port < 65536 else 0  # an edited file: bind raises OverflowError
    try:
        sim = start_simulator(profiles, [DEMO_LOG], port=port)
    except OSError:  # taken by another program since: a fresh port (the demo replays)
        sim = start_simulator(profiles, [DEMO_LOG])
    out_dir.mkdir(parents=True, exist_ok=True)
    remembered.write_text(json.dumps({"port": sim.port, "profiles": key}) + "\n",
                          encoding="utf-8")
    return sim


def _profiles_key(profiles: list[str]) -> str:
    """The profiles by name, a profile file by its content too (an edited file is new)."""
    parts = []
    for profile in profiles:
        path = Path(profile)
        parts.append(f"{profile}:{content_hash(path.read_text(encoding='utf-8'))[:16]}"
                     if path.is_file() else profile)
    return ",".join(parts)


def run_demo(out_dir: Path, candidate_profile: str = "qwen3-like", quiet: bool = False,
             stage: Callable[[str], None] | None = None) -> RunResult:
    """Start the simulator, run the demo migration into ``out_dir``, stop the simulator."""
    out_dir = out_dir.resolve()
    with _start(out_dir, ["r1-like", candidate_profile, DEMO_JUDGE]) as sim:
        config = load_config(DEMO_CONFIG, env={**os.environ, "SWAPKIT_SIM_URL": sim.base_url})
        options = RunOptions(quiet=quiet, run_dir=out_dir / "run", report_dir=out_dir / "report")
        return run_migration(config, options, stage=stage)


def run_demo_lineup(out_dir: Path, quiet: bool = False,
                    stage: Callable[[str], None] | None = None) -> LineupResult:
    """The demo's lineup: the same baseline against four simulated Qwen3 configurations,
    the cheapest safe one recommended (``out_dir/run/NAME``, ``out_dir/report``)."""
    out_dir = out_dir.resolve()
    with _start(out_dir, ["r1-like", *LINEUP_PROFILES, DEMO_JUDGE]) as sim:
        config = load_config(DEMO_LINEUP, env={**os.environ, "SWAPKIT_SIM_URL": sim.base_url})
        options = RunOptions(quiet=quiet, run_dir=out_dir / "run", report_dir=out_dir / "report")
        return run_lineup(config, options, stage=stage)
