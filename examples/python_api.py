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

from swapkit import (
    DEMO_CONFIG,
    DEMO_LOG,
    ReplayOptions,
    build_reports,
    decide_run,
    exit_code,
    load_config,
    replay_run,
    score_run,
    start_simulator,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-records", type=int, default=None)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="swapkit-api-"))
    with start_simulator(["r1-like", "qwen3-like", "judge-like"], [DEMO_LOG]) as sim:
        env = {**os.environ, "SWAPKIT_SIM_URL": sim.base_url}
        config = load_config(DEMO_CONFIG, env=env)
        if args.max_records:  # the config is a pydantic model: change it like any other
            sample = config.log.sample.model_copy(update={"n": args.max_records})
            config = config.model_copy(
                update={"log": config.log.model_copy(update={"sample": sample})})
        summary = replay_run(config, ReplayOptions(run_dir=out / "run", quiet=True))
        print(f"replayed {summary.records} records into {summary.run_dir}")
    scores = score_run(summary.run_dir)
    print(f"scored {len(scores.metrics)} metrics "
          f"({scores.embeddings_computed} answers embedded)")
    decision = decide_run(summary.run_dir)
    for gate in decision.gates:
        print(f"  {gate.status:<14} {gate.name}")
    reports = build_reports(summary.run_dir, ["html", "json"], out / "report")
    print(f"{decision.reason}\nHTML report: {reports['html']}")
    return exit_code(decision)


if __name__ == "__main__":
    raise SystemExit(main())
