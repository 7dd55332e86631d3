"""Content performance: reach, read rate and engagement of items, compared at the same age.

Counts keep growing for days after an item is published, so items are compared at a fixed age:
interactions count up to ``age_days`` after publication and never after the end of ``until``
(default ``end``: a past week's figures never change). Rates use distinct users, never event
counts, and name their denominator. Computed in the engine from ``content`` and ``events``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, as_date, day_range, elapsed_clock, midnight, on_days, one_of
from ..data.source import as_source
from ..exceptions import ParamsError

__all__ = ["content_performance", "pool_content", "rank_content", "top_content"]

ACTIONS = ("read", "like", "comment", "share", "save")
_COUNTS = ["reachable", "readers", "reads", "likers", "commenters", "sharers", "savers", "shares"]
_RATES = [
    "read_rate",
    "like_rate",
    "comment_rate",
    "share_rate",
    "save_rate",
    "engagement_rate",
    "shares_per_reader",
]


def _rates(df: pd.DataFrame) -> pd.DataFrame:
    readers = df["readers"].where(df["readers"] > 0)
    df["read_rate"] = df["readers"] / df["reachable"].where(df["reachable"] > 0)
    for col, rate in (
        ("likers", "like_rate"),
        ("commenters", "comment_rate"),
        ("sharers", "share_rate"),
        ("savers", "save_rate"),
    ):
        df[rate] = df[col] / readers
    engaged = df["likers"] + df["commenters"] + df["sharers"] + df["savers"]
    df["engagement_rate"] = engaged / readers
    df["shares_per_reader"] = df["shares"] / readers
    df[_RATES] = df[_RATES].astype(float)
    return df


def content_performance(
    data: Any,
    *,
    start: Any = None,
    end: Any = None,
    by: str = "content_id",
    min_readers: int = 50,
    age_days: int = 7,
    until: Any = None,
) -> pd.DataFrame:
    """Reach and engagement of the items published on the days ``start`` to ``end``.

    Parameters
    ----------
    data
        A Source with ``content`` (content_id, published_at; type, title, touchpoint) and
        ``events`` carrying ``content_id``.
    start, end
        Publication days (inclusive; ``end`` defaults to the last data day).
    by
        ``content_id`` (a row per item), ``type`` or ``touchpoint`` (pooled groups).
    min_readers
        Items with fewer readers are marked ``enough_readers=False`` (too few to rank).
    age_days
        Interactions count from publication up to this many days later (24-hour days of
        elapsed time), and never after the end of ``until``.
    until
        The last day whose interactions count (default ``end``): pass the report's last day
        to see last week's items at their full age.

    Returns
    -------
    pandas.DataFrame
        Per item: content_id, title, type, touchpoint (those the table has), published_at,
        complete, then the counts and rates below. Per group: the ``by`` column, items,
        complete_items, then the counts and rates pooled over the complete items.

    Notes
    -----
    Which events mean read / like / comment / share / save is params ``content``
    (default view_content, like, comment, share, favorite); an interaction belongs to the item
    whose ``content_id`` it carries.

    - reachable: users who could have read the item: distinct users with an active event in
      the params ``churn.churned_days`` (30) days before the publication day (not churned).
    - readers: distinct users who read it; reads: read events.
    - likers, commenters, sharers, savers: distinct users doing each; shares: share events.
    - read_rate = readers / reachable; like_rate, comment_rate, share_rate, save_rate =
      distinct users doing it / readers; engagement_rate = (likers + commenters + sharers +
      savers) / readers (the sum of those four rates); shares_per_reader = shares / readers.
      An item without readers has NaN engagement rates.
    - complete: False when the item is younger than ``age_days`` at the end of ``until``;
      such items are shown but left out of group figures, so groups compare items at one age.
    - Groups pool: summed numerators / summed denominators over their complete items
      (:func:`pool_content`).
    """
    check_one_of("by", by, ["content_id", "type", "touchpoint"])
    if int(age_days) < 1:
        raise ParamsError(f"age_days={age_days!r} must be a whole number of days, at least 1.")
    src = as_source(data, ("content", "events"))
    c = src.table("content")
    if by != "content_id" and by not in c.columns:
        raise ParamsError(
            f"by={by!r} is not a column of table 'content'; it has {', '.join(c.columns)}."
        )
    lo, hi = day_range(src, start, end, first=c.published_at)
    last = hi if until is None else as_date(until)
    if last < hi:
        raise ParamsError(
            f"until={last} is before end={hi}: interactions must be counted at least up to the "
            "last publication day. Leave until out, or pass a day on or after end."
        )
    cutoff = midnight(last + timedelta(days=1))
    tz = src.params.timezone
    horizon = last + timedelta(days=int(age_days) + 1)

    def clock(col: Any) -> Any:
        return elapsed_clock(col, tz, lo, horizon)

    items = c.filter(on_days(c.published_at, lo, hi))
    age = ibis.interval(seconds=int(age_days) * 86400)
    items = items.mutate(
        pub_day=items.published_at.date(),
        complete=clock(items.published_at) + age <= clock(ibis.literal(cutoff)),
    )
    names = src.params.content_events
    ev = src.table("events")
    if "content_id" not in ev.columns:
        raise ParamsError(
            "content_performance needs a content_id column in table 'events' (the item an "
            "interaction belongs to); map yours in params (columns: {events: {...: content_id}})."
        )
    wanted = sorted({n for action in ACTIONS for n in names[action]})
    ev = ev.filter(
        ev.content_id.notnull()
        & one_of(ev.event, wanted)
        & on_days(ev.event_time, lo, None)
        & (ev.event_time < ibis.literal(cutoff))
    )
    e = ev.select(uid=ev.user_id, cid=ev.content_id, t=ev.event_time, event=ev.event)
    it = items.select(content_id=items.content_id, pub=items.published_at)
    j = it.inner_join(
        e,
        (it.content_id == e.cid) & (e.t >= it.pub) & (clock(e.t) < clock(it.pub) + age),
    )

    def did(action: str) -> Any:
        return j.event.isin(names[action])

    per = j.group_by(j.content_id).aggregate(
        readers=j.uid.nunique(where=did("read")),
        reads=did("read").ifelse(1, 0).sum(),
        likers=j.uid.nunique(where=did("like")),
        commenters=j.uid.nunique(where=did("comment")),
        sharers=j.uid.nunique(where=did("share")),
        savers=j.uid.nunique(where=did("save")),
        shares=did("share").ifelse(1, 0).sum(),
    )
    keep = [col for col in ("title", "type", "touchpoint") if col in c.columns]
    full = items.left_join(per, items.content_id == per.content_id).select(
        items.content_id,
        *[items[k] for k in keep],
        items.published_at,
        items.complete,
        items.pub_day,
        *[per[k] for k in _COUNTS if k != "reachable"],
    )
    df = src.execute(full.order_by([full.published_at, full.content_id]))
    pub_days = pd.to_datetime(df["pub_day"]).dt.date
    df["reachable"] = pub_days.map(_reachable(src, sorted(set(pub_days))))
    for col in _COUNTS:
        df[col] = df[col].fillna(0).astype("int64")
    df["complete"] = df["complete"].astype(bool)
    if by == "content_id":
        df = _rates(df)
        df["enough_readers"] = df["readers"] >= int(min_readers)
        cols = ["content_id", *keep, "published_at", "complete", *_COUNTS, *_RATES]
        cols.append("enough_readers")
        return df[cols].reset_index(drop=True)
    return pool_content(df, by)


def _reachable(src: Any, days: list[date]) -> dict[date, int]:
    """Users active in the params ``churn.churned_days`` days before each of ``days``.

    One pass over the activity: a flag per user and day ("active in that day's window"),
    then their sums; a range join of days to activity would count each active day once per
    window it falls in, 30 times over.
    """
    churned = src.params.churn.churned_days
    out: dict[date, int] = {}
    for at in range(0, len(days), 60):  # at most 60 flags per query
        chunk = days[at : at + 60]
        ad = active_days(src, chunk[0] - timedelta(days=churned), chunk[-1] - timedelta(days=1))
        flags = {
            f"d{i}": ((ad.day >= d - timedelta(days=churned)) & (ad.day < d)).any()
            for i, d in enumerate(chunk)
        }
        per_user = ad.group_by(ad.user_id).aggregate(**flags)
        sums = {k: per_user[k].ifelse(1, 0).sum() for k in flags}
        row = src.execute(per_user.aggregate(**sums)).iloc[0]
        out.update(
            {d: int(row[f"d{i}"]) if pd.notna(row[f"d{i}"]) else 0 for i, d in enumerate(chunk)}
        )
    return out


def pool_content(
    items: pd.DataFrame, by: str = "type", *, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """The items of :func:`content_performance` pooled by ``by``, over those published on
    ``start`` to ``end`` (both optional, inclusive).

    Returns the ``by`` column, items, complete_items, then the counts and rates of
    :func:`content_performance` as summed numerators / summed denominators over the
    complete items (a group without complete items has NaN rates).
    """
    if by not in items.columns:
        raise ParamsError(
            f"by={by!r} is not a column of the items; they have {', '.join(items.columns)}."
        )
    df = _published_on(items, start, end)
    df[by] = df[by].astype(object).where(df[by].notna(), "(none)")
    done = df[df["complete"]]
    groups = sorted(df[by].unique(), key=str)
    pooled = done.groupby(by)[_COUNTS].sum().reindex(groups, fill_value=0)
    pooled.insert(0, "complete_items", done.groupby(by).size().reindex(groups, fill_value=0))
    pooled.insert(0, "items", df.groupby(by).size().reindex(groups, fill_value=0))
    out = _rates(pooled.reset_index().rename(columns={"index": by}))
    out[["items", "complete_items", *_COUNTS]] = out[["items", "complete_items", *_COUNTS]].astype(
        "int64"
    )
    return out[[by, "items", "complete_items", *_COUNTS, *_RATES]]


def _published_on(items: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    day = pd.to_datetime(items["published_at"]).dt.date
    keep = pd.Series(True, index=items.index)
    if start is not None:
        keep &= day >= as_date(start)
    if end is not None:
        keep &= day <= as_date(end)
    return items[keep].copy()


def rank_content(
    items: pd.DataFrame,
    *,
    n: int = 5,
    rank_by: str = "engagement_rate",
    start: Any = None,
    end: Any = None,
) -> pd.DataFrame:
    """The ``n`` items with the highest ``rank_by`` among the items of
    :func:`content_performance` published on ``start`` to ``end`` with enough readers (ties:
    more readers first); a ``rank`` column first."""
    check_one_of("rank_by", rank_by, list(_RATES))
    df = _published_on(items, start, end)
    ok = df[df["enough_readers"]]
    ranked = ok.sort_values([rank_by, "readers"], ascending=[False, False], kind="stable")
    out = ranked.head(int(n)).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def top_content(
    data: Any,
    *,
    start: Any = None,
    end: Any = None,
    n: int = 5,
    min_readers: int = 50,
    age_days: int = 7,
    rank_by: str = "engagement_rate",
    until: Any = None,
) -> pd.DataFrame:
    """The ``n`` items with the highest ``rank_by`` among items with at least ``min_readers``
    readers (the rows of :func:`content_performance`, ranked by :func:`rank_content`)."""
    check_one_of("rank_by", rank_by, list(_RATES))
    items = content_performance(
        data, start=start, end=end, min_readers=min_readers, age_days=age_days, until=until
    )
    return rank_content(items, n=n, rank_by=rank_by)
