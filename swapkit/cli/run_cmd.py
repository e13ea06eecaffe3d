"""``swapkit run``: the main job, replay → score → decide → report, with the verdict's exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from swapkit.cli.options import (
    apply_filter_flags,
    exit_with_verdict,
    filter_options,
    inconclusive_option,
    only_option,
    preflight_option,
    print_config_warnings,
    ray_option,
    stage_printer,
    suite_option,
    target_options,
    target_overrides,
    threads_option,
    verbosity,
    with_execution,
    with_suite,
)
from swapkit.cli.style import colour_enabled
from swapkit.config.lineup import MULTIPLICITY, RANK_BY

if TYPE_CHECKING:
    from swapkit.config import SwapConfig
    from swapkit.lineup import LineupResult
    from swapkit.pipeline import RunOptions, RunResult

__all__ = ["finish", "run_command", "run_json", "show_lineup"]


def run_json(result: RunResult) -> str:
    """What ``run --json`` prints: the verdict, the headline, the reports written (absolute
    paths) and the whole decision, one JSON document."""
    return json.dumps({
        "verdict": result.decision.verdict, "headline": result.decision.headline,
        "reason": result.decision.reason,
        "reports": {name: str(path.resolve()) for name, path in result.reports.items()},
        "decision": result.decision.model_dump(mode="json"),
    }, indent=2, ensure_ascii=False)


def finish(result: RunResult, inconclusive: str, json_: bool = False) -> None:
    """Print the decision and the reports written, then exit with the verdict's code."""
    from swapkit.cli.gate_cmd import render_decision

    if json_:
        click.echo(run_json(result))
        exit_with_verdict(result.decision, inconclusive)
    click.echo(render_decision(result.decision, colour=colour_enabled(),
                               verbose=verbosity() > 0))
    click.echo("")
    for name, path in result.reports.items():
        click.echo(f"report {name:<6} {path}")
    exit_with_verdict(result.decision, inconclusive)


@click.command("run")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would be sent and its cost; send nothing")
@click.option("--max-records", type=click.IntRange(min=1), help="sample at most this many records")
@only_option
@click.option("--report-only", is_flag=True, help="no replay: score, decide and report the store")
@click.option("--max-requests", type=click.IntRange(min=1), help="stop replay after N requests")
@click.option("--max-spend", type=click.FloatRange(min=0), metavar="USD", help="spend cap")
@click.option("--fail-fast", is_flag=True, default=None, help="abort at the first failure")
@inconclusive_option
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--report-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
@click.option("--json", "json_", is_flag=True,
              help="print the decision and the report paths as JSON (nothing else on stdout; "
              "with --dry-run: the plan)")
@preflight_option
@threads_option
@ray_option
@click.option("--candidates", "candidate_names", metavar="LIST",
              help="a lineup (candidates: in swap.yaml): run only these, comma-separated")
@click.option("--rank-by", type=click.Choice(RANK_BY), default=None,
              help="a lineup: what picks the recommended candidate (default: lineup.rank_by "
                   "of swap.yaml, cost)")
@click.option("--multiplicity", type=click.Choice(MULTIPLICITY), default=None,
              help="a lineup: how the recommendation holds α (a fixed sequence, dearest "
              "planned first; or Holm across the candidates; default: lineup.multiplicity)")
@click.option("--early-stop", "early_stop", is_flag=True,
              help="one candidate: stop sending it requests once a hard gate is a NO-GO at "
                   "any later point (an anytime-valid bound; a lineup does so by default)")
@click.option("--no-early-stop", "no_early_stop", is_flag=True,
              help="a lineup: replay every candidate's whole sample (by default a candidate "
                   "stops being sent requests once a hard gate is a settled NO-GO)")
@click.option("--require", metavar="NAME",
              help="a lineup: exit with this candidate's verdict (a CI gate on one upgrade)")
