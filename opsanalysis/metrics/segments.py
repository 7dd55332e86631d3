"""Segment schemes on RFM scores, segment summaries, migration between dates, user lists.

Schemes
-------
``rfm8``
    The eight classes of Chinese ops teams: M decides important (重要) vs general (一般), R and
    F decide value / retain / develop / win-back. "R high" always means recent.
``named``
    The R x F grid on 1-5 scores (Champions, Loyal, ..., Hibernating).
``value_activity``
    High/low value x high/low activity quadrants (needs
    :func:`~opsanalysis.metrics.rfm.value_activity_table`).
custom
    Any scheme under params ``rfm.schemes``: ordered rules, first match wins, a default segment.
    ``value_tier`` (Diamond / VIP / Regular) ships as an example.
"""

from __future__ import annotations

import operator
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..data.params import Params, load_params
from ..data.source import as_source
from ..exceptions import ParamsError
from .rfm import rfm_score, rfm_table, value_activity_table

__all__ = [
    "rfm_segment",
    "rfm_layers",
    "segment_summary",
    "segment_migration",
    "migration_matrix",
    "segment_sizes",
]

BUILTIN_SCHEMES = ("rfm8", "named", "value_activity")

# (R high, F high, M high) -> segment
RFM8_TABLE: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "important_value",
    (False, True, True): "important_retain",
    (True, False, True): "important_develop",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (False, True, False): "general_retain",
    (True, False, False): "general_develop",
    (False, False, False): "general_winback",
}

# NAMED_GRID[r_score][f_score] on 1-5 scores
_H, _AR, _CL = "Hibernating", "At risk", "Can't lose them"
NAMED_GRID: dict[int, dict[int, str]] = {
    1: {1: _H, 2: _H, 3: _AR, 4: _AR, 5: _CL},
    2: {1: _H, 2: _H, 3: _AR, 4: _AR, 5: _CL},
    3: {1: "About to sleep", 2: "About to sleep", 3: "Need attention", 4: "Loyal", 5: "Loyal"},
    4: {1: "Promising", 2: "Potential loyalist", 3: "Potential loyalist", 4: "Loyal", 5: "Loyal"},
    5: {1: "New", 2: "Potential loyalist", 3: "Potential loyalist", 4: "Champions", 5: "Champions"},
}

_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def scheme_segments(scheme: str, params: Params | None = None) -> list[str]:
    """The segment codes of a scheme, in display order."""
    p = load_params(params)
    if scheme == "rfm8":
        return list(RFM8_TABLE.values())
    if scheme == "named":
        return [
            "Champions",
            "Loyal",
            "Potential loyalist",
            "New",
            "Promising",
            "Need attention",
            "About to sleep",
            "At risk",
            "Can't lose them",
            "Hibernating",
        ]
    if scheme == "value_activity":
        return [
            "high_value_high_activity",
            "high_value_low_activity",
            "low_value_high_activity",
            "low_value_low_activity",
        ]
    spec = _custom_scheme(scheme, p)
    return list(dict.fromkeys([r["segment"] for r in spec["rules"]] + [spec["default"]]))


def _custom_scheme(scheme: str, p: Params) -> dict[str, Any]:
    schemes = p.rfm["schemes"] or {}
    if scheme not in schemes:
        known = ", ".join([*BUILTIN_SCHEMES, *schemes])
        raise ParamsError(
            f"Unknown segment scheme {scheme!r}; choose one of {known}, or define "
            f"it in params under rfm.schemes.{scheme}."
        )
    spec = schemes[scheme]
    if not spec.get("default"):
        raise ParamsError(
            f"Scheme {scheme!r} in params needs a 'default' segment for users no rule matches."
        )
    if not isinstance(spec.get("rules"), list):
        raise ParamsError(
            f"Scheme {scheme!r} in params needs 'rules': a list of "
            "{segment: ..., when: {column: '>= value'}}."
        )
    return spec


def _split(
    values: pd.Series, split: Any, score: pd.Series | None, higher_is_better: bool
) -> pd.Series:
    """True where the user is on the good side ("high") of the split."""
    if isinstance(split, (int, np.integer)) and not isinstance(split, bool):
        if score is None:
            raise ParamsError("A score cut needs scored input: pass the output of oa.rfm_score.")
        return score >= int(split)
    if split not in ("mean", "median"):
        raise ParamsError(
            f"split={split!r} is not allowed; use 'mean', 'median' or a score cut such as 4."
        )
    centre = values.mean() if split == "mean" else values.median()
    return values > centre if higher_is_better else values < centre


