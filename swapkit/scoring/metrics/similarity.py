"""Embedding similarity: candidate vs baseline (with the noise floor), and vs the reference."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from swapkit.completion import Completion
from swapkit.scoring.metrics.base import Kind, MetricScores, RunData
from swapkit.scoring.metrics.options import NoOptions, parse_options
from swapkit.scoring.metrics.text import reference_text

__all__ = ["Similarity", "SimilarityToReference"]


def _text(c: Completion | None) -> str | None:
    return c.answer if c is not None and c.status == "ok" and c.answer.strip() else None


def _cosines(data: RunData, pairs: list[tuple[int, str, str]]) -> dict[int, float]:
    texts = [t for _, a, b in pairs for t in (a, b)]
    vectors = data.embedder.vectors(texts) if texts else {}
    return {i: float(np.clip(np.dot(vectors[a], vectors[b]), -1.0, 1.0)) for i, a, b in pairs}


class Similarity:
    """Cosine similarity of the candidate's answer to the baseline's (agreement).

    ``cand`` = sim(C, B1) for every record; ``base`` = sim(B2, B1) on the noise subset
    (the baseline's agreement with itself); ``extra.cand_vs_noise`` = sim(C, B2), so the
    noise-floor analysis can average c_i = ½[sim(C, B1) + sim(C, B2)] (docs/methodology.md §4.3).
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
        for i in range(n):
            b1, c = _text(data.base[i]), _text(data.cand[i])
            if b1 is None or c is None:
                excluded["no text answer on both sides (failed or tool call)"] += 1
                continue
            cand_pairs.append((i, c, b1))
            b2 = _text(data.noise[i])
            if b2 is not None:
                noise_pairs.append((i, b2, b1))
                cross_pairs.append((i, c, b2))
        cand = np.full(n, np.nan)
        base = np.full(n, np.nan)
        cross = np.full(n, np.nan)
        for target, pairs in ((cand, cand_pairs), (base, noise_pairs), (cross, cross_pairs)):
            for i, value in _cosines(data, pairs).items():
                target[i] = value
        zeros = np.zeros(n, dtype=bool)
        return MetricScores(self.name, self.kind, True, base, cand, zeros, zeros.copy(),
                            dict(excluded), [None] * n, extra={"cand_vs_noise": cross})


class SimilarityToReference:
    """Cosine similarity of each side's answer to the reference answer."""

    name = "similarity_to_reference"
    kind: Kind = "continuous"
    higher_is_better = True
    description = "embedding cosine of each side's answer to the reference"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Records with a text reference where both sides answered with text."""
        parse_options(self.name, NoOptions, options)
        n = len(data)
        excluded: Counter[str] = Counter()
        base_pairs, cand_pairs, noise_pairs = [], [], []
        failed_base = np.zeros(n, dtype=bool)
        failed_cand = np.zeros(n, dtype=bool)
        for i in range(n):
            ref = reference_text(data.records[i])
            if ref is None:
                continue
            b, c = _text(data.base[i]), _text(data.cand[i])
            failed_base[i], failed_cand[i] = b is None, c is None
            if b is None or c is None:
                excluded["a side has no text answer (failed or tool call)"] += 1
                continue
            base_pairs.append((i, b, ref))
            cand_pairs.append((i, c, ref))
            b2 = _text(data.noise[i])
            if b2 is not None:
                noise_pairs.append((i, b2, ref))
        arrays = []
        for pairs in (base_pairs, cand_pairs, noise_pairs):
            values = np.full(n, np.nan)
            for i, value in _cosines(data, pairs).items():
                values[i] = value
            arrays.append(values)
        return MetricScores(self.name, self.kind, True, arrays[0], arrays[1], failed_base,
                            failed_cand, dict(excluded), [None] * n,
                            extra={"noise_vs_reference": arrays[2]})
