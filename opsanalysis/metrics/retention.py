"""Cohort retention, computed in the engine.

Users enter a cohort in a period (their first start event, every period with a start event,
or their registration) and count as retained in later periods in which they did a return
event. Only events up to the end of ``end`` count, so a past period's figures never change.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import (
    active_days,
    as_date,
    elapsed_between,
    elapsed_clock,
    last_day,
    on_days,
    one_of,
    period_index,
    period_start,
    shared_days,
    wall_seconds,
)
from ..data.periods import period_start_date, shift_start
from ..data.source import Source, as_source
from ..exceptions import ParamsError

__all__ = [
    "cohort_retention",
    "retention_matrix",
    "new_user_retention",
    "summarise_new_user_retention",
]

PERIODS = ("day", "week", "month", "quarter")


def _names(value: str | list[str] | None, src: Source) -> list[str] | None:
    if value is None:
        return src.params.active_events
    return [value] if isinstance(value, str) else list(value)


def _events(src: Source, names: list[str] | None, end: date) -> ibis.Table:
    ev = src.table("events")
    ev = ev.filter(on_days(ev.event_time, None, end))
    return ev if names is None else ev.filter(one_of(ev.event, names))


def _shared(src: Source, names: str | list[str] | None) -> bool:
    """Events ``names`` are the active events, so a report's shared activity serves them."""
    return src.shared_activity is not None and _names(names, src) == src.params.active_events


def _started_before(
    src: Source, start_ev: ibis.Table, names: str | list[str] | None, day: date
) -> ibis.Table:
    """``user_id`` of the users with a start event before ``day``."""
    eve = day - timedelta(days=1)
    if _shared(src, names):
        t = active_days(src, None, eve)
    else:
        t = start_ev.filter(on_days(start_ev.event_time, None, eve))
    return t.select("user_id").distinct()


def _bracket_labels(brackets: list[int]) -> list[tuple[str, int, int]]:
    out, lo = [], 1
    for width in brackets:
        if width < 1:
            raise ParamsError(f"brackets={brackets}: every bracket must span at least one day.")
        hi = lo + width - 1
        out.append((f"D{lo}" if lo == hi else f"D{lo}-{hi}", lo, hi))
        lo = hi + 1
    return out


