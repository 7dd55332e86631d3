"""opsanalysis: user-operations reports computed in the engine from raw tables.

>>> import opsanalysis as oa
>>> oa.parse_period("2025-W47").start
datetime.date(2025, 11, 17)
"""

from . import plotting, reports
from .abtest import (
    ABTestResult,
    CupedStats,
    MeanStats,
    ProportionStats,
    RatioStats,
    ab_test,
    results_frame,
)
from .activity import (
    active_days_distribution,
    active_users,
    activity_by_hour,
    activity_tiers,
    lifecycle,
    stickiness,
)
from .channels import channel_quality
from .churn import at_risk_users, export_users, reactivation
from .clv import btyd_summary
from .exceptions import (
    DataContractError,
    OpsAnalysisError,
    ParamsError,
    PeriodError,
    ReportError,
    SourceError,
)
from .experiments import (
    ExperimentHealth,
    experiment_health,
    experiment_overview,
    experiment_results,
    mann_whitney,
    primary_results,
)
from .funnel import funnel, new_user_funnel
from .kpi import OVERVIEW_METRICS, daily_kpis, kpi_overview, period_kpis
from .narrative import (
    experiment_verdict,
    kpi_findings,
    migration_findings,
    reactivation_findings,
    segment_findings,
)
from .params import Params, load_params
from .periods import Period, latest_complete_period, parse_period, period_containing
from .planning import (
    days_needed,
    mde_mean,
    mde_proportion,
    sample_size_mean,
    sample_size_proportion,
)
from .plotting import (
    plot_activity_heatmap,
    plot_forest,
    plot_kpi_trend,
    plot_kpi_trends,
    plot_lifecycle,
    plot_migration,
    plot_retention_heatmap,
    plot_score_distribution,
    plot_segment_shares,
)
from .reports import open_report, render
from .retention import (
    cohort_retention,
    new_user_retention,
    retention_matrix,
    summarise_new_user_retention,
)
from .rfm import rfm_score, rfm_table, score_distribution, value_activity_table
from .segments import (
    export_segment_lists,
    export_segment_users,
    migration_matrix,
    rfm_layers,
    rfm_segment,
    segment_migration,
    segment_summary,
)
from .significance import adjust_p_values, chi_square_test, srm_test
from .source import Source, connect
from .validation import DataContractWarning, ValidationReport, validate

__all__ = [
    "ABTestResult",
    "funnel",
    "new_user_funnel",
    "channel_quality",
    "reactivation",
    "at_risk_users",
    "export_users",
    "reactivation_findings",
    "active_days_distribution",
    "active_users",
    "activity_by_hour",
    "activity_tiers",
    "lifecycle",
    "stickiness",
    "cohort_retention",
    "new_user_retention",
    "retention_matrix",
    "summarise_new_user_retention",
    "CupedStats",
    "ExperimentHealth",
    "MeanStats",
    "ProportionStats",
    "RatioStats",
    "ab_test",
    "adjust_p_values",
    "chi_square_test",
    "days_needed",
    "experiment_health",
    "experiment_overview",
    "experiment_results",
    "experiment_verdict",
    "mann_whitney",
    "mde_mean",
    "mde_proportion",
    "plot_activity_heatmap",
    "plot_forest",
    "plot_lifecycle",
    "plot_retention_heatmap",
    "primary_results",
    "results_frame",
    "sample_size_mean",
    "sample_size_proportion",
    "srm_test",
    "DataContractError",
    "DataContractWarning",
    "OVERVIEW_METRICS",
    "OpsAnalysisError",
    "Params",
    "ParamsError",
    "Period",
    "PeriodError",
    "ReportError",
    "Source",
    "SourceError",
    "ValidationReport",
    "btyd_summary",
    "connect",
    "export_segment_lists",
    "export_segment_users",
    "migration_matrix",
    "plot_migration",
    "plot_score_distribution",
    "plot_segment_shares",
    "rfm_layers",
    "rfm_score",
    "rfm_segment",
    "rfm_table",
    "segment_migration",
    "score_distribution",
    "segment_summary",
    "value_activity_table",
    "daily_kpis",
    "kpi_findings",
    "migration_findings",
    "segment_findings",
    "kpi_overview",
    "latest_complete_period",
    "load_params",
    "open_report",
    "parse_period",
    "period_containing",
    "period_kpis",
    "plot_kpi_trend",
    "plot_kpi_trends",
    "plotting",
    "render",
    "reports",
    "validate",
]

__version__ = "0.1.0"
