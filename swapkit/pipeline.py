"""The main job: sample → replay → score → decide → report, as one library call.

``swapkit run`` is a thin adapter over :func:`run_migration`; so is ``swapkit demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swapkit.config import DEFAULT_RUNS_DIR, DEFAULT_SUITE, Suite, SwapConfig, TargetConfig
from swapkit.decision.decide import decide_run
from swapkit.decision.model import Decision
from swapkit.replay.engine import ReplayOptions, ReplaySummary, replay_run
from swapkit.report import build_reports
from swapkit.scoring.embeddings.prefetch import EmbeddingPrefetch, needs_embeddings
from swapkit.scoring.score import score_run

__all__ = ["RunOptions", "RunResult", "apply_overrides", "exit_code", "run_migration",
           "with_options"]


@dataclass
class RunOptions:
    """What the command line may change for one run."""

    max_records: int | None = None
    only: str | None = None
    report_only: bool = False
    quiet: bool = False
    max_requests: int | None = None
    max_spend_usd: float | None = None
    fail_fast: bool | None = None
    preflight: bool = True
    formats: list[str] | None = None
    report_dir: Path | None = None
    run_dir: Path | None = None


@dataclass
class RunResult:
    """What a run produced."""

    decision: Decision
    reports: dict[str, Path]
    replay: ReplaySummary | None = None
    notes: list[str] = field(default_factory=list)


def apply_overrides(config: SwapConfig, overrides: dict[str, dict[str, Any]]) -> SwapConfig:
    """``{"candidate": {"model": "qwen3-32b"}}`` → a config with those target fields set."""
    update: dict[str, TargetConfig] = {}
    for side, fields in overrides.items():
        values = {k: v for k, v in fields.items() if v is not None}
        if values:
            target: TargetConfig = getattr(config, side)
            # Validate the result: a recorded target given a model needs a base_url, etc.
            update[side] = TargetConfig.model_validate({**target.model_dump(), **values})
    return config.model_copy(update=update) if update else config


def with_options(config: SwapConfig, options: RunOptions) -> SwapConfig:
    if options.max_records is not None:
        sample = config.log.sample.model_copy(update={"n": options.max_records})
        config = config.model_copy(update={"log": config.log.model_copy(update={"sample":
                                                                                 sample})})
    if options.run_dir is not None:
        config = config.model_copy(update={"run_dir": options.run_dir})
    return config


def _prefetch(config: SwapConfig, run_dir: Path) -> EmbeddingPrefetch | None:
    """Embed answers during the replay when the suite will need them (local models)."""
    suite = config.suite if isinstance(config.suite, Suite) else DEFAULT_SUITE
    if config.embeddings.backend == "openai" or not needs_embeddings(suite) or (
            config.executor.ray):  # on Ray, scoring embeds on the cluster
        return None
    return EmbeddingPrefetch(run_dir, config.embeddings).start()


def run_migration(config: SwapConfig, options: RunOptions | None = None,
                  stage: Callable[[str], None] | None = None) -> RunResult:
    """Run the whole migration check; ``stage`` is told when each stage starts."""
    options = options or RunOptions()
    config = with_options(config, options)
    say = stage or (lambda _: None)
    run_dir = config.run_dir or DEFAULT_RUNS_DIR
    summary = None
    notes = []
    if not options.report_only:
        say("replaying")
        prefetch = _prefetch(config, run_dir)
        summary = None
        try:
            summary = replay_run(config, ReplayOptions(
                run_dir=run_dir, only=options.only, max_requests=options.max_requests,
                max_spend_usd=options.max_spend_usd, fail_fast=options.fail_fast,
                preflight=options.preflight,
                quiet=options.quiet))
        finally:
            if prefetch is not None:
                # Interrupted or failed: do not wait for the embedding in hand (Ctrl-C must
                # exit at once); the thread is a daemon and its writes are transactions.
                finished = summary is not None and not summary.interrupted
                prefetch.stop(timeout_s=600.0 if finished else 0.5)
        if summary.interrupted:
            raise KeyboardInterrupt
        if summary.stopped:
            notes.append(f"the replay stopped early ({summary.stopped}); the decision uses the "
                         "completions stored so far. Rerun to complete it.")

    say("scoring")
    score_run(run_dir, force=False, executor=config.executor)
    say("deciding")
    decision = decide_run(run_dir, notes=notes)
    say("writing reports")
    formats = options.formats or [str(f) for f in config.report.formats]
    reports = build_reports(run_dir, formats, options.report_dir or config.report.dir)
    return RunResult(decision, reports, summary, notes)


def exit_code(decision: Decision, inconclusive: str = "fail") -> int:
    """0 GO, 1 NO-GO, 4 INCONCLUSIVE (0 when ``inconclusive`` is warn or pass).

    An incomplete run (answers missing) is never let through: INCONCLUSIVE stays 4.
    """
    if decision.verdict == "GO":
        return 0
    if decision.verdict == "NO-GO":
        return 1
    return 4 if inconclusive == "fail" or decision.missing else 0