def cohort_retention(
    data: Any,
    *,
    period: str = "week",
    start: date | str | None = None,
    end: date | str | None = None,
    cohort: str = "first",
    start_event: str | list[str] | None = None,
    return_event: str | list[str] | None = None,
    kind: str = "on",
    brackets: list[int] | None = None,
    by: str | None = None,
    max_periods: int | None = None,
    week_start: str = "monday",
) -> pd.DataFrame:
    """Retention of each cohort in each later period.

    Parameters
    ----------
    data
        A Source with events (and users for ``cohort="registered"`` or ``by``).
    period
        day, week (Monday start; ``week_start="sunday"`` for Sunday weeks), month or quarter.
    start, end
        Cohorts whose period starts inside [start, end]; no event after the end of day
        ``end`` counts. Defaults: the first and last day in the data.
    cohort
        ``first``: the period of the user's first start event ever (users whose first start
        event is before ``start`` are in no cohort); ``recurring``: every period in which the
        user did a start event; ``registered``: the period of ``registered_at``.
    start_event, return_event
        Event name(s) that start a cohort and that count as coming back (default: params
        ``events.active``, every event when unset).
    kind
        ``on``: retained in period k if a return event falls in period k; ``on_or_after``: in
        period k or any later one up to ``end``.
    brackets
        With period="day": day buckets after day 0, e.g. [1, 6, 23] gives D1, D2-7, D8-30.
    by
        A users column (e.g. channel) to split every cohort by.
    max_periods
        Leave out period numbers above this.

    Returns
    -------
    pandas.DataFrame
        Columns cohort (period start, datetime64), the ``by`` column if given, period_number
        (int; ``bracket`` with its label instead when brackets are given), cohort_size,
        retained_users, retention (retained_users / cohort_size, NaN for an empty cohort) and
        complete (False when the period had not fully ended at ``end``). One row per cohort
        and every period that had started by ``end``. Period 0 holds the cohort size for
        ``first`` and ``recurring``; for ``registered`` it counts users with a return event
        in the cohort period at or after registering.
    """
    check_one_of("period", period, PERIODS)
    check_one_of("cohort", cohort, ["first", "recurring", "registered"])
    check_one_of("kind", kind, ["on", "on_or_after"])
    check_one_of("week_start", week_start, ["monday", "sunday"])
    if brackets is not None and period != "day":
        raise ParamsError("brackets need period='day' (they are day ranges such as D2-7).")
    src = as_source(data, "events")
    end_d = last_day(src, end, start=start)
    start_ev = _events(src, _names(start_event, src), end_d)
    ret = _events(src, _names(return_event, src), end_d)
    if start is None:
        start_d = as_date(src.execute(start_ev.event_time.min()))
    else:
        start_d = as_date(start)
    first_start = period_start_date(start_d, period, week_start)
    lo, hi = ibis.literal(first_start), ibis.literal(end_d)

    def pstart(ts: ibis.TimestampValue) -> ibis.DateValue:
        return period_start(ts.date(), period, week_start)

    # distinct (user, period) first, as the engine notes advise: joins then work on
    # user-periods, not on raw events; tmax lets a registration cohort count period 0 only
    # from the registration on
    def unit(d: ibis.DateValue) -> ibis.DateValue:
        return d if brackets is not None else period_start(d, period, week_start)

    # only periods from the first cohort's on count (p >= c >= first_start); a user's first
    # start before them is asked for by an anti-join below, not by grouping all history.
    # A registration cohort needs the time of the last return event (tmax), which the
    # shared activity does not keep.
    if _shared(src, return_event) and cohort != "registered":
        da = active_days(src, first_start, end_d)  # a report's one pass over the events
        acts = da.select(user_id=da.user_id, p=unit(da.day))
        acts = acts if brackets is not None else acts.distinct()  # per day: distinct already
    else:
        ret = ret.filter(on_days(ret.event_time, first_start, None))
        acts = ret.group_by(user_id=ret.user_id, p=unit(ret.event_time.date())).aggregate(
            tmax=ret.event_time.max()
        )
    with ExitStack() as kept:  # acts and members, kept in the engine for two queries
        acts = kept.enter_context(src.materialized(acts))
        # members: one row per (user, cohort period)
        if cohort == "registered":
            u = src.table("users")
            members = u.select(user_id=u.user_id, c=pstart(u.registered_at), t0=u.registered_at)
            members = members.filter(on_days(members.t0, None, end_d))
        else:
            if _names(start_event, src) == _names(return_event, src):
                # start and return events are the same: one pass over the events serves both
                starts = acts.select("user_id", c=acts.p)
            else:
                later = start_ev.filter(on_days(start_ev.event_time, first_start, None))
                starts = later.select(user_id=later.user_id, c=pstart(later.event_time))
                starts = starts.distinct()
            if cohort == "first":
                starts = starts.group_by("user_id").aggregate(c=starts.c.min())
                if start is not None:  # a start event before the first cohort: in none
                    before = _started_before(src, start_ev, start_event, first_start)
                    starts = starts.anti_join(before, "user_id")
            members = starts
        members = members.filter((members.c >= lo) & (members.c <= hi))
        members, by_keys = src.with_user_attribute(members, by)
        members = kept.enter_context(src.materialized(members))
        keys = ["c", *by_keys]
        sizes = src.execute(members.group_by(keys).aggregate(cohort_size=members.count()))

        j = members.inner_join(acts, members.user_id == acts.user_id)
        if cohort == "registered":  # period 0 counts from the registration on
            j = j.filter(
                (j.p > j.c) | ((j.p == j.c) & (j.tmax >= j.t0))
                if brackets is None
                else (j.p > j.t0.date()) | ((j.p == j.t0.date()) & (j.tmax >= j.t0))
            )
        else:
            j = j.filter(j.p >= j.c)
        if brackets is not None:
            k = j.p.delta(j.c, unit="day")
            if kind == "on":
                # a user counts once per bracket: map the day to the bracket's first day
                spans = [(0, 0)] + [(a, b) for _, a, b in _bracket_labels(brackets)]
                k = ibis.cases(*[((k >= a) & (k <= b), a) for a, b in spans], else_=None)
        else:
            k = period_index(j.p, period) - period_index(j.c, period)
        hits = j.select(*[j[c] for c in keys], user_id=j.user_id, k=k)
        hits = hits.filter(hits.k.notnull())
        if brackets is not None:
            hits = hits.distinct()  # several days fall in one bracket
        if kind == "on":
            counts = src.execute(hits.group_by([*keys, "k"]).aggregate(users=hits.count()))
        else:
            last = hits.group_by([*keys, "user_id"]).aggregate(k=hits.k.max())
            counts = src.execute(last.group_by([*keys, "k"]).aggregate(users=last.count()))
    return _assemble(
        sizes, counts, keys, by, period, week_start, end_d, cohort, kind, brackets, max_periods
    )


