"""ab_test on sufficient statistics against scipy/statsmodels on raw data and hand formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError
from opsanalysis.stats.abtest import _cs_halfwidth, sequential_rho

RNG_SEED = 20251123


def _mean_stats(x: np.ndarray) -> oa.MeanStats:
    return oa.MeanStats(len(x), float(x.sum()), float((x**2).sum()))


@pytest.fixture
def rng():
    return np.random.default_rng(RNG_SEED)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_welch_matches_scipy_on_raw_data(rng, alternative):
    c, t = rng.lognormal(3.0, 1.0, 700), rng.lognormal(3.1, 1.1, 650)
    r = oa.ab_test(_mean_stats(c), _mean_stats(t), alternative=alternative)
    ref = stats.ttest_ind(t, c, equal_var=False, alternative=alternative)
    ci = ref.confidence_interval(0.95)
    assert r.abs_p_value == pytest.approx(ref.pvalue, abs=1e-9)
    assert r.abs_effect == pytest.approx(t.mean() - c.mean(), abs=1e-9)
    assert (
        r.abs_ci_low == pytest.approx(ci.low, abs=1e-9)
        if np.isfinite(ci.low)
        else r.abs_ci_low == -math.inf
    )
    assert (
        r.abs_ci_high == pytest.approx(ci.high, abs=1e-9)
        if np.isfinite(ci.high)
        else r.abs_ci_high == math.inf
    )
    assert r.test == "Welch t-test"


def test_proportions_welch_matches_scipy_on_the_0_1_data(rng):
    c, t = (rng.random(900) < 0.10).astype(float), (rng.random(1100) < 0.13).astype(float)
    r = oa.ab_test(oa.ProportionStats(900, int(c.sum())), oa.ProportionStats(1100, int(t.sum())))
    ref = stats.ttest_ind(t, c, equal_var=False)
    assert r.abs_p_value == pytest.approx(ref.pvalue, abs=1e-9)
    assert r.abs_ci_low == pytest.approx(ref.confidence_interval().low, abs=1e-9)
    assert r.abs_ci_high == pytest.approx(ref.confidence_interval().high, abs=1e-9)


def test_ztest_matches_statsmodels():
    c, t = oa.ProportionStats(500, 45), oa.ProportionStats(500, 30)
    r = oa.ab_test(c, t, test="ztest")
    # statsmodels proportions_ztest([30, 45], [500, 500]) (pooled) and the Wald interval
    z, p = proportions_ztest([30, 45], [500, 500])
    lo, hi = confint_proportions_2indep(30, 500, 45, 500, method="wald", compare="diff")
    assert r.abs_p_value == pytest.approx(p, abs=1e-12)
    assert (r.abs_ci_low, r.abs_ci_high) == (
        pytest.approx(lo, abs=1e-12),
        pytest.approx(hi, abs=1e-12),
    )
    assert r.test == "two-proportion z-test"
    with pytest.raises(ParamsError, match="two-proportion z-test: pass ProportionStats"):
        oa.ab_test(oa.MeanStats(10, 5, 5), oa.MeanStats(10, 6, 6), test="ztest")


def test_relative_interval_by_hand():
    c, t = oa.MeanStats(1000, 10_000.0, 200_000.0), oa.MeanStats(1000, 11_000.0, 250_000.0)
    r = oa.ab_test(c, t)
    # means 10 and 11; sample variances (200000 - 1e8/1000)/999 = 100.1001..., (250000 - 121000)/999
    vc, vt = 100_000 / 999, 129_000 / 999
    rel_var = vc * 11**2 / (10**4 * 1000) + vt / (10**2 * 1000)  # the delta method
    se2 = vc / 1000 + vt / 1000
    df = se2**2 / ((vc / 1000) ** 2 / 999 + (vt / 1000) ** 2 / 999)
    q = stats.t.ppf(0.975, df)
    assert r.rel_effect == pytest.approx(0.1, abs=1e-12)
    assert r.rel_ci_low == pytest.approx(0.1 - q * math.sqrt(rel_var), abs=1e-12)
    assert r.rel_ci_high == pytest.approx(0.1 + q * math.sqrt(rel_var), abs=1e-12)


def test_ratio_metric_delta_method_by_hand():
    # per-user revenue m and orders d of 4 users in one arm
    m, d = np.array([10.0, 0.0, 30.0, 20.0]), np.array([1.0, 0.0, 2.0, 1.0])
    s = oa.RatioStats(4, m.sum(), (m**2).sum(), d.sum(), (d**2).sum(), (m * d).sum())
    assert s.mean == pytest.approx(60 / 4)  # revenue per order = 15
    mm, dm = m.mean(), d.mean()
    var_m, var_d, cov = m.var(ddof=1), d.var(ddof=1), np.cov(m, d, ddof=1)[0, 1]
    expected = var_m / dm**2 - 2 * cov * mm / dm**3 + mm**2 * var_d / dm**4
    assert s.variance == pytest.approx(expected, rel=1e-12)


def test_cuped_equals_welch_on_residualised_raw_data(rng):
    n_c, n_t = 800, 820
    x_c, x_t = rng.gamma(2.0, 10.0, n_c), rng.gamma(2.0, 10.0, n_t)
    y_c = 0.8 * x_c + rng.normal(0, 5, n_c)
    y_t = 0.8 * x_t + rng.normal(1.0, 5, n_t)

    def cs(x, y):
        return oa.CupedStats(len(y), y.sum(), (y**2).sum(), x.sum(), (x**2).sum(), (x * y).sum())

    r = oa.ab_test(cs(x_c, y_c), cs(x_t, y_t))
    x_all, y_all = np.concatenate([x_c, x_t]), np.concatenate([y_c, y_t])
    theta = np.cov(x_all, y_all, ddof=1)[0, 1] / x_all.var(ddof=1)
    adj_c, adj_t = y_c - theta * (x_c - x_all.mean()), y_t - theta * (x_t - x_all.mean())
    ref = stats.ttest_ind(adj_t, adj_c, equal_var=False)
    assert r.cuped and r.test == "Welch t-test with CUPED"
    assert r.abs_effect == pytest.approx(adj_t.mean() - adj_c.mean(), abs=1e-9)
    assert r.abs_p_value == pytest.approx(ref.pvalue, abs=1e-9)
    assert r.abs_ci_low == pytest.approx(ref.confidence_interval().low, abs=1e-9)
    plain = oa.ab_test(_mean_stats(y_c), _mean_stats(y_t))
    assert r.abs_ci_high - r.abs_ci_low < 0.5 * (plain.abs_ci_high - plain.abs_ci_low)
    resid = np.concatenate([adj_c - adj_c.mean(), adj_t - adj_t.mean()])
    pooled_y = (y_c.var(ddof=1) * (n_c - 1) + y_t.var(ddof=1) * (n_t - 1)) / (n_c + n_t - 2)
    assert r.variance_reduction == pytest.approx(
        1 - resid.var(ddof=0) * (n_c + n_t) / (n_c + n_t - 2) / pooled_y, rel=1e-6
    )


def test_sequential_interval_and_p_value_by_hand():
    c, t = oa.ProportionStats(4000, 400), oa.ProportionStats(4000, 470)
    r = oa.ab_test(c, t, sequential=True, sequential_tuning=5000)
    alpha, n = 0.05, 8000
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / 5000)
    assert sequential_rho(alpha, 5000) == pytest.approx(rho)
    se2 = c.variance / 4000 + t.variance / 4000
    half = math.sqrt(se2 * n) * math.sqrt(
        2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2
    )
    assert _cs_halfwidth(se2, n, alpha, rho) == pytest.approx(half, rel=1e-12)
    assert r.abs_ci_low == pytest.approx(0.0175 - half, abs=1e-12)
    fixed = oa.ab_test(c, t)
    assert r.abs_ci_high - r.abs_ci_low > fixed.abs_ci_high - fixed.abs_ci_low  # wider
    # the always-valid p-value is below alpha exactly when the sequence excludes 0
    assert (r.abs_p_value < alpha) == (r.abs_ci_low > 0)
    assert (r.rel_p_value < alpha) == (r.rel_ci_low > 0) and r.p_value == r.rel_p_value
    with pytest.raises(ParamsError, match="Sequential tests are two-sided"):
        oa.ab_test(c, t, sequential=True, alternative="greater")


def test_bayesian_view_by_hand():
    c, t = oa.ProportionStats(2000, 200), oa.ProportionStats(2000, 230)
    r = oa.ab_test(c, t)
    rel_sd = math.sqrt(
        c.variance * t.mean**2 / (c.mean**4 * 2000) + t.variance / (c.mean**2 * 2000)
    )
    z = 0.15 / rel_sd
    assert r.bayes_chance_to_beat == pytest.approx(stats.norm.cdf(z), abs=1e-12)
    assert r.bayes_expected_loss == pytest.approx(
        rel_sd * stats.norm.pdf(z) - 0.15 * stats.norm.cdf(-z), abs=1e-12
    )
    shrunk = oa.ab_test(c, t, prior_sd=0.3)
    prec = 1 / rel_sd**2 + 1 / 0.09
    mean, sd = (0.15 / rel_sd**2) / prec, math.sqrt(1 / prec)
    assert shrunk.bayes_chance_to_beat == pytest.approx(stats.norm.cdf(mean / sd), abs=1e-12)
    assert shrunk.bayes_chance_to_beat < r.bayes_chance_to_beat


def test_mde_at_the_current_sample_and_degenerate_arms():
    r = oa.ab_test(oa.ProportionStats(1000, 100), oa.ProportionStats(1000, 130))
    se = math.sqrt(0.1 * 0.9 * 1000 / 999 / 1000 + 0.13 * 0.87 * 1000 / 999 / 1000)
    # (z_0.975 + z_0.8) * se: the difference detected 80% of the time at these sizes
    assert r.mde_abs == pytest.approx((1.959963984540054 + 0.8416212335729143) * se, abs=1e-12)
    assert r.mde == pytest.approx(r.mde_abs / 0.1, abs=1e-12)
    assert not hasattr(r, "power")  # observed power is a function of the p-value: not shown
    flat = oa.ab_test(oa.ProportionStats(100, 0), oa.ProportionStats(100, 0))
    assert flat.warnings == ("zero_variance",) and flat.p_value == 1.0 and not flat.significant
    tiny = oa.ab_test(oa.MeanStats(1, 5, 25), oa.MeanStats(3, 6, 14))
    assert tiny.warnings == ("too_few_users",)
    with pytest.raises(ParamsError, match="0 <= successes <= n"):
        oa.ProportionStats(10, 11)
    with pytest.raises(ParamsError, match="same kind of statistics"):
        oa.ab_test(oa.ProportionStats(10, 1), oa.MeanStats(10, 1, 1))
    frame = r.to_frame()
    assert (
        list(frame.columns[:4]) == ["metric", "control", "treatment", "n_control"]
        and len(frame) == 1
    )


def test_a_a_false_positive_rate():
    """2,000 simulated null experiments reject at about alpha."""
    rng = np.random.default_rng(7)
    n = 2000
    rejected = 0
    for _ in range(2000):
        c, t = rng.binomial(n, 0.1), rng.binomial(n, 0.1)
        rejected += oa.ab_test(oa.ProportionStats(n, c), oa.ProportionStats(n, t)).significant
    assert 0.035 <= rejected / 2000 <= 0.065


def test_real_lift_detected_at_planned_power():
    n = oa.sample_size_proportion(0.10, 0.15, power=0.8)  # 10% -> 11.5%
    rng = np.random.default_rng(8)
    hits = sum(
        oa.ab_test(
            oa.ProportionStats(n, rng.binomial(n, 0.10)),
            oa.ProportionStats(n, rng.binomial(n, 0.115)),
        ).significant
        for _ in range(1000)
    )
    assert 0.75 <= hits / 1000 <= 0.85


def test_weekly_peeking_sequential_keeps_alpha():
    """8 weekly looks at a null experiment: fixed-horizon tests reject far too often."""
    rng = np.random.default_rng(9)
    weekly, sims = 1500, 1000
    fixed_fp = seq_fp = 0
    for _ in range(sims):
        c = np.cumsum(rng.binomial(weekly, 0.1, 8))
        t = np.cumsum(rng.binomial(weekly, 0.1, 8))
        looks = [
            (
                oa.ProportionStats(weekly * (k + 1), int(c[k])),
                oa.ProportionStats(weekly * (k + 1), int(t[k])),
            )
            for k in range(8)
        ]
        fixed_fp += any(oa.ab_test(a, b).significant for a, b in looks)
        seq_fp += any(oa.ab_test(a, b, sequential=True).significant for a, b in looks)
    assert fixed_fp / sims > 0.08  # peeking inflates the fixed-horizon test
    assert seq_fp / sims <= 0.05


def test_planning_matches_statsmodels_and_round_trips():
    from statsmodels.stats.power import NormalIndPower, TTestIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    n = oa.sample_size_proportion(0.10, 0.10)
    ref = NormalIndPower().solve_power(proportion_effectsize(0.11, 0.10), alpha=0.05, power=0.8)
    assert n == math.ceil(ref)
    assert oa.mde_proportion(0.10, n) == pytest.approx(0.10, abs=2e-4)
    m = oa.sample_size_mean(sd=50, mde=2)
    assert m == math.ceil(TTestIndPower().solve_power(0.04, alpha=0.05, power=0.8))
    assert oa.mde_mean(50, m) == pytest.approx(2.0, rel=1e-3)
    assert oa.days_needed(n, variants=2, daily_users=1000) == math.ceil(2 * n / 1000)
    with pytest.raises(ParamsError, match="must differ and lie in"):
        oa.sample_size_proportion(0.5, 1.5)


# GrowthBook's reference case (packages/stats/tests/frequentist/test_tests.py,
# TestTwoSidedTTest: control mean 0.41, sd 3.9, n 3407; treatment mean 0.70, sd 6.2, n 3461),
# given as sums: the relative test and its interval agree; the absolute one differs.
GB_CONTROL = oa.MeanStats(3407, 1396.87, 52377.9767)
GB_TREATMENT = oa.MeanStats(3461, 2422.7, 134698.29)


def test_growthbook_reference_relative_and_absolute():
    r = oa.ab_test(GB_CONTROL, GB_TREATMENT)
    assert round(r.rel_effect, 5) == 0.70732
    assert [round(r.rel_ci_low, 5), round(r.rel_ci_high, 5)] == [-0.03526, 1.44989]
    assert round(r.rel_p_value, 5) == 0.06191  # gbstats TwoSidedTTest.p_value
    assert round(r.abs_p_value, 5) == 0.02016  # gbstats before relative p-values
    assert r.p_value == r.rel_p_value and not r.significant  # the interval holds 0
    absolute = oa.ab_test(GB_CONTROL, GB_TREATMENT, relative=False)
    assert absolute.p_value == absolute.abs_p_value and absolute.significant
    assert absolute.abs_ci_low > 0  # and the absolute interval excludes 0


@pytest.mark.parametrize(("alternative", "p"), [("greater", 0.03096), ("less", 0.96904)])
def test_growthbook_reference_one_sided(alternative, p):
    # gbstats OneSidedTreatmentGreaterTTest / ...LesserTTest: 1 - t.cdf(lift / se, dof) and
    # t.cdf(lift / se, dof), on the same reference case
    r = oa.ab_test(GB_CONTROL, GB_TREATMENT, alternative=alternative)
    assert round(r.rel_p_value, 5) == p
    assert (r.rel_ci_low > 0) == (r.rel_p_value < 0.05) or math.isinf(r.rel_ci_low)


def test_relative_test_for_proportions_sequential_and_cuped():
    c, t = oa.ProportionStats(2000, 200), oa.ProportionStats(2000, 236)
    for kw in ({}, {"test": "ztest"}, {"sequential": True}):
        r = oa.ab_test(c, t, **kw)
        assert (r.rel_p_value < 0.05) == (r.rel_ci_low > 0 or r.rel_ci_high < 0), kw
        assert (r.abs_p_value < 0.05) == (r.abs_ci_low > 0 or r.abs_ci_high < 0), kw
    cu_c = oa.CupedStats(500, 600.0, 2000.0, 550.0, 1800.0, 1700.0)
    cu_t = oa.CupedStats(500, 700.0, 2400.0, 560.0, 1850.0, 1900.0)
    r = oa.ab_test(cu_c, cu_t)
    assert r.cuped and r.p_value == r.rel_p_value
    assert (r.rel_p_value < 0.05) == (r.rel_ci_low > 0 or r.rel_ci_high < 0)


def test_sequential_test_of_a_treatment_arm_with_no_conversions():
    # the relative lift's variance is 0 (treatment mean 0, variance 0): p = 1, as the Welch
    # path gives it, instead of a division by zero that failed a monthly report
    seq = oa.ab_test(oa.ProportionStats(100, 10), oa.ProportionStats(100, 0), sequential=True)
    fixed = oa.ab_test(oa.ProportionStats(100, 10), oa.ProportionStats(100, 0))
    assert seq.rel_effect == fixed.rel_effect == -1.0
    assert seq.rel_p_value == 1.0 and fixed.rel_p_value == 1.0
    assert fixed.abs_p_value < 0.05 and seq.abs_p_value < 1  # the absolute fall still counts
