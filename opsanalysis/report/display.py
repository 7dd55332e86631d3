"""HTML tables for stakeholders: formatting happens here, at display time, never in results."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from ..data.periods import parse_period
from .findings_text import usual_range
from .labels import (
    COLUMNS,
    CURRENCY,
    METRICS,
    SEGMENT_COLUMNS,
    TABLE_HEADS,
    WORDS,
    format_pct,
    format_value,
    metric_label,
    text,
)
from .table_notes import table_note

__all__: list[str] = []  # used by report.context; nothing is re-exported


def _table(
    head: list[str],
    rows: list[list[tuple[str, str]]],
    css: str,
    colours: list[list[str]] | None = None,
) -> str:
    """An HTML table by pandas' Styler.

    ``rows`` holds cells as (text already formatted and escaped, alignment); ``head`` plain
    header texts (escaped here); ``colours`` an optional CSS colour per cell ("" for none).
    """
    cols = [f"c{i}" for i in range(len(head))]
    frame = pd.DataFrame([[t for t, _ in r] for r in rows], columns=cols)
    align = pd.DataFrame([[f"text-align: {a}" for _, a in r] for r in rows], columns=cols)
    if colours is not None:
        colour = pd.DataFrame(colours, columns=cols)
        align = align + colour.map(lambda c: f"; color: {c}" if c else "")
    styler = (
        frame.style.hide(axis="index")
        .relabel_index([html.escape(h) for h in head], axis="columns")
        .apply(lambda _: align, axis=None)
        .set_table_attributes(f'class="{css}" style="border-collapse:collapse"')
        .set_table_styles([{"selector": "th", "props": "text-align: left"}])
    )
    return styler.to_html()


def kpi_table_html(overview: pd.DataFrame, language: str = "en") -> str:
    """An HTML table of :func:`~opsanalysis.kpi.kpi_overview` for stakeholders."""
    cols = ["metric", "value", "compare_value", "pct_change"]
    has_target = overview["target"].notna().any()
    if has_target:
        cols.append("target_completion")
    head = [COLUMNS[c][language] for c in cols]
    rows, colours = [], []
    for row in overview.itertuples(index=False):
        kind = parse_period(row.period).kind
        pct = row.pct_change
        colour = (
            "#1a7f37" if pct == pct and pct > 0 else "#cf222e" if pct == pct and pct < 0 else "#444"
        )
        flag = " ⚠" if row.alert else ""
        cells = [
            (html.escape(metric_label(row.metric, language, kind)), "left"),
            (format_value(row.metric, row.value), "right"),
            (format_value(row.metric, row.compare_value), "right"),
            (f"{format_pct(pct)}{flag}", "right"),
        ]
        if has_target:
            tc = row.target_completion
            cells.append(("–" if tc != tc else f"{tc:.0%}", "right"))
        rows.append(cells)
        colours.append(["", "", "", colour] + ([""] if has_target else []))
    return _table(head, rows, "oa-kpi", colours)


def segment_table_html(summary: pd.DataFrame, language: str = "en") -> str:
    """An HTML table of :func:`~opsanalysis.segments.segment_summary` for stakeholders."""
    cols = list(SEGMENT_COLUMNS)
    rows = []
    for row in summary.to_dict("records"):
        cells = []
        for c in cols:
            v = row[c]
            if c in ("user_share", "revenue_share"):
                shown = "–" if v != v else f"{v:.1%}"
            elif c == "users":
                shown = f"{v:,}"
            elif c == "mean_monetary":
                shown = "–" if v != v else f"{CURRENCY}{v:,.0f}"
            elif c in ("mean_recency", "mean_frequency"):
                shown = "–" if v != v else f"{v:,.1f}"
            else:
                shown = html.escape(str(v))
            cells.append((shown, "left" if c in ("label", "action") else "right"))
        rows.append(cells)
    return _table([SEGMENT_COLUMNS[c][language] for c in cols], rows, "oa-segments")


def _num(v: float) -> str:
    if v != v:
        return "–"
    return f"{v:,.4f}" if abs(v) < 1 else f"{v:,.2f}"


def _days(v: float) -> str:
    return "–" if v != v else f"{v:,.0f}"


def experiment_table_html(results: pd.DataFrame, language: str = "en") -> str:
    """Results of :func:`~opsanalysis.experiments.experiment_results` as an HTML table."""
    yes, no = WORDS["yes"][language], WORDS["no"][language]
    rows = []
    for r in results.to_dict("records"):
        ci = (
            f"{r['rel_ci_low']:+.1%} … {r['rel_ci_high']:+.1%}"
            if r["rel_ci_low"] == r["rel_ci_low"]
            else "–"
        )
        rows.append(
            [
                (html.escape(str(r["metric"])), "left"),
                (html.escape(str(r["treatment"])), "left"),
                (html.escape(str(r.get("analysis", ""))), "left"),
                (_num(r["value_control"]), "right"),
                (_num(r["value_treatment"]), "right"),
                (format_pct(r["rel_effect"]), "right"),
                (ci, "right"),
                (f"{r['p_value_adjusted']:.3g}", "right"),
                (yes if r["significant"] else no, "left"),
                (
                    "–"
                    if r["bayes_chance_to_beat"] != r["bayes_chance_to_beat"]
                    else f"{r['bayes_chance_to_beat']:.1%}",
                    "right",
                ),
                (
                    "–"
                    if r["bayes_expected_loss"] != r["bayes_expected_loss"]
                    else f"{r['bayes_expected_loss']:.2%}",
                    "right",
                ),
                (
                    "–" if r.get("mde", float("nan")) != r.get("mde") else f"±{r['mde']:.1%}",
                    "right",
                ),
                (_days(r.get("days_to_planned_mde", float("nan"))), "right"),
            ]
        )
    return _table(TABLE_HEADS["experiment"][language], rows, "oa-experiment")


def health_html(health: Any, language: str = "en") -> str:
    """Variant counts against the expected split, SRM and exposure checks."""
    head = TABLE_HEADS["health"][language]
    total = sum(health.counts.values())
    rows = [
        [
            (html.escape(k), "left"),
            (f"{v:,}", "right"),
            (f"{v / total:.1%}", "right"),
            (f"{health.expected[k]:.1%}", "right"),
        ]
        for k, v in health.counts.items()
    ]
    note = text(
        "health",
        language,
        ok="✓" if health.srm_ok else "⚠",
        p=health.srm_p_value,
        multi=health.multiple_exposed,
        share=health.multiple_exposed_share,
        status=WORDS["running" if health.running else "finished"][language],
    )
    note = f"<p>{html.escape(note, quote=False)}</p>"
    return _table(head, rows, "oa-health") + note


def experiments_overview_html(overview: pd.DataFrame, language: str = "en") -> str:
    """Every experiment with its status and verdict (:func:`experiment_overview`)."""
    head = TABLE_HEADS["experiments"][language]
    rows = [
        [
            (html.escape(r["experiment_id"]), "left"),
            (html.escape(WORDS.get(r["status"], {}).get(language, str(r["status"]))), "left"),
            (f"{r['users']:,}", "right"),
            (html.escape(r["verdict"]), "left"),
        ]
        for r in overview.to_dict("records")
    ]
    return _table(head, rows, "oa-experiments")


def new_user_retention_html(summary: pd.DataFrame, by: str, language: str = "en") -> str:
    """Rows per ``by`` group, columns new users and D1/D7/... retention, from
    :func:`~opsanalysis.retention.summarise_new_user_retention`."""
    days = sorted(summary["day"].unique())
    group = WORDS.get(by, {}).get(language, by.replace("_", " ").capitalize())
    head = [group, WORDS["new_users"][language], *[f"D{d}" for d in days]]
    rows = []
    for key, part in summary.groupby(by, sort=True):
        part = part.set_index("day")
        cells = [(html.escape(str(key)), "left"), (f"{int(part['new_users'].iloc[0]):,}", "right")]
        for d in days:
            v = part["retention"].get(d, float("nan"))
            cells.append(("–" if v != v else f"{v:.1%}", "right"))
        rows.append(cells)
    return _table(head, rows, "oa-new-users")


def channel_quality_html(quality: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.channels.channel_quality` as an HTML table."""
    head = TABLE_HEADS["channels"][language]

    def pct(v: float) -> str:
        return "–" if v != v else f"{v:.1%}"

    def money(v: float) -> str:
        return "–" if v != v else f"{CURRENCY}{v:,.0f}" if abs(v) >= 100 else f"{CURRENCY}{v:,.2f}"

    rows = [
        [
            (html.escape(str(r["channel"])), "left"),
            (f"{r['new_users']:,}", "right"),
            (pct(r["d1_retention"]), "right"),
            (pct(r["d7_retention"]), "right"),
            (pct(r["first_order_rate"]), "right"),
            (money(r["revenue_per_new_user"]), "right"),
            (money(r["spend"]), "right"),
            (money(r["cac"]), "right"),
            ("–" if r["roas"] != r["roas"] else f"1:{r['roas']:.1f}", "right"),
        ]
        for r in quality.to_dict("records")
    ]
    return _table(head, rows, "oa-channels")


