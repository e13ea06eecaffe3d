"""What a suite asks the judge: one ask per judge metric, each making a record's calls.

``judge_pairwise`` asks about both answers together, in two orders
(:mod:`swapkit.replay.judge`); ``judge_score`` and ``judge_reference`` about each answer alone
(:mod:`swapkit.replay.pointwise`). The replay's judge stage runs the calls of every ask, and
``swapkit plan`` counts them; :func:`judge_jobs` lists a run's judge requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from swapkit.completion import Completion
from swapkit.config import JudgeConfig, Suite
from swapkit.records import Record
from swapkit.replay.judge import (
    PAIRWISE_METRIC,
    REJUDGE_SAMPLE,
    JudgeCall,
    JudgeTemplate,
    judge_calls,
    rejudge_subset,
    suite_templates,
)
from swapkit.replay.pointwise import pointwise_ask
from swapkit.store import RunStore
from swapkit.support.hashing import completion_key

__all__ = ["JudgeAsk", "JudgeJob", "PairwiseAsk", "judge_jobs", "suite_asks"]

# record, request hash, completion key, sample index: a job of the replay's workers
JudgeJob = tuple[Record, str, str, int]


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


def judge_jobs(store: RunStore, identity: dict[str, Any], asks: list[JudgeAsk],
               judge: JudgeConfig, seed: int) -> list[JudgeJob]:
    """The judge requests of every record (pairwise: both sides answered; pointwise: each
    side that answered), each once; then the second judging (sample 1) of the pairwise
    calls of the re-judged subset."""
    targets = store.targets()
    base = store.completion_sequence(targets["baseline"].target, 0)
    cand = store.completion_sequence(targets["candidate"].target, 0)
    jobs: dict[str, JudgeJob] = {}
    judged: list[tuple[Record, list[JudgeCall]]] = []
    for record, b, c in zip(store.record_sequence(), base, cand, strict=True):
        pairs: list[JudgeCall] = []
        for ask in asks:
            calls = ask.calls(record, b, c, identity, judge.structured)
            for call in calls:
                jobs.setdefault(call.key, (call.record, call.request_hash, call.key, 0))
            if isinstance(ask, PairwiseAsk):
                pairs += calls
        if pairs and judge.rejudge:
            judged.append((record, pairs))
    again = rejudge_subset([record for record, _ in judged], judge.rejudge, seed)
    for record, calls in judged:
        if record.request_hash in again:
            for call in calls:
                key = completion_key(identity, call.request_hash, REJUDGE_SAMPLE)
                jobs.setdefault(key, (call.record, call.request_hash, key, REJUDGE_SAMPLE))
    return list(jobs.values())
