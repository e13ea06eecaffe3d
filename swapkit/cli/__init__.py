"""The ``swapkit`` command line: assembles the commands and maps errors to exit codes.

Exit codes: 0 GO, 1 NO-GO, 2 usage or config error, 3 runtime error,
4 INCONCLUSIVE, 130 interrupted. Expected errors print one message, no traceback.
One module per command or command group, each a thin adapter over a library function;
shared flags live in ``options``. The top of the tree: may import anything below it.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from swapkit.cli.demo_cmd import demo_command
from swapkit.cli.formats_cmd import formats_command
from swapkit.cli.gate_cmd import gate_command
from swapkit.cli.inspect_cmd import inspect_command
from swapkit.cli.plan_cmd import plan_command
from swapkit.cli.replay_cmd import replay_command
from swapkit.cli.report_cmd import report_command
from swapkit.cli.review_cmd import review_group
from swapkit.cli.run_cmd import run_command
from swapkit.cli.schema_cmd import schema_command
from swapkit.cli.score_cmd import score_command
from swapkit.cli.sim_cmd import sim_command
from swapkit.cli.suites_cmd import suites_group
from swapkit.cli.view_cmd import view_command
from swapkit.errors import SwapkitError
from swapkit.support.sanitize import clean
from swapkit.support.version import __version__

__all__ = ["cli", "main"]


class SwapkitGroup(click.Group):
    """A click group that turns SwapkitError into a clean message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report expected errors without a traceback (with ``--debug``:
        the full traceback first)."""
        try:
            return super().invoke(ctx)
        except SwapkitError as err:
            if ctx.params.get("debug"):
                click.echo(clean(traceback.format_exc()).rstrip(), err=True)
            # Messages can quote an endpoint, a log or a config: never raw to the terminal.
            click.echo(f"error: {clean(str(err))}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(cls=SwapkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="swapkit")
@click.option("-v", "--verbose", count=True,
              help="say more: each gate's method and p-values, every segment test")
@click.option("--debug", is_flag=True,
              help="print the full traceback of an error (to report a bug)")
def cli(verbose: int, debug: bool) -> None:
    """Can we swap the LLM behind our product? Replay a prompt log, score, decide.

    Colour only on a terminal, never with NO_COLOR set. Shell completion (bash, zsh,
    fish): add the line for your shell to its rc file.

    \b
        eval "$(_SWAPKIT_COMPLETE=bash_source swapkit)"     # ~/.bashrc
        eval "$(_SWAPKIT_COMPLETE=zsh_source swapkit)"      # ~/.zshrc
        _SWAPKIT_COMPLETE=fish_source swapkit | source      # ~/.config/fish/config.fish

    Example:

    \b
        swapkit inspect examples/travel-assistant/swap.yaml
        swapkit -v gate examples/travel-assistant/swap.sim.yaml
        swapkit --debug run swap.yaml
    """


cli.add_command(run_command)
cli.add_command(demo_command)
cli.add_command(plan_command)
cli.add_command(inspect_command)
cli.add_command(formats_command)
cli.add_command(schema_command)
cli.add_command(replay_command)
cli.add_command(sim_command)
cli.add_command(score_command)
cli.add_command(gate_command)
cli.add_command(suites_group)
cli.add_command(report_command)
cli.add_command(view_command)
cli.add_command(review_group)


def main() -> None:
    """Console-script entry point."""
    sys.exit(cli.main(prog_name="swapkit", standalone_mode=True))
