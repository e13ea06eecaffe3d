"""``judge_score`` and ``judge_reference``: a judge reads each side's answer alone.

The replay's judge stage asked the judge about every answer on its own
(:mod:`swapkit.replay.pointwise`): a score on the suite's scale, or pass/fail
(``judge_score``), or correct/incorrect against the record's reference
(``judge_reference``). The metric reads each stored verdict (:mod:`.grade`) as that side's
score: a score rescaled to [0, 1] (lowest → 0; a paired continuous metric), or 1 for
pass/correct and 0 for fail/incorrect (a paired binary one), so the existing gates apply,
with their margins in those units. Neither side's answer is ever shown with the other's,
so there is no position to be biased by and nothing to swap.

Per record and side, as for every metric: an answer failure scores the worst value (0),
no judge asked; a missing answer is missing. A judge call that failed or was not made
leaves that side missing. So does an unread verdict, counted in the notes: it is the
judge's failure, not the answer's. Scoring it the worst value would charge the answer for
the judge, and where the judge fails more often on the baseline's answers (longer ones,
say) it would favour the candidate: a false GO. Missing, the decision counts it against
whichever claim is being made (docs/methodology.md §8.2), and many of them make the gate
INCONCLUSIVE rather than wrong. ``judge_reference`` applies only to records with a
reference; the others are not applicable, and counted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from swapkit.completion import Completion, outcome
from swapkit.errors import UsageError
from swapkit.records import Record
from swapkit.replay.pointwise import (
    REFERENCE_METRIC,
    SCORE_METRIC,
    PointwiseAsk,
    pointwise_ask,
)
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData
from swapkit.scoring.metrics.grade import ParsedGrade, parse_pass, parse_score
from swapkit.support.numbers import fmt_money

__all__ = ["JudgeReference", "JudgeScore"]

SIDES = ("baseline", "candidate")


class _Tally:
    """What the metric counts over the run, for its notes."""

    def __init__(self) -> None:
        self.read: Counter[str] = Counter()
        self.unread: Counter[str] = Counter()
        self.no_verdict: Counter[str] = Counter()
        self.not_applicable = 0
        self.keys: set[str] = set()
        self.cost_usd = 0.0

    def add_call(self, completion: Completion) -> None:
        if completion.key not in self.keys:  # both sides alike: one call, read twice
            self.keys.add(completion.key)
            self.cost_usd += completion.cost_usd or 0.0

    def notes(self, ask: PointwiseAsk) -> list[str]:
        notes = []
        if self.read:
            notes.append(f"judge ({ask.template.version}): verdicts read on "
                         f"{self.read['baseline']} baseline and {self.read['candidate']} "
                         "candidate answers, each judged alone")
        if self.unread:
            notes.append(f"{sum(self.unread.values())} judge verdicts could not be read "
                         f"({self.unread['baseline']} baseline, {self.unread['candidate']} "
                         "candidate): those sides are missing, counted against the claim "
                         "being made")
        if self.no_verdict:
            notes.append(f"the judge gave no verdict on {sum(self.no_verdict.values())} "
                         "answers (a call failed or was not made; a rerun retries the ones "
                         "the endpoint failed for infrastructure reasons): counted against "
                         "the claim being made")
        if self.not_applicable:
            notes.append(f"{self.not_applicable} records without a reference: not judged")
        if self.keys:
            notes.append(f"judge calls read: {len(self.keys)}, costing "
                         f"{fmt_money(self.cost_usd)}")
        return notes


def _grade(ask: PointwiseAsk, completion: Completion) -> ParsedGrade:
    if ask.scale is None:
        return parse_pass(completion.answer)
    return parse_score(completion.answer, *ask.scale)


def _shown(ask: PointwiseAsk, grade: ParsedGrade) -> str:
    """A read grade as the details show it: ``7/10`` or a verdict word."""
    assert grade.value is not None
    if ask.scale is None:
        return ask.words[0] if grade.value else ask.words[1]
    return f"{grade.value:g}/{ask.scale[1]}"


class _Pointwise:
    """Both sides' answers, each judged alone, as a paired metric."""

    name: str
    higher_is_better = True

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Every record (judge_score), or those with a reference (judge_reference)."""
        return pointwise_ask(self.name, options).applies(record)

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record from the stored judge verdicts."""
        ask = pointwise_ask(self.name, options)
        n = len(data)
        if n and data.judge is None:
            raise UsageError(f"metric {self.name} needs the run's judge, and the run has none",
                             hint="add judge: to swap.yaml and replay again (the stored "
                             "answers are reused; only the judge is called)")
        scores = (np.full(n, np.nan), np.full(n, np.nan))
        failed = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        missing = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        applies = np.zeros(n, dtype=bool)
        details: list[str | None] = [None] * n
        excluded: Counter[str] = Counter()
        tally = _Tally()
        low, high = ask.scale or (0, 1)
        for i in range(n):
            if not ask.applies(data.records[i]):  # the rule of applies_to
                tally.not_applicable += 1
                excluded["no reference (not applicable)"] += 1
                continue
            applies[i] = True
            assert data.judge is not None
            verdicts = data.judge.pointwise(i, ask)
            said = []
            for k, completion in enumerate((data.base[i], data.cand[i])):
                state = outcome(completion)
                if state == "missing":
                    missing[k][i] = True
                    said.append(f"{SIDES[k]}: no answer")
                elif state == "failure":
                    scores[k][i], failed[k][i] = 0.0, True
                    said.append(f"{SIDES[k]}: the answer failed, no judge asked")
                else:
                    said.append(self._side(k, verdicts[k], ask, scores[k], missing[k], i,
                                           tally, (low, high)))
            if missing[0][i] or missing[1][i]:
                excluded["missing on a side (bounded by the decision)"] += 1
            details[i] = "; ".join(said)
        kind: Kind = "binary" if ask.scale is None else "continuous"
        return MetricScores(
            self.name, kind, True, scores[0], scores[1], failed[0], failed[1],
            dict(excluded), details, notes=tally.notes(ask), missing_base=missing[0],
            missing_cand=missing[1], applies=applies)

    @staticmethod
    def _side(k: int, verdict: Completion | None, ask: PointwiseAsk, scores: np.ndarray,
              missing: np.ndarray, i: int, tally: _Tally, scale: tuple[int, int]) -> str:
        """Score one side's answer from its verdict; what the details say of it."""
        side = SIDES[k]
        if verdict is None or outcome(verdict) != "answer":
            missing[i] = True
            tally.no_verdict[side] += 1
            return f"{side}: no judge verdict (counted against the claim being made)"
        tally.add_call(verdict)
        grade = _grade(ask, verdict)
        if grade.value is None:
            missing[i] = True
            tally.unread[side] += 1
            return f"{side}: unread verdict ({grade.problem})"
        tally.read[side] += 1
        low, high = scale
        scores[i] = (grade.value - low) / (high - low)
        reason = f" ({grade.reason.strip()})" if grade.reason and grade.reason.strip() else ""
        return f"{side}: {_shown(ask, grade)}{reason}"


class JudgeScore(_Pointwise):
    """A judge grades each side's answer alone, on a scale or pass/fail."""

    name = SCORE_METRIC
    kind: Kind = "continuous"
    description = ("a judge model grades each answer alone, 1-10 rescaled to [0, 1] or "
                   "pass/fail (needs judge: in swap.yaml); options: rubric, scale, "
                   "pass_fail, template")


class JudgeReference(_Pointwise):
    """A judge checks each side's answer against the record's reference."""

    name = REFERENCE_METRIC
    kind: Kind = "binary"
    description = ("a judge model checks each answer against the reference: correct or "
                   "incorrect (needs judge: in swap.yaml; records with a reference); "
                   "options: template")
