"""Colour on a terminal: only when stdout is one, never with ``NO_COLOR`` set (no-color.org)
or on a dumb terminal; verdicts and gate statuses in their report colours."""

from __future__ import annotations

import os
import sys

import click

__all__ = ["colour_enabled", "paint"]

COLOURS = {"GO": "green", "NO-GO": "red", "INCONCLUSIVE": "yellow",
           "NOT_APPLICABLE": "bright_black"}


def colour_enabled() -> bool:
    """Whether what goes to stdout may be coloured."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, status: str, bold: bool = False) -> str:
    """``text`` in the colour of a verdict or gate status (unknown statuses stay plain)."""
    colour = COLOURS.get(status)
    return click.style(text, fg=colour, bold=bold) if colour else text
