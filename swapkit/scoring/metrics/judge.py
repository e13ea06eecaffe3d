"""``judge_pairwise``: a judge model compares the two answers, in both orders.

Each record whose two sides answered was judged twice by the replay's judge stage: the
baseline's answer shown as A, then as B. Both orders prefer the candidate → win; both
prefer the baseline → loss; anything else → tie (:mod:`.verdict`). The metric is a
paired binary one, so the existing pass/fail machinery (Tango's interval) tests it:
baseline = 1 on a loss, candidate = 1 on a win, and candidate − baseline is
(wins − losses) / n.

An answer failure on one side loses to the other side's answer (both failing: a tie), as
failures score the worst value of every metric. A missing answer, or a judge that gave no
verdict (not stored, or failed), leaves the record missing: the decision counts it as a
loss for a GO and a win for a NO-GO. Unreadable verdicts count as ties, and are counted.

The judge's own noise: the share of pairs whose two orders agree (position consistency),
the share of ties and the unread verdicts go in the metric's notes. Below
``min_consistency`` the metric refuses every gate on it (INCONCLUSIVE, with the reason):
an inconsistent judge's ties would otherwise hand out a confident GO. So does a judge whose
pairs read alike in both orders fall below it once pairs with an unread verdict count as
not alike: their ties are no more evidence than an inconsistent pair's. Its agreement with
itself on the re-judged subset, and its length bias, are measured by :mod:`.judge_noise`;
below ``min_self_kappa`` the gates are refused too. With people's labels, the judge's
agreement with them goes in the notes too (:mod:`.judge_humans`), and ``min_human_kappa``
refuses the same way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from swapkit.completion import Completion, outcome
from swapkit.errors import ConfigError, UsageError
from swapkit.replay.judge import answer_text
from swapkit.scoring.metrics.base import JudgeVerdicts, Kind, MetricScores, RunData
from swapkit.scoring.metrics.judge_humans import human_agreement
from swapkit.scoring.metrics.judge_noise import length_bias, self_agreement
from swapkit.scoring.metrics.options import parse_options
from swapkit.scoring.metrics.verdict import (
    Outcome,
    ParsedVerdict,
    Preference,
    combine,
    parse_verdict,
    preference,
)
from swapkit.support.numbers import fmt_money, fmt_percent

__all__ = ["JudgeOptions", "JudgePairwise"]

VALUES: dict[Outcome, tuple[float, float]] = {"win": (0.0, 1.0), "loss": (1.0, 0.0),
                                              "tie": (0.0, 0.0)}


class JudgeOptions(BaseModel):
    """Options of ``judge_pairwise``."""

    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(
        default=None, description="a Jinja template file (relative to the suite file) with "
        "the variables conversation, answer_a, answer_b, reference; default: the shipped "
        "pairwise-v1")
    min_consistency: float = Field(
        default=0.8, ge=0, le=1, description="below this share of pairs judged alike in "
        "both orders, gates on the metric are INCONCLUSIVE")
    min_self_kappa: float = Field(
        default=0.6, ge=-1, le=1, description="below this Cohen's kappa between the judge's "
        "two judgings of the re-judged subset (judge.rejudge in swap.yaml), gates on the "
        "metric are INCONCLUSIVE")
    min_human_kappa: float | None = Field(
        default=None, ge=-1, le=1, description="with human labels: gates on the metric are "
        "INCONCLUSIVE unless the judge's weighted kappa with people is at least this (its "
        "90% interval's lower end); default: reported, not gated")


def _said(order: str, parsed: ParsedVerdict, pref: Preference | None) -> str:
    shown = pref if pref is not None else "unread verdict"
    reason = f" ({parsed.reason.strip()})" if parsed.reason and parsed.reason.strip() else ""
    return f"{order}: {shown}{reason}"


class _Tally:
    """The judge's own noise over the run."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.consistent = 0
        self.both_read = 0
        self.preferred = 0  # pairs on which either order preferred one side
        self.unread = 0
        self.no_verdict = 0
        self.identical = 0
        self.cost_usd = 0.0
        self.calls = 0

    def notes(self, min_consistency: float) -> tuple[list[str], str | None, str | None]:
        """The metric's notes, the consistency line every gate on it shows, and why its gates
        must refuse (None: they may decide)."""
        judged = sum(self.outcomes.values())
        notes, consistency, refuse = [], None, None
        if judged:
            ties = self.outcomes["tie"]
            notes.append(f"judge: {self.outcomes['win']} wins, {self.outcomes['loss']} "
                         f"losses, {ties} ties ({fmt_percent(ties / judged, 0)}) over {judged} "
                         "judged pairs")
            if self.both_read:
                rate = self.consistent / self.both_read
                consistency = (f"judge position consistency {fmt_percent(rate, 0)} "
                               f"({self.consistent} of {self.both_read} pairs judged alike in "
                               "both orders)")
                notes.append(consistency)
                alike = self.consistent / judged  # an unread verdict's tie is noise too
                if rate < min_consistency:
                    refuse = (f"the judge agreed with itself across the two orders on "
                              f"{fmt_percent(rate, 0)} of pairs, below "
                              f"{fmt_percent(min_consistency, 0)}: its verdicts cannot certify "
                              "the swap")
                elif alike < min_consistency:
                    refuse = (f"the judge's verdicts could not be read in both orders on "
                              f"{judged - self.both_read} of {judged} pairs (scored as ties): "
                              f"{fmt_percent(alike, 0)} of pairs were read alike in both "
                              f"orders, below {fmt_percent(min_consistency, 0)}, so its "
                              "verdicts cannot certify the swap")
            else:
                refuse = ("no pair had both verdicts readable: the judge's consistency cannot "
                          "be measured, and its verdicts cannot certify the swap")
            if refuse is None and not self.preferred:
                # Every pair a tie is perfectly consistent, and an all-ties judge agrees with
                # itself, yet it tells nothing apart: its zero would certify any candidate.
                refuse = (f"the judge preferred neither answer in either order on any of the "
                          f"{judged} pairs it was asked about: it does not tell these answers "
                          "apart, so its verdicts cannot certify the swap")
        if self.unread:
            notes.append(f"{self.unread} judge verdicts could not be read (scored as ties)")
        if self.identical:
            notes.append(f"{self.identical} records with the same answer on both sides: ties, "
                         "no judge asked")
        if self.no_verdict:
            notes.append(f"the judge gave no verdict on {self.no_verdict} records (a call "
                         "failed or was not made; a rerun retries the ones the endpoint failed "
                         "for infrastructure reasons): counted against the claim being made")
        if self.calls:
            notes.append(f"judge calls read: {self.calls}, costing {fmt_money(self.cost_usd)}")
        return notes, consistency, refuse


