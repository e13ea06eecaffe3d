"""Reading ``swap.yaml`` and suite files: YAML with line numbers, ``${VAR}`` expansion,
validation errors that name the file, line and field and suggest the closest valid key.
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from swapkit.config.bundled import resolve_suite_path
from swapkit.config.suite import JUDGE_METRICS, Suite
from swapkit.config.swap import SIDES, SwapConfig, TargetConfig
from swapkit.errors import ConfigError
from swapkit.support.yamlfile import Located, load_yaml, substitute_env

__all__ = ["check_environment", "format_validation_error", "load_config", "load_suite",
           "secret_from_env", "target_headers"]


def _unwrap(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as ``Suite | Path | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        inner = _unwrap(arg)
        if inner is not None:
            return inner
    return None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that validates the object at ``loc``."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part)) if current else None
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current


def _data_loc(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """``loc`` without pydantic's union-branch tags: only the parts that are in the data."""
    kept: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
            kept.append(part)
        elif i == len(loc) - 1 and isinstance(current, dict) and isinstance(part, str):
            kept.append(part)  # a missing key
    return tuple(kept)


def format_validation_error(
    err: ValidationError, located: Located, data: Any, model: type[BaseModel]
) -> str:
    """``file:line: field: problem (did you mean ...?)``, one line per field."""
    problems: dict[tuple[str | int, ...], list[str]] = {}
    for problem in err.errors(include_url=False):
        loc = _data_loc(problem["loc"], data)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            valid = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
            message = "unknown key"
            if close:
                message += f" (did you mean {close[0]!r}?)"
            if valid:
                message += f"; valid keys here: {', '.join(valid)}"
        elif problem["type"] == "missing":
            message = "required key is missing"
        problems.setdefault(loc, [])
        if message not in problems[loc]:
            problems[loc].append(message)
    # A union (e.g. suite: path or inline) reports every branch; keep the deepest.
    deepest = [
        loc for loc in problems
        if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in problems)
    ]
    lines = []
    for loc in deepest:
        field = ".".join(str(p) for p in loc) or "(top level)"
        lines.append(f"{located.where(loc)}: {field}: {' or '.join(problems[loc])}")
    return "\n".join(lines)


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> SwapConfig:
    """Read, expand and validate ``swap.yaml``; paths come back resolved."""
    path = Path(path)
    located = load_yaml(path)
    data = substitute_env(located, env)
    try:
        config = SwapConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(
            f"{path}: invalid config\n{format_validation_error(err, located, data, SwapConfig)}",
            hint="see `swapkit schema swap` for every key and its meaning",
        ) from None
    resolved = config.resolve_paths(path.parent)
    _check_write_paths(path, located, resolved)
    if isinstance(resolved.suite, Path) and isinstance(config.suite, Path):
        suite_file = resolve_suite_path(resolved.suite, str(config.suite),
                                        located.where(("suite",)))
        resolved = resolved.model_copy(update={"suite": load_suite(suite_file, env)})
    elif isinstance(resolved.suite, Suite):
        resolved = resolved.model_copy(update={"suite": _resolve_templates(resolved.suite,
                                                                           path.parent)})
    _check_judge(path, located, resolved)
    return resolved


def _check_judge(path: Path, located: Located, config: SwapConfig) -> None:
    """Judge metrics need a judge: say which metric, and where the judge goes."""
    suite = config.suite
    if config.judge is not None or not isinstance(suite, Suite):
        return
    needing = suite.judge_metrics()
    if needing:
        raise ConfigError(
            f"{located.where(('suite',))}: metric {', '.join(needing)} needs a judge, and "
            f"{path} has no judge: section",
            hint="add judge: {model: ..., base_url: ..., api_key_env: ...} (an "
            "OpenAI-compatible endpoint, preferably neither the baseline nor the candidate)")


def _check_write_paths(path: Path, located: Located, config: SwapConfig) -> None:
    """A config may only write inside its own folder; elsewhere needs the command line.

    A swap.yaml can come from a pull request: it must not be able to make swapkit write
    to /etc or a home directory. ``--run-dir`` and ``-o`` choose any folder explicitly.
    """
    root = path.parent.resolve()
    for loc, target in ((("run_dir",), config.run_dir), (("report", "dir"), config.report.dir)):
        if target is None:
            continue
        resolved = target.resolve()
        if resolved != root and root not in resolved.parents:
            raise ConfigError(
                f"{located.where(loc)}: {'.'.join(loc)} {target} is outside the config's folder "
                f"{root}", hint="keep it inside that folder, or give the place explicitly on "
                "the command line (--run-dir, -o)")


def load_suite(path: Path, env: Mapping[str, str] | None = None) -> Suite:
    """Read and validate a suite file."""
    located = load_yaml(path)
    try:
        data = substitute_env(located, env)
        return _resolve_templates(Suite.model_validate(data), path.parent)
    except ValidationError as err:
        raise ConfigError(
            f"{path}: invalid suite\n{format_validation_error(err, located, data, Suite)}",
            hint="see `swapkit schema suite` for every key and its meaning",
        ) from None


def _resolve_templates(suite: Suite, base: Path) -> Suite:
    """The suite with its judge metrics' ``template:`` paths made relative to ``base`` (the
    folder of the file that names them), as other paths are."""
    metrics: list[Any] = []
    for spec in suite.metrics:
        if isinstance(spec, dict) and len(spec) == 1:
            name, options = next(iter(spec.items()))
            template = (options or {}).get("template")
            if name in JUDGE_METRICS and isinstance(template, str) and template:
                spec = {name: {**(options or {}), "template": str(base / template)}}
        metrics.append(spec)
    return suite.model_copy(update={"metrics": metrics})


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def secret_from_env(variable: str, where: str, env: Mapping[str, str] | None = None) -> str:
    """The value of a secret's environment variable: surrounding whitespace stripped (a key
    from ``$(cat keyfile)`` ends with a newline); missing or with control characters inside,
    a ConfigError that names the variable and never prints the value."""
    environ = os.environ if env is None else env
    value = (environ.get(variable) or "").strip()
    if not value:
        raise ConfigError(
            f"{where}: environment variable {variable} is not set",
            hint=f"export {variable}=<your key> (swapkit reads secrets only from the "
            "environment and never stores them)")
    if _CONTROL.search(value):
        raise ConfigError(f"{where}: environment variable {variable} holds a control character "
                          "inside the value (not shown)",
                          hint="set it again without line breaks or escape characters")
    return value


def target_headers(target: TargetConfig, side: str,
                   env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The target's credentials as HTTP headers (Authorization from api_key_env, and
    headers_env), read from the environment now; never stored or printed."""
    headers = {header: secret_from_env(variable, f"{side}.headers_env.{header}", env)
               for header, variable in target.headers_env.items()}
    if target.api_key_env:
        key = secret_from_env(target.api_key_env, f"{side}.api_key_env", env)
        headers["Authorization"] = f"Bearer {key}"
    return headers


def check_environment(config: SwapConfig, env: Mapping[str, str] | None = None) -> None:
    """Fail, naming the variable, when a live target's secret is missing or malformed."""
    for side in SIDES:
        target: TargetConfig = getattr(config, side)
        if target.recorded is False:
            target_headers(target, side, env)
    if config.judge is not None:
        target_headers(config.judge, "judge", env)
