"""The views of the report sections: each makes one library call and one show or plot.

A view is a function of the report context (:mod:`opsanalysis.report.context`); the sections
that declare them, with what they need, are in :mod:`opsanalysis.report.sections`. Results that
later sections read (the scorecard's monitor, experiments, layer sizes, campaigns, the value
layers) are kept in ``report.kept``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

__all__: list[str] = []  # called through report.show(part); not library API

#: The report context (named without an import: the context imports the sections).
ReportContext = Any


def _oa() -> Any:
    import opsanalysis as oa

    return oa


def _show_plot() -> None:
    import matplotlib.pyplot as plt

    plt.show()


def _weekly(report: ReportContext) -> bool:
    return report.period.kind == "week"


def coverage(r: ReportContext) -> None:
    r.show_coverage(_oa().data_coverage(r.source, start=r.period.start, end=r.data_end))


def scorecard(r: ReportContext) -> None:
    r.kept["monitor"] = _oa().kpi_monitor(r.source, period=r.period)
    r.show_scorecard(r.kept["monitor"])


def goals(r: ReportContext) -> None:
    r.show_goals(_monitor(r))


def _monitor(r: ReportContext) -> pd.DataFrame:
    if "monitor" not in r.kept:
        r.kept["monitor"] = _oa().kpi_monitor(r.source, period=r.period)
    return r.kept["monitor"]


def new_users_by_channel(r: ReportContext) -> None:
    oa = _oa()
    if r.period.kind == "quarter":
        r.show_contribution(
            oa.kpi_contribution(r.source, "new_users", period=r.period, by="channel")
        )
        first = oa.period_containing(r.period.previous().start, "month")
        last = oa.period_containing(r.data_end, "month")
    else:
        first, last = r.period.shift(-7 if _weekly(r) else -5), r.period
    by_channel = oa.new_users_by_channel(r.source, first=first, last=last)
    if by_channel.empty or not by_channel["new_users"].gt(0).any():
        r.show_no_rows("users")
        return
    oa.plot_new_users_by_channel(by_channel, language=r.language)
    _show_plot()


def signup_window(r: ReportContext) -> tuple[Any, Any]:
    if _weekly(r):  # signups whose 30 days have passed
        return r.period.shift(-8).start, r.period.shift(-5).last_day
    return r.period.previous().start, r.period.previous().last_day


def channels(r: ReportContext) -> None:
    first, last = signup_window(r)
    r.show_channel_quality(_oa().channel_quality(r.source, start=first, end=last, until=r.data_end))


def trend(r: ReportContext) -> None:
    oa = _oa()
    daily = oa.daily_kpis(r.source, start=r.period.shift(-3).start, end=r.data_end)
    metrics = [m for m in ("dau", "new_users", "orders", "revenue") if m in set(daily["metric"])]
    oa.plot_kpi_trends(daily, metrics, period=r.period, language=r.language)
    _show_plot()


def when_active(r: ReportContext) -> None:
    oa = _oa()
    oa.plot_activity_heatmap(
        oa.activity_by_hour(r.source, start=r.period.start, end=r.data_end), language=r.language
    )
    _show_plot()


def activity(r: ReportContext) -> None:
    oa = _oa()
    start = r.period.shift(-7 if _weekly(r) else -2).start
    oa.plot_lifecycle(oa.lifecycle(r.source, start=start, end=r.data_end), language=r.language)
    _show_plot()


def activity_tiers(r: ReportContext) -> None:
    r.show_activity_tiers(_oa().activity_tiers(r.source, start=r.period.start, end=r.data_end))


def _retention_heatmap(r: ReportContext, retention: pd.DataFrame) -> None:
    oa = _oa()
    if retention.empty:
        r.show_no_rows("events")
        return
    oa.plot_retention_heatmap(
        oa.retention_matrix(retention),
        complete=oa.retention_matrix(retention, values="complete"),
        language=r.language,
    )
    _show_plot()


def retention(r: ReportContext) -> None:
    start, end = r.period.shift(-7).start, r.period.last_day
    _retention_heatmap(r, _oa().cohort_retention(r.source, start=start, end=end))


def monthly_retention(r: ReportContext) -> None:
    start = r.period.start if r.period.kind == "quarter" else r.period.shift(-5).start
    _retention_heatmap(
        r, _oa().cohort_retention(r.source, period="month", start=start, end=r.data_end)
    )


def new_user_retention(r: ReportContext) -> None:
    oa = _oa()
    new_users = oa.new_user_retention(
        r.source, period="week", start=r.period.shift(-5).start, end=r.data_end, by="channel"
    )
    r.show_new_user_retention(oa.summarise_new_user_retention(new_users, "channel"))


def reactivation(r: ReportContext) -> None:
    oa = _oa()
    reactivated = oa.reactivation(r.source, start=r.period.shift(-7).start, end=r.data_end)
    r.show_findings(oa.reactivation_findings(reactivated, language=r.language))
    r.show_at_risk(oa.at_risk_counts(r.source, as_of=r.data_end))


def content_items(r: ReportContext) -> None:
    earlier = r.period.previous()  # items of the week before are 7 days old by now
    items = _oa().content_performance(
        r.source, start=earlier.previous().start, end=earlier.last_day, until=r.data_end
    )
    r.show_content(items, published=earlier, previous=earlier.previous())


def content_month(r: ReportContext) -> None:
    earlier = r.period.previous()
    items = _oa().content_performance(r.source, start=earlier.start, end=r.data_end)
    r.show_content(items, published=r.period, previous=earlier)


def funnel(r: ReportContext) -> None:
    r.show_funnel(
        _oa().funnel(r.source, r.params.conversion_steps, start=r.period.start, end=r.data_end)
    )


def funnel_cohort(r: ReportContext) -> Any:
    return r.period.shift(-5 if _weekly(r) else -2)  # signups whose 30 days have passed


def new_user_funnel(r: ReportContext) -> None:
    cohort = funnel_cohort(r)
    r.show_funnel(
        _oa().new_user_funnel(r.source, start=cohort.start, end=cohort.last_day, until=r.data_end)
    )


def touchpoints(r: ReportContext) -> None:
    r.show_touchpoints(_oa().touchpoint_conversion(r.source, start=r.period.start, end=r.data_end))


def campaign_roi(r: ReportContext) -> None:
    r.kept["roi"] = _oa().campaign_roi(r.source, start=r.period.start, end=r.data_end)
    r.show_campaign_roi(r.kept["roi"])


def roas_channel(r: ReportContext) -> None:
    r.show_campaign_roi(
        _oa().campaign_roi(r.source, start=r.period.start, end=r.data_end, by="channel")
    )


def service(r: ReportContext) -> None:
    r.show_service(_oa().service_levels(r.source, start=r.period.start, end=r.data_end))


def experiments(r: ReportContext) -> None:
    concluded = {"concluded_in": r.period} if r.period.kind == "quarter" else {}
    r.kept["experiments"] = _oa().experiment_overview(r.source, end=r.data_end, **concluded)
    r.show_experiments(r.kept["experiments"])


def _layers(r: ReportContext) -> pd.DataFrame:
    if "layers" not in r.kept:
        r.kept["layers"] = _oa().rfm_layers(r.source, as_of=r.as_of, scheme=r.scheme)
    return r.kept["layers"]


def value_layers(r: ReportContext) -> None:
    oa = _oa()
    summary = oa.segment_summary(_layers(r), r.scheme, language=r.language, params=r.params)
    r.show_segment_table(summary)
    r.show_findings(oa.segment_findings(summary, language=r.language))
    if not summary.empty:
        oa.plot_segment_shares(summary, language=r.language)
        _show_plot()


def _migration(r: ReportContext) -> pd.DataFrame:
    if "migration" not in r.kept:
        before = r.period.previous().last_day
        r.kept["migration"] = _oa().segment_migration(
            r.source, before, r.data_end, r.scheme, to_layers=_layers(r)
        )
    return r.kept["migration"]


def segment_sizes(r: ReportContext) -> None:
    r.kept["sizes"] = _oa().segment_sizes(_migration(r))
    r.show_segment_sizes(r.kept["sizes"])


def quarter_layers(r: ReportContext) -> None:
    """The quarterly review's layer sizes against the quarter before (no table of layers)."""
    oa = _oa()
    migration = oa.segment_migration(r.source, r.period.previous().last_day, r.data_end, r.scheme)
    r.kept["sizes"] = oa.segment_sizes(migration)
    r.show_segment_sizes(r.kept["sizes"])


