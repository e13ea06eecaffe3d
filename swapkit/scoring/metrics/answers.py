"""Answer-level metrics: the extracted answer against the reference, or against the baseline's.

- ``answer_match``: 1 when the answer's extracted value equals the reference (normalized;
  extracted too when ``extract_reference`` says so).
- ``answer_agreement``: 1 when the candidate's extracted answer equals the baseline's on the
  same record: the metric for traffic without references (classification, routing,
  extraction, math), where the current model's answer is the de-facto reference. Where the
  baseline was sampled twice (the noise subset), its own agreement with itself is the
  comparison, so a baseline that answers one way half the time does not fail every
  candidate; without a second sample the baseline counts as agreeing with itself, and the
  gate bounds the candidate's disagreement rate by the margin (docs/methodology.md §8.5).

An answer where extraction finds nothing scores 0 ("no answer found"), counted apart from
wrong answers in the metric's notes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from swapkit.completion import Completion, outcome
from swapkit.records import Record
from swapkit.scoring.extract import NOT_FOUND, ExtractOptions, ExtractSpec, extract, extract_text
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData, score_pairs
from swapkit.scoring.metrics.options import parse_options
from swapkit.scoring.normalize import Step, equal, normalize, shown

__all__ = ["AnswerAgreement", "AnswerMatch", "AnswerOptions", "compare_note"]

DEFAULT_STEPS: tuple[Step, ...] = ("strip", "whitespace")


class AnswerOptions(ExtractOptions):
    """``extract``/``from``/``occurrence``/``extract_reference`` plus the comparison."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    normalize: list[Step] = Field(default_factory=lambda: list(DEFAULT_STEPS))
    tolerance: float = Field(default=1e-6, ge=0)


def compare_note(left: str, right: str, same: bool, opts: AnswerOptions,
                 names: tuple[str, str]) -> str:
    """``baseline 18, candidate 18.0 → equal after number normalization``."""
    steps = ", ".join(opts.normalize) or "no"
    verdict = "equal" if same else "different"
    return (f"{names[0]} {shown(normalize(left, opts.normalize))}, {names[1]} "
            f"{shown(normalize(right, opts.normalize))} → {verdict} after {steps} "
            "normalization")


def _reference(record: Record, spec: ExtractSpec | None) -> str | None:
    reference = record.reference
    if reference is None:
        return None
    text = reference if isinstance(reference, str) else str(reference)
    if isinstance(reference, dict | list):
        from swapkit.support.hashing import canonical_json

        text = canonical_json(reference).decode()
    return extract_text(text, spec) if spec is not None else text


def _count_not_found(scores: MetricScores, not_found: Counter[str]) -> MetricScores:
    if not_found:
        scores.notes.append(f"{NOT_FOUND}: baseline {not_found['baseline']}, candidate "
                            f"{not_found['candidate']} (scored 0, apart from wrong answers)")
    return scores


class AnswerMatch:
    """1 when the extracted, normalized answer equals the (normalized) reference."""

    name = "answer_match"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("extracted answer equals the reference; options: extract, from, occurrence, "
                   "extract_reference, normalize, tolerance")

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a reference (one ``extract_reference`` finds something in)."""
        opts = parse_options(self.name, AnswerOptions, options)
        return _reference(record, opts.reference_spec(self.name)) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score records with a reference."""
        opts = parse_options(self.name, AnswerOptions, options)
        spec, reference_spec = opts.spec(self.name), opts.reference_spec(self.name)
        references = [_reference(r, reference_spec) for r in data.records]  # applies_to's rule
        not_found: Counter[str] = Counter()

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            side = "baseline" if c is data.base[i] else "candidate"
            answer = extract(c, spec)
            if answer is None:
                not_found[side] += 1
                return 0.0, NOT_FOUND
            same = equal(answer, references[i] or "", opts.normalize, opts.tolerance)
            return float(same), compare_note(references[i] or "", answer, same, opts,
                                             ("reference", side))

        scores = score_pairs(data, self.name, self.kind, True,
                             lambda i: references[i] is not None, value)
        return _count_not_found(scores, not_found)


class AnswerAgreement:
    """1 when the candidate's extracted answer equals the baseline's (no reference needed)."""

    name = "answer_agreement"
    kind: Kind = "binary"
    higher_is_better = True
    extracts = True
    description = ("candidate's extracted answer equals the baseline's; compared with the "
                   "baseline's agreement with its own second sample where there is one")

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Candidate vs baseline on every record; baseline vs itself on the noise subset."""
        opts = parse_options(self.name, AnswerOptions, options)
        spec = opts.spec(self.name)
        n = len(data)
        firsts = [extract(c, spec) if outcome(c) == "answer" and c is not None else None
                  for c in data.base]
        noisy = [outcome(c) == "answer" for c in data.noise]
        sampled_twice = any(noisy)
        not_found: Counter[str] = Counter()

        def applies(i: int) -> bool:
            # The baseline's first answer is what the others agree with.
            return firsts[i] is not None and (noisy[i] or not sampled_twice)

        def value(i: int, c: Completion) -> tuple[float, str | None]:
            answer = extract(c, spec)
            if answer is None:
                not_found["candidate"] += 1
                return 0.0, NOT_FOUND
            same = equal(answer, firsts[i] or "", opts.normalize, opts.tolerance)
            return float(same), compare_note(firsts[i] or "", answer, same, opts,
                                             ("baseline", "candidate"))

        scores = score_pairs(data, self.name, self.kind, True, applies, value)
        # The baseline side: its second sample against its first (or itself, when none).
        base = np.full(n, np.nan)
        for i in range(n):
            if not applies(i):
                continue
            second = data.noise[i]
            if not sampled_twice or second is None:
                base[i] = 1.0
                continue
            again = extract(second, spec)
            if again is None:
                not_found["baseline"] += 1
            base[i] = float(again is not None and equal(again, firsts[i] or "",
                                                        opts.normalize, opts.tolerance))
        scores.base = base
        scores.failed_base = np.zeros(n, dtype=bool)
        scores.missing_base = np.zeros(n, dtype=bool)
        scores.notes.append(
            "compared with the baseline's agreement with its own second sample (noise subset)"
            if sampled_twice else "no second baseline sample: the baseline counts as agreeing "
            "with itself, so the gate bounds the candidate's disagreement rate")
        return _count_not_found(scores, not_found)
