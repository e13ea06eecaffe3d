"""The judge calibrated against people: ``judge_pairwise``'s outcome vs human labels.

Labels (:mod:`swapkit.ingest.labels`) come from the file ``judge.labels`` of swap.yaml and
from the records' ``metadata.human_label``; several reviewers on a record are combined
first. Both raters are put on one ordered scale: the judge's loss / tie / win, the people's
baseline better / tie or both bad / candidate better. "Both bad" is a tie on this scale:
the question is which answer is better, and neither is. The agreement is the linear-weighted
kappa with a seeded 90% bootstrap interval, raw agreement and the confusion table
(:mod:`swapkit.decision.stats.kappa`); labels with inclusion probabilities are weighted by
their inverse (Horvitz–Thompson). docs/methodology.md §8.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from swapkit.decision.stats.kappa import KappaResult, weighted_kappa_interval
from swapkit.errors import UsageError
from swapkit.ingest.labels import (
    HumanLabel,
    Preferred,
    combine_labels,
    labels_in_metadata,
    read_labels,
)
from swapkit.scoring.metrics.base import RunData
from swapkit.support.numbers import fmt_percent

__all__ = ["Calibration", "human_agreement"]

LEVEL = 0.9
SEED = 0
JUDGE_SCALE: dict[str, int] = {"loss": 0, "tie": 1, "win": 2}
HUMAN_SCALE: dict[Preferred, int] = {"baseline": 0, "tie": 1, "both_bad": 1, "candidate": 2}
ROWS = ("baseline better", "tie or both bad", "candidate better")
SHOWN_IDS = 5


@dataclass
class Calibration:
    """What the human labels say of the judge: the metric's notes, what every gate on it
    shows (the agreement and its table), and why its gates must refuse."""

    notes: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    refuse: str | None = None
    result: KappaResult | None = None


def _labels(data: RunData) -> tuple[list[HumanLabel], str | None]:
    """The labels the agreement is computed on, and a note when some are set aside: the
    run's review plan's, when it has labelled records (a designed sample, weighted by its
    inclusion probabilities); else the log's, then the labels file's (a later label wins
    for one reviewer)."""
    found: list[HumanLabel] = []
    for record in data.records:
        found.extend(labels_in_metadata(record.id, record.metadata))
    if data.labels is not None:
        found.extend(read_labels(data.labels))
    planned = [x for x in data.review.labels if x.inclusion_probability is not None] if (
        data.review is not None) else []
    if not planned:
        return found, None
    aside = (f"{len(found)} labels from the log or judge.labels set aside: the review plan's "
             "labels are a designed sample, and one sample is weighted at a time") if found \
        else None
    return planned, aside


def _table(result: KappaResult) -> str:
    digits = 1 if result.weighted else 0
    rows = "; ".join(f"{name} " + " / ".join(f"{v:.{digits}f}" for v in row)
                     for name, row in zip(ROWS, result.table, strict=True))
    return (f"judge vs people, confusion (rows: people; columns: judge loss / tie / win"
            f"{', estimated counts' if result.weighted else ''}): {rows}")


def _interval(result: KappaResult) -> str:
    if result.low is None or result.high is None:
        return "no interval"
    return f"{fmt_percent(result.level, 0)} interval {result.low:.2f} to {result.high:.2f}"


def human_agreement(data: RunData, outcomes: Sequence[Literal["win", "tie", "loss"] | None],
                    min_kappa: float | None) -> Calibration:
    """Compare the judge's outcome of each record (None: not judged) with the people's
    labels; refuse when ``min_kappa`` is set and the interval's lower end is below it."""
    labels, aside = _labels(data)
    if not labels:
        refuse = None if min_kappa is None else (
            f"min_human_kappa is {min_kappa} but no human labels were found (judge.labels in "
            "swap.yaml, or metadata.human_label in the log): the judge's agreement with "
            "people cannot be checked")
        return Calibration(refuse=refuse)
    combined = combine_labels(labels)
    position: dict[str, int] = {}
    for i, record_id in enumerate(data.record_field("id")):
        position.setdefault(record_id, i)
    unknown = [record_id for record_id in combined if record_id not in position]
    notes = [f"human labels: {len(labels)} labels from "
             f"{len({label.reviewer for label in labels})} reviewers on {len(combined)} records "
             "(several reviewers on a record: majority, a shared top count is a tie)"]
    if aside:
        notes.append(aside)
    if unknown:
        ids = ", ".join(unknown[:SHOWN_IDS]) + ("…" if len(unknown) > SHOWN_IDS else "")
        notes.append(f"{len(unknown)} labelled records are not in this run ({ids}): not used")
    pairs = [(JUDGE_SCALE[outcome], HUMAN_SCALE[label.preferred], label.inclusion_probability)
             for record_id, label in combined.items() if record_id in position
             for outcome in [outcomes[position[record_id]]] if outcome is not None]
    unjudged = len(combined) - len(unknown) - len(pairs)
    if unjudged:
        notes.append(f"{unjudged} labelled records have no judge outcome (an answer failed, "
                     "both answers read the same, or no verdict): not used")
    designed = [p is not None for _, _, p in pairs]
    if any(designed) and not all(designed):
        raise UsageError(f"{designed.count(True)} labelled records carry an "
                         f"inclusion_probability and {designed.count(False)} do not",
                         hint="a review sample is either planned (every label gives its "
                         "record's inclusion probability) or simple random (none does)")
    if not pairs:
        notes.append("no labelled record was judged: no agreement to report")
        return Calibration(notes, refuse=None if min_kappa is None else
                           "min_human_kappa is set but no labelled record was judged")
    judge, people, probability = zip(*pairs, strict=True)
    weights = (1 / np.array(probability, dtype=float)) if all(designed) else None
    result = weighted_kappa_interval(np.array(people), np.array(judge), 3, weights,
                                     LEVEL, SEED)
    design = ("inverse-probability weighted (Horvitz–Thompson table, weighted bootstrap)"
              if result.weighted else "simple random sample")
    kappa = "undefined (one category only)" if result.kappa is None else (
        f"{result.kappa:.2f} ({_interval(result)}, bootstrap)")
    shown = [f"judge vs people: weighted kappa {kappa}, raw agreement "
             f"{fmt_percent(result.agreement, 0)} over {result.n} labelled records; {design}",
             _table(result)]
    refuse = None
    if min_kappa is not None and (result.low is None or result.low < min_kappa):
        low = "cannot be estimated" if result.low is None else (
            f"may be as low as {result.low:.2f}")
        refuse = (f"the judge's agreement with people (weighted kappa) {low}, below "
                  f"min_human_kappa {min_kappa}: its verdicts cannot certify the swap")
    return Calibration(notes + shown, shown, refuse, result)
