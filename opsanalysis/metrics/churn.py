"""Silent and churned users, and how many of them each period brings back.

A user is silent at an instant when they have had no active event for at least
``churn.silent_days`` whole days (default 7), and churned after ``churn.churned_days`` (30).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, active_events, day_range, last_day, on_days, paid_orders
from ..data.periods import period_starts, shift_start
from ..data.source import as_source

__all__ = ["reactivation", "at_risk_users"]

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
    lo, hi = day_range(src, start, end)
    silent, churned = src.params.churn.silent_days, src.params.churn.churned_days
    days = active_days(src, None, hi)
    orders = paid_orders(src) if src.has("orders") else None
    rows = []
    for ps in period_starts(lo, hi, period):
        if ps < lo:
            continue
        pe = shift_start(ps, period, 1)  # exclusive
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
            o = orders.filter(on_days(orders.order_time, ps, min(pe - timedelta(days=1), hi)))
            returners = j.filter(j.back == 1).select("user_id")
            paid = o.semi_join(returners, o.user_id == returners.user_id)
            value = src.execute(paid.amount.sum())
            revenue = 0.0 if value is None or pd.isna(value) else float(value)
        # a sum over no rows is NULL on DuckDB and NaN on Spark: both are 0 users
        silent_n, churned_n, back_n, back_c = (
            0 if pd.isna(r[c]) else int(r[c])
            for c in ("silent_users", "churned_users", "reactivated_users", "reactivated_churned")
        )
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


AT_RISK_COLUMNS = [
    "user_id",
    "last_active",
    "days_since_active",
    "usual_gap_days",
    "previous_active_days",
    "recent_active_days",
    "previous_event_types",
    "recent_event_types",
    "long_gap",
    "fewer_event_types",
    "reason",
]


def at_risk_users(data: Any, *, as_of: Any = None, weeks: int | None = None) -> pd.DataFrame:
    """Users showing churn warning signs, with the reason for each.

    The last ``weeks`` weeks (params ``churn.risk_weeks``, default 4) up to ``as_of`` are
    split into the half before and the recent half. Users with at least two active days in
    the half before, and not yet churned, are at risk when

    - their gap is lengthening: days since their last active day >= ``risk_gap_ratio`` (2) x
      their usual gap (mean days between active days in the half before) and >=
      ``risk_min_gap_days`` (3); or
    - they use fewer features: the number of distinct event types in the recent half is at
      least ``risk_type_drop`` (2) below the half before.

    Returns
    -------
    pandas.DataFrame
        One row per user at risk, sorted by user_id: user_id, last_active (date),
        days_since_active, usual_gap_days, previous_active_days, recent_active_days,
        previous_event_types, recent_event_types, and the warning signs as data:
        long_gap (bool: the gap rule fired), fewer_event_types (bool: the event-type rule
        fired) and reason (``"long_gap"``, ``"fewer_event_types"`` or ``"both"``). The report
        layer words them. User ids belong in CSV files for campaign tools
        (:func:`~opsanalysis.report.exports.export_users`), never in an HTML report.
    """
    src = as_source(data, "events")
    cfg = src.params.churn
    day = last_day(src, as_of)
    half = int(weeks or cfg.risk_weeks) * 7 // 2
    recent_lo = day - timedelta(days=half - 1)
    prev_lo = recent_lo - timedelta(days=half)
    ev = active_events(src)
    ev = ev.filter(on_days(ev.event_time, prev_lo, day))
    t = ev.select(user_id=ev.user_id, d=ev.event_time.date(), event=ev.event)
    is_recent = t.d >= ibis.literal(recent_lo)
    t = t.mutate(recent=is_recent)
    days = t.select("user_id", "d", "recent").distinct()
    per_day = days.group_by("user_id").aggregate(
        n_prev=(~days.recent).ifelse(1, 0).sum(),
        n_recent=days.recent.ifelse(1, 0).sum(),
        first_prev=days.d.min(where=~days.recent),
        last_prev=days.d.max(where=~days.recent),
        last=days.d.max(),
    )
    types = t.select("user_id", "event", "recent").distinct()
    per_type = types.group_by("user_id").aggregate(
        types_prev=(~types.recent).ifelse(1, 0).sum(), types_recent=types.recent.ifelse(1, 0).sum()
    )
    u = per_day.inner_join(per_type, "user_id")
    u = u.filter(u.n_prev >= 2)
    usual = u.last_prev.delta(u.first_prev, unit="day").cast("float64") / (u.n_prev - 1).cast(
        "float64"
    )
    since = ibis.literal(day).delta(u.last, unit="day")
    u = u.mutate(usual_gap_days=usual, days_since_active=since)
    gap_flag = (u.days_since_active >= float(cfg.risk_min_gap_days)) & (
        u.days_since_active >= float(cfg.risk_gap_ratio) * u.usual_gap_days
    )
    type_flag = (u.types_prev - u.types_recent) >= cfg.risk_type_drop
    u = u.mutate(gap_flag=gap_flag, type_flag=type_flag)
    u = u.filter((u.gap_flag | u.type_flag) & (u.days_since_active < cfg.churned_days))
    out = src.execute(u.order_by("user_id"))
    long_gap = out["gap_flag"].astype(bool)
    fewer = out["type_flag"].astype(bool)
    res = pd.DataFrame(
        {
            "user_id": out["user_id"],
            "last_active": pd.to_datetime(out["last"]),
            "days_since_active": out["days_since_active"].astype("int64"),
            "usual_gap_days": out["usual_gap_days"].astype(float),
            "previous_active_days": out["n_prev"].astype("int64"),
            "recent_active_days": out["n_recent"].astype("int64"),
            "previous_event_types": out["types_prev"].astype("int64"),
            "recent_event_types": out["types_recent"].astype("int64"),
            "long_gap": long_gap,
            "fewer_event_types": fewer,
            "reason": np.select(
                [long_gap & fewer, long_gap], ["both", "long_gap"], "fewer_event_types"
            ),
        }
    )
    return res[AT_RISK_COLUMNS].reset_index(drop=True)
