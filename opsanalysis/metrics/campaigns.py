"""Cost and return of campaigns and channels, and conversion by touchpoint.

The documents write "ROI 1:6.3" for revenue : cost, which is ROAS; both are given here and
labelled: ``roas = revenue / spend`` and ``roi = (revenue - spend) / spend``. Computed in the
engine from spend, events, users and orders.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import day_range, midnight, on_days, one_of, paid_orders
from ..data.source import as_source
from ..exceptions import ParamsError

__all__ = ["campaign_roi", "touchpoint_conversion"]

ROI_COLUMNS = ["spend", "users_touched", "new_users", "revenue", "orders", "cac", "roas", "roi"]


def campaign_roi(
    data: Any,
    *,
    start: Any = None,
    end: Any = None,
    by: str = "campaign_id",
    attribution_days: int = 7,
) -> pd.DataFrame:
    """Spend, users, attributed revenue, CAC, ROAS and ROI per campaign or channel.

    Parameters
    ----------
    data
        A Source with spend, events, users and orders.
    start, end
        Days of the period (inclusive; ``end`` defaults to the last data day).
    by
        ``campaign_id`` (events carrying a campaign id) or ``channel`` (users' acquisition
        channel).
    attribution_days
        How far back a campaign touch may lie before an order (``campaign_id`` only).

    Returns
    -------
    pandas.DataFrame
        One row per campaign (or channel) with spend or attributed revenue in the period,
        sorted by spend, columns [by], spend, users_touched, new_users, revenue, orders, cac,
        roas, roi.

    Notes
    -----
    - spend: ``spend.amount`` on the period's dates for the campaign (channel).
    - By campaign: users_touched = distinct users with an event carrying the campaign id in
      the period; new_users = users registered in the period who were touched by the
      campaign on their registration day; revenue / orders = paid orders in the period
      attributed to the campaign by **last touch**: the latest event carrying a campaign id at
      or before the order and at most ``attribution_days`` x 24 h before it (orders with no
      such touch are not attributed).
    - By channel: users_touched = distinct active users of the channel in the period;
      new_users = users of the channel registered in the period; revenue / orders = paid
      orders in the period of the users acquired by the channel in the period (first touch).
    - cac = spend / new_users; roas = revenue / spend (shown "1:6.3"); roi = (revenue -
      spend) / spend. NaN where the denominator is 0.
    """
    check_one_of("by", by, ["campaign_id", "channel"])
    src = as_source(data, ("spend", "events", "orders"))
    lo, hi = day_range(src, start, end)
    sp = src.table("spend")
    if by not in sp.columns:
        raise ParamsError(
            f"campaign_roi(by={by!r}) needs a {by} column in table 'spend'; it has "
            f"{', '.join(sp.columns)}."
        )
    sp = sp.filter(sp[by].notnull() & (sp.date >= ibis.literal(lo)) & (sp.date <= ibis.literal(hi)))
    spend = src.execute(sp.group_by(by).aggregate(spend=sp.amount.sum())).set_index(by)
    ev = src.table("events")
    users = src.table("users")
    od = paid_orders(src)
    od = od.filter(on_days(od.order_time, lo, hi))
    if by == "campaign_id":
        if "campaign_id" not in ev.columns:
            raise ParamsError("campaign_roi(by='campaign_id') needs campaign_id in table 'events'.")
        # one scan of the events for the touches the three figures need (attribution looks
        # back attribution_days before the period), kept while they are computed
        first = lo - timedelta(days=int(attribution_days) + 1)
        ev = ev.filter(ev.campaign_id.notnull() & on_days(ev.event_time, first, hi))
        touches = ev.select("user_id", "campaign_id", "event_time")
        with src.materialized(touches) as touches:
            touched, acquired, revenue = _by_campaign(
                src, touches, users, od, lo, hi, int(attribution_days)
            )
    else:
        if "channel" not in users.columns:
            raise ParamsError("campaign_roi(by='channel') needs channel in table 'users'.")
        acq = users.select(au=users.user_id, acq=users.channel)
        act = ev.filter(on_days(ev.event_time, lo, hi)).select(eu=ev.user_id)
        act = act.inner_join(acq, act.eu == acq.au)
        touched = src.execute(
            act.group_by(act.acq).aggregate(users_touched=act.eu.nunique())
        ).set_index("acq")
        new = users.filter(on_days(users.registered_at, lo, hi))
        new = new.select(nu=new.user_id, acq=new.channel)
        acquired = src.execute(new.group_by("acq").aggregate(new_users=new.count()))
        acquired = acquired.set_index("acq")
        o = od.select(ou=od.user_id, amount=od.amount)
        jo = o.inner_join(new, o.ou == new.nu)
        revenue = src.execute(
            jo.group_by(jo.acq).aggregate(revenue=jo.amount.sum(), orders=jo.count())
        ).set_index("acq")
    out = pd.concat([spend, touched, acquired, revenue], axis=1)
    out = out[out["spend"].notna() | out["revenue"].notna()] if "revenue" in out else out
    out.index.name = by
    for col in ("spend", "users_touched", "new_users", "revenue", "orders"):
        out[col] = out[col].fillna(0.0) if col in out else 0.0
    for col in ("users_touched", "new_users", "orders"):
        out[col] = out[col].astype("int64")
    spend_pos = out["spend"].where(out["spend"] > 0)
    out["cac"] = out["spend"] / out["new_users"].where(out["new_users"] > 0)
    out["roas"] = out["revenue"] / spend_pos
    out["roi"] = (out["revenue"] - out["spend"]) / spend_pos
    out = out.reset_index().sort_values(["spend", by], ascending=[False, True], kind="stable")
    out = out[[by, *ROI_COLUMNS]].reset_index(drop=True)
    out.attrs["attribution_days"] = int(attribution_days)  # the report's note says it
    return out


def _by_campaign(
    src: Any,
    touches: ibis.Table,
    users: ibis.Table,
    od: ibis.Table,
    lo: date,
    hi: date,
    attribution_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Users touched, new users and last-touch revenue per campaign, from ``touches``
    (user_id, campaign_id, event_time of the events carrying a campaign, from
    ``attribution_days`` + 1 days before ``lo`` to ``hi``)."""
    inside = touches.filter(on_days(touches.event_time, lo, hi))
    touched = src.execute(
        inside.group_by("campaign_id").aggregate(users_touched=inside.user_id.nunique())
    ).set_index("campaign_id")
    new = users.filter(on_days(users.registered_at, lo, hi))
    tn = inside.select(tu=inside.user_id, c=inside.campaign_id, d=inside.event_time.date())
    jn = new.inner_join(tn, (new.user_id == tn.tu) & (new.registered_at.date() == tn.d))
    acquired = src.execute(jn.group_by(jn.c).aggregate(new_users=jn.user_id.nunique())).set_index(
        "c"
    )
    window = ibis.interval(seconds=attribution_days * 86400)
    t = touches.select(tu=touches.user_id, tt=touches.event_time, c=touches.campaign_id)
    o = od.select("order_id", "user_id", "order_time", "amount")
    j = o.inner_join(
        t, (o.user_id == t.tu) & (t.tt <= o.order_time) & (t.tt >= o.order_time - window)
    )
    last = ibis.window(group_by=j.order_id, order_by=[ibis.desc(j.tt), j.c])
    j = j.mutate(rank=ibis.row_number().over(last))
    j = j.filter(j["rank"] == 0)
    revenue = src.execute(
        j.group_by(j.c).aggregate(revenue=j.amount.sum(), orders=j.count())
    ).set_index("c")
    return touched, acquired, revenue


