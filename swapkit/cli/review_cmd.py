"""``swapkit review``: plan people's blind review of a run, and move its labels in and out."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["review_group"]


@click.group("review")
def review_group() -> None:
    """Planned human review: people judge a drawn sample of records blind (in `swapkit
    view`), and the human_review gate tests what they said.

    \b
        swapkit review plan RUN        draw the records to review
        swapkit view RUN               review them (Review, on the run's page)
        swapkit review status RUN      how many are labelled
        swapkit report RUN             the human_review gate, decided again
    """


@review_group.command("plan")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.option("--size", type=click.IntRange(min=1), default=None,
              help="records to review (default: the size that certifies the gate's margin)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the draw")
@click.option("--margin", type=click.FloatRange(min=0.001, max=2), default=None,
              help="non-inferiority margin of the paired outcome to size for (default: the "
                   "human_review gate's, else 0.1)")
def plan_command(run: Path, size: int | None, seed: int, margin: float | None) -> None:
    """Draw the records people will review: stratified by segment, the records the metrics
    flag drawn three times as densely, each with a known inclusion probability.

    A new plan replaces the old one; labels already given are kept.

    Example:

    \b
        swapkit review plan runs/travel --seed 7
    """
    from swapkit.decision.review_plan import plan_review
    from swapkit.store.runs import resolve_run

    plan = plan_review(resolve_run(run), size=size, seed=seed, margin=margin)
    click.echo(f"review plan: {plan.size} of {plan.population} records"
               + (" (replaces the earlier plan)" if plan.replaced else "")
               + f"; {plan.certifying} certify margin {plan.margin:g} at α {plan.alpha:g}; "
               f"seed {plan.seed}")
    for note in plan.notes:
        click.echo(f"note: {note}")
    for stratum, counts in plan.strata.items():
        share = counts["planned"] / counts["population"]
        click.echo(f"  {stratum:<40} {counts['planned']:>5} of {counts['population']:>6}"
                   f"  (inclusion probability {share:.3f})")
    click.echo(f"next: swapkit view {run}  (Review, on the run's page)")


@review_group.command("status")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
def status_command(run: Path) -> None:
    """How much of the plan is labelled, by whom.

    Example:

    \b
        swapkit review status runs/travel
    """
    from swapkit.ingest.labels import combine_labels
    from swapkit.store import RunStore
    from swapkit.store.reviews import load_review
    from swapkit.store.runs import resolve_run

    with RunStore(resolve_run(run), read_only=True) as store:
        review = load_review(store)
    if not review.planned:
        raise click.ClickException(f"{run}: no review plan (run `swapkit review plan {run}`)")
    planned = {p.record_id for p in review.planned}
    combined = combine_labels(x for x in review.labels if x.record_id in planned)
    by_reviewer: dict[str, set[str]] = {}
    for label in review.labels:
        if label.record_id in planned:
            by_reviewer.setdefault(label.reviewer, set()).add(label.record_id)
    click.echo(f"labelled: {len(combined)} of {len(planned)} planned records"
               + ("" if len(combined) < len(planned) else " (complete)"))
    for reviewer, ids in sorted(by_reviewer.items()):
        whole = " (the whole plan)" if len(ids) == len(planned) else ""
        click.echo(f"  {reviewer:<30} {len(ids):>5} of {len(planned)}{whole}")
    click.echo("counted: the reviewers who labelled the whole plan, else each record's first "
               "label (docs/methodology.md §8.9)")


@review_group.command("export")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="file to write (default: standard output)")
def export_command(run: Path, output: Path | None) -> None:
    """Write the run's labels as JSON Lines (the labels file format: judge.labels in
    swap.yaml reads it, `swapkit review import` takes it back), each with its record's
    inclusion probability in the plan.

    Example:

    \b
        swapkit review export runs/travel -o labels.jsonl
    """
    from swapkit.store import RunStore
    from swapkit.store.reviews import read_labels_in
    from swapkit.store.runs import resolve_run

    with RunStore(resolve_run(run), read_only=True) as store:
        labels = read_labels_in(store.db)
    lines = "".join(label.model_dump_json(exclude_none=True) + "\n" for label in labels)
    if output is None:
        click.echo(lines, nl=False)
    else:
        output.write_text(lines, encoding="utf-8")
        click.echo(f"{len(labels)} labels written to {output}", err=True)


@review_group.command("import")
@click.argument("run", type=click.Path(path_type=Path), metavar="RUN")
@click.argument("labels", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE")
def import_command(run: Path, labels: Path) -> None:
    """Add the labels of a JSON Lines file to the run (the format `swapkit review export`
    writes; labels of records outside the plan are kept but do not count).

    Example:

    \b
        swapkit review import runs/travel labels-from-ana.jsonl
    """
    from swapkit.store.reviews import import_labels
    from swapkit.store.runs import resolve_run

    added, skipped, outside = import_labels(resolve_run(run), labels)
    click.echo(f"{added} labels added" + (f", {skipped} already in the run" if skipped else "")
               + (f"; {outside} name records outside the review plan and do not count"
                  if outside else ""))
