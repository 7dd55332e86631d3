"""Service levels: did service answer within the response target (48 hours in the documents)?

Computed in the engine from the ``tickets`` table; nothing after the end of ``end`` counts, so
a past week's figure never changes when more data arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import whole
from ..data.engine import day_range, elapsed_clock, midnight, on_days, wall_seconds
from ..data.source import as_source
from ..exceptions import ParamsError
from .funnel import parse_window

__all__ = ["service_levels"]  # ticket_outcomes is shared with metrics.monitor

SERVICE_COLUMNS = [
    "tickets",
    "answered_within",
    "answered_late",
    "unanswered",
    "pending",
    "response_rate",
    "median_first_response",
    "p90_first_response",
    "target",
    "completion",
]


_OUTCOMES = ("answered_within", "answered_late", "unanswered", "pending")


def ticket_outcomes(
    t: ibis.Table, cutoff: ibis.Value, window: timedelta, clock: Callable[[Any], Any]
) -> dict[str, ibis.Value]:
    """Each ticket's outcome at ``cutoff`` (a literal, or a column per row): boolean
    answered_within / answered_late / unanswered / pending, and ``secs`` (first-response time in
    seconds of elapsed time, null when not answered before the cut-off). ``clock`` moves
    wall-clock times onto real time (:func:`~opsanalysis.data.engine.elapsed_clock`)."""
    limit = window.total_seconds()
    given = t.first_response_at.notnull() & (t.first_response_at < cutoff)
    secs = wall_seconds(clock(t.first_response_at)) - wall_seconds(clock(t.created_at))
    secs = given.ifelse(secs, ibis.null("int64")).cast("float64")
    over = clock(t.created_at) + ibis.interval(seconds=int(limit)) <= clock(cutoff)
    return {
        "answered_within": given & (secs <= limit),
        "answered_late": given & (secs > limit),
        "unanswered": ~given & over,
        "pending": ~given & ~over,
        "secs": secs,
    }


def service_levels(
    data: Any,
    *,
    start: Any = None,
    end: Any = None,
    within: str | timedelta = "48h",
    by: str | None = None,
) -> pd.DataFrame:
    """First-response service levels of the tickets created on the days ``start`` to ``end``.

    Parameters
    ----------
    data
        A Source with ``tickets`` (created_at, first_response_at).
    start, end
        Days the tickets were created (inclusive; ``end`` defaults to the last data day).
    within
        The response target: ``"48h"``, ``"2d"``, ``"30min"``.
    by
        A tickets column to split by (e.g. ``touchpoint``), or None for one row.

    Returns
    -------
    pandas.DataFrame
        One row (per ``by`` group), columns [by], tickets, answered_within, answered_late,
        unanswered, pending, response_rate, median_first_response, p90_first_response,
        target, completion.

    Notes
    -----
    Let ``cutoff`` be the end of ``end`` (midnight after it); a response given at or after
    ``cutoff`` is treated as not given yet. For each ticket created at ``c``:

    - answered_within: answered and ``first_response_at - c <= within`` (a reply exactly at
      48 h is within), a hit even when the window is not over at ``cutoff``;
    - answered_late: answered after more than ``within``;
    - unanswered: not answered and ``c + within <= cutoff`` (its window is over);
    - pending: not answered and its window not over at ``cutoff`` (neither hit nor miss).

    response_rate = answered_within / (answered_within + answered_late + unanswered), NaN
    when that is 0. median / p90_first_response: of the answered tickets (timedelta).
    Durations are elapsed time between the instants (across a daylight-saving change too).
    target: params ``targets.response_rate`` (NaN when unset); completion = rate / target.
    """
    src = as_source(data, "tickets")
    window = parse_window(within)
    t = src.table("tickets")
    if by is not None and by not in t.columns:
        raise ParamsError(
            f"by={by!r} is not a column of table 'tickets'; it has {', '.join(t.columns)}."
        )
    lo, hi = day_range(src, start, end, first=t.created_at)
    cutoff = midnight(hi + timedelta(days=1))
    t = t.filter(on_days(t.created_at, lo, hi))
    tz = src.params.timezone
    horizon = hi + timedelta(days=window.days + 2)

    def clock(col: Any) -> Any:
        return elapsed_clock(col, tz, lo, horizon)

    outcome = ticket_outcomes(t, ibis.literal(cutoff), window, clock)
    secs = outcome["secs"]
    keys = [by] if by else []
    aggs = {
        "tickets": t.count(),
        **{k: outcome[k].ifelse(1, 0).sum() for k in _OUTCOMES},
        "median": secs.quantile(0.5),
        "p90": secs.quantile(0.9),
    }
    expr = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    out = src.execute(expr)
    if out.empty or (not keys and whole(out["tickets"].iloc[0]) == 0):
        out = pd.DataFrame([{c: 0 for c in aggs}]) if not keys else out
        out["median"] = out["p90"] = np.nan
    for c in ("tickets", "answered_within", "answered_late", "unanswered", "pending"):
        out[c] = out[c].fillna(0).astype("int64")
    decided = out["answered_within"] + out["answered_late"] + out["unanswered"]
    out["response_rate"] = (out["answered_within"] / decided.where(decided > 0)).astype(float)
    out["median_first_response"] = pd.to_timedelta(out["median"], unit="s")
    out["p90_first_response"] = pd.to_timedelta(out["p90"], unit="s")
    target = src.params.targets.get("response_rate", np.nan)
    out["target"] = float(target)
    out["completion"] = out["response_rate"] / out["target"]
    if keys:
        out = out.sort_values(keys, kind="stable")
    return out[[*keys, *SERVICE_COLUMNS]].reset_index(drop=True)
