"""Loading user-written YAML with line numbers and ``${VAR}`` references.

Errors from later validation can then say ``swap.yaml:12 baseline.api_key_env``.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from swapkit.errors import ConfigError

__all__ = ["Located", "load_yaml", "substitute_env"]

Loc = tuple[str | int, ...]
_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Located:
    """Parsed YAML data plus where each key and item came from."""

    def __init__(self, path: Path, data: Any, lines: dict[Loc, int]) -> None:
        self.path = path
        self.data = data
        self.lines = lines

    def where(self, loc: Loc) -> str:
        """``file:line`` of the deepest known part of ``loc``."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return f"{self.path}:{line}"
        return str(self.path)


MAX_BYTES = 2 << 20  # a config or suite is a few KB; refuse anything huge
MAX_NODES = 200_000  # after expanding aliases: stops "billion laughs" documents


def _lines(node: yaml.Node, loc: Loc, out: dict[Loc, int], path: Path) -> None:
    if len(out) > MAX_NODES:
        raise ConfigError(f"{path}: too many values (aliases expanding without end?)",
                          hint="write the configuration out plainly")
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            out[child] = key.start_mark.line + 1
            _lines(value, child, out, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*loc, index), out, path)


def load_yaml(path: Path) -> Located:
    """Read ``path`` as YAML (a mapping at the top), keeping line numbers."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"{path}: not a regular file (a pipe or a device)",
                              hint="give the config file itself")
        if info.st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES >> 20} MB: not a config file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", hint="check the config path") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ConfigError(f"{path}: a symbolic link loop") from None
        raise ConfigError(f"{path}: cannot be read ({err.strerror or err})") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot be read ({err})") from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of settings at the top level, got "
            f"{type(data).__name__}"
        )
    lines: dict[Loc, int] = {}
    if node is not None:
        try:
            _lines(node, (), lines, path)
        except RecursionError:
            raise ConfigError(f"{path}: nested too deeply") from None
    return Located(path, data, lines)


def substitute_env(located: Located, env: Mapping[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string; ``$$`` is a literal ``$``."""
    environ = os.environ if env is None else env

    def walk(value: Any, loc: Loc) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, (*loc, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            return _VAR.sub(lambda m: replace(m, loc), value)
        return value

    def replace(match: re.Match[str], loc: Loc) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        field = ".".join(str(p) for p in loc)
        raise ConfigError(
            f"{located.where(loc)}: {field} refers to ${{{name}}}, which is not set",
            hint=f"export {name}=..., or write ${{{name}:-default}} to give a default",
        )

    return walk(located.data, ())
