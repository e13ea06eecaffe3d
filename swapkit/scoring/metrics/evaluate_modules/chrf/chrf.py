"""Sentence chrF (sacrebleu) per prediction on [0, 1], as a local evaluate module."""

import datasets
import evaluate
import sacrebleu

_DESCRIPTION = "Sentence-level chrF of each prediction against its reference, divided by 100."
_KWARGS = "predictions: list of str; references: list of str. Returns {'scores': [float]}."


class Chrf(evaluate.Metric):
    """Per-record character n-gram F-score."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="Popovic (2015), chrF",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        return {"scores": [sacrebleu.sentence_chrf(pred, [ref]).score / 100
                           for pred, ref in zip(predictions, references, strict=True)]}
