"""A/B test statistics on sufficient statistics.

Counts, sums and sums of squares are aggregated by the engine (or typed in by hand); the maths
here follows GrowthBook's open-source stats engine (gbstats) and its documentation:

- Welch's t-test with Welch-Satterthwaite degrees of freedom (default, every metric type);
- the classic two-proportion z-test (pooled variance for the p-value);
- relative lift with its confidence interval by the delta method;
- ratio metrics (revenue per order, user as the randomisation unit) by the delta method;
- CUPED with theta pooled over the arms;
- asymptotic confidence sequences (Waudby-Smith et al. 2023) for peeking-safe sequential tests;
- a Bayesian normal approximation on the lift (chance to beat control, expected loss).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import cast

import pandas as pd
from scipy import stats

from ..data._checks import check_one_of
from ..exceptions import ParamsError
from .sequential import _cs_halfwidth, _cs_p_value, sequential_rho
from .sufficient import CupedStats, ProportionStats, Stats

__all__ = ["ABTestResult", "ab_test", "results_frame"]


@dataclass(frozen=True)
class ABTestResult:
    """One treatment against the control on one metric. ``to_frame()`` gives one tidy row.

    Effects are treatment minus control (abs_*) and that difference over the control value
    (rel_*, the lift). ``bayes_*`` fields come from the Bayesian normal approximation and are
    not p-values. ``warnings`` holds codes such as ``zero_variance`` or ``srm``.

    ``abs_p_value`` tests the absolute difference and agrees with the abs_* interval;
    ``rel_p_value`` tests the lift with the delta-method variance and agrees with the rel_*
    interval. ``p_value`` (and ``significant``) is the one of the effect the readout leads with:
    relative when ``relative`` is True (the default), absolute otherwise. ``mde`` is the
    smallest lift (``mde_abs``: difference) this test would detect with the planned power at
    the current sample sizes.
    """

    metric: str
    control: str
    treatment: str
    n_control: int
    n_treatment: int
    value_control: float
    value_treatment: float
    abs_effect: float
    abs_ci_low: float
    abs_ci_high: float
    rel_effect: float
    rel_ci_low: float
    rel_ci_high: float
    p_value: float
    p_value_adjusted: float
    significant: bool
    abs_p_value: float
    rel_p_value: float
    bayes_chance_to_beat: float
    bayes_expected_loss: float
    mde: float
    mde_abs: float
    test: str
    alpha: float
    alternative: str
    sequential: bool
    cuped: bool = False
    relative: bool = True
    variance_reduction: float = math.nan
    srm_p_value: float = math.nan
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        row = asdict(self)
        row["warnings"] = ",".join(self.warnings)
        return pd.DataFrame([row])


def _moments(
    control: Stats, treatment: Stats
) -> tuple[float, float, float, float, bool, float, float]:
    """Means and variances per user of both arms (CUPED-adjusted when both carry X)."""
    if isinstance(control, CupedStats) and isinstance(treatment, CupedStats):
        n = control.n + treatment.n
        sy, sx = control.sum + treatment.sum, control.x_sum + treatment.x_sum
        var_x = (control.x_sum_sq + treatment.x_sum_sq - sx**2 / n) / (n - 1)
        cov = (control.xy_sum + treatment.xy_sum - sx * sy / n) / (n - 1)
        theta = cov / var_x if var_x > 0 else 0.0
        x_bar = sx / n
        out = []
        for s in (control, treatment):
            vy = s.variance
            vx = (s.x_sum_sq - s.x_sum**2 / s.n) / (s.n - 1)
            cxy = (s.xy_sum - s.x_sum * s.sum / s.n) / (s.n - 1)
            adj_mean = s.mean - theta * (s.x_sum / s.n - x_bar)
            adj_var = max(vy + theta**2 * vx - 2 * theta * cxy, 0.0)
            out.append((adj_mean, adj_var))
        pooled_vy = (
            control.variance * (control.n - 1) + treatment.variance * (treatment.n - 1)
        ) / (n - 2)
        pooled_adj = (out[0][1] * (control.n - 1) + out[1][1] * (treatment.n - 1)) / (n - 2)
        reduction = 1 - pooled_adj / pooled_vy if pooled_vy > 0 else math.nan
        return out[0][0], out[0][1], out[1][0], out[1][1], True, reduction, theta
    if type(control) is not type(treatment):
        raise ParamsError(
            f"control and treatment must be the same kind of statistics; got "
            f"{type(control).__name__} and {type(treatment).__name__}."
        )
    return control.mean, control.variance, treatment.mean, treatment.variance, False, math.nan, 0.0


def ab_test(
    control: Stats,
    treatment: Stats,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    sequential: bool = False,
    sequential_tuning: float = 5000,
    test: str = "welch",
    prior_sd: float | None = None,
    relative: bool = True,
    power: float = 0.8,
    metric: str = "",
    control_name: str = "control",
    treatment_name: str = "treatment",
) -> ABTestResult:
    """Compare a treatment arm with the control arm.

    Parameters
    ----------
    control, treatment
        Sufficient statistics of the same kind (:class:`ProportionStats`, :class:`MeanStats`,
        :class:`RatioStats`, or :class:`CupedStats` for CUPED).
    alpha
        Significance level; intervals have coverage 1 - alpha.
    alternative
        ``"two-sided"``, ``"greater"`` (treatment > control) or ``"less"``.
    sequential
        Use anytime-valid confidence sequences (two-sided only) so that looking every week
        keeps the false-positive rate at alpha.
    sequential_tuning
        The number of observations (both arms) where the sequence is tightest (gbstats' N).
    test
        ``"welch"`` (default) or ``"ztest"`` (classic two-proportion z-test, proportions only).
    prior_sd
        Standard deviation of a N(0, prior_sd²) prior on the relative lift for the Bayesian
        view (e.g. 0.3); None: improper flat prior.
    relative
        Lead with the relative lift (default): ``p_value``, ``significant`` and the
        corrections use the relative test, whose p-value agrees with the rel_* interval.
        False: the absolute difference and its test.
    power
        The planned power of the minimum detectable effect (``mde``).

    Returns
    -------
    ABTestResult

    Notes
    -----
    Welch: se² = v_c/n_c + v_t/n_t, df = se⁴ / ((v_c/n_c)²/(n_c-1) + (v_t/n_t)²/(n_t-1)),
    t = (m_t - m_c)/se; the absolute CI is (m_t - m_c) ± t_(1-alpha/2, df)·se. Relative lift
    (m_t - m_c)/m_c with the delta-method variance v_c·m_t²/(m_c⁴·n_c) + v_t/(m_c²·n_t), and
    the same critical value. z-test: p-value from the pooled proportion, CI from the unpooled
    (Wald) standard error. Sequential: the CI half-width is
    sqrt(se²·N)·sqrt(2(Nρ²+1)·ln(sqrt(Nρ²+1)/alpha)/(Nρ)²) with N = n_c + n_t and ρ from
    :func:`sequential_rho`; the p-value is the matching always-valid one. Bayesian: the lift is
    N(lift, var_rel) (flat prior) or its conjugate update with the N(0, prior_sd²) prior;
    chance to beat control = P(lift > 0); expected loss = E[max(0, -lift)]. The relative test
    is GrowthBook's: t = lift / sqrt(var_rel) with the Welch degrees of freedom (normal for
    the z-test and confidence sequences), so its p-value and the relative interval agree.
    MDE at the current sample size: mde_abs = (z_(1-alpha/2) + z_power)·se (one-sided:
    z_(1-alpha)), mde = mde_abs / |control value|; observed power is not reported, because it
    is a one-to-one function of the p-value.
    Proportions use the sample variance p(1-p)·n/(n-1), so the test equals Welch's test on the
    raw 0/1 data; GrowthBook uses p(1-p), which differs by the factor n/(n-1) (below 1e-3
    relative for a thousand users per arm).
    CUPED: theta = cov(Y, X)/var(X) over both arms pooled; each arm's mean is
    ȳ - theta·(x̄_arm - x̄) with variance v_y + theta²·v_x - 2·theta·cov_xy; the variance
    reduction is 1 - (pooled within-arm variance adjusted) / (pooled within-arm variance of Y).

    Examples
    --------
    >>> r = ab_test(ProportionStats(1000, 100), ProportionStats(1000, 130))
    >>> round(r.abs_p_value, 3), round(r.rel_p_value, 3), r.significant  # led by the lift
    (0.036, 0.066, False)
    >>> r = ab_test(ProportionStats(1000, 100), ProportionStats(1000, 140))
    >>> round(r.rel_effect, 2), round(r.rel_p_value, 4), r.significant
    (0.4, 0.0204, True)
    """
    _check_options(control, alpha, alternative, sequential, test)
    est = _estimate(control, treatment)
    if not (est.se2 > 0) or est.nc < 2 or est.nt < 2:
        return _untestable(
            est,
            metric,
            control_name,
            treatment_name,
            test,
            alpha,
            alternative,
            sequential,
            relative,
        )
    if sequential:
        inf = _sequential_inference(est, alpha, sequential_tuning)
    elif test == "ztest":
        inf = _ztest_inference(
            est,
            cast(ProportionStats, control),
            cast(ProportionStats, treatment),
            alpha,
            alternative,
        )
    else:
        inf = _welch_inference(est, alpha, alternative)
    chance, loss = _bayes(est.rel, est.rel_var, prior_sd)
    p = inf.rel_p if relative else inf.p
    mde_abs = _mde_abs(inf.se2, alpha, alternative, power)
    return ABTestResult(
        metric=metric,
        control=control_name,
        treatment=treatment_name,
        n_control=est.nc,
        n_treatment=est.nt,
        value_control=est.mc,
        value_treatment=est.mt,
        abs_effect=est.d,
        abs_ci_low=inf.lo,
        abs_ci_high=inf.hi,
        rel_effect=est.rel,
        rel_ci_low=inf.rlo,
        rel_ci_high=inf.rhi,
        p_value=float(p),
        p_value_adjusted=float(p),
        significant=bool(p < alpha),
        abs_p_value=float(inf.p),
        rel_p_value=float(inf.rel_p),
        bayes_chance_to_beat=chance,
        bayes_expected_loss=loss,
        mde=mde_abs / abs(est.mc) if est.mc else math.nan,
        mde_abs=mde_abs,
        test=inf.name,
        alpha=alpha,
        alternative=alternative,
        sequential=sequential,
        cuped=est.cuped,
        relative=relative,
        variance_reduction=est.reduction,
        warnings=(),
    )


@dataclass(frozen=True)
class _Estimate:
    """Means, variances and sizes of both arms, and the effects with their variances."""

    mc: float
    vc: float
    mt: float
    vt: float
    nc: int
    nt: int
    cuped: bool
    reduction: float

    @property
    def d(self) -> float:
        return self.mt - self.mc

    @property
    def se2(self) -> float:
        return self.vc / self.nc + self.vt / self.nt if self.nc and self.nt else math.nan

    @property
    def rel(self) -> float:
        return self.d / self.mc if self.mc else math.nan

    @property
    def rel_var(self) -> float:
        """Delta-method variance of the relative lift."""
        mc, mt, nc, nt = self.mc, self.mt, self.nc, self.nt
        if not (mc and nc and nt):
            return math.nan
        return self.vc * mt**2 / (mc**4 * nc) + self.vt / (mc**2 * nt)


@dataclass(frozen=True)
class _Inference:
    """Intervals and p-values (absolute and relative) and the name of the test that gave them."""

    lo: float
    hi: float
    rlo: float
    rhi: float
    p: float
    rel_p: float
    name: str
    se2: float


def _check_options(
    control: Stats, alpha: float, alternative: str, sequential: bool, test: str
) -> None:
    check_one_of("alternative", alternative, ["two-sided", "greater", "less"])
    check_one_of("test", test, ["welch", "ztest"])
    if not 0 < alpha < 1:
        raise ParamsError(f"alpha={alpha} must be between 0 and 1, e.g. 0.05.")
    if sequential and alternative != "two-sided":
        raise ParamsError("Sequential tests are two-sided here; use alternative='two-sided'.")
    if test == "ztest" and not isinstance(control, ProportionStats):
        raise ParamsError("test='ztest' is the two-proportion z-test: pass ProportionStats.")


def _estimate(control: Stats, treatment: Stats) -> _Estimate:
    mc, vc, mt, vt, cuped, reduction, _theta = _moments(control, treatment)
    return _Estimate(
        float(mc), float(vc), float(mt), float(vt), control.n, treatment.n, cuped, reduction
    )


def _untestable(
    est: _Estimate,
    metric: str,
    control_name: str,
    treatment_name: str,
    test: str,
    alpha: float,
    alternative: str,
    sequential: bool,
    relative: bool,
) -> ABTestResult:
    """A result with no inference: no variance, or fewer than two users in an arm."""
    warning = "zero_variance" if est.nc >= 2 and est.nt >= 2 else "too_few_users"
    nan = math.nan
    return ABTestResult(
        metric,
        control_name,
        treatment_name,
        est.nc,
        est.nt,
        est.mc,
        est.mt,
        est.d,
        nan,
        nan,
        est.rel,
        nan,
        nan,
        1.0,
        1.0,
        False,
        1.0,
        1.0,
        nan,
        nan,
        nan,
        nan,
        test,
        alpha,
        alternative,
        sequential,
        est.cuped,
        relative,
        est.reduction,
        nan,
        (warning,),
    )


def _sequential_inference(est: _Estimate, alpha: float, tuning: float) -> _Inference:
    rho = sequential_rho(alpha, tuning)
    n = est.nc + est.nt
    half = _cs_halfwidth(est.se2, n, alpha, rho)
    rel_half = _cs_halfwidth(est.rel_var, n, alpha, rho)
    return _Inference(
        est.d - half,
        est.d + half,
        est.rel - rel_half,
        est.rel + rel_half,
        _cs_p_value(est.d, est.se2, n, rho),
        _cs_p_value(est.rel, est.rel_var, n, rho),
        "sequential Welch t-test (asymptotic confidence sequence)",
        est.se2,
    )


def _ztest_inference(
    est: _Estimate,
    control: ProportionStats,
    treatment: ProportionStats,
    alpha: float,
    alternative: str,
) -> _Inference:
    mc, mt, nc, nt = est.mc, est.mt, est.nc, est.nt
    pooled = (control.successes + treatment.successes) / (nc + nt)
    se_pool = math.sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt))
    z = est.d / se_pool if se_pool > 0 else 0.0
    se_wald = math.sqrt(mc * (1 - mc) / nc + mt * (1 - mt) / nt)
    rel_wald = (
        math.sqrt(mc * (1 - mc) * mt**2 / (mc**4 * nc) + mt * (1 - mt) / (mc**2 * nt))
        if mc
        else math.nan
    )
    dist = stats.norm
    p = _p_value(dist.sf, dist.cdf, z, alternative)
    crit = dist.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha)
    lo, hi = _interval(est.d, crit * se_wald, alternative)
    rlo, rhi = _interval(est.rel, crit * rel_wald, alternative)
    rel_p = _p_value(dist.sf, dist.cdf, est.rel / rel_wald, alternative) if rel_wald else 1.0
    return _Inference(lo, hi, rlo, rhi, p, rel_p, "two-proportion z-test", se_wald**2)


def _welch_inference(est: _Estimate, alpha: float, alternative: str) -> _Inference:
    vc, vt, nc, nt, se2 = est.vc, est.vt, est.nc, est.nt, est.se2
    df = se2**2 / ((vc / nc) ** 2 / (nc - 1) + (vt / nt) ** 2 / (nt - 1))
    tstat = est.d / math.sqrt(se2)
    p = _p_value(lambda x: stats.t.sf(x, df), lambda x: stats.t.cdf(x, df), tstat, alternative)
    rel_t = est.rel / math.sqrt(est.rel_var) if est.rel_var > 0 else 0.0
    rel_p = _p_value(lambda x: stats.t.sf(x, df), lambda x: stats.t.cdf(x, df), rel_t, alternative)
    crit = stats.t.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha, df)
    lo, hi = _interval(est.d, crit * math.sqrt(se2), alternative)
    rlo, rhi = _interval(est.rel, crit * math.sqrt(est.rel_var), alternative)
    name = "Welch t-test" + (" with CUPED" if est.cuped else "")
    return _Inference(lo, hi, rlo, rhi, p, rel_p, name, se2)


def _bayes(rel: float, rel_var: float, prior_sd: float | None) -> tuple[float, float]:
    """Chance to beat control and expected loss of the normal approximation on the lift."""
    if prior_sd is not None and rel_var > 0:
        prec = 1 / rel_var + 1 / prior_sd**2
        post_mean, post_sd = (rel / rel_var) / prec, math.sqrt(1 / prec)
    else:
        post_mean, post_sd = rel, math.sqrt(rel_var) if rel_var > 0 else math.nan
    if not post_sd > 0:
        return math.nan, math.nan
    z_b = post_mean / post_sd
    chance = float(stats.norm.cdf(z_b))
    loss = float(post_sd * stats.norm.pdf(z_b) - post_mean * stats.norm.cdf(-z_b))
    return chance, loss


def _mde_abs(se2: float, alpha: float, alternative: str, power: float) -> float:
    """Smallest absolute effect detected with probability ``power`` at standard error sqrt(se2)."""
    if not 0 < power < 1:
        raise ParamsError(f"power={power} must be between 0 and 1, e.g. 0.8.")
    z_crit = stats.norm.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha)
    return float((z_crit + stats.norm.ppf(power)) * math.sqrt(se2))


def _p_value(sf, cdf, x: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(min(1.0, 2 * sf(abs(x))))
    return float(sf(x) if alternative == "greater" else cdf(x))


def _interval(point: float, half: float, alternative: str) -> tuple[float, float]:
    if alternative == "greater":
        return point - half, math.inf
    if alternative == "less":
        return -math.inf, point + half
    return point - half, point + half


def results_frame(results: list[ABTestResult]) -> pd.DataFrame:
    """Concatenate results into one tidy table (one row each)."""
    if not results:
        return pd.DataFrame(columns=list(ABTestResult.__dataclass_fields__))
    return pd.concat([r.to_frame() for r in results], ignore_index=True)
