"""What a report's period covers: rows and users per table and per touchpoint.

A reader trusts a number once they know what it was computed from; the report's overview opens
with :func:`data_coverage`.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from .contract import TABLES
from .engine import as_date, check_range, on_days
from .source import Source, as_source

__all__ = ["data_coverage"]

COVERAGE_COLUMNS = ["table", "touchpoint", "rows", "users", "first", "last"]

#: the column that places a row of each table in time
TIME_COLUMNS = {
    spec.name: next(c.name for c in spec.columns if c.kind in ("timestamp", "date"))
    for spec in TABLES.values()
}


def data_coverage(data: Any, *, start: Any, end: Any) -> pd.DataFrame:
    """Rows and distinct users of every table on the days ``start`` to ``end``.

    Returns
    -------
    pandas.DataFrame
        Columns table, touchpoint, rows, users, first, last. One row per table of the source
        in contract order (touchpoint empty): rows whose time column (registered_at,
        event_time, order_time, ...) falls on those days, distinct user_id among them (NaN
        for tables without users), and the first and last time seen. When events have a
        touchpoint, one row per touchpoint follows the events row; the events row's users
        are then users de-duplicated across touchpoints (a user active in the community and
        the mini-program counts once), so it is at most the sum of the touchpoint rows.
    """
    src = as_source(data, "events")
    lo, hi = as_date(start), as_date(end)
    check_range(lo, hi)
    rows = []
    for name, time_col in TIME_COLUMNS.items():
        if not src.has(name):
            continue
        t = src.table(name)
        col = t[time_col]
        t = t.filter(on_days(col.cast("timestamp") if col.type().is_date() else col, lo, hi))
        if name == "events" and "touchpoint" in t.columns:
            rows.extend(_events_and_touchpoints(src, t))
            continue
        aggs: dict[str, Any] = {
            "rows": t.count(),
            "first": t[time_col].min(),
            "last": t[time_col].max(),
        }
        if "user_id" in t.columns:
            aggs["users"] = t.user_id.nunique()
        df = src.execute(t.aggregate(**aggs))
        df["table"] = name
        rows.append(df)
    out = pd.concat(rows, ignore_index=True).reindex(columns=COVERAGE_COLUMNS)
    out["touchpoint"] = out["touchpoint"].fillna("")
    out["rows"] = out["rows"].astype("int64")
    return out


def _events_and_touchpoints(src: Source, t: ibis.Table) -> list[pd.DataFrame]:
    """The events row and one row per touchpoint (most rows first), from one scan: per
    (touchpoint, user) first, then summed per touchpoint and over all (users de-duplicated
    across touchpoints)."""
    pairs = t.group_by(["touchpoint", "user_id"]).aggregate(
        n=t.count(), first=t.event_time.min(), last=t.event_time.max()
    )

    def totals(users: Any) -> dict[str, Any]:
        return {
            "rows": pairs.n.sum(),
            "users": users,
            "first": pairs["first"].min(),
            "last": pairs["last"].max(),
        }

    cols = ["whole", "touchpoint", "rows", "users", "first", "last"]
    whole = pairs.aggregate(**totals(pairs.user_id.nunique()))
    whole = whole.mutate(whole=True, touchpoint=ibis.null("string")).select(cols)
    per = pairs.group_by("touchpoint").aggregate(**totals(pairs.count()))
    per = per.filter(per.touchpoint.notnull()).mutate(whole=False).select(cols)
    df = src.execute(whole.union(per))
    # an empty period: the totals row is there with 0 rows (and NULL users on some engines)
    top = df[df["whole"].astype(bool)].drop(columns="whole").assign(table="events")
    top["rows"] = top["rows"].fillna(0)
    top["users"] = top["users"].fillna(0)
    tps = df[~df["whole"].astype(bool)].drop(columns="whole")
    tps = tps.sort_values("rows", ascending=False).assign(table="events")
    return [top, tps]
