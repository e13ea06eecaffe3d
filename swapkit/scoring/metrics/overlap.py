"""Text-overlap metrics: ROUGE-L, and through Hugging Face ``evaluate`` BLEU, chrF and any module.

ROUGE-L is computed in process (rouge_score's tokens and F-measure, rapidfuzz's LCS: the
same scores as the ``rouge_l`` evaluate module, at a fraction of the time and memory).
BLEU and chrF are local evaluate modules shipped in ``evaluate_modules/`` (they load
with no network); ``evaluate:PATH`` (or ``evaluate:NAME`` when the hub is reachable) plugs
in any other module. Scores are per record; a run's value is the mean of per-record
values (never evaluate's random bootstrap aggregation). ``evaluate`` is imported only
when one of these metrics is used (it costs ~4 s and ~470 MB).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict
from rapidfuzz.distance import LCSseq

from swapkit.errors import ConfigError
from swapkit.records import Record
from swapkit.scoring.metrics.base import Kind, Metric, MetricScores, RunData, score_pairs
from swapkit.scoring.metrics.options import parse_options
from swapkit.scoring.metrics.text import reference_text

__all__ = ["EVALUATE_PREFIX", "OVERLAP_METRICS", "EvaluateMetric", "RougeL", "rouge_l",
           "rouge_tokens"]

MODULES = Path(__file__).parent / "evaluate_modules"
EVALUATE_PREFIX = "evaluate:"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = "scores"  # the output key with per-record scores (or a scalar per call)
    # The scale of the module's scores: an answer failure scores its bottom, and a score
    # outside it is the metric failing on that record. 0/1 outputs are tested as pass/fail.
    bounds: tuple[float, float] = (0.0, 1.0)


def _load(where: str) -> Any:
    import evaluate

    try:
        return evaluate.load(where, keep_in_memory=True)
    except Exception as err:  # evaluate raises FileNotFoundError, ConnectionError, ...
        raise ConfigError(f"evaluate module {where!r} cannot be loaded ({err})",
                          hint="give a local module folder (its script named after the "
                          "folder), or a hub name when online") from None


class EvaluateMetric:
    """Per-record scores of an evaluate module, answer vs reference, on both sides."""

    kind: Kind = "continuous"
    higher_is_better = True

    def __init__(self, name: str, where: str, description: str) -> None:
        self.name, self.where, self.description = name, where, description

    def applies_to(self, record: Record, options: dict[str, Any]) -> bool:
        """Records with a text reference."""
        return reference_text(record) is not None

    def _per_record(self, module: Any, predictions: list[str], references: list[str],
                    key: str) -> list[float]:
        result = module.compute(predictions=predictions, references=references)
        values = result.get(key) if isinstance(result, dict) else None
        if isinstance(values, list) and len(values) == len(predictions):
            return [float(v) for v in values]
        # The module aggregates: call it once per record.
        out = []
        for pred, ref in zip(predictions, references, strict=True):
            single = module.compute(predictions=[pred], references=[ref])
            value = single.get(key) if isinstance(single, dict) else None
            if isinstance(value, list):
                value = value[0]
            if not isinstance(value, int | float):
                got = sorted(single) if isinstance(single, dict) else single
                raise ConfigError(f"metric {self.name}: output key {key!r} not found or not a "
                                  f"number (got {got})", hint="set the option key: to the "
                                  "score's name")
            out.append(float(value))
        return out

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score both sides of every record with a text reference, in one batch per side."""
        opts = parse_options(self.name, _Options, options)
        references = [reference_text(r) for r in data.records]
        texts: dict[int, dict[int, str]] = {0: {}, 1: {}}

        def collect(i: int, c: Any) -> tuple[float, str | None]:
            side = 0 if c is data.base[i] else 1
            texts[side][i] = c.answer
            return 0.0, None

        scores = score_pairs(data, self.name, self.kind, True,
                             lambda i: self.applies_to(data.records[i], options), collect,
                             bounds=opts.bounds)
        module = _load(self.where) if texts[0] or texts[1] else None
        for side, array in ((0, scores.base), (1, scores.cand)):
            items = sorted(texts[side].items())
            if not items:
                continue
            values = self._per_record(module, [t for _, t in items],
                                      [references[i] or "" for i, _ in items], opts.key)
            low, high = opts.bounds
            for (i, _), value in zip(items, values, strict=True):
                # Outside the scale is the module failing on this record: the decision
                # counts non-finite scores and scores them worst for that side.
                tolerance = 1e-9 * (high - low)  # floating-point spill over the scale's ends
                inside = low - tolerance <= value <= high + tolerance
                array[i] = min(max(value, low), high) if inside else np.nan
        return scores


_TOKEN = re.compile(r"[a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's tokens (its default tokenizer, no stemming): lower case, runs of a-z0-9."""
    return _TOKEN.findall(text.lower())


def rouge_l(reference: str, prediction: str) -> float:
    """ROUGE-L F-measure of ``prediction`` against ``reference``, as rouge_score computes it
    (``RougeScorer(["rougeL"]).score(reference, prediction)``), with rapidfuzz's LCS
    (bit-parallel) in place of its pure-Python table."""
    ref, pred = rouge_tokens(reference), rouge_tokens(prediction)
    if not ref or not pred:
        return 0.0
    lcs = LCSseq.similarity(ref, pred)
    precision, recall = lcs / len(pred), lcs / len(ref)
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


class RougeL:
    """ROUGE-L F-measure per record, answer vs reference: the scores of the ``rouge_l``
    evaluate module (rouge_score), computed in process (no ``evaluate`` import)."""

    name = "rouge_l"
    kind: Kind = "continuous"
    higher_is_better = True
    description = "ROUGE-L F-measure vs the reference"

    def score(self, data: RunData, options: dict[str, Any]) -> MetricScores:
        """Score both sides of every record with a text reference."""
        opts = parse_options(self.name, _Options, options)
        if opts.key != "scores":
            raise ConfigError(f"metric {self.name}: output key {opts.key!r} not found or not a "
                              "number (got ['scores'])", hint="set the option key: to the "
                              "score's name")
        low, high = opts.bounds
        tolerance = 1e-9 * (high - low)

        def value(i: int, c: Any) -> tuple[float, str | None]:
            score = rouge_l(reference_text(data.records[i]) or "", c.answer)
            inside = low - tolerance <= score <= high + tolerance
            return (min(max(score, low), high) if inside else np.nan), None

        return score_pairs(data, self.name, self.kind, True,
                           lambda i: reference_text(data.records[i]) is not None, value,
                           bounds=opts.bounds)


OVERLAP_METRICS: list[Metric] = [
    RougeL(),
    EvaluateMetric("bleu", str(MODULES / "bleu"), "sentence BLEU vs the reference (0-1)"),
    EvaluateMetric("chrf", str(MODULES / "chrf"), "sentence chrF vs the reference (0-1)"),
]
