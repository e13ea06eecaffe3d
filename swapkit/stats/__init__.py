"""The statistics of the decision (STATS.md): paired intervals, tests, multiplicity, power.

Every random procedure takes a seed; nothing here reads or writes a run.
"""

from swapkit.stats.bootstrap import (
    BootstrapResult,
    cluster_mean_bootstrap,
    mean_difference_bootstrap,
    paired_bootstrap,
)
from swapkit.stats.multiplicity import benjamini_hochberg, holm
from swapkit.stats.power import achievable_margin, n_for_noninferiority
from swapkit.stats.sequential import prpl_eb_cs
from swapkit.stats.tango import tango_bounds, tango_z

__all__ = [
    "BootstrapResult",
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
]
