"""A gate's paired data, ready for a test (docs/methodology.md §8.2).

Takes a metric's stored scores and the gate's records; gives each side's scores oriented
higher-is-better on the metric's scale, with every record accounted for:

- an answer failure already scores the bottom of the scale (the metric did that);
- a non-finite score (or one outside the scale) is the metric failing on that record: it
  scores the bottom of the scale for the side it happened on, and is counted;
- a missing answer stays missing: :meth:`GateData.bounded` fills it pessimistically (the
  candidate failed, the baseline passed) for a GO, optimistically for a NO-GO.

The bootstrap seed comes from the data (the ids of the records resampled), so the same
stored scores give the same numbers whatever the run, gate or machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from swapkit.scoring.metrics.base import MetricScores
from swapkit.support.hashing import content_hash

__all__ = ["GateData", "gate_data", "natural", "seed_of"]

# Pass/fail metrics keep Tango's calibration only when conversations really repeat: a
# handful of shared conversation ids must not switch the method (methodology §3).
CLUSTER_SHARE = 0.10


def seed_of(ids: np.ndarray) -> int:
    """A bootstrap seed from the ids of the records resampled.

    The bootstrap draws records, so the same records draw the same resamples: the same
    stored scores give the same numbers bit for bit, whatever the run id, run name, gate
    name or machine, and a score that differs in its last bits (an embedding computed in
    another batch after a resume) moves the bounds by as little, not by a new draw."""
    return int(content_hash(ids.astype(str).tolist())[:8], 16)


@dataclass
class GateData:
    """One gate's records: oriented scores (NaN where missing) and what was not scored."""

    ids: np.ndarray
    base: np.ndarray
    cand: np.ndarray
    clusters: np.ndarray
    worst: float
    best: float
    binary: bool
    failed_base: int = 0
    failed_cand: int = 0
    invalid_base: int = 0
    invalid_cand: int = 0

    @property
    def missing_base(self) -> np.ndarray:
        mask: np.ndarray = np.isnan(self.base)
        return mask

    @property
    def missing_cand(self) -> np.ndarray:
        mask: np.ndarray = np.isnan(self.cand)
        return mask

    @property
    def missing(self) -> int:
        """Records with a missing answer on either side."""
        return int((self.missing_base | self.missing_cand).sum())

    @property
    def scale(self) -> float:
        """The range of the scale: differences lie within ±scale."""
        return self.best - self.worst

    def complete(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(baseline, candidate, mask) of the records answered on both sides."""
        mask = ~(self.missing_base | self.missing_cand)
        return self.base[mask], self.cand[mask], mask

    def bounded(self, for_go: bool) -> tuple[np.ndarray, np.ndarray]:
        """Every record, missing answers filled against the claim being made: for a GO the
        candidate failed and the baseline passed; for a NO-GO the other way round."""
        low, high = (self.worst, self.best) if for_go else (self.best, self.worst)
        return (np.where(self.missing_base, high, self.base),
                np.where(self.missing_cand, low, self.cand))

    def clustered(self) -> bool:
        """Whether at least CLUSTER_SHARE of the records share a conversation with another."""
        named = self.clusters[self.clusters != ""]
        if not named.size:
            return False
        _, inverse, counts = np.unique(named, return_inverse=True, return_counts=True)
        return bool((counts[inverse] > 1).sum() >= CLUSTER_SHARE * self.clusters.size)

    def seed(self) -> int:
        """The seed of this gate's bootstraps."""
        return seed_of(self.ids)


def _orient(values: np.ndarray, scores: MetricScores) -> np.ndarray:
    if scores.higher_is_better:
        return values
    if scores.bounds is None:
        return -values
    low, high = scores.bounds
    flipped: np.ndarray = low + high - values
    return flipped


def natural(value: float, scores: MetricScores, data: GateData) -> float:
    """A mean of oriented scores back on the metric's own scale: an error rate reads as the
    share of errors, a lower-is-better score as that score (what every report shows)."""
    if scores.higher_is_better:
        return value
    if data.binary or scores.bounds is None:  # binary: oriented on 0..1
        return 1 - value if data.binary else -value
    low, high = scores.bounds
    return low + high - value


def gate_data(scores: MetricScores, mask: np.ndarray, ids: np.ndarray,
              clusters: np.ndarray) -> GateData:
    """The gate's records (``mask``) where the metric applies, ready for a test."""
    chosen = scores.applies_mask() & mask
    sides = []
    invalid = []
    for side, values in (("baseline", scores.base), ("candidate", scores.cand)):
        raw = values[chosen].astype(float)
        missing = scores.missing(side)[chosen]
        bad = ~missing & ~np.isfinite(raw)
        if scores.bounds is not None:
            low, high = scores.bounds
            with np.errstate(invalid="ignore"):
                bad |= ~missing & ((raw < low) | (raw > high))
        sides.append((raw, missing, bad))
        invalid.append(int(bad.sum()))
    if scores.bounds is not None:
        low, high = scores.bounds
        worst, best = low, high
    else:  # unbounded: the lowest and highest oriented scores seen in the run
        seen = np.concatenate([_orient(raw[~bad & ~missing], scores)
                               for raw, missing, bad in sides])
        worst, best = (float(seen.min()), float(seen.max())) if seen.size else (0.0, 0.0)
    oriented = []
    for raw, missing, bad in sides:
        values = _orient(raw, scores)
        values = np.where(bad, worst, values)
        oriented.append(np.where(missing, np.nan, values))
    base, cand = oriented
    finite = np.concatenate([base[~np.isnan(base)], cand[~np.isnan(cand)]])
    binary = scores.kind == "binary" or (
        scores.bounds is not None and scores.kind == "continuous" and finite.size > 0
        and bool(np.all((finite == worst) | (finite == best))))
    if binary and scores.bounds is not None and (worst, best) != (0.0, 1.0):
        base, cand = (base - worst) / (best - worst), (cand - worst) / (best - worst)
        worst, best = 0.0, 1.0
    return GateData(
        ids=ids[chosen], base=base, cand=cand, clusters=clusters[chosen], worst=worst,
        best=best, binary=binary, failed_base=int(scores.failed_base[chosen].sum()),
        failed_cand=int(scores.failed_cand[chosen].sum()), invalid_base=invalid[0],
        invalid_cand=invalid[1])
