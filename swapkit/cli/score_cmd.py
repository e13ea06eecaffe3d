"""``swapkit score``: score a replayed run with its suite (never calls a model)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from swapkit.cli.options import load_suite_option, suite_option, threads_option
from swapkit.support.numbers import fmt_count, fmt_duration, fmt_number, fmt_value
from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from swapkit.scoring.score import ScoreSummary

__all__ = ["render_scores", "score_command", "scores_json"]


@click.command("score")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@suite_option
@click.option("--json", "json_", is_flag=True,
              help="print per-metric pairs, means and exclusions as JSON")
@threads_option
def score_command(run: Path, suite_path: Path | None, json_: bool, threads: int | None) -> None:
    """Score a replayed run (never calls a model; embeddings are cached in the run).

    Example:

    \b
        swapkit score examples/travel-assistant/swap.sim.yaml
    """
    from swapkit.scoring.score import score_run
    from swapkit.store import RunStore
    from swapkit.store.runs import resolve_run, stored_config

    run_dir = resolve_run(run)
    embeddings = None
    if threads is not None:
        with RunStore(run_dir, read_only=True) as store:
            settings = stored_config(store).embeddings
        embeddings = settings.model_copy(update={"threads": threads})
    summary = score_run(run_dir, load_suite_option(suite_path), embeddings)
    click.echo(scores_json(summary) if json_ else render_scores(summary))


def scores_json(summary: ScoreSummary) -> str:
    """Per metric: pairs scored, each side's mean over them (null when none) and what was
    excluded, as JSON (means unrounded; the terminal shows them as ``render_scores``)."""
    import json

    from swapkit.scoring.score import mean_or_none

    return json.dumps({name: {
        "kind": s.kind, "higher_is_better": s.higher_is_better, "n": int(s.paired.sum()),
        "baseline": mean_or_none(s.base[s.paired]), "candidate": mean_or_none(s.cand[s.paired]),
        "excluded": s.excluded} for name, s in summary.metrics.items()}, indent=2)


def render_scores(summary: ScoreSummary) -> str:
    """Per-metric means for a terminal."""
    from swapkit.scoring.score import mean_or_none

    lines = [f"run        {summary.run_dir}  ({fmt_count(summary.records)} records)",
             f"{'metric':<26}{'n':>7}{'baseline':>11}{'candidate':>11}  excluded"]
    for name, s in summary.metrics.items():
        paired = s.paired
        percent = s.kind == "binary"
        excluded = ", ".join(f"{k} {v}" for k, v in s.excluded.items()) or "-"
        means = [mean_or_none(side[paired]) for side in (s.base, s.cand)]
        cells = [fmt_number(m) if s.kind == "ratio" else fmt_value(m, percent) for m in means]
        lines.append(f"{name:<26}{int(paired.sum()):>7}{cells[0]:>11}{cells[1]:>11}  "
                     f"{excluded}")
    lines.append(f"embeddings {fmt_count(summary.embeddings_computed)} computed, "
                 f"{fmt_count(summary.embeddings_reused)} from the cache; "
                 f"{fmt_duration(summary.seconds)}")
    lines.extend(f"note       {note}" for note in summary.notes)
    return clean("\n".join(lines))  # log text may carry ANSI escapes
