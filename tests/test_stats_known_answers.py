"""Every known-answer vector T1-T12 (docs/methodology.md §11), plus agreement with SciPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from swapkit.decision.stats.bootstrap import (
    BootstrapResult,
    cluster_mean_bootstrap,
    log_ratio_of_sums_bootstrap,
    mean_difference_bootstrap,
    paired_bootstrap,
    quantile_ratio_bootstrap,
)
from swapkit.decision.stats.diagnostics import (
    agresti_min_interval,
    clustered_se,
    mcnemar,
    naive_se,
    paired_t,
    proportion_interval,
    sign_test,
)
from swapkit.decision.stats.kappa import linear_weights, weighted_kappa, weighted_kappa_interval
from swapkit.decision.stats.multiplicity import benjamini_hochberg, holm
from swapkit.decision.stats.power import (
    achievable_margin,
    connor_n,
    mcnemar_exact_power,
    n_for_noninferiority,
)
from swapkit.decision.stats.sequential import prpl_eb_cs
from swapkit.decision.stats.tango import tango_bounds, tango_p_values, tango_z


def test_t1_mcnemar_airway_data() -> None:
    result = mcnemar(7, 1)
    assert result.exact == pytest.approx(0.0703125, abs=1e-12)
    assert result.mid_p == pytest.approx(0.0390625, abs=1e-12)
    assert result.chi2 == pytest.approx(4.5)
    assert result.p_chi2 == pytest.approx(0.033895, abs=1e-6)


def test_t2_tango_interval_and_agresti_min() -> None:
    low, high = tango_bounds(7, 1, 21, alpha=0.025)
    assert (low, high) == pytest.approx((-0.51723, -0.02600), abs=1e-5)
    assert tango_z(0.0, 7, 1, 21) == pytest.approx(-2.12132, abs=1e-5)
    assert agresti_min_interval(7, 1, 21, 0.025) == pytest.approx((-0.49323, -0.02851),
                                                                   abs=1e-5)


@pytest.mark.parametrize(("n", "r", "g", "low", "high", "decision"), [
    (2000, 100, 110, -0.00696, 0.01700, "GO"),
    (800, 20, 18, -0.01564, 0.01050, "GO"),
    (300, 0, 0, -0.00894, 0.00894, "GO"),
    (1000, 60, 52, -0.02563, 0.00950, "INCONCLUSIVE"),
    (200, 9, 11, -0.02824, 0.04903, "INCONCLUSIVE"),
    (500, 30, 12, -0.05847, -0.01518, "INCONCLUSIVE"),
    (100, 5, 0, -0.09916, -0.02234, "NO-GO"),
])
def test_t3_tango_noninferiority_table(n: int, r: int, g: int, low: float, high: float,
                                       decision: str) -> None:
    lo, hi = tango_bounds(r, g, n, alpha=0.05)
    assert (lo, hi) == pytest.approx((low, high), abs=1e-5)
    margin = 0.02
    got = "GO" if lo > -margin else "NO-GO" if hi < -margin else "INCONCLUSIVE"
    assert got == decision


def test_t3_tango_p_values() -> None:
    assert tango_p_values(60, 52, 1000, -0.02)[0] == pytest.approx(0.12998, abs=1e-5)
    assert tango_p_values(100, 110, 2000, -0.02)[0] == pytest.approx(0.000348, abs=1e-6)


def test_t4_wilcoxon_corn_data() -> None:
    d = np.array([6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75])
    two = stats.wilcoxon(d)
    assert (two.statistic, two.pvalue) == pytest.approx((24.0, 0.041259765625))
    greater = stats.wilcoxon(d, alternative="greater")
    assert (greater.statistic, greater.pvalue) == pytest.approx((96.0, 0.0206298828125))


def test_t5_paired_t_sleep_data() -> None:
    g1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    g2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    result = paired_t(g1, g2, margin=0.5)
    assert result.t == pytest.approx(4.062128, abs=1e-6)
    assert result.p == pytest.approx(0.0028329, abs=1e-7)
    assert result.mean == pytest.approx(1.58)
    assert (result.low, result.high) == pytest.approx((0.70011, 2.45989), abs=1e-5)
    assert result.p_noninferior == pytest.approx(0.00023190, abs=1e-8)


def test_t6_sign_test() -> None:
    assert sign_test(12, 3) == pytest.approx(0.03515625)


P15 = [.0001, .0004, .0019, .0095, .0201, .0278, .0298, .0344, .0459, .3240, .4262, .5719,
       .6528, .7590, 1.0]


def test_t7_benjamini_hochberg_and_holm() -> None:
    bh = benjamini_hochberg(P15)
    assert sum(p <= 0.05 for p in bh) == 4
    assert bh[:5] == pytest.approx([.0015, .0030, .0095, .035625, .0603], abs=1e-4)
    adjusted = holm(P15)
    assert sum(p <= 0.05 for p in adjusted) == 3
    assert adjusted[:4] == pytest.approx([.0015, .0056, .0247, .1140], abs=1e-4)


def test_t8_clustered_standard_error() -> None:
    d = np.array([1, 1, 0, 0, -1, 1])
    assert clustered_se(d, np.array(list("aabbcc"))) == pytest.approx(0.272166, abs=1e-6)
    assert naive_se(d) == pytest.approx(0.333333, abs=1e-6)


def test_t9_sample_size_and_power() -> None:
    assert connor_n(0.10, 0.05) == pytest.approx(311.6, abs=0.05)
    assert np.ceil(connor_n(0.10, 0.05)) == 312
    assert n_for_noninferiority(0.10, 0.02) == pytest.approx(1545.6, abs=0.05)
    assert np.ceil(n_for_noninferiority(0.10, 0.02)) == 1546
    assert mcnemar_exact_power(500, 0.10, -0.05) == pytest.approx(0.94126, abs=1e-5)
    # Table E: achievable margin at 80% power, ψ = 0.10, n = 1000 → 2.5 points.
    assert achievable_margin(0.10, 1000) == pytest.approx(0.025, abs=5e-4)


def test_t10_proportion_intervals() -> None:
    assert proportion_interval(170, 200) == pytest.approx((0.79394, 0.89286), abs=1e-5)
    assert proportion_interval(170, 200, method="exact") == pytest.approx((0.79284, 0.89645),
                                                                          abs=1e-5)


def test_t11_prpl_eb_confidence_sequence() -> None:
    d = np.tile([1, 0, 0, -1, 0, 1, 0, 0, 0, 1], 50)
    lower, upper = prpl_eb_cs(d, -1, 1, alpha=0.05)
    assert (lower[99], upper[99]) == pytest.approx((-0.030786, 0.422260), abs=1e-6)
    assert (lower[499], upper[499]) == pytest.approx((0.102158, 0.294162), abs=1e-6)


def test_t11_confidence_sequence_coverage_under_the_null() -> None:
    """δ = 0, ψ = .1: the CS should (almost) never exclude 0 over 3,000 steps."""
    rng = np.random.default_rng(11)
    misses = 0
    for _ in range(100):
        u = rng.random(3000)
        d = np.where(u < 0.05, 1, np.where(u < 0.10, -1, 0))
        lower, upper = prpl_eb_cs(d, -1, 1, alpha=0.05)
        misses += bool(np.any((lower > 0) | (upper < 0)))
    assert misses / 100 <= 0.05


def test_t12_bca_degenerate_data_falls_back() -> None:
    d = np.zeros(50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ci = stats.bootstrap((d,), np.mean, method="BCa",
                             rng=np.random.default_rng(0)).confidence_interval
    assert np.isnan(ci.low) and np.isnan(ci.high)
    result = mean_difference_bootstrap(np.zeros(50), np.zeros(50), 0.05, seed=1)
    assert (result.low, result.high, result.method) == (0.0, 0.0, "degenerate (no variation)")
    # A statistic whose replicates never fall below the estimate: BCa is NaN, percentile used.
    constant = paired_bootstrap(lambda idx: np.ones(idx.shape[0]), 0.5, 20, 0.05, seed=2,
                                jackknife=np.linspace(0, 1, 20), resamples=200)
    assert constant.method == "percentile bootstrap" and constant.low == 1.0


def test_bca_matches_scipy_exactly_with_the_same_seed() -> None:
    rng = np.random.default_rng(1)
    b = rng.random(80)
    c = b + rng.normal(0.02, 0.1, 80)
    ours = mean_difference_bootstrap(b, c, 0.05, seed=3)
    theirs = stats.bootstrap((b, c), lambda x, y, axis=-1: y.mean(axis=axis) - x.mean(axis=axis),
                             paired=True, vectorized=True, n_resamples=9999,
                             confidence_level=0.9, method="BCa", rng=np.random.default_rng(3))
    assert (ours.low, ours.high) == pytest.approx(tuple(theirs.confidence_interval), abs=1e-12)


def test_ratio_and_quantile_bootstraps_match_scipy_percentile() -> None:
    rng = np.random.default_rng(5)
    base = rng.lognormal(0, 0.5, 200)
    cand = base * rng.lognormal(0.1, 0.2, 200)
    ours = quantile_ratio_bootstrap(base, cand, 0.95, 0.05, seed=9, resamples=2000)
    theirs = stats.bootstrap(
        (base, cand), lambda b, c, axis=-1: np.log(np.quantile(c, 0.95, axis=axis)
                                                   / np.quantile(b, 0.95, axis=axis)),
        paired=True, vectorized=True, n_resamples=2000, confidence_level=0.9,
        method="percentile", rng=np.random.default_rng(9))
    assert (ours.low, ours.high) == pytest.approx(tuple(theirs.confidence_interval), abs=1e-12)
    ratio = log_ratio_of_sums_bootstrap(cand, base, 0.05, seed=4)
    assert ratio.low < ratio.estimate < ratio.high


def test_cluster_bootstrap_widens_the_interval_for_clustered_data() -> None:
    rng = np.random.default_rng(7)
    cluster_effects = rng.normal(0, 1, 40)
    clusters = np.repeat(np.arange(40), 10)
    d = cluster_effects[clusters] + rng.normal(0, 0.2, 400)
    naive = mean_difference_bootstrap(np.zeros(400), d, 0.05, seed=1)
    clustered = cluster_mean_bootstrap(d, clusters, 0.05, seed=1)
    assert (clustered.high - clustered.low) > 2 * (naive.high - naive.low)


def test_bootstrap_p_values_are_plus_one_corrected() -> None:
    result = BootstrapResult(0.0, -1.0, 1.0, "x", 3, np.array([-1.0, 0.0, 1.0]))
    assert result.p_at_most(0.0) == pytest.approx(3 / 4)
    assert result.p_at_least(2.0) == pytest.approx(1 / 4)


def test_resampling_is_seeded_and_reproducible() -> None:
    b, c = np.random.default_rng(0).random((2, 300))
    first = mean_difference_bootstrap(b, c, 0.05, seed=42)
    again = mean_difference_bootstrap(b, c, 0.05, seed=42)
    other = mean_difference_bootstrap(b, c, 0.05, seed=43)
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)


def test_bca_p_values_invert_the_bca_bounds() -> None:
    """One method for the verdict and for Holm: the p-value at a bound is α."""
    rng = np.random.default_rng(11)
    b = rng.uniform(0.4, 0.9, 300)
    c = np.clip(b + rng.normal(-0.01, 0.08, 300), 0, 1)
    for expand in (False, True):
        boot = mean_difference_bootstrap(b, c, 0.05, seed=5, expand=expand)
        assert boot.bca is not None
        assert abs(boot.p_at_most(boot.low) - 0.05) < 0.003
        assert abs(boot.p_at_least(boot.high) - 0.05) < 0.003


def test_small_sample_expansion_round_trips_and_widens() -> None:
    from swapkit.decision.stats.bootstrap import contract_alpha, expand_alpha

    for n in (5, 30, 300, 5000):
        level = expand_alpha(0.05, n)
        assert level < 0.05 and abs(contract_alpha(level, n) - 0.05) < 1e-9
    assert expand_alpha(0.05, 30) == pytest.approx(0.042, abs=0.001)
    assert expand_alpha(0.05, 5000) == pytest.approx(0.05, abs=0.0005)


def test_exact_unconditional_p_values_hold_alpha_on_the_boundary() -> None:
    """Exact enumeration at δ = −Δ: P(p_GO ≤ α) ≤ α for small n (Tango's is not)."""
    from scipy import stats as st

    from swapkit.decision.stats.exact import exact_paired_p_values

    n, margin, psi = 30, 0.03, 0.10
    p10, p01 = (psi + margin) / 2, (psi - margin) / 2
    size = 0.0
    for r in range(n + 1):
        for g in range(n + 1 - r):
            prob = st.multinomial.pmf([r, g, n - r - g], n, [p10, p01, 1 - psi])
            if prob > 1e-12 and exact_paired_p_values(r, g, n, -margin)[0] <= 0.05:
                size += prob
    assert size <= 0.05 + 1e-9, size


# SexualFun (Agresti 1990; Friendly 2000, p. 91): husband's (rows) and wife's (columns)
# rating, 4 ordered categories. Published (R vcd::Kappa, equal-spacing = linear weights):
# unweighted 0.1293, weighted 0.2374.
SEXUAL_FUN = np.array([[7, 7, 2, 3], [2, 8, 3, 7], [1, 5, 4, 9], [2, 8, 9, 14]])


def test_t13_weighted_kappa_published_example() -> None:
    assert weighted_kappa(SEXUAL_FUN) == pytest.approx(0.2374, abs=5e-5)
    assert linear_weights(4)[0].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert linear_weights(3)[0].tolist() == [1.0, 0.5, 0.0]
    # The same table from item-level ratings, with its interval around the estimate.
    rows, cols = np.nonzero(SEXUAL_FUN)
    counts = SEXUAL_FUN[rows, cols]
    first, second = np.repeat(rows, counts), np.repeat(cols, counts)
    result = weighted_kappa_interval(first, second, 4, level=0.95, seed=1)
    assert result.kappa == pytest.approx(0.2374, abs=5e-5) and result.n == 91
    assert result.agreement == pytest.approx(33 / 91)
    assert result.table.tolist() == SEXUAL_FUN.tolist() and not result.weighted
    # vcd's large-sample 95% interval is 0.084 to 0.391 (ASE 0.0783): the bootstrap's
    # percentile interval is of the same width.
    assert result.low is not None and result.high is not None
    assert result.low == pytest.approx(0.084, abs=0.04)
    assert result.high == pytest.approx(0.391, abs=0.04)
    again = weighted_kappa_interval(first, second, 4, level=0.95, seed=1)
    assert (again.low, again.high) == (result.low, result.high)


def test_t13_kappa_perfect_independent_and_undefined() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, 5000)
    perfect = weighted_kappa_interval(a, a, 3)
    assert perfect.kappa == pytest.approx(1.0) and perfect.agreement == 1.0
    assert perfect.low == pytest.approx(1.0) and perfect.high == pytest.approx(1.0)
    independent = weighted_kappa_interval(a, rng.integers(0, 3, 5000), 3)
    assert independent.kappa is not None and abs(independent.kappa) < 0.03
    assert independent.low is not None and independent.high is not None
    assert independent.low < 0 < independent.high
    assert weighted_kappa(np.zeros((3, 3))) is None
    one_category = weighted_kappa_interval(np.ones(10, int), np.ones(10, int), 3)
    assert one_category.kappa is None and one_category.low is None
    assert one_category.agreement == 1.0


