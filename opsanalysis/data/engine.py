"""Engine helpers every analysis shares: one calendar, one day filter, one date-range rule.

Everything here builds Ibis expressions (the engine runs them) or resolves dates in Python
from :mod:`~opsanalysis.data.periods`. Analyses import these instead of writing them again:

- :func:`on_days` is *the* half-open day filter: ``midnight(lo) <= col < midnight(hi + 1 day)``
  on wall-clock timestamps in the params time zone.
- :func:`last_day` and :func:`day_range` are the "end defaults to the last data day" rule.
- :func:`period_start` and :func:`period_index` are the calendar as Ibis expressions; their
  Python twins are :func:`~opsanalysis.data.periods.period_start_date` and
  :func:`~opsanalysis.data.periods.shift_start`.
- :func:`active_events`, :func:`paid_orders` and :func:`active_days` are the canonical subsets
  of events and orders the params define; :func:`share_activity` computes the active days
  once for a report, and :func:`shared_days` hands them to analyses that join to them.
- :func:`users_per_period` and :func:`distinct_counts_by_flag` count small sets (periods,
  event types) as the bits of one integer per user where the engine has ``bit_or``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from ..exceptions import ParamsError

if TYPE_CHECKING:
    from .source import Source

__all__: list[str] = []  # internal helpers: nothing here is re-exported by opsanalysis


def midnight(d: date) -> datetime:
    """The wall-clock timestamp at the start of day ``d`` (for half-open time filters).

    >>> midnight(date(2025, 11, 17))
    datetime.datetime(2025, 11, 17, 0, 0)
    """
    return datetime.combine(d, time())


def as_date(value: Any) -> date:
    """A date from a date, datetime, pandas Timestamp or ISO string.

    >>> as_date("2025-11-17 08:30")
    datetime.date(2025, 11, 17)
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        # ISO dates only: pandas would also read 'yesterday' or 'now' (relative to today)
        text = value.strip()
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            raise ParamsError(
                f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-11-23."
            ) from None
    return pd.Timestamp(value).date()


def on_days(col: ibis.TimestampValue, lo: date | None, hi: date | None) -> ibis.BooleanValue:
    """``col`` falls on the days ``lo`` to ``hi``, both inclusive (either end may be open).

    The filter is half-open on timestamps: ``midnight(lo) <= col < midnight(hi + 1 day)``.
    """
    cond: ibis.BooleanValue = ibis.literal(True)
    if lo is not None:
        cond = col >= ibis.literal(midnight(lo))
    if hi is not None:
        upper = col < ibis.literal(midnight(hi + timedelta(days=1)))
        cond = upper if lo is None else cond & upper
    return cond


def one_of(col: ibis.StringValue, names: list[str]) -> ibis.BooleanValue:
    """``col`` is one of ``names``: the filter on event names every scan of the events uses.

    Written as "the list contains col" rather than ``col IN (...)``: DuckDB runs ``IN`` over
    a string column as a chain of comparisons after the scan, about twice as slow as the list
    lookup (13 weeks of the 1M-user demo: 0.8 s against 0.3 s). A single name is ``=``,
    which DuckDB filters inside the scan.
    """
    names = list(dict.fromkeys(names))
    if not names:
        return ibis.literal(False)
    if len(names) == 1:
        return col == names[0]
    return ibis.array(names).contains(col)


def last_day(src: Source, end: Any, *, start: Any = None) -> date:
    """``end`` as a date, or the last day with data when ``end`` is None.

    Raises
    ------
    ParamsError
        ``start`` is given and falls after that day.
    """
    hi = as_date(end) if end is not None else src.last_timestamp().date()
    if start is not None:
        check_range(as_date(start), hi)
    return hi


def check_range(lo: date, hi: date, what: str = "end") -> None:
    """Refuse a range whose end comes before its start (instead of an empty answer)."""
    if hi < lo:
        raise ParamsError(
            f"{what} {hi} is before start {lo}; give a start on or before the {what}."
        )


