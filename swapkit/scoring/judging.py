"""The judge's verdicts as the scorer reads them: stored completions found by key.

Scoring never calls a model. For each record it rebuilds the judge's requests exactly as
the replay's judge stage built them (:func:`swapkit.replay.judge.judge_calls`, and
:meth:`swapkit.replay.pointwise.PointwiseAsk.calls` for the answers judged alone), hashes
them and reads the stored completions under their keys: a verdict is found only for the
very answers, template and judge it was given for. The re-judged subset is drawn again
from the judged records, as the replay drew it, and its second verdicts read under
their sample-1 keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from swapkit.completion import Completion
from swapkit.config import JudgeConfig
from swapkit.replay.judge import (
    REJUDGE_SAMPLE,
    JudgeTemplate,
    judge_calls,
    load_template,
    rejudge_subset,
)
from swapkit.replay.pointwise import PointwiseAsk
from swapkit.replay.targets import target_identity
from swapkit.scoring.metrics.base import RunData
from swapkit.store import RunStore

__all__ = ["StoredJudge"]


class _Key(NamedTuple):
    """What the re-judged subset's draw reads of a record."""

    id: str
    segment: str | None
    request_hash: str


class StoredJudge:
    """:class:`swapkit.scoring.metrics.base.JudgeVerdicts` over a run store."""

    def __init__(self, store: RunStore, data: RunData, judge: JudgeConfig,
                 seed: int = 0) -> None:
        self.store, self.data = store, data
        self.identity = target_identity(judge)
        self.structured = judge.structured
        self.rejudge, self.seed = judge.rejudge, seed  # seed: the log sample's
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

    def rejudged(self, judged: list[int], template: str | None
                 ) -> dict[int, tuple[Completion | None, Completion | None]]:
        """The second judging of the re-judged subset of the ``judged`` records: record
        index → its stored sample-1 completions in orders AB and BA (None where none is
        stored). Empty when ``rejudge`` is 0."""
        if not self.rejudge:
            return {}
        keys = {i: _Key(r.id, r.segment, r.request_hash)
                for i, r in ((i, self.data.records[i]) for i in judged)}
        again = rejudge_subset(list(keys.values()), self.rejudge, self.seed)
        second: dict[int, tuple[Completion | None, Completion | None]] = {}
        for i, key in keys.items():
            if key.request_hash not in again:
                continue
            calls = judge_calls(self.data.records[i], self.data.base[i], self.data.cand[i],
                                self._template(template), self.identity, self.structured,
                                REJUDGE_SAMPLE)
            if len(calls) == 2:
                second[i] = (self.store.get_completion(calls[0].key),
                             self.store.get_completion(calls[1].key))
        return second
