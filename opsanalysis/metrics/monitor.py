"""KPI monitoring: a period's scorecard, each KPI judged week over week and against its history.

:func:`kpi_series` computes every scorecard KPI for a run of periods with one grouped query per
table (the engine does the work; a row per period and metric comes back); :func:`kpi_monitor`
adds the previous period, the target, the ±15% week-over-week flag and the history flag of
:func:`~opsanalysis.stats.anomaly.flag_anomaly`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data.engine import (
    active_days,
    elapsed_clock,
    on_days,
    one_of,
    paid_orders,
    period_start,
    users_per_period,
)
from ..data.kpis import KPIS, kpi, params_event_names
from ..data.periods import (
    Period,
    latest_complete_period,
    parse_period,
    period_start_date,
    shift_start,
)
from ..data.source import Source, as_source
from ..exceptions import ParamsError
from ..stats.anomaly import flag_anomaly
from .churn import reactivation_counts
from .funnel import parse_window
from .service import ticket_outcomes

__all__ = ["days_with_data", "kpi_monitor", "kpi_series"]

RESPONSE_WINDOW = "48h"  # the response_rate KPI: answered within 48 hours

#: The scorecard, from the KPI registry: metric -> (kind, denominator metric or None). Order
#: is the report's order.
SCORECARD: dict[str, tuple[str, str | None]] = {
    k.key: ("rate" if k.is_rate else "count", k.denominator) for k in KPIS
}


def kpi_has_data(src: Source, metric: str) -> bool:
    """Whether the source holds the data of KPI ``metric``: its tables, and for a KPI
    counted from named events (params ``community.message``, ...) at least one of those
    names in the events table. A KPI without its data is "no data", never 0."""
    k = kpi(metric)
    if not all(src.has(t) for t in k.tables):
        return False
    if not k.events:
        return True
    present = src.event_names()
    return any(present.intersection(params_event_names(src.params, e)) for e in k.events)


MONITOR_COLUMNS = [
    "metric",
    "period",
    "value",
    "previous",
    "change",
    "target",
    "completion",
    "wow_flag",
    "baseline",
    "low",
    "high",
    "history_flag",
    "status",
    "history_periods",
    "year_ago",
    "yoy_change",
]


def _grouped(src: Source, t: ibis.Table, col: Any, kind: str, lo: date, hi: date, **aggs: Any):
    t = t.filter(on_days(col, lo, hi))
    t = t.mutate(p=period_start(col.date(), kind))
    out = src.execute(t.group_by("p").aggregate(**{k: f(t) for k, f in aggs.items()}))
    out["p"] = pd.to_datetime(out["p"]).dt.date
    return out.set_index("p")


def kpi_series(data: Any, *, first: Period | str, last: Period | str) -> pd.DataFrame:
    """Every scorecard KPI for each period from ``first`` to ``last`` (same kind).

    Returns
    -------
    pandas.DataFrame
        Index: period start (date); a column per metric of :data:`SCORECARD` the source can
        give, plus the denominators silent_users and decided_tickets. Definitions (a period
        is ``[start, end)`` of wall-clock days in the params time zone):

        - new_users: users registered in the period.
        - active_users: distinct users with an active event (WAU for weeks); dau_avg: the
          mean over the period's days of daily active users (for a period the data has not
          finished, a month to date, over its days up to the data's last day: see
          :func:`days_with_data`); stickiness = dau_avg / active_users.
        - community_messages: message events (params ``community.message``) at touchpoint
          ``community`` (all touchpoints when events have no touchpoint).
        - add_wecom_conversion: distinct users with an add-WeCom event (params
          ``community.add_wecom``) / active_users.
        - content_read_rate: distinct users with a read event (params ``content.read``) /
          active_users (the share of active users who read content).
        - orders, revenue, paying_users: paid orders, their amount and distinct buyers.
        - repeat_purchase_rate: buyers of the period who had paid before it / paying_users.
        - reactivation_rate: of :func:`~opsanalysis.metrics.churn.reactivation` (silent users
          active again / silent users).
        - response_rate: of :func:`~opsanalysis.metrics.service.service_levels` over the
          tickets created in the period (params ``targets`` do not matter here).
    """
    src = as_source(data, ("events", "users", "orders"))
    p0, p1 = parse_period(first), parse_period(last)
    if p0.kind != p1.kind or p0.kind not in ("day", "week", "month", "quarter"):
        raise ParamsError(f"first and last must be periods of one kind; got {p0}, {p1}.")
    kind = p0.kind
    lo, hi = p0.start, p1.last_day
    starts = []
    p = p0
    while p.start <= p1.start:
        starts.append(p.start)
        p = p.shift(1)
    if not starts:
        raise ParamsError(f"last {p1.label} is before first {p0.label}.")
    df = pd.DataFrame(index=pd.Index(starts, name="p"))
    days = {s: days_with_data(src, _period_of(s, kind)) for s in starts}
    if src.has("users"):
        u = src.table("users")
        df = df.join(_grouped(src, u, u.registered_at, kind, lo, hi, new_users=lambda t: t.count()))
    if src.has("events"):
        ad = active_days(src, lo, hi)
        everyone = {"active_users": lambda t: ibis.literal(True)}
        df = df.join(users_per_period(src, ad, lambda t: t.day, kind, starts, everyone))
        ad = ad.mutate(p=period_start(ad.day, kind))
        dau = src.execute(ad.group_by("p").aggregate(dau_sum=ad.count()))
        dau["p"] = pd.to_datetime(dau["p"]).dt.date
        df = df.join(dau.set_index("p"))
        df["dau_sum"] = df["dau_sum"].fillna(0)
        df["dau_avg"] = df["dau_sum"] / pd.Series(days)
        df["stickiness"] = df["dau_avg"] / df["active_users"]
        # the event-based KPIs: messages counted per period, then readers and WeCom adders as
        # distinct users per period from one group-by per user
        ev = src.table("events")
        names = src.params.community_events
        reads = src.params.content_events["read"]
        said = ev.filter(one_of(ev.event, sorted(names["message"])))
        if "touchpoint" in ev.columns:  # without touchpoints, every message counts
            said = said.filter(said.touchpoint == "community")
        df = df.join(
            _grouped(
                src,
                said,
                said.event_time,
                kind,
                lo,
                hi,
                community_messages=lambda t: t.count(),
            )
        )
        ev = ev.filter(
            one_of(ev.event, sorted({*names["add_wecom"], *reads})) & on_days(ev.event_time, lo, hi)
        )
        df = df.join(
            users_per_period(
                src,
                ev,
                lambda t: t.event_time.date(),
                kind,
                starts,
                {
                    "wecom_users": lambda t: t.event.isin(names["add_wecom"]),
                    "readers": lambda t: t.event.isin(reads),
                },
            )
        )
        for c in ("community_messages", "wecom_users", "readers"):
            df[c] = df[c].fillna(0)
        df["add_wecom_conversion"] = df["wecom_users"] / df["active_users"]
        df["content_read_rate"] = df["readers"] / df["active_users"]
        df = df.join(_reactivation_by_period(src, starts, kind, hi))
    if src.has("orders"):
        od = paid_orders(src)
        firsts = od.group_by("user_id").aggregate(first=od.order_time.min())
        j = od.inner_join(firsts, "user_id")
        j = j.filter(on_days(j.order_time, lo, hi)).mutate(
            p=period_start(j.order_time.date(), kind)
        )
        agg = src.execute(
            j.group_by("p").aggregate(
                orders=j.count(),
                revenue=j.amount.sum(),
                paying_users=j.user_id.nunique(),
                repeat_users=j.user_id.nunique(where=j["first"].date() < j.p),
            )
        )
        agg["p"] = pd.to_datetime(agg["p"]).dt.date
        df = df.join(agg.set_index("p"))
        for c in ("orders", "revenue", "paying_users", "repeat_users"):
            df[c] = df[c].fillna(0)
        df["repeat_purchase_rate"] = df["repeat_users"] / df["paying_users"].where(
            df["paying_users"] > 0
        )
    if src.has("tickets"):
        df = df.join(_response_by_period(src, starts, kind, hi))
    if "new_users" in df:
        df["new_users"] = df["new_users"].fillna(0)
    keep = [m for m in SCORECARD if m in df.columns]
    extra = [c for c in ("silent_users", "decided_tickets") if c in df.columns]
    return df[keep + extra].astype(float)


def _reactivation_by_period(src: Source, starts: list[date], kind: str, hi: date) -> pd.DataFrame:
    """silent_users and reactivation_rate of every period: the numbers of
    :func:`~opsanalysis.metrics.churn.reactivation`, from its one query."""
    out = reactivation_counts(src, starts, kind, hi)
    silent = out["silent_users"].astype(float)
    out["silent_users"] = silent
    out["reactivation_rate"] = out["reactivated_users"] / silent.where(silent > 0)
    return out[["reactivation_rate", "silent_users"]]


def _response_by_period(src: Source, starts: list[date], kind: str, hi: date) -> pd.DataFrame:
    """response_rate and decided_tickets of every period in one query: the numbers of
    :func:`~opsanalysis.metrics.service.service_levels` for the tickets created in each
    period, with each period's own cut-off (a response after the period's end is not yet
    given)."""
    tz = src.params.timezone
    lo, horizon = starts[0], hi + timedelta(days=3)
    t = src.table("tickets")
    t = t.filter(on_days(t.created_at, lo, hi))
    t = t.mutate(p=period_start(t.created_at.date(), kind))
    ends = [shift_start(s, kind, 1) for s in starts]
    periods = ibis.memtable(
        pd.DataFrame({"pp": pd.to_datetime(starts), "cutoff": pd.to_datetime(ends)})
    ).mutate(pp=ibis._.pp.date())
    j = t.inner_join(periods, t.p == periods.pp)

    def clock(col: Any) -> Any:
        return elapsed_clock(col, tz, lo, horizon)

    outcome = ticket_outcomes(j, j.cutoff, parse_window(RESPONSE_WINDOW), clock)
    out = src.execute(
        j.group_by(j.p).aggregate(
            hit=outcome["answered_within"].ifelse(1, 0).sum(),
            late=outcome["answered_late"].ifelse(1, 0).sum(),
            missed=outcome["unanswered"].ifelse(1, 0).sum(),
        )
    )
    out["p"] = pd.to_datetime(out["p"]).dt.date
    out = out.set_index("p").reindex(starts)
    decided = out["hit"] + out["late"] + out["missed"]
    out["decided_tickets"] = decided
    out["response_rate"] = out["hit"] / decided.where(decided > 0)
    return out[["response_rate", "decided_tickets"]]


def days_with_data(src: Source, period: Period) -> int:
    """The days of ``period`` that an average per day divides by: all of them, or for a
    period the data has not finished (a month to date), those up to the data's last day
    (:meth:`~opsanalysis.data.source.Source.last_timestamp`). Days with no activity inside
    that range still count (as 0).

    A to-date month of 23 days divides its active-user days by 23, not 30: dividing by the
    whole month would read as a fall of a quarter that did not happen.
    """
    if not (src.has("events") or src.has("orders")):
        return period.days
    last = src.last_timestamp().date()
    if last >= period.last_day or last < period.start:
        return period.days
    return (last - period.start).days + 1


def _no_data_row(metric: str, p: Period, target: float) -> dict[str, Any]:
    row: dict[str, Any] = {c: np.nan for c in MONITOR_COLUMNS}
    row.update(
        metric=metric,
        period=p.label,
        target=target,
        wow_flag=False,
        history_flag=False,
        status="no_data",
        history_periods=0,
    )
    return row


def _period_of(start: date, kind: str) -> Period:
    """The period of ``kind`` that starts on ``start``."""
    return Period(start, shift_start(start, kind, 1), kind)  # type: ignore[arg-type]


def first_full_period(src: Source, kind: str) -> date | None:
    """Start of the first period that lies wholly inside the data (its first event)."""
    for name, col in (("events", "event_time"), ("users", "registered_at")):
        if src.has(name):
            first = src.execute(src.table(name)[col].min())
            if first is None or pd.isna(first):
                return None
            d = pd.Timestamp(first).date()
            s = period_start_date(d, kind)
            return s if s == d else shift_start(s, kind, 1)
    return None


def kpi_monitor(
    data: Any,
    *,
    period: Period | str | None = None,
    history: int = 12,
    kind: str = "week",
    targets: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The KPI scorecard of ``period`` with week-over-week and history flags.

    Parameters
    ----------
    data
        A Source with users, events and orders (tickets add the response rate).
    period
        The period judged (``"2025-W47"``); None: the latest complete one of ``kind``.
    history
        How many complete periods before ``period`` form the baseline (default 12).
    targets
        ``{metric: target}``; default params ``targets``.

    Returns
    -------
    pandas.DataFrame
        One row per KPI of :func:`kpi_series`, columns metric, period, value, previous,
        change ((value - previous) / previous), target, completion (value / target),
        wow_flag (``|change| >=`` params ``alerts.pct_change``, 15% by default), baseline,
        low, high (the usual range from :func:`~opsanalysis.stats.anomaly.flag_anomaly`
        over the history), history_flag, status (``anomaly``: both flags; ``watch``: one;
        ``ok``; ``insufficient_history``: fewer than 6 complete periods of history, then only
        the week-over-week flag is shown; ``no_data``: a KPI with a target whose data the
        source does not hold (:func:`kpi_has_data`), every number NaN; a KPI without its
        data and without a target is left out), history_periods, year_ago (the value of the same
        period a year earlier when the history reaches back to it and the data has it:
        ``history >= 12`` for months, ``>= 4`` for quarters; else NaN) and yoy_change.
    """
    src = as_source(data, ("events", "users", "orders"))
    if int(history) < 1:
        raise ParamsError(f"history={history!r} must be a whole number of periods, at least 1.")
    p = (
        parse_period(period)
        if period is not None
        else latest_complete_period(src.last_timestamp(), kind)
    )
    first_full = first_full_period(src, p.kind)
    first = p.shift(-int(history))
    if first_full is not None:
        while first.start < first_full and first.start < p.start:
            first = first.shift(1)
    series = kpi_series(src, first=first, last=p)
    targets = src.params.targets if targets is None else targets
    alert = src.params.alert_pct_change
    now, prev_start, ago = p.start, p.previous().start, p.year_ago().start
    rows = []
    for metric, (kind_, denom) in SCORECARD.items():
        if metric not in series or not kpi_has_data(src, metric):
            if metric in targets:  # a target the data cannot judge: said, never 0
                rows.append(_no_data_row(metric, p, float(targets[metric])))
            continue
        s = series[metric]
        value = float(s.get(now, np.nan))
        previous = float(s.get(prev_start, np.nan)) if prev_start in s.index else np.nan
        change = (value - previous) / previous if previous else np.nan
        past = s[s.index < now].dropna()
        d = float(series[denom].get(now, np.nan)) if denom in series else None
        res = flag_anomaly(
            past.to_numpy(),
            value,
            kind="rate" if kind_ == "rate" else "count",
            denominator=d if d and d == d else None,
        )
        wow = bool(abs(change) >= alert) if change == change else False
        hist = res.status == "anomaly"
        if res.status == "insufficient_history":
            status = "insufficient_history"
        else:
            status = "anomaly" if wow and hist else "watch" if wow or hist else "ok"
        target = float(targets[metric]) if metric in targets else np.nan
        year_ago = float(s.get(ago, np.nan)) if ago in s.index else np.nan
        rows.append(
            {
                "metric": metric,
                "period": p.label,
                "value": value,
                "previous": previous,
                "change": change,
                "target": target,
                "completion": value / target if target == target and target else np.nan,
                "wow_flag": wow,
                "baseline": res.baseline,
                "low": res.low,
                "high": res.high,
                "history_flag": hist,
                "status": status,
                "history_periods": res.n,
                "year_ago": year_ago,
                "yoy_change": (value - year_ago) / year_ago if year_ago else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=MONITOR_COLUMNS)