def day_range(
    src: Source, start: Any, end: Any, *, first: ibis.TimestampValue | None = None
) -> tuple[date, date]:
    """Resolve ``[start, end]`` (days inclusive) with the defaults every analysis uses.

    ``end`` defaults to the last day with data, ``start`` to the first day of ``first`` (the
    events' ``event_time`` unless given).

    Raises
    ------
    ParamsError
        ``end`` is before ``start``.
    """
    hi = last_day(src, end)
    if start is None:
        col = first if first is not None else src.table("events").event_time
        lo = as_date(src.execute(col.min()))
    else:
        lo = as_date(start)
    check_range(lo, hi)
    return lo, hi


# --------------------------------------------------------------------------------------------
# The calendar as Ibis expressions (the Python side lives in periods)


def period_start(d: ibis.DateValue, period: str, week_start: str = "monday") -> ibis.DateValue:
    """Start date of the period containing date ``d`` (weeks from Monday, or Sunday)."""
    if period == "day":
        return d
    if period == "week":
        if week_start == "sunday":  # the Sunday week of d is the Monday week of d + 1 day, - 1
            return (d + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1)
        return d.truncate("W")
    return d.truncate("M" if period == "month" else "Q")


def period_index(d: ibis.DateValue, period: str) -> ibis.IntegerValue:
    """A running number of the period starting on ``d``: consecutive periods differ by 1."""
    if period in ("day", "week"):
        days = d.delta(ibis.date(1970, 1, 5), unit="day")  # 1970-01-05 is a Monday
        return days if period == "day" else (days / 7).floor().cast("int64")
    months = d.year().cast("int64") * 12 + d.month().cast("int64") - 1
    return months if period == "month" else (months / 3).floor().cast("int64")


# --------------------------------------------------------------------------------------------
# Canonical subsets


def active_events(src: Source) -> ibis.Table:
    """Events that count as activity: params ``events.active`` (every event when unset)."""
    ev = src.table("events")
    names = src.params.active_events
    if names is None:
        return ev
    src.warn_if_nothing_matches(
        "events", "event", names, "events.active", "Activity (DAU, WAU, retention) will be 0."
    )
    return ev.filter(one_of(ev.event, names))


def paid_orders(src: Source) -> ibis.Table:
    """Orders whose status is one of params ``orders.paid_statuses`` (all, with no status)."""
    od = src.table("orders")
    if "status" in od.columns:
        paid = src.params.paid_statuses
        src.warn_if_nothing_matches(
            "orders", "status", paid, "orders.paid_statuses", "Orders and revenue will be 0."
        )
        od = od.filter(od.status.isin(paid))
    return od


def active_days(src: Source, lo: date | None, hi: date) -> ibis.Table:
    """Distinct ``(user_id, day)`` with an active event on the days ``lo`` to ``hi``.

    Read from the source's shared activity when a report computed it (:func:`share_activity`),
    else from the events.
    """
    shared = shared_days(src, lo, hi)
    if shared is not None:
        return shared
    ev = active_events(src)
    ev = ev.filter(on_days(ev.event_time, lo, hi))
    return ev.select(user_id=ev.user_id, day=ev.event_time.date()).distinct()


def shared_days(src: Source, lo: date | None, hi: date) -> ibis.Table | None:
    """``(user_id, day)`` of a report's shared activity on the days ``lo`` to ``hi``; None
    when there is none. For an analysis that needs only the days of some users' events (a
    join to signups, say): without the shared table it joins the events directly, which
    costs less than a distinct pass of its own."""
    t = src.shared_activity
    if t is None:
        return None
    return t.filter(t.day <= hi if lo is None else (t.day >= lo) & (t.day <= hi))


