"""``swapkit schema``: the JSON Schemas of the files users write."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["schema_command"]


@click.command("schema")
@click.argument("kind", type=click.Choice(["swap", "suite", "report"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file instead of standard output")
def schema_command(kind: str, output: Path | None) -> None:
    """Print the JSON Schema of swap.yaml (swap), a suite file (suite) or report.json (report).

    Example:

    \b
        swapkit schema swap -o swap.schema.json
    """
    from swapkit.schemas import schema_text

    text = schema_text(kind)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
