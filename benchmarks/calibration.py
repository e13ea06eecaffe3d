"""Calibration of the decision: Monte Carlo over ``decide()`` (what ``swapkit gate`` runs).

Each cell simulates paired scores whose true difference sits exactly on the margin (where a
GO and a NO-GO are both wrong claims) or at zero (where a NO-GO is wrong and a GO is the
power), feeds them to ``decide()`` with one hard gate (or five, for Holm), and counts the
verdicts. The error rates must hold α = 0.05: every cell's false-GO and false-NO-GO rate
at most α + 3 Monte Carlo SE, and each kind's pooled rate at most α + 2 pooled SE (SE
computed at α, so that a cell with no error still has a bar).

    python -m benchmarks calibration              # ≥ 2,000 replications a cell
    python -m benchmarks calibration --reps 200   # quicker, looser
    python -m benchmarks calibration --kind judge # the cells of kinds naming "judge" only

The judge kinds are ``judge_pairwise``'s gate: per record a win, a tie or a loss (paired
binary, baseline = 1 on a loss, candidate = 1 on a win), ties at a realistic rate, the true
(wins − losses)/n at −margin or 0, and the margin a judge gate takes (5 points).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from swapkit.config import GateSpec, Suite
from swapkit.decision.decide import decide
from swapkit.lineup.early_stop import nogo_settled
from swapkit.records import Record
from swapkit.scoring.metrics.base import MetricScores, RunData
from swapkit.support.hashing import content_hash

__all__ = ["CELLS", "Cell", "run", "run_cells", "summary", "table"]

ALPHA = 0.05
MARGIN = 0.03
JUDGE_MARGIN = 0.05
RATIO_MARGIN = 0.2
NOISE_MAX = 1.5
Scores = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]
Generator = Callable[[np.random.Generator, int, float], Scores]


@cache
def _data(n: int) -> RunData:
    records = [Record(id=f"r{i}", request={"messages": [{"role": "user", "content": "q"}]})
               for i in range(n)]
    return RunData(records, [None] * n, [None] * n, [None] * n)


def _binary(psi: float) -> Generator:
    """Pass/fail pairs: baseline passes 85%, discordance ψ, true difference δ."""
    def generate(rng: np.random.Generator, n: int, delta: float) -> Scores:
        r, g = (psi - delta) / 2, (psi + delta) / 2  # baseline-only, candidate-only
        both = 0.85 - r
        cells = rng.multinomial(n, [both, r, g, 1 - both - r - g])
        base = np.repeat([1.0, 1.0, 0.0, 0.0], cells)
        cand = np.repeat([1.0, 0.0, 1.0, 0.0], cells)
        order = rng.permutation(n)
        return base[order], cand[order], {}
    return generate


def _judge(ties: float) -> Generator:
    """A judge's outcomes: a tie with probability ``ties``, else a win or a loss, with
    E[wins − losses]/n = δ."""
    def generate(rng: np.random.Generator, n: int, delta: float) -> Scores:
        win, loss = (1 - ties + delta) / 2, (1 - ties - delta) / 2
        cells = rng.multinomial(n, [win, loss, ties])
        base = np.repeat([0.0, 1.0, 0.0], cells)
        cand = np.repeat([1.0, 0.0, 0.0], cells)
        order = rng.permutation(n)
        return base[order], cand[order], {}
    return generate


@cache
def _continuous_shift(delta: float) -> float:
    """The shift s with E[clip(b + s + e, 0, 1) − b] = δ (common random numbers)."""
    rng = np.random.default_rng(0)
    b = rng.beta(7, 3, 2_000_000)
    e = rng.normal(0, 0.12, b.size)
    low, high = delta - 0.2, delta + 0.2
    for _ in range(60):
        mid = (low + high) / 2
        if np.mean(np.clip(b + mid + e, 0, 1) - b) < delta:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _continuous(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """A bounded score (mean 0.7), the candidate correlated with the baseline."""
    b = rng.beta(7, 3, n)
    c = np.clip(b + _continuous_shift(delta) + rng.normal(0, 0.12, n), 0, 1)
    return b, c, {}


def _sparse(rng: np.random.Generator, n: int, delta: float) -> Scores:
    """Identical scores but for rare catastrophes: the candidate scores 0 w.p. q.

    E[d] = −q · E[b] = δ + (q₊ gains); at δ = 0, rare catastrophes and rare gains balance."""
    b = rng.beta(8, 2, n)
    c = b.copy()
    q_loss = -delta / 0.8 if delta < 0 else 0.01
    lost = rng.random(n) < q_loss
    c[lost] = 0.0
    if delta >= 0:  # balance the losses with gains of the same expected size
        gained = ~lost & (rng.random(n) < 0.01 * 0.8 / 0.2)
        c[gained] = 1.0
    return b, c, {}


@cache
def _latency_factor(ratio: float) -> float:
    rng = np.random.default_rng(1)
    b = rng.lognormal(0, 0.5, 2_000_000)
    noise = np.exp(rng.normal(0, 0.3, b.size))
    return float(ratio * np.quantile(b, 0.95) / np.quantile(b * noise, 0.95))


def _ratio(rng: np.random.Generator, n: int, ratio: float) -> Scores:
    """Latencies: the candidate's p95 is ``ratio`` times the baseline's."""
    b = rng.lognormal(0, 0.5, n)
    c = b * _latency_factor(ratio) * np.exp(rng.normal(0, 0.3, n))
    return b, c, {}


def _noise(rng: np.random.Generator, n: int, ratio: float) -> Scores:
    """Similarities: the candidate diverges ``ratio`` times as much as the baseline from
    itself, in expectation (E[1 − c] / E[1 − a] = ratio)."""
    gap = rng.beta(2, 18, n)  # 1 − a, the baseline's own divergence (mean 0.1)
    spread = np.exp(rng.normal(0, 0.3, n) - 0.045)  # mean 1
    c = 1 - np.clip(ratio * gap * spread, 0, 1)
    cross = 1 - np.clip(ratio * gap * np.exp(rng.normal(0, 0.3, n) - 0.045), 0, 1)
    return 1 - gap, c, {"cand_vs_noise": cross}


@dataclass
class Cell:
    """One Monte Carlo cell: a gate kind at a sample size and a true difference."""

    kind: str
    n: int
    truth: str  # "margin" or "zero"
    gates: int = 1
    reps: int = 0
    go: int = 0
    nogo: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The kind as the tables name it (the early stop's cells apart)."""
        return self.kind + (f", early stop every {WATCH_EVERY}" if self.extra.get("watched")
                            else "")

    @property
    def name(self) -> str:
        holm = f", {self.gates} hard gates (Holm)" if self.gates > 1 else ""
        return f"{self.label}, n={self.n}, true difference at {self.truth}{holm}"