def active_day_gaps(src: Source, hi: date) -> ibis.Table:
    """``(user_id, day, next_day)``: the active days up to ``hi`` after which a user was silent
    for more than params ``churn.silent_days`` days, with their next active day (null when
    there is none up to ``hi``). The gaps behind silent and reactivated users.

    In a report the gaps are computed once from the shared activity (their first use keeps
    them in the engine: a window over user and day, a fifth of the activity's rows); for a
    ``hi`` before the data's end a later next day reads as none. That is exact for every
    period start ``p <= hi``: a short gap cut at ``hi`` starts too late to make anyone silent
    at ``p``.
    """
    silent = src.params.churn.silent_days
    shared = src.shared_activity
    if shared is not None:
        if src.shared_gaps is None:
            src.shared_gaps = src.keep(_gaps(shared, silent), "gaps")
        if src.shared_gaps is not None:
            t = src.shared_gaps.filter(src.shared_gaps.day <= hi)
            later = t.next_day > ibis.literal(hi)
            return t.select("user_id", "day", next_day=later.ifelse(ibis.null("date"), t.next_day))
    return _gaps(active_days(src, None, hi), silent)


def _gaps(days: ibis.Table, silent: int) -> ibis.Table:
    w = ibis.window(group_by=days.user_id, order_by=days.day)
    t = days.select("user_id", "day", next_day=days.day.lead().over(w))
    return t.filter(t.next_day.isnull() | (t.next_day.delta(t.day, unit="day") > silent))


def share_activity(src: Source) -> None:
    """Compute the per-user, per-day activity once, for every section of a report.

    One pass over the active events makes a table kept in the engine (a temporary table on
    DuckDB, a cached temporary view on Spark): the distinct ``(user_id, day)`` with an active
    event, the very pass ``bench/bench_report.py`` measures a report against.
    :func:`active_days`, :func:`shared_days` and :func:`active_day_gaps` then read it
    instead of the events, so DAU, WAU, stickiness, lifecycle, tiers, cohort and new-user
    retention, channel D1/D7, reactivation, at-risk, content reach, value-activity layers,
    the new-user funnel and the monitor share one pass. Analyses called on their own still
    read the events.

    Nothing else is kept per day: no section needs an event count, and every aggregate
    costs the pass (at 1M users 2.3 s; with the first event time per day 2.6 s; with the
    first, the last and a count 3.1 s). The new-user funnel looks up the first event of the
    one day per signup it needs; registration cohorts, which need event times, read the
    events.
    """
    if src.shared_activity is not None or not src.has("events"):
        return
    # a backend that cannot keep it: the sections read the events
    ev = active_events(src)
    days = ev.select(user_id=ev.user_id, day=ev.event_time.date()).distinct()
    src.shared_activity = src.keep(days, "activity")


# --------------------------------------------------------------------------------------------
# Durations between instants (buckets stay wall-clock)


def utc_offset_changes(tz: str, lo: date, hi: date) -> list[tuple[datetime, int]]:
    """The UTC offsets (seconds) of ``tz`` from ``lo`` to ``hi``, as wall-clock start points.

    The first item is ``(midnight(lo - 2 days), offset)``; each later one is the wall-clock
    time (in the offset before the change) at which a new offset starts. A zone without
    daylight saving gives one item.

    >>> [(str(t), o) for t, o in utc_offset_changes("America/Los_Angeles",
    ...                                                date(2026, 3, 1), date(2026, 3, 15))]
    [('2026-02-27 00:00:00', -28800), ('2026-03-08 02:00:00', -25200)]
    """
    first = midnight(lo - timedelta(days=2))
    grid = pd.date_range(first, midnight(hi + timedelta(days=3)), freq="15min", tz="UTC")
    local = grid.tz_convert(tz)
    offsets = (local.tz_localize(None) - grid.tz_localize(None)).total_seconds().astype(int)
    out = [(first, int(offsets[0]))]
    for i in range(1, len(offsets)):
        if offsets[i] != offsets[i - 1]:
            change = grid[i].tz_localize(None) + pd.Timedelta(seconds=int(offsets[i - 1]))
            out.append((change.to_pydatetime(), int(offsets[i])))
    return out


