"""`swapkit replay` and `swapkit sim` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from swapkit.sim import start_simulator

from .conftest import EXAMPLES, assert_cli_ok, assert_usage_error, run_cli
from .simhelp import profile, write_config, write_log


def test_replay_command_and_resume(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 6)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        config = write_config(tmp_path, sim.base_url, log=log)
        result = run_cli(["replay", config, "-q"])
        assert_cli_ok(result)
        assert "replay     complete" in result.output
        assert "11 done now" in result.output  # 6 + 5 noise samples
        again = run_cli(["replay", config, "-q", "--json"])
        assert_cli_ok(again)
        summary = json.loads(again.output)
        assert summary["complete"] and all(t["done"] == 0 for t in summary["targets"])


def test_replay_with_missing_key_variable_exits_2(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 2)
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log,
                          baseline={"api_key_env": "SWAPKIT_TEST_UNSET_KEY"})
    assert_usage_error(run_cli(["replay", config]), "SWAPKIT_TEST_UNSET_KEY is not set")


def test_endpoint_down_exits_3(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 4)
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log,
                          baseline={"max_retries": 0}, candidate={"max_retries": 0})
    result = run_cli(["replay", config, "-q", "--fail-fast"])
    assert result.exit_code == 3, result.output
    assert "preflight failed, nothing was sent" in result.output
    assert "Traceback" not in result.output
    result = run_cli(["replay", config, "-q", "--fail-fast", "--no-preflight"])
    assert result.exit_code == 3, result.output
    assert "replay aborted" in result.output and "Traceback" not in result.output


def test_sim_command_serves_and_stops_by_itself() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "swapkit", "sim", "-p", "r1-like", "-p", "qwen3-like", "--log",
         str(EXAMPLES / "travel-assistant" / "logs" / "chat.jsonl"), "--port", "0",
         "--exit-after", "0.5"], capture_output=True, text=True, timeout=60, check=True)
    assert process.stdout.startswith("http://127.0.0.1:")
    assert "deepseek-r1-sim, qwen3-sim" in process.stderr


def test_sim_refuses_non_loopback_hosts_and_unknown_profiles() -> None:
    assert_usage_error(run_cli(["sim", "-p", "r1-like", "--host", "0.0.0.0"]), "loopback only")
    assert_usage_error(run_cli(["sim", "-p", "nope"]), "profile 'nope' not found", "r1-like")