KINDS: dict[str, tuple[Generator, str, Callable[[str], float]]] = {
    # kind: (generator, metric kind, truth -> generator parameter)
    "binary (ψ = 0.10)": (_binary(0.10), "binary", lambda t: -MARGIN if t == "margin" else 0),
    "binary (ψ = 0.04)": (_binary(0.04), "binary", lambda t: -MARGIN if t == "margin" else 0),
    "continuous, bounded": (_continuous, "continuous",
                            lambda t: -MARGIN if t == "margin" else 0.0),
    "mostly-zero, rare large failures": (_sparse, "continuous",
                                         lambda t: -MARGIN if t == "margin" else 0.0),
    "ratio (latency p95)": (_ratio, "ratio",
                            lambda t: 1 + RATIO_MARGIN if t == "margin" else 1.0),
    "noise ratio (similarity)": (_noise, "agreement",
                                 lambda t: NOISE_MAX if t == "margin" else 1.0),
    "judge win/tie/loss (ties 30%)": (_judge(0.30), "binary",
                                      lambda t: -JUDGE_MARGIN if t == "margin" else 0),
    "judge win/tie/loss (ties 60%)": (_judge(0.60), "binary",
                                      lambda t: -JUDGE_MARGIN if t == "margin" else 0),
}


def _scores(kind: str, base: np.ndarray, cand: np.ndarray,
            extra: dict[str, np.ndarray], name: str) -> MetricScores:
    _, metric_kind, _ = KINDS[kind]
    n = base.size
    zeros = np.zeros(n, dtype=bool)
    higher = metric_kind != "ratio"
    return MetricScores(name, metric_kind, higher, base, cand, zeros, zeros.copy(), {},
                        [None] * n, statistic="p95" if metric_kind == "ratio" else None,
                        extra=extra, bounds=None if metric_kind == "ratio" else (0.0, 1.0))


