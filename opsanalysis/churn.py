"""Silent and churned users, and how many of them each period brings back.

A user is silent at an instant when they have had no active event for at least
``churn.silent_days`` whole days (default 7), and churned after ``churn.churned_days`` (30).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ._checks import check_one_of
from ._time import midnight
from .activity import _active_days, _periods, _range
from .kpi import paid_orders
from .retention import _py_shift
from .source import as_source

__all__ = ["reactivation"]

REACTIVATION_COLUMNS = [
    "period_start",
    "silent_users",
    "churned_users",
    "reactivated_users",
    "reactivation_rate",
    "reactivated_churned",
    "churned_reactivation_rate",
    "reactivated_revenue",
    "complete",
]


def reactivation(
    data: Any, *, period: str = "week", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Silent-user reactivation per period.

    Parameters
    ----------
    data
        A Source with events (orders, if present, give the revenue the returners brought).
    period
        day, week or month.
    start, end
        Periods whose start lies in [start, end]; nothing after the end of day ``end`` counts.

    Returns
    -------
    pandas.DataFrame
        One row per period, columns:

        - silent_users: users active at least once before the period who had no active
          event in the ``silent_days`` whole days before it started (last active day on or
          before start - silent_days - 1);
        - churned_users: those of them silent for ``churned_days`` or more;
        - reactivated_users / reactivation_rate: silent users active in the period, and that
          over silent_users;
        - reactivated_churned / churned_reactivation_rate: the same for churned users;
        - reactivated_revenue: paid revenue in the period from the reactivated users (NaN
          without an orders table);
        - complete: False when the period had not ended at ``end``.
    """
    check_one_of("period", period, ["day", "week", "month"])
    src = as_source(data, "events")
    lo, hi = _range(src, start, end)
    cfg = src.params.raw["churn"]
    silent, churned = int(cfg["silent_days"]), int(cfg["churned_days"])
    days = _active_days(src, date(1900, 1, 1), hi)
    orders = paid_orders(src) if src.has("orders") else None
    rows = []
    for ps in _periods(lo, hi, period):
        if ps < lo:
            continue
        pe = _py_shift(ps, period, 1)  # exclusive
        before = days.filter(days.day < ibis.literal(ps))
        last = before.group_by("user_id").aggregate(last=before.day.max())
        last = last.filter(last.last <= ibis.literal(ps - timedelta(days=silent + 1)))
        inside = days.filter(
            (days.day >= ibis.literal(ps))
            & (days.day < ibis.literal(min(pe, hi + timedelta(days=1))))
        )
        back = inside.select("user_id").distinct().mutate(back=ibis.literal(1))
        j = last.left_join(back, "user_id").select(
            last.user_id, last.last, back=back.back.fill_null(0)
        )
        is_churned = j.last <= ibis.literal(ps - timedelta(days=churned + 1))
        agg = j.aggregate(
            silent_users=j.count(),
            churned_users=is_churned.ifelse(1, 0).sum(),
            reactivated_users=j.back.sum(),
            reactivated_churned=(is_churned & (j.back == 1)).ifelse(1, 0).sum(),
        )
        r = src.execute(agg).iloc[0]
        revenue = np.nan
        if orders is not None:
            o = orders.filter(
                (orders.order_time >= ibis.literal(midnight(ps)))
                & (orders.order_time < ibis.literal(midnight(min(pe, hi + timedelta(days=1)))))
            )
            returners = j.filter(j.back == 1).select("user_id")
            paid = o.semi_join(returners, o.user_id == returners.user_id)
            value = src.execute(paid.amount.sum())
            revenue = 0.0 if value is None or pd.isna(value) else float(value)
        silent_n = int(r["silent_users"] or 0)
        churned_n = int(r["churned_users"] or 0)
        back_n, back_c = int(r["reactivated_users"] or 0), int(r["reactivated_churned"] or 0)
        rows.append(
            {
                "period_start": pd.Timestamp(ps),
                "silent_users": silent_n,
                "churned_users": churned_n,
                "reactivated_users": back_n,
                "reactivation_rate": back_n / silent_n if silent_n else np.nan,
                "reactivated_churned": back_c,
                "churned_reactivation_rate": back_c / churned_n if churned_n else np.nan,
                "reactivated_revenue": revenue,
                "complete": pe <= hi + timedelta(days=1),
            }
        )
    return pd.DataFrame(rows, columns=REACTIVATION_COLUMNS)