def value_tier_sizes(r: ReportContext) -> None:
    oa = _oa()
    tiers = oa.segment_migration(r.source, r.period.previous().last_day, r.data_end, "value_tier")
    r.show_segment_sizes(oa.segment_sizes(tiers), scheme="value_tier")


def migration(r: ReportContext) -> None:
    oa = _oa()
    moved = _migration(r)
    since = r.period.previous().label
    labels = r.segment_labels()
    r.show_findings(oa.migration_findings(moved, labels, since=since, language=r.language))
    oa.plot_migration(oa.migration_matrix(moved), labels=labels, language=r.language)
    _show_plot()


def lists(r: ReportContext) -> None:
    export_dir = r.export_dir
    segments = r.params.rfm["export_segments"]
    layers = _layers(r)
    exported = None
    if export_dir:
        exported = _oa().export_segment_lists(layers, export_dir, segments=segments)
    r.show_exports(exported)


def findings(r: ReportContext) -> None:
    r.show_ranked_findings(
        _oa().ranked_findings(
            r.source,
            monitor=_monitor(r),
            experiments=r.kept.get("experiments"),
            segments=r.kept.get("sizes"),
            campaigns=r.kept.get("roi") if r.period.kind != "quarter" else None,
            to_date=r.to_date,
        )
    )


