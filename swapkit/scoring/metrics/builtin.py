"""The metrics swapkit ships, registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable

from swapkit.scoring.metrics.base import Metric
from swapkit.support.plugins import hookimpl

__all__ = ["register_metrics"]


@hookimpl(trylast=True)  # plugins first, as when built-ins were registered first
def register_metrics(register: Callable[[Metric], None]) -> None:
    """Register the built-in metrics."""
    from swapkit.scoring.metrics.answers import AnswerAgreement, AnswerMatch
    from swapkit.scoring.metrics.human_review import HumanReview
    from swapkit.scoring.metrics.judge import JudgePairwise
    from swapkit.scoring.metrics.judge_pointwise import JudgeReference, JudgeScore
    from swapkit.scoring.metrics.ops import RATE_METRICS, RATIO_METRICS
    from swapkit.scoring.metrics.overlap import OVERLAP_METRICS
    from swapkit.scoring.metrics.similarity import Similarity, SimilarityToReference
    from swapkit.scoring.metrics.structured import (
        JsonFieldMatch,
        JsonSchemaValid,
        JsonValid,
        LabelMatch,
        ToolCallMatch,
    )
    from swapkit.scoring.metrics.text import (
        Contains,
        ExactMatch,
        LanguageMatch,
        Refusal,
        RegexMatch,
    )

    metrics: tuple[Metric, ...] = (
        Similarity(), SimilarityToReference(), ExactMatch(), Contains(), RegexMatch(),
        JsonValid(), JsonSchemaValid(), JsonFieldMatch(), LabelMatch(), ToolCallMatch(),
        Refusal(), LanguageMatch(), AnswerMatch(), AnswerAgreement(), JudgePairwise(),
        JudgeScore(), JudgeReference(), HumanReview(),
        *OVERLAP_METRICS,
        *RATE_METRICS, *RATIO_METRICS,
    )
    for metric in metrics:
        register(metric)
