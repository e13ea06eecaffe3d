"""Reading prompt logs: a registry of formats, ``auto`` sniffing, lazy streams of records.

Each format is one module; built-ins register through the same hook as plugins (``builtin``).
May import the vocabulary and support only.

>>> stream = read_log(LogSource(Path("examples/travel-assistant/logs/chat.jsonl")))
>>> for record in stream: ...
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from pathlib import Path

from swapkit.config import FieldMapping, LogSource
from swapkit.config.fields import MESSAGE_ROLES, RECORD_ROLES
from swapkit.errors import ConfigError, LogError
from swapkit.ingest.formats.base import InvalidLines, LogFormat, LogStream, resolve_path
from swapkit.ingest.formats.jsonl import JsonlFormat, first_json_object
from swapkit.ingest.formats.suggest import suggest_fields
from swapkit.ingest.formats.tabular import is_table, table_columns
from swapkit.support.registry import Registry, from_hook

__all__ = [
    "InvalidLines",
    "LogFormat",
    "LogStream",
    "check_log_path",
    "get_log_format",
    "log_formats",
    "read_log",
    "resolve_path",
    "sniff_format",
]

@functools.cache
def log_formats() -> Registry[LogFormat]:
    """The registry of log formats (built-ins and plugins), filled on first use."""
    return from_hook("log format", "register_log_formats", LogError)


def get_log_format(name: str) -> LogFormat:
    """The format called ``name`` (an error lists the valid names)."""
    return log_formats().get(name)


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def check_log_path(path: Path) -> None:
    """A log must be a regular file or a folder (a dataset): a pipe or a device would hang
    the read or never end; say what the path is when it is not."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise LogError(f"{path}: a symbolic link loop",
                           hint="point the log path at the file itself") from None
        if path.is_symlink():
            raise LogError(f"{path}: a broken symbolic link (to {os.readlink(path)})",
                           hint="point the log path at an existing file") from None
        raise LogError(f"{path}: no such file or folder", hint="check the log path") from None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise LogError(f"{path}: {kind}, not a log file",
                   hint="give a file (a pipe never ends: write it to a file first)")


def _vendor_table(path: Path) -> LogFormat | None:
    """The format whose vendor's table export has this CSV / Parquet file's header."""
    columns = table_columns(path) if path.is_file() and is_table(path) else None
    if not columns:
        return None
    return next((log_format for log_format in log_formats() if isinstance(
        log_format, JsonlFormat) and log_format.sniff_table(columns)), None)


def _maps_fields(log_format: LogFormat) -> bool:
    return bool(getattr(log_format, "maps_fields", False))


def _message_roles(fields: FieldMapping) -> list[str]:
    return [role for role in MESSAGE_ROLES if getattr(fields, role) is not None]


def sniff_format(path: Path, fields: FieldMapping | None = None) -> LogFormat:
    """Guess a log's format from its extension and its first JSON line (a table: from its
    header, when it is a vendor's export, before the generic csv / parquet formats). When
    ``fields`` says how to build the request or the answer, a JSON log is ``custom`` and a
    table is read through the mapping."""
    is_hub = str(path).startswith("hf:")
    mapped = fields is not None and bool(_message_roles(fields))
    if not is_hub:
        check_log_path(path)
        vendor = None if mapped else _vendor_table(path)
        if vendor is not None:
            return vendor
    first = None if is_hub or path.is_dir() else first_json_object(path)
    for log_format in log_formats():
        if is_hub and log_format.name == "hf-dataset":
            return log_format
        if mapped and not _maps_fields(log_format):
            continue
        if not is_hub and log_format.sniff(path, first):
            return log_format
    if mapped and first is not None:
        return get_log_format("custom")
    valid = ", ".join(log_formats().names())
    seen = f"; first line has keys: {', '.join(sorted(first))}" if first else ""
    batch_output = first is not None and "custom_id" in first and (
        "response" in first or "result" in first)  # OpenAI Batch output, Anthropic results
    if batch_output:
        hint = ("this looks like a batch *output* (results) file: pass the batch's input file "
                "as the log and this one as log.output (--batch-output)")
    elif first and (suggestion := suggest_fields(first)) is not None:
        hint = f"{suggestion}\nor set the format explicitly (log.format / --format): {valid}"
    else:
        hint = f"set the format explicitly (log.format / --format): {valid}"
    raise LogError(f"{path}: cannot tell the log format{seen}", hint=hint)


def _check_roles(log_format: LogFormat, fields: FieldMapping) -> None:
    """A reader that builds the request itself takes only record-level roles."""
    roles = _message_roles(fields)
    if roles and not _maps_fields(log_format):
        readers = ", ".join(f.name for f in log_formats() if _maps_fields(f))
        raise ConfigError(
            f"log.fields.{roles[0]} (--field {roles[0]}=...): the {log_format.name} reader "
            "builds the request and the answer itself, so only "
            f"{', '.join(RECORD_ROLES)} can be mapped with it (paths into the record it "
            "builds, e.g. metadata.route)",
            hint=f"drop {', '.join(roles)}, or read the log through the mapping with "
            f"format auto or one of: {readers}",
        )


def read_log(source: LogSource) -> LogStream:
    """A lazy stream of the records in ``source`` (format sniffed when ``auto``)."""
    fields = source.mapping()
    if source.format == "auto":
        log_format = sniff_format(source.path, fields)
    else:
        log_format = get_log_format(source.format)
        if not str(source.path).startswith("hf:"):
            check_log_path(source.path)
    _check_roles(log_format, fields)
    if source.output is not None:
        check_log_path(source.output)
    return LogStream(source, log_format)