def _assemble(
    sizes, counts, keys, by, period, week_start, end_d, cohort, kind, brackets, max_periods
) -> pd.DataFrame:
    for df in (sizes, counts):
        df["c"] = pd.to_datetime(df["c"]).dt.date
    counts["k"] = counts["k"].astype("int64")
    rows = []
    hit = {tuple(r[:-1]): int(r[-1]) for r in counts[[*keys, "k", "users"]].itertuples(index=False)}
    by_cohort: dict[tuple, dict[int, int]] = {}
    for key_and_k, users in hit.items():
        by_cohort.setdefault(key_and_k[:-1], {})[key_and_k[-1]] = users
    for rec in sizes.sort_values(keys, kind="stable").itertuples(index=False):
        key = tuple(getattr(rec, c) if c != "c" else rec.c for c in keys)
        c0, size = rec.c, int(rec.cohort_size)
        ks = by_cohort.get(key, {})
        if kind == "on_or_after":  # users whose last return is at k or later
            cum, acc = {}, 0
            for kk in sorted(ks, reverse=True):
                acc += ks[kk]
                cum[kk] = acc
            levels = sorted(cum)

            def at_least(k: int, cum=cum, levels=levels) -> int:
                later = [lv for lv in levels if lv >= k]
                return cum[later[0]] if later else 0

        if brackets is not None:
            spans = [("D0", 0, 0), *_bracket_labels(brackets)]
            for label, a, b in spans:
                if c0 + timedelta(days=a) > end_d:
                    break
                if kind == "on":
                    n = ks.get(a, 0)  # hits carry the first day of their bracket
                    if a == 0 and cohort != "registered":
                        n = size
                else:
                    n = size if (a == 0 and cohort != "registered") else at_least(a)
                rows.append(
                    {
                        **_key_dict(keys, key, by),
                        "bracket": label,
                        "cohort_size": size,
                        "retained_users": n,
                        "complete": c0 + timedelta(days=b) <= end_d,
                    }
                )
            continue
        k = 0
        while shift_start(c0, period, k) <= end_d and (max_periods is None or k <= max_periods):
            if k == 0 and cohort != "registered":
                n = size
            elif kind == "on":
                n = ks.get(k, 0)
            else:
                n = at_least(k)
            complete = shift_start(c0, period, k + 1) <= end_d + timedelta(days=1)
            rows.append(
                {
                    **_key_dict(keys, key, by),
                    "period_number": k,
                    "cohort_size": size,
                    "retained_users": n,
                    "complete": complete,
                }
            )
            k += 1
    label_col = "bracket" if brackets is not None else "period_number"
    cols = [
        "cohort",
        *([by] if by else []),
        label_col,
        "cohort_size",
        "retained_users",
        "retention",
        "complete",
    ]
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "retention"])
    if out.empty:
        return pd.DataFrame(columns=cols)
    out["cohort"] = pd.to_datetime(out["cohort"])
    size = out["cohort_size"].astype(float)
    out["retention"] = np.where(size > 0, out["retained_users"] / size.where(size > 0, 1), np.nan)
    out["complete"] = out["complete"].astype(bool)
    return out[cols].reset_index(drop=True)


