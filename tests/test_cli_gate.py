"""From replay to decision over real HTTP and the real embedding model: exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from swapkit.sim import start_simulator

from .conftest import assert_cli_ok, assert_usage_error, run_cli
from .simhelp import profile, write_config, write_log

SUITE = {
    "metrics": ["similarity", "similarity_to_reference"],
    "gates": [
        {"metric": "error_rate", "margin": 0.05},
        {"metric": "similarity_to_reference", "margin": 0.1},
        {"metric": "similarity", "kind": "noise_ratio", "max": 3.0, "hard": False},
    ],
}


def replay(tmp_path: Path, n: int, cand: dict) -> Path:  # type: ignore[type-arg]
    log = write_log(tmp_path / "log.jsonl", n)
    with start_simulator([profile("base-sim", quality=0.95),
                          profile("cand-sim", quality=0.95, **cand)], [log]) as sim:
        config = write_config(tmp_path, sim.base_url, log=log, candidate={"max_retries": 0},
                              suite=SUITE, noise={"subset": 40, "samples": 1})
        assert_cli_ok(run_cli(["replay", config, "-q"]))
    return config


def test_go_then_regenerated_decision_from_the_store(tmp_path: Path) -> None:
    config = replay(tmp_path, 120, {})
    result = run_cli(["gate", config])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("GO: cand-sim is ")
    assert "all 2 hard gates pass." in result.output.splitlines()[0]
    assert "similarity_to_reference: candidate" in result.output
    assert "simulated models" in result.output
    again = run_cli(["gate", tmp_path / "run", "--json"])  # the run dir works too
    decision = json.loads(again.output)
    assert decision["verdict"] == "GO" and decision["schema_version"] == "2"
    assert decision["noise"]["n"] == 40


def test_no_go_exits_1(tmp_path: Path) -> None:
    config = replay(tmp_path, 120, {"faults": {"server_error": 0.3}})
    result = run_cli(["gate", config])
    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("NO-GO: cand-sim") and "but error_rate rises" in first


def test_inconclusive_exit_code_is_configurable(tmp_path: Path) -> None:
    config = replay(tmp_path, 12, {})
    assert run_cli(["gate", config]).exit_code == 4
    assert run_cli(["gate", config, "--inconclusive", "warn"]).exit_code == 0
    assert run_cli(["gate", config, "--inconclusive", "pass"]).exit_code == 0


def test_score_prints_metrics_and_gate_needs_a_run(tmp_path: Path) -> None:
    config = replay(tmp_path, 40, {})
    result = run_cli(["score", config])
    assert_cli_ok(result)
    assert "similarity_to_reference" in result.output and "computed" in result.output
    assert_usage_error(run_cli(["gate", tmp_path / "nowhere"]), "no run store here")