def next_period(r: ReportContext) -> None:
    r.show_next_week(_monitor(r))


def data_notes(r: ReportContext) -> None:
    r.show_data_notes()


def channel_value(r: ReportContext) -> None:
    r.show_channel_value(_oa().channel_value(r.source, start=r.period.start, end=r.data_end))


def heading_only(r: ReportContext) -> None:
    """A part's heading alone."""


def rfm_scores(r: ReportContext) -> None:
    oa = _oa()
    scored = oa.rfm_score(oa.rfm_table(r.source, as_of=r.as_of), params=r.params)
    oa.plot_score_distribution(oa.score_distribution(scored), language=r.language)
    _show_plot()


def scheme_view(scheme: str) -> Callable[[ReportContext], None]:
    def view(r: ReportContext) -> None:
        oa = _oa()
        layers = oa.rfm_layers(r.source, as_of=r.as_of, scheme=scheme)
        summary = oa.segment_summary(layers, scheme, language=r.language, params=r.params)
        r.show_segment_table(summary)
        r.show_findings(oa.segment_findings(summary, language=r.language))
        if not summary.empty:
            oa.plot_segment_shares(summary, language=r.language)
            _show_plot()

    view.__name__ = view.__qualname__ = f"scheme_{scheme}"
    return view


def rfm_migration(r: ReportContext) -> None:
    oa = _oa()
    before = r.period.shift(-int(r.options.get("compare_weeks", 4)))
    moved = oa.segment_migration(r.source, before.last_day, r.as_of, r.scheme)
    labels = r.segment_labels()
    r.show_findings(oa.migration_findings(moved, labels, since=before.label, language=r.language))
    oa.plot_migration(oa.migration_matrix(moved), labels=labels, language=r.language)
    _show_plot()