@filter_options
@suite_option
@target_options
def run_command(config_path: Path, dry_run: bool, max_records: int | None, only: str | None,
                report_only: bool, max_requests: int | None, max_spend: float | None,
                fail_fast: bool | None, inconclusive: str, run_dir: Path | None,
                report_dir: Path | None, quiet: bool, json_: bool, no_preflight: bool,
                threads: int | None, ray_address: str | None, suite_path: Path | None,
                candidate_names: str | None, rank_by: str | None, multiplicity: str | None,
                early_stop: bool, no_early_stop: bool, require: str | None, **flags: Any) -> None:
    """Replay, score, decide and report a migration; exit with the verdict's code.

    Exit codes: 0 GO, 1 NO-GO, 4 INCONCLUSIVE (0 with --inconclusive warn|pass),
    2 usage or config error, 3 runtime error, 130 interrupted. A rerun resumes.

    Example:

    \b
        swapkit run swap.yaml --candidate-model qwen3-235b-a22b --max-spend 20
        swapkit run swap.yaml --filter-model 'deepseek-r1*' --since 7d
    """
    from swapkit.config import check_environment, load_config
    from swapkit.pipeline import RunOptions, apply_overrides, run_migration

    config = apply_overrides(load_config(config_path), target_overrides(flags))
    config = with_suite(apply_filter_flags(config, flags), suite_path)
    print_config_warnings(config)
    config = with_execution(config, threads, ray_address)
    options = RunOptions(max_records=max_records, only=only, report_only=report_only,
                         quiet=quiet, max_requests=max_requests, max_spend_usd=max_spend,
                         fail_fast=fail_fast, run_dir=run_dir, report_dir=report_dir,
                         preflight=not no_preflight)
    if dry_run:
        from swapkit.cli.plan_cmd import render_plan
        from swapkit.pipeline import with_options
        from swapkit.plan import plan_migration

        check_environment(config)
        if config.candidates is not None:
            from swapkit.plan import plan_lineup

            plans = plan_lineup(with_options(config, options))
            click.echo(json.dumps({"candidates": {name: plan.model_dump(mode="json")
                                                  for name, plan in plans}}, indent=2)
                       if json_ else "\n\n".join(f"candidate  {name}\n{render_plan(plan)}"
                                                  for name, plan in plans))
            return
        plan = plan_migration(with_options(config, options))
        click.echo(plan.model_dump_json(indent=2) if json_ else render_plan(plan, example=True))
        return
    if config.candidates is not None:
        if any(v is not None for v in target_overrides(flags)["candidate"].values()):
            raise click.UsageError("--candidate-* flags change one candidate; this swap.yaml "
                                   "has a lineup (candidates:): edit the candidate there, or "
                                   "pick some with --candidates")
        names = [n.strip() for n in candidate_names.split(",") if n.strip()] if (
            candidate_names) else None
        finish_lineup(config, options, names, rank_by, multiplicity, require, inconclusive,
                      json_, early_stop=False if no_early_stop else None)
    if candidate_names or require:
        raise click.UsageError("--candidates and --require need a lineup (candidates: in "
                               "swap.yaml)")
    if early_stop:  # one candidate, watched as a lineup's are
        from swapkit.lineup import run_lineup
        from swapkit.pipeline import RunResult

        lineup = run_lineup(config, options, stage=stage_printer(quiet), multiplicity="holm",
                            early_stop=True, write_reports=False)
        watched = lineup.candidates[0]
        finish(RunResult(watched.decision, watched.reports, None, lineup.notes), inconclusive,
               json_)
    finish(run_migration(config, options, stage=stage_printer(quiet)), inconclusive, json_)


def finish_lineup(config: SwapConfig, options: RunOptions, names: list[str] | None,
                  rank_by: str | None, multiplicity: str | None, require: str | None,
                  inconclusive: str, json_: bool, early_stop: bool | None = None) -> None:
    """Run a lineup, print its table and recommendation, and exit with its code."""
    from swapkit.lineup import run_lineup

    try:
        members = [name for name, _ in config.members(names)]
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    if require is not None and require not in members:
        raise click.UsageError(f"--require {require}: not a candidate of this run "
                               f"({', '.join(members)})")
    result = run_lineup(config, options, names, rank_by,  # type: ignore[arg-type]
                        stage=stage_printer(options.quiet),
                        multiplicity=multiplicity,  # type: ignore[arg-type]
                        early_stop=early_stop)
    show_lineup(result, require, inconclusive, json_)


def show_lineup(result: LineupResult, require: str | None, inconclusive: str,
                json_: bool) -> None:
    """Print a lineup's table and recommendation (or its JSON), then exit with its code."""
    from swapkit.lineup import lineup_exit_code, lineup_headline, lineup_json, lineup_table

    if json_:
        click.echo(json.dumps({**lineup_json(result), "lineup_reports": {
            k: str(v.resolve()) for k, v in result.reports.items()}}, indent=2,
            ensure_ascii=False))
    else:
        rows = lineup_table(result)
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                           strict=True)))
        click.echo("")
        click.echo(lineup_headline(result))
        for note in result.notes:
            click.echo(f"note: {note}")
        for name, path in result.reports.items():
            click.echo(f"report {name:<6} {path}")
    raise click.exceptions.Exit(lineup_exit_code(result, require, inconclusive))
