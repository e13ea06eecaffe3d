"""swapkit from Python: the same steps as the CLI, as functions.

Runs the bundled demo migration against the simulator, step by step, and prints what
each step produced. Run from the repository root:

    python examples/python_api.py [--max-records 120]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from swapkit import load_config
from swapkit.decision.decide import decide_run
from swapkit.demo import DEMO_CONFIG, DEMO_LOG
from swapkit.pipeline import RunOptions, with_options
from swapkit.replay.engine import ReplayOptions, replay
from swapkit.report import build_reports
from swapkit.scoring import score_run
from swapkit.sim import start_simulator


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-records", type=int, default=None)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="swapkit-api-"))
    with start_simulator(["r1-like", "qwen3-like"], [DEMO_LOG]) as sim:
        env = {**os.environ, "SWAPKIT_SIM_URL": sim.base_url}
        config = with_options(load_config(DEMO_CONFIG, env=env),
                              RunOptions(max_records=args.max_records, run_dir=out / "run"))
        summary = replay(config, ReplayOptions(quiet=True))
        print(f"replayed {summary.records} records into {summary.run_dir}")
    assert config.run_dir is not None
    scores = score_run(config.run_dir)
    print(f"scored {len(scores.metrics)} metrics "
          f"({scores.embeddings_computed} answers embedded)")
    decision = decide_run(config.run_dir)
    for gate in decision.gates:
        print(f"  {gate.status:<14} {gate.name}")
    reports = build_reports(config.run_dir, ["html", "json"], out / "report")
    print(f"{decision.reason}\nHTML report: {reports['html']}")
    return {"GO": 0, "NO-GO": 1}.get(decision.verdict, 4)


if __name__ == "__main__":
    raise SystemExit(main())
