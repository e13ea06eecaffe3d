"""``swapkit score`` and ``swapkit gate``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from swapkit.sanitize import clean

if TYPE_CHECKING:
    from swapkit.decision.model import Decision
    from swapkit.scoring import ScoreSummary
    from swapkit.suite import Suite

__all__ = ["gate_command", "render_decision", "render_scores", "score_command"]

RUN_HELP = "a run directory, or the swap.yaml whose run_dir it is"
EXIT_CODES = {"GO": 0, "NO-GO": 1}


def _suite(path: Path | None) -> Suite | None:
    if path is None:
        return None
    from swapkit.config import load_suite

    return load_suite(path)


@click.command("score")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.option("--suite", "suite_path", type=click.Path(path_type=Path),
              help="score with this suite instead of the one in swap.yaml")
@click.option("--json", "json_", is_flag=True, help="print per-metric means as JSON")
def score_command(run: Path, suite_path: Path | None, json_: bool) -> None:
    """Score a replayed run (never calls a model; embeddings are cached in the run).

    Example:

        swapkit score examples/travel-assistant/swap.sim.yaml
    """
    from swapkit.runs import resolve_run
    from swapkit.scoring import score_run

    summary = score_run(resolve_run(run), _suite(suite_path))
    if json_:
        import json

        click.echo(json.dumps({name: {"n": int(s.paired.sum()), "excluded": s.excluded}
                               for name, s in summary.metrics.items()}, indent=2))
    else:
        click.echo(render_scores(summary))


def render_scores(summary: ScoreSummary) -> str:
    """Per-metric means for a terminal."""
    from swapkit.numbers import fmt_value
    from swapkit.scoring import mean_or_none

    lines = [f"run        {summary.run_dir}  ({summary.records:,} records)",
             f"{'metric':<26}{'n':>7}{'baseline':>11}{'candidate':>11}  excluded"]
    for name, s in summary.metrics.items():
        paired = s.paired
        percent = s.kind == "binary"
        excluded = ", ".join(f"{k} {v}" for k, v in s.excluded.items()) or "-"
        means = [mean_or_none(side[paired]) for side in (s.base, s.cand)]
        cells = [f"{m:.4g}" if s.kind == "ratio" and m is not None else fmt_value(m, percent)
                 for m in means]
        lines.append(f"{name:<26}{int(paired.sum()):>7}{cells[0]:>11}{cells[1]:>11}  "
                     f"{excluded}")
    lines.append(f"embeddings {summary.embeddings_computed:,} computed, "
                 f"{summary.embeddings_reused:,} from the cache; {summary.seconds:.1f} s")
    lines.extend(f"note       {note}" for note in summary.notes)
    return clean("\n".join(lines))  # log text may carry ANSI escapes


@click.command("gate")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.option("--suite", "suite_path", type=click.Path(path_type=Path),
              help="decide with this suite instead of the one in swap.yaml")
@click.option("--inconclusive", type=click.Choice(["fail", "warn", "pass"]), default="fail",
              show_default=True, help="exit code of INCONCLUSIVE: 4 (fail) or 0 (warn, pass)")
@click.option("--json", "json_", is_flag=True, help="print the decision as JSON")
def gate_command(run: Path, suite_path: Path | None, inconclusive: str, json_: bool) -> None:
    """Decide GO / NO-GO / INCONCLUSIVE (scores first if needed) and exit with its code.

    Exit codes: 0 GO, 1 NO-GO, 4 INCONCLUSIVE (0 with --inconclusive warn|pass),
    2 usage or config error, 3 runtime error.

    Example:

        swapkit gate examples/travel-assistant/swap.sim.yaml --inconclusive warn
    """
    from swapkit.decision.decide import decide_run
    from swapkit.runs import resolve_run
    from swapkit.scoring import score_run

    run_dir = resolve_run(run)
    suite = _suite(suite_path)
    score_run(run_dir, suite, force=False)
    decision = decide_run(run_dir, suite)
    click.echo(decision.model_dump_json(indent=2) if json_ else render_decision(decision))
    if decision.verdict == "INCONCLUSIVE":
        if inconclusive == "warn":
            click.echo("warning: INCONCLUSIVE treated as a pass (--inconclusive warn)", err=True)
        raise click.exceptions.Exit(4 if inconclusive == "fail" else 0)
    raise click.exceptions.Exit(EXIT_CODES[decision.verdict])


def render_decision(decision: Decision) -> str:
    """The verdict, every gate's reason, and the warnings."""
    lines = [decision.reason, f"({decision.candidate} replacing {decision.baseline}, "
             f"{decision.records:,} records, one-sided α = {decision.alpha})", ""]
    for gate in decision.gates:
        tag = "hard" if gate.hard else "soft"
        lines.append(f"[{gate.status:<14}] {tag}  {gate.reason}")
    reasons = {g.reason for g in decision.gates}
    extra_warnings = [w for w in decision.warnings if w not in reasons]
    if extra_warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in extra_warnings)
    noise = decision.noise
    if noise.ratio is not None:
        lines.append("")
        lines.append(f"noise floor: baseline self-similarity {noise.self_agreement:.3f}, "
                     f"candidate-baseline {noise.cross_agreement:.3f}, ratio "
                     f"{noise.ratio:.2f}x; {noise.divergent} of {noise.n} records divergent "
                     "(about 5% expected by chance)")
    if any(o.simulated for o in decision.operations):
        lines.append("note: simulated models (swapkit sim) played at least one side")
    lines.extend(f"note: {n}" for n in decision.notes)
    return clean("\n".join(lines))  # log text may carry ANSI escapes


