"""``swapkit plan`` and ``swapkit run --dry-run``: what a run would send, cost and need.

Requests are exact (the sample, plus the noise-floor samples); the judge's are an upper
bound (per record, two for each judge metric: both orders for judge_pairwise, each side for
judge_score and judge_reference, the latter only where the record has a reference; failed
answers are not judged, nor, pairwise, two alike; and both orders again for each of the
``rejudge`` records judged twice). Tokens are estimated at four characters a token for
prompts; completion tokens come from the usage recorded in the log when there is some (less
its reasoning tokens for a target whose params turn thinking off), else from the
reference's length. A judge request's prompt is its template, the conversation, the
reference and the expected answers it shows (two pairwise, one pointwise); its completion, a
short reason and the verdict. Cost applies each target's price table; wall time is requests
x latency / concurrency, or the rpm limit when that is slower. Sample sizes per gate follow
docs/methodology.md §5.3, using the discordance or spread observed in a previous run of the
same config when its store exists.
"""

from __future__ import annotations

import json
import math
from statistics import median

import numpy as np
from pydantic import BaseModel, Field

from swapkit.completion import cost_usd
from swapkit.config import DEFAULT_SUITE, SIDES, Suite, SwapConfig, TargetConfig
from swapkit.decision.decide import expand_gates
from swapkit.decision.stats.power import n_for_noninferiority
from swapkit.ingest.sampling import noise_subset, sample_log
from swapkit.records import Record, Usage, message_text
from swapkit.replay.call import build_body
from swapkit.replay.judge import PAIRWISE_METRIC, shown_reference
from swapkit.replay.judge_asks import PairwiseAsk, suite_asks
from swapkit.replay.pointwise import PointwiseAsk
from swapkit.scoring.metrics import get_metric
from swapkit.scoring.metrics.base import record_applies
from swapkit.scoring.metrics.text import reference_text
from swapkit.scoring.score import suite_specs
from swapkit.scoring.suggest import coverage_warnings
from swapkit.store import DB_NAME, RunStore
from swapkit.support.numbers import fmt_seconds, fmt_value

__all__ = ["GatePlan", "Plan", "TargetPlan", "plan_lineup", "plan_migration", "prompt_tokens"]

# Typical discordance between two models (docs/methodology.md §5.3), by kind of pass/fail metric.
ASSUMED_PSI = {"failure": 0.02, "format": 0.05, "quality": 0.10, "judge": 0.40}
FORMAT_METRICS = ("json_valid", "json_schema_valid")
QUALITY_METRICS = ("exact_match", "label_match", "tool_call_match", "refusal", "language_match",
                   "contains", "regex", "judge_reference")
ASSUMED_SD = 0.10  # per-record difference spread of a [0,1] score, without a pilot
ASSUMED_LATENCY_S = 2.0
JUDGE_COMPLETION_TOKENS = 80  # a sentence or two of reason and the verdict, as JSON


class TargetPlan(BaseModel):
    """One side's expected load."""

    side: str
    label: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = None
    wall_s: float | None = None
    basis: str = ""


class GatePlan(BaseModel):
    """Records a gate needs for 80% power at its margin."""

    gate: str
    metric: str
    kind: str
    margin: float | None
    records: int = Field(description="records of the sample the gate's metric can apply to "
                         "(upper bound: answers may still leave some out)")
    applicable: bool = Field(default=True, description="False when the metric applies to no "
                             "record: the run marks the gate NOT_APPLICABLE")
    min_n: int | None = Field(default=None, description="fewer records than this: the run "
                              "says INCONCLUSIVE without a test (the suite's min_n)")
    needed: int | None = None
    variability: str = ""
    enough: bool | None = None


class Plan(BaseModel):
    """What a run of this config would do."""

    name: str
    sample_size: int
    by_segment: dict[str, int]
    filtered_by: dict[str, int] = Field(default_factory=dict,
                                        description="records log.filter removed, by reason")
    noise_records: int
    targets: list[TargetPlan]
    gates: list[GatePlan]
    example_request: dict[str, object]
    coverage: list[str] = Field(default_factory=list,
                                description="traffic the suite checks nothing for")
    warnings: list[str] = Field(default_factory=list,
                                description="valid but probably wrong (a self-judging judge)")


def prompt_tokens(record: Record) -> int:
    """About four characters a token, plus a few tokens of framing per message."""
    messages = record.messages
    return sum(len(message_text(m)) for m in messages) // 4 + 4 * len(messages)


def _thinking_off(target: TargetConfig) -> bool:
    """Whether the target's params switch a thinking mode off (Qwen3 on DashScope or vLLM)."""
    text = json.dumps(target.params).lower()
    return '"enable_thinking": false' in text or '"thinking": false' in text


