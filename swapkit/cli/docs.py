"""The reference docs, generated from the code and checked by the tests.

``python -m swapkit.cli.docs`` rewrites the blocks between ``<!-- BEGIN x -->`` and
``<!-- END x -->`` markers: docs/cli.md from every command's ``--help``, docs/config.md
from the published JSON Schema of swap.yaml. ``--check`` only says whether they are current.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["cli_reference", "config_reference", "update_docs"]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        found.append(([*prefix, name], command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, [*prefix, name]))
    return found


def cli_reference() -> str:
    """``swapkit --help`` and ``swapkit CMD --help`` for every command, as Markdown."""
    from swapkit.cli import cli

    parts = []
    for path, command in [([], cli), *_commands(cli, [])]:
        name = " ".join(["swapkit", *path])
        # The same help option names as the real CLI (click caches a command's help option).
        with click.Context(command, info_name=name, terminal_width=100,
                           help_option_names=["-h", "--help"]) as ctx:
            text = command.get_help(ctx)
        parts.append(f"#### `{name}`\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def _type(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in spec:  # each kind once: a time is a date-time, a date or a span string
        kinds = (_type(s) for s in spec["anyOf"] if s.get("type") != "null")
        return " or ".join(dict.fromkeys(kinds))
    if "enum" in spec:
        return " / ".join(json.dumps(v) for v in spec["enum"])
    if spec.get("type") == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if spec.get("type") == "object":
        return "mapping"
    return str(spec.get("type", "any"))


def _table(title: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = [f"**{title}**", "", "| key | type | default | meaning |", "|---|---|---|---|"]
    for key, spec in schema.get("properties", {}).items():
        if key in required:
            default = "required"
        elif "default" in spec:
            default = f"`{json.dumps(spec['default'])}`"
        else:
            default = "see its table" if "$ref" in json.dumps(spec) else "computed"
        meaning = (spec.get("description") or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | {_type(spec)} | {default} | {meaning} |")
    return "\n".join(rows) + "\n"


def config_reference() -> str:
    """Every key of swap.yaml, from its JSON Schema."""
    from swapkit.config import SwapConfig

    schema = SwapConfig.model_json_schema()
    parts = [_table("swap.yaml (top level)", schema)]
    for name, definition in sorted(schema.get("$defs", {}).items()):
        if definition.get("type") == "object" and "properties" in definition:
            parts.append(_table(name, definition))
    return "\n".join(parts)


def _replace(path: Path, name: str, body: str) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"{path} has no <!-- BEGIN {name} --> block")
    return text, pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def update_docs(docs: Path = DOCS, check: bool = False) -> list[Path]:
    """Regenerate the reference files; returns those that were stale (with ``check``,
    writes nothing)."""
    stale = []
    for path, name, body in ((docs / "cli.md", "cli-reference", cli_reference()),
                             (docs / "config.md", "config-reference", config_reference())):
        text, new = _replace(path, name, body)
        if new != text:
            stale.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    return stale


if __name__ == "__main__":
    stale = update_docs(check="--check" in sys.argv)
    if stale and "--check" in sys.argv:
        names = ", ".join(str(p) for p in stale)
        print(f"stale: {names}; run `python -m swapkit.cli.docs`", file=sys.stderr)
        sys.exit(1)