class JudgePairwise:
    """Win / tie / loss of the candidate against the baseline, by a judge, in both orders."""

    name = "judge_pairwise"
    kind: Kind = "binary"
    higher_is_better = True
    description = ("a judge model compares both answers, twice with the order swapped: win, "
                   "tie or loss (needs judge: in swap.yaml); options: template, "
                   "min_consistency, min_self_kappa, min_human_kappa")

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score every record from the stored judge verdicts."""
        opts = parse_options(self.name, JudgeOptions, options)
        if opts.template is not None and not Path(opts.template).is_file():
            raise ConfigError(f"metric {self.name}: template {opts.template} is not a file",
                              hint="give a Jinja file (relative to the suite file), or drop "
                              "template: for the shipped one")
        n = len(data)
        if n and data.judge is None:
            raise UsageError(f"metric {self.name} needs the run's judge, and the run has none",
                             hint="add judge: to swap.yaml and replay again (the stored "
                             "answers are reused; only the judge is called)")
        base, cand = np.full(n, np.nan), np.full(n, np.nan)
        failed = (np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        missing = np.zeros(n, dtype=bool)
        consistent = np.full(n, np.nan)
        details: list[str | None] = [None] * n
        tally = _Tally()
        outcomes: list[Outcome | None] = [None] * n  # the judge's, for the human labels
        excluded: Counter[str] = Counter()
        judged: list[int] = []  # records the judge was asked about
        first: dict[int, Outcome] = {}  # their outcomes, where both verdicts came back
        lengths: list[tuple[int, int]] = []  # the two answers' lengths, as the judge read them
        for i in range(n):
            states = (outcome(data.base[i]), outcome(data.cand[i]))
            if "missing" in states:
                missing[i] = True
                excluded["missing on a side (bounded by the decision)"] += 1
                continue
            if "failure" in states:
                failed[0][i], failed[1][i] = states[0] == "failure", states[1] == "failure"
                result: Outcome = ("tie" if all(failed[k][i] for k in (0, 1)) else
                                   "loss" if failed[1][i] else "win")
                base[i], cand[i] = VALUES[result]
                details[i] = f"{result}: an answer failed, no judge asked"
                continue
            assert data.judge is not None
            pair = data.judge.pair(i, opts.template)
            if pair is None:
                tally.identical += 1
                base[i], cand[i] = VALUES["tie"]
                details[i] = "tie: the same answer on both sides (no judge asked)"
                continue
            judged.append(i)
            tally.calls += sum(c is not None for c in pair)
            tally.cost_usd += sum(c.cost_usd or 0.0 for c in pair if c is not None)
            verdicts = self._verdicts(pair)
            if verdicts is None:
                missing[i] = True
                tally.no_verdict += 1
                excluded["no judge verdict (bounded by the decision)"] += 1
                details[i] = ("the judge gave no verdict (its call failed or was not made): "
                              "counted against the claim being made")
                continue
            (ab, ba) = verdicts
            prefs = (preference(ab.verdict, "AB"), preference(ba.verdict, "BA"))
            result, alike = combine(*prefs)
            first[i] = result
            answered = data.base[i], data.cand[i]
            assert answered[0] is not None and answered[1] is not None  # both answered
            lengths.append((len(answer_text(answered[0])), len(answer_text(answered[1]))))
            tally.outcomes[result] += 1
            outcomes[i] = result
            tally.unread += sum(p is None for p in prefs)
            tally.preferred += any(p in ("baseline", "candidate") for p in prefs)
            if alike is not None:
                tally.both_read += 1
                tally.consistent += alike
                consistent[i] = float(alike)
            base[i], cand[i] = VALUES[result]
            details[i] = f"{result} — " + "; ".join(
                _said(order, parsed, pref)
                for order, parsed, pref in zip(("AB", "BA"), (ab, ba), prefs, strict=True))
        notes, consistency, refuse = tally.notes(opts.min_consistency)
        noise, refuse_noise = self._self_agreement(data.judge, judged, first, opts)
        bias = length_bias(list(first.values()), [b for b, _ in lengths],
                           [c for _, c in lengths]).lines()
        people = human_agreement(data, outcomes, opts.min_human_kappa)
        notes += noise + bias + people.notes
        refuse = "; ".join(r for r in (refuse, refuse_noise, people.refuse) if r) or None
        gate_notes = ([] if refuse else [consistency, *noise, *bias] if consistency else []
                      ) + people.shown
        return MetricScores(
            self.name, self.kind, True, base, cand, failed[0], failed[1], dict(excluded),
            details, extra={"judge_consistent": consistent}, notes=notes,
            missing_base=missing, missing_cand=missing.copy(),
            applies=np.ones(n, dtype=bool), refuse=refuse, gate_notes=gate_notes)

    def _self_agreement(self, judge: JudgeVerdicts | None, judged: list[int],
                        first: dict[int, Outcome], opts: JudgeOptions
                        ) -> tuple[list[str], str | None]:
        """The judge's agreement with itself on the re-judged subset: its notes, and why the
        gates must refuse (None: they may decide)."""
        second = judge.rejudged(judged, opts.template) if judge is not None and judged else {}
        if not second:
            return [], None  # no subset re-judged (judge.rejudge: 0, or nothing judged)
        pairs = []
        for i, pair in second.items():
            verdicts = self._verdicts(pair)
            if verdicts is not None and i in first:
                ab, ba = verdicts
                again, _ = combine(preference(ab.verdict, "AB"), preference(ba.verdict, "BA"))
                pairs.append((first[i], again))
        if not pairs:
            return ([f"judge self-agreement: none of the {len(second)} re-judged pairs has "
                     "both judgings' verdicts"],
                    "the judge's agreement with itself was not measured (none of the "
                    f"{len(second)} re-judged pairs has its second verdicts; a rerun of the "
                    "replay asks only for the missing ones): its verdicts cannot certify the "
                    "swap")
        agreement = self_agreement([a for a, _ in pairs], [b for _, b in pairs])
        notes = [agreement.line()]
        if len(pairs) < len(second):
            notes.append(f"{len(second) - len(pairs)} of the {len(second)} re-judged pairs "
                         "lack a verdict of one judging (left out of the self-agreement)")
        if agreement.kappa is not None and agreement.kappa < opts.min_self_kappa:
            return notes, (f"the judge agreed with itself, asked the same question again, "
                           f"with a Cohen's kappa of {agreement.kappa:.2f} over {len(pairs)} "
                           f"re-judged pairs, below {opts.min_self_kappa:.2f}: its verdicts "
                           "cannot certify the swap")
        return notes, None

    @staticmethod
    def _verdicts(pair: tuple[Completion | None, Completion | None]
                  ) -> tuple[ParsedVerdict, ParsedVerdict] | None:
        """Both orders' parsed verdicts; None unless both judge calls answered."""
        first, second = pair
        if first is None or second is None or outcome(first) != "answer" or (
                outcome(second) != "answer"):
            return None
        return parse_verdict(first.answer), parse_verdict(second.answer)
