"""What several commands share: flags written once, and the exit-code policy.

Exit codes (the documented contract): 0 GO, 1 NO-GO, 2 usage or config error, 3 runtime
error, 4 INCONCLUSIVE (0 with ``--inconclusive warn|pass``), 130 interrupted. The verdict
part is :func:`swapkit.pipeline.exit_code`; :func:`exit_with_verdict` is its only caller here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from swapkit.config import SIDES

if TYPE_CHECKING:
    from swapkit.config import Suite, SwapConfig
    from swapkit.decision.model import Decision

__all__ = ["apply_filter_flags", "exit_with_verdict", "filter_options", "filter_update",
           "inconclusive_option", "load_suite_option", "only_option", "preflight_option",
           "print_config_warnings", "ray_option", "stage_printer", "target_options",
           "target_overrides", "threads_option", "verbosity", "with_execution"]

F = TypeVar("F", bound=Callable[..., Any])

# The target fields a command line may override, per side: --candidate-model etc.
OVERRIDABLE = {"label": "display name", "api_key_env": "key variable",
               "base_url": "endpoint URL", "model": "model name"}

preflight_option = click.option(
    "--no-preflight", "no_preflight", is_flag=True,
    help="skip the check that each live target is reachable, accepts the key and serves the "
    "model")
threads_option = click.option(
    "--threads", type=click.IntRange(1, 256), default=None,
    help="embedding encoder threads (default: embeddings.threads, else the CPUs available)")
ray_option = click.option(
    "--ray", "ray_address", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]",
    help="run the replay, the embeddings and the per-record metrics on Ray (executor: ray); "
    "ADDRESS: auto, ray://HOST:PORT, or none for executor.address, else Ray's default "
    "(docs/scale.md)")
only_option = click.option("--only", type=click.Choice(list(SIDES)),
                           help="replay one side only")
inconclusive_option = click.option(
    "--inconclusive", type=click.Choice(["fail", "warn", "pass"]), default="fail",
    show_default=True, help="exit code of INCONCLUSIVE: 4 (fail) or 0 (warn, pass); an "
    "incomplete run (answers missing) is always 4")


def load_suite_option(path: Path | None) -> Suite | None:
    """The suite a ``--suite`` flag names (a file, or a bundled suite's name), or None for
    the run's own."""
    if path is None:
        return None
    from swapkit.config import load_suite
    from swapkit.config.bundled import resolve_suite_path

    return load_suite(resolve_suite_path(path, str(path), "--suite"))


def suite_option(command: F) -> F:
    """--suite: a suite file, or a bundled suite by name, in place of swap.yaml's."""
    return click.option(
        "--suite", "suite_path", type=click.Path(path_type=Path),
        help="use this suite (a file, or a bundled suite by name: swapkit suites list) "
             "instead of the one in swap.yaml")(command)


def with_suite(config: SwapConfig, path: Path | None) -> SwapConfig:
    """``config`` with the suite a ``--suite`` flag names (unchanged without one)."""
    suite = load_suite_option(path)
    return config if suite is None else config.model_copy(update={"suite": suite})


def target_options(command: F) -> F:
    """--baseline-model, --candidate-base-url, ...: one flag per side and overridable field."""
    for side in SIDES:
        for field, help_text in OVERRIDABLE.items():
            command = click.option(f"--{side}-{field.replace('_', '-')}", f"{side}_{field}",
                                   help=f"override the {side}'s {help_text}")(command)
    return command


def target_overrides(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``**targets`` of a command with :func:`target_options` → side → field → value."""
    out: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    for key, value in values.items():
        side, _, field = key.partition("_")
        if side in out and field in OVERRIDABLE:
            out[side][field] = value
    return out


def filter_options(command: F) -> F:
    """--filter-model, --filter-name, --where, --since, --until: ``log.filter`` keys, each
    replacing the config's own (read them back with :func:`filter_update`)."""
    for option in reversed((
        click.option("--filter-model", "filter_model", multiple=True, metavar="PATTERN",
                     help="replay only calls whose model matches: a glob, case-insensitive, "
                     "e.g. 'deepseek-r1*' (repeatable; sets log.filter.model)"),
        click.option("--filter-name", "filter_name", multiple=True, metavar="PATTERN",
                     help="replay only calls whose span / run name matches a glob "
                     "(repeatable; sets log.filter.name)"),
        click.option("--where", "filter_where", multiple=True, metavar="PATH=VALUE",
                     help="replay only calls whose dotted PATH holds VALUE (a glob for text), "
                     "e.g. --where metadata.locale=en; a PATH given twice accepts either "
                     "value (sets log.filter.where.PATH)"),
        click.option("--since", "filter_since", metavar="TIME",
                     help="replay only calls at or after TIME: ISO 8601 (UTC when no zone) or "
                     "7d / 24h back from the log's latest timestamp (sets log.filter.since)"),
        click.option("--until", "filter_until", metavar="TIME",
                     help="replay only calls before TIME, as --since (sets log.filter.until)"),
    )):
        command = option(command)
    return command


def filter_update(values: dict[str, Any]) -> dict[str, Any]:
    """The ``log.filter`` keys the :func:`filter_options` flags among ``values`` set, each
    checked as the config checks it (a bad one is a usage error naming the flag)."""
    from pydantic import ValidationError

    from swapkit.config import LogFilter
    from swapkit.errors import UsageError

    where: dict[str, list[str]] = {}
    for pair in values.get("filter_where") or ():
        path, sep, value = pair.partition("=")
        if not sep or not path.strip():
            raise UsageError(f"--where {pair!r}: expected PATH=VALUE",
                             hint="e.g. --where metadata.locale=en")
        where.setdefault(path.strip(), []).append(value)
    given = {
        "model": list(values.get("filter_model") or ()) or None,
        "name": list(values.get("filter_name") or ()) or None,
        "where": {p: v[0] if len(v) == 1 else v for p, v in where.items()} or None,
        "since": values.get("filter_since"), "until": values.get("filter_until"),
    }
    update: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        flag = {"model": "--filter-model", "name": "--filter-name"}.get(key, f"--{key}")
        try:
            update[key] = getattr(LogFilter.model_validate({key: value}), key)
        except ValidationError as err:
            problem = err.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
            raise UsageError(f"{flag} {value!r}: {problem}") from None
    return update


def apply_filter_flags(config: SwapConfig, values: dict[str, Any]) -> SwapConfig:
    """``config`` with the :func:`filter_options` flags among ``values`` applied."""
    update = filter_update(values)
    if not update:
        return config
    return config.model_copy(update={"log": config.log.with_filter(update)})


def print_config_warnings(config: SwapConfig) -> None:
    """What is valid in swap.yaml but probably wrong (a self-judging judge), on stderr."""
    for warning in config.warnings():
        click.echo(f"warning: {warning}", err=True)


def verbosity() -> int:
    """How many ``-v`` the command line gave ``swapkit`` (0 outside a command)."""
    ctx = click.get_current_context(silent=True)
    return int(ctx.find_root().params.get("verbose") or 0) if ctx is not None else 0


def stage_printer(quiet: bool) -> Callable[[str], None]:
    """Tells the user on stderr which stage of the main job starts (unless quiet)."""
    def say(name: str) -> None:
        if not quiet:
            click.echo(f"swapkit: {name}…", err=True)
    return say


def exit_with_verdict(decision: Decision, inconclusive: str) -> None:
    """Exit with the verdict's code; say so when INCONCLUSIVE is let through."""
    from swapkit.pipeline import exit_code

    if decision.verdict == "INCONCLUSIVE" and inconclusive != "fail" and decision.missing:
        click.echo(f"INCONCLUSIVE with {decision.missing} records missing: an incomplete run "
                   f"never passes (--inconclusive {inconclusive} ignored); rerun to complete",
                   err=True)
    elif decision.verdict == "INCONCLUSIVE" and inconclusive == "warn":
        click.echo("warning: INCONCLUSIVE treated as a pass (--inconclusive warn)", err=True)
    raise click.exceptions.Exit(exit_code(decision, inconclusive))


def with_execution(config: SwapConfig, threads: int | None, ray_address: str | None
                   ) -> SwapConfig:
    """The config with ``--threads`` and ``--ray [ADDRESS]`` applied."""
    update: dict[str, Any] = {}
    if threads is not None:
        update["embeddings"] = config.embeddings.model_copy(update={"threads": threads})
    if ray_address is not None:
        update["executor"] = config.executor.model_copy(update={
            "kind": "ray", "address": ray_address or config.executor.address})
    return config.model_copy(update=update) if update else config