def elapsed_clock(col: ibis.TimestampValue, tz: str, lo: date, hi: date) -> ibis.TimestampValue:
    """Wall-clock timestamps in ``tz`` moved onto a clock that runs in real time.

    Differences between two such values are elapsed time between the instants, also across a
    daylight-saving change (07:10 PST on 1 March to 07:27 PDT on 15 March is 13 d 23 h 17 min);
    the values equal the wall clock under the zone's offset at ``lo``, so in a zone without
    daylight saving (or without a change from ``lo`` to ``hi``) this is ``col`` itself. Use
    it for durations (conversion windows, rolling days, response times), never for day
    buckets. A wall-clock time repeated when clocks fall back is read as its first occurrence.
    """
    changes = utc_offset_changes(tz, lo, hi)
    if len(changes) == 1:
        return col
    base = changes[0][1]
    branches = []
    for (_, off), (starts, _) in zip(changes[:-1], changes[1:], strict=True):
        shift = col - ibis.interval(seconds=off - base) if off != base else col
        branches.append((col < ibis.literal(starts), shift))
    last = changes[-1][1]
    return ibis.cases(*branches, else_=col - ibis.interval(seconds=last - base))


def elapsed_between(earlier: Any, later: Any, tz: str) -> pd.Timedelta:
    """Elapsed real time between two wall-clock times in ``tz`` (the Python twin of
    :func:`elapsed_clock`).

    >>> str(elapsed_between("2026-03-01 07:10", "2026-03-15 07:27", "America/Los_Angeles"))
    '13 days 23:17:00'
    """

    def instant(value: Any) -> pd.Timestamp:
        ts = pd.Timestamp(value)
        return ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")

    return instant(later) - instant(earlier)


def wall_seconds(col: ibis.TimestampValue) -> ibis.IntegerValue:
    """Seconds from 1970-01-01 00:00 to the wall-clock timestamp ``col``, read as written.

    The same number on every engine: ``epoch_seconds()`` reads a time-zone-less timestamp as
    UTC on DuckDB but in the session time zone on Spark, so differences across a
    daylight-saving change would disagree by an hour. Subtract two of these (after
    :func:`elapsed_clock`) for a duration.
    """
    days = col.date().delta(ibis.date(1970, 1, 1), unit="day").cast("int64")
    return (
        days * 86400
        + col.hour().cast("int64") * 3600
        + col.minute().cast("int64") * 60
        + col.second().cast("int64")
    )


# --------------------------------------------------------------------------------------------
# Small sets per group as the bits of one integer

#: Backends whose SQL has the aggregate ``bit_or`` and the function ``bit_count``.
BITWISE_BACKENDS = ("duckdb", "pyspark")


@ibis.udf.agg.builtin(name="bit_or")
def _bit_or(x: int) -> int:  # type: ignore[empty-body]
    """The SQL aggregate bit_or (DuckDB; Spark SQL 3.0 on)."""


@ibis.udf.scalar.builtin(name="bit_count")
def _bit_count(x: int) -> int:  # type: ignore[empty-body]
    """The SQL function bit_count (DuckDB; Spark SQL 3.0 on)."""


def distinct_counts_by_flag(
    src: Source,
    t: ibis.Table,
    by: str,
    column: str,
    flags: dict[str, Callable[[ibis.Table], ibis.BooleanValue]],
    values_from: ibis.Table | None = None,
) -> ibis.Table | None:
    """``(by, *flags)``: for each value of ``by``, how many distinct values of ``column`` its
    rows of ``t`` have among the rows where each flag holds.

    Each distinct value of ``column`` (asked first, of ``values_from`` when given: a table
    holding at least the values of ``t`` that is quicker to ask, such as the whole column,
    which DuckDB answers from its dictionaries) is one bit of a 64-bit integer, so one
    group-by per ``by`` value with ``bit_or`` replaces grouping by ``(by, column)``: at 1M
    users, the event types each user used in two halves of 28 days take 0.7 s instead of
    1.4 s on DuckDB. None where that does not hold, and the caller groups by pairs: a
    backend without ``bit_or`` / ``bit_count``, a null among the values, or more than 62 of
    them.
    """
    if getattr(src.backend, "name", "") not in BITWISE_BACKENDS:
        return None
    ask = t if values_from is None else values_from
    values = src.execute(ask.select(column).distinct())[column].tolist()
    if not 0 < len(values) <= 62 or any(pd.isna(v) for v in values):
        return None
    bits = ibis.memtable(
        pd.DataFrame({"_value": values, "_bit": [1 << i for i in range(len(values))]})
    )
    j = t.inner_join(bits, t[column] == bits["_value"])
    masks = j.group_by(by).aggregate(
        **{name: _bit_or(flag(j).ifelse(j["_bit"], 0)) for name, flag in flags.items()}
    )
    return masks.select(by, **{name: _bit_count(masks[name]).cast("int64") for name in flags})


