"""``swapkit replay``: the sampled log against both targets, into the run store (resumable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from swapkit.cli.options import (
    only_option,
    preflight_option,
    print_config_warnings,
    ray_option,
    with_execution,
)
from swapkit.support.numbers import fmt_count, fmt_duration, fmt_money
from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from swapkit.replay.engine import ReplaySummary

__all__ = ["render_summary", "replay_command"]


@click.command("replay")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="run store folder (default: run_dir in swap.yaml)")
@only_option
@click.option("--max-requests", type=click.IntRange(min=1),
              help="stop cleanly after this many HTTP requests (retries count)")
@click.option("--max-spend", "max_spend", type=click.FloatRange(min=0), metavar="USD",
              help="stop cleanly once stored completions cost this much")
@click.option("--fail-fast", is_flag=True, default=None,
              help="abort at the first failed completion (exit 3)")
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
@click.option("--json", "json_", is_flag=True, help="print the summary as JSON")
@preflight_option
@ray_option
def replay_command(config_path: Path, run_dir: Path | None, only: str | None,
                   max_requests: int | None, max_spend: float | None, fail_fast: bool | None,
                   quiet: bool, json_: bool, no_preflight: bool, ray_address: str | None) -> None:
    """Replay the sampled log against the baseline and candidate into the run store.

    Rerunning resumes: completed requests are skipped, failed ones retried.

    Example:

    \b
        swapkit replay examples/travel-assistant/swap.yaml --max-spend 5
    """
    from swapkit.config import load_config
    from swapkit.replay.engine import ReplayOptions, replay_run

    config = with_execution(load_config(config_path), None, ray_address)
    print_config_warnings(config)
    options = ReplayOptions(run_dir=run_dir, only=only, max_requests=max_requests,
                            max_spend_usd=max_spend, fail_fast=fail_fast, quiet=quiet,
                            preflight=not no_preflight)
    summary = replay_run(config, options)
    click.echo(json.dumps(summary.as_dict(), indent=2) if json_ else render_summary(summary))
    if summary.interrupted:
        raise click.exceptions.Exit(130)


def render_summary(summary: ReplaySummary) -> str:
    """The end-of-replay summary for a terminal."""
    lines = [f"run        {summary.run_dir}",
             f"records    {fmt_count(summary.records)} ({fmt_count(summary.noise_records)} "
             "with extra baseline samples)"]
    executor = summary.extra.get("executor")
    if executor:
        lines.append(f"executor   {executor['kind']}, {fmt_count(executor['shards'])} shards")
    for t in summary.targets:
        statuses = ", ".join(f"{k} {fmt_count(v)}" for k, v in t.status.most_common()) or "-"
        lines.append(
            f"{t.side:<10} {t.label}: {fmt_count(t.done)} done now, "
            f"{fmt_count(t.skipped)} already stored, {fmt_count(t.remaining)} left; "
            f"{statuses}; {fmt_count(t.retries)} retries; {fmt_money(t.spend_usd)}")
    state = "complete" if summary.complete else "incomplete"
    if summary.unreached:
        state = (f"incomplete: {fmt_count(summary.unreached)} requests did not reach the "
                 "endpoint (or stayed rate limited); rerun to retry them")
    if summary.interrupted:
        state = "interrupted: rerun the same command to resume"
    elif summary.stopped:
        state = f"stopped early: {summary.stopped}; rerun to continue"
    lines.append(f"replay     {state} in {fmt_duration(summary.wall_s)}")
    return clean("\n".join(lines))  # log text may carry ANSI escapes
