"""Conversion funnels with per-person semantics (PostHog's funnels are the reference).

Every step-1 event inside [start, end] starts an attempt; each later step is matched to the
earliest qualifying event within the conversion window measured from the attempt's step-1
event (inclusive). A user counts once, at the furthest step any attempt reached. Only events
inside [start, end] count, so a past period's funnel never changes. Matching runs in the engine:
one join per step on the user's step events.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of, whole
from ..data.engine import (
    active_days,
    active_events,
    as_date,
    day_range,
    elapsed_clock,
    on_days,
    one_of,
    paid_orders,
    wall_seconds,
)
from ..data.source import Source, as_source
from ..exceptions import ParamsError

__all__ = ["funnel", "new_user_funnel"]

FUNNEL_COLUMNS = [
    "step",
    "event",
    "users",
    "conversion_from_first",
    "conversion_from_previous",
    "drop_off",
    "median_time_from_previous",
    "p90_time_from_previous",
]


_DURATION_UNITS = {
    "d": "days",
    "day": "days",
    "days": "days",
    "h": "hours",
    "hr": "hours",
    "hour": "hours",
    "hours": "hours",
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "t": "minutes",  # pandas' alias for minutes
    "m": "minutes",  # kept for old params: minutes, never months
    "s": "seconds",
    "sec": "seconds",
    "second": "seconds",
    "seconds": "seconds",
}


def parse_window(window: str | timedelta) -> timedelta:
    """A duration as analysts type it in pandas: ``"7d"``, ``"24h"``, ``"5min"``, ``"90s"``.

    Units are case-insensitive: d / day(s), h / hour(s), min / minute(s) (and ``"30M"``, kept
    from earlier params: ``M`` is minutes here, never months), s / second(s). Durations are
    elapsed time between instants.

    >>> parse_window("7D"), parse_window("5min"), parse_window("30M")
    (datetime.timedelta(days=7), datetime.timedelta(seconds=300), datetime.timedelta(seconds=1800))
    """
    if isinstance(window, timedelta):
        return window
    m = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]+)\s*", str(window))
    unit = _DURATION_UNITS.get(m.group(2).lower()) if m else None
    if m is None or unit is None:
        raise ParamsError(
            f"window={window!r} is not a duration; write e.g. '7d', '24h', '5min' or '90s'."
        )
    return timedelta(**{unit: int(m.group(1))})


def funnel(
    data: Any,
    steps: list[str],
    *,
    window: str | timedelta = "7D",
    start: Any = None,
    end: Any = None,
    by: str | None = None,
    order: str = "ordered",
    exclude: list[tuple[str, int, int]] | None = None,
) -> pd.DataFrame:
    """Users reaching each step of a funnel.

    Parameters
    ----------
    data
        A Source with events (and users for ``by``).
    steps
        Event names, in order (at least two).
    window
        Conversion window from each attempt's step-1 event, inclusive: a step exactly at the
        window's end converts. ``"7D"``, ``"24H"``, ``"30M"``.
    start, end
        Only events from the start of ``start`` to the end of ``end`` count, for every step.
    by
        A users column to split the funnel by.
    order
        ``ordered`` (other events may come between steps), ``strict`` (any other event of
        the user between two steps breaks the attempt) or ``any`` (the steps in any order
        within the window: every step event starts an attempt, and row k counts users who did
        k distinct steps within a window; its event column reads "k of n steps").
    exclude
        ``[(event, from_step, to_step)]`` with 1-based steps: an exclusion event after the
        attempt's from-step and before its to-step (or before the window's end when the
        to-step was not reached) spoils the attempt. A user whose best attempt is spoiled,
        with no clean attempt reaching as far, leaves the funnel entirely. In an ``any``
        order funnel the steps are the k-th distinct step the attempt reached (PostHog's
        unordered exclusions): ``(event, 1, n)`` spoils an attempt when the event comes inside
        its window before it completes, and is ignored after completion.

    Returns
    -------
    pandas.DataFrame
        One row per step (and ``by`` value): step (1-based), event, users (reaching at least
        this step), conversion_from_first, conversion_from_previous, drop_off (users lost since
        the previous step), median_time_from_previous and p90_time_from_previous (timedelta,
        over the users reaching this step, on their best attempt: the earliest attempt that
        reached their furthest step).

    Notes
    -----
    Each later step takes the earliest event of that name at or after the previous step (the
    greedy match, which no other choice can beat in an ordered funnel). One event advances an
    attempt by at most one step: when a step repeats an earlier step's event name, its event
    must come strictly later. Different steps at the same timestamp are taken in step order.
    Days (``start``, ``end``) are wall-clock days in the params time zone; the window and the
    times between steps are elapsed time between the instants, so a 1-day window across a
    daylight-saving change is 24 real hours.
    """
    check_one_of("order", order, ["ordered", "strict", "any"])
    steps = list(steps)
    if len(steps) < 2:
        raise ParamsError(f"A funnel needs at least two steps; got {steps!r}.")
    w = parse_window(window)
    src = as_source(data, "events")
    lo, hi = day_range(src, start, end)
    ev = src.table("events")
    ev = ev.filter(on_days(ev.event_time, lo, hi))
    # windows and times are real durations, also across a daylight-saving change
    ev = ev.mutate(event_time=elapsed_clock(ev.event_time, src.params.timezone, lo, hi))
    n = len(steps)
    wlit = ibis.interval(seconds=int(w.total_seconds()))

    if order == "any":
        att = _any_order_attempts(ev, steps, wlit, exclude)
    elif order == "strict":
        # number every event of the user; steps at equal times come in step order
        rank_of = ibis.cases(
            *[(ev.event == s, i) for i, s in enumerate(dict.fromkeys(steps))], else_=len(steps)
        )
        ev = ev.mutate(
            rn=ibis.row_number().over(
                ibis.window(group_by=ev.user_id, order_by=[ev.event_time, rank_of, ev.event])
            )
        )
    else:
        ev = ev.filter(one_of(ev.event, steps + [x[0] for x in exclude or []]))
        ev = ev.mutate(rn=ibis.literal(0))

    if order == "ordered" and len(set(steps)) == len(steps):
        att = _ordered_attempts_window(ev, steps, wlit)
    elif order != "any":
        att = _ordered_attempts(ev, steps, wlit, order)
    reached = sum(att[f"t_{i}"].notnull().ifelse(1, 0) for i in range(1, n + 1))
    att = att.mutate(reached=reached)
    att = _exclusions(att, ev, exclude, n, wlit)
    return _count(
        src,
        att,
        steps,
        by,
        labels=[f"{k} of {n} steps" for k in range(1, n + 1)] if order == "any" else steps,
        exclusions=bool(exclude),
    )


def _ordered_attempts(ev: ibis.Table, steps: list[str], wlit: Any, order: str) -> ibis.Table:
    """One row per attempt with t_1..t_n (null once the attempt stops), greedy matching.

    Strict funnels also carry each matched event's number r_i, so the next step must be the
    user's very next event. The loop carries as few columns as it can: every step groups by
    them.
    """
    n = len(steps)
    strict = order == "strict"
    first = ev.filter(ev.event == steps[0])
    if strict:
        att = first.select(user_id=first.user_id, t1=first.event_time, r_1=first.rn).distinct()
    else:
        att = first.select(user_id=first.user_id, t1=first.event_time).distinct()
    for i in range(1, n):
        f = ev.filter(ev.event == steps[i])
        e = f.select(uid=f.user_id, t=f.event_time, r=f.rn)
        prev_t = att.t1 if i == 1 else att[f"t_{i}"]
        cond = (att.user_id == e.uid) & (e.t <= att.t1 + wlit)
        if strict:
            cond &= e.r == att[f"r_{i}"] + 1
        elif steps[i] in steps[:i]:
            cond &= e.t > prev_t
        else:
            cond &= e.t >= prev_t
        j = att.left_join(e, cond)
        # one group-by over the attempt's columns keeps the earliest match (no join back)
        if i == 1:
            t_next = j.t.min()
        else:
            t_next = ibis.ifelse(j[f"t_{i}"].isnull(), ibis.null("timestamp"), j.t).min()
        nxt = {f"t_{i + 1}": t_next}
        if strict:
            nxt[f"r_{i + 1}"] = j.r.min()
        att = j.group_by([j[c] for c in att.columns]).aggregate(**nxt)
    att = att.mutate(t_1=att.t1, r1=att.r_1 if strict else ibis.literal(0))
    return att


def _ordered_attempts_window(ev: ibis.Table, steps: list[str], wlit: Any) -> ibis.Table:
    """The greedy ordered match with one window pass over the step events (distinct steps).

    For every step event, a window gives the earliest event of each later step at or after it
    (ties in time taken in step order); an attempt follows these links with equi-joins.
    """
    n = len(steps)
    si = ibis.cases(*[(ev.event == name, i) for i, name in enumerate(steps)], else_=n)
    e = ev.filter(one_of(ev.event, steps)).select("user_id", "event", t=ev.event_time, si=si)
    after = ibis.window(group_by=e.user_id, order_by=[e.t, e.si], following=None, preceding=0)
    e = e.mutate(
        **{
            f"nx{k}": (e.event == steps[k]).ifelse(e.t, ibis.null("timestamp")).min().over(after)
            for k in range(1, n)
        }
    )
    first = e.filter(e.event == steps[0])
    att = first.select(
        user_id=first.user_id,
        t1=first.t,
        link=first.nx1,
        **{f"c{k}": first[f"nx{k}"] for k in range(2, n)},
    ).distinct()
    att = att.mutate(t_2=ibis.ifelse(att.link <= att.t1 + wlit, att.link, ibis.null("timestamp")))
    for k in range(2, n):
        # the step-k event reached from the step-(k-1) event at t_k: read its link to step k+1
        rows = e.filter(e.event == steps[k - 1]).select(uu=e.user_id, tt=e.t, nxt=e[f"nx{k}"])
        rows = rows.group_by(["uu", "tt"]).aggregate(nxt=rows.nxt.min())
        j = att.left_join(rows, (att.user_id == rows.uu) & (att[f"t_{k}"] == rows.tt))
        keep = [c for c in att.columns]
        att = j.select(
            *[j[c] for c in keep],
            **{f"t_{k + 1}": ibis.ifelse(j.nxt <= j.t1 + wlit, j.nxt, ibis.null("timestamp"))},
        ).view()
    return att.select("user_id", "t1", f"t_{2}", *[f"t_{k}" for k in range(3, n + 1)]).mutate(
        t_1=ibis._.t1, r1=ibis.literal(0)
    )


def _any_order_attempts(ev: ibis.Table, steps: list[str], wlit: Any, exclude: Any) -> ibis.Table:
    """Any order: each step event starts an attempt; t_k is the time of the k-th distinct step
    done within the window."""
    n = len(steps)
    if len(set(steps)) != n:
        raise ParamsError(f"An any-order funnel needs distinct step events; got {steps!r}.")
    e = ev.filter(one_of(ev.event, steps))
    e = e.mutate(s=ibis.cases(*[(e.event == name, i) for i, name in enumerate(steps)], else_=-1))
    anchors = e.select(user_id=e.user_id, t1=e.event_time).distinct().mutate(r1=ibis.literal(0))
    e2 = e.select(uid=e.user_id, t=e.event_time, s=e.s)
    j = anchors.inner_join(
        e2, (anchors.user_id == e2.uid) & (e2.t >= anchors.t1) & (e2.t <= anchors.t1 + wlit)
    )
    per = j.group_by([j.user_id, j.t1, j.r1, j.s]).aggregate(ts=j.t.min())
    per = per.mutate(
        k=ibis.row_number().over(
            ibis.window(group_by=[per.user_id, per.t1], order_by=[per.ts, per.s])
        )
    )
    return per.group_by(["user_id", "t1", "r1"]).aggregate(
        **{f"t_{i + 1}": per.ts.max(where=per.k == i) for i in range(n)}
    )


def _exclusions(att: ibis.Table, ev: ibis.Table, exclude: Any, n: int, wlit: Any) -> ibis.Table:
    """Flag attempts spoiled by an exclusion event between their from- and to-step."""
    for k, (name, a, b) in enumerate(exclude or []):
        if not (1 <= a < b <= n):
            raise ParamsError(f"exclude {(name, a, b)}: steps must satisfy 1 <= from < to <= {n}.")
        xs = ev.filter(ev.event == name)
        x = xs.select(xu=xs.user_id, xt=xs.event_time)
        until = ibis.coalesce(att[f"t_{b}"], att.t1 + wlit)
        hit = att.inner_join(
            x,
            (att.user_id == x.xu)
            & att[f"t_{a}"].notnull()
            & (x.xt > att[f"t_{a}"])
            & (x.xt < until),
        )
        flag = hit.select("user_id", "t1", "r1").distinct().mutate(**{f"x{k}": ibis.literal(1)})
        att = att.left_join(flag, ["user_id", "t1", "r1"]).select(att, flag[f"x{k}"])
    spoiled = ibis.literal(False)
    for k in range(len(exclude or [])):
        spoiled = spoiled | att[f"x{k}"].notnull()
    att = att.mutate(spoiled=spoiled)
    return att


def _count(
    src: Any,
    att: ibis.Table,
    steps: list[str],
    by: str | None,
    labels: list[str],
    exclusions: bool = False,
) -> pd.DataFrame:
    """Users per step from their best attempt (and conversion times), optionally by ``by``."""
    n = len(steps)
    # per user: the best attempt, and whether a clean attempt reaches as far
    best_w = ibis.window(
        group_by=att.user_id, order_by=[ibis.desc(att.reached), att.spoiled, att.t1]
    )
    if exclusions:
        ranked = att.mutate(
            pos=ibis.row_number().over(best_w),
            best_all=att.reached.max().over(ibis.window(group_by=att.user_id)),
            best_clean=att.spoiled.ifelse(0, att.reached)
            .max()
            .over(ibis.window(group_by=att.user_id)),
        )
        users = ranked.filter((ranked.pos == 0) & (ranked.best_clean >= ranked.best_all))
    else:
        ranked = att.mutate(pos=ibis.row_number().over(best_w))
        users = ranked.filter(ranked.pos == 0)
    users, keys = src.with_user_attribute(users, by)
    aggs: dict[str, ibis.Value] = {}
    for i in range(1, n + 1):
        aggs[f"n{i}"] = (users.reached >= i).ifelse(1, 0).sum()
        if i > 1:
            secs = wall_seconds(users[f"t_{i}"]) - wall_seconds(users[f"t_{i - 1}"])
            secs = (users.reached >= i).ifelse(secs, ibis.null("int64")).cast("float64")
            aggs[f"m{i}"] = secs.quantile(0.5)
            aggs[f"q{i}"] = secs.quantile(0.9)
    out = src.execute(users.group_by(keys).aggregate(**aggs) if keys else users.aggregate(**aggs))
    return _tidy(out, labels, keys)


def _tidy(out: pd.DataFrame, steps: list[str], keys: list[str]) -> pd.DataFrame:
    rows = []
    for rec in out.to_dict("records"):
        first = whole(rec["n1"])
        prev = first
        for i, name in enumerate(steps, start=1):
            users = whole(rec[f"n{i}"])

            def dur(v: Any) -> Any:
                return pd.NaT if v is None or pd.isna(v) else pd.Timedelta(seconds=float(v))

            rows.append(
                {
                    **{k: rec[k] for k in keys},
                    "step": i,
                    "event": name,
                    "users": users,
                    "conversion_from_first": users / first if first else np.nan,
                    "conversion_from_previous": users / prev if prev else np.nan,
                    "drop_off": prev - users if i > 1 else 0,
                    "median_time_from_previous": dur(rec.get(f"m{i}")) if i > 1 else pd.NaT,
                    "p90_time_from_previous": dur(rec.get(f"q{i}")) if i > 1 else pd.NaT,
                }
            )
            prev = users
    cols = [*keys, *FUNNEL_COLUMNS]
    df = pd.DataFrame(rows, columns=cols)
    if keys:
        df = df.sort_values([*keys, "step"], kind="stable")
    return df.reset_index(drop=True)


def new_user_funnel(
    data: Any,
    *,
    start: Any = None,
    end: Any = None,
    window: str | timedelta = "30D",
    by: str | None = None,
    until: Any = None,
) -> pd.DataFrame:
    """Register -> activate -> first order for users registered in [start, end].

    Activation is the first event named in params ``events.activation`` after registering;
    with no names set, the first active event on a later calendar day than the registration
    (the user came back). The first order is the first paid order at or after activation.
    Both must fall within ``window`` of the registration (elapsed time, as in :func:`funnel`)
    and before the end of ``until`` (default ``end``): pass a later ``until`` to give the
    signups of an earlier week their whole window, e.g. signups five weeks back and
    ``until`` the report's last day.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`funnel`, with steps registered, activated and first_order.
    """
    src = as_source(data, ("users", "events"))
    lo, last_signup = day_range(src, start, end)
    hi = max(last_signup, as_date(until)) if until is not None else last_signup
    w = ibis.interval(seconds=int(parse_window(window).total_seconds()))
    u = src.table("users")
    u = u.filter(on_days(u.registered_at, lo, last_signup))
    att = u.select(user_id=u.user_id, t1=u.registered_at, r1=ibis.literal(0))
    names = src.params.activation_events
    tz = src.params.timezone
    horizon = hi + timedelta(days=1)

    def clock(col: Any) -> Any:
        return elapsed_clock(col, tz, lo, horizon)

    # t: real-time clock for the window; day: wall-clock day for "came back on a later day".
    # Nothing before the first signup counts.
    if names:
        ev = src.table("events")
        ev = ev.filter(on_days(ev.event_time, lo, hi) & one_of(ev.event, names))
        e = ev.select(uid=ev.user_id, t=clock(ev.event_time), day=ev.event_time.date())
    else:
        e = _first_later_day(src, att, lo, hi)
        e = e.select(uid=e.uid, t=clock(e.t), day=e.day)
    att = att.mutate(day1=att.t1.date(), t1=clock(att.t1))
    cond = (att.user_id == e.uid) & (e.t <= att.t1 + w)
    cond &= (e.t >= att.t1) if names else (e.day > att.day1)
    j = att.left_join(e, cond)
    act = j.group_by([j.user_id, j.t1, j.r1]).aggregate(t_2=j.t.min())
    att = act.mutate(t_1=act.t1)
    if src.has("orders"):
        od = paid_orders(src)
        od = od.filter(on_days(od.order_time, lo, hi))
        o = od.select(ou=od.user_id, ot=clock(od.order_time))
        # no "t_2 is not null" here: a null t_2 fails ot >= t_2 anyway, and a condition on
        # the left side alone turns DuckDB's hash join into a nested loop (7 s at 1M users)
        j = att.left_join(o, (att.user_id == o.ou) & (o.ot >= att.t_2) & (o.ot <= att.t1 + w))
        att = j.group_by([j.user_id, j.t1, j.r1, j.t_1, j.t_2]).aggregate(t_3=j.ot.min())
    else:
        att = att.mutate(t_3=ibis.null("timestamp"))
    reached = sum(att[f"t_{i}"].notnull().ifelse(1, 0) for i in range(1, 4))
    att = att.mutate(reached=reached, spoiled=ibis.literal(False))
    steps = ["registered", "activated", "first_order"]
    return _count(src, att, steps, by, labels=steps)


def _first_later_day(src: Source, att: ibis.Table, lo: date, hi: date) -> ibis.Table:
    """``(uid, day, t)``: each signup's first active day after the day of registering (up to
    ``hi``) and the first active event of that day.

    Its first event comes before every event of the days after it, so it is the only
    candidate for activation: within the window it activates, past it nothing later can.
    The days come from :func:`active_days` (a report's shared activity), and only those
    user-days are looked up in the events.
    """
    days = active_days(src, lo, hi)
    reg = att.select(ru=att.user_id, day1=att.t1.date())
    later = reg.inner_join(days, (reg.ru == days.user_id) & (days.day > reg.day1))
    back = later.group_by(uid=later.ru).aggregate(day=later.day.min())
    ev = active_events(src)
    ev = ev.filter(on_days(ev.event_time, lo + timedelta(days=1), hi))
    ev = ev.select(eu=ev.user_id, at=ev.event_time, on=ev.event_time.date())
    j = back.inner_join(ev, (back.uid == ev.eu) & (back.day == ev.on))
    return j.group_by([j.uid, j.day]).aggregate(t=j.at.min())
