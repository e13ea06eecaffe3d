"""Evaluating one gate on paired per-record scores (docs/methodology.md §10 steps 1-4).

Differences (non-inferiority, equivalence, superiority): :mod:`.difference` picks the
method the data call for. Ratios (latency, cost): paired bootstrap of the log ratio, on
the records answered on both sides. The noise floor: the excess-divergence ratio with a
floored denominator. Rates against a cap: exact Clopper-Pearson bounds. Every verdict
comes from the p-values of the GO and NO-GO claims at α; missing answers are counted
against the claim being made (§8.2); the bounds shown are one-sided (1−α), the ends of
the two-sided (1−2α) interval.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from swapkit.config import GateSpec
from swapkit.decision.difference import (
    SPARSE_MIN_DIFFERING,
    DifferenceTest,
    claims,
    difference_test,
)
from swapkit.decision.model import GateResult, GateStatus, Scale
from swapkit.decision.pairs import GateData, gate_data, natural, seed_of
from swapkit.decision.stats.bootstrap import (
    StudentizedResult,
    log_ratio_of_sums_bootstrap,
    quantile_ratio_bootstrap,
    studentized_log_ratio_bootstrap,
)
from swapkit.decision.stats.design import stratified_mean
from swapkit.decision.stats.power import achievable_margin, n_for_noninferiority
from swapkit.decision.stats.sequential import prpl_eb_cs
from swapkit.errors import ConfigError
from swapkit.scoring.metrics.base import MetricScores
from swapkit.scoring.metrics.human_review import REVIEW_MARGIN, HumanReview
from swapkit.support.numbers import fmt_count, fmt_percent

__all__ = ["GateInput", "default_margin", "evaluate_gate", "gate_scale", "planned_sample"]

# The noise ratio's denominator is at least this much self-divergence per record: below
# it a baseline is (nearly) deterministic and its own noise says nothing (methodology §4.3).
NOISE_FLOOR = 0.01
# The noise ratio's bootstrap holds α from about 100 records with a second baseline sample.
NOISE_MIN_N = 100
# Above this share of records where the metric itself failed, the gate cannot decide.
INVALID_SHARE = 0.01
# Beyond this multiple of the current records, "about N records would settle it" is noise.
SETTLE_LIMIT = 100
QUANTILES = {"p50": 0.5, "p95": 0.95}


def default_margin(spec: GateSpec, scores: MetricScores) -> float:
    """docs/methodology.md §2.6 defaults by metric family."""
    if spec.margin is not None:
        return spec.margin
    if spec.kind == "superiority":
        return 0.0
    if spec.kind == "ratio_noninferiority":
        return 0.10 if spec.metric == "cost" else 0.20
    if spec.metric == HumanReview.name:  # the plan is sized for the same margin
        return REVIEW_MARGIN
    if spec.metric in ("json_valid", "json_schema_valid") or spec.metric.endswith("_rate"):
        return 0.01
    return 0.03 if scores.kind == "binary" else 0.02


@dataclass
class GateInput:
    """A gate, its metric's scores, and the record-level facts the tests need."""

    spec: GateSpec
    scores: MetricScores
    mask: np.ndarray  # records in the gate's segment
    clusters: np.ndarray  # conversation ids ("" when none)
    ids: np.ndarray  # record ids (the bootstrap seeds come from the data)
    alpha: float
    min_n: int


def _data(inp: GateInput) -> GateData:
    return gate_data(inp.scores, inp.mask, inp.ids, inp.clusters)


def _verdict(p_go: float, p_nogo: float, alpha: float) -> GateStatus:
    """GO when the candidate's claim holds at α, NO-GO when the regression's does;
    INCONCLUSIVE when neither holds (or both, which only opposite fillings of missing
    answers could make)."""
    go_holds, nogo_holds = p_go <= alpha, p_nogo <= alpha
    return "INCONCLUSIVE" if go_holds == nogo_holds else "GO" if go_holds else "NO-GO"


def _needed(result: GateResult, variance: float, effect: float, n: int, alpha: float) -> None:
    """Records that would settle an open gate, from the observed difference and spread."""
    needed = n_for_noninferiority(variance, abs(effect), alpha) if effect else math.inf
    if not math.isfinite(needed) or needed > SETTLE_LIMIT * max(n, 1):
        result.n_needed = None
        result.annotations.append("cannot be settled at this margin: the estimate sits on it")
        return
    result.n_needed = max(n + 1, math.ceil(needed))


