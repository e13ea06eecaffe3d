"""The statistics of the decision: paired intervals, tests, multiplicity, power.

What each computes and why: docs/methodology.md.

Every random procedure takes a seed; nothing here reads or writes a run. Imports only
numpy and scipy: no swapkit module.
"""

from swapkit.decision.stats.bootstrap import (
    BootstrapResult,
    cluster_mean_bootstrap,
    mean_difference_bootstrap,
    paired_bootstrap,
)
from swapkit.decision.stats.kappa import KappaResult, weighted_kappa, weighted_kappa_interval
from swapkit.decision.stats.multiplicity import benjamini_hochberg, holm
from swapkit.decision.stats.power import achievable_margin, n_for_noninferiority
from swapkit.decision.stats.sequential import prpl_eb_cs
from swapkit.decision.stats.tango import tango_bounds, tango_z

__all__ = [
    "BootstrapResult",
    "KappaResult",
    "achievable_margin",
    "benjamini_hochberg",
    "cluster_mean_bootstrap",
    "holm",
    "mean_difference_bootstrap",
    "n_for_noninferiority",
    "paired_bootstrap",
    "prpl_eb_cs",
    "tango_bounds",
    "tango_z",
    "weighted_kappa",
    "weighted_kappa_interval",
]
