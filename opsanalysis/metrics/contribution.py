"""Where a KPI's change came from: each part's share of the change, or mix and rate effects.

A KPI that moved is only actionable once the reader knows which channel (or other users
attribute) moved it. :func:`kpi_contribution` splits the change between the previous period and
``period`` over the parts of a users column, with the scorecard's own definitions
(:func:`~opsanalysis.metrics.monitor.kpi_series`), so the parts add up to the scorecard's
numbers.
"""

from __future__ import annotations

from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, on_days, one_of, paid_orders, period_start
from ..data.periods import Period, parse_period
from ..data.source import Source, as_source
from ..exceptions import ParamsError
from .monitor import first_full_period

__all__ = ["kpi_contribution", "main_contributor"]

#: metric -> (kind, numerator, denominator): counts are additive over parts; rates split into
#: a mix effect and a rate effect.
DECOMPOSABLE: dict[str, tuple[str, str, str | None]] = {
    "new_users": ("count", "new_users", None),
    "active_users": ("count", "active_users", None),
    "community_messages": ("count", "community_messages", None),
    "orders": ("count", "orders", None),
    "revenue": ("count", "revenue", None),
    "paying_users": ("count", "paying_users", None),
    "add_wecom_conversion": ("rate", "wecom_users", "active_users"),
    "content_read_rate": ("rate", "readers", "active_users"),
    "repeat_purchase_rate": ("rate", "repeat_users", "paying_users"),
}

CONTRIBUTION_COLUMNS = [
    "metric",
    "by",
    "part",
    "value",
    "previous",
    "change",
    "share",
    "weight",
    "previous_weight",
    "mix_effect",
    "rate_effect",
]

UNKNOWN_PART = "(unknown)"


def kpi_contribution(
    data: Any, metric: str, *, period: Period | str, by: str = "channel"
) -> pd.DataFrame:
    """Split the change of ``metric`` from the previous period to ``period`` over ``by``.

    Parameters
    ----------
    data
        A Source with users and the tables the metric needs (events, orders).
    metric
        A scorecard KPI of :data:`DECOMPOSABLE`: new_users, active_users, community_messages,
        orders, revenue, paying_users (counts); add_wecom_conversion, content_read_rate,
        repeat_purchase_rate (rates).
    period
        The period judged (``"2025-W45"``, ``"2025-10"``); it is compared with the one before.
    by
        A users column (default ``channel``); users without a value, and events or orders of
        users missing from the users table, form the part ``"(unknown)"``.

    When the data covers the previous period only in part (it starts inside it) or not at all
    (it lies wholly before the data), previous, change, share, previous_weight, mix_effect and
    rate_effect are NaN, never 0: a part-period is no baseline, and parts are then ordered by
    value.

    Returns
    -------
    pandas.DataFrame
        One row per part, largest absolute change first, columns metric, by, part, value,
        previous, change, share, weight, previous_weight, mix_effect, rate_effect.

        - Counts: value and previous are the part's count; change = value - previous;
          share = change / total change (the parts' shares sum to 1; negative when a part
          moved against the total). Weights and effects are NaN.
        - Rates: value and previous are the part's rate (numerator / denominator of the
          scorecard definition); weight = the part's share of the denominator. With ``R'``
          the previous total rate, ``w, r`` this period's and ``w', r'`` the previous
          period's weight and rate of a part: mix_effect = ``(w - w') (r' - R')`` (a part
          that grows and converts above average lifts the total), rate_effect = ``w (r - r')``;
          change = mix_effect + rate_effect, in rate units (0.01 = one percentage point), and
          the changes of all parts sum to the total change exactly. A part absent in the
          previous period has ``r' = R'``.
    """
    check_one_of("metric", metric, list(DECOMPOSABLE))
    src = as_source(data, "users")
    p = parse_period(period)
    if p.kind not in ("day", "week", "month", "quarter"):
        raise ParamsError(f"period must be a day, week, month or quarter; got {p.label}.")
    src.check_user_column(by)
    kind, num, den = DECOMPOSABLE[metric]
    prev = p.previous()
    parts = _parts(src, metric, by, prev, p)
    now, before = parts.get(p.start, pd.DataFrame()), parts.get(prev.start, pd.DataFrame())
    frame = pd.concat({"now": now, "before": before}, axis=1).fillna(0.0)
    first_full = first_full_period(src, p.kind)
    # the data covers the previous period only in part, or not at all: it has no value
    uncovered = first_full is None or prev.start < first_full
    out = pd.DataFrame(index=frame.index)
    if kind == "count":
        out["value"] = frame[("now", num)] if ("now", num) in frame else 0.0
        out["previous"] = frame[("before", num)] if ("before", num) in frame else 0.0
        out["change"] = out["value"] - out["previous"]
        total = out["change"].sum()
        out["share"] = out["change"] / total if total else np.nan
        for c in ("weight", "previous_weight", "mix_effect", "rate_effect"):
            out[c] = np.nan
    else:
        assert den is not None
        n1, d1 = _col(frame, "now", num), _col(frame, "now", den)
        n0, d0 = _col(frame, "before", num), _col(frame, "before", den)
        total_now = n1.sum() / d1.sum() if d1.sum() else np.nan
        total_before = n0.sum() / d0.sum() if d0.sum() else np.nan
        out["value"] = n1 / d1.where(d1 > 0)
        out["previous"] = n0 / d0.where(d0 > 0)
        out["weight"] = d1 / d1.sum() if d1.sum() else 0.0
        out["previous_weight"] = d0 / d0.sum() if d0.sum() else 0.0
        r_prev = out["previous"].fillna(total_before)
        out["mix_effect"] = (out["weight"] - out["previous_weight"]) * (r_prev - total_before)
        out["rate_effect"] = out["weight"] * (out["value"].fillna(0.0) - r_prev)
        out.loc[out["weight"] == 0, "rate_effect"] = 0.0
        out["change"] = out["mix_effect"] + out["rate_effect"]
        total = total_now - total_before
        out["share"] = out["change"] / total if total == total and total else np.nan
    if uncovered:  # nothing to compare with: no previous value, change or share (not 0)
        for c in ("previous", "change", "share", "previous_weight", "mix_effect", "rate_effect"):
            out[c] = np.nan
    out = out.reset_index(names="part")
    out.insert(0, "by", by)
    out.insert(0, "metric", metric)
    order = out["change"].abs() if not uncovered else out["value"].abs()
    out = out.reindex(order.sort_values(ascending=False, kind="stable").index)
    return out[CONTRIBUTION_COLUMNS].reset_index(drop=True)


