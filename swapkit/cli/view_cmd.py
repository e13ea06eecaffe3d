"""``swapkit view``: the local viewer over one run or every run under a folder."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["view_command"]


@click.command("view")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path),
                default=".", metavar="[RUN_DIR | FOLDER]")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="port on 127.0.0.1 (0: a free one)")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="open the viewer in the default browser")
def view_command(folder: Path, port: int, open_browser: bool) -> None:
    """Browse runs in a local web app: verdicts, gates, and every record, paged.

    Serves on 127.0.0.1 only and reads the run stores read-only, so it is safe to point at
    a run a replay is still writing (reload to follow it). Ctrl-C stops it.

    A run with a review plan (swapkit review plan RUN) gets a Review page: people label
    its planned records blind, the two answers shown as A and B, stored in the run.

    Examples:

        swapkit view runs/

        swapkit view runs/travel --no-open --port 8765
    """
    from swapkit.view import serve

    serve(folder, port, open_browser, announce=click.echo)
