"""``swapkit run``, ``swapkit plan`` and ``swapkit demo``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from swapkit.sanitize import clean

if TYPE_CHECKING:
    from swapkit.pipeline import RunResult
    from swapkit.plan import Plan

__all__ = ["demo_command", "plan_command", "render_plan", "run_command"]


def _target_options(side: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--SIDE-model, --SIDE-base-url, --SIDE-api-key-env, --SIDE-label."""
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for field, help_text in (("label", "display name"), ("api-key-env", "key variable"),
                                 ("base-url", "endpoint URL"), ("model", "model name")):
            command = click.option(f"--{side}-{field}", f"{side}_{field.replace('-', '_')}",
                                   help=f"override the {side}'s {help_text}")(command)
        return command
    return decorate


def _overrides(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {"baseline": {}, "candidate": {}}
    for key, value in values.items():
        side, _, field = key.partition("_")
        if side in out and field in ("model", "base_url", "api_key_env", "label"):
            out[side][field] = value
    return out


def _stage(quiet: bool) -> Callable[[str], None]:
    def say(name: str) -> None:
        if not quiet:
            click.echo(f"swapkit: {name}…", err=True)
    return say


def _finish(result: RunResult, inconclusive: str) -> None:
    from swapkit.cli.score_cmd import render_decision
    from swapkit.pipeline import exit_code

    click.echo(render_decision(result.decision))
    click.echo("")
    for name, path in result.reports.items():
        click.echo(f"report {name:<6} {path}")
    if result.decision.verdict == "INCONCLUSIVE" and inconclusive == "warn":
        click.echo("warning: INCONCLUSIVE treated as a pass (--inconclusive warn)", err=True)
    raise click.exceptions.Exit(exit_code(result.decision, inconclusive))


@click.command("run")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="show what would be sent and its cost; send nothing")
@click.option("--max-records", type=click.IntRange(min=1), help="sample at most this many records")
@click.option("--only", type=click.Choice(["baseline", "candidate"]), help="replay one side only")
@click.option("--report-only", is_flag=True, help="no replay: score, decide and report the store")
@click.option("--max-requests", type=click.IntRange(min=1), help="stop replay after N requests")
@click.option("--max-spend", type=click.FloatRange(min=0), metavar="USD", help="spend cap")
@click.option("--fail-fast", is_flag=True, default=None, help="abort at the first failure")
@click.option("--inconclusive", type=click.Choice(["fail", "warn", "pass"]), default="fail",
              show_default=True, help="exit code of INCONCLUSIVE: 4 (fail) or 0")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--report-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
@_target_options("candidate")
@_target_options("baseline")
def run_command(config_path: Path, dry_run: bool, max_records: int | None, only: str | None,
                report_only: bool, max_requests: int | None, max_spend: float | None,
                fail_fast: bool | None, inconclusive: str, run_dir: Path | None,
                report_dir: Path | None, quiet: bool, **targets: Any) -> None:
    """Replay, score, decide and report a migration; exit with the verdict's code.

    Exit codes: 0 GO, 1 NO-GO, 4 INCONCLUSIVE (0 with --inconclusive warn|pass),
    2 usage or config error, 3 runtime error, 130 interrupted. A rerun resumes.

    Example:

        swapkit run swap.yaml --candidate-model qwen3-235b-a22b --max-spend 20
    """
    from swapkit.config import check_environment, load_config
    from swapkit.pipeline import RunOptions, apply_overrides, run_migration

    config = apply_overrides(load_config(config_path), _overrides(targets))
    options = RunOptions(max_records=max_records, only=only, report_only=report_only,
                         quiet=quiet, max_requests=max_requests, max_spend_usd=max_spend,
                         fail_fast=fail_fast, run_dir=run_dir, report_dir=report_dir)
    if dry_run:
        from swapkit.pipeline import with_options
        from swapkit.plan import plan_migration

        check_environment(config)
        click.echo(render_plan(plan_migration(with_options(config, options)), example=True))
        return
    _finish(run_migration(config, options, stage=_stage(quiet)), inconclusive)


@click.command("plan")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--json", "json_", is_flag=True, help="print the plan as JSON")
def plan_command(config_path: Path, json_: bool) -> None:
    """Sample size per gate, and expected requests, tokens, cost and time per target.

    Uses the discordance or spread observed in a previous run of the config when its
    run store exists; otherwise typical values, and says so.

    Example:

        swapkit plan examples/travel-assistant/swap.yaml
    """
    from swapkit.config import load_config
    from swapkit.plan import plan_migration

    plan = plan_migration(load_config(config_path))
    click.echo(plan.model_dump_json(indent=2) if json_ else render_plan(plan))


def render_plan(plan: Plan, example: bool = False) -> str:
    """The plan for a terminal."""
    from swapkit.numbers import fmt_money

    segments = ", ".join(f"{k} {v}" for k, v in plan.by_segment.items())
    lines = [f"plan       {plan.name}: {plan.sample_size:,} records ({segments}); "
             f"{plan.noise_records:,} get a second baseline sample"]
    for t in plan.targets:
        if not t.requests:
            lines.append(f"{t.side:<10} {t.label}: {t.basis}")
            continue
        wall = f"~{t.wall_s / 60:.1f} min" if t.wall_s is not None else "n/a"
        lines.append(f"{t.side:<10} {t.label}: {t.requests:,} requests, ~{t.prompt_tokens:,} "
                     f"prompt + ~{t.completion_tokens:,} completion tokens, "
                     f"{fmt_money(t.cost_usd) if t.cost_usd is not None else 'no price'}, "
                     f"{wall} ({t.basis})")
    lines.append("gates")
    for g in plan.gates:
        if g.needed is None:
            lines.append(f"  {g.gate:<28} {g.kind}: {g.records:,} records")
            continue
        verdict = "enough" if g.enough else "too few: expect INCONCLUSIVE"
        lines.append(f"  {g.gate:<28} needs ~{g.needed:,} records for 80% power at margin "
                     f"{g.margin} ({g.variability}); the sample has up to {g.records:,}: "
                     f"{verdict}")
    if example and plan.example_request:
        lines.append("first request to the candidate (no key is shown or sent here):")
        lines.append(json.dumps(plan.example_request, indent=2, ensure_ascii=False)[:3000])
    return clean("\n".join(lines))  # log text may carry ANSI escapes


@click.command("demo")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("swapkit-demo"), show_default=True,
              help="folder for the run store and the reports")
@click.option("--candidate-profile", default="qwen3-like", show_default=True,
              help="simulator profile of the candidate: qwen3-like (a NO-GO) or qwen3-fixed "
                   "(a GO), or a profile YAML")
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
def demo_command(output: Path, candidate_profile: str, quiet: bool) -> None:
    """Run the whole workflow on the bundled example against simulated models.

    Starts the simulator on a free loopback port (an R1-like baseline and a Qwen3-like
    candidate), replays the AskMe + Accio log, scores with the real embedding model,
    decides, writes every report, and stops the simulator.

    Example:

        swapkit demo && swapkit demo --candidate-profile qwen3-fixed -o swapkit-demo-go
    """
    from swapkit.demo import run_demo

    _finish(run_demo(output, candidate_profile, quiet, stage=_stage(quiet)), "fail")
