"""Experiment health: sample-ratio mismatch, multiple exposure and sample size, checked before
any verdict is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd

from ..data.engine import as_date, last_day, on_days
from ..data.source import Source, as_source
from ..exceptions import DataContractError, ParamsError
from .significance import srm_test

__all__ = ["ExperimentHealth", "experiment_health"]


@dataclass(frozen=True)
class ExperimentHealth:
    """Checks that must pass before an experiment's effects are read.

    counts: users per variant after excluding users seen in several variants; expected: the
    expected share of each; srm_p_value and srm_ok (p >= threshold); multiple_exposed users
    and their share of all assigned users; running: someone was assigned in the last
    ``running_days`` days; warnings: codes ``srm``, ``multiple_exposure``, ``low_sample``.
    """

    experiment_id: str
    counts: dict[str, int]
    expected: dict[str, float]
    srm_p_value: float
    srm_ok: bool
    multiple_exposed: int
    multiple_exposed_share: float
    first_assigned: datetime | None
    last_assigned: datetime | None
    running: bool
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def daily_users(self) -> float:
        """Users assigned per day so far: the current traffic, for :func:`days_needed`."""
        if self.first_assigned is None or self.last_assigned is None:
            return math.nan
        days = (self.last_assigned.date() - self.first_assigned.date()).days + 1
        return (sum(self.counts.values()) + self.multiple_exposed) / days


def assigned_users(src: Source, experiment_id: str, start: date | None, end: date) -> ibis.Table:
    a = src.table("assignments")
    a = a.filter(a.experiment_id == experiment_id)
    a = a.filter(on_days(a.assigned_at, start, end))
    # n_variants: 0, 1 or 2 (two or more), from the smallest and largest variant: all the
    # callers ask is whether a user saw one variant, and a distinct count per user costs more
    lo, hi = a.variant.min(), a.variant.max()
    return a.group_by("user_id").aggregate(
        n_variants=ibis.cases((lo.isnull(), 0), (lo == hi, 1), else_=2),
        variant=lo,
        assigned_at=a.assigned_at.min(),
    )


def experiment_health(
    data: Any, experiment_id: str, *, start: date | str | None = None, end: date | str | None = None
) -> ExperimentHealth:
    """Sample-ratio mismatch, multiple exposure and sample size of one experiment."""
    src = as_source(data, "assignments")
    cfg = src.params.experiments
    end_d = last_day(src, end, start=start)
    start_d = as_date(start) if start is not None else None
    users = assigned_users(src, experiment_id, start_d, end_d)
    summary = src.execute(
        users.group_by(multi=users.n_variants > 1, variant=users.variant).aggregate(
            users=users.count(), first=users.assigned_at.min(), last=users.assigned_at.max()
        )
    )
    if summary.empty:
        raise DataContractError(
            f"Table 'assignments' has no rows for experiment_id {experiment_id!r} up to "
            f"{end_d}. Check the id (oa.experiment_overview lists the experiments)."
        )
    single = summary[~summary["multi"].astype(bool)]
    counts = {str(k): int(v) for k, v in zip(single["variant"], single["users"], strict=True)}
    counts = dict(sorted(counts.items(), key=lambda kv: (kv[0] != cfg.control, kv[0])))
    split = cfg.splits.get(experiment_id)
    if split and set(map(str, split)) != set(counts):
        raise ParamsError(
            f"experiments.splits.{experiment_id} in params names the variants "
            f"{', '.join(map(str, split))}, but table 'assignments' has "
            f"{', '.join(counts)} for this experiment. Name the variants as the data does."
        )
    expected = (
        {k: float(split[k]) for k in counts} if split else {k: 1 / len(counts) for k in counts}
    )
    srm_p = srm_test(counts, expected) if len(counts) > 1 else math.nan
    multi = int(summary.loc[summary["multi"].astype(bool), "users"].sum())
    total = multi + sum(counts.values())
    first, last = pd.Timestamp(summary["first"].min()), pd.Timestamp(summary["last"].max())
    running = bool(last.date() > end_d - timedelta(days=cfg.running_days))
    warnings = []
    srm_ok = not (srm_p < cfg.srm_threshold)
    if not srm_ok:
        warnings.append("srm")
    if total and multi / total > cfg.multiple_exposure_warn:
        warnings.append("multiple_exposure")
    if min(counts.values(), default=0) < cfg.min_sample:
        warnings.append("low_sample")
    return ExperimentHealth(
        experiment_id,
        counts,
        expected,
        srm_p,
        srm_ok,
        multi,
        multi / total if total else 0.0,
        first.to_pydatetime(),
        last.to_pydatetime(),
        running,
        tuple(warnings),
    )
