"""Sufficient statistics of one arm of an experiment: what the engine aggregates per variant.

Counts, sums and sums of squares come from one ``GROUP BY variant`` query (or are typed in by
hand); :func:`~opsanalysis.stats.abtest.ab_test` does the maths on them. As gbstats'
``models/statistics.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..exceptions import ParamsError

__all__ = ["ProportionStats", "MeanStats", "RatioStats", "CupedStats"]


@dataclass(frozen=True)
class ProportionStats:
    """A binary metric of one arm: ``n`` users of whom ``successes`` converted.

    ``variance`` is the sample variance of the per-user 0/1 values, p(1-p) * n/(n-1), so that
    the test equals Welch's t-test run on the raw per-user data.
    """

    n: int
    successes: int

    def __post_init__(self) -> None:
        if self.n < 0 or self.successes < 0 or self.successes > self.n:
            raise ParamsError(
                f"ProportionStats needs 0 <= successes <= n; got n={self.n}, "
                f"successes={self.successes}."
            )

    @property
    def mean(self) -> float:
        return self.successes / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        if self.n < 2:
            return math.nan
        p = self.mean
        return p * (1 - p) * self.n / (self.n - 1)


@dataclass(frozen=True)
class MeanStats:
    """A numeric per-user metric of one arm: ``n`` users, ``sum`` and ``sum_sq`` of the values.

    ``variance`` is the sample variance (ddof 1): (sum_sq - sum**2 / n) / (n - 1).
    """

    n: int
    sum: float
    sum_sq: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        if self.n < 2:
            return math.nan
        return max((self.sum_sq - self.sum**2 / self.n) / (self.n - 1), 0.0)


@dataclass(frozen=True)
class RatioStats:
    """A ratio metric (e.g. revenue per order) with the user as the unit of randomisation.

    Per user: numerator value m and denominator value d; the arm's sums of m, m², d, d², m·d.
    ``mean`` is sum(m) / sum(d); ``variance`` is the per-user delta-method variance
    var(m)/d̄² - 2·cov(m, d)·m̄/d̄³ + m̄²·var(d)/d̄⁴ (sample moments, ddof 1), so that the
    variance of the ratio is ``variance / n``.
    """

    n: int
    num_sum: float
    num_sum_sq: float
    den_sum: float
    den_sum_sq: float
    cross_sum: float

    @property
    def mean(self) -> float:
        return self.num_sum / self.den_sum if self.den_sum else math.nan

    @property
    def variance(self) -> float:
        n = self.n
        if n < 2 or not self.den_sum:
            return math.nan
        m_mean, d_mean = self.num_sum / n, self.den_sum / n
        var_m = (self.num_sum_sq - self.num_sum**2 / n) / (n - 1)
        var_d = (self.den_sum_sq - self.den_sum**2 / n) / (n - 1)
        cov = (self.cross_sum - self.num_sum * self.den_sum / n) / (n - 1)
        return max(
            var_m / d_mean**2 - 2 * cov * m_mean / d_mean**3 + m_mean**2 * var_d / d_mean**4, 0.0
        )


@dataclass(frozen=True)
class CupedStats:
    """A metric Y with its pre-exposure covariate X (the same metric before assignment).

    ``sum``/``sum_sq`` are of Y, ``x_sum``/``x_sum_sq`` of X and ``xy_sum`` of X·Y, per arm.
    """

    n: int
    sum: float
    sum_sq: float
    x_sum: float
    x_sum_sq: float
    xy_sum: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        return MeanStats(self.n, self.sum, self.sum_sq).variance


Stats = ProportionStats | MeanStats | RatioStats | CupedStats
