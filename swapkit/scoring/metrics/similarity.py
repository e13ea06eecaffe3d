"""Embedding similarity: candidate vs baseline (with the noise floor), and vs the reference.

The scale is [0, 1]: the cosine of two answers' embeddings, with a negative cosine (texts
that share nothing) read as 0, the bottom of the scale, which is also what an answer
failure scores.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from swapkit.completion import Completion, outcome
from swapkit.records import Record
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData, score_pairs
from swapkit.scoring.metrics.options import NoOptions, parse_options
from swapkit.scoring.metrics.text import reference_text

__all__ = ["Similarity", "SimilarityToReference"]


def _text(c: Completion | None) -> str | None:
    """The answer's text, when the call ended in an answer with text."""
    return c.answer if outcome(c) == "answer" and c is not None and c.answer.strip() else None


def _cosines(data: RunData, pairs: list[tuple[int, str, str]]) -> dict[int, float]:
    texts = [t for _, a, b in pairs for t in (a, b)]
    vectors = data.embedder.vectors(texts) if texts else {}
    return {i: float(np.clip(np.dot(vectors[a], vectors[b]), 0.0, 1.0)) for i, a, b in pairs}


class Similarity:
    """Cosine similarity of the candidate's answer to the baseline's (agreement).

    ``cand`` = sim(C, B1) for every record; ``base`` = sim(B2, B1) on the noise subset
    (the baseline's agreement with itself); ``extra.cand_vs_noise`` = sim(C, B2), so the
    noise-floor analysis can average c_i = ½[sim(C, B1) + sim(C, B2)] (methodology §4.3).
    A candidate that failed agrees 0; a record whose first baseline sample is no text
    answer has nothing to agree with and is left out (counted); a failed second baseline
    sample is left out of the noise floor rather than counted as baseline noise, which
    would flatter the candidate.
    """

    name = "similarity"
    kind: Kind = "agreement"
    higher_is_better = True
    description = "embedding cosine of candidate vs baseline answer; noise floor from a 2nd " \
                  "baseline sample"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Embed the final answers (never the reasoning) of every record."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        excluded: Counter[str] = Counter()
        cand_pairs, noise_pairs, cross_pairs = [], [], []
        cand = np.full(n, np.nan)
        failed_cand = np.zeros(n, dtype=bool)
        missing_cand = np.zeros(n, dtype=bool)
        applies = np.zeros(n, dtype=bool)
        for i in range(n):
            b1, c = _text(data.base[i]), _text(data.cand[i])
            if b1 is None:
                excluded["the baseline gave no text answer (nothing to agree with)"] += 1
                continue
            b2 = _text(data.noise[i])
            if b2 is not None:  # the noise subset: where gates compare
                noise_pairs.append((i, b2, b1))
                applies[i] = True
            state = outcome(data.cand[i])
            if state == "missing":
                missing_cand[i] = True
            elif state == "failure":
                cand[i], failed_cand[i] = 0.0, True
            elif c is None:
                excluded["the candidate answered without text (a tool call)"] += 1
                applies[i] = False
            else:
                cand_pairs.append((i, c, b1))
                if b2 is not None:
                    cross_pairs.append((i, c, b2))
        base = np.full(n, np.nan)
        cross = np.full(n, np.nan)
        for target, pairs in ((cand, cand_pairs), (base, noise_pairs), (cross, cross_pairs)):
            for i, value in _cosines(data, pairs).items():
                target[i] = value
        return MetricScores(self.name, self.kind, True, base, cand, np.zeros(n, dtype=bool),
                            failed_cand, dict(excluded), [None] * n,
                            extra={"cand_vs_noise": cross}, missing_cand=missing_cand,
                            applies=applies)


class SimilarityToReference:
    """Cosine similarity of each side's answer to the reference answer."""

    name = "similarity_to_reference"
    kind: Kind = "continuous"
    higher_is_better = True
    description = "embedding cosine of each side's answer to the reference"

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a text reference."""
        return reference_text(record) is not None

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Records with a text reference; failures score 0, missing answers are marked."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        references = [reference_text(r) for r in data.records]
        pairs: dict[int, list[tuple[int, str, str]]] = {0: [], 1: []}

        def collect(i: int, c: Completion) -> tuple[float, str | None]:
            side = 0 if c is data.base[i] else 1
            reference = references[i]
            if c.answer.strip() and reference is not None:
                pairs[side].append((i, c.answer, reference))
            return 0.0, None  # an answer without text (a tool call) shares nothing: 0

        scores = score_pairs(data, self.name, self.kind, True,
                             lambda i: self.applies_to(data.records[i], options), collect)
        noise_pairs = [(i, b2, ref) for i, ref in enumerate(references)
                       if ref is not None and (b2 := _text(data.noise[i])) is not None]
        noise = np.full(n, np.nan)
        for array, side_pairs in ((scores.base, pairs[0]), (scores.cand, pairs[1]),
                                  (noise, noise_pairs)):
            for i, value in _cosines(data, side_pairs).items():
                array[i] = value
        scores.extra["noise_vs_reference"] = noise
        return scores
