"""Scoring a run: per-record metric values for both sides, cached in the run store.

``score_run`` never calls a model. It reads the sample and the completions from the
store, computes every metric the suite names (and every metric its gates use), and
stores the arrays; embeddings are cached per text, so scoring again only embeds texts
it has not seen.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from swapkit.config import DEFAULT_SUITE, SIDES, EmbeddingsConfig, ExecutorConfig, Suite
from swapkit.errors import UsageError
from swapkit.scoring.embeddings.backends import resolve_backend
from swapkit.scoring.embeddings.embedders import EmbeddingCache
from swapkit.scoring.embeddings.prefetch import needs_embeddings
from swapkit.scoring.judging import StoredJudge
from swapkit.scoring.metrics import MetricScores, RunData, get_metric, parse_spec
from swapkit.store import RunStore
from swapkit.store.reviews import load_review, review_digest
from swapkit.store.runs import stored_config
from swapkit.support.hashing import content_hash

__all__ = ["ScoreSummary", "load_run_data", "load_scores", "run_suite", "score_run"]


@dataclass
class ScoreSummary:
    """What a scoring pass computed."""

    run_dir: Path
    records: int
    metrics: dict[str, MetricScores]
    embeddings_computed: int = 0
    embeddings_reused: int = 0
    embeddings_truncated: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    reused: bool = False  # the stored scores were still current


def run_suite(store: RunStore, override: Suite | None = None) -> Suite:
    """The suite to score with: an override, the config's, or the default suite."""
    if override is not None:
        return override
    suite = stored_config(store).suite
    return suite if isinstance(suite, Suite) else DEFAULT_SUITE


def load_run_data(store: RunStore) -> RunData:
    """The sample and each side's completions (sample 0; the baseline's sample 1 as noise).

    Read from the store a page at a time as they are used: valid while ``store`` is open.
    """
    targets = store.targets()
    missing = [side for side in SIDES if side not in targets]
    if missing:
        raise UsageError(f"{store.run_dir}: no {' or '.join(missing)} completions",
                         hint="run `swapkit replay swap.yaml` (both sides) first")
    base_t, cand_t = targets["baseline"].target, targets["candidate"].target
    return RunData(store.record_sequence(), store.completion_sequence(base_t, 0),
                   store.completion_sequence(cand_t, 0), store.completion_sequence(base_t, 1),
                   targets["baseline"].label, targets["candidate"].label)


def suite_specs(suite: Suite) -> list[tuple[str, dict[str, Any]]]:
    """(metric, options) for every metric the suite lists or gates, with the suite-level
    ``extract:`` as the default of every metric that extracts."""
    specs = [parse_spec(s) for s in suite.metrics]
    listed = {name for name, _ in specs}
    for gate in suite.gates:
        if gate.metric not in listed:
            specs.append((gate.metric, {}))
            listed.add(gate.metric)
    if suite.extract is None:
        return specs
    return [(name, {"extract": suite.extract, **options}
             if getattr(get_metric(name), "extracts", False) else options)
            for name, options in specs]


