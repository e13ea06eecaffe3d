"""``swapkit suites``: the bundled suites, and validating suite files."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["suites_group"]


def bundled_suites_dir() -> Path:
    """``suites/`` of the repository (or of the installed tree)."""
    return Path(__file__).resolve().parents[2] / "suites"


@click.group("suites")
def suites_group() -> None:
    """List and validate suites (metrics + gates for a kind of traffic)."""


@suites_group.command("list")
def list_command() -> None:
    """List the bundled suites with their descriptions.

    Example:

        swapkit suites list
    """
    from swapkit.config import load_suite

    folder = bundled_suites_dir()
    for path in sorted(folder.glob("*.yaml")):
        suite = load_suite(path)
        first = (suite.description or "").split(". ")[0].strip()
        click.echo(f"{path.stem:<24} {len(suite.gates):>2} gates  {first}")


@suites_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Validate suite files: keys, metric names and options, gate rules.

    Example:

        swapkit suites validate suites/*.yaml
    """
    from swapkit.scoring.suite_check import check_suite

    for path in paths:
        check_suite(path)
        click.echo(f"{path}: valid")
