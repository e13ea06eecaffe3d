"""People's preference labels: which of the two answers to a record is better.

One format for every source: a JSON Lines file (``judge.labels:`` in swap.yaml; the
review workflow exports and imports the same lines) and labels carried in the log's
records (``metadata.human_label``). One label per line::

    {"record_id": "q17", "reviewer": "ana", "label": "candidate",
     "time": "2026-03-01T10:00:00Z", "note": "B cites the policy",
     "inclusion_probability": 0.25, "answers": "9f2c..."}

``label`` is ``candidate``, ``baseline``, ``tie`` or ``both_bad``, or the blind-review
form ``A`` / ``B`` with the ``order`` the reviewer was shown: ``AB`` (the baseline's answer
was A) or ``BA`` (the candidate's was A). ``inclusion_probability`` is the review plan's
probability of drawing the record (absent: a simple random sample); every label of one
record must give the same one. ``answers``, written by the viewer, is a digest of the two
answers the reviewer saw. In a record's metadata, ``human_label`` is a label string
(reviewer ``log``), one object of the fields above without ``record_id``, or a list of them.

Several reviewers on one record combine by majority over their labels (each reviewer's
latest label counts once: by ``time`` when both have one, else the one read last); when two
labels share the top count the record is a ``tie``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from swapkit.errors import LogError, LogLineError, UsageError
from swapkit.ingest.formats.base import validation_message
from swapkit.ingest.formats.jsonl import iter_lines

__all__ = ["METADATA_KEY", "HumanLabel", "Preferred", "RecordLabel", "combine_labels",
           "labels_in_metadata", "planned_labels", "read_labels"]

METADATA_KEY = "human_label"
LOG_REVIEWER = "log"
Preferred = Literal["candidate", "baseline", "tie", "both_bad"]


class HumanLabel(BaseModel):
    """One reviewer's label of one record."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    record_id: str = Field(min_length=1, description="the record's id in the run")
    reviewer: str = Field(min_length=1)
    label: Literal["candidate", "baseline", "tie", "both_bad", "A", "B"]
    order: Literal["AB", "BA"] | None = Field(
        default=None, description="blind review: AB when the baseline's answer was shown as "
        "A, BA when the candidate's was")
    time: datetime | None = None
    note: str | None = None
    inclusion_probability: float | None = Field(
        default=None, gt=0, le=1, description="the review plan's probability of drawing this "
        "record (absent: a simple random sample)")
    answers: str | None = Field(
        default=None, max_length=64, description="the viewer's digest of the two answers the "
        "reviewer saw: a label of answers since replaced does not count")

    @model_validator(mode="after")
    def _order_names_the_sides(self) -> HumanLabel:
        if self.label in ("A", "B") and self.order is None:
            raise ValueError(f"label {self.label} needs the order the answers were shown in "
                             "(order: AB when A was the baseline, BA when A was the candidate)")
        return self

    @property
    def preferred(self) -> Preferred:
        """The label with A / B read through the order shown."""
        if self.label == "A":
            return "baseline" if self.order == "AB" else "candidate"
        if self.label == "B":
            return "candidate" if self.order == "AB" else "baseline"
        return self.label


@dataclass
class RecordLabel:
    """The people's combined label of one record."""

    preferred: Preferred
    reviewers: int
    inclusion_probability: float | None


def _parse(raw: Any, where: str) -> HumanLabel:
    """A label from parsed JSON; ValueError with what is wrong."""
    if not isinstance(raw, dict):
        said = f"{where.rstrip('.')}: " if where else ""
        raise ValueError(f"{said}a label is a JSON object, not {type(raw).__name__}")
    try:
        return HumanLabel.model_validate(raw)
    except ValidationError as err:
        raise ValueError(validation_message(err, where)) from None


def read_labels(path: Path) -> list[HumanLabel]:
    """Every label of a JSON Lines file, in file order; LogLineError (file:line) on a bad
    line or a record given two inclusion probabilities."""
    if not path.is_file():
        raise LogError(f"{path}: no such labels file", hint="judge.labels in swap.yaml is "
                       "relative to swap.yaml; give a JSON Lines file of labels")
    labels: list[HumanLabel] = []
    probability: dict[str, float | None] = {}
    for number, line in iter_lines(path):
        try:
            label = _parse(orjson.loads(line), "")
        except orjson.JSONDecodeError as err:
            raise LogLineError(path, number, f"not JSON: {err}") from None
        except ValueError as err:
            raise LogLineError(path, number, str(err), hint="a label line has record_id, "
                               "reviewer, label (candidate, baseline, tie, both_bad, or A/B "
                               "with order), optional time, note, inclusion_probability"
                               ) from None
        first = probability.setdefault(label.record_id, label.inclusion_probability)
        if first != label.inclusion_probability:
            raise LogLineError(path, number, f"record {label.record_id} was given inclusion "
                               f"probability {first} by an earlier label and "
                               f"{label.inclusion_probability} here",
                               hint="a record's inclusion probability is the review plan's: "
                               "the same on every label of it")
        labels.append(label)
    return labels


