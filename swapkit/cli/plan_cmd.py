"""``swapkit plan``: sample size per gate; requests, tokens, cost and time per target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from swapkit.cli.options import apply_filter_flags, filter_options, suite_option, with_suite
from swapkit.support.numbers import fmt_count, fmt_duration, fmt_money
from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from swapkit.plan import Plan

__all__ = ["plan_command", "render_plan"]


@click.command("plan")
@click.argument("config_path", metavar="SWAP_YAML", type=click.Path(path_type=Path))
@click.option("--json", "json_", is_flag=True, help="print the plan as JSON")
@filter_options
@suite_option
def plan_command(config_path: Path, json_: bool, suite_path: Path | None, **flags: Any) -> None:
    """Sample size per gate, and expected requests, tokens, cost and time per target.

    Uses the discordance or spread observed in a previous run of the config when its
    run store exists; otherwise typical values, and says so.

    Example:

    \b
        swapkit plan examples/travel-assistant/swap.yaml
        swapkit plan swap.yaml --filter-model 'deepseek-r1*' --since 7d
    """
    from swapkit.config import load_config
    from swapkit.plan import plan_lineup, plan_migration

    config = with_suite(apply_filter_flags(load_config(config_path), flags), suite_path)
    if config.candidates is not None:  # a lineup: one plan per candidate
        plans = plan_lineup(config)
        if json_:
            click.echo(json.dumps({"candidates": {name: plan.model_dump(mode="json")
                                                  for name, plan in plans}}, indent=2))
            return
        click.echo("\n\n".join(f"candidate  {name}\n{render_plan(plan)}"
                                 for name, plan in plans))
        return
    plan = plan_migration(config)
    click.echo(plan.model_dump_json(indent=2) if json_ else render_plan(plan))


def render_plan(plan: Plan, example: bool = False) -> str:
    """The plan for a terminal."""
    from swapkit.ingest.filtering import describe_drops

    segments = ", ".join(f"{k} {v}" for k, v in plan.by_segment.items())
    lines = [f"plan       {plan.name}: {fmt_count(plan.sample_size)} records ({segments}); "
             f"{fmt_count(plan.noise_records)} get a second baseline sample"]
    if plan.filtered_by:
        lines.append(f"filtered   {describe_drops(plan.filtered_by)}")
    for t in plan.targets:
        if not t.requests:
            lines.append(f"{t.side:<10} {t.label}: {t.basis}")
            continue
        wall = f"~{fmt_duration(t.wall_s)}" if t.wall_s is not None else "n/a"
        lines.append(f"{t.side:<10} {t.label}: {fmt_count(t.requests)} requests, "
                     f"~{fmt_count(t.prompt_tokens)} prompt + "
                     f"~{fmt_count(t.completion_tokens)} completion tokens, "
                     f"{fmt_money(t.cost_usd) if t.cost_usd is not None else 'no price'}, "
                     f"{wall} ({t.basis})")
    lines.append("gates")
    for g in plan.gates:
        if not g.applicable:
            lines.append(f"  {g.gate:<28} not applicable: {g.metric} applies to no record of "
                         "the sample (it needs e.g. a reference or a JSON request); the run "
                         "will mark it NOT_APPLICABLE")
            continue
        if g.min_n is not None and g.records < g.min_n:
            lines.append(f"  {g.gate:<28} too few records: {fmt_count(g.records)}, fewer than "
                         f"min_n {g.min_n}; expect INCONCLUSIVE (the run shows its numbers "
                         "untested)")
            continue
        if g.needed is None:
            lines.append(f"  {g.gate:<28} {g.kind}: {fmt_count(g.records)} records")
            continue
        verdict = "enough" if g.enough else "too few: expect INCONCLUSIVE"
        lines.append(f"  {g.gate:<28} needs ~{fmt_count(g.needed)} records for 80% power at margin "
                     f"{g.margin} ({g.variability}); the sample has up to {fmt_count(g.records)}: "
                     f"{verdict}")
    for warning in [*plan.coverage, *plan.warnings]:
        lines.append(f"warning    {warning}")
    if example and plan.example_request:
        lines.append("first request to the candidate (no key is shown or sent here):")
        lines.append(json.dumps(plan.example_request, indent=2, ensure_ascii=False)[:3000])
    return clean("\n".join(lines))  # log text may carry ANSI escapes
