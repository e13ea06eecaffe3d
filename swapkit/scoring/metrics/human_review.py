"""``human_review``: people's blind, paired judgement of the planned records.

Each planned record's label (the reviewers who labelled the whole plan, combined by
majority, else the record's first label: :func:`swapkit.ingest.labels.planned_labels`)
gives the paired outcome of the
candidate: +1 when people prefer its answer, −1 when they prefer the baseline's, 0 for
about the same or both unacceptable. The scores hold it as candidate − baseline (the
baseline 0), on the planned records only, with each record's inclusion probability,
stratum and stratum size in ``extra`` (the plan: where the inclusion probability is set;
the metric applies to the labelled ones): the gate estimates the run's mean outcome with the
design-based estimator (``swapkit.decision.stats.design``, docs/methodology.md §8.9).

A plan labelled in part is not a random sample (reviewers pick what they label, and stop
where they like): until every planned record has a label the gate refuses, naming how
many are missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from swapkit.ingest.labels import planned_labels
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData
from swapkit.store.reviews import answers_digest

__all__ = ["DESIGN_KEYS", "REVIEW_MARGIN", "HumanReview"]

REVIEW_MARGIN = 0.10  # the gate's default margin on the outcome, and the plan's
OUTCOME = {"candidate": 1.0, "baseline": -1.0, "tie": 0.0, "both_bad": 0.0}
DESIGN_KEYS = ("inclusion_probability", "stratum", "stratum_size")
NO_PLAN = ("no review plan: run `swapkit review plan RUN`, label the planned records in "
           "`swapkit view RUN` (or import labels with `swapkit review import`), then "
           "`swapkit report RUN`")


class HumanReview:
    """People's verdict on the planned records: candidate better, about the same (or both
    unacceptable), baseline better."""

    name = "human_review"
    kind: Kind = "continuous"
    higher_is_better = True
    description = ("people judge a planned sample blind (swapkit review plan, then swapkit "
                   "view): +1 candidate better, 0 same or both bad, -1 baseline better; "
                   "a design-based estimate of the run's mean")

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """The planned records' combined labels (NaN where not planned or not labelled)."""
        n = len(data)
        base, cand = np.full(n, np.nan), np.full(n, np.nan)
        extra = {key: np.full(n, np.nan) for key in DESIGN_KEYS}
        applies = np.zeros(n, dtype=bool)
        scores = MetricScores(self.name, self.kind, True, base, cand, np.zeros(n, dtype=bool),
                              np.zeros(n, dtype=bool), details=[None] * n, extra=extra,
                              bounds=(-1.0, 1.0), applies=applies)
        review = data.review
        if review is None or not review.planned:
            scores.refuse = NO_PLAN
            return scores
        ids = data.record_field("id")
        stale = [p.record_id for p in review.planned
                 if p.position >= n or ids[p.position] != p.record_id]
        if stale:
            scores.refuse = (f"the review plan does not match the run's records ({len(stale)} "
                             "planned records moved or are gone): plan again with "
                             "`swapkit review plan RUN`")
            return scores
        planned = {p.record_id for p in review.planned}
        sizes = review.settings.get("strata", {})
        undrawn = [h for h, v in sizes.items() if v.get("population") and not v.get("planned")]
        grown = review.settings.get("population") not in (None, n)
        if undrawn or grown:
            why = (f"{len(undrawn)} strata have no planned record ({', '.join(undrawn[:3])})"
                   if undrawn else f"the plan was drawn from {review.settings['population']} "
                   f"records and the run now has {n}")
            scores.refuse = f"the review plan cannot stand for the run: {why}: plan again"
            return scores
        # a label given to other answers (the run replayed another target since) is stale
        current = {p.record_id: answers_digest(data.base[p.position], data.cand[p.position])
                   for p in review.planned}
        fresh = [x for x in review.labels if x.answers is None or (
            x.record_id in current and x.answers == current[x.record_id])]
        replaced = len(review.labels) - len(fresh)
        combined, rule = planned_labels(fresh, planned)
        code = {h: k for k, h in enumerate(sorted({p.stratum for p in review.planned}))}
        for p in review.planned:
            i = p.position
            base[i] = 0.0
            extra["inclusion_probability"][i] = p.inclusion_probability
            extra["stratum"][i] = code[p.stratum]
            extra["stratum_size"][i] = float(sizes.get(p.stratum, {}).get(
                "population", round(1 / p.inclusion_probability)))
            label = combined.get(p.record_id)
            if label is not None:  # the records it applies to: the labelled planned ones
                applies[i] = True
                cand[i] = OUTCOME[label.preferred]
                scores.details[i] = (f"people: {label.preferred.replace('_', ' ')} "
                                     f"({label.reviewers} reviewer"
                                     f"{'s' if label.reviewers > 1 else ''})")
        reviewers = {x.reviewer for x in review.labels if x.record_id in planned}
        labelled = int(applies.sum())
        scores.notes.append(f"human review: {labelled} of {len(planned)} planned records "
                            f"labelled by {len(reviewers)} reviewer"
                            f"{'s' if len(reviewers) != 1 else ''}; counted: {rule}")
        scores.gate_notes.append(f"counted: {rule}")
        drawn = review.settings.get("drawn", [])
        if len(drawn) > 1:
            scores.gate_notes.append(
                f"this run's review plan was drawn {len(drawn)} times (seeds "
                f"{', '.join(map(str, drawn))}): a plan redrawn after labels were seen is a "
                "choice, not a sample")
        if replaced:
            scores.gate_notes.append(f"{replaced} labels were given to answers since replaced "
                                     "(the run replayed another target): not counted")
        if labelled < len(planned):
            scores.refuse = (f"{len(planned) - labelled} of {len(planned)} planned records "
                             "have no label yet: a partly labelled plan is not a random "
                             "sample (label the rest in `swapkit view RUN`)")
        return scores
