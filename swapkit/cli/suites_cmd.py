"""``swapkit suites``: the bundled suites, showing and validating suite files, and
suggesting one for a log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from pydantic import BaseModel

    from swapkit.config import Suite

__all__ = ["suites_group"]


def suite_path(name: str) -> Path:
    """A suite file given by path, or a bundled suite's by name."""
    from swapkit.config.bundled import resolve_suite_path

    return resolve_suite_path(Path(name), name, "suite")


@click.group("suites")
def suites_group() -> None:
    """List, show, validate and suggest suites (metrics + gates for a kind of traffic)."""


@suites_group.command("list")
def list_command() -> None:
    """List the bundled suites (installed with swapkit) with their descriptions.

    Any of these names works where a suite file does: `suite: chat-assistant` in
    swap.yaml, `--suite chat-assistant`, `swapkit suites show chat-assistant`.

    Example:

    \b
        swapkit suites list
    """
    from swapkit.config import load_suite
    from swapkit.config.bundled import bundled_suites

    for path in bundled_suites().values():
        suite = load_suite(path)
        first = (suite.description or "").split(". ")[0].strip()
        click.echo(f"{path.stem:<24} {len(suite.gates):>2} gates  {first}")


@suites_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Validate suite files: keys, metric names and options, gate rules.

    Example:

    \b
        swapkit suites validate suites/*.yaml
    """
    from swapkit.scoring.suite_check import check_suite

    for path in paths:
        check_suite(path)
        click.echo(f"{path}: valid")


@suites_group.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print a suite (a bundled one by name, or a suite file) and its judge templates.

    For each judge metric: its options (defaults included), its gates' margins and its
    prompt template (the shipped version and its text, or the suite's own file).

    Example:

    \b
        swapkit suites show math-reasoning
    """
    from swapkit.scoring.suite_check import check_suite

    path = suite_path(name)
    suite = check_suite(path)
    click.echo(clean(path.read_text(encoding="utf-8").rstrip()))
    for section in _judge_sections(suite):
        click.echo("")
        click.echo(clean(section))  # a user template is the suite author's text


def _judge_sections(suite: Suite) -> list[str]:
    """For each judge metric of ``suite``: its options, gates and template, as text."""
    from swapkit.config import JUDGE_METRICS
    from swapkit.decision.gates import default_margin
    from swapkit.replay.judge import load_template
    from swapkit.replay.pointwise import ReferenceOptions, ScoreOptions, pointwise_ask
    from swapkit.scoring.metrics import get_metric
    from swapkit.scoring.metrics.base import RunData
    from swapkit.scoring.metrics.judge import JudgeOptions
    from swapkit.scoring.score import suite_specs

    models: dict[str, type[BaseModel]] = {"judge_pairwise": JudgeOptions,
                                          "judge_score": ScoreOptions,
                                          "judge_reference": ReferenceOptions}
    sections = []
    for name, options in suite_specs(suite):
        if name not in JUDGE_METRICS:
            continue
        shown = [f"{option}: {_shown(options.get(option, field.default))}" + (
            "" if option in options else " (default)")
            for option, field in models[name].model_fields.items() if option != "template"]
        lines = [f"judge metric {name}:"] + (
            ["  options:", *(f"    {line}" for line in shown)] if shown else [])
        kind = get_metric(name).score(RunData([], [], [], []), options)
        gates = [gate for gate in suite.gates if gate.metric == name]
        lines += [f"  gate {gate.display_name}: {gate.kind}, margin "
                  f"{default_margin(gate, kind):g}" + (
                      "" if gate.margin is not None else " (default, docs/methodology.md "
                      "§2.6)") + ("" if gate.hard else ", soft") for gate in gates]
        if not gates:
            lines.append("  not gated (scored and reported only)")
        template = (load_template(Path(options["template"]) if options.get("template")
                                  else None) if name == "judge_pairwise"
                    else pointwise_ask(name, options).template)
        shipped = options.get("template") is None
        lines.append(f"  template: {template.version}" + (
            " (shipped; the option template: names a file of your own)" if shipped
            else " (the suite's file)"))
        lines += [f"    | {line}" if line else "    |"
                  for line in template.source.rstrip().splitlines()]
        sections.append("\n".join(lines))
    return sections


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value).replace("\n", "\n      ")  # a rubric's lines stay under its option


@suites_group.command("suggest")
@click.argument("log", type=click.Path(path_type=Path))
@click.option("--format", "format_", default="auto", show_default=True,
              help="log format (see `swapkit formats`)")
@click.option("--segment", "segment_field", metavar="PATH",
              help="dotted path of the segment, e.g. metadata.route")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write the suggested suite to this file")
def suggest_command(log: Path, format_: str, segment_field: str | None,
                    output: Path | None) -> None:
    """Suggest metrics and gates for a log, per segment, from its requests and references.

    JSON mode, schemas, tool calls, numeric, label, JSON or free-text references, and
    traffic without references each call for their own checks; the suggested suite
    covers all of them (edit its margins before use).

    Example:

    \b
        swapkit suites suggest last-week.jsonl -o suite.yaml
    """
    from swapkit.config import LogSource
    from swapkit.ingest.formats import read_log
    from swapkit.scoring.suggest import suggest_suite

    suggestion = suggest_suite(read_log(LogSource(path=log, format=format_,
                                                  segment_field=segment_field)))
    click.echo(clean(suggestion.table()))  # segment names come from the log
    if output is not None:
        output.write_text(suggestion.suite_yaml(), encoding="utf-8")
        click.echo(f"suite written to {output}")
    else:
        click.echo("")
        click.echo(clean(suggestion.suite_yaml().rstrip()))

