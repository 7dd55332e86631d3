"""Acquisition channel quality: retention, first orders, revenue, cost and ROI per channel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import whole
from ..data.engine import (
    active_events,
    as_date,
    check_range,
    day_range,
    midnight,
    on_days,
    paid_orders,
    period_start,
    shared_days,
)
from ..data.periods import Period, parse_period
from ..data.source import as_source
from ..exceptions import ParamsError
from .monitor import first_full_period

__all__ = ["channel_quality", "channel_value", "new_users_by_channel"]

CHANNEL_COLUMNS = [
    "channel",
    "new_users",
    "d1_retention",
    "d7_retention",
    "first_order_rate",
    "revenue_per_new_user",
    "spend",
    "cac",
    "roas",
    "invites_per_inviter",
    "new_users_per_inviter",
    "complete",
]


def channel_quality(
    data: Any, *, start: Any = None, end: Any = None, until: Any = None
) -> pd.DataFrame:
    """Quality of each acquisition channel for the users it brought in [start, end].

    Outcomes (retention, orders, revenue) count up to the end of day ``until`` (default
    ``end``): pass a later ``until`` to let older cohorts mature, e.g. signups of four weeks
    that ended 30 days before the report's last day.

    Returns
    -------
    pandas.DataFrame
        One row per channel (users.channel), columns:

        - new_users: users registered in [start, end];
        - d1_retention, d7_retention: share active on the calendar day 1 / 7 after the day of
          registration (params time zone); counted up to ``until`` like every outcome;
        - first_order_rate: share placing a paid order within ``channels.horizon_days`` (30)
          days of registering;
        - revenue_per_new_user: paid revenue within that horizon / new_users;
        - spend: spend.amount of the channel on dates in [start, end] (NaN without spend);
        - cac: spend / new_users; roas: horizon revenue / spend (return on ad spend,
          shown 1:x; not ROI, which is (revenue - spend) / spend);
        - invites_per_inviter, new_users_per_inviter: for the referral channel, invite events
          per distinct inviter in [start, end] and referral new users per inviter (the viral
          coefficient), when invite events exist (NaN otherwise);
        - complete: False when some user had not yet had the full horizon by ``until``.
    """
    src = as_source(data, "users")
    if src.has("events"):
        lo, hi = day_range(src, start, end)
    else:
        lo, hi = as_date(start), as_date(end)
        check_range(lo, hi)
    cfg = src.params.channels
    horizon = cfg.horizon_days
    last = max(hi, as_date(until)) if until is not None else hi
    u = src.table("users")
    u = u.filter(on_days(u.registered_at, lo, hi))
    u = u.select("user_id", "registered_at", channel=u.channel.fill_null("(unknown)"))
    base = src.execute(
        u.group_by("channel").aggregate(new_users=u.count(), last_reg=u.registered_at.max())
    )
    out = base.set_index("channel")
    for col in ("d1_retention", "d7_retention", "first_order_rate", "revenue_per_new_user"):
        out[col] = 0.0
    if src.has("events"):
        # days 1 and 7 are calendar days: a report's shared activity has them
        days = shared_days(src, lo, last)
        if days is not None:
            e2 = days.select(uid=days.user_id, d=days.day)
        else:
            ev = active_events(src)
            ev = ev.filter(on_days(ev.event_time, None, last))
            e2 = ev.select(uid=ev.user_id, d=ev.event_time.date())
        j = u.inner_join(e2, u.user_id == e2.uid)
        n = j.d.delta(j.registered_at.date(), unit="day")
        hits = j.select("channel", "user_id", n=n).filter(lambda t: t.n.isin([1, 7])).distinct()
        ret = src.execute(hits.group_by(["channel", "n"]).aggregate(users=hits.count()))
        for r in ret.itertuples():
            out.loc[r.channel, f"d{int(r.n)}_retention"] = r.users / out.loc[r.channel, "new_users"]
    if src.has("orders"):
        od = paid_orders(src)
        od = od.filter(on_days(od.order_time, None, last))
        o2 = od.select(uid=od.user_id, t=od.order_time, amount=od.amount)
        j = u.inner_join(o2, u.user_id == o2.uid)
        j = j.filter(j.t < j.registered_at + ibis.interval(days=horizon))
        agg = src.execute(
            j.group_by("channel").aggregate(buyers=j.user_id.nunique(), revenue=j.amount.sum())
        )
        for r in agg.itertuples():
            out.loc[r.channel, "first_order_rate"] = r.buyers / out.loc[r.channel, "new_users"]
            out.loc[r.channel, "revenue_per_new_user"] = r.revenue / out.loc[r.channel, "new_users"]
    out["spend"] = _channel_spend(src, lo, hi).reindex(out.index)
    out["cac"] = out["spend"] / out["new_users"]
    revenue = out["revenue_per_new_user"] * out["new_users"]
    out["roas"] = np.where(
        out["spend"] > 0, revenue / out["spend"].where(out["spend"] > 0, 1), np.nan
    )
    out["invites_per_inviter"] = np.nan
    out["new_users_per_inviter"] = np.nan
    ref = cfg.referral_channel
    if src.has("events") and ref in out.index and cfg.invite_event:
        ev = src.table("events")
        inv = ev.filter((ev.event == cfg.invite_event) & on_days(ev.event_time, lo, last))
        r = src.execute(inv.aggregate(invites=inv.count(), inviters=inv.user_id.nunique())).iloc[0]
        if whole(r["inviters"]):
            out.loc[ref, "invites_per_inviter"] = r["invites"] / r["inviters"]
            out.loc[ref, "new_users_per_inviter"] = out.loc[ref, "new_users"] / r["inviters"]
    out["complete"] = [
        pd.Timestamp(x).date() + timedelta(days=horizon) <= last for x in out["last_reg"]
    ]
    out = out.reset_index().sort_values("channel", kind="stable").reset_index(drop=True)
    out["new_users"] = out["new_users"].astype("int64")
    return out[CHANNEL_COLUMNS]


def _channel_spend(src: Any, lo: Any, hi: Any) -> pd.Series:
    """spend.amount per channel on the dates ``lo`` to ``hi`` (empty without channel spend)."""
    if not src.has("spend") or "channel" not in src.table("spend").columns:
        return pd.Series(dtype=float)
    sp = src.table("spend")
    sp = sp.filter((sp.date >= ibis.literal(lo)) & (sp.date <= ibis.literal(hi)))
    spend = src.execute(sp.group_by("channel").aggregate(spend=sp.amount.sum()))
    return spend.set_index("channel")["spend"].astype(float)


def new_users_by_channel(
    data: Any, *, first: Period | str, last: Period | str, by: str = "channel"
) -> pd.DataFrame:
    """New users per period and channel, for the periods ``first`` to ``last`` (one kind).

    Returns
    -------
    pandas.DataFrame
        Long: columns period (label such as ``2025-W45``), start (date), channel, new_users
        (users registered in the period whose ``by`` is the channel; ``"(unknown)"`` for
        none); every period x channel pair, 0 where nobody came. Periods that begin
        before the data does are left out. Sum over channels = the
        scorecard's new_users of the period.
    """
    src = as_source(data, "users")
    src.check_user_column(by)
    p0, p1 = parse_period(first), parse_period(last)
    if p0.kind != p1.kind or p1.start < p0.start:
        raise ParamsError(f"first and last must be periods of one kind in order; got {p0}, {p1}.")
    periods = [p0]
    while periods[-1].start < p1.start:
        periods.append(periods[-1].shift(1))
    first_full = first_full_period(src, p0.kind)
    if first_full is not None:  # a period the data covers only in part would look like a fall
        periods = [p for p in periods if p.start >= first_full] or periods[-1:]
        p0 = periods[0]
    u = src.table("users")
    u = u.filter(on_days(u.registered_at, p0.start, p1.last_day))
    u = u.mutate(
        start=period_start(u.registered_at.date(), p0.kind),
        channel=u[by].cast("string").fill_null("(unknown)"),
    )
    got = src.execute(u.group_by(["start", "channel"]).aggregate(new_users=u.count()))
    got["start"] = pd.to_datetime(got["start"]).dt.date
    channels = sorted(got["channel"].unique())
    grid = pd.MultiIndex.from_product(
        [[p.start for p in periods], channels], names=["start", "channel"]
    )
    out = got.set_index(["start", "channel"]).reindex(grid, fill_value=0).reset_index()
    out.insert(0, "period", out["start"].map({p.start: p.label for p in periods}))
    out["new_users"] = out["new_users"].astype("int64")
    return out


VALUE_COLUMNS = [
    "channel",
    "new_users",
    "ltv_30",
    "ltv_60",
    "ltv_90",
    "matured_90",
    "repurchase_rate",
    "spend",
    "cac",
    "payback_days",
]


def channel_value(
    data: Any,
    *,
    start: Any,
    end: Any,
    until: Any = None,
    horizons: tuple[int, ...] = (30, 60, 90),
) -> pd.DataFrame:
    """What the users each channel brought in [start, end] are worth: LTV, repurchase, CAC,
    payback.

    Returns
    -------
    pandas.DataFrame
        One row per channel, columns channel, new_users, ltv_30, ltv_60, ltv_90 (one per
        horizon), matured_90 (share of new users who had the longest horizon by ``until``),
        repurchase_rate, spend, cac, payback_days.

    Notes
    -----
    - ltv_h: paid revenue in the first h x 24 h after registering, per new user, over the
      users who had those h days by the end of ``until`` (default the data's last day);
      NaN when none had.
    - repurchase_rate: of those matured users (longest horizon) who paid within it, the share
      with two or more paid orders within it.
    - spend: spend.amount of the channel on dates in [start, end]; cac = spend / new_users.
    - payback_days: the first horizon whose ltv reaches cac (revenue, not margin); NaN when
      none does or there is no spend.
    """
    src = as_source(data, ("users", "orders"))
    lo, hi = as_date(start), as_date(end)
    check_range(lo, hi)
    last = as_date(until) if until is not None else src.last_timestamp().date()
    cutoff = ibis.literal(midnight(last + timedelta(days=1)))
    hs = sorted(int(h) for h in horizons)
    u = src.table("users")
    u = u.filter(on_days(u.registered_at, lo, hi))
    u = u.select(
        "user_id", "registered_at", channel=u.channel.cast("string").fill_null("(unknown)")
    )
    od = paid_orders(src)
    o = od.select(uid=od.user_id, t=od.order_time, amount=od.amount)
    j = u.left_join(o, (u.user_id == o.uid) & (o.t >= u.registered_at) & (o.t < cutoff))
    per_user = j.group_by(["user_id", "channel", "registered_at"]).aggregate(
        **{
            f"rev_{h}": j.amount.sum(where=j.t < j.registered_at + ibis.interval(days=h))
            for h in hs
        },
        orders=j.t.count(where=j.t < j.registered_at + ibis.interval(days=hs[-1])),
    )
    aggs: dict[str, Any] = {"new_users": per_user.count()}
    for h in hs:
        matured = per_user.registered_at + ibis.interval(days=h) <= cutoff
        aggs[f"n_{h}"] = matured.ifelse(1, 0).sum()
        aggs[f"sum_{h}"] = per_user[f"rev_{h}"].fill_null(0).sum(where=matured)
    done = per_user.registered_at + ibis.interval(days=hs[-1]) <= cutoff
    aggs["buyers"] = (done & (per_user.orders >= 1)).ifelse(1, 0).sum()
    aggs["repeaters"] = (done & (per_user.orders >= 2)).ifelse(1, 0).sum()
    got = src.execute(per_user.group_by("channel").aggregate(**aggs)).set_index("channel")
    out = pd.DataFrame(index=got.index.sort_values())
    out["new_users"] = got["new_users"].astype("int64")
    for h in hs:
        n = got[f"n_{h}"].astype(float)
        out[f"ltv_{h}"] = got[f"sum_{h}"].astype(float) / n.where(n > 0)
    out[f"matured_{hs[-1]}"] = got[f"n_{hs[-1]}"] / got["new_users"]
    buyers = got["buyers"].astype(float)
    out["repurchase_rate"] = got["repeaters"] / buyers.where(buyers > 0)
    out["spend"] = _channel_spend(src, lo, hi).reindex(out.index)
    out["cac"] = out["spend"] / out["new_users"]
    out["payback_days"] = np.nan
    for h in reversed(hs):
        reached = out[f"ltv_{h}"] >= out["cac"]
        out.loc[reached, "payback_days"] = float(h)
    return out.reset_index()