def _duration(v: Any) -> str:
    if v is None or pd.isna(v):
        return "–"
    secs = pd.Timedelta(v).total_seconds()
    if secs < 3600:
        return f"{secs / 60:.1f} min"
    if secs < 86400:
        return f"{secs / 3600:.1f} h"
    return f"{secs / 86400:.1f} d"


def funnel_html(result: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.funnel.funnel` as an HTML table."""
    head = TABLE_HEADS["funnel"][language]
    rows = [
        [
            (str(r["step"]), "right"),
            (html.escape(str(r["event"])), "left"),
            (f"{r['users']:,}", "right"),
            (f"{r['conversion_from_first']:.1%}", "right"),
            (f"{r['conversion_from_previous']:.1%}", "right"),
            (f"{r['drop_off']:,}", "right"),
            (_duration(r["median_time_from_previous"]), "right"),
        ]
        for r in result.to_dict("records")
    ]
    return _table(head, rows, "oa-funnel")


_STATUS_COLOUR = {"anomaly": "#cf222e", "watch": "#9a6700", "ok": "#1a7f37"}


def scorecard_html(monitor: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.monitor.kpi_monitor` as the scorecard table; the year-ago
    columns appear when some KPI has a year-ago value."""
    yoy = "year_ago" in monitor and monitor["year_ago"].notna().any()
    head = list(TABLE_HEADS["scorecard"][language])
    if yoy:
        head[4:4] = TABLE_HEADS["year_ago"][language]
    rows, colours = [], []
    for r in monitor.to_dict("records"):
        kind = parse_period(r["period"]).kind
        tc = r["completion"]
        if r["status"] == "no_data":  # a target the data cannot judge: said, never 0
            none = html.escape(WORDS["no_data"][language])
            dash = ("–", "right")
            cells = [
                (html.escape(metric_label(r["metric"], language, kind)), "left"),
                (none, "right"),
                *[dash] * (4 if yoy else 2),  # previous, change (and the year-ago pair)
                (format_value(r["metric"], r["target"]), "right"),
                dash,  # of target
                dash,  # usual range
                (none, "left"),
            ]
            rows.append(cells)
            colours.append([""] * len(cells))
            continue
        cells = [
            (html.escape(metric_label(r["metric"], language, kind)), "left"),
            (format_value(r["metric"], r["value"]), "right"),
            (format_value(r["metric"], r["previous"]), "right"),
            (format_pct(r["change"]), "right"),
            (format_value(r["metric"], r["target"]), "right"),
            ("–" if tc != tc else f"{tc:.0%}", "right"),
            (usual_range(r["metric"], r["low"], r["high"]), "right"),
            (html.escape(WORDS[r["status"]][language]), "left"),
        ]
        if yoy:
            cells[4:4] = [
                (format_value(r["metric"], r["year_ago"]), "right"),
                (format_pct(r["yoy_change"]), "right"),
            ]
        rows.append(cells)
        colours.append([""] * (len(cells) - 1) + [_STATUS_COLOUR.get(r["status"], "")])
    return _table(head, rows, "oa-scorecard", colours)


def service_html(levels: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.service.service_levels` (one row) as a table."""
    rows = []
    for r in levels.to_dict("records"):
        rate = r["response_rate"]
        rows.append(
            [
                (f"{r['tickets']:,}", "right"),
                (f"{r['answered_within']:,}", "right"),
                (f"{r['answered_late']:,}", "right"),
                (f"{r['unanswered']:,}", "right"),
                (f"{r['pending']:,}", "right"),
                ("–" if rate != rate else f"{rate:.1%}", "right"),
                (_duration(r["median_first_response"]), "right"),
                (_duration(r["p90_first_response"]), "right"),
            ]
        )
    return _table(TABLE_HEADS["service"][language], rows, "oa-service")


def campaign_roi_html(roi: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.campaigns.campaign_roi` with ROAS written "1:6.3" and ROI as
    a percentage; campaigns that lose money in red."""
    rows, colours = [], []
    for r in roi.to_dict("records"):
        roas, roi_, cac = r["roas"], r["roi"], r["cac"]
        rows.append(
            [
                (html.escape(str(r[roi.columns[0]])), "left"),
                (f"{CURRENCY}{r['spend']:,.0f}", "right"),
                (f"{r['users_touched']:,}", "right"),
                (f"{r['new_users']:,}", "right"),
                (f"{CURRENCY}{r['revenue']:,.0f}", "right"),
                ("–" if cac != cac else f"{CURRENCY}{cac:,.1f}", "right"),
                ("–" if roas != roas else f"1:{roas:.1f}", "right"),
                (format_pct(roi_), "right"),
            ]
        )
        colours.append([""] * 7 + ["#cf222e" if roi_ == roi_ and roi_ < 0 else ""])
    head = list(TABLE_HEADS["campaign_roi"][language])
    if roi.columns[0] == "channel":  # the same table by acquisition channel
        head[0] = WORDS["channel"][language]
    days = roi.attrs.get("attribution_days", 7)
    note = table_note(
        "channel" if roi.columns[0] == "channel" else "campaign_id", language, days=days
    )
    return _table(head, rows, "oa-roi", colours) + _note(note)


def _note(text: str) -> str:
    return f"<p class='oa-note'>{html.escape(text)}</p>"


def _word(value: str, language: str) -> str:
    """A value's word in ``language`` (content types, statuses), else the value itself."""
    return WORDS.get(value, {}).get(language, value)


def _rate(v: float) -> str:
    return "–" if v != v else f"{v:.1%}"


def content_html(
    by_type: pd.DataFrame, language: str = "en", previous: pd.DataFrame | None = None
) -> str:
    """:func:`~opsanalysis.metrics.content.content_performance` by type, pooled rates; with
    ``previous`` (the items of the week before), each rate with its change in points."""
    before = previous.set_index("type") if previous is not None else pd.DataFrame()
    rates = ["read_rate", "like_rate", "comment_rate", "share_rate", "engagement_rate"]

    def rate(r: dict, col: str) -> str:
        now = _rate(r[col])
        if r["type"] not in before.index or r[col] != r[col]:
            return now
        was = before.loc[r["type"], col]
        points = round((r[col] - was) * 100, 1)
        return now if was != was else f"{now} ({'±0.0' if points == 0 else f'{points:+.1f}'} pt)"

    rows = [
        [
            (html.escape(_word(str(r["type"]), language)), "left"),
            (f"{r['complete_items']:,}", "right"),
            (f"{r['readers']:,}", "right"),
            *[(rate(r, c), "right") for c in rates],
        ]
        for r in by_type.to_dict("records")
    ]
    note = table_note("content", language, days=by_type.attrs.get("reach_days", 30))
    return _table(TABLE_HEADS["content"][language], rows, "oa-content") + _note(note)


def top_content_html(top: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.content.top_content`; titles escaped."""
    rows = [
        [
            (str(r["rank"]), "right"),
            (html.escape(str(r.get("title", r["content_id"]))), "left"),
            (
                html.escape(WORDS.get(str(r.get("type")), {}).get(language, str(r.get("type")))),
                "left",
            ),
            (f"{r['readers']:,}", "right"),
            (_rate(r["engagement_rate"]), "right"),
            (_rate(r["share_rate"]), "right"),
        ]
        for r in top.to_dict("records")
    ]
    return _table(TABLE_HEADS["top_content"][language], rows, "oa-top-content")


def next_week_html(monitor: pd.DataFrame, language: str = "en") -> str:
    """Each KPI with a target: this week's value, the target, and the growth it needs (a
    relative change for counts and money, percentage points for rates); met targets in green."""
    rows, colours = [], []
    for r in monitor[monitor["target"].notna()].to_dict("records"):
        kind = parse_period(r["period"]).kind
        value, target = r["value"], r["target"]
        rate = METRICS.get(r["metric"], {}).get("unit") == "rate"
        if r.get("status") == "no_data":
            rows.append(
                [
                    (html.escape(metric_label(r["metric"], language, kind)), "left"),
                    (html.escape(WORDS["no_data"][language]), "right"),
                    (format_value(r["metric"], target), "right"),
                    ("–", "right"),
                ]
            )
            colours.append(["", "", "", ""])
            continue
        if value != value:
            needed = "–"
        elif rate:
            needed = f"{(target - value) * 100:+.1f} pt"
        else:
            needed = format_pct(target / value - 1) if value else "–"
        rows.append(
            [
                (html.escape(metric_label(r["metric"], language, kind)), "left"),
                (format_value(r["metric"], value), "right"),
                (format_value(r["metric"], target), "right"),
                (needed, "right"),
            ]
        )
        met = value == value and value >= target
        colours.append(["", "", "", "#1a7f37" if met else "#9a6700"])
    return _table(TABLE_HEADS["next_week"][language], rows, "oa-next-week", colours)