def labels_in_metadata(record_id: str, metadata: dict[str, Any]) -> Iterator[HumanLabel]:
    """The labels a log record carries under ``metadata.human_label``; UsageError naming
    the record when they are malformed."""
    raw = metadata.get(METADATA_KEY)
    if raw is None:
        return
    items = raw if isinstance(raw, list) else [raw]
    for n, item in enumerate(items):
        where = f"metadata.{METADATA_KEY}" + (f"[{n}]" if isinstance(raw, list) else "")
        entry: Any = {"label": item} if isinstance(item, str) else item
        if isinstance(entry, dict):
            entry = {"reviewer": LOG_REVIEWER, **entry, "record_id": record_id}
        try:
            yield _parse(entry, f"{where}.")
        except ValueError as err:
            raise UsageError(f"record {record_id}: {err}", hint=f"{where} is a label "
                             "(candidate, baseline, tie, both_bad), an object with reviewer "
                             "and label, or a list of them") from None


def _older(label: HumanLabel, than: HumanLabel) -> bool:
    """Whether ``label`` was given before ``than`` (both timed; a time without a zone is
    UTC). Untimed labels count in the order they were read."""
    if label.time is None or than.time is None:
        return False
    return _instant(label.time) < _instant(than.time)


def _instant(time: datetime) -> datetime:
    return time if time.tzinfo is not None else time.replace(tzinfo=UTC)


def combine_labels(labels: Iterable[HumanLabel]) -> dict[str, RecordLabel]:
    """Each record's combined label: each reviewer's latest label counts once; the majority
    wins, and a shared top count is a tie. UsageError when a record's labels disagree on its
    inclusion probability."""
    latest: dict[str, dict[str, HumanLabel]] = {}
    for label in labels:
        by_reviewer = latest.setdefault(label.record_id, {})
        earlier = by_reviewer.get(label.reviewer)
        if earlier is None or not _older(label, earlier):
            by_reviewer[label.reviewer] = label
    combined = {}
    for record_id, by_reviewer in latest.items():
        probabilities = {label.inclusion_probability for label in by_reviewer.values()}
        if len(probabilities) > 1:
            raise UsageError(f"record {record_id}: its labels give different inclusion "
                             f"probabilities ({', '.join(map(str, probabilities))})",
                             hint="a record's inclusion probability is the review plan's: "
                             "the same on every label of it")
        counts = Counter(label.preferred for label in by_reviewer.values()).most_common()
        top = counts[0][0] if len(counts) == 1 or counts[0][1] > counts[1][1] else "tie"
        combined[record_id] = RecordLabel(top, len(by_reviewer), probabilities.pop())
    return combined


def planned_labels(labels: Iterable[HumanLabel], planned: set[str]
                   ) -> tuple[dict[str, RecordLabel], str]:
    """The labels that count for a review plan, per planned record, and the rule that chose
    them. The reviewers who labelled the whole plan count, combined as
    :func:`combine_labels` does; when nobody has, each record's first label counts (by
    ``time`` when both are timed, else the one stored first). A reviewer who labels only
    some records after seeing the others' labels could pick the records to pull toward a
    tie: neither rule lets a partial reviewer choose which records they change."""
    mine = [label for label in labels if label.record_id in planned]
    covered: dict[str, set[str]] = {}
    for label in mine:
        covered.setdefault(label.reviewer, set()).add(label.record_id)
    complete = sorted(r for r, ids in covered.items() if ids >= planned)
    if complete:
        rule = (f"the {len(complete)} reviewer{'s' if len(complete) > 1 else ''} who labelled "
                "the whole plan (majority per record, a shared top count a tie)")
        others = len(covered) - len(complete)
        if others:
            rule += f"; {others} who labelled part of it not counted"
        return combine_labels(x for x in mine if x.reviewer in complete), rule
    first: dict[str, HumanLabel] = {}
    for label in mine:
        earlier = first.get(label.record_id)
        if earlier is None or _older(label, earlier):
            first[label.record_id] = label
    return ({record_id: RecordLabel(label.preferred, 1, label.inclusion_probability)
             for record_id, label in first.items()},
            "each record's first label (no reviewer labelled the whole plan)")
