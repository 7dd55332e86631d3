"""The bridge to customer-lifetime-value models (BG/NBD, Pareto/NBD, Gamma-Gamma).

:func:`btyd_summary` turns paid orders into the per-customer frequency / recency / T /
monetary_value table that ``lifetimes`` and ``pymc-marketing`` fit, aggregated in the engine.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import on_days, paid_orders
from ..data.source import as_source
from ..exceptions import ParamsError

__all__ = ["btyd_summary"]

_UNIT_DAYS = {"D": 1.0, "W": 7.0}


def _purchase_days(src: Any, until: date) -> ibis.Table:
    """One row per customer and purchase day up to ``until`` inclusive: the day's summed amount."""
    od = paid_orders(src)
    od = od.filter(on_days(od.order_time, None, until))
    daily = od.group_by(user_id=od.user_id, day=od.order_time.date()).aggregate(
        value=od.amount.sum()
    )
    first = daily.day.min().over(ibis.window(group_by=daily.user_id))
    return daily.mutate(first_day=first)


def _summary(daily: ibis.Table, end: date) -> ibis.Table:
    end_lit = ibis.literal(end)
    g = daily.group_by("user_id").aggregate(
        n_days=daily.count(),
        first_day=daily.first_day.min(),
        last_day=daily.day.max(),
        repeat_value=daily.value.sum(where=daily.day != daily.first_day),
    )
    return g.select(
        "user_id",
        frequency=g.n_days - 1,
        recency_days=g.last_day.delta(g.first_day, unit="day"),
        t_days=end_lit.delta(g.first_day, unit="day"),
        monetary_value=ibis.ifelse(
            g.n_days > 1, g.repeat_value.fill_null(0.0) / (g.n_days - 1).cast("float64"), 0.0
        ),
    )


def btyd_summary(
    data: Any,
    *,
    observation_end: date | str,
    unit: str = "W",
    calibration_end: date | str | None = None,
) -> pd.DataFrame:
    """Per-customer RFM in the BTYD sense, for BG/NBD and Gamma-Gamma models.

    Parameters
    ----------
    data
        A Source with ``orders`` (paid statuses from params), or an orders DataFrame.
    observation_end
        Last day of the observation; orders up to the end of that day count.
    unit
        ``"D"`` (days) or ``"W"`` (weeks = days / 7, fractional, as in the CDNOW tables).
    calibration_end
        If given, split at the end of this day: calibration statistics up to it and holdout
        statistics after it, up to ``observation_end``.

    Returns
    -------
    pandas.DataFrame
        Sorted by user_id. Without calibration: user_id, frequency, recency, T,
        monetary_value. With calibration (the column names of
        ``lifetimes.utils.calibration_and_holdout_data``): user_id, frequency_cal, recency_cal,
        T_cal, monetary_value_cal, frequency_holdout, monetary_value_holdout, duration_holdout;
        only customers whose first purchase is on or before ``calibration_end``.

    Notes
    -----
    As in ``lifetimes.utils.summary_data_from_transaction_data(freq="D", freq_multiplier=...)``:
    orders on the same calendar day are one purchase, their amounts summed. frequency = number
    of purchase days after the first (repeat purchases); recency = time from the first to the
    last purchase day; T = time from the first purchase day to ``observation_end``;
    monetary_value = mean value of the repeat purchase days (0 with no repeat). In the
    holdout: frequency_holdout = number of purchase days after ``calibration_end``,
    monetary_value_holdout = their mean value (0 with none), duration_holdout = time from
    ``calibration_end`` to ``observation_end``. Times are whole days divided by 1 (D) or 7 (W).

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "user_id": [1, 1, 1, 2],
    ...     "order_time": ["2025-01-01 09:00", "2025-01-01 18:00", "2025-01-15", "2025-01-08"],
    ...     "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> btyd_summary(orders, observation_end="2025-01-29", unit="W")
       user_id  frequency  recency    T  monetary_value
    0        1          1      2.0  4.0            20.0
    1        2          0      0.0  3.0             0.0
    """
    check_one_of("unit", unit, list(_UNIT_DAYS))
    src = as_source(data, "orders")
    scale = _UNIT_DAYS[unit]
    obs_end = pd.Timestamp(observation_end).date()
    if calibration_end is None:
        out = src.execute(_summary(_purchase_days(src, obs_end), obs_end))
        out = out.sort_values("user_id", kind="stable").reset_index(drop=True)
        return pd.DataFrame(
            {
                "user_id": out["user_id"],
                "frequency": out["frequency"].astype("int64"),
                "recency": out["recency_days"].astype(float) / scale,
                "T": out["t_days"].astype(float) / scale,
                "monetary_value": out["monetary_value"].astype(float),
            }
        )
    cal_end = pd.Timestamp(calibration_end).date()
    if cal_end >= obs_end:
        raise ParamsError(f"calibration_end {cal_end} must be before observation_end {obs_end}.")
    daily = _purchase_days(src, obs_end)
    cal = _summary(daily.filter(daily.day <= ibis.literal(cal_end)), cal_end)
    hold = daily.filter(daily.day > ibis.literal(cal_end))
    hold = hold.group_by("user_id").aggregate(
        frequency_holdout=hold.count(), monetary_value_holdout=hold.value.mean()
    )
    joined = cal.left_join(hold, "user_id").select(
        cal.user_id,
        cal.frequency,
        cal.recency_days,
        cal.t_days,
        cal.monetary_value,
        "frequency_holdout",
        "monetary_value_holdout",
    )
    out = src.execute(joined).sort_values("user_id", kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "user_id": out["user_id"],
            "frequency_cal": out["frequency"].astype("int64"),
            "recency_cal": out["recency_days"].astype(float) / scale,
            "T_cal": out["t_days"].astype(float) / scale,
            "monetary_value_cal": out["monetary_value"].astype(float),
            "frequency_holdout": out["frequency_holdout"].fillna(0).astype("int64"),
            "monetary_value_holdout": out["monetary_value_holdout"].fillna(0.0).astype(float),
            "duration_holdout": (obs_end - cal_end).days / scale,
        }
    )
