"""``swapkit gate``: decide GO / NO-GO / INCONCLUSIVE and exit with the verdict's code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from swapkit.cli.options import (
    exit_with_verdict,
    inconclusive_option,
    load_suite_option,
    suite_option,
    verbosity,
)
from swapkit.cli.style import colour_enabled, paint
from swapkit.support.numbers import fmt_count, fmt_p, fmt_ratio, fmt_value
from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from swapkit.decision.model import Decision

__all__ = ["gate_command", "render_decision"]


@click.command("gate")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@suite_option
@inconclusive_option
@click.option("--json", "json_", is_flag=True, help="print the decision as JSON")
def gate_command(run: Path, suite_path: Path | None, inconclusive: str, json_: bool) -> None:
    """Decide GO / NO-GO / INCONCLUSIVE (scores first if needed) and exit with its code.

    Exit codes: 0 GO, 1 NO-GO, 4 INCONCLUSIVE (0 with --inconclusive warn|pass),
    2 usage or config error, 3 runtime error.

    Example:

    \b
        swapkit gate examples/travel-assistant/swap.sim.yaml --inconclusive warn
    """
    from swapkit.decision.decide import decide_run
    from swapkit.scoring.score import score_run
    from swapkit.store.runs import resolve_run

    run_dir = resolve_run(run)
    suite = load_suite_option(suite_path)
    score_run(run_dir, suite, force=False)
    decision = decide_run(run_dir, suite)
    click.echo(decision.model_dump_json(indent=2) if json_ else render_decision(
        decision, colour=colour_enabled(), verbose=verbosity() > 0))
    exit_with_verdict(decision, inconclusive)


def _details(decision: Decision) -> list[str]:
    """What ``-v`` adds: each gate's method and p-values, and every segment test."""
    from swapkit.decision.reasons import segment_value

    lines = []
    for gate in decision.gates:
        if gate.method:
            lines.append(f"  {gate.name}: {gate.method}; p(claim) {fmt_p(gate.p_noninferior)}, "
                         f"p(regression) {fmt_p(gate.p_inferior)}, after Holm "
                         f"{fmt_p(gate.p_inferior_adjusted)}")
    if decision.segments:
        lines.append("segments (one-sided test of a regression, Benjamini-Hochberg):")
    for s in decision.segments:
        result = ("regressed" if s.flagged else f"adjusted p {fmt_p(s.p_adjusted)}"
                  if s.tested else s.note or "not tested")
        lines.append(f"  {s.gate} in {s.segment}: n={fmt_count(s.n)}, candidate "
                     f"{segment_value(s, 'candidate')} vs baseline "
                     f"{segment_value(s, 'baseline')}, difference "
                     f"{segment_value(s, 'estimate')}: {result}")
    return lines


def render_decision(decision: Decision, colour: bool = False, verbose: bool = False) -> str:
    """The headline, every gate's reason, and the warnings (``verbose``: the methods,
    p-values and segment tests too; ``colour``: the verdict and statuses coloured)."""
    lines = [decision.headline or decision.reason,
             f"({decision.candidate} replacing {decision.baseline}, "
             f"{fmt_count(decision.records)} records, one-sided α = {decision.alpha})", ""]
    for gate in decision.gates:
        tag = "hard" if gate.hard else "soft"
        lines.append(f"[{gate.status:<14}] {tag}  {gate.reason}")
    if verbose:
        lines.append("")
        lines.extend(_details(decision))
    reasons = {g.reason for g in decision.gates}
    extra_warnings = [w for w in decision.warnings if w not in reasons]
    if extra_warnings:
        lines.append("")
        lines.extend(f"warning: {w}" for w in extra_warnings)
    noise = decision.noise
    if noise.ratio is not None:
        lines.append("")
        lines.append(f"noise floor: baseline self-similarity "
                     f"{fmt_value(noise.self_agreement, False)}, candidate-baseline "
                     f"{fmt_value(noise.cross_agreement, False)}, ratio {fmt_ratio(noise.ratio)}"
                     f"; {fmt_count(noise.divergent)} of {fmt_count(noise.n)} records divergent "
                     "(about 5% expected by chance)")
    if any(o.simulated for o in decision.operations):
        lines.append("note: simulated models (swapkit sim) played at least one side")
    lines.extend(f"note: {n}" for n in decision.notes)
    text = clean("\n".join(lines))  # log text may carry ANSI escapes: colour comes after
    if not colour:
        return text
    out = text.split("\n")
    out[0] = paint(out[0], decision.verdict, bold=True)
    for n, line in enumerate(out):
        status = line[1:15].strip() if line.startswith("[") else ""
        if status in ("GO", "NO-GO", "INCONCLUSIVE", "NOT_APPLICABLE"):
            out[n] = paint(line[:16], status) + line[16:]
    return "\n".join(out)
