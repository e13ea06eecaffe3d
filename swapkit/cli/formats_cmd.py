"""``swapkit formats``: the log formats swapkit can read."""

from __future__ import annotations

import click

__all__ = ["formats_command"]


@click.command("formats")
def formats_command() -> None:
    """List the log formats swapkit can read (built-ins and plugins).

    Example:

    \b
        swapkit formats
    """
    from swapkit.ingest.formats import log_formats

    formats = list(log_formats())
    width = max(len(log_format.name) for log_format in formats)
    for log_format in formats:
        click.echo(f"{log_format.name:<{width}}  {log_format.description}")