def _design(inp: GateInput, result: GateResult) -> None:
    """A difference measured on a planned sample (people's review): the stratified,
    inclusion-weighted estimate of the run's mean (docs/methodology.md §8.9)."""
    spec, scores = inp.spec, inp.scores
    margin = default_margin(spec, scores)
    result.margin = margin
    planned = ~np.isnan(scores.extra["inclusion_probability"]) & inp.mask
    d = scores.cand[planned] - scores.base[planned]
    if scores.refuse or np.isnan(d).any():
        return  # not every planned record is labelled: the refusal says how many are not
    codes = scores.extra["stratum"][planned].astype(int)
    sizes = dict(zip(codes.tolist(), scores.extra["stratum_size"][planned].astype(int).tolist(),
                     strict=True))
    est = stratified_mean(d, codes, sizes, scores.bounds or (-1.0, 1.0))  # the baseline is 0
    test = DifferenceTest(est.mean, *est.bounds(inp.alpha), method=(
        f"stratified design-based estimate ({len(sizes)} strata, {est.n} of "
        f"{est.population} records; Student t, {est.df} df)"),
        p_at={t: (est.p_above(t), est.p_below(t)) for t in (-margin, margin)},
        variance=est.se ** 2 * est.n)
    result.baseline, result.candidate = 0.0, est.mean
    result.estimate, result.low, result.high = test.estimate, test.low, test.high
    result.method = test.method
    result.p_noninferior, result.p_inferior = test.claims(spec.kind, margin)
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, inp.alpha)
    result.certifiable_margin = max(0.0, -test.low)
    shares = [stratified_mean((d == v).astype(float), codes, sizes, (0.0, 1.0)).mean
              for v in (1.0, -1.0, 0.0)]
    result.annotations.append(
        f"estimated over the run: people prefer the candidate {fmt_percent(shares[0], 0)}, "
        f"the baseline {fmt_percent(shares[1], 0)}, neither {fmt_percent(shares[2], 0)}")


def planned_sample(scores: MetricScores) -> bool:
    """Whether the scores come from a planned sample (people's review)."""
    return "inclusion_probability" in scores.extra


def _difference(inp: GateInput, result: GateResult) -> None:
    """NI, equivalence or superiority on a pass/fail or continuous metric."""
    spec, scores = inp.spec, inp.scores
    if planned_sample(scores):
        _design(inp, result)
        return
    data = _data(inp)
    margin = default_margin(spec, scores)
    result.margin = margin
    result.percent = data.binary
    b, c, complete = data.complete()
    clusters = data.clusters[complete] if data.clustered() else None
    test = functools.partial(difference_test, kind=spec.kind, margin=margin, alpha=inp.alpha,
                             binary=data.binary, scale=data.scale, seed=data.seed())
    if data.missing:  # count every missing answer against the claim being made
        all_clusters = data.clusters if clusters is not None else None
        go = test(*data.bounded(for_go=True), clusters=all_clusters)
        nogo = test(*data.bounded(for_go=False), clusters=all_clusters)
        shown = test(b, c, clusters=clusters) if b.size > 1 else go
    else:
        shown = go = nogo = test(b, c, clusters=clusters)
    if b.size:
        result.baseline = natural(float(b.mean()), scores, data)
        result.candidate = natural(float(c.mean()), scores, data)
    result.estimate, result.low, result.high = shown.estimate, shown.low, shown.high
    result.method = shown.method
    result.p_noninferior, result.p_inferior = claims(spec.kind, margin, go, nogo)
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, inp.alpha)
    result.certifiable_margin = max(0.0, -shown.low)
    result.achievable_margin = achievable_margin(shown.variance, int(b.size), inp.alpha)
    if result.raw_status == "INCONCLUSIVE":
        if spec.kind != "superiority" and margin > 0:
            effect = shown.estimate + margin if spec.kind == "noninferiority" else min(
                shown.estimate + margin, margin - shown.estimate)
            _needed(result, shown.variance, effect, int(b.size), inp.alpha)
        elif spec.kind == "superiority":
            _needed(result, shown.variance, shown.estimate - margin, int(b.size), inp.alpha)
        if spec.kind == "noninferiority" and shown.high < 0:
            result.annotations.append("a statistically significant regression, not (yet) "
                                      "beyond the margin")


