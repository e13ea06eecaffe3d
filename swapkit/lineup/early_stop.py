"""Early stopping: a candidate stops being sent requests once a hard gate is a NO-GO at
any later point (an anytime-valid confidence sequence over the answered prefix,
docs/methodology.md §6.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from swapkit.config import GateSpec, SwapConfig
from swapkit.decision.gates import default_margin
from swapkit.decision.stats.sequential import prpl_eb_cs
from swapkit.lineup.results import EarlyStop
from swapkit.pipeline import RunOptions
from swapkit.replay.engine import ReplayOptions, ReplaySummary, replay_run
from swapkit.replay.targets import target_hash, target_identity
from swapkit.scoring.embeddings.prefetch import EMBEDDING_METRICS
from swapkit.scoring.metrics import get_metric
from swapkit.scoring.metrics.human_review import HumanReview
from swapkit.scoring.score import load_run_data, run_suite, suite_specs
from swapkit.store import RunStore

__all__ = ["CHUNK", "MIN_WATCHED", "nogo_settled", "replay_watching", "settled_nogo"]

STOP_META = "early_stop"  # the run store's record of a stop (read by the decision)

CHUNK = 100  # candidate requests before the first look; each later chunk doubles
MIN_WATCHED = 30  # answered pairs before a gate is looked at


def _checkable(spec: GateSpec, metric: Any) -> bool:
    """Gates the replay can watch: hard non-inferiority over the whole run, on a metric
    scored from the answers alone (no embedding model, judge or people)."""
    return (spec.hard and spec.kind == "noninferiority" and spec.segment is None
            and metric.kind in ("binary", "continuous") and spec.metric not in (
                *EMBEDDING_METRICS, HumanReview.name) and not spec.metric.startswith("judge"))


def nogo_settled(d: np.ndarray, low: float, high: float, margin: float, alpha: float
                 ) -> tuple[bool, float]:
    """The rule on one gate's paired differences ``d`` (each in [low − high, high − low]),
    in the order they were answered: whether the anytime-valid upper bound of their mean is
    below −margin, and that bound."""
    upper = float(prpl_eb_cs(d, low - high, high - low, alpha)[1][-1])
    return upper < -margin, upper


def settled_nogo(run_dir: Path, alpha: float, candidate: str | None = None
                 ) -> EarlyStop | None:
    """Whether a hard gate is already a NO-GO at any later point: the anytime-valid
    confidence sequence (predictable plug-in empirical Bernstein, docs/methodology.md §5.2)
    of its paired difference over the records answered so far, in replay order, lies below
    −margin. α is split over the gates watched."""
    with RunStore(run_dir, read_only=True) as store:
        stored = store.targets().get("candidate")
        if stored is None or (candidate is not None and stored.target != candidate):
            return None  # nothing answered yet, or by another candidate (its config changed)
        suite = run_suite(store)
        data = load_run_data(store)
        answered = next((i for i, c in enumerate(data.cand) if c is None), len(data))
        if answered == len(data):  # nothing left to save: the run decides as usual
            return None
        conversations = [c for c in data.record_field("conversation_id")[:answered] if c]
        if len(set(conversations)) < len(conversations):
            return None  # turns of one conversation are not independent: not watched
        watched = [(spec, get_metric(spec.metric)) for spec in suite.gates]
        watched = [(spec, metric) for spec, metric in watched if _checkable(spec, metric)]
        options: dict[str, dict[str, Any]] = {}
        for name, given in suite_specs(suite):  # each metric's first options, as before
            options.setdefault(name, given)
        for spec, metric in watched:
            scores = metric.score(data, dict(options.get(spec.metric, {})))
            base, cand = scores.base[:answered], scores.cand[:answered]
            d = (cand - base) if scores.higher_is_better else (base - cand)
            d = d[np.isfinite(d)]
            if d.size < MIN_WATCHED:
                continue
            low, high = scores.bounds or (0.0, 1.0)
            margin = default_margin(spec, scores)
            settled, upper = nogo_settled(d, low, high, margin, alpha / len(watched))
            if settled:
                return EarlyStop(answered, len(data), spec.display_name, upper, margin)
    return None


def replay_watching(member: SwapConfig, options: RunOptions, alpha: float
                     ) -> tuple[EarlyStop | None, int, float]:
    """Replay the baseline, then the candidate a chunk at a time (each twice the last), and
    stop when a hard gate is a settled NO-GO; (the stop, requests sent, money spent). The
    confidence sequence holds at every look at once, so the schedule of looks is free: a
    doubling one keeps the calls few on a large sample."""
    assert member.run_dir is not None
    sent, spent = 0, 0.0

    def replay(only: str, cap: int | None, preflight: bool) -> ReplaySummary:
        nonlocal sent, spent
        summary = replay_run(member, ReplayOptions(
            run_dir=member.run_dir, only=only, max_requests=cap, quiet=options.quiet,
            preflight=preflight and options.preflight, fail_fast=options.fail_fast))
        sent += sum(t.attempts for t in summary.targets)
        spent += sum(t.spend_usd for t in summary.targets)
        if summary.interrupted:
            raise KeyboardInterrupt
        return summary

    replay("baseline", None, True)
    first, chunk = True, CHUNK
    candidate = target_hash(target_identity(member.candidate))
    while True:
        stop = settled_nogo(member.run_dir, alpha, candidate)  # a rerun looks first
        if stop is not None:
            _remember(member, stop)
            return stop, sent, spent
        summary = replay("candidate", chunk, first)
        first = False
        chunk *= 2  # looks at 100, 300, 700, ... records: few calls, any look is valid
        if summary.stopped is None:  # the whole sample is answered
            _remember(member, None)
            return None, sent, spent


def _remember(member: SwapConfig, stop: EarlyStop | None) -> None:
    """Keep the stop in the run's store, with the candidate it stopped: the run's decision
    is the stop's NO-GO while that candidate's answers are missing (``swapkit report``
    and ``swapkit view`` then say the same)."""
    assert member.run_dir is not None
    with RunStore(member.run_dir) as store:
        store.set_meta(STOP_META, None if stop is None else {
            "answered": stop.answered, "planned": stop.planned, "gate": stop.gate,
            "upper": stop.upper, "margin": stop.margin,
            "target": target_hash(target_identity(member.candidate)),
            "config_hash": store.get_meta("config_hash")})