def _key_dict(keys: list[str], key: tuple, by: str | None) -> dict[str, Any]:
    d = {"cohort": key[0]}
    if by:
        d[by] = key[1]
    return d


def retention_matrix(
    retention: pd.DataFrame, *, mean: str = "weighted", values: str = "retention"
) -> pd.DataFrame:
    """Pivot :func:`cohort_retention` to the cohort x period triangle with a mean row.

    The mean row is ``weighted`` (sum of retained users / sum of cohort sizes over the complete
    cells of each column; the default) or ``simple`` (mean of the complete cells'
    retention). Empty cohorts never enter either mean. Incomplete cells stay in the matrix.
    ``values="complete"`` gives the same triangle of the ``complete`` flags instead (the mean
    row is True), so a chart can mark the cells of periods that had not ended.
    """
    check_one_of("mean", mean, ["weighted", "simple"])
    check_one_of("values", values, ["retention", "complete"])
    col = "bracket" if "bracket" in retention.columns else "period_number"
    m = retention.pivot_table(
        index="cohort", columns=col, values=values, aggfunc="first", sort=False
    )
    if col == "period_number":
        m = m.reindex(columns=sorted(m.columns))
    if values == "complete":
        m.loc["mean"] = True
        m.index = [i.date() if isinstance(i, pd.Timestamp) else i for i in m.index]
        m.index.name = "cohort"
        return m
    ok = retention[retention["complete"] & (retention["cohort_size"] > 0)]
    if mean == "weighted":
        g = ok.groupby(col, sort=False)
        row = g["retained_users"].sum() / g["cohort_size"].sum()
    else:
        row = ok.groupby(col, sort=False)["retention"].mean()
    m.loc["mean"] = row.reindex(m.columns)
    m.index = [i.date() if isinstance(i, pd.Timestamp) else i for i in m.index]
    m.index.name = "cohort"
    return m


