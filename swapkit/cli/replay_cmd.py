"""``swapkit replay`` and ``swapkit sim``."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from swapkit.sanitize import clean

if TYPE_CHECKING:
    from swapkit.replay.engine import ReplaySummary

__all__ = ["render_summary", "replay_command", "sim_command"]


@click.command("replay")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="run store folder (default: run_dir in swap.yaml)")
@click.option("--only", type=click.Choice(["baseline", "candidate"]),
              help="replay one side only")
@click.option("--max-requests", type=click.IntRange(min=1),
              help="stop cleanly after this many HTTP requests (retries count)")
@click.option("--max-spend", "max_spend", type=click.FloatRange(min=0), metavar="USD",
              help="stop cleanly once stored completions cost this much")
@click.option("--fail-fast", is_flag=True, default=None,
              help="abort at the first failed completion (exit 3)")
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
@click.option("--json", "json_", is_flag=True, help="print the summary as JSON")
def replay_command(config_path: Path, run_dir: Path | None, only: str | None,
                   max_requests: int | None, max_spend: float | None, fail_fast: bool | None,
                   quiet: bool, json_: bool) -> None:
    """Replay the sampled log against the baseline and candidate into the run store.

    Rerunning resumes: completed requests are skipped, failed ones retried.

    Example:

        swapkit replay examples/travel-assistant/swap.yaml --max-spend 5
    """
    from swapkit.config import load_config
    from swapkit.replay.engine import ReplayOptions, replay

    config = load_config(config_path)
    options = ReplayOptions(run_dir=run_dir, only=only, max_requests=max_requests,
                            max_spend_usd=max_spend, fail_fast=fail_fast, quiet=quiet)
    summary = replay(config, options)
    click.echo(json.dumps(summary.as_dict(), indent=2) if json_ else render_summary(summary))
    if summary.interrupted:
        raise click.exceptions.Exit(130)


def render_summary(summary: ReplaySummary) -> str:
    """The end-of-replay summary for a terminal."""
    lines = [f"run        {summary.run_dir}",
             f"records    {summary.records:,} ({summary.noise_records:,} with extra baseline "
             "samples)"]
    for t in summary.targets:
        statuses = ", ".join(f"{k} {v:,}" for k, v in t.status.most_common()) or "-"
        lines.append(
            f"{t.side:<10} {t.label}: {t.done:,} done now, {t.skipped:,} already stored, "
            f"{t.remaining:,} left; {statuses}; {t.retries:,} retries; ${t.spend_usd:,.4f}")
    state = "complete" if summary.complete else "incomplete"
    if summary.interrupted:
        state = "interrupted: rerun the same command to resume"
    elif summary.stopped:
        state = f"stopped early: {summary.stopped}; rerun to continue"
    lines.append(f"replay     {state} in {summary.wall_s:,.1f} s")
    return clean("\n".join(lines))  # log text may carry ANSI escapes


@click.command("sim")
@click.option("-p", "--profile", "profiles", multiple=True, required=True,
              metavar="NAME|PATH", help="a built-in profile (r1-like, qwen3-like, qwen3-fixed, "
              "instant) or a YAML file; repeat for several models")
@click.option("--log", "logs", multiple=True, type=click.Path(path_type=Path),
              help="a log whose references / recorded answers the models paraphrase")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port")
@click.option("--api-key", envvar="SWAPKIT_SIM_API_KEY",
              help="require this bearer key (default: accept any)")
@click.option("--exit-after", type=click.FloatRange(min=0), metavar="SECONDS",
              help="stop by itself after this long")
def sim_command(profiles: tuple[str, ...], logs: tuple[Path, ...], host: str, port: int,
                api_key: str | None, exit_after: float | None) -> None:
    """Serve simulated models on an OpenAI-compatible endpoint (loopback by default).

    Example:

        swapkit sim -p r1-like -p qwen3-like --log examples/travel-assistant/logs/chat.jsonl
    """
    from swapkit.errors import UsageError
    from swapkit.sim.runner import LOOPBACK, build_simulator, serve_forever

    if host not in LOOPBACK:
        raise UsageError(f"--host {host}: the simulator listens on loopback only",
                         hint="use 127.0.0.1 (the default)")
    simulator = build_simulator(profiles, logs, api_key)
    names = ", ".join(simulator.profiles)

    def announce(url: str) -> None:
        click.echo(f"swapkit simulator serving {names} at {url} (Ctrl-C stops)", err=True)
        click.echo(url)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(simulator, host, port, exit_after, announce))
