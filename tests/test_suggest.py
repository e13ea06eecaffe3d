"""Suggesting a suite from a log, showing suites, and warning about unchecked traffic."""

from __future__ import annotations

from pathlib import Path

import yaml

from swapkit.config import Suite, load_config
from swapkit.plan import plan_migration
from swapkit.scoring.suggest import coverage_warnings, suggest_suite

from .conftest import assert_cli_ok, run_cli
from .metrichelp import record

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "examples" / "product-search" / "logs" / "chat.jsonl"


def test_needs_follow_the_requests_and_references() -> None:
    records = [
        record(0, reference=18), record(1, reference="$1,234.50"), record(2, reference="refund"),
        record(3, reference="Take the tram and buy the ticket online."),
        record(4, reference={"brand": "acme"}, response_format={"type": "json_object"}),
        record(5), record(6, reference={"tool_calls": [{"name": "search", "arguments": "{}"}]}),
    ]
    suggestion = suggest_suite(records)
    metrics = {need.metric for need in suggestion.needs["(none)"]}
    assert metrics == {"answer_match", "label_match", "similarity_to_reference", "json_valid",
                       "json_field_match", "similarity", "tool_call_match"}
    suite = Suite.model_validate(yaml.safe_load(suggestion.suite_yaml()))
    assert any(g.metric == "failure_rate" and g.hard for g in suite.gates)


def test_a_suite_that_checks_no_json_is_told_so() -> None:
    records = [record(i, response_format={"type": "json_object"}) for i in range(30)]
    records += [record(100 + i) for i in range(60)]
    warnings = coverage_warnings(Suite(metrics=["similarity"]), records)
    assert len(warnings) == 1 and warnings[0].startswith("33% of the records (30)")
    assert "json_valid" in warnings[0]
    assert coverage_warnings(Suite(metrics=["similarity", "json_valid"]), records) == []


def test_suites_suggest_show_and_plan(tmp_path: Path) -> None:
    result = run_cli(["suites", "suggest", str(LOG), "-o", str(tmp_path / "s.yaml")])
    assert_cli_ok(result)
    assert "attribute_extraction" in result.output and "json_valid" in result.output
    assert_cli_ok(run_cli(["suites", "validate", str(tmp_path / "s.yaml")]))
    shown = run_cli(["suites", "show", "math-reasoning"])
    assert_cli_ok(shown)
    assert "answer_match" in shown.output
    assert run_cli(["suites", "show", "nope"]).exit_code == 2
    config = tmp_path / "swap.yaml"
    config.write_text(yaml.safe_dump({
        "name": "p", "log": {"path": str(LOG), "segment": "metadata.route"},
        "baseline": {"recorded": True}, "candidate": {"recorded": True},
        "suite": {"metrics": ["similarity"]}}), encoding="utf-8")
    plan = plan_migration(load_config(config))
    assert any("json_valid" in w for w in plan.coverage)
    assert "warning    " in run_cli(["plan", str(config)]).output