def _condition(df: pd.DataFrame, column: str, test: Any, scheme: str) -> pd.Series:
    if column not in df.columns:
        raise ParamsError(
            f"Scheme {scheme!r} tests column {column!r}, which the table lacks; "
            f"it has {', '.join(map(str, df.columns))}."
        )
    text = str(test).strip()
    for sym in sorted(_OPS, key=len, reverse=True):
        if text.startswith(sym):
            raw = text[len(sym) :].strip()
            try:
                value: Any = float(raw)
            except ValueError:
                value = raw.strip("'\"")
            result = _OPS[sym](df[column], value)
            return result.fillna(False).astype(bool)
    raise ParamsError(
        f"Scheme {scheme!r}: condition {column}: {test!r} must start with one of "
        f"{', '.join(_OPS)} followed by a value, e.g. '>= 5'."
    )


def rfm_segment(
    scored: pd.DataFrame,
    scheme: str = "rfm8",
    *,
    split: Any = None,
    params: Params | str | dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Add a ``segment`` column (the segment code of ``scheme``) to a scored table.

    Parameters
    ----------
    scored
        The output of :func:`~opsanalysis.rfm.rfm_score` (for ``value_activity``: of
        :func:`~opsanalysis.rfm.value_activity_table`; for a custom scheme: any table with the
        columns its rules test).
    scheme
        ``rfm8``, ``named``, ``value_activity`` or a scheme name under params ``rfm.schemes``.
    split
        rfm8 only: ``"mean"`` (default, params ``rfm.split``), ``"median"`` or a score cut
        such as 4 (high = score >= 4).

    Notes
    -----
    rfm8 with mean/median: R is high when recency is below the centre (a more recent last
    order), F and M are high when above it; a value equal to the centre is low. The eight
    classes follow :data:`RFM8_TABLE`. ``named`` maps (r_score, f_score) through
    :data:`NAMED_GRID` and needs 5 bins. ``value_activity``: high value is monetary >= params
    ``rfm.value_activity.value`` (median of buyers' monetary by default) and monetary > 0; high
    activity is active_days >= ``rfm.value_activity.activity`` (median by default).
    """
    p = load_params(params)
    out = scored.copy()
    if scheme == "rfm8":
        split = p.rfm["split"] if split is None else split
        r = _split(out["recency"], split, out.get("r_score"), higher_is_better=False)
        f = _split(out["frequency"], split, out.get("f_score"), higher_is_better=True)
        m = _split(out["monetary"], split, out.get("m_score"), higher_is_better=True)
        # the eight classes as 4r + 2f + m, looked up in one step (a row per buyer)
        no_yes = (False, True)
        codes = np.array([RFM8_TABLE[(a, b, c)] for a in no_yes for b in no_yes for c in no_yes])
        index = (
            4 * np.asarray(r, dtype=int) + 2 * np.asarray(f, dtype=int) + np.asarray(m, dtype=int)
        )
        out["segment"] = codes[index]
    elif scheme == "named":
        if "r_score" not in out or "f_score" not in out:
            raise ParamsError("Scheme 'named' needs r_score and f_score: pass oa.rfm_score output.")
        if len(out) and (out["r_score"].max() > 5 or out["f_score"].max() > 5):
            raise ParamsError("Scheme 'named' is defined on 1-5 scores; score with bins=5.")
        out["segment"] = [
            NAMED_GRID[int(r)][int(f)] for r, f in zip(out["r_score"], out["f_score"], strict=True)
        ]
    elif scheme == "value_activity":
        for col in ("monetary", "active_days"):
            if col not in out:
                raise ParamsError(
                    "Scheme 'value_activity' needs monetary and active_days: pass "
                    "oa.value_activity_table output."
                )
        cfg = p.rfm["value_activity"]
        buyers = out.loc[out["monetary"] > 0, "monetary"]
        value_cut = _centre(buyers, cfg["value"])
        activity_cut = _centre(out["active_days"], cfg["activity"])
        high_value = (out["monetary"] > 0) & (out["monetary"] >= value_cut)
        high_activity = out["active_days"] >= activity_cut
        out["segment"] = np.select(
            [high_value & high_activity, high_value, high_activity],
            ["high_value_high_activity", "high_value_low_activity", "low_value_high_activity"],
            "low_value_low_activity",
        )
    else:
        spec = _custom_scheme(scheme, p)
        segment = pd.Series(pd.NA, index=out.index, dtype="object")
        for rule in spec["rules"]:
            hit = pd.Series(True, index=out.index)
            for column, test in (rule.get("when") or {}).items():
                hit &= _condition(out, column, test, scheme)
            segment = segment.where(segment.notna() | ~hit, rule["segment"])
        out["segment"] = segment.fillna(spec["default"]).astype(str)
    out["segment"] = out["segment"].astype(str)
    return out.reset_index(drop=True)


def _centre(values: pd.Series, how: Any) -> float:
    if isinstance(how, (int, float)) and not isinstance(how, bool):
        return float(how)
    if how not in ("mean", "median"):
        raise ParamsError(f"rfm.value_activity cut {how!r} must be 'mean', 'median' or a number.")
    if values.empty:
        return np.inf
    return float(values.mean() if how == "mean" else values.median())


def rfm_layers(
    data: Any,
    *,
    as_of: date | str,
    scheme: str | None = None,
    window: int | str | None = None,
) -> pd.DataFrame:
    """Table, scores and segments in one call, as of a day.

    ``value_activity`` uses :func:`~opsanalysis.rfm.value_activity_table` over the last 30
    days (or ``window``); other schemes :func:`~opsanalysis.rfm.rfm_table` with the scheme's
    ``window_days`` (custom schemes), else ``window``, else params ``rfm.window_days``.
    """
    src = as_source(data, ("orders", "events"))
    p = src.params
    scheme = scheme or p.rfm["report_scheme"]
    if scheme == "value_activity":
        table = value_activity_table(src, as_of=as_of, window=window or 30)
        return rfm_segment(table, "value_activity", params=p)
    if scheme not in BUILTIN_SCHEMES:
        window = _custom_scheme(scheme, p).get("window_days", window)
    scored = rfm_score(rfm_table(src, as_of=as_of, window=window), params=p)
    return rfm_segment(scored, scheme, params=p)


def _labels(scheme: str, p: Params, language: str) -> dict[str, tuple[str, str]]:
    info = (p.rfm["segments"] or {}).get(scheme, {}) or {}
    return {
        code: (str(v.get(language, code)), str(v.get(f"action_{language}", "")))
        for code, v in info.items()
    }


def segment_summary(
    segmented: pd.DataFrame,
    scheme: str = "rfm8",
    *,
    language: str | None = None,
    params: Params | str | dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Users, revenue and mean R/F/M per segment, with the recommended action.

    Returns
    -------
    pandas.DataFrame
        One row per segment of the scheme (in scheme order; segments without users included
        with 0), columns: segment (code), label, users, user_share (of all users in the table),
        revenue (sum of monetary), revenue_share, mean_recency, mean_frequency, mean_monetary
        (NaN where the table lacks the column or the segment is empty), action.
    """
    p = load_params(params)
    language = language or p.language
    labels = _labels(scheme, p, language)
    order = scheme_segments(scheme, p)
    extra = [s for s in pd.unique(segmented["segment"]) if s not in order]
    g = segmented.groupby("segment", sort=False)
    total_users = len(segmented)
    total_rev = float(segmented["monetary"].sum()) if "monetary" in segmented else np.nan
    rows = []
    for seg in [*order, *extra]:
        part = segmented[segmented["segment"] == seg] if seg in g.groups else segmented.iloc[0:0]
        users = len(part)
        revenue = float(part["monetary"].sum()) if "monetary" in part else np.nan

        def mean(col: str, part: pd.DataFrame = part) -> float:
            return float(part[col].mean()) if col in part and len(part) else np.nan

        label, action = labels.get(seg, (seg, ""))
        rows.append(
            {
                "segment": seg,
                "label": label,
                "users": users,
                "user_share": users / total_users if total_users else np.nan,
                "revenue": revenue,
                "revenue_share": revenue / total_rev if total_rev else np.nan,
                "mean_recency": mean("recency"),
                "mean_frequency": mean("frequency"),
                "mean_monetary": mean("monetary"),
                "action": action,
            }
        )
    return pd.DataFrame(rows)


def segment_migration(
    data: Any,
    from_as_of: date | str,
    to_as_of: date | str,
    scheme: str | None = None,
    *,
    window: int | str | None = None,
    to_layers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How many users moved from each segment to each other between two days.

    Parameters
    ----------
    to_layers
        ``rfm_layers(data, as_of=to_as_of, scheme=scheme, window=window)`` when the caller
        has it already (a report shows the current layers too): used instead of computing
        the same layers again.

    Returns
    -------
    pandas.DataFrame
        Columns from_segment, to_segment, users, share_of_from (users / all users of
        from_segment). ``"(new)"`` as from_segment: users in no segment at ``from_as_of``;
        ``"(gone)"`` as to_segment: users in no segment at ``to_as_of`` (left the window).
        Every pair with at least one user, in scheme order.

    Notes
    -----
    Each day is scored against its own distribution, so a user can move because others
    changed: that is what layer-based operations act on.
    """
    src = as_source(data, ("orders", "events"))
    scheme = scheme or src.params.rfm["report_scheme"]
    a = rfm_layers(src, as_of=from_as_of, scheme=scheme, window=window)[["user_id", "segment"]]
    if to_layers is None:
        to_layers = rfm_layers(src, as_of=to_as_of, scheme=scheme, window=window)
    elif not {"user_id", "segment"} <= set(to_layers.columns):
        raise ParamsError("to_layers must be an oa.rfm_layers table (columns user_id, segment).")
    b = to_layers[["user_id", "segment"]]
    m = a.merge(b, on="user_id", how="outer", suffixes=("_from", "_to"))
    m["segment_from"] = m["segment_from"].fillna("(new)")
    m["segment_to"] = m["segment_to"].fillna("(gone)")
    counts = m.groupby(["segment_from", "segment_to"]).size().rename("users").reset_index()
    counts = counts.rename(columns={"segment_from": "from_segment", "segment_to": "to_segment"})
    size = counts.groupby("from_segment")["users"].transform("sum")
    counts["share_of_from"] = counts["users"] / size
    order = {s: i for i, s in enumerate(["(new)", *scheme_segments(scheme, src.params), "(gone)"])}
    counts = counts.sort_values(
        ["from_segment", "to_segment"],
        key=lambda s: s.map(lambda v: order.get(v, len(order))),
        kind="stable",
    )
    counts["users"] = counts["users"].astype("int64")
    return counts.reset_index(drop=True)


def migration_matrix(migration: pd.DataFrame, *, values: str = "users") -> pd.DataFrame:
    """Pivot :func:`segment_migration` to a from x to matrix (0 where nobody moved).

    Rows and columns keep the scheme order of :func:`segment_migration`; ``"(new)"`` is the
    first row and ``"(gone)"`` the last column.
    """
    order = list(dict.fromkeys([*migration["from_segment"], *migration["to_segment"]]))
    order = [s for s in order if s != "(gone)"] + ["(gone)"]
    rows = [s for s in order if s in set(migration["from_segment"])]
    cols = [s for s in order if s in set(migration["to_segment"])]
    m = migration.pivot(index="from_segment", columns="to_segment", values=values)
    return m.reindex(index=rows, columns=cols).fillna(0)


def segment_sizes(migration: pd.DataFrame) -> pd.DataFrame:
    """Users per segment at both days of :func:`segment_migration`, and the change.

    Returns
    -------
    pandas.DataFrame
        One row per segment in scheme order, columns segment, previous (users at
        ``from_as_of``: the sum over ``to_segment`` of its row), users (at ``to_as_of``: the
        sum over ``from_segment`` of its column), change = users - previous, pct_change =
        change / previous (NaN when previous is 0).
    """
    before = migration[migration["from_segment"] != "(new)"].groupby("from_segment")["users"]
    after = migration[migration["to_segment"] != "(gone)"].groupby("to_segment")["users"]
    order = [s for s in dict.fromkeys([*migration["from_segment"], *migration["to_segment"]])]
    order = [s for s in order if s not in ("(new)", "(gone)")]
    out = pd.DataFrame({"previous": before.sum(), "users": after.sum()}).reindex(order).fillna(0)
    out = out.astype("int64")
    out["change"] = out["users"] - out["previous"]
    out["pct_change"] = out["change"] / out["previous"].where(out["previous"] > 0)
    return out.rename_axis("segment").reset_index()
