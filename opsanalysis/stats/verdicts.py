"""What an experiment result row says: the verdict code, and the rows a verdict rests on.

Analyses return codes; the report layer words them in English or Chinese
(:func:`~opsanalysis.report.narrative.with_verdicts`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .health import ExperimentHealth

__all__ = ["verdict_code", "primary_results"]


def single_variant_row(health: ExperimentHealth, metric: str) -> dict[str, Any]:
    """The overview row of an experiment with one variant: listed, with no numbers."""
    (only,) = health.counts
    nan = float("nan")
    return {
        "experiment_id": health.experiment_id,
        "status": "running" if health.running else "finished",
        "first_assigned": health.first_assigned,
        "last_assigned": health.last_assigned,
        "users": sum(health.counts.values()),
        "srm_p_value": nan,
        "metric": metric,
        "rel_effect": nan,
        "rel_ci_low": nan,
        "rel_ci_high": nan,
        "p_value_adjusted": nan,
        "significant": False,
        "treatment": only,
        "alpha": nan,
        "sequential": False,
        "warnings": "single_variant",
        "verdict_code": "single_variant",
    }


def verdict_code(result: dict[str, Any] | pd.Series) -> str:
    """What a result row says, as a code the report words in English or Chinese.

    ``single_variant`` (only one variant has users: nothing to compare; its name is in
    ``treatment``), ``srm`` (the split is broken: nothing can be read), ``no_data`` (too few
    users or no
    variance to test), ``better`` / ``worse`` (significant, effect above / below 0) or
    ``inconclusive`` (not significant).

    >>> verdict_code({"warnings": "", "significant": True, "rel_effect": 0.12})
    'better'
    """
    r = dict(result)
    warnings = str(r.get("warnings") or "").split(",")
    if "single_variant" in warnings:
        return "single_variant"
    if "srm" in warnings:
        return "srm"
    if "zero_variance" in warnings or "too_few_users" in warnings:
        return "no_data"
    if r.get("significant"):
        return "better" if r["rel_effect"] > 0 else "worse"
    return "inconclusive"


def primary_results(results: pd.DataFrame) -> pd.DataFrame:
    """The rows a verdict rests on: CUPED rows where a metric has them, else unadjusted."""
    has_cuped = set(results.loc[results["analysis"].eq("cuped"), "metric"])
    keep = results["analysis"].eq("cuped") | ~results["metric"].isin(has_cuped)
    return results[keep].reset_index(drop=True)