def touchpoint_conversion(
    data: Any, *, start: Any = None, end: Any = None, within_days: int = 7
) -> pd.DataFrame:
    """Per touchpoint: active users, those who placed a paid order within ``within_days`` of
    a visit there, and community message volume with the share from high-value users.

    Returns
    -------
    pandas.DataFrame
        Columns touchpoint, active_users, converted_users, conversion_rate, messages,
        high_value_message_share.

    Notes
    -----
    - active_users: distinct users with an event at the touchpoint on the days start..end.
    - converted_users: of them, users with a paid order after such a visit and at most
      ``within_days`` x 24 h later (and before the end of ``end``); conversion_rate =
      converted_users / active_users.
    - messages: message events (params ``community.message``) at the touchpoint;
      high_value_message_share: the share of them sent by high-value users, users with 3 or
      more paid orders in the 30 days up to the end of ``end``.
    """
    src = as_source(data, ("events", "orders"))
    lo, hi = day_range(src, start, end)
    cutoff = ibis.literal(midnight(hi + timedelta(days=1)))
    ev = src.table("events")
    if "touchpoint" not in ev.columns:
        raise ParamsError("touchpoint_conversion needs a touchpoint column in table 'events'.")
    ev = ev.filter(on_days(ev.event_time, lo, hi) & ev.touchpoint.notnull())
    # a visit converts when an order follows one of the user's visits there within the window
    v = ev.select(vt=ev.touchpoint, vu=ev.user_id, t=ev.event_time)
    od = paid_orders(src)
    od = od.filter(on_days(od.order_time, lo, None) & (od.order_time < cutoff))
    o = od.select(ou=od.user_id, ot=od.order_time)
    window = ibis.interval(seconds=int(within_days) * 86400)
    hit = v.inner_join(o, (v.vu == o.ou) & (o.ot > v.t) & (o.ot <= v.t + window))
    conv = hit.group_by(hit.vt).aggregate(converted_users=hit.vu.nunique())
    recent = paid_orders(src)
    recent = recent.filter(on_days(recent.order_time, hi - timedelta(days=29), hi))
    hv = recent.group_by("user_id").aggregate(n=recent.count())
    hv = hv.filter(hv.n >= 3).select(hu=hv.user_id)
    # visitors and their messages per touchpoint from one scan: a row per (touchpoint, user)
    said = one_of(ev.event, src.params.community_events["message"]).ifelse(1, 0)
    visitors = ev.group_by(["touchpoint", "user_id"]).aggregate(said=said.sum())
    vj = visitors.left_join(hv, visitors.user_id == hv.hu)
    act = vj.group_by(vj.touchpoint).aggregate(
        active_users=vj.count(),
        messages=vj.said.sum(),
        high_value_messages=vj.hu.notnull().ifelse(vj.said, 0).sum(),
    )
    out = src.execute(act).set_index("touchpoint")
    out = out.join(src.execute(conv).set_index("vt"))
    for col in ("converted_users", "messages", "high_value_messages"):
        out[col] = out[col].fillna(0).astype("int64")
    out["conversion_rate"] = out["converted_users"] / out["active_users"]
    out["high_value_message_share"] = out["high_value_messages"] / out["messages"].where(
        out["messages"] > 0
    )
    out = out.reset_index().sort_values("touchpoint", kind="stable")
    cols = ["touchpoint", "active_users", "converted_users", "conversion_rate", "messages"]
    return out[[*cols, "high_value_message_share"]].reset_index(drop=True)
