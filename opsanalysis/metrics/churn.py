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

from ..data._checks import check_one_of
from ..data.engine import (
    active_day_gaps,
    active_days,
    active_events,
    day_range,
    distinct_counts_by_flag,
    last_day,
    midnight,
    on_days,
    paid_orders,
)
from ..data.periods import period_starts, shift_start
from ..data.source import Source, as_source

__all__ = ["reactivation", "at_risk_users", "at_risk_counts"]

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
    starts = [ps for ps in period_starts(lo, hi, period) if ps >= lo]
    counts = reactivation_counts(src, starts, period, hi, revenue=src.has("orders"))
    rows = []
    for ps, r in zip(starts, counts.to_dict("records"), strict=True):
        silent_n, churned_n = int(r["silent_users"]), int(r["churned_users"])
        back_n, back_c = int(r["reactivated_users"]), int(r["reactivated_churned"])
        rows.append(
            {
                "period_start": pd.Timestamp(ps),
                "silent_users": silent_n,
                "churned_users": churned_n,
                "reactivated_users": back_n,
                "reactivation_rate": back_n / silent_n if silent_n else np.nan,
                "reactivated_churned": back_c,
                "churned_reactivation_rate": back_c / churned_n if churned_n else np.nan,
                "reactivated_revenue": r["reactivated_revenue"],
                "complete": shift_start(ps, period, 1) <= hi + timedelta(days=1),
            }
        )
    return pd.DataFrame(rows, columns=REACTIVATION_COLUMNS)


def reactivation_counts(
    src: Source, starts: list[date], kind: str, hi: date, *, revenue: bool = False
) -> pd.DataFrame:
    """Silent, churned and reactivated users of the periods starting on ``starts``, in one
    query over the gaps between each user's active days up to ``hi``.

    A gap from active day ``d`` to the next one ``nxt`` (null when there is none up to
    ``hi``) makes the user silent at a period start ``p`` when ``d <= p - silent_days - 1``
    and ``nxt >= p`` (or null): ``d`` is then their last active day before ``p``. They are
    churned when ``d <= p - churned_days - 1`` and reactivated when ``nxt`` falls in the
    period. Only gaps longer than ``silent_days`` can do either, so only those are joined to
    the periods. With ``revenue``, a second query sums the paid orders of the reactivated
    users in their period (up to ``hi``).

    Returns a frame indexed like ``starts`` with silent_users, churned_users,
    reactivated_users, reactivated_churned (0 for a period without any) and
    reactivated_revenue (NaN unless ``revenue``).
    """
    cfg = src.params.churn
    silent, churned = cfg.silent_days, cfg.churned_days
    cols = ["silent_users", "churned_users", "reactivated_users", "reactivated_churned"]
    out = pd.DataFrame(0, index=pd.Index(starts, name="p"), columns=cols)
    out["reactivated_revenue"] = np.nan
    if not starts:
        return out
    gaps = active_day_gaps(src, hi).rename(nxt="next_day")  # gaps longer than silent_days
    ends = [shift_start(s, kind, 1) for s in starts]
    periods = ibis.memtable(
        pd.DataFrame({"p": pd.to_datetime(starts), "pe": pd.to_datetime(ends)})
    ).mutate(p=ibis._.p.date(), pe=ibis._.pe.date())
    j = gaps.inner_join(
        periods,
        (gaps.day <= periods.p - ibis.interval(days=silent + 1))
        & (gaps.nxt.isnull() | (gaps.nxt >= periods.p)),
    )
    j = j.mutate(
        back=j.nxt.notnull() & (j.nxt < j.pe),
        gone=j.day <= j.p - ibis.interval(days=churned + 1),
    )
    agg = src.execute(
        j.group_by(j.p).aggregate(
            silent_users=j.count(),
            churned_users=j.gone.ifelse(1, 0).sum(),
            reactivated_users=j.back.ifelse(1, 0).sum(),
            reactivated_churned=(j.gone & j.back).ifelse(1, 0).sum(),
        )
    )
    agg.index = pd.Index(pd.to_datetime(agg.pop("p")).dt.date, name="p")
    # a sum over no rows is NULL on DuckDB and NaN on Spark: both are 0 users
    out[cols] = agg[cols].reindex(out.index).fillna(0).astype("int64")
    if revenue:
        back = j.filter(j.back).select(bu=j.user_id, bp=j.p, be=j.pe)
        od = paid_orders(src)
        od = od.filter(on_days(od.order_time, starts[0], hi))
        day = od.order_time.date()
        paid = od.inner_join(back, (od.user_id == back.bu) & (day >= back.bp) & (day < back.be))
        sums = src.execute(paid.group_by(paid.bp).aggregate(revenue=paid.amount.sum()))
        sums.index = pd.Index(pd.to_datetime(sums.pop("bp")).dt.date, name="p")
        out["reactivated_revenue"] = sums["revenue"].reindex(out.index).fillna(0.0).astype(float)
    return out


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
    out = src.execute(_at_risk(src, as_of, weeks).order_by("user_id"))
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


