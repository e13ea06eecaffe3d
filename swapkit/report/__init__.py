"""Stage 5, report: a decided run store → HTML, Markdown, JSON and JUnit files (a registry of
formats), all regenerable from the store at any time.

May import decision, scoring, store, the vocabulary and support.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from swapkit.errors import RuntimeFailure, UsageError
from swapkit.report.assemble import MAX_CHARS, MAX_RECORDS, build_report_data
from swapkit.report.formats import ReportFormat
from swapkit.report.model import ReportData
from swapkit.store import RunStore
from swapkit.support.registry import Registry, from_hook

__all__ = ["ReportData", "build_reports", "report_formats"]


@functools.cache
def report_formats() -> Registry[ReportFormat]:
    """The registry of report formats (built-ins and plugins)."""
    return from_hook("report format", "register_report_formats", UsageError)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader never sees half a file; on any failure
    (a full disk) the temporary file is removed, so it does not keep the disk full."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be read
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise RuntimeFailure(f"{path}: cannot write the report ({err})",
                             hint="check that the folder is writable and the disk has space"
                             ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def build_reports(run_dir: Path, formats: list[str], out_dir: Path,
                  max_records: int = MAX_RECORDS, max_chars: int = MAX_CHARS) -> dict[str, Path]:
    """Render ``formats`` for a decided run into ``out_dir``; returns format → path."""
    chosen = [report_formats().get(name) for name in formats]
    with RunStore(run_dir, read_only=True) as store:  # a finished run may be read-only
        report = build_report_data(store, max_records, max_chars)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeFailure(f"{out_dir}: cannot create the report folder ({err})") from None
    html_name = next((f.filename for f in chosen if f.name == "html"), None)
    written = {}
    for fmt in chosen:
        path = out_dir / fmt.filename
        _write_atomic(path, fmt.render(report, html_name))
        written[fmt.name] = path
    return written
