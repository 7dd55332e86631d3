"""Activity and lifecycle: DAU/WAU/MAU, stickiness, lifecycle, active-day tiers, when users
are active. Everything is counted in the engine on distinct (user, day) activity.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, active_events, day_range, on_days, period_start
from ..data.periods import period_containing, period_starts, shift_start
from ..data.source import as_source

__all__ = [
    "active_users",
    "stickiness",
    "lifecycle",
    "active_days_distribution",
    "activity_tiers",
    "activity_by_hour",
]


def active_users(
    data: Any, *, period: str = "day", start: Any = None, end: Any = None, by: str | None = None
) -> pd.DataFrame:
    """Distinct active users per day (DAU), ISO week (WAU) or month (MAU).

    Returns
    -------
    pandas.DataFrame
        Columns period_start (datetime64), the ``by`` column if given, active_users, complete
        (False for a period cut by ``start`` or ``end``). Every period of the range is present,
        0 where nobody was active.
    """
    check_one_of("period", period, ["day", "week", "month", "quarter"])
    src = as_source(data, "events")
    lo, hi = day_range(src, start, end)
    days, keys = src.with_user_attribute(active_days(src, lo, hi), by)
    p = days.select("user_id", *keys, p=period_start(days.day, period))
    if period != "day":  # (user, day) is distinct already; (user, week) needs one more pass
        p = p.distinct()
    out = src.execute(p.group_by(["p", *keys]).aggregate(active_users=p.count()))
    out["p"] = pd.to_datetime(out["p"])
    grid_p = pd.to_datetime(period_starts(lo, hi, period))
    groups = sorted(out[by].dropna().unique()) if by else [None]
    idx = pd.MultiIndex.from_product([grid_p, groups], names=["p", by or "_"])
    out = out.rename(columns={by: by or "_"}) if by else out.assign(_=None)
    full = out.set_index(["p", by or "_"]).reindex(idx).reset_index()
    full["active_users"] = full["active_users"].fillna(0).astype("int64")
    full["complete"] = [
        (pd.Timestamp(x).date() >= lo)
        and (shift_start(pd.Timestamp(x).date(), period, 1) <= hi + timedelta(days=1))
        for x in full["p"]
    ]
    full = full.rename(columns={"p": "period_start"})
    cols = ["period_start", *([by] if by else []), "active_users", "complete"]
    return full[cols].reset_index(drop=True)


def stickiness(
    data: Any, *, start: Any = None, end: Any = None, by: str | None = None
) -> pd.DataFrame:
    """Stickiness per calendar month: mean DAU / MAU.

    Returns
    -------
    pandas.DataFrame
        Columns month (datetime64), the ``by`` column if given, mean_dau (mean over the
        month's days inside [start, end], days with nobody active counting 0), mau (distinct
        users active in those days), stickiness (mean_dau / mau), days (days averaged).
    """
    src = as_source(data, "events")
    lo, hi = day_range(src, start, end)
    days, keys = src.with_user_attribute(active_days(src, lo, hi), by)
    m = days.mutate(m=days.day.truncate("M"))
    mau = src.execute(
        m.group_by(["m", *keys]).aggregate(mau=m.user_id.nunique(), user_days=m.count())
    )
    mau["m"] = pd.to_datetime(mau["m"])
    n_days = {
        pd.Timestamp(p): (min(shift_start(p, "month", 1) - timedelta(days=1), hi) - max(p, lo)).days
        + 1
        for p in period_starts(lo, hi, "month")
    }
    mau["days"] = mau["m"].map(n_days)
    mau["mean_dau"] = mau["user_days"] / mau["days"]
    mau["stickiness"] = mau["mean_dau"] / mau["mau"]
    mau = mau.rename(columns={"m": "month"}).sort_values(["month", *keys], kind="stable")
    return mau[["month", *keys, "mean_dau", "mau", "stickiness", "days"]].reset_index(drop=True)


def lifecycle(
    data: Any, *, period: str = "week", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Users per lifecycle state in each period (the counts behind silent-user reactivation).

    - new: registered in the period and active in it;
    - returning: active in the previous period and in this one;
    - resurrecting: active now, not in the previous period, and not new;
    - dormant: active in the previous period but not in this one (reported as a negative
      number, as in growth-accounting charts).

    Returns
    -------
    pandas.DataFrame
        Columns period_start, status (new, returning, resurrecting, dormant), users. The first
        period of the range looks back at the period before it.
    """
    check_one_of("period", period, ["day", "week", "month"])
    src = as_source(data, ("events", "users"))
    lo, hi = day_range(src, start, end)
    first = period_containing(lo, period).start
    before = shift_start(first, period, -1)
    starts = period_starts(before, hi, period)  # the period before the first, then the range
    users = src.table("users")
    reg = users.select(user_id=users.user_id, rp=period_start(users.registered_at.date(), period))
    # a flag per user and period ("active in it"), then sums: a period's status needs only the
    # period before it; at most 60 periods (and the one before) per query
    rows = []
    for at in range(1, len(starts), 60):
        span = starts[at - 1 : at + 60]
        last = min(hi, shift_start(span[-1], period, 1) - timedelta(days=1))
        days = active_days(src, span[0], last)
        p = period_start(days.day, period)
        flags = {f"a{j}": (p == ibis.literal(s)).any() for j, s in enumerate(span)}
        per_user = days.group_by(days.user_id).aggregate(**flags)
        u = per_user.left_join(reg, "user_id")
        sums = {}
        for j in range(1, len(span)):
            now, was = u[f"a{j}"], u[f"a{j - 1}"]
            new = (u.rp == ibis.literal(span[j])).fill_null(False)
            for status, cond in (
                ("new", now & new),
                ("returning", now & ~new & was),
                ("resurrecting", now & ~new & ~was),
                ("dormant", was & ~now),  # active in the period before, not in this one
            ):
                sums[f"{status}{j}"] = cond.ifelse(1, 0).sum()
        got = src.execute(u.aggregate(**sums)).iloc[0]
        for j in range(1, len(span)):
            for status in ("new", "returning", "resurrecting", "dormant"):
                v = got[f"{status}{j}"]
                n = 0 if pd.isna(v) else int(v)  # NULL: nobody active at all
                rows.append((span[j], status, -n if status == "dormant" else n))
    out = pd.DataFrame(rows, columns=["period_start", "status", "users"])
    out["period_start"] = pd.to_datetime(out["period_start"])
    grid = pd.MultiIndex.from_product(
        [
            pd.to_datetime(period_starts(lo, hi, period)),
            ["new", "returning", "resurrecting", "dormant"],
        ],
        names=["period_start", "status"],
    )
    out = out.groupby(["period_start", "status"])["users"].sum().reindex(grid, fill_value=0)
    return out.reset_index().astype({"users": "int64"})


