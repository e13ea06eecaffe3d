"""The judge's own noise beyond position consistency: its agreement with itself when asked
again, and its preference for longer answers.

**Self-agreement.** A seeded subset of the judged records is judged a second time (the
same two requests, a second completion each). Each re-judged record then has two
outcomes (win / tie / loss); :func:`self_agreement` gives the share of identical
outcomes and Cohen's kappa (agreement beyond what the two judgings' outcome shares alone
would give), with a large-sample 95% interval (Fleiss, Cohen & Everitt 1969). A judge
whose verdicts do not reproduce pulls wins − losses towards 0, the side of a
non-inferiority GO: below ``min_self_kappa`` the metric refuses its gates.

**Length bias.** :func:`length_bias` reads the judge's decided pairs (wins and losses)
against the difference in length of the two answers: how often the longer answer won,
and the candidate's net win rate when its answer is the longer and when it is the
shorter. A longer answer may be a better one, so this is reported, never gated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from swapkit.support.numbers import fmt_percent

__all__ = ["LENGTH_GAP", "LengthBias", "SelfAgreement", "length_bias", "self_agreement"]

OUTCOMES = ("win", "tie", "loss")
Z95 = 1.959963984540054
# Two answers whose lengths differ by less than this share of the longer are "as long".
LENGTH_GAP = 0.10


@dataclass(frozen=True)
class SelfAgreement:
    """Two judgings of the same pairs: how often they gave the same outcome."""

    pairs: int  # re-judged pairs with both judgings' verdicts
    same: int  # of which gave the same outcome
    kappa: float | None  # None: undefined (every outcome of both judgings alike)
    low: float | None  # its 95% interval
    high: float | None

    @property
    def share(self) -> float:
        """Share of re-judged pairs with the same outcome twice."""
        return self.same / self.pairs if self.pairs else float("nan")

    def line(self) -> str:
        """One line for the metric's notes and its gates."""
        text = (f"judge self-agreement {fmt_percent(self.share, 0)} ({self.same} of "
                f"{self.pairs} re-judged pairs gave the same outcome twice)")
        if self.kappa is None:
            return text + ", kappa undefined (one outcome throughout)"
        return text + (f", Cohen's kappa {self.kappa:.2f} (95% CI {self.low:.2f} to "
                       f"{self.high:.2f})")


def self_agreement(first: Sequence[str], second: Sequence[str]) -> SelfAgreement:
    """Agreement of two outcome sequences (each ``win``, ``tie`` or ``loss``) of the same
    pairs."""
    n = len(first)
    table = np.zeros((3, 3))
    for a, b in zip(first, second, strict=True):
        table[OUTCOMES.index(a), OUTCOMES.index(b)] += 1
    same = int(np.trace(table))
    if not n:
        return SelfAgreement(0, 0, None, None, None)
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    p_o, p_e = float(np.trace(p)), float(rows @ cols)
    if p_e >= 1 - 1e-12:
        return SelfAgreement(n, same, None, None, None)
    kappa = (p_o - p_e) / (1 - p_e)
    # Fleiss, Cohen & Everitt (1969): the large-sample variance of kappa.
    diagonal = sum(p[i, i] * ((1 - p_e) - (rows[i] + cols[i]) * (1 - p_o)) ** 2
                   for i in range(3))
    off = (1 - p_o) ** 2 * sum(p[i, j] * (cols[i] + rows[j]) ** 2
                               for i in range(3) for j in range(3) if i != j)
    variance = max(diagonal + off - (p_o * p_e - 2 * p_e + p_o) ** 2, 0.0) / (
        n * (1 - p_e) ** 4)
    half = Z95 * math.sqrt(variance)
    return SelfAgreement(n, same, kappa, max(kappa - half, -1.0), min(kappa + half, 1.0))


@dataclass(frozen=True)
class LengthBias:
    """The judge's decided pairs against the answers' difference in length."""

    decided: int  # wins and losses whose answers differ in length by LENGTH_GAP or more
    longer_won: int
    net: dict[str, tuple[int, int]]  # longer / shorter / as long → (wins − losses, pairs)

    def lines(self) -> list[str]:
        """Its line for the metric's notes and its gates (none when nothing was judged)."""
        parts = []
        if self.decided:
            low, high = _wilson(self.longer_won, self.decided)
            parts.append(f"the longer answer won {fmt_percent(self.longer_won / self.decided, 0)}"
                         f" of {self.decided} decided pairs with lengths "
                         f"{fmt_percent(LENGTH_GAP, 0)}+ apart (95% CI {fmt_percent(low, 0)} "
                         f"to {fmt_percent(high, 0)}; 50%: no bias)")
        groups = [f"{label} {_points(diff, count)} (n = {count})"
                  for label, (diff, count) in self.net.items() if count]
        if groups:
            parts.append("net wins with the candidate's answer " + ", ".join(groups))
        return ["judge length bias: " + "; ".join(parts)] if parts else []


def _points(diff: int, count: int) -> str:
    return f"{100 * diff / count:+.0f} pts"


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def length_bias(outcomes: Sequence[str], base_lengths: Sequence[int],
                cand_lengths: Sequence[int]) -> LengthBias:
    """The judge's outcomes (``win``, ``tie``, ``loss``: the candidate's) against the
    lengths of the two answers it read, pair by pair."""
    decided = longer_won = 0
    net = {"longer": [0, 0], "shorter": [0, 0], "as long": [0, 0]}
    for result, base, cand in zip(outcomes, base_lengths, cand_lengths, strict=True):
        gap = cand - base
        group = ("as long" if abs(gap) < LENGTH_GAP * max(base, cand, 1) else
                 "longer" if gap > 0 else "shorter")
        sign = {"win": 1, "loss": -1, "tie": 0}[result]
        net[group][0] += sign
        net[group][1] += 1
        if sign and group != "as long":
            decided += 1
            longer_won += (sign > 0) == (group == "longer")
    return LengthBias(decided, longer_won, {k: (v[0], v[1]) for k, v in net.items()})
