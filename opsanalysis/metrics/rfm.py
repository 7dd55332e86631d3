"""RFM: recency, frequency and monetary value per user, and their 1..bins scores.

The per-user table is aggregated in the engine from ``orders``; scoring works on that table
(one row per buyer) with exact integer arithmetic, so ties are scored the same everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import ibis
import numpy as np
import pandas as pd

from ..data._checks import check_one_of
from ..data.engine import active_days, as_date, on_days, paid_orders
from ..data.params import Params, load_params
from ..data.source import as_source
from ..exceptions import ParamsError

__all__ = ["rfm_table", "rfm_score", "score_distribution", "value_activity_table"]

RFM_COLUMNS = [
    "user_id",
    "recency",
    "frequency",
    "monetary",
    "first_order",
    "last_order",
    "tenure_days",
    "median_days_between",
]
SCORE_COLUMNS = ["r_score", "f_score", "m_score", "rfm_code"]
_CODES = np.array([f"{i:03d}" for i in range(1000)], dtype=object)  # "111" ... "999"


def _days_between(later: ibis.DateValue, earlier: ibis.DateValue) -> ibis.IntegerValue:
    """Whole calendar days from ``earlier`` to ``later`` (both dates, so backends agree)."""
    return later.delta(earlier, unit="day")


def rfm_table(data: Any, *, as_of: date | str, window: int | str | None = None) -> pd.DataFrame:
    """One row per user with a paid order in the window ending on ``as_of``.

    Parameters
    ----------
    data
        A Source with ``orders`` (or an orders DataFrame / Ibis table).
    as_of
        The day the table describes; orders up to the end of that day count (wall clock in the
        params time zone).
    window
        Days of history that count, ending on ``as_of`` (``365``, ``"365D"``); None: all history
        (params ``rfm.window_days``).

    Returns
    -------
    pandas.DataFrame
        Sorted by user_id, columns:

        - user_id
        - recency: whole days from the date of the last paid order to ``as_of`` (0 = today).
        - frequency: number of paid orders (params ``orders.paid_statuses``; refunded excluded).
        - monetary: total paid amount (rounded to 6 decimals, so that floating-point
          summation order cannot change ties between users).
        - first_order, last_order: timestamps of the first and last paid order in the window.
        - tenure_days: whole days from the date of the first paid order to ``as_of``.
        - median_days_between: median of the gaps in days between consecutive distinct order
          dates (NaN with a single order date); the repurchase cycle of value tiers.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "user_id": [7, 7, 8],
    ...     "order_time": ["2025-11-01 10:00", "2025-11-11 09:00", "2025-11-20 18:00"],
    ...     "amount": [50.0, 30.0, 20.0]})
    >>> rfm_table(orders, as_of="2025-11-23")[["user_id", "recency", "frequency", "monetary"]]
       user_id  recency  frequency  monetary
    0        7       12          2      80.0
    1        8        3          1      20.0
    """
    src = as_source(data, "orders")
    day = as_date(as_of)
    window = src.params.rfm["window_days"] if window is None else window
    od = paid_orders(src)
    first = None
    if window is not None:
        days = int(str(window).rstrip("dD"))
        if days < 1:
            raise ParamsError(f"window={window!r} must be a positive number of days, e.g. 365.")
        first = day - timedelta(days=days - 1)
    od = od.filter(on_days(od.order_time, first, day))
    as_of_lit = ibis.literal(day)
    per_user = od.group_by("user_id").aggregate(
        frequency=od.count(),
        # rounded so that the summation order (it differs between engines and runs) can
        # never split a tie
        monetary=od.amount.sum().round(6),
        first_order=od.order_time.min(),
        last_order=od.order_time.max(),
    )
    per_user = per_user.mutate(
        recency=_days_between(as_of_lit, per_user.last_order.date()),
        tenure_days=_days_between(as_of_lit, per_user.first_order.date()),
    )
    # repurchase cycle: gaps between consecutive distinct order dates
    days_ = od.select(user_id=od.user_id, d=od.order_time.date()).distinct()
    w = ibis.window(group_by=days_.user_id, order_by=days_.d)
    gaps = days_.mutate(prev=days_.d.lag().over(w))
    gaps = gaps.filter(gaps.prev.notnull())
    gaps = gaps.mutate(gap=_days_between(gaps.d, gaps.prev).cast("float64"))
    med = gaps.group_by("user_id").aggregate(median_days_between=gaps.gap.median())
    joined = per_user.left_join(med, "user_id").select(
        per_user.user_id,
        "recency",
        "frequency",
        "monetary",
        "first_order",
        "last_order",
        "tenure_days",
        "median_days_between",
    )
    out = src.execute(joined.order_by("user_id"))
    for col in ("recency", "frequency", "tenure_days"):
        out[col] = out[col].astype("int64")
    out["monetary"] = out["monetary"].astype("float64")
    out["median_days_between"] = out["median_days_between"].astype("float64")
    return out[RFM_COLUMNS]


def _quantile_scores(values: np.ndarray, bins: int, higher_is_better: bool) -> np.ndarray:
    """1 + floor(bins * (users strictly worse) / n); ties share a score."""
    n = len(values)
    if (
        np.issubdtype(values.dtype, np.integer)
        and values.min() >= 0
        and values.max() < 4 * n + 1024
    ):
        # small non-negative integers (days, order counts): count, no sort needed
        counts = np.bincount(values)
        below = np.concatenate([[0], np.cumsum(counts)[:-1]])  # users with a smaller value
        worse = below[values] if higher_is_better else n - below[values] - counts[values]
    else:
        order = np.argsort(values)
        ordered = values[order]
        side: Literal["left", "right"] = "left" if higher_is_better else "right"
        position = np.searchsorted(ordered, ordered, side=side)  # sorted queries: cache friendly
        worse = np.empty(n, dtype=np.int64)
        worse[order] = position if higher_is_better else n - position
    return 1 + (bins * worse.astype(np.int64)) // n


def _threshold_scores(values: np.ndarray, cuts: list[float], higher_is_better: bool) -> np.ndarray:
    cuts_arr = np.asarray(sorted(cuts), dtype=float)
    if higher_is_better:  # 1 + number of cut points the value reaches
        passed = (values[:, None] >= cuts_arr[None, :]).sum(axis=1)
    else:  # smaller is better: 1 + number of cut points the value is at or under
        passed = (values[:, None] <= cuts_arr[None, :]).sum(axis=1)
    return (1 + passed).astype("int64")


def rfm_score(
    rfm: pd.DataFrame,
    *,
    method: str | None = None,
    bins: int | None = None,
    thresholds: dict[str, list[float]] | None = None,
    params: Params | str | dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Add R, F and M scores 1..bins (higher is better) to an :func:`rfm_table`.

    Parameters
    ----------
    rfm
        The output of :func:`rfm_table` (needs recency, frequency, monetary).
    method
        ``"quantile"`` (default) or ``"thresholds"`` (params ``rfm.method``).
    bins
        Number of score levels (default 5, params ``rfm.bins``). With thresholds it is the
        number of cut points + 1.
    thresholds
        ``{"recency": [...], "frequency": [...], "monetary": [...]}`` cut points
        (default params ``rfm.thresholds``).

    Returns
    -------
    pandas.DataFrame
        The input with ``r_score``, ``f_score``, ``m_score`` (int) and ``rfm_code`` (e.g. "545").

    Notes
    -----
    Quantile scores: a user's score is ``1 + floor(bins * w / n)`` where ``n`` is the number
    of users and ``w`` the number of users with a strictly worse value (a larger recency, a
    smaller frequency or monetary). Equal values therefore always get equal scores, whatever
    the row order, and a value shared by most users (frequency 1) scores 1 rather than being
    split across scores as SQL ``NTILE`` would. Levels can stay empty when ties are heavy.

    Threshold scores: frequency and monetary score ``1 + (cut points <= value)``; recency
    scores ``1 + (cut points >= value)``, so with cuts [7, 30, 90, 180] a last order 7 days
    ago scores 5 and one 200 days ago scores 1.

    Examples
    --------
    >>> df = pd.DataFrame({"recency": [0, 10, 10, 400], "frequency": [1, 1, 2, 5],
    ...                    "monetary": [10.0, 20.0, 30.0, 40.0]})
    >>> rfm_score(df)[["r_score", "f_score", "m_score", "rfm_code"]]
       r_score  f_score  m_score rfm_code
    0        4        1        1      411
    1        2        1        2      212
    2        2        3        3      233
    3        1        4        4      144
    """
    p = load_params(params)
    method = check_one_of("method", method or p.rfm["method"], ["quantile", "thresholds"])
    missing = [c for c in ("recency", "frequency", "monetary") if c not in rfm.columns]
    if missing:
        raise ParamsError(
            f"rfm_score needs the columns recency, frequency and monetary; missing "
            f"{', '.join(missing)}. Pass the output of oa.rfm_table."
        )
    out = rfm.copy()
    spec = {
        "recency": ("r_score", False),
        "frequency": ("f_score", True),
        "monetary": ("m_score", True),
    }
    if method == "quantile":
        bins = int(bins or p.rfm["bins"])
        if bins < 2:
            raise ParamsError(f"bins={bins} must be at least 2.")
        for col, (score, higher) in spec.items():
            values = out[col].to_numpy()
            if not np.issubdtype(values.dtype, np.integer):
                values = values.astype(float)
            out[score] = (
                _quantile_scores(values, bins, higher) if len(values) else values.astype("int64")
            )
    else:
        cuts = thresholds or p.rfm["thresholds"]
        lengths = {len(cuts.get(c, [])) for c in spec}
        if len(lengths) != 1 or 0 in lengths:
            raise ParamsError(
                "thresholds need the same number of cut points for recency, frequency and "
                f"monetary (got { ({c: cuts.get(c) for c in spec}) })."
            )
        for col, (score, higher) in spec.items():
            out[score] = _threshold_scores(out[col].to_numpy(dtype=float), cuts[col], higher)
    if max((int(out[c].max()) if len(out) else 0) for c in ("r_score", "f_score", "m_score")) <= 9:
        code = (out["r_score"] * 100 + out["f_score"] * 10 + out["m_score"]).to_numpy()
        out["rfm_code"] = _CODES[code]
    else:  # two-digit scores: keep them apart
        out["rfm_code"] = (
            out["r_score"].astype(str)
            + "-"
            + out["f_score"].astype(str)
            + "-"
            + out["m_score"].astype(str)
        )
    return out.reset_index(drop=True)


