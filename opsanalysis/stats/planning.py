"""Planning experiments: sample size, minimum detectable effect and duration.

Built on statsmodels' power functions: ``NormalIndPower`` with Cohen's h for proportions
and ``TTestIndPower`` with Cohen's d for means.
"""

from __future__ import annotations

import math

from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from ..data._checks import check_one_of
from ..exceptions import ParamsError

__all__ = [
    "sample_size_proportion",
    "sample_size_mean",
    "mde_proportion",
    "mde_mean",
    "days_needed",
]

# effect sizes are taken as absolute values, so a one-sided plan of either direction is
# statsmodels' "larger"
_ALT = {"two-sided": "two-sided", "greater": "larger", "less": "larger"}


def _check(alpha: float, power: float, alternative: str) -> str:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ParamsError(f"alpha={alpha} and power={power} must both lie between 0 and 1.")
    return _ALT[check_one_of("alternative", alternative, list(_ALT))]


def sample_size_proportion(
    baseline: float,
    mde: float,
    *,
    relative: bool = True,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> int:
    """Users needed in the control arm (treatment: ``ratio`` times as many) to detect a change
    of a conversion rate from ``baseline`` by ``mde`` (relative, e.g. 0.1 = +10%, or absolute).

    >>> sample_size_proportion(0.10, 0.10)   # 10% -> 11%, 80% power, alpha 0.05
    14745
    """
    alt = _check(alpha, power, alternative)
    target = baseline * (1 + mde) if relative else baseline + mde
    if not 0 < baseline < 1 or not 0 < target < 1 or target == baseline:
        raise ParamsError(f"baseline {baseline} and target {target} must differ and lie in (0, 1).")
    h = proportion_effectsize(target, baseline)
    n = NormalIndPower().solve_power(
        effect_size=abs(h),
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative=alt,
    )
    return int(math.ceil(n))


def sample_size_mean(
    sd: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> int:
    """Users needed in the control arm to detect an absolute change ``mde`` of a mean whose
    per-user standard deviation is ``sd`` (t-test power).

    >>> sample_size_mean(sd=100, mde=5)
    6281
    """
    alt = _check(alpha, power, alternative)
    if sd <= 0 or mde == 0:
        raise ParamsError("sd must be positive and mde non-zero.")
    n = TTestIndPower().solve_power(
        effect_size=abs(mde) / sd,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative=alt,
    )
    return int(math.ceil(n))


def mde_proportion(
    baseline: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """Smallest relative lift of a conversion rate detectable with ``n_control`` users in the
    control arm (and ``ratio`` times as many in treatment).

    >>> round(mde_proportion(0.10, 14745), 3)
    0.1
    """
    alt = _check(alpha, power, alternative)
    h = NormalIndPower().solve_power(
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative=alt,
    )
    # invert Cohen's h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1))
    p2 = math.sin(math.asin(math.sqrt(baseline)) + h / 2) ** 2
    return p2 / baseline - 1


def mde_mean(
    sd: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """Smallest absolute change of a mean detectable with ``n_control`` control users."""
    alt = _check(alpha, power, alternative)
    d = TTestIndPower().solve_power(
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative=alt,
    )
    return float(d * sd)


def days_needed(n_per_variant: int, *, variants: int = 2, daily_users: float) -> int:
    """Days of traffic an experiment needs: users needed in all arms / eligible users a day.

    >>> days_needed(14745, variants=2, daily_users=3000)
    10
    """
    if daily_users <= 0:
        raise ParamsError("daily_users must be positive: the eligible users entering a day.")
    return int(math.ceil(n_per_variant * variants / daily_users))