def test_t13_inverse_probability_weights_count_as_copies() -> None:
    """An item of inclusion probability 1/2 stands for two: the weighted table (and kappa)
    equals the table with the item written twice."""
    first = np.array([0, 1, 2, 2, 1, 0, 2, 1])
    second = np.array([0, 1, 2, 1, 1, 1, 2, 0])
    probability = np.array([1, 0.5, 1, 0.25, 1, 1, 0.5, 1])
    weighted = weighted_kappa_interval(first, second, 3, 1 / probability)
    copies = np.round(1 / probability).astype(int)
    plain = weighted_kappa_interval(np.repeat(first, copies), np.repeat(second, copies), 3)
    assert weighted.weighted and weighted.n == 8
    assert weighted.table.tolist() == plain.table.tolist()
    assert weighted.kappa == pytest.approx(plain.kappa)
    assert weighted.agreement == pytest.approx(plain.agreement)


def test_t13_equal_weights_give_the_simple_random_sample_interval() -> None:
    """Equal inclusion probabilities are a simple random sample: the weighted bootstrap
    (items resampled) and the multinomial one (cells drawn) give the same interval."""
    rows, cols = np.nonzero(SEXUAL_FUN)
    counts = SEXUAL_FUN[rows, cols]
    first, second = np.repeat(rows, counts), np.repeat(cols, counts)
    plain = weighted_kappa_interval(first, second, 4, seed=2)
    equal = weighted_kappa_interval(first, second, 4, np.full(91, 4.0), seed=2)
    assert equal.weighted and equal.kappa == pytest.approx(plain.kappa)
    assert equal.low == pytest.approx(plain.low, abs=0.02)
    assert equal.high == pytest.approx(plain.high, abs=0.02)
