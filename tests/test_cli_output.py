"""What the terminal shows: the headline, --json for machines, colour, -v, --debug,
shell completion, and help texts whose examples keep their lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from swapkit.cli import cli
from swapkit.cli.docs import _commands
from swapkit.cli.gate_cmd import render_decision
from swapkit.cli.style import colour_enabled
from swapkit.decision.model import Decision
from swapkit.store import RunStore

from .conftest import run_cli
from .reporthelp import hostile_run

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_run(tmp_path_factory.mktemp("out")).parent / "swap.yaml"


def stored_decision(config: Path) -> Decision:
    with RunStore(config.parent / "run", read_only=True) as store:
        return Decision.model_validate(store.get_meta("decision"))


def test_run_json_is_the_only_thing_on_stdout(config: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(config), "-q", "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)  # stdout alone parses: nothing else was printed there
    assert data["verdict"] == "NO-GO" and data["headline"].startswith("NO-GO: cand")
    assert data["decision"]["verdict"] == "NO-GO" and data["decision"]["schema_version"] == "2"
    assert set(data["reports"]) >= {"html", "json"}
    for path in data["reports"].values():
        assert Path(path).is_absolute() and Path(path).exists()
    dry = CliRunner().invoke(cli, ["run", str(config), "--dry-run", "--json"])
    assert dry.exit_code == 0 and json.loads(dry.stdout)["sample_size"] == 60


def test_score_json_has_the_means_the_table_shows(config: Path) -> None:
    result = run_cli(["score", config, "--json"])
    data = json.loads(result.output)
    exact = data["exact_match"]
    assert exact["n"] == 60 and exact["kind"] == "binary" and exact["higher_is_better"]
    assert exact["baseline"] == 1.0 and exact["candidate"] == pytest.approx(40 / 60)
    table = run_cli(["score", config]).output
    assert re.search(r"exact_match\s+60\s+100\.0%\s+66\.7%", table)


def test_the_terminal_leads_with_the_headline_and_verbose_adds_the_tests(config: Path
                                                                         ) -> None:
    plain = run_cli(["gate", config])
    assert plain.exit_code == 1
    first = plain.output.splitlines()[0]
    assert first == stored_decision(config).headline and first.count("exact_match") == 1
    assert "p(regression)" not in plain.output
    verbose = run_cli(["-v", "gate", config])
    assert "exact_match: exact unconditional test" in verbose.output
    assert "p(regression)" in verbose.output and "exact_match in a: n=30" in verbose.output


def test_colour_only_on_a_terminal_and_never_with_no_color(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decision = stored_decision(config)
    coloured = render_decision(decision, colour=True)
    assert "\x1b[" in coloured and ANSI.sub("", coloured) == render_decision(decision)
    assert coloured.startswith("\x1b[31m\x1b[1mNO-GO:")  # red, bold
    monkeypatch.setattr("sys.stdout", type("Tty", (), {"isatty": staticmethod(lambda: True)})())
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert colour_enabled()
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not colour_enabled()
    # CliRunner's stdout is no terminal: no escape codes even when click would keep them.
    result = CliRunner().invoke(cli, ["gate", str(config)], color=True)
    assert "\x1b[" not in result.output


def test_debug_prints_the_traceback_of_a_runtime_error(tmp_path: Path) -> None:
    missing = tmp_path / "nothing"
    plain = run_cli(["gate", missing])
    assert plain.exit_code == 2 and "Traceback" not in plain.output
    debug = run_cli(["--debug", "gate", missing])
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.output and "error: " in debug.output


def test_debug_traceback_of_a_runtime_failure(config: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    plain = run_cli(["report", config, "-o", blocked / "report"])
    assert plain.exit_code == 3 and "Traceback" not in plain.output
    debug = run_cli(["--debug", "report", config, "-o", blocked / "report"])
    assert debug.exit_code == 3 and "RuntimeFailure" in debug.output
    assert debug.output.rstrip().splitlines()[-1].startswith("error: ")


def test_shell_completion_is_clicks() -> None:
    script = CliRunner().invoke(cli, [], prog_name="swapkit",
                                env={"_SWAPKIT_COMPLETE": "bash_source"})
    assert "_SWAPKIT_COMPLETE=bash_complete" in script.output
    words = CliRunner().invoke(cli, [], prog_name="swapkit", env={
        "_SWAPKIT_COMPLETE": "bash_complete", "COMP_WORDS": "swapkit re",
        "COMP_CWORD": "1"})
    assert words.output.split() == ["plain,replay", "plain,report", "plain,review"]


def test_help_examples_keep_their_line_breaks() -> None:
    """Each example line of every command's docstring is a line of its --help."""
    for path, command in [([], cli), *_commands(cli, [])]:
        doc = command.help or ""
        examples = [line.strip() for line in doc.split("Example:", 1)[-1].splitlines()
                    if line.strip().startswith("swapkit")] if "Example:" in doc else []
        # The real CLI's help option names: click caches a command's help option.
        with click.Context(command, info_name=" ".join(["swapkit", *path]),
                           terminal_width=80, help_option_names=["-h", "--help"]) as ctx:
            shown = [line.strip() for line in command.get_help(ctx).splitlines()]
        for example in examples:
            assert example in shown, f"swapkit {' '.join(path)}: {example!r} was rewrapped"
