"""The registry of KPIs: each one defined once, with what it needs and how it is judged.

The scorecard (:func:`~opsanalysis.metrics.monitor.kpi_monitor`), the targets of params and
the report's "no data" rule read these definitions; labels in both languages are in
:mod:`opsanalysis.report.labels` (only the report layer words things).

A KPI's data exists when the source has its tables and, for a KPI counted from named events,
when at least one of those names occurs in the events table: a company whose events carry
other names sees "no data" for it, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..exceptions import ParamsError
from ._checks import is_number

__all__ = ["KPI", "KPIS"]

Unit = Literal["count", "currency", "rate", "ratio"]
Kind = Literal["additive", "distinct", "rate", "average_per_day"]


@dataclass(frozen=True)
class KPI:
    """One KPI.

    Attributes
    ----------
    key
        Its name in params ``targets`` and in every table (``new_users``).
    unit
        count, currency (money in params ``currency``), rate (a share from 0 to 1, changes in
        points) or ratio.
    kind
        additive (a sum over days), distinct (distinct users in the period), rate (numerator
        / denominator) or average_per_day (a sum over the period's days with data / days).
    tables
        Contract tables it reads, all needed.
    events
        Params keys whose event names it counts (``community.message``); when none of the
        names occurs in the events table the KPI has no data.
    denominator
        For rates, the KPI or count it divides by (the scorecard's usual range weighs by it).
    direction
        Whether higher or lower is better (targets are met above or below).
    definition
        The formula in one line (docstrings and the glossary).
    """

    key: str
    unit: Unit
    kind: Kind
    tables: tuple[str, ...]
    definition: str
    events: tuple[str, ...] = ()
    denominator: str | None = None
    direction: Literal["higher", "lower"] = "higher"

    @property
    def is_rate(self) -> bool:
        return self.unit in ("rate", "ratio")


KPIS: tuple[KPI, ...] = (
    KPI("new_users", "count", "additive", ("users",), "users with registered_at in the period"),
    KPI(
        "dau_avg",
        "count",
        "average_per_day",
        ("events",),
        "sum over the period's days of distinct active users / its days with data",
    ),
    KPI(
        "active_users",
        "count",
        "distinct",
        ("events",),
        "distinct users with an active event in the period (WAU, MAU)",
    ),
    KPI(
        "stickiness",
        "rate",
        "rate",
        ("events",),
        "dau_avg / active_users",
        denominator="active_users",
    ),
    KPI(
        "community_messages",
        "count",
        "additive",
        ("events",),
        "message events (params community.message) at touchpoint community",
        events=("community.message",),
    ),
    KPI(
        "add_wecom_conversion",
        "rate",
        "rate",
        ("events",),
        "distinct users with an add-WeCom event (params community.add_wecom) / active_users",
        events=("community.add_wecom",),
        denominator="active_users",
    ),
    KPI(
        "content_read_rate",
        "rate",
        "rate",
        ("events",),
        "distinct users with a read event (params content.read) / active_users",
        events=("content.read",),
        denominator="active_users",
    ),
    KPI("orders", "count", "additive", ("orders",), "paid orders with order_time in the period"),
    KPI("revenue", "currency", "additive", ("orders",), "sum of amount of the paid orders"),
    KPI("paying_users", "count", "distinct", ("orders",), "distinct users with a paid order"),
    KPI(
        "repeat_purchase_rate",
        "rate",
        "rate",
        ("orders",),
        "paying users who had paid before the period / paying_users",
        denominator="paying_users",
    ),
    KPI(
        "reactivation_rate",
        "rate",
        "rate",
        ("events",),
        "silent users (params churn.silent_days) active again in the period / silent users",
        denominator="silent_users",
    ),
    KPI(
        "response_rate",
        "rate",
        "rate",
        ("tickets",),
        "tickets of the period answered within 48 hours / tickets decided",
        denominator="decided_tickets",
    ),
)

_BY_KEY = {k.key: k for k in KPIS}


def kpi(key: str) -> KPI:
    """The KPI ``key``; a name that is none raises ``KeyError`` listing the known ones."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"{key!r} is not a KPI; known: {', '.join(_BY_KEY)}.") from None


KPI_KEYS = tuple(_BY_KEY)


def params_event_names(params: Any, key: str) -> list[str]:
    """The event names that params ``key`` lists: ``events.conversion_steps`` (in step
    order), or a ``community.*`` / ``content.*`` action (sorted)."""
    section, name = key.split(".", 1)
    if key == "events.conversion_steps":
        return list(params.conversion_steps)
    if section == "community":
        return sorted(params.community_events[name])
    if section == "content":
        return sorted(params.content_events[name])
    raise KeyError(f"params {key!r} names no events")


def check_targets(targets: Any, where: str) -> None:
    """Params ``targets``: each key a KPI of the registry, each value a positive finite
    number, a rate's target a share from 0 to 1 (21 for 21% is refused with the fix)."""
    if not isinstance(targets, Mapping):
        raise ParamsError(
            f"targets in {where} must map KPIs to targets, e.g. targets: {{new_users: 1500}}; "
            f"got {targets!r}."
        )
    for metric, target in targets.items():
        if str(metric) not in KPI_KEYS:
            raise ParamsError(
                f"targets.{metric} in {where} names no KPI; the KPIs with targets are "
                f"{', '.join(KPI_KEYS)}."
            )
        if not is_number(target) or target <= 0 or not math.isfinite(target):
            raise ParamsError(
                f"targets.{metric} in {where} must be a positive finite number; got {target!r}."
            )
        if kpi(str(metric)).is_rate and target > 1:
            raise ParamsError(
                f"targets.{metric} in {where} is {target!r}, but {metric} is a rate written as "
                f"a share from 0 to 1: write {target / 100:g} for {target:g}%."
            )
