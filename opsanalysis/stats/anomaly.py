"""Is this period's value unusual for this metric? A robust rule from the metric's own history.

The ops documents alert when a KPI moves more than ±15% week over week; alone, that rule fires
often on noisy metrics and again after every spike. :func:`flag_anomaly` judges a value against
the metric's recent history instead (see ``shared/MONITORING.md`` for the reasoning):

1. Fewer than ``min_history`` (6) past values: ``insufficient_history``, no flag.
2. ``m`` = median, ``s0`` = 1.4826·MAD; the history is clipped to ``m ± 2.5·s0`` (one past
   spike then barely moves the baseline), and its mean ``μ`` and sample sd ``σ`` are taken.
3. ``σ`` is floored at the sampling noise: ``sqrt(μ(1-μ)/denominator)`` for a rate (the
   denominator of this period's rate), ``sqrt(μ)`` for a count.
4. The usual range is the 99% prediction interval ``μ ± t(0.995, n-1)·σ·sqrt(1 + 1/n)``; the
   value is an anomaly when it lies outside it *and* moved at least 10% from ``μ`` (2
   percentage points for a rate), so tiny moves of very stable metrics are not called out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..data._checks import check_one_of
from ..exceptions import ParamsError

__all__ = ["AnomalyResult", "flag_anomaly"]

MIN_HISTORY = 6
CLIP_MADS = 3.5
MAD_TO_SD = 1.4826
MIN_CHANGE_COUNT = 0.10  # relative move a count needs to be flagged
MIN_CHANGE_RATE = 0.02  # absolute move (2 points) a rate needs to be flagged
TREND_CONFIDENCE = 0.90  # a trend is projected when its slope's interval at this level excludes 0
MIN_TREND_HISTORY = 10
_Z_TREND = float(stats.norm.ppf(0.5 + TREND_CONFIDENCE / 2))


@dataclass(frozen=True)
class AnomalyResult:
    """The verdict on one value against its history.

    status
        ``anomaly`` (outside the usual range and moved enough), ``ok``, or
        ``insufficient_history`` (fewer than ``min_history`` past values).
    baseline
        The clipped mean of the history (μ).
    low, high
        The usual range: the prediction interval at ``level``.
    z
        (value - baseline) / the floored sd; NaN without enough history.
    n
        Past values used.
    """

    status: str
    value: float
    baseline: float
    low: float
    high: float
    z: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


@functools.lru_cache(maxsize=256)
def _t_quantile(q: float, dof: int) -> float:
    return float(stats.t.ppf(q, dof))


def _sen_slope(y: np.ndarray) -> tuple[float, float, float]:
    """Theil-Sen slope of ``y`` against 0..n-1 and its interval at ``TREND_CONFIDENCE``
    (Sen's normal approximation, as ``scipy.stats.theilslopes``; vectorised for speed)."""
    n = len(y)
    i, j = np.triu_indices(n, 1)
    slopes = np.sort((y[j] - y[i]) / (j - i))
    k = len(slopes)
    c = _Z_TREND * math.sqrt(n * (n - 1) * (2 * n + 5) / 18.0)
    upper = min(int(round((k + c) / 2.0)), k - 1)
    lower = max(int(round((k - c) / 2.0)) - 1, 0)
    return float(np.median(slopes)), float(slopes[lower]), float(slopes[upper])


def flag_anomaly(
    history: Sequence[float] | np.ndarray | pd.Series,
    value: float,
    *,
    kind: Literal["count", "rate"] = "count",
    denominator: float | None = None,
    level: float = 0.99,
    min_history: int = MIN_HISTORY,
) -> AnomalyResult:
    """Judge ``value`` against the metric's past values (oldest first; NaN are dropped).

    Parameters
    ----------
    history
        The metric in the previous complete periods (12 is the default window of
        :func:`~opsanalysis.metrics.monitor.kpi_monitor`).
    value
        The metric in the period judged.
    kind
        ``count`` (users, orders, revenue, messages: the sd is floored at sqrt(mean)) or
        ``rate`` (a share between 0 and 1: floored at the binomial standard error).
    denominator
        For a rate, this period's denominator (e.g. active users); without it the rate's
        floor is 0.
    level
        Coverage of the usual range (default 0.99).

    Returns
    -------
    AnomalyResult

    Examples
    --------
    >>> flag_anomaly([1000, 1040, 980, 1010, 990, 1030, 970, 1020], 800).status
    'anomaly'
    >>> flag_anomaly([1000, 1040, 980, 1010, 990, 1030, 970, 1020], 950).status
    'ok'
    """
    check_one_of("kind", kind, ["count", "rate"])
    if not 0 < level < 1:
        raise ParamsError(f"level={level!r} must lie between 0 and 1, e.g. 0.99.")
    try:
        past = np.asarray(history, dtype=float)
    except (TypeError, ValueError):  # None or text among the values: read as missing
        past = np.asarray(pd.to_numeric(pd.Series(list(history)), errors="coerce"), dtype=float)
    past = past[np.isfinite(past)]
    n = len(past)
    x = float(value)
    nan = float("nan")
    if n < min_history or not math.isfinite(x):
        base = float(np.median(past)) if n else nan
        return AnomalyResult("insufficient_history", x, base, nan, nan, nan, n)
    # a clear trend (Theil-Sen slope whose 95% interval excludes 0) is projected to this
    # period, and the interval widened for the slope's uncertainty
    idx = np.arange(n, dtype=float)
    widen = 1.0
    slope, slope_lo, slope_hi = _sen_slope(past)
    if n >= MIN_TREND_HISTORY and (slope_lo > 0 or slope_hi < 0):
        past = past + slope * (n - idx)
        centre = idx.mean()
        widen = math.sqrt(1 + (n - centre) ** 2 / float(((idx - centre) ** 2).sum()) / (1 + 1 / n))
    m = float(np.median(past))
    s0 = MAD_TO_SD * float(np.median(np.abs(past - m))) * n / (n - 0.8)  # small-n correction
    clipped = np.clip(past, m - CLIP_MADS * s0, m + CLIP_MADS * s0)
    mu = float(clipped.mean())
    sd = float(clipped.std(ddof=1))
    if kind == "rate":
        floor = math.sqrt(max(mu * (1 - mu), 0.0) / denominator) if denominator else 0.0
        min_move = MIN_CHANGE_RATE
    else:
        floor = math.sqrt(max(mu, 0.0))
        min_move = MIN_CHANGE_COUNT * abs(mu)
    sd = max(sd, floor)
    half = _t_quantile(1 - (1 - level) / 2, n - 1) * sd * math.sqrt(1 + 1 / n) * widen
    low, high = mu - half, mu + half
    z = (x - mu) / sd if sd > 0 else (0.0 if x == mu else math.copysign(math.inf, x - mu))
    outside = x < low or x > high
    status = "anomaly" if outside and abs(x - mu) >= min_move else "ok"
    return AnomalyResult(status, x, mu, low, high, z, n)