def _ratio(inp: GateInput, result: GateResult) -> None:
    """Lower-is-better ratio (latency quantiles, total cost): log scale, percentile/BCa.

    Only records answered on both sides have a latency to compare; the count of the others
    is shown with the gate (their failures are gated by failure_rate)."""
    spec, scores = inp.spec, inp.scores
    mask = scores.paired & inp.mask
    b, c = scores.base[mask], scores.cand[mask]
    margin = default_margin(spec, scores)
    result.margin = margin
    statistic = scores.statistic or "mean"
    seed = seed_of(inp.ids[mask])
    if statistic in QUANTILES:
        q = QUANTILES[statistic]
        result.baseline, result.candidate = float(np.quantile(b, q)), float(np.quantile(c, q))
        boot = quantile_ratio_bootstrap(b, c, q, inp.alpha, seed, expand=True)
    else:
        reduce = np.sum if statistic == "total" else np.mean
        result.baseline, result.candidate = float(reduce(b)), float(reduce(c))
        boot = log_ratio_of_sums_bootstrap(c, b, inp.alpha, seed, expand=True)
    unanswered = int((inp.mask & ~scores.paired).sum())
    if unanswered:
        result.annotations.append(f"{fmt_count(unanswered)} records not answered on both sides "
                                  "are not in this ratio")
    limit = math.log1p(margin)
    result.method = f"{boot.method} of log({statistic} ratio)"
    result.estimate = math.exp(boot.estimate) if math.isfinite(boot.estimate) else None
    result.low = math.exp(boot.low) if math.isfinite(boot.low) else None
    result.high = math.exp(boot.high) if math.isfinite(boot.high) else None
    result.p_noninferior, result.p_inferior = boot.p_at_least(limit), boot.p_at_most(limit)
    if not (math.isfinite(boot.low) and math.isfinite(boot.high)):
        result.raw_status = "INCONCLUSIVE"
        result.annotations.append("ratio undefined (a zero total)")
        return
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, inp.alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(c / b)
    logs = logs[np.isfinite(logs)]
    if result.raw_status == "INCONCLUSIVE" and logs.size > 1:
        _needed(result, float(np.var(logs, ddof=1)), boot.estimate - limit, int(b.size),
                inp.alpha)


def _noise_ratio(inp: GateInput, result: GateResult) -> None:
    """Excess-divergence ratio R = Σ(1−c)/max(Σ(1−a), floor·n) on the noise subset (§4.3).

    a = sim(B2, B1), the baseline against itself; c = the candidate's agreement with the
    baseline (averaged over both baseline samples where it has both). A missing candidate
    answer agrees 0 for a GO and 1 for a NO-GO."""
    scores = inp.scores
    chosen = scores.applies_mask() & inp.mask & ~np.isnan(scores.base)
    cross = scores.extra.get("cand_vs_noise")
    cand = scores.cand[chosen]
    if cross is not None:
        other = cross[chosen]
        cand = np.where(np.isnan(other), cand, (cand + other) / 2)
    a = scores.base[chosen]
    missing = np.isnan(cand)
    limit = inp.spec.max or 1.5
    result.max = limit
    result.n = int(a.size)
    result.baseline = float(a.mean())
    result.candidate = float(cand[~missing].mean()) if (~missing).any() else None
    seed = seed_of(inp.ids[chosen])
    log_limit = math.log(limit)

    def ratio(filled: float | None) -> StudentizedResult:
        c = cand[~missing] if filled is None else np.where(missing, filled, cand)
        base = a[~missing] if filled is None else a
        return studentized_log_ratio_bootstrap(1 - c, 1 - base, inp.alpha, seed,
                                               floor=NOISE_FLOOR)

    if a.size < NOISE_MIN_N:
        result.raw_status = "INCONCLUSIVE"
        result.insufficient_data = True
        result.annotations.append(
            f"insufficient data: {a.size} records with a second baseline sample, fewer than "
            f"{NOISE_MIN_N} (raise noise.subset)")
        return

    if float(np.mean(1 - a)) < NOISE_FLOOR:
        result.annotations.append(
            f"the baseline answered (almost) identically to itself: R is measured against the "
            f"floor of {NOISE_FLOOR} per record, not against its own noise")
    diverging = int(np.count_nonzero(1 - cand[~missing]))
    if diverging < SPARSE_MIN_DIFFERING:
        _noise_ratio_bounded(result, a, cand, missing, inp.alpha, limit)
        return
    shown = ratio(None)
    go, nogo = (ratio(0.0), ratio(1.0)) if missing.any() else (shown, shown)
    result.method = f"{shown.method} of log R (ratio of sums; denominator floor " \
                    f"{NOISE_FLOOR} per record)"
    if not math.isfinite(shown.estimate) or shown.se <= 0:
        result.raw_status = "INCONCLUSIVE"
        result.annotations.append("R cannot be bounded (a zero total, or no variation)")
        return
    result.estimate, result.low, result.high = (math.exp(shown.estimate), math.exp(shown.low),
                                                math.exp(shown.high))
    result.p_noninferior, result.p_inferior = (go.p_at_least(log_limit),
                                               nogo.p_at_most(log_limit))
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, inp.alpha)