def _at_risk(src: Source, as_of: Any, weeks: int | None) -> ibis.Table:
    """The users of :func:`at_risk_users` with their figures and flags, in the engine."""
    cfg = src.params.churn
    day = last_day(src, as_of)
    half = int(weeks or cfg.risk_weeks) * 7 // 2
    recent_lo = day - timedelta(days=half - 1)
    prev_lo = recent_lo - timedelta(days=half)
    ad = active_days(src, prev_lo, day)
    days = ad.select(user_id=ad.user_id, d=ad.day, recent=ad.day >= ibis.literal(recent_lo))
    per_day = days.group_by("user_id").aggregate(
        n_prev=(~days.recent).ifelse(1, 0).sum(),
        n_recent=days.recent.ifelse(1, 0).sum(),
        first_prev=days.d.min(where=~days.recent),
        last_prev=days.d.max(where=~days.recent),
        last=days.d.max(),
    )
    every = active_events(src)
    ev = every.filter(on_days(every.event_time, prev_lo, day))
    recent = ibis.literal(midnight(recent_lo))
    per_type = distinct_counts_by_flag(
        src,
        ev,
        "user_id",
        "event",
        {
            "types_prev": lambda t: t.event_time < recent,
            "types_recent": lambda t: t.event_time >= recent,
        },
        values_from=every,
    )
    if per_type is None:
        # an event type was used in the half before when its first use is before the
        # recent half, and recently when its last use is in it
        pairs = ev.group_by([ev.user_id, ev.event]).aggregate(
            first=ev.event_time.min(), last=ev.event_time.max()
        )
        per_type = pairs.group_by("user_id").aggregate(
            types_prev=(pairs["first"] < recent).ifelse(1, 0).sum(),
            types_recent=(pairs["last"] >= recent).ifelse(1, 0).sum(),
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
    return u.filter((u.gap_flag | u.type_flag) & (u.days_since_active < cfg.churned_days))


def at_risk_counts(data: Any, *, as_of: Any = None, weeks: int | None = None) -> pd.DataFrame:
    """How many users :func:`at_risk_users` finds, counted in the engine (what a report shows,
    without bringing a row per user back).

    Returns
    -------
    pandas.DataFrame
        One row: users (at risk), long_gap and fewer_event_types (users each sign fired for;
        a user with both counts in both).
    """
    src = as_source(data, "events")
    u = _at_risk(src, as_of, weeks)
    out = src.execute(
        u.aggregate(
            users=u.count(),
            long_gap=u.gap_flag.ifelse(1, 0).sum(),
            fewer_event_types=u.type_flag.ifelse(1, 0).sum(),
        )
    )
    # a sum over no rows is NULL on DuckDB and NaN on Spark: both are 0 users
    return out.fillna(0).astype("int64")