def score_distribution(scored: pd.DataFrame) -> pd.DataFrame:
    """Users per score level of R, F and M, from :func:`rfm_score`.

    Returns
    -------
    pandas.DataFrame
        Columns dimension ("R", "F", "M"), score (1..max score seen), users, share (of all
        users). Every level from 1 to the highest is present, 0 where empty.
    """
    rows = []
    top = int(max(scored[["r_score", "f_score", "m_score"]].max().max(), 1)) if len(scored) else 1
    for dim, col in (("R", "r_score"), ("F", "f_score"), ("M", "m_score")):
        counts = scored[col].value_counts()
        for level in range(1, top + 1):
            n = int(counts.get(level, 0))
            rows.append(
                {
                    "dimension": dim,
                    "score": level,
                    "users": n,
                    "share": n / len(scored) if len(scored) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def value_activity_table(data: Any, *, as_of: date | str, window: int | str = 30) -> pd.DataFrame:
    """Users active or buying in the ``window`` days ending on ``as_of``, with value and activity.

    Returns
    -------
    pandas.DataFrame
        Sorted by user_id, columns user_id, monetary (paid amount in the window, 0 for
        non-buyers), frequency (paid orders in the window) and active_days (distinct days with
        an active event in the window).
    """
    src = as_source(data, "events")
    day = as_date(as_of)
    days = int(str(window).rstrip("dD"))
    first = day - timedelta(days=days - 1)
    act = active_days(src, first, day)  # a report's shared activity when it has one
    act = act.group_by("user_id").aggregate(active_days=act.count())
    od = paid_orders(src)
    od = od.filter(on_days(od.order_time, first, day))
    val = od.group_by("user_id").aggregate(monetary=od.amount.sum(), frequency=od.count())
    joined = act.outer_join(val, "user_id")
    joined = joined.select(
        user_id=ibis.coalesce(joined.user_id, joined.user_id_right),
        monetary=joined.monetary.fill_null(0.0),
        frequency=joined.frequency.fill_null(0),
        active_days=joined.active_days.fill_null(0),
    )
    out = src.execute(joined).sort_values("user_id", kind="stable").reset_index(drop=True)
    out["monetary"] = out["monetary"].astype("float64")
    for col in ("frequency", "active_days"):
        out[col] = out[col].astype("int64")
    return out