def _spec(kind: str, metric: str) -> GateSpec:
    if kind.startswith("ratio"):
        return GateSpec(metric=metric, kind="ratio_noninferiority", margin=RATIO_MARGIN)
    if kind.startswith("noise"):
        return GateSpec(metric=metric, kind="noise_ratio", max=NOISE_MAX)
    return GateSpec(metric=metric, margin=JUDGE_MARGIN if kind.startswith("judge") else MARGIN)


def _run_cell(cell: Cell, reps: int, seed: int) -> Cell:
    generate, _, parameter = KINDS[cell.kind]
    rng = np.random.default_rng(seed)
    names = [f"m{k}" for k in range(cell.gates)]
    suite = Suite(gates=[_spec(cell.kind, m) for m in names], alpha=ALPHA)
    data = _data(cell.n)
    start = time.perf_counter()
    for _ in range(reps):
        scores = {}
        for k, name in enumerate(names):
            # With several gates, only the first sits at the truth; the others are clear GOs
            # (the Holm family of a realistic suite).
            truth = cell.truth if k == 0 else "zero"
            base, cand, extra = generate(rng, cell.n, parameter(truth))
            scores[name] = _scores(cell.kind, base, cand, extra, name)
        if cell.extra.get("watched") and _stopped(scores[names[0]], suite.alpha / len(names)):
            cell.nogo += 1  # the replay would have stopped: a NO-GO, never decided again
            continue
        verdict = decide(data, scores, suite, run_id="calibration").gates[0].status
        cell.go += verdict == "GO"
        cell.nogo += verdict == "NO-GO"
    cell.reps = reps
    cell.seconds = time.perf_counter() - start
    return cell


WATCH_EVERY = 100  # the lineup's chunk: records between two looks


def _stopped(scores: MetricScores, alpha: float) -> bool:
    """The lineup's early stop on these scores (its own rule, ``nogo_settled``), looked at
    every WATCH_EVERY records: more often than the replay looks."""
    d = scores.cand - scores.base
    low, high = scores.bounds or (0.0, 1.0)
    return any(nogo_settled(d[:end], low, high, MARGIN, alpha)[0]
               for end in range(WATCH_EVERY, d.size + 1, WATCH_EVERY))


def _cells(full: bool, kind: str | None = None) -> list[Cell]:
    """The cells (``kind``: only those of the kinds whose name holds it, Holm's included)."""
    sizes = (30, 100, 300, 1000) if full else (30, 100)
    cells = [Cell(kind, n, truth) for kind in KINDS for n in sizes
             for truth in ("margin", "zero")]
    holm_sizes = (300, 1000) if full else (100,)
    cells += [Cell("binary (ψ = 0.10)", n, truth, gates=5) for n in holm_sizes
              for truth in ("margin", "zero")]
    # the sequential decision: the lineup's early stop looked at every 100 records, then
    # (if it never stopped) the fixed-sample decision: false GO and false NO-GO both ≤ α
    cells += [Cell(k, n, truth, extra={"watched": True})
              for k in ("binary (ψ = 0.10)", "continuous, bounded")
              for n in ((300, 1000) if full else (300,)) for truth in ("margin", "zero")]
    return [c for c in cells if kind is None or kind in c.label]


CELLS = _cells(True)


def run_cells(cells: list[Cell], reps: int, workers: int = 1) -> list[Cell]:
    """Run every cell with ``reps`` replications (seeded by the cell's name: the same
    numbers every time, whichever other cells run with it)."""
    seeds = [int(content_hash(c.name)[:8], 16) for c in cells]
    if workers <= 1:
        return [_run_cell(c, reps, s) for c, s in zip(cells, seeds, strict=True)]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_run_cell, cells, [reps] * len(cells), seeds))