def _completion_tokens(record: Record, reasoning: bool) -> int:
    """Recorded completion tokens (without the recorded reasoning when the target won't
    reason), else the reference's length."""
    response = record.response
    usage: Usage | None = response.usage if response is not None else None
    if usage is not None and usage.completion_tokens is not None:
        thought = 0 if reasoning else (usage.reasoning_tokens or 0)
        return max(1, usage.completion_tokens - thought)
    reference = reference_text(record) or (response.answer if response else "")
    return max(1, len(reference) // 4)


def _target_plan(side: str, target: TargetConfig, records: list[Record], noise: int,
                 extra: int) -> TargetPlan:
    if target.recorded is not False:
        return TargetPlan(side=side, label=target.display_name, requests=0, prompt_tokens=0,
                          completion_tokens=0, basis="recorded answers: nothing is called")
    prompts = [prompt_tokens(r) for r in records]
    reasoning = not _thinking_off(target)
    completions = [_completion_tokens(r, reasoning) for r in records]
    mean_prompt = sum(prompts) / len(prompts) if prompts else 0
    mean_completion = sum(completions) / len(completions) if completions else 0
    requests = len(records) + noise * extra
    total_prompt = round(mean_prompt * requests)
    total_completion = round(mean_completion * requests)
    cost = cost_usd(Usage(prompt_tokens=total_prompt, completion_tokens=total_completion),
                    target.price)
    latencies = [r.response.latency_s for r in records
                 if r.response is not None and r.response.latency_s is not None]
    recorded = bool(latencies) and side == "baseline"  # the log recorded the baseline
    latency = median(latencies) if recorded else ASSUMED_LATENCY_S
    wall = requests * latency / target.concurrency
    source = "recorded median" if recorded else "assumed"
    basis = f"latency {fmt_seconds(latency)} ({source}), concurrency {target.concurrency}"
    if target.rpm:
        wall = max(wall, requests * 60 / target.rpm)
        basis += f", {target.rpm} rpm"
    return TargetPlan(side=side, label=target.display_name, requests=requests,
                      prompt_tokens=total_prompt, completion_tokens=total_completion,
                      cost_usd=cost, wall_s=wall, basis=basis)


def _judge_plan(config: SwapConfig, suite: Suite, records: list[Record]) -> TargetPlan | None:
    """The judge's load: two requests per record and judge metric, each reading the
    template, the conversation, the reference and the answers it shows; two more per
    pairwise metric for each re-judged record."""
    judge = config.judge
    asks = suite_asks(suite) if judge is not None else []
    if judge is None or not asks:
        return None
    requests = total_prompt = 0
    again = min(judge.rejudge, len(records))
    for ask in asks:
        shown = 2 if isinstance(ask, PairwiseAsk) else 1
        judged = [r for r in records if not isinstance(ask, PointwiseAsk) or ask.applies(r)]
        prompts = [len(ask.template.source) // 4 + prompt_tokens(r) + len(
            shown_reference(r) or "") // 4 + shown * _completion_tokens(r, False) for r in judged]
        requests += 2 * len(judged)
        total_prompt += 2 * sum(prompts)
        if isinstance(ask, PairwiseAsk) and again and prompts:
            requests += 2 * again
            total_prompt += round(2 * again * sum(prompts) / len(prompts))
    total_completion = JUDGE_COMPLETION_TOKENS * requests
    wall = requests * ASSUMED_LATENCY_S / judge.concurrency
    basis = (f"at most: 2 per record for each of {len(asks)} judge metric(s) (both orders, or "
             f"each side alone), and both orders again per re-judged record (judge.rejudge: "
             f"{judge.rejudge}); latency {fmt_seconds(ASSUMED_LATENCY_S)} (assumed), "
             f"concurrency {judge.concurrency}")
    if judge.rpm:
        wall = max(wall, requests * 60 / judge.rpm)
        basis += f", {judge.rpm} rpm"
    return TargetPlan(side="judge", label=judge.display_name, requests=requests,
                      prompt_tokens=total_prompt, completion_tokens=total_completion,
                      cost_usd=cost_usd(Usage(prompt_tokens=total_prompt,
                                              completion_tokens=total_completion), judge.price),
                      wall_s=wall, basis=basis)


def _observed(config: SwapConfig) -> dict[str, tuple[str, float]]:
    """metric → (binary|continuous, ψ or σ_d) from a previous run's stored scores."""
    run_dir = config.run_dir
    if run_dir is None or not (run_dir / DB_NAME).exists():
        return {}
    from swapkit.scoring.score import load_scores

    with RunStore(run_dir, lock=False) as store:
        scores = load_scores(store)
    out: dict[str, tuple[str, float]] = {}
    for name, s in scores.items():
        mask = s.paired
        if mask.sum() < 10:
            continue
        d = s.cand[mask] - s.base[mask]
        if s.kind == "binary":
            out[name] = ("binary", float(np.mean(d != 0)))
        elif s.kind in ("continuous", "agreement"):
            out[name] = ("continuous", float(np.std(d, ddof=1)))
    return out


def _applicable(suite: Suite, metric: str, records: list[Record]) -> int:
    """Records ``metric`` can score, by the rule the metric itself scores with."""
    options = dict(suite_specs(suite)).get(metric, {})
    scorer = get_metric(metric)
    return sum(1 for r in records if record_applies(scorer, r, options))


def _gate_plans(suite: Suite, config: SwapConfig, records: list[Record]) -> list[GatePlan]:
    observed = _observed(config)
    plans = []
    for gate, derived in expand_gates(suite):
        in_segment = [r for r in records if r.segment == gate.segment] if gate.segment else (
            records)
        n = _applicable(suite, gate.metric, in_segment)
        if derived and not n:
            continue  # as the decision does: no critical-segment copy where nothing applies
        plan = GatePlan(gate=gate.display_name, metric=gate.metric, kind=gate.kind,
                        margin=gate.margin, records=n, applicable=n > 0, min_n=suite.min_n)
        if not n:
            plans.append(plan)
            continue
        if gate.kind in ("noninferiority", "equivalence") and gate.margin:
            kind, value = observed.get(gate.metric, ("", math.nan))
            if kind == "binary":
                variance = value
                plan.variability = f"discordance ψ = {fmt_value(value, False)} (previous run)"
            elif kind == "continuous":
                variance = value**2
                plan.variability = f"σ_d = {fmt_value(value, False)} (previous run)"
            elif gate.metric.endswith("_rate") or gate.metric in (
                    (*FORMAT_METRICS, *QUALITY_METRICS, PAIRWISE_METRIC)):
                family = ("failure" if gate.metric.endswith("_rate") else
                          "format" if gate.metric in FORMAT_METRICS else
                          "judge" if gate.metric == PAIRWISE_METRIC else "quality")
                variance = ASSUMED_PSI[family]
                plan.variability = f"assumed ψ = {variance} ({family} metrics)"
            else:
                variance = ASSUMED_SD**2
                plan.variability = f"assumed σ_d = {ASSUMED_SD} (run a pilot to measure)"
            needed = n_for_noninferiority(variance, gate.margin, suite.alpha)
            plan.needed = math.ceil(needed) if math.isfinite(needed) else None
            plan.enough = plan.needed is not None and n >= plan.needed
        plans.append(plan)
    return plans


def plan_migration(config: SwapConfig) -> Plan:
    """The plan for ``config`` (reads the log; calls nothing)."""
    sample = sample_log(config.log)
    records = sample.records
    noise_on = config.noise.enabled and config.baseline.recorded is False
    noise = len(noise_subset(records, config.noise.subset, config.log.sample.seed)) if (
        noise_on) else 0
    targets = []
    for side in SIDES:
        extra = config.noise.samples if side == "baseline" or config.noise.candidate else 0
        targets.append(_target_plan(side, getattr(config, side), records, noise, extra))
    suite = config.suite if isinstance(config.suite, Suite) else DEFAULT_SUITE
    judge = _judge_plan(config, suite, records)
    if judge is not None:
        targets.append(judge)
    example: dict[str, object] = {}
    if records and config.candidate.recorded is False:
        example = {"model": config.candidate.model,
                   "messages": records[0].request["messages"],
                   **build_body(records[0].request, config.candidate)}
    return Plan(name=config.name, sample_size=len(records), by_segment=sample.selected,
                filtered_by=sample.filtered_by, noise_records=noise, targets=targets,
                gates=_gate_plans(suite, config, records),
                example_request=example, coverage=coverage_warnings(suite, records),
                warnings=config.warnings())


def plan_lineup(config: SwapConfig) -> list[tuple[str, Plan]]:
    """The plan of each candidate of a lineup (one plan for a single candidate). The
    baseline is replayed once for the whole lineup: the first plan counts its requests,
    the others show them as shared."""
    plans = []
    for k, (name, member) in enumerate(config.members()):
        plan = plan_migration(member)
        if k:
            plan.targets = [t.model_copy(update={
                "requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0,
                "wall_s": 0.0, "basis": "shared: replayed once for the lineup (counted in the "
                "first candidate's plan)"}) if t.side == "baseline" else t
                for t in plan.targets]
        plans.append((name, plan))
    return plans