def score_run(run_dir: Path, suite: Suite | None = None,
              embeddings: EmbeddingsConfig | None = None, force: bool = True,
              executor: ExecutorConfig | None = None) -> ScoreSummary:
    """Score every metric of the run's suite and store the arrays.

    With ``force=False`` the stored scores are reused when neither the suite, the
    embedding settings nor the completions changed since they were computed. With a Ray
    ``executor`` the answers are embedded on the cluster (the vectors are cached here).
    """
    start = time.monotonic()
    with RunStore(run_dir) as store:
        config = stored_config(store)
        chosen = run_suite(store, suite)
        settings = embeddings or config.embeddings
        # read once, before the labels are: one written meanwhile makes the next pass stale
        reviewed = review_digest(store)
        fingerprint = content_hash([chosen.model_dump(mode="json"),
                                    settings.model_dump(mode="json", exclude={"device"}),
                                    store.completions_version(), store.record_count(),
                                    _labels_digest(config.judge.labels if config.judge
                                                   else None), reviewed])
        if not force and store.get_meta("score_fingerprint") == fingerprint:
            stored = load_scores(store)
            if stored:
                return ScoreSummary(run_dir, store.record_count(), stored,
                                    seconds=time.monotonic() - start,
                                    notes=store.get_meta("score_notes", []) or [], reused=True)
        specs = suite_specs(chosen)
        for name, _ in specs:
            get_metric(name)  # unknown names fail before any work
        data = load_run_data(store)
        cache = _embedding_cache(store, settings, chosen, executor)
        data.embedder = cache
        data.review = load_review(store)
        if config.judge is not None:
            data.judge = StoredJudge(store, data, config.judge, config.log.sample.seed)
            data.labels = config.judge.labels
        results: dict[str, MetricScores] = {}
        rows = []
        remote = _scored_on_ray(data, specs, executor)
        for name, options in specs:
            scores = remote[name] if name in remote else get_metric(name).score(data, options)
            results[name] = scores
            rows.append((name, orjson.dumps({"name": name, "options": options}).decode(),
                         orjson.dumps(scores.to_json()).decode()))
        store.save_scores(rows)
        store.set_meta("scored_suite", chosen.model_dump(mode="json"))
        summary = ScoreSummary(run_dir, len(data), results, cache.computed, cache.reused,
                               cache.truncated, time.monotonic() - start)
        if cache.computed or cache.reused:
            summary.notes.append(f"embeddings: {cache.model_id.split('@')[0]} on "
                                 f"{resolve_backend(cache.config).describe()}"
                                 + (" on Ray" if cache.computed and cache.remote else ""))
        if cache.truncated:
            summary.notes.append(
                f"{cache.truncated} answer(s) were longer than the embedding model's window "
                "and were truncated before embedding")
        if remote:
            summary.notes.append(f"scored on Ray: {', '.join(remote)}")
        summary.notes.extend(config.warnings())
        store.set_meta("score_notes", summary.notes)
        store.set_meta("score_fingerprint", fingerprint)
        store.set_meta("scored_review", reviewed)
        return summary


def _embedding_cache(store: RunStore, settings: EmbeddingsConfig, suite: Suite,
                     executor: ExecutorConfig | None) -> EmbeddingCache:
    """The run's vectors: encoded here, or on the Ray cluster of a Ray executor (only
    connected to when the suite embeds)."""
    if executor is None or not executor.ray or settings.backend == "openai" or (
            not needs_embeddings(suite)):
        return EmbeddingCache(store, settings)
    from swapkit.scoring.embeddings.ray_encoder import RayEmbedder

    embedder = RayEmbedder(settings, executor)
    return EmbeddingCache(store, embedder.settings, embedder, remote=True)


def _scored_on_ray(data: RunData, specs: list[tuple[str, dict[str, Any]]],
                   executor: ExecutorConfig | None) -> dict[str, MetricScores]:
    """The per-record metrics of a Ray executor's run, scored on the cluster."""
    if executor is None or not executor.ray:
        return {}
    from swapkit.replay.cluster import connect, task_error
    from swapkit.scoring.ray_metrics import score_on_ray

    ray = connect(executor)
    try:
        return score_on_ray(ray, data, specs)
    except ray.exceptions.RayError as err:
        raise task_error(err) from None


def _labels_digest(path: Path | None) -> str | None:
    """What the human labels file holds now: new labels make the scores stale."""
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_scores(store: RunStore) -> dict[str, MetricScores]:
    """The stored metric arrays (empty when the run was never scored)."""
    return {metric: MetricScores.from_json(orjson.loads(scores))
            for metric, _, scores in store.load_scores()}


def mean_or_none(values: np.ndarray) -> float | None:
    """Mean of the non-NaN values (None when there are none)."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else None