def _eb_ratio_bounds(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, float]:
    """(L, U) of Σx / max(Σy, floor·n) for x, y ∈ [0, 1]: empirical-Bernstein bounds on each
    mean at α/2 (valid at any n, whatever the distribution), combined by a union bound."""
    x_low, x_high = (float(v[-1]) for v in prpl_eb_cs(x, 0.0, 1.0, alpha))
    y_low, y_high = (float(v[-1]) for v in prpl_eb_cs(y, 0.0, 1.0, alpha))
    return x_low / max(y_high, NOISE_FLOOR), x_high / max(y_low, NOISE_FLOOR)


def _eb_p(x: np.ndarray, y: np.ndarray, limit: float, upper: bool) -> float:
    """The smallest α at which the bound shows R ≤ limit (upper) or R > limit (lower)."""
    def holds(alpha: float) -> bool:
        low, high = _eb_ratio_bounds(x, y, alpha)
        return high <= limit if upper else low > limit

    if not holds(0.9999):
        return 1.0
    lo, hi = 1e-9, 0.9999
    if holds(lo):
        return lo
    for _ in range(40):  # bisection on log α
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if holds(mid) else (mid, hi)
    return hi


def _noise_ratio_bounded(result: GateResult, a: np.ndarray, cand: np.ndarray,
                         missing: np.ndarray, alpha: float, limit: float) -> None:
    """R when few records diverge: a bootstrap would see no tail (a resample without a
    divergent record has R = 0), so both means are bounded with empirical-Bernstein bounds
    instead (conservative, valid at any n)."""
    y = 1 - a
    answered = ~missing
    shown_low, shown_high = _eb_ratio_bounds(1 - cand[answered], y[answered], alpha)
    x_go = 1 - np.where(missing, 0.0, cand)  # a missing answer diverged fully ...
    x_nogo = 1 - np.where(missing, 1.0, cand)  # ... or not at all
    result.method = ("empirical-Bernstein bounds on both sums (few records diverge; "
                     f"denominator floor {NOISE_FLOOR} per record)")
    denominator = max(float(y[answered].sum()), NOISE_FLOOR * int(answered.sum()))
    result.estimate = float((1 - cand[answered]).sum()) / denominator if answered.any() else None
    result.low, result.high = shown_low, shown_high
    result.p_noninferior = _eb_p(x_go, y, limit, upper=True)
    result.p_inferior = _eb_p(x_nogo, y, limit, upper=False)
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, alpha)


def _max_rate(inp: GateInput, result: GateResult) -> None:
    """The candidate's event rate against an absolute cap (exact Clopper-Pearson bounds).

    A missing candidate answer counts as an event for a GO and as none for a NO-GO."""
    scores = inp.scores
    if scores.kind != "binary":  # a sum of scores is no count of events (it was floored)
        raise ConfigError(
            f"gate {inp.spec.display_name}: max_rate counts events, one 0/1 value a record, "
            f"but {scores.metric} is a {scores.kind} metric",
            hint="gate it with noninferiority (a margin), or use a pass/fail metric (e.g. "
            "judge_score with pass_fail: true)")
    chosen = scores.applies_mask() & inp.mask
    raw = scores.cand[chosen]
    missing = scores.missing("candidate")[chosen] | np.isnan(raw)
    events_seen = raw[~missing] if not scores.higher_is_better else 1 - raw[~missing]
    n, k, absent = int(raw.size), int(np.sum(events_seen)), int(missing.sum())
    limit = inp.spec.max or 0.0
    result.max, result.percent, result.n = limit, True, n
    answered = n - absent
    result.candidate = k / answered if answered else None
    base = scores.base[chosen]
    base = base[~np.isnan(base)]
    if base.size:
        result.baseline = float(base.mean() if not scores.higher_is_better else
                                (1 - base).mean())
    worst, best = k + absent, k  # events counted against the claim being made
    low = float(stats.beta.ppf(inp.alpha, best, n - best + 1)) if best > 0 else 0.0
    high = float(stats.beta.ppf(1 - inp.alpha, worst + 1, n - worst)) if worst < n else 1.0
    result.estimate, result.low, result.high = result.candidate, low, high
    result.method = "exact (Clopper-Pearson) bound on the candidate's rate"
    result.p_noninferior = float(stats.binom.cdf(worst, n, limit))
    result.p_inferior = float(stats.binom.sf(best - 1, n, limit))
    result.raw_status = _verdict(result.p_noninferior, result.p_inferior, inp.alpha)


