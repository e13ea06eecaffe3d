"""The judge's verdicts as the scorer reads them: stored completions found by key.

Scoring never calls a model. For each record it rebuilds the judge's requests exactly as
the replay's judge stage built them (:func:`swapkit.replay.judge.judge_calls`, and
:meth:`swapkit.replay.pointwise.PointwiseAsk.calls` for the answers judged alone), hashes
them and reads the stored completions under their keys: a verdict is found only for the
very answers, template and judge it was given for.
"""

from __future__ import annotations

from pathlib import Path

from swapkit.completion import Completion
from swapkit.config import JudgeConfig
from swapkit.replay.judge import JudgeTemplate, judge_calls, load_template
from swapkit.replay.pointwise import PointwiseAsk
from swapkit.replay.targets import target_identity
from swapkit.scoring.metrics.base import RunData
from swapkit.store import RunStore

__all__ = ["StoredJudge"]


class StoredJudge:
    """:class:`swapkit.scoring.metrics.base.JudgeVerdicts` over a run store."""

    def __init__(self, store: RunStore, data: RunData, judge: JudgeConfig) -> None:
        self.store, self.data = store, data
        self.identity = target_identity(judge)
        self.structured = judge.structured
        self._templates: dict[str | None, JudgeTemplate] = {}

    def _template(self, path: str | None) -> JudgeTemplate:
        if path not in self._templates:
            self._templates[path] = load_template(Path(path) if path else None)
        return self._templates[path]

    def pair(self, i: int, template: str | None) -> tuple[Completion | None,
                                                           Completion | None] | None:
        """The stored judge completions of record ``i`` in orders AB and BA (None: the two
        answers read the same to the judge, who was not asked)."""
        calls = judge_calls(self.data.records[i], self.data.base[i], self.data.cand[i],
                            self._template(template), self.identity, self.structured)
        if len(calls) != 2:
            return None
        first, second = (self.store.get_completion(call.key) for call in calls)
        return first, second

    def pointwise(self, i: int, ask: PointwiseAsk) -> tuple[Completion | None,
                                                           Completion | None]:
        """The stored judge completions of record ``i``'s baseline and candidate answers
        judged alone by ``ask`` (None: no call for that side, or none stored)."""
        calls = ask.calls(self.data.records[i], self.data.base[i], self.data.cand[i],
                          self.identity, self.structured)
        found = {call.order: self.store.get_completion(call.key) for call in calls}
        return found.get("baseline"), found.get("candidate")