def active_days_distribution(
    data: Any, *, period: str = "week", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Users by the exact number of days they were active in each week (1..7) or month.

    Returns
    -------
    pandas.DataFrame
        Columns period_start, active_days (1..days in the period), users, share (of the
        period's active users). Kept apart from the DAU/MAU ratio on purpose.
    """
    check_one_of("period", period, ["week", "month"])
    src = as_source(data, "events")
    lo, hi = day_range(src, start, end)
    days = active_days(src, lo, hi)
    per = days.group_by(user_id=days.user_id, p=period_start(days.day, period)).aggregate(
        n=days.count()
    )
    out = src.execute(per.group_by(["p", "n"]).aggregate(users=per.count()))
    rows = []
    for p in period_starts(lo, hi, period):
        length = (shift_start(p, period, 1) - p).days
        part = out[pd.to_datetime(out["p"]).dt.date == p].set_index("n")["users"]
        total = int(part.sum())
        for n in range(1, length + 1):
            u = int(part.get(n, 0))
            rows.append(
                {
                    "period_start": pd.Timestamp(p),
                    "active_days": n,
                    "users": u,
                    "share": u / total if total else np.nan,
                }
            )
    return pd.DataFrame(rows)


def activity_tiers(
    data: Any, *, period: str = "week", start: Any = None, end: Any = None
) -> pd.DataFrame:
    """High / medium / low activity users per period by active days (params ``activity.tiers``).

    high: active days >= tiers.high; medium: >= tiers.medium; low: at least one active day.

    Returns
    -------
    pandas.DataFrame
        Columns period_start, tier (high, medium, low), users, share.
    """
    src = as_source(data, "events")
    high, medium = src.params.activity.tier_high, src.params.activity.tier_medium
    dist = active_days_distribution(src, period=period, start=start, end=end)
    dist["tier"] = np.select(
        [dist["active_days"] >= high, dist["active_days"] >= medium], ["high", "medium"], "low"
    )
    out = dist.groupby(["period_start", "tier"], sort=False)["users"].sum().reset_index()
    out["tier"] = pd.Categorical(out["tier"], ["high", "medium", "low"])
    out = out.sort_values(["period_start", "tier"]).reset_index(drop=True)
    total = out.groupby("period_start")["users"].transform("sum")
    out["share"] = np.where(total > 0, out["users"] / total.where(total > 0, 1), np.nan)
    out["tier"] = out["tier"].astype(str)
    return out


def activity_by_hour(data: Any, *, start: Any = None, end: Any = None) -> pd.DataFrame:
    """When users are active: events and distinct users per weekday x hour (params time zone).

    Returns
    -------
    pandas.DataFrame
        Columns weekday (0 = Monday .. 6 = Sunday), hour (0..23), events, users (distinct
        users with an active event in that weekday-hour cell over the range). All 168 cells.
    """
    src = as_source(data, "events")
    lo, hi = day_range(src, start, end)
    ev = active_events(src)
    ev = ev.filter(on_days(ev.event_time, lo, hi))
    wd = ev.event_time.date().day_of_week.index()  # Monday = 0 on every backend
    t = ev.select(user_id=ev.user_id, weekday=wd, hour=ev.event_time.hour())
    out = src.execute(
        t.group_by(["weekday", "hour"]).aggregate(events=t.count(), users=t.user_id.nunique())
    )
    grid = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    out = out.astype({"weekday": "int64", "hour": "int64"}).set_index(["weekday", "hour"])
    out = out.reindex(grid, fill_value=0).reset_index()
    return out.astype({"events": "int64", "users": "int64"})
