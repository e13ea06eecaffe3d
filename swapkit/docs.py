"""Reference sections of the README, generated from the code and checked by the tests.

``python -m swapkit.docs`` rewrites the blocks between ``<!-- BEGIN x -->`` and
``<!-- END x -->`` markers in README.md: the CLI reference from every command's
``--help``, and the swap.yaml reference from the published JSON Schema.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["cli_reference", "config_reference", "update_readme"]

README = Path(__file__).resolve().parent.parent / "README.md"


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
    """``swapkit CMD --help`` for every command, as Markdown."""
    from swapkit.cli import cli

    parts = []
    for path, command in _commands(cli, []):
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
    if "anyOf" in spec:
        return " or ".join(_type(s) for s in spec["anyOf"] if s.get("type") != "null")
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


def _replace(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"README has no <!-- BEGIN {name} --> block")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def update_readme(path: Path = README, check: bool = False) -> bool:
    """Regenerate the reference blocks; with ``check``, only say whether they are current."""
    text = path.read_text(encoding="utf-8")
    new = _replace(_replace(text, "cli-reference", cli_reference()), "config-reference",
                   config_reference())
    if check:
        return new == text
    path.write_text(new, encoding="utf-8")
    return True


if __name__ == "__main__":
    ok = update_readme(check="--check" in sys.argv)
    if not ok:
        print("README reference blocks are stale: run `python -m swapkit.docs`", file=sys.stderr)
    sys.exit(0 if ok else 1)
