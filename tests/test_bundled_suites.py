"""The bundled suites: built into the package, listed from it, and named in swap.yaml or on
the command line instead of a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from swapkit.cli.options import load_suite_option
from swapkit.config import bundled, load_config, load_suite
from swapkit.errors import ConfigError

from .conftest import assert_cli_ok, run_cli

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(p.stem for p in (ROOT / "suites").glob("*.yaml"))


def _swap_yaml(folder: Path, suite: str) -> Path:
    (folder / "log.jsonl").write_text("", encoding="utf-8")
    path = folder / "swap.yaml"
    path.write_text(
        "name: t\nlog: {path: log.jsonl}\n"
        "baseline: {model: a, base_url: 'http://127.0.0.1:1/v1'}\n"
        "candidate: {model: b, base_url: 'http://127.0.0.1:1/v1'}\n"
        f"suite: {suite}\n", encoding="utf-8")
    return path


def test_the_build_puts_the_suites_in_the_package(tmp_path: Path) -> None:
    """setup.py's build step (what `pip wheel .` runs) copies suites/ into swapkit/suites/,
    and a tree without the checkout's suites/ finds and lists them there."""
    build = tmp_path / "lib"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
                   cwd=ROOT, check=True, capture_output=True)
    assert sorted(p.stem for p in (build / "swapkit" / "suites").glob("*.yaml")) == NAMES
    env = {**os.environ, "PYTHONPATH": str(build), "HF_HUB_OFFLINE": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "from swapkit.config.bundled import bundled_suites_dir as d; "
         "print(d())"], cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    assert Path(where.stdout.strip()) == build / "swapkit" / "suites"
    listed = subprocess.run([sys.executable, "-m", "swapkit", "suites", "list"], cwd=tmp_path,
                            env=env, check=True, capture_output=True, text=True)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == NAMES


def test_suites_list_names_every_bundled_suite() -> None:
    result = run_cli(["suites", "list"])
    assert_cli_ok(result)
    assert [line.split()[0] for line in result.output.splitlines()] == NAMES


def test_no_bundled_suites_is_an_error_not_an_empty_list(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "PACKAGED_SUITES", tmp_path / "a")
    monkeypatch.setattr(bundled, "REPOSITORY_SUITES", tmp_path / "b")
    result = run_cli(["suites", "list"])
    assert result.exit_code == 2
    assert "the bundled suites are missing" in result.output
    assert "reinstall" in result.output


def test_swap_yaml_names_a_bundled_suite(tmp_path: Path) -> None:
    config = load_config(_swap_yaml(tmp_path, "chat-assistant"))
    assert config.suite == load_suite(ROOT / "suites" / "chat-assistant.yaml")


def test_a_file_of_that_name_wins_over_the_bundled_suite(tmp_path: Path) -> None:
    (tmp_path / "chat-assistant").write_text("metrics: [exact_match]\n", encoding="utf-8")
    config = load_config(_swap_yaml(tmp_path, "chat-assistant"))
    assert config.suite is not None and not isinstance(config.suite, Path)
    assert config.suite.metrics == ["exact_match"]


@pytest.mark.parametrize("name", ["no-such-suite", "missing.yaml", "sub/chat-assistant"])
def test_an_unknown_suite_says_where_and_lists_the_bundled_ones(tmp_path: Path,
                                                                name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_swap_yaml(tmp_path, name))
    assert f"{tmp_path / 'swap.yaml'}:5: no suite file" in caught.value.message
    assert "chat-assistant" in (caught.value.hint or "")


def test_the_suite_flag_takes_a_name_or_a_file() -> None:
    by_name = load_suite_option(Path("json-extraction"))
    assert by_name == load_suite(ROOT / "suites" / "json-extraction.yaml")
    assert load_suite_option(ROOT / "suites" / "rag-answer.yaml") == load_suite(
        ROOT / "suites" / "rag-answer.yaml")
    with pytest.raises(ConfigError, match="--suite: no suite file"):
        load_suite_option(Path("nope"))


def test_suites_show_takes_a_bundled_name() -> None:
    result = run_cli(["suites", "show", "tool-calling"])
    assert_cli_ok(result)
    assert "tool_call_match" in result.output


def test_a_suite_listing_a_metric_twice_is_refused_naming_it() -> None:
    """Scores are stored one row per metric: a metric listed twice (say with two option
    sets) crashed scoring with a UNIQUE constraint; the suite now says so when loaded."""
    from pydantic import ValidationError

    from swapkit.config import Suite

    with pytest.raises(ValidationError, match="exact_match listed more than once"):
        Suite.model_validate({"metrics": ["exact_match", {"exact_match": {"extract": "json"}}]})
    Suite.model_validate({"metrics": ["exact_match", "rouge_l"]})
