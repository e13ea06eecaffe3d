"""`swapkit plan` and `swapkit run` agree on which gates apply: one rule (a metric's
``applies_to``) decides, before the replay, which records a metric can score."""

from __future__ import annotations

import json
from pathlib import Path

from swapkit.config import load_config
from swapkit.pipeline import RunOptions, run_migration
from swapkit.plan import plan_migration
from swapkit.sim import start_simulator

from .conftest import run_cli
from .simhelp import profile, write_config, write_log

SUITE = {
    "critical_segments": ["extract"],
    "gates": [
        {"metric": "failure_rate", "margin": 0.05},
        {"metric": "similarity_to_reference", "margin": 0.05},
        {"metric": "exact_match", "margin": 0.05},
        {"metric": "json_valid", "margin": 0.05},
        {"metric": "tool_call_match", "margin": 0.05},
        {"metric": "refusal", "kind": "equivalence", "margin": 0.05, "hard": False},
    ],
}


def _log_without_references(path: Path, n: int) -> Path:
    write_log(path, n)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in line.items() if k != "reference"})
                            + "\n" for line in lines), encoding="utf-8")
    return path


def test_plan_and_run_agree_on_the_gates_that_apply(tmp_path: Path) -> None:
    log = _log_without_references(tmp_path / "log.jsonl", 60)
    with start_simulator([profile("base-sim"), profile("cand-sim")], [log]) as sim:
        path = write_config(tmp_path, sim.base_url, log=log, suite=SUITE,
                            noise={"enabled": False})
        config = load_config(path)
        plan = plan_migration(config)
        result = run_migration(config, RunOptions(quiet=True, formats=["json"],
                                                  report_dir=tmp_path / "report"))
    planned = {g.gate: g for g in plan.gates}
    decided = {g.name: g for g in result.decision.gates}
    assert set(planned) == set(decided)  # the critical-segment copies included
    for name, gate in decided.items():
        assert planned[name].applicable == (gate.status != "NOT_APPLICABLE"), name
    not_applicable = {name for name, g in planned.items() if not g.applicable}
    assert not_applicable == {"similarity_to_reference", "exact_match", "json_valid",
                              "tool_call_match"}
    assert planned["failure_rate@extract"].records == 20
    text = run_cli(["plan", path]).output
    assert "similarity_to_reference      not applicable: similarity_to_reference applies to " \
           "no record" in text
    assert "expect INCONCLUSIVE" not in text.split("similarity_to_reference")[1].split("\n")[0]


def test_plan_counts_only_the_records_a_metric_applies_to(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", 90, json_mode_every=3)  # every 3rd asks for JSON
    path = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log, suite={
        "min_n": 40, "gates": [{"metric": "json_valid", "margin": 0.05},
                               {"metric": "similarity_to_reference", "margin": 0.05}]})
    gates = {g.gate: g for g in plan_migration(load_config(path)).gates}
    assert gates["json_valid"].records == 30 and gates["similarity_to_reference"].records == 90
    text = run_cli(["plan", path]).output
    assert "json_valid                   too few records: 30, fewer than min_n 40; expect " \
           "INCONCLUSIVE" in text


def test_plan_and_run_take_a_suite_by_name_or_file(tmp_path: Path) -> None:
    """--suite on plan and run, as on score and gate: a bundled suite by name, or a file."""
    log = write_log(tmp_path / "log.jsonl", 30)
    path = write_config(tmp_path, "http://127.0.0.1:9/v1", log=log, suite={
        "gates": [{"metric": "exact_match", "margin": 0.05}]})
    planned = json.loads(run_cli(["plan", path, "--json", "--suite", "chat-assistant"]).output)
    assert "exact_match" not in {g["gate"] for g in planned["gates"]}
    assert len(planned["gates"]) > 1
    own = tmp_path / "own.yaml"
    own.write_text("gates:\n  - {metric: json_valid, margin: 0.05}\n", encoding="utf-8")
    planned = json.loads(run_cli(["plan", path, "--json", "--suite", str(own)]).output)
    assert [g["gate"] for g in planned["gates"]] == ["json_valid"]
    missing = run_cli(["run", path, "--suite", "no-such-suite", "--dry-run"])
    assert missing.exit_code == 2 and "no-such-suite" in missing.output
