"""opsanalysis: user-operations reports computed in the engine from raw tables.

The package has four layers; each imports only the ones below it:

- ``data``: contract, params, periods, sources, validation, demo data, engine helpers;
- ``stats``: sufficient statistics, A/B tests, planning, experiments from raw tables;
- ``metrics``: KPIs, activity, retention, churn, channels, funnels, RFM, segments, CLV;
- ``report``: rendering, notebook context, tables, narrative, charts, labels, CSV exports.

Every public name is re-exported here by name and its module loads on first use, so
``import opsanalysis`` stays light: a script that only computes never loads the report layer
(matplotlib, seaborn, nbformat), and ``python -m opsanalysis report`` starts without loading
the analyses it hands to the notebook's kernel.

>>> import opsanalysis as oa
>>> oa.parse_period("2025-W47").start
datetime.date(2025, 11, 17)
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exceptions import (
    DataContractError,
    OpsAnalysisError,
    ParamsError,
    PeriodError,
    ReportError,
    SourceError,
)

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports on first use
    from .data.coverage import data_coverage
    from .data.kpis import KPI, KPIS
    from .data.params import Params, load_params
    from .data.periods import Period, latest_complete_period, parse_period, period_containing
    from .data.problems import DataContractWarning, ValidationReport
    from .data.source import Source, connect
    from .data.validation import validate
    from .metrics.activity import (
        active_days_distribution,
        active_users,
        activity_by_hour,
        activity_tiers,
        lifecycle,
        stickiness,
    )
    from .metrics.campaigns import campaign_roi, touchpoint_conversion
    from .metrics.channels import channel_quality, channel_value, new_users_by_channel
    from .metrics.churn import at_risk_counts, at_risk_users, reactivation
    from .metrics.clv import btyd_summary
    from .metrics.content import content_performance, pool_content, rank_content, top_content
    from .metrics.contribution import kpi_contribution, main_contributor
    from .metrics.findings import ranked_findings
    from .metrics.funnel import funnel, new_user_funnel
    from .metrics.kpi import OVERVIEW_METRICS, daily_kpis, kpi_overview, period_kpis
    from .metrics.monitor import days_with_data, kpi_monitor, kpi_series
    from .metrics.retention import (
        cohort_retention,
        new_user_retention,
        retention_matrix,
        summarise_new_user_retention,
    )
    from .metrics.rfm import rfm_score, rfm_table, score_distribution, value_activity_table
    from .metrics.segments import (
        migration_matrix,
        rfm_layers,
        rfm_segment,
        segment_migration,
        segment_sizes,
        segment_summary,
    )
    from .metrics.service import service_levels
    from .report import plotting
    from .report import render as reports
    from .report.context import ReportContext, open_report
    from .report.exports import export_segment_lists, export_segment_users, export_users
    from .report.narrative import (
        experiment_verdict,
        kpi_findings,
        migration_findings,
        reactivation_findings,
        segment_findings,
        with_verdicts,
    )
    from .report.plotting import (
        plot_activity_heatmap,
        plot_forest,
        plot_kpi_trend,
        plot_kpi_trends,
        plot_lifecycle,
        plot_migration,
        plot_new_users_by_channel,
        plot_retention_heatmap,
        plot_score_distribution,
        plot_segment_shares,
    )
    from .report.render import render
    from .stats.abtest import ABTestResult, ab_test, results_frame
    from .stats.anomaly import AnomalyResult, flag_anomaly
    from .stats.experiments import experiment_overview, experiment_results, mann_whitney
    from .stats.health import ExperimentHealth, experiment_health
    from .stats.planning import (
        days_needed,
        mde_mean,
        mde_proportion,
        sample_size_mean,
        sample_size_proportion,
    )
    from .stats.significance import adjust_p_values, chi_square_test, srm_test
    from .stats.sufficient import CupedStats, MeanStats, ProportionStats, RatioStats
    from .stats.verdicts import primary_results, verdict_code


def _lazy_names() -> dict[str, tuple[str, str]]:
    """Public name -> (module, attribute), read from the imports under ``TYPE_CHECKING``
    above: the one list of what the package re-exports."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: (str(node.module), alias.name)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


_LAZY = _lazy_names()


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'opsanalysis' has no attribute {name!r}")
    module, attr = _LAZY[name]
    owner = importlib.import_module(f".{module}", __name__)
    try:
        value = getattr(owner, attr)
    except AttributeError:  # a submodule (``from .report import plotting``)
        value = importlib.import_module(f".{module}.{attr}", __name__)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    # data
    "KPI",
    "KPIS",
    "DataContractWarning",
    "Params",
    "Period",
    "Source",
    "ValidationReport",
    "connect",
    "latest_complete_period",
    "load_params",
    "parse_period",
    "period_containing",
    "validate",
    # errors
    "DataContractError",
    "OpsAnalysisError",
    "ParamsError",
    "PeriodError",
    "ReportError",
    "SourceError",
    # stats
    "ABTestResult",
    "CupedStats",
    "ExperimentHealth",
    "MeanStats",
    "ProportionStats",
    "RatioStats",
    "ab_test",
    "channel_value",
    "data_coverage",
    "kpi_contribution",
    "main_contributor",
    "new_users_by_channel",
    "plot_new_users_by_channel",
    "ranked_findings",
    "segment_sizes",
    "service_levels",
    "campaign_roi",
    "touchpoint_conversion",
    "days_with_data",
    "kpi_monitor",
    "kpi_series",
    "content_performance",
    "pool_content",
    "rank_content",
    "top_content",
    "flag_anomaly",
    "AnomalyResult",
    "adjust_p_values",
    "chi_square_test",
    "days_needed",
    "experiment_health",
    "experiment_overview",
    "experiment_results",
    "mann_whitney",
    "mde_mean",
    "mde_proportion",
    "primary_results",
    "results_frame",
    "sample_size_mean",
    "sample_size_proportion",
    "srm_test",
    "verdict_code",
    # metrics
    "OVERVIEW_METRICS",
    "active_days_distribution",
    "active_users",
    "activity_by_hour",
    "activity_tiers",
    "at_risk_users",
    "at_risk_counts",
    "btyd_summary",
    "channel_quality",
    "cohort_retention",
    "daily_kpis",
    "funnel",
    "kpi_overview",
    "lifecycle",
    "migration_matrix",
    "new_user_funnel",
    "new_user_retention",
    "period_kpis",
    "reactivation",
    "retention_matrix",
    "rfm_layers",
    "rfm_score",
    "rfm_segment",
    "rfm_table",
    "score_distribution",
    "segment_migration",
    "segment_summary",
    "stickiness",
    "summarise_new_user_retention",
    "value_activity_table",
    # report (loaded on first use)
    "ReportContext",
    "experiment_verdict",
    "export_segment_lists",
    "export_segment_users",
    "export_users",
    "kpi_findings",
    "migration_findings",
    "open_report",
    "plot_activity_heatmap",
    "plot_forest",
    "plot_kpi_trend",
    "plot_kpi_trends",
    "plot_lifecycle",
    "plot_migration",
    "plot_retention_heatmap",
    "plot_score_distribution",
    "plot_segment_shares",
    "plotting",
    "reactivation_findings",
    "render",
    "reports",
    "segment_findings",
    "with_verdicts",
]

__version__ = "0.1.0"
