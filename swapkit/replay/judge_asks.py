"""What a suite asks the judge: one ask per judge metric, each making a record's calls.

``judge_pairwise`` asks about both answers together, in two orders
(:mod:`swapkit.replay.judge`); ``judge_score`` and ``judge_reference`` about each answer alone
(:mod:`swapkit.replay.pointwise`). The replay's judge stage runs the calls of every ask, and
``swapkit plan`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from swapkit.completion import Completion
from swapkit.config import Suite
from swapkit.records import Record
from swapkit.replay.judge import (
    PAIRWISE_METRIC,
    JudgeCall,
    JudgeTemplate,
    judge_calls,
    suite_templates,
)
from swapkit.replay.pointwise import pointwise_ask

__all__ = ["JudgeAsk", "PairwiseAsk", "suite_asks"]


class JudgeAsk(Protocol):
    """A judge metric's requests: its template, and the calls it makes for a record."""

    @property
    def template(self) -> JudgeTemplate:
        """The template the requests are rendered from."""
        ...

    def calls(self, record: Record, base: Completion | None, cand: Completion | None,
              identity: dict[str, Any], structured: bool) -> list[JudgeCall]:
        """The judge's calls for one record (none when there is nothing to judge)."""
        ...


@dataclass(frozen=True)
class PairwiseAsk:
    """``judge_pairwise``'s ask: both answers, in both orders."""

    template: JudgeTemplate

    def calls(self, record: Record, base: Completion | None, cand: Completion | None,
              identity: dict[str, Any], structured: bool) -> list[JudgeCall]:
        """The two orders' calls (:func:`swapkit.replay.judge.judge_calls`)."""
        return judge_calls(record, base, cand, self.template, identity, structured)


def suite_asks(suite: Suite) -> list[JudgeAsk]:
    """The asks of the suite's judge metrics (listed or gated), each once."""
    asks: list[JudgeAsk] = [PairwiseAsk(t) for t in suite_templates(suite)]
    specs: list[tuple[str, dict[str, Any] | None]] = [
        (spec, None) if isinstance(spec, str) else next(iter(spec.items()))
        for spec in suite.metrics]
    listed = {name for name, _ in specs}
    specs += [(gate.metric, None) for gate in suite.gates if gate.metric not in listed]
    judged = set(suite.judge_metrics()) - {PAIRWISE_METRIC}
    pointwise = [pointwise_ask(name, options) for name, options in specs if name in judged]
    return asks + list(dict.fromkeys(pointwise))