def _period_number(
    d: ibis.DateValue, kind: str, first: date
) -> tuple[ibis.IntegerValue, ibis.BooleanValue]:
    """The number of the period of ``d`` counted from the one starting on ``first`` (0), and
    whether ``d`` is on or after ``first``. The difference of two :func:`period_index`, in
    whole numbers: it runs on every row of the events (13 weeks at 1M users: 0.15 s less
    than dividing in doubles)."""
    if kind in ("day", "week"):
        days = d.delta(ibis.literal(first), unit="day").cast("int64")
        return (days if kind == "day" else days // 7), days >= 0
    months = (d.year().cast("int64") - first.year) * 12 + d.month().cast("int64") - first.month
    return (months if kind == "month" else months // 3), months >= 0


def users_per_period(
    src: Source,
    t: ibis.Table,
    day: Callable[[ibis.Table], ibis.DateValue],
    kind: str,
    starts: list[date],
    flags: dict[str, Callable[[ibis.Table], ibis.BooleanValue]],
) -> pd.DataFrame:
    """Distinct ``user_id`` of ``t`` per period and flag: index the period starts ``starts``
    (consecutive periods of ``kind``, the period of a row is that of ``day(t)``), a column per
    flag counting the users with a row in the period where the flag holds (0 for none).

    On DuckDB and Spark each period is a bit: one group-by per user ORs the bits of their
    rows (a mask per flag), then one pass over the users counts each bit. That replaces a
    distinct (period, user) count: at 1M users, weekly active users of 13 weeks from the
    shared activity take 0.2 s instead of 0.7 s. At most 52 periods (each bit exact also
    where the engine takes a remainder in doubles); more, or another backend: a distinct
    count per period.
    """
    n = len(starts)
    if getattr(src.backend, "name", "") in BITWISE_BACKENDS and 0 < n <= 52:
        k, after = _period_number(day(t), kind, starts[0])
        # the bit once per row (a column of its own), then a mask per flag and user
        one = ibis.literal(1).cast("int64")  # a 64-bit 1: Spark shifts a plain 1 as an int
        t = t.mutate(_bit=(after & (k < n)).ifelse(one << k, 0))
        masks = t.group_by("user_id").aggregate(
            **{name: _bit_or(flag(t).ifelse(t["_bit"], 0)) for name, flag in flags.items()}
        )
        counts = {
            f"{name}__{j}": ((masks[name] % (2 ** (j + 1))) >= 2**j).ifelse(1, 0).sum()
            for name in flags
            for j in range(n)
        }
        row = src.execute(masks.aggregate(**counts)).iloc[0]
        data = {name: [row[f"{name}__{j}"] for j in range(n)] for name in flags}
        out = pd.DataFrame(data, index=pd.Index(starts, name="p"))
    else:
        t = t.mutate(p=period_start(day(t), kind))
        aggs = {name: t.user_id.nunique(where=flag(t)) for name, flag in flags.items()}
        got = src.execute(t.group_by("p").aggregate(**aggs))
        got["p"] = pd.to_datetime(got["p"]).dt.date
        out = got.set_index("p").reindex(pd.Index(starts, name="p"))
    return out.fillna(0).astype("int64")
