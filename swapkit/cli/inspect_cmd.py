"""``swapkit inspect``: what a prompt log holds, or a swap.yaml preflight."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from swapkit.cli.options import filter_options, filter_update, preflight_option
from swapkit.errors import UsageError
from swapkit.support.numbers import fmt_count, fmt_money, fmt_number, fmt_percent
from swapkit.support.sanitize import clean

if TYPE_CHECKING:
    from swapkit.ingest.inspection import ConfigReport
    from swapkit.ingest.logstats import Distribution, LogStats

__all__ = ["inspect_command", "render_config", "render_stats"]

CONFIG_SUFFIXES = (".yaml", ".yml")
COLUMN_ROLES = ("prompt", "system", "request", "response", "reference", "segment", "id",
                "conversation_id", "timestamp")
FIELD_ROLES = ("messages", "prompt", "system", "request", "answer", "response", "reasoning",
               "reference", "segment", "conversation", "timestamp", "id", "model", "metadata")


def _parse_pairs(option: str, pairs: tuple[str, ...], roles: tuple[str, ...],
                 metavar: str) -> dict[str, Any]:
    """``ROLE=PATH`` pairs → a mapping; ``metadata`` may repeat (one path each)."""
    mapping: dict[str, Any] = {}
    for pair in pairs:
        role, sep, path = pair.partition("=")
        if not sep or role not in roles or not path:
            raise UsageError(
                f"{option} {pair!r}: expected {metavar}", hint=f"{metavar.split('=')[0]} is "
                f"one of: {', '.join(roles)}; e.g. {option} prompt=question",
            )
        if role == "metadata":
            mapping.setdefault(role, []).append(path)
        elif role in mapping:
            raise UsageError(f"{option} {role}= is given twice", hint="keep one")
        else:
            mapping[role] = path
    return mapping


@click.command("inspect")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--format", "format_", default="auto", show_default=True,
              help="log format (see `swapkit formats`); auto sniffs it")
@click.option("--batch-output", type=click.Path(path_type=Path),
              help="batch output file to join with the input log by custom_id (OpenAI "
              "Batch output, Anthropic Message Batches results)")
@click.option("--field", "fields", multiple=True, metavar="ROLE=PATH",
              help="where a part of a record is: a dotted path into each JSON line or a "
              "table column, e.g. --field prompt=input.question (repeatable; log.fields)")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="table column mapping, older spelling of --field (repeatable)")
@click.option("--split", help="Hugging Face dataset split")
@click.option("--segment", "segment_field", metavar="PATH",
              help="dotted path of the segment, e.g. metadata.route")
@click.option("--skip-invalid", is_flag=True,
              help="count malformed lines and list their numbers instead of failing")
@click.option("--json", "json_", is_flag=True, help="print JSON for machines")
@preflight_option
@filter_options
def inspect_command(
    target: Path, format_: str, batch_output: Path | None, fields: tuple[str, ...],
    columns: tuple[str, ...], split: str | None, segment_field: str | None,
    skip_invalid: bool, json_: bool, no_preflight: bool, **flags: Any,
) -> None:
    """Show what is in a prompt log, or preflight a swap.yaml.

    For a log: format, records, segments, what share carries recorded responses,
    references, tools, response_format, multi-turn history and reasoning, length
    distributions, duplicates and time span. For a swap.yaml: the config is
    validated, the key variables checked, each live target checked once (reachable, key
    accepted, model served; exit 3 if not), and the sample the replay would draw.
    The filter flags narrow a log's figures to the calls they keep, or replace the
    swap.yaml's log.filter keys; what they drop is counted by reason.

    Example:

    \b
        swapkit inspect examples/travel-assistant/logs/chat.jsonl
        swapkit inspect data.csv --field prompt=question --field segment=route
        swapkit inspect calls.jsonl --field messages=input.messages --field answer=output.text
        swapkit inspect examples/travel-assistant/swap.yaml --json
        swapkit inspect traces.jsonl --filter-model 'deepseek-r1*' --since 7d
    """
    from swapkit.config import ColumnMapping, FieldMapping, LogFilter, LogSource
    from swapkit.config.fields import merge_mapping
    from swapkit.ingest.inspection import inspect_config, inspect_log

    log_filter = filter_update(flags)

    if target.suffix.lower() in CONFIG_SUFFIXES:
        if (fields or columns or batch_output or split or segment_field or skip_invalid
                or format_ != "auto"):
            raise UsageError(
                "log options (--format, --field, --batch-output, ...) do not apply to a "
                "swap.yaml", hint="set them under log: in the config",
            )
        report = inspect_config(target, log_filter=log_filter)
        if not no_preflight:
            import asyncio

            from swapkit.config import SIDES, load_config
            from swapkit.replay.preflight import preflight

            config = load_config(target)
            sides = (*SIDES, "judge") if config.judge is not None else SIDES
            checks = asyncio.run(preflight(config, sides))
            report.preflight = [c.line() for c in checks]
            report.preflight_ok = all(c.ok for c in checks)
        click.echo(report.model_dump_json(indent=2) if json_ else render_config(report))
        if not report.preflight_ok:
            raise click.exceptions.Exit(3)
        return
    try:
        given = FieldMapping.model_validate(
            _parse_pairs("--field", fields, FIELD_ROLES, "ROLE=PATH"))
    except ValidationError as err:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
        raise UsageError(f"--field: {problems}") from None
    mapping = merge_mapping(
        given, ColumnMapping.model_validate(
            _parse_pairs("--column", columns, COLUMN_ROLES, "FIELD=COLUMN")),
        segment_field, names=("--field {}", "--column {}", "--segment"))
    source = LogSource(path=target, format=format_, output=batch_output, fields=mapping,
                       split=split, skip_invalid=skip_invalid)
    stats = inspect_log(source, LogFilter.model_validate(log_filter))
    click.echo(stats.model_dump_json(indent=2) if json_ else render_stats(stats))


def _pct(share: float) -> str:
    return f"{fmt_percent(share):>6}"


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return fmt_count(value) if abs(value) >= 100 or value == int(value) else fmt_number(value, 2)


def _dist_row(label: str, dist: Distribution) -> str:
    cells = [_num(v) for v in (dist.mean, dist.p50, dist.p90, dist.p99, dist.max)]
    return f"  {label:<18}{fmt_count(dist.count):>8}" + "".join(f"{c:>9}" for c in cells)


def render_stats(stats: LogStats) -> str:
    """Human-readable summary of a log."""
    lines = [
        f"log        {stats.path}",
        f"format     {stats.format}",
        f"records    {fmt_count(stats.records)} ({fmt_count(stats.unique_requests)} unique "
        f"requests, {fmt_count(stats.duplicates)} "
        f"{'duplicate' if stats.duplicates == 1 else 'duplicates'})",
    ]
    if stats.invalid_lines:
        shown = ", ".join(str(n) for n in stats.invalid_line_numbers[:20])
        more = " ..." if stats.invalid_lines > 20 else ""
        lines.append(f"invalid    {fmt_count(stats.invalid_lines)} lines skipped: {shown}{more}")
    if stats.skipped:
        reasons = "; ".join(f"{reason} ({fmt_count(n)})" for reason, n in stats.skipped.items())
        total = sum(stats.skipped.values())
        what = "entry" if total == 1 else "entries"
        lines.append(f"skipped    {fmt_count(total)} {what} passed over: {reasons}")
    if stats.filtered_by:
        from swapkit.ingest.filtering import describe_drops

        lines.append(f"filtered   {describe_drops(stats.filtered_by)}")
    if stats.first_timestamp and stats.last_timestamp:
        lines.append(f"time span  {stats.first_timestamp.isoformat()} → "
                     f"{stats.last_timestamp.isoformat()}")
    if stats.models:
        shown = ", ".join(f"{name} {fmt_count(n)}" for name, n in list(stats.models.items())[:8])
        more = f" and {len(stats.models) - 8} more" if len(stats.models) > 8 else ""
        lines.append(f"models     {shown}{more}")
    totals = [f"{label} {fmt_count(int(dist.total))}" for label, dist in (
        ("prompt tokens", stats.prompt_tokens), ("completion tokens", stats.completion_tokens),
        ("reasoning tokens", stats.reasoning_tokens)) if dist.count]
    if stats.cost_records:
        totals.append(f"recorded cost {fmt_money(stats.cost_usd)} "
                      f"({fmt_count(stats.cost_records)} calls)")
    if totals:
        lines.append("totals     " + ", ".join(totals))
    lines.append("segments")
    for name, count in stats.segments.items():
        share = count / stats.records if stats.records else 0.0
        lines.append(f"  {name:<28}{fmt_count(count):>8}  {_pct(share)}")
    lines.append("records with")
    labels = {"response": "recorded response", "multi_turn": "multi-turn history"}
    for key, share in stats.shares.items():
        extra = ""
        if key == "response_format" and stats.response_formats:
            extra = "  (" + ", ".join(f"{k} {v}" for k, v in stats.response_formats.items()) + ")"
        lines.append(f"  {labels.get(key, key):<28}{_pct(share)}{extra}")
    if stats.response_status:
        lines.append("recorded status  " + ", ".join(
            f"{k} {fmt_count(v)}" for k, v in stats.response_status.items()))
    lines.append(f"lengths{'n':>21}{'mean':>9}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    for label, dist in (
        ("prompt chars", stats.prompt_chars), ("answer chars", stats.response_chars),
        ("prompt tokens", stats.prompt_tokens), ("completion tokens", stats.completion_tokens),
        ("reasoning tokens", stats.reasoning_tokens),
    ):
        if dist.count:
            lines.append(_dist_row(label, dist))
    return clean("\n".join(lines))  # log text may carry ANSI escapes


def render_config(report: ConfigReport) -> str:
    """Human-readable preflight of a swap.yaml."""
    from swapkit.ingest.filtering import describe_drops

    valid = "valid" if report.preflight_ok else "valid, but a target failed its preflight"
    lines = [f"config     {report.config}  ({valid})", f"migration  {report.name}"]
    for target in report.targets:
        where = "answers recorded in the log" if target.kind == "recorded" else (
            f"{target.model} at {target.base_url}"
            + (f", key from ${target.api_key_env}" if target.api_key_env else ", no key")
        )
        lines.append(f"{target.side:<10} {target.name}: {where}")
    lines.append(
        f"sample     {fmt_count(report.sample_size)} records ("
        + ", ".join(f"{k} {v}" for k, v in report.sample_by_segment.items())
        + f"); {fmt_count(report.filtered_out)} filtered out, "
        f"{fmt_count(report.duplicates_dropped)} duplicates dropped"
    )
    if report.filtered_by:
        lines.append(f"filtered   {describe_drops(report.filtered_by)}")
    bounds = [f"{key} {moment.isoformat()}" for key, moment in
              (("since", report.since), ("until", report.until)) if moment is not None]
    if bounds:
        lines.append("window     " + ", ".join(bounds))
    lines.append(f"noise      {fmt_count(report.noise_subset)} extra baseline requests")
    lines.append("requests   " + ", ".join(
        f"{side} {fmt_count(n)}" for side, n in report.requests_per_target.items()))
    lines.extend(f"preflight  {line}" for line in report.preflight)
    lines.extend(f"warning    {line}" for line in report.warnings)
    lines.append("")
    lines.append(render_stats(report.log))
    return clean("\n".join(lines))  # log text may carry ANSI escapes
