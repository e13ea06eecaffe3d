"""ROUGE-L F-measure per prediction, as a local evaluate module (loads with no network)."""

import datasets
import evaluate
from rouge_score import rouge_scorer

_DESCRIPTION = "ROUGE-L F-measure of each prediction against its reference (no aggregation)."
_KWARGS = "predictions: list of str; references: list of str. Returns {'scores': [float]}."


class RougeL(evaluate.Metric):
    """Per-record ROUGE-L: swapkit averages per-record values, never bootstraps inside."""

    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION, citation="Lin (2004), ROUGE", inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, use_stemmer=False):
        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=use_stemmer)
        return {"scores": [scorer.score(ref, pred)["rougeL"].fmeasure
                           for pred, ref in zip(predictions, references, strict=True)]}
