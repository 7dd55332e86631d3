"""Acquisition channel quality: retention, first orders, revenue, cost and ROI per channel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data.engine import active_events, as_date, check_range, day_range, on_days, paid_orders
from ..data.source import as_source

__all__ = ["channel_quality"]

CHANNEL_COLUMNS = [
    "channel",
    "new_users",
    "d1_retention",
    "d7_retention",
    "first_order_rate",
    "revenue_per_new_user",
    "spend",
    "cac",
    "roi",
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
        - cac: spend / new_users; roi: horizon revenue / spend;
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
        ev = active_events(src)
        ev = ev.filter(on_days(ev.event_time, None, last))
        e2 = ev.select(uid=ev.user_id, t=ev.event_time)
        j = u.inner_join(e2, u.user_id == e2.uid)
        n = j.t.date().delta(j.registered_at.date(), unit="day")
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
    out["spend"] = np.nan
    if src.has("spend"):
        sp = src.table("spend")
        if "channel" in sp.columns:
            sp = sp.filter((sp.date >= ibis.literal(lo)) & (sp.date <= ibis.literal(hi)))
            spend = src.execute(sp.group_by("channel").aggregate(spend=sp.amount.sum()))
            for r in spend.itertuples():
                if r.channel in out.index:
                    out.loc[r.channel, "spend"] = float(r.spend)
    out["cac"] = out["spend"] / out["new_users"]
    revenue = out["revenue_per_new_user"] * out["new_users"]
    out["roi"] = np.where(
        out["spend"] > 0, revenue / out["spend"].where(out["spend"] > 0, 1), np.nan
    )
    out["invites_per_inviter"] = np.nan
    out["new_users_per_inviter"] = np.nan
    ref = cfg.referral_channel
    if src.has("events") and ref in out.index and cfg.invite_event:
        ev = src.table("events")
        inv = ev.filter((ev.event == cfg.invite_event) & on_days(ev.event_time, lo, last))
        r = src.execute(inv.aggregate(invites=inv.count(), inviters=inv.user_id.nunique())).iloc[0]
        if int(r["inviters"] or 0):
            out.loc[ref, "invites_per_inviter"] = r["invites"] / r["inviters"]
            out.loc[ref, "new_users_per_inviter"] = out.loc[ref, "new_users"] / r["inviters"]
    out["complete"] = [
        pd.Timestamp(x).date() + timedelta(days=horizon) <= last for x in out["last_reg"]
    ]
    out = out.reset_index().sort_values("channel", kind="stable").reset_index(drop=True)
    out["new_users"] = out["new_users"].astype("int64")
    return out[CHANNEL_COLUMNS]
