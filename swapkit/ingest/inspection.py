"""``swapkit inspect`` as library functions: a log's figures, or a config's preflight."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from swapkit.config import SIDES, LogFilter, LogSource, Suite, check_environment, load_config
from swapkit.ingest.filtering import filter_for_log
from swapkit.ingest.logstats import LogStats, inspect_stats
from swapkit.ingest.sampling import sample_log

__all__ = ["ConfigReport", "TargetSummary", "inspect_config", "inspect_log"]


class TargetSummary(BaseModel):
    """A target as the preflight shows it (never the key, only its variable's name)."""

    side: str
    name: str
    kind: str
    model: str | None
    base_url: str | None
    api_key_env: str | None
    params: dict[str, Any]


class ConfigReport(BaseModel):
    """What ``swapkit inspect swap.yaml`` found."""

    config: str
    name: str
    log: LogStats
    targets: list[TargetSummary]
    sample_size: int
    sample_by_segment: dict[str, int]
    filtered_out: int
    filtered_by: dict[str, int] = Field(default_factory=dict,
                                        description="records filtered out, by the first "
                                        "condition of log.filter they failed")
    since: datetime | None = Field(default=None, description="the filter's time window, "
                                   "relative bounds resolved against the log's latest record")
    until: datetime | None = None
    duplicates_dropped: int
    noise_subset: int
    requests_per_target: dict[str, int]
    preflight: list[str] = Field(default_factory=list,
                                 description="each live target: reachable, key, model")
    preflight_ok: bool = True
    warnings: list[str] = Field(default_factory=list,
                                description="valid but probably wrong (a self-judging judge)")


def inspect_log(source: LogSource, keep: LogFilter | None = None) -> LogStats:
    """Stream the whole log once and summarise it: the records ``keep`` keeps, when given,
    with the others counted by reason."""
    if keep is None or not keep.is_set():
        return inspect_stats(source)
    return inspect_stats(source, filter_for_log(keep, source))


def inspect_config(path: Path, env: Mapping[str, str] | None = None,
                   log_filter: Mapping[str, Any] | None = None) -> ConfigReport:
    """Validate the config, check the key variables, and summarise its log and its sample
    (``log_filter``: ``log.filter`` keys replacing the config's, as the command line's)."""
    config = load_config(path, env)
    if log_filter:
        config = config.model_copy(update={"log": config.log.with_filter(dict(log_filter))})
    check_environment(config, env)
    source = config.log.source()
    stats = inspect_log(source)
    # A second pass draws the sample exactly as the replay will.
    sample = sample_log(config.log)
    n = len(sample.records)
    noise = min(n, config.noise.subset) * config.noise.samples if config.noise.enabled else 0
    targets = []
    requests: dict[str, int] = {}
    for side in SIDES:
        target = getattr(config, side)
        recorded = target.recorded is not False
        targets.append(TargetSummary(
            side=side, name=target.display_name,
            kind="recorded" if recorded else "endpoint", model=target.model,
            base_url=target.base_url, api_key_env=target.api_key_env, params=target.params,
        ))
        extra = noise if side == "baseline" or config.noise.candidate else 0
        requests[side] = 0 if recorded else n + extra
    judged = len(config.suite.judge_metrics()) if isinstance(config.suite, Suite) else 0
    if config.judge is not None:
        judge = config.judge
        targets.append(TargetSummary(
            side="judge", name=judge.display_name, kind="endpoint", model=judge.model,
            base_url=judge.base_url, api_key_env=judge.api_key_env, params=judge.params))
        # At most: two per record and judge metric (both orders, or each side alone;
        # failed answers are not judged, nor, pairwise, two alike).
        requests["judge"] = 2 * n * judged
    return ConfigReport(
        config=str(path), name=config.name, log=stats, targets=targets, sample_size=n,
        sample_by_segment=sample.selected, filtered_out=sample.filtered_out,
        filtered_by=sample.filtered_by, since=sample.since, until=sample.until,
        duplicates_dropped=sample.duplicates, noise_subset=noise, requests_per_target=requests,
        warnings=config.warnings(),
    )
