"""The metrics swapkit ships, registered through the same hook as any plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from swapkit.plugins import hookimpl

__all__ = ["register_metrics"]


@hookimpl
def register_metrics(register: Callable[[Any], None]) -> None:
    """Register the built-in metrics."""
    from swapkit.metrics.ops import RATE_METRICS, RATIO_METRICS
    from swapkit.metrics.overlap import OVERLAP_METRICS
    from swapkit.metrics.similarity import Similarity, SimilarityToReference
    from swapkit.metrics.structured import (
        JsonFieldMatch,
        JsonSchemaValid,
        JsonValid,
        LabelMatch,
        ToolCallMatch,
    )
    from swapkit.metrics.text import Contains, ExactMatch, LanguageMatch, Refusal, RegexMatch

    for metric in (
        Similarity(), SimilarityToReference(), ExactMatch(), Contains(), RegexMatch(),
        JsonValid(), JsonSchemaValid(), JsonFieldMatch(), LabelMatch(), ToolCallMatch(),
        Refusal(), LanguageMatch(), *OVERLAP_METRICS, *RATE_METRICS, *RATIO_METRICS,
    ):
        register(metric)