def bar(reps: int, k: float) -> float:
    """α + k Monte Carlo standard errors (computed at α)."""
    return ALPHA + k * math.sqrt(ALPHA * (1 - ALPHA) / reps)


def checks(cells: list[Cell], cell_k: float = 3.0, pooled_k: float = 2.0) -> list[str]:
    """The calibration bar; returns what breaks it (empty: calibrated)."""
    broken = []
    pooled: dict[str, list[tuple[int, int]]] = {}
    for c in cells:
        errors = [("false GO", c.go)] if c.truth == "margin" else []
        errors.append(("false NO-GO", c.nogo))
        for label, count in errors:
            rate = count / c.reps
            if rate > bar(c.reps, cell_k):
                broken.append(f"{c.name}: {label} {rate:.4f} > {bar(c.reps, cell_k):.4f}")
            pooled.setdefault(f"{c.label}: {label}", []).append((count, c.reps))
    for key, counts in pooled.items():
        total = sum(r for _, r in counts)
        rate = sum(k for k, _ in counts) / total
        if rate > bar(total, pooled_k):
            broken.append(f"{key} pooled: {rate:.4f} > {bar(total, pooled_k):.4f}")
    return broken


def _se(count: int, reps: int) -> float:
    p = count / reps
    return math.sqrt(p * (1 - p) / reps)


def table(cells: list[Cell]) -> str:
    """The results as Markdown: rates with their Monte Carlo SE."""
    lines = ["| gate kind | n | truth | gates | reps | P(GO) | P(NO-GO) | P(INCONCLUSIVE) | s |",
             "|---|---:|---|---:|---:|---|---|---:|---:|"]
    for c in cells:
        inconclusive = (c.reps - c.go - c.nogo) / c.reps
        go = f"{c.go / c.reps:.4f} ± {_se(c.go, c.reps):.4f}"
        nogo = f"{c.nogo / c.reps:.4f} ± {_se(c.nogo, c.reps):.4f}"
        label = "margin (GO and NO-GO wrong)" if c.truth == "margin" else "zero (GO right)"
        lines.append(f"| {c.label} | {c.n:,} | {label} | {c.gates} | {c.reps:,} | {go} | "
                     f"{nogo} | {inconclusive:.3f} | {c.seconds:.0f} |")
    return "\n".join(lines)


def run(reps: int = 2000, workers: int = 2, full: bool = True,
        kind: str | None = None) -> tuple[list[Cell], list[str]]:
    """All cells (``kind``: those of the kinds whose name holds it); the table rows and what
    breaks the bar."""
    cells = run_cells(_cells(full, kind), reps, workers)
    return cells, checks(cells)


def summary(cells: list[Cell], broken: list[str], reps: int) -> str:
    """A few lines for docs/methodology.md: the largest error rates per kind."""
    lines = [f"Last full run: {reps:,} replications a cell, {len(cells)} cells, α = {ALPHA}. "
             + ("Every cell and every pooled kind is within the bar." if not broken else
                "Outside the bar: " + "; ".join(broken) + "."), "",
             "| gate kind | worst false GO (at the margin) | worst false NO-GO | "
             "P(GO) at zero difference, n = 300 / 1,000 |", "|---|---|---|---|"]
    for kind in dict.fromkeys(c.label for c in cells):
        mine = [c for c in cells if c.label == kind and c.gates == 1]
        worst_go = max((c.go / c.reps, c.n) for c in mine if c.truth == "margin")
        worst_nogo = max((c.nogo / c.reps, c.n) for c in mine)
        power = " / ".join(f"{c.go / c.reps:.2f}" for c in mine
                           if c.truth == "zero" and c.n in (300, 1000)) or "n/a"
        lines.append(f"| {kind} | {worst_go[0]:.3f} (n = {worst_go[1]:,}) | "
                     f"{worst_nogo[0]:.3f} (n = {worst_nogo[1]:,}) | {power} |")
    holm = [c for c in cells if c.gates > 1]
    for c in holm:
        lines.append(f"| {c.kind}, {c.gates} hard gates (Holm), n = {c.n:,}, {c.truth} | "
                     f"{c.go / c.reps:.3f} | {c.nogo / c.reps:.3f} | |")
    return "\n".join(lines)
