"""Headline KPIs of a period and their change on the previous period.

Every figure is aggregated in the engine; pandas receives one row per metric or day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, as_date, on_days, paid_orders
from ..data.periods import Period, latest_complete_period, parse_period
from ..data.source import as_source
from ..exceptions import ParamsError
from .monitor import days_with_data

__all__ = [
    "OVERVIEW_METRICS",
    "daily_kpis",
    "period_kpis",
    "kpi_overview",
]

OVERVIEW_METRICS = ["new_users", "active_users", "dau_avg", "orders", "revenue", "paying_users"]
_METRIC_TABLE = {
    "new_users": "users",
    "active_users": "events",
    "dau_avg": "events",
    "orders": "orders",
    "revenue": "orders",
    "paying_users": "orders",
}
DAILY_COLUMNS = ["date", "metric", "value"]
_KPI_TABLES = ("events", "orders", "users")
OVERVIEW_COLUMNS = [
    "metric",
    "period",
    "value",
    "compare_period",
    "compare_value",
    "abs_change",
    "pct_change",
    "target",
    "target_completion",
    "alert",
]


def daily_kpis(data: Any, *, start: date | str, end: date | str) -> pd.DataFrame:
    """Daily new users, DAU, orders, revenue and paying users from ``start`` to ``end``.

    Parameters
    ----------
    data
        A Source (needs users, events and orders; metrics of a missing table are left out).
    start, end
        First and last day shown, both included (dates or ISO strings), as in every other
        analysis: a report's trend ends on the period's last day.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (datetime64, midnight of the day), ``metric`` (new_users, dau,
        orders, revenue, paying_users), ``value`` (float). Every day of the range is present
        for every metric, 0 where nothing happened.

    Notes
    -----
    - new_users: users whose ``registered_at`` falls on the day.
    - dau: distinct users with an active event (params ``events.active``) on the day.
    - orders / revenue / paying_users: count, sum of ``amount`` and distinct users of paid
      orders (params ``orders.paid_statuses``) with ``order_time`` on the day.
    Days are calendar days of the wall-clock timestamps, in the params time zone.
    """
    src = as_source(data, _KPI_TABLES)
    first, last = as_date(start), as_date(end)
    if last < first:
        raise ParamsError(
            f"daily_kpis: end {last} is before start {first}; give the last day shown "
            "(included) on or after the first."
        )
    frames = []
    if src.has("users"):
        u = src.table("users")
        u = u.filter(on_days(u.registered_at, first, last))
        frames.append(u.group_by(date=u.registered_at.date()).aggregate(new_users=u.count()))
    if src.has("events"):
        ad = active_days(src, first, last)  # the shared activity of a report, when it has one
        frames.append(ad.group_by(date=ad.day).aggregate(dau=ad.count()))
    if src.has("orders"):
        od = paid_orders(src)
        od = od.filter(on_days(od.order_time, first, last))
        frames.append(
            od.group_by(date=od.order_time.date()).aggregate(
                orders=od.count(), revenue=od.amount.sum(), paying_users=od.user_id.nunique()
            )
        )
    days = pd.date_range(first, last, inclusive="both", name="date")
    wide = pd.DataFrame(index=days)
    for expr in frames:
        part = src.execute(expr)
        part["date"] = pd.to_datetime(part["date"])
        wide = wide.join(part.set_index("date"), how="left")
    wide = wide.fillna(0.0).astype(float)
    long = wide.reset_index().melt(id_vars="date", var_name="metric", value_name="value")
    return long[DAILY_COLUMNS].reset_index(drop=True)


def period_kpis(data: Any, period: Period | str) -> dict[str, float]:
    """The overview metrics of one period, as ``{metric: value}``.

    Definitions (wall-clock times in the params time zone, period ``[start, end)``):

    - new_users: users with ``registered_at`` in the period.
    - active_users: distinct users with an active event in the period (WAU for a week,
      MAU for a month).
    - dau_avg: mean over the period's days of the daily distinct active users (days with no
      activity count as 0); for a period the data has not finished (a month to date), over
      its days up to the data's last day (:func:`~opsanalysis.metrics.monitor.days_with_data`).
    - orders, revenue, paying_users: count, summed ``amount`` and distinct users of paid orders
      with ``order_time`` in the period.

    Metrics whose table the source lacks are left out.
    """
    src = as_source(data, _KPI_TABLES)
    p = parse_period(period)
    out: dict[str, float] = {}
    daily = daily_kpis(src, start=p.start, end=p.last_day)
    sums = daily.groupby("metric")["value"].sum()
    if "new_users" in sums:
        out["new_users"] = float(sums["new_users"])
    if src.has("events"):
        ad = active_days(src, p.start, p.last_day)
        out["active_users"] = float(src.execute(ad.user_id.nunique()))
        out["dau_avg"] = float(sums["dau"]) / days_with_data(src, p)
    if src.has("orders"):
        od = paid_orders(src)
        od = od.filter(on_days(od.order_time, p.start, p.last_day))
        out["orders"] = float(sums["orders"])
        out["revenue"] = float(sums["revenue"])
        out["paying_users"] = float(src.execute(od.user_id.nunique()))
    return {m: out[m] for m in OVERVIEW_METRICS if m in out}


def kpi_overview(
    data: Any,
    *,
    period: Period | str | None = None,
    compare: str = "previous",
    kind: str = "week",
    targets: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Overview KPIs of a period with the change on a comparison period and target completion.

    Parameters
    ----------
    data
        A Source with users, events and orders (metrics of a missing table are left out).
    period
        The report period (``"2025-W47"``, ``"2025-11"``, ...). None: the latest complete
        period of ``kind`` in the data.
    compare
        ``"previous"`` (the period before) or ``"year_ago"`` (the same period a year earlier).
    kind
        Period kind used when ``period`` is None: day, week, month or quarter.
    targets
        ``{metric: target}`` for the period; default params ``targets``.

    Returns
    -------
    pandas.DataFrame
        One row per metric of :data:`OVERVIEW_METRICS`, columns:

        - metric: name (see :func:`period_kpis` for each definition).
        - period, compare_period: period labels.
        - value, compare_value: the metric in each period.
        - abs_change: value - compare_value.
        - pct_change: abs_change / compare_value (NaN when compare_value is 0).
        - target: the target, NaN when none; target_completion: value / target.
        - alert: True when ``|pct_change|`` exceeds params ``alerts.pct_change`` (default 0.15).

    Examples
    --------
    >>> import pandas as pd
    >>> src = __import__("opsanalysis").connect(
    ...     users=pd.DataFrame({"user_id": [1, 2], "registered_at": ["2025-11-10", "2025-11-18"]}))
    >>> kpi_overview(src, period="2025-W47")[["metric", "value", "compare_value"]]
          metric  value  compare_value
    0  new_users    1.0            1.0
    """
    src = as_source(data, _KPI_TABLES)
    check_one_of("compare", compare, ["previous", "year_ago"])
    if period is None:
        p = latest_complete_period(src.last_timestamp(), kind)
    else:
        p = parse_period(period)
    q = p.previous() if compare == "previous" else p.year_ago()
    targets = src.params.targets if targets is None else targets
    now, before = period_kpis(src, p), period_kpis(src, q)
    rows = []
    for metric, value in now.items():
        prev = before.get(metric, np.nan)
        change = value - prev
        pct = change / prev if prev else np.nan
        target = float(targets[metric]) if metric in targets else np.nan
        rows.append(
            {
                "metric": metric,
                "period": p.label,
                "value": value,
                "compare_period": q.label,
                "compare_value": prev,
                "abs_change": change,
                "pct_change": pct,
                "target": target,
                "target_completion": value / target if target == target else np.nan,
                "alert": bool(abs(pct) > src.params.alert_pct_change) if pct == pct else False,
            }
        )
    return pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
