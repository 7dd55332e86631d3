"""What a report's period covers: rows and users per table and per touchpoint.

A reader trusts a number once they know what it was computed from; the report's overview opens
with :func:`data_coverage`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .contract import TABLES
from .engine import as_date, check_range, on_days
from .source import as_source

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
        aggs: dict[str, Any] = {
            "rows": t.count(),
            "first": t[time_col].min(),
            "last": t[time_col].max(),
        }
        if "user_id" in t.columns:
            aggs["users"] = t.user_id.nunique()
        keys: list[list[str]] = [[]] + (
            [["touchpoint"]] if name == "events" and "touchpoint" in t.columns else []
        )
        for by in keys:
            expr = t.group_by(by).aggregate(**aggs) if by else t.aggregate(**aggs)
            df = src.execute(expr)
            if by:
                df = df.dropna(subset=["touchpoint"]).sort_values("rows", ascending=False)
            df["table"] = name
            rows.append(df)
    out = pd.concat(rows, ignore_index=True).reindex(columns=COVERAGE_COLUMNS)
    out["touchpoint"] = out["touchpoint"].fillna("")
    out["rows"] = out["rows"].astype("int64")
    return out