def main_contributor(contribution: pd.DataFrame) -> pd.Series | None:
    """The part that contributes most to the total change (the largest share in the
    direction of the change), or None when nothing moved."""
    moved = contribution.dropna(subset=["share"])
    moved = moved[moved["share"] > 0]
    if moved.empty:
        return None
    return moved.loc[moved["share"].idxmax()]


def _col(frame: pd.DataFrame, side: str, name: str) -> pd.Series:
    return frame[(side, name)] if (side, name) in frame else pd.Series(0.0, index=frame.index)


def _parts(src: Source, metric: str, by: str, prev: Period, p: Period) -> dict[Any, pd.DataFrame]:
    """Numerator and denominator of ``metric`` per period start and part, for the two periods."""
    kind, lo, hi = p.kind, prev.start, p.last_day
    users = src.table("users")
    attr = users.select(uid=users.user_id, part=users[by].cast("string"))

    def with_part(t: ibis.Table, col: str) -> ibis.Table:
        t = t.filter(on_days(t[col], lo, hi))
        t = t.mutate(p=period_start(t[col].date(), kind))
        j = t.left_join(attr, t.user_id == attr.uid)
        return j.mutate(part=j.part.fill_null(UNKNOWN_PART))

    def run(t: ibis.Table, **aggs: Any) -> pd.DataFrame:
        out = src.execute(t.group_by(["p", "part"]).aggregate(**aggs))
        out["p"] = pd.to_datetime(out["p"]).dt.date
        return out.set_index(["p", "part"])

    frames = []
    if metric == "new_users":
        u = users.filter(on_days(users.registered_at, lo, hi))
        u = u.mutate(
            p=period_start(u.registered_at.date(), kind),
            part=u[by].cast("string").fill_null(UNKNOWN_PART),
        )
        frames.append(run(u, new_users=u.count()))
    if metric in ("active_users", "add_wecom_conversion", "content_read_rate"):
        ad = active_days(src, lo, hi)
        j = ad.left_join(attr, ad.user_id == attr.uid)
        j = j.mutate(p=period_start(j.day, kind), part=j.part.fill_null(UNKNOWN_PART))
        frames.append(run(j, active_users=j.user_id.nunique()))
    if metric in ("community_messages", "add_wecom_conversion", "content_read_rate"):
        ev = src.table("events")
        names = src.params.community_events
        if metric == "community_messages":
            hit = ev.event.isin(names["message"])
            if "touchpoint" in ev.columns:
                hit &= ev.touchpoint == "community"
            j = with_part(ev.filter(hit), "event_time")
            frames.append(run(j, community_messages=j.count()))
        else:
            wanted = (
                names["add_wecom"]
                if metric == "add_wecom_conversion"
                else src.params.content_events["read"]
            )
            j = with_part(ev.filter(one_of(ev.event, wanted)), "event_time")
            col = "wecom_users" if metric == "add_wecom_conversion" else "readers"
            frames.append(run(j, **{col: j.user_id.nunique()}))
    if metric in ("orders", "revenue", "paying_users", "repeat_purchase_rate"):
        od = paid_orders(src)
        firsts = od.group_by("user_id").aggregate(first=od.order_time.min())
        o = od.inner_join(firsts, "user_id")
        j = with_part(o, "order_time")
        frames.append(
            run(
                j,
                orders=j.count(),
                revenue=j.amount.sum(),
                paying_users=j.user_id.nunique(),
                repeat_users=j.user_id.nunique(where=j["first"].date() < j.p),
            )
        )
    both = pd.concat(frames, axis=1).astype(float) if frames else pd.DataFrame()
    return {start: part.droplevel("p") for start, part in both.groupby(level="p")}
