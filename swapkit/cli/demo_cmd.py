"""``swapkit demo``: the whole workflow on the bundled example, against simulated models."""

from __future__ import annotations

from pathlib import Path

import click

from swapkit.cli.options import stage_printer
from swapkit.cli.run_cmd import finish, show_lineup

__all__ = ["demo_command"]


@click.command("demo")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("swapkit-demo"), show_default=True,
              help="folder for the run store and the reports")
@click.option("--candidate-profile", default="qwen3-like", show_default=True,
              help="simulator profile of the candidate: qwen3-like (a NO-GO) or qwen3-fixed "
                   "(a GO), or a profile YAML")
@click.option("--lineup", is_flag=True,
              help="four Qwen3 configurations against the same baseline: the cheapest safe "
                   "one is recommended (the baseline is replayed once)")
@click.option("-q", "--quiet", is_flag=True, help="no progress display")
def demo_command(output: Path, candidate_profile: str, lineup: bool, quiet: bool) -> None:
    """Run the whole workflow on the bundled example against simulated models.

    Starts the simulator on a free loopback port (an R1-like baseline and a Qwen3-like
    candidate), replays the AskMe + Accio log, scores with the real embedding model,
    decides, writes every report, and stops the simulator.

    Example:

    \b
        swapkit demo && swapkit demo --candidate-profile qwen3-fixed -o swapkit-demo-go
        swapkit demo --lineup -o swapkit-demo-lineup
    """
    from swapkit.demo import run_demo, run_demo_lineup

    if lineup:
        show_lineup(run_demo_lineup(output, quiet, stage=stage_printer(quiet)), None, "fail",
                    False)
    finish(run_demo(output, candidate_profile, quiet, stage=stage_printer(quiet)), "fail")
