"""The CLI in-process: inspect on every example, and every bad-input case exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES, ROOT, assert_cli_ok, assert_usage_error, run_cli

TRAVEL = EXAMPLES / "travel-assistant" / "logs"
SEARCH = EXAMPLES / "product-search" / "logs"
SEARCH_COLUMNS = ["--column", "prompt=query", "--column", "system=system_prompt",
                  "--column", "segment=route", "--column", "response=model_answer",
                  "--column", "reference=expected", "--column", "id=query_id",
                  "--column", "timestamp=logged_at"]


def inspect_json(*args: object) -> dict:
    result = run_cli(["inspect", *args, "--json"])
    assert_cli_ok(result)
    return json.loads(result.output)


TRAVEL_SEGMENTS = {"itinerary": 7, "visa_faq": 3, "flight_search": 3, "hotel_search": 2}


@pytest.mark.parametrize("name", ["chat.jsonl", "native.jsonl"])
def test_travel_log_figures(name: str) -> None:
    stats = inspect_json(TRAVEL / name)
    assert stats["format"] == {"chat.jsonl": "openai-chat", "native.jsonl": "swapkit"}[name]
    assert (stats["records"], stats["unique_requests"], stats["duplicates"]) == (15, 14, 1)
    assert stats["segments"] == TRAVEL_SEGMENTS
    shares = stats["shares"]
    # 4 QA + 4 tool + 1 multi-turn + the duplicate of a QA line carry a reference.
    assert shares["reference"] == pytest.approx(10 / 15)
    assert shares["tools"] == pytest.approx(5 / 15)  # 4 tool lines + 1 multi-turn flight
    assert shares["multi_turn"] == pytest.approx(2 / 15)
    assert shares["reasoning"] == 1.0 and shares["response"] == 1.0
    assert stats["response_status"] == {"ok": 14, "truncated": 1}
    assert stats["first_timestamp"].startswith("2026-11-16T08:47")


def test_messages_log_figures() -> None:
    stats = inspect_json(TRAVEL / "messages.jsonl")
    assert stats["format"] == "messages" and stats["records"] == 15
    assert stats["shares"]["response"] == 0.0
    # A trailing assistant turn (answer text or tool call) is the reference: 11 of 15.
    assert stats["shares"]["reference"] == pytest.approx(11 / 15)


def test_batch_log_figures() -> None:
    stats = inspect_json(TRAVEL / "batch_input.jsonl", "--batch-output",
                         TRAVEL / "batch_output.jsonl")
    assert stats["format"] == "openai-batch" and stats["records"] == 14
    assert stats["response_status"] == {"ok": 11, "rate_limited": 1, "error": 1,
                                        "truncated": 1}
    without = inspect_json(TRAVEL / "batch_input.jsonl")
    assert without["shares"]["response"] == 0.0


@pytest.mark.parametrize(("target", "extra", "fmt"), [
    (SEARCH / "chat.jsonl", [], "openai-chat"),
    (SEARCH / "queries.csv", SEARCH_COLUMNS, "csv"),
    (SEARCH / "requests.parquet", [], "parquet"),
    (SEARCH / "hf_dataset", SEARCH_COLUMNS, "hf-dataset"),
])
def test_search_log_figures(target: Path, extra: list[str], fmt: str) -> None:
    stats = inspect_json(target, *extra)
    assert stats["format"] == fmt and stats["records"] == 12
    assert stats["segments"] == {"attribute_extraction": 6, "category_routing": 4,
                                 "query_rewrite": 2}
    assert stats["shares"]["reasoning"] == 1.0
    assert stats["response_status"] == {"ok": 12}
    if fmt in ("openai-chat", "parquet"):
        assert stats["response_formats"] == {"json_object": 3, "json_schema": 3}


def test_text_output_and_config_preflight() -> None:
    result = run_cli(["inspect", TRAVEL / "chat.jsonl"])
    assert_cli_ok(result)
    assert "15 (14 unique requests, 1 duplicate)" in result.output
    assert "itinerary" in result.output
    result = run_cli(["inspect", EXAMPLES / "product-search" / "swap.yaml", "--no-preflight"])
    assert_cli_ok(result)
    assert "sample     12 records" in result.output
    assert "candidate 12" in result.output


def test_config_preflight_json_with_keys_set() -> None:
    result = run_cli(["inspect", EXAMPLES / "travel-assistant" / "swap.yaml", "--json",
                      "--no-preflight"],
                     env={"DEEPSEEK_API_KEY": "sk-test-secret-1", "DASHSCOPE_API_KEY": "x"})
    assert_cli_ok(result)
    report = json.loads(result.output)
    assert report["sample_size"] == 14  # the duplicate is dropped
    assert report["requests_per_target"] == {"baseline": 14 + 14, "candidate": 14}
    assert "sk-test-secret-1" not in result.output


def test_unset_api_key_env_exits_2() -> None:
    result = run_cli(["inspect", EXAMPLES / "travel-assistant" / "swap.yaml"],
                     env={"DEEPSEEK_API_KEY": "", "DASHSCOPE_API_KEY": ""})
    assert_usage_error(result, "DEEPSEEK_API_KEY is not set", "export DEEPSEEK_API_KEY")


def test_malformed_line_exits_2_and_skip_invalid_counts(tmp_path: Path) -> None:
    log = tmp_path / "bad.jsonl"
    good = (TRAVEL / "chat.jsonl").read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join([good[0], "{not json", good[1], '{"request": 3}']) + "\n",
                   encoding="utf-8")
    assert_usage_error(run_cli(["inspect", log]), f"{log}:2: not valid JSON", "--skip-invalid")
    result = run_cli(["inspect", log, "--skip-invalid"])
    assert_cli_ok(result)
    assert "invalid    2 lines skipped: 2, 4" in result.output
    assert inspect_json(log, "--skip-invalid")["invalid_line_numbers"] == [2, 4]


@pytest.mark.parametrize(("args", "fragments"), [
    (["inspect", "missing.jsonl"], ["missing.jsonl: no such file"]),
    (["inspect", TRAVEL / "chat.jsonl", "--format", "xml"],
     ["unknown log format 'xml'", "openai-chat"]),
    (["inspect", SEARCH / "queries.csv"], ["no prompt column", "query", "--column"]),
    (["inspect", SEARCH / "queries.csv", "--column", "prompt=question"],
     ["column 'question' (mapped to prompt) does not exist"]),
    (["inspect", SEARCH / "queries.csv", "--column", "promt=query"], ["FIELD=COLUMN"]),
    (["inspect", TRAVEL / "batch_output.jsonl"], ["batch *output* (results) file"]),
])
def test_bad_input_exits_2(args: list[object], fragments: list[str]) -> None:
    assert_usage_error(run_cli(args), *fragments)


def test_config_typo_and_missing_config_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "swap.yaml"
    config.write_text("name: x\nlog: {path: a.jsonl}\nbaseline: {recorded: true}\n"
                      "candidate: {recorded: true}\nreprot: {dir: out}\n", encoding="utf-8")
    assert_usage_error(run_cli(["inspect", config]), "swap.yaml:5: reprot: unknown key",
                       "did you mean 'report'?")
    assert_usage_error(run_cli(["inspect", tmp_path / "nope.yaml"]), "no such file")


def test_formats_and_schema_commands() -> None:
    result = run_cli(["formats"])
    assert_cli_ok(result)
    for name in ("swapkit", "openai-chat", "openai-batch", "openai-stored", "messages", "csv",
                 "parquet", "hf-dataset"):
        assert name in result.output


@pytest.mark.parametrize("kind", ["swap", "suite", "report"])
def test_committed_schemas_have_not_drifted(kind: str) -> None:
    result = run_cli(["schema", kind])
    assert_cli_ok(result)
    committed = (ROOT / "swapkit" / "schemas" / f"{kind}.schema.json").read_text()
    assert result.output == committed, f"run: swapkit schema {kind} -o swapkit/schemas/..."


def test_python_dash_m_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "swapkit", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("swapkit, version ")


def test_reference_docs_are_current() -> None:
    from swapkit.cli.docs import update_docs

    assert update_docs(check=True) == [], "stale reference docs: run `python -m swapkit.cli.docs`"


def test_ci_examples_are_valid_yaml_and_run_swapkit() -> None:
    import yaml

    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (EXAMPLES / "ci" / name).read_text(encoding="utf-8")
        assert yaml.safe_load(text) and "swapkit run swap.yaml" in text


def test_ci_examples_restore_the_run_store_before_the_run() -> None:
    import yaml

    text = (EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8")
    steps = yaml.safe_load(text)["jobs"]["gate"]["steps"]
    uses = [str(s.get("uses", "")) + str(s.get("run", "")) for s in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore"))
    run = next(i for i, u in enumerate(uses) if "swapkit run" in u)
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save"))
    assert restore < run < save and steps[save]["if"] == "always()"
    assert steps[restore]["with"]["path"] == steps[save]["with"]["path"] == "swapkit-runs"
    for name in ("github-actions.yml", "gitlab-ci.yml"):  # where the suite file lives
        assert "relative to swap.yaml" in (EXAMPLES / "ci" / name).read_text(encoding="utf-8")
