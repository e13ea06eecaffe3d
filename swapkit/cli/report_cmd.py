"""``swapkit report``: every report format, regenerated from the run store."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["report_command"]


@click.command("report")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.option("-f", "--format", "formats", default=None, metavar="LIST",
              help="comma-separated: html,md,json,junit (default: report.formats of swap.yaml)")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="folder for the reports (default: report.dir of swap.yaml)")
@click.option("--max-records", type=click.IntRange(min=1), default=1000, show_default=True,
              help="records in the HTML explorer (the worst regressions first)")
def report_command(run: Path, formats: str | None, output: Path | None,
                   max_records: int) -> None:
    """Write the HTML, Markdown, JSON and JUnit reports of a run (never calls a model).

    The run is scored and decided first when that has not been done yet.

    Example:

    \b
        swapkit report examples/travel-assistant/swap.sim.yaml -f html,md -o out/
    """
    from swapkit.decision.decide import decide_run
    from swapkit.decision.model import SCHEMA_VERSION
    from swapkit.report import build_reports
    from swapkit.scoring.score import score_run
    from swapkit.store import RunStore
    from swapkit.store.reviews import review_digest
    from swapkit.store.runs import resolve_run, stored_config

    run_dir = resolve_run(run)
    with RunStore(run_dir, read_only=True) as store:
        config = stored_config(store)
        stored = store.get_meta("decision")
        reviewed = store.get_meta("scored_review") != review_digest(store)
    # A decision stored by an older swapkit reads its numbers differently, and one made
    # before the latest labels misses them: decide again.
    if not isinstance(stored, dict) or stored.get("schema_version") != SCHEMA_VERSION:
        score_run(run_dir, force=False)
        decide_run(run_dir)
    elif reviewed:  # scored again with the run's own suite, then decided
        decide_run(run_dir)
    chosen: list[str] = [f.strip() for f in formats.split(",") if f.strip()] if formats else [
        str(f) for f in config.report.formats]
    written = build_reports(run_dir, chosen, output or config.report.dir, max_records)
    for name, path in written.items():
        click.echo(f"{name:<6} {path}")