def new_user_retention(
    data: Any,
    *,
    days: tuple[int, ...] = (1, 7, 30),
    period: str = "day",
    start: date | str | None = None,
    end: date | str | None = None,
    by: str | None = None,
    window: str = "calendar",
) -> pd.DataFrame:
    """D1 / D7 / D30 retention of new users per signup day or week.

    A user registered at time r is retained on day N when they did an active event on the
    calendar day N days after the day of r (``window="calendar"``, days in the params time
    zone), or within [r + N*24h, r + (N+1)*24h) of real time (``window="rolling"``: across a
    daylight-saving change a day of the window is still 24 hours).

    Returns
    -------
    pandas.DataFrame
        Columns cohort (signup day or week start), the ``by`` column if given, day (N),
        new_users, retained_users, retention, complete (False while day N of some user in the
        cohort has not ended by the end of ``end``: the calendar day N, or with ``rolling``
        the 24 hours from registration + N x 24 h, of the cohort's last registration).
    """
    check_one_of("period", period, ["day", "week"])
    check_one_of("window", window, ["calendar", "rolling"])
    src = as_source(data, ("events", "users"))
    tz = src.params.timezone
    end_d = last_day(src, end, start=start)
    src.check_user_column(by)
    u = src.table("users")
    u = u.filter(on_days(u.registered_at, None, end_d))
    ev = _events(src, src.params.active_events, end_d)
    cols = [by] if by else []
    members = u.select(
        "user_id", "registered_at", *cols, c=period_start(u.registered_at.date(), period)
    )
    if start is not None:  # cohorts whose period starts inside [start, end]
        members = members.filter(members.c >= ibis.literal(as_date(start)))
    sizes = src.execute(members.group_by(["c", *cols]).aggregate(new_users=members.count()))
    if window == "calendar":
        # calendar days are all this window asks: a report's shared activity has them
        active = shared_days(src, as_date(start) if start is not None else None, end_d)
        e2 = (
            active.select(uid=active.user_id, d=active.day)
            if active is not None
            else ev.select(uid=ev.user_id, d=ev.event_time.date())
        )
        j = members.inner_join(e2, members.user_id == e2.uid)
        n = j.d.delta(j.registered_at.date(), unit="day")
    else:  # whole 24-hour steps of real time from the registration instant
        e2 = ev.select(uid=ev.user_id, t=ev.event_time)
        j = members.inner_join(e2, members.user_id == e2.uid)
        first = as_date(start) if start is not None else None
        if first is None:
            first_reg = src.execute(members.registered_at.min())
            first = end_d if first_reg is None or pd.isna(first_reg) else as_date(first_reg)
        t = elapsed_clock(j.t, tz, first, end_d)
        secs = wall_seconds(t) - wall_seconds(elapsed_clock(j.registered_at, tz, first, end_d))
        n = (secs / 86400).floor().cast("int64")
    hits = j.select("c", *cols, "user_id", n=n).filter(lambda t: t.n.isin(list(days))).distinct()
    counts = src.execute(hits.group_by(["c", *cols, "n"]).aggregate(retained_users=hits.count()))
    last_reg = src.execute(members.group_by("c").aggregate(last=members.registered_at.max()))
    # a cell is complete when every user's window for that day has ended by the end of `end`
    end_ts = pd.Timestamp(end_d) + pd.Timedelta(days=1)
    last_reg_at = {pd.Timestamp(r.c).date(): pd.Timestamp(r.last) for r in last_reg.itertuples()}

    def complete(c0: date, d: int) -> bool:
        last = last_reg_at[c0]
        if window == "rolling":  # the last user's day d runs to last + (d + 1) x 24 real hours
            return bool(pd.Timedelta(days=d + 1) <= elapsed_between(last, end_ts, tz))
        return bool(last.normalize() + pd.Timedelta(days=d + 1) <= end_ts)

    rows = []
    hit = {
        (pd.Timestamp(r[0]).date(), *r[1:-1]): int(r[-1])
        for r in counts[["c", *cols, "n", "retained_users"]].itertuples(index=False)
    }
    for rec in sizes.itertuples(index=False):
        c0 = pd.Timestamp(rec.c).date()
        extra = {by: getattr(rec, by)} if by else {}
        for d in days:
            key = (c0, *extra.values(), d)
            rows.append(
                {
                    "cohort": c0,
                    **extra,
                    "day": d,
                    "new_users": int(rec.new_users),
                    "retained_users": hit.get(key, 0),
                    "complete": complete(c0, d),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(
            columns=["cohort", *cols, "day", "new_users", "retained_users", "retention", "complete"]
        )
    out = out.sort_values(["cohort", *cols, "day"], kind="stable").reset_index(drop=True)
    out["cohort"] = pd.to_datetime(out["cohort"])
    out["retention"] = out["retained_users"] / out["new_users"]
    return out[["cohort", *cols, "day", "new_users", "retained_users", "retention", "complete"]]


def summarise_new_user_retention(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Pool :func:`new_user_retention` over cohorts: retention per day (and ``by`` group).

    Returns
    -------
    pandas.DataFrame
        Columns [by], day, new_users (all cohorts, complete or not), retention (weighted over
        the complete cells only: sum retained / sum new users; NaN when none is complete).
    """
    keys = [by] if by else []
    done = df[df["complete"]]
    g = done.groupby([*keys, "day"])
    ret = (g["retained_users"].sum() / g["new_users"].sum()).rename("retention")
    size = df.groupby([*keys, "day"])["new_users"].sum()
    out = pd.concat([size, ret], axis=1).reset_index()
    return out[[*keys, "day", "new_users", "retention"]]
