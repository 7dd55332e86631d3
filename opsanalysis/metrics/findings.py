"""Findings as records: what moved, missed or went wrong, ranked for a manager to act on.

:func:`ranked_findings` reads the results a report already shows (the scorecard of
:func:`~opsanalysis.metrics.monitor.kpi_monitor`, the experiments overview, segment sizes,
campaign returns), so every number a finding quotes is a number of a table of the same report.
It returns codes and numbers only; :mod:`opsanalysis.report.findings_text` words each kind in
English and Chinese.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..data.source import as_source
from ..exceptions import OpsAnalysisError
from .contribution import DECOMPOSABLE, kpi_contribution, main_contributor

__all__ = ["ranked_findings"]

FindingKind = Literal[
    "anomaly",
    "missed_target",
    "service_below_target",
    "significant_experiment",
    "experiment_srm",
    "shrinking_segment",
    "losing_campaign",
]

FINDING_COLUMNS = [
    "kind",
    "metric",
    "subject",
    "value",
    "baseline",
    "low",
    "high",
    "target",
    "change",
    "severity",
    "score",
    "driver_by",
    "driver",
    "driver_change",
    "driver_share",
    "driver_mix",
    "driver_rate",
    "action",
]

#: how much a severity weighs in the ranking (score = weight x size of the move, size <= 1)
SEVERITY_WEIGHT = {"high": 3.0, "medium": 2.0, "low": 1.0}
#: the size of a finding that is not a move (a sample-ratio mismatch)
NO_MOVE_SIZE = 0.25


def ranked_findings(
    data: Any,
    *,
    monitor: pd.DataFrame,
    experiments: pd.DataFrame | None = None,
    segments: pd.DataFrame | None = None,
    campaigns: pd.DataFrame | None = None,
    by: str = "channel",
    language: str | None = None,
    limit: int | None = None,
    to_date: bool = False,
) -> pd.DataFrame:
    """The period's findings, most important first.

    Parameters
    ----------
    data
        The Source the results came from (for the contributions of moved KPIs, and params).
    monitor
        :func:`~opsanalysis.metrics.monitor.kpi_monitor` of the period.
    experiments
        :func:`~opsanalysis.stats.experiments.experiment_overview` (optional).
    segments
        :func:`~opsanalysis.metrics.segments.segment_sizes` since the previous period.
    campaigns
        :func:`~opsanalysis.metrics.campaigns.campaign_roi` of the period.
    by
        The users column a moved KPI's change is split over (:func:`kpi_contribution`).
    language
        Which text of a params action to take (default params ``language``).
    limit
        At most this many findings (default params ``findings.limit``, 7).
    to_date
        The period has not ended (a month or quarter to date): its KPIs cover part of it
        (counts still grow, and shares of the period's active users move with its length), so
        no KPI is compared with the whole previous period and no target is missed yet; the
        findings are those of experiments, segments and campaigns.

    Returns
    -------
    pandas.DataFrame
        Columns kind, metric, subject, value, baseline, low, high, change, severity, score,
        driver_by, driver, driver_change, driver_share, driver_mix, driver_rate, action.
        The kinds and their numbers:

        - ``anomaly``: a KPI whose scorecard status is anomaly (severity high) or watch
          (medium); baseline = the previous period's value, change = relative change,
          low / high = the usual range. With a decomposable KPI, ``driver`` is the part of
          ``by`` contributing most (driver_change in the KPI's units, driver_share of the
          total change, and for rates driver_mix / driver_rate, the part's mix and rate
          effects).
          target = the params target (NaN without one).
        - ``missed_target`` (``service_below_target`` for response_rate): value below the
          params target, for a KPI not already an anomaly finding; baseline = target = the
          target, change = completion - 1; high when 10% or more short, medium from 3%, else
          low.
        - ``significant_experiment``: verdict better (medium) or worse (high); subject =
          experiment id, value = change = the relative effect, low / high = its interval.
        - ``experiment_srm``: a sample-ratio mismatch (high, size 0.25); value = the SRM
          p-value.
        - ``shrinking_segment``: a segment of params ``findings.watch_segments`` that lost at
          least ``findings.segment_drop`` of its users (medium; high at twice that); value =
          users now, baseline = before.
        - ``losing_campaign``: a campaign whose attributed revenue is below its spend (ROI <
          0; high below -50%); value = revenue, baseline = spend, change = ROI, low = ROAS.

        score = severity weight (3, 2, 1) x size, size = min(|change|, 1); the table is
        sorted by score, highest first; ``attrs["contributions"]`` holds the
        :func:`kpi_contribution` table of each driver named. action: params
        ``findings.actions`` under ``"kind.metric"``, the metric, the subject or the kind
        (first found), else empty.
    """
    src = as_source(data, "users")
    cfg = src.params.findings
    language = language or src.params.language
    period = str(monitor["period"].iloc[0]) if len(monitor) else None
    rows: list[dict[str, Any]] = []
    splits: dict[str, pd.DataFrame] = {}  # metric -> its kpi_contribution, kept for the report
    for m in monitor.itertuples(index=False):
        flagged = m.status in ("anomaly", "watch") or (
            m.status == "insufficient_history" and m.wow_flag
        )
        if flagged and m.value == m.value and not to_date:
            row = _row("anomaly", m.metric, "high" if m.status == "anomaly" else "medium")
            row.update(value=m.value, baseline=m.previous, low=m.low, high=m.high, change=m.change)
            row.update(target=m.target)
            if period and m.metric in DECOMPOSABLE:
                row.update(_driver(src, m.metric, period, by, splits))
            rows.append(row)
        below = m.target == m.target and m.value == m.value and m.value < m.target
        if below and not flagged and not to_date:
            short = 1 - m.value / m.target
            kind = "service_below_target" if m.metric == "response_rate" else "missed_target"
            severity = "high" if short >= 0.10 else "medium" if short >= 0.03 else "low"
            row = _row(kind, m.metric, severity)
            row.update(value=m.value, baseline=m.target, target=m.target)
            row.update(change=m.value / m.target - 1)
            rows.append(row)
    for e in (experiments if experiments is not None else pd.DataFrame()).itertuples(index=False):
        if e.verdict_code in ("better", "worse"):
            row = _row(
                "significant_experiment",
                e.metric,
                "high" if e.verdict_code == "worse" else "medium",
            )
            row.update(
                subject=e.experiment_id,
                value=e.rel_effect,
                change=e.rel_effect,
                low=e.rel_ci_low,
                high=e.rel_ci_high,
            )
            rows.append(row)
        elif e.verdict_code == "srm":
            row = _row("experiment_srm", e.metric, "high")
            row.update(subject=e.experiment_id, value=e.srm_p_value)
            rows.append(row)
    drop, watched = float(cfg["segment_drop"]), set(cfg["watch_segments"])
    for s in (segments if segments is not None else pd.DataFrame()).itertuples(index=False):
        if s.segment in watched and s.pct_change == s.pct_change and s.pct_change <= -drop:
            row = _row(
                "shrinking_segment", "users", "high" if s.pct_change <= -2 * drop else "medium"
            )
            row.update(subject=s.segment, value=s.users, baseline=s.previous, change=s.pct_change)
            rows.append(row)
    for c in (campaigns if campaigns is not None else pd.DataFrame()).itertuples(index=False):
        if c.roi == c.roi and c.roi < 0:
            row = _row("losing_campaign", "roi", "high" if c.roi < -0.5 else "medium")
            row.update(
                subject=str(c[0]), value=c.revenue, baseline=c.spend, change=c.roi, low=c.roas
            )
            rows.append(row)
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    if out.empty:
        return out
    size = out["change"].abs().clip(upper=1.0).fillna(NO_MOVE_SIZE)
    out["score"] = out["severity"].map(SEVERITY_WEIGHT) * size
    out["action"] = [
        _action(cfg["actions"] or {}, r.kind, r.metric, r.subject, language)
        for r in out.itertuples(index=False)
    ]
    out = out.sort_values("score", ascending=False, kind="stable")
    out = out.head(int(limit or cfg["limit"])).reset_index(drop=True)
    out.attrs["contributions"] = {m: splits[m] for m in out["metric"] if m in splits}
    return out


def _row(kind: str, metric: str, severity: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FINDING_COLUMNS, np.nan)
    row.update(kind=kind, metric=metric, severity=severity, subject="", driver_by="", driver="")
    return row


def _driver(
    src: Any, metric: str, period: str, by: str, splits: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """The part contributing most to a KPI's change (empty when there is none to name); the
    whole split is kept in ``splits``."""
    if not src.has("users") or by not in src.table("users").columns:
        return {}
    try:
        parts = kpi_contribution(src, metric, period=period, by=by)
    except OpsAnalysisError:  # a table the split needs is missing: the finding stands alone
        return {}
    top = main_contributor(parts)
    if top is None:
        return {}
    splits[metric] = parts
    return {
        "driver_by": by,
        "driver": str(top["part"]),
        "driver_change": float(top["change"]),
        "driver_share": float(top["share"]),
        "driver_mix": float(top["mix_effect"]),
        "driver_rate": float(top["rate_effect"]),
    }


def _action(actions: dict[str, Any], kind: str, metric: str, subject: str, language: str) -> str:
    for key in (f"{kind}.{metric}", metric, subject, kind):
        if key and key in actions:
            a = actions[key]
            return str(a if isinstance(a, str) else a.get(language) or next(iter(a.values())))
    return ""