def gate_scale(spec: GateSpec, scores: MetricScores) -> Scale:
    """What the gate's interval measures (a metric scored as a ratio is always a ratio)."""
    if spec.kind == "max_rate":
        return "rate"
    if spec.kind == "noise_ratio":
        return "divergence"
    if spec.kind == "ratio_noninferiority" or scores.kind == "ratio":
        return "ratio"
    return "difference"


def _record_counts(inp: GateInput, result: GateResult) -> None:
    """What was not an answer in the gate's records: failures, metric failures, missing."""
    if result.scale != "difference":
        return
    data = _data(inp)
    result.failed_baseline, result.failed_candidate = data.failed_base, data.failed_cand
    result.metric_failures = data.invalid_base + data.invalid_cand
    result.missing = data.missing
    if result.metric_failures > INVALID_SHARE * max(result.n, 1):
        result.raw_status = "INCONCLUSIVE"
        result.annotations.append(
            f"the metric failed on {fmt_count(result.metric_failures)} records (a non-finite "
            f"score, or one outside its scale): more than {fmt_percent(INVALID_SHARE, 0)}")


def evaluate_gate(inp: GateInput) -> GateResult:
    """The raw (pre-multiplicity) result of one gate."""
    spec, scores = inp.spec, inp.scores
    result = GateResult(name=spec.display_name, metric=spec.metric, kind=spec.kind,
                        scale=gate_scale(spec, scores), hard=spec.hard, segment=spec.segment,
                        margin=spec.margin, max=spec.max,
                        status="NOT_APPLICABLE", raw_status="NOT_APPLICABLE",
                        higher_is_better=scores.higher_is_better)
    if result.scale == "ratio":
        n = int((scores.paired & inp.mask).sum())
    else:
        n = int((scores.applies_mask() & inp.mask).sum())
    result.n = n
    if n == 0 and planned_sample(scores) and scores.refuse:  # no plan yet: say how to make one
        result.raw_status = result.status = "INCONCLUSIVE"
        result.refused = scores.refuse
        result.annotations.append(scores.refuse)
        return result
    if n == 0:
        if spec.kind == "noise_ratio":
            result.annotations.append("no record has a second baseline sample (recorded "
                                      "baselines cannot be sampled again; see noise: in "
                                      "swap.yaml): the noise floor cannot be measured")
        return result
    if n < inp.min_n:
        result.raw_status = result.status = "INCONCLUSIVE"
        result.insufficient_data = True
        if result.scale == "difference":  # the numbers, shown untested
            data = _data(inp)
            b, c, _ = data.complete()
            result.percent = data.binary
            if b.size:
                result.baseline = natural(float(b.mean()), scores, data)
                result.candidate = natural(float(c.mean()), scores, data)
                result.estimate = float(c.mean()) - float(b.mean())
        result.annotations.append(f"too few records to test: {n} pairs, fewer than "
                                  f"{inp.min_n} (the suite's min_n)")
        return result
    {"rate": _max_rate, "divergence": _noise_ratio, "ratio": _ratio,
     "difference": _difference}[result.scale](inp, result)
    _record_counts(inp, result)
    result.annotations.extend(scores.gate_notes)
    if scores.refuse:
        result.raw_status = "INCONCLUSIVE"
        result.refused = scores.refuse
        result.annotations.append(scores.refuse)
    result.status = result.raw_status
    if result.missing and result.status == "INCONCLUSIVE":
        result.annotations.append(f"{fmt_count(result.missing)} records missing: rerun to "
                                  "complete")
    return result
