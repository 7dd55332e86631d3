"""Tables of the report structure ops teams know: data coverage, layer sizes, goal attainment,
channel value, touchpoint conversion and where a KPI's change came from.

Their English and Chinese headers live here, beside the tables (the shared ones are in
:mod:`opsanalysis.report.labels`).
"""

from __future__ import annotations

import html

import pandas as pd

from .display import _table
from .findings_text import signed_value
from .labels import CURRENCY, METRICS, format_pct, format_value, metric_label
from .labels import WORDS as LABEL_WORDS

__all__: list[str] = []  # used through ReportContext

HEADS: dict[str, dict[str, list[str]]] = {
    "coverage": {
        "en": ["Table", "Touchpoint", "Rows", "Users", "First", "Last"],
        "zh": ["数据表", "触点", "行数", "用户数", "最早", "最晚"],
    },
    "segment_sizes": {
        "en": ["Layer", "Last period", "This period", "Change", "Change %"],
        "zh": ["分层", "上期", "本期", "变化", "变化率"],
    },
    "goals": {
        "en": ["Metric", "Target", "Actual", "Completion", "Result"],
        "zh": ["指标", "目标", "实际", "完成率", "结果"],
    },
    "channel_value": {
        "en": [
            "Channel",
            "New users",
            "LTV 30 d",
            "LTV 60 d",
            "LTV 90 d",
            "Had 90 days",
            "Repurchase",
            "Spend",
            "CAC",
            "Payback",
        ],
        "zh": [
            "渠道",
            "新用户",
            "30 天 LTV",
            "60 天 LTV",
            "90 天 LTV",
            "满 90 天占比",
            "复购率",
            "投放花费",
            "获客成本",
            "回本周期",
        ],
    },
    "touchpoints": {
        "en": [
            "Touchpoint",
            "Active users",
            "Ordered within 7 days",
            "Conversion",
            "Messages",
            "From high-value users",
        ],
        "zh": ["触点", "活跃用户", "7 天内下单", "转化率", "消息数", "高价值用户占比"],
    },
    "contribution_count": {
        "en": ["Part", "Previous", "This period", "Change", "Share of change"],
        "zh": ["拆分项", "上期", "本期", "变化", "变化贡献占比"],
    },
    "contribution_rate": {
        "en": ["Part", "Previous", "This period", "Mix effect", "Rate effect", "Share of change"],
        "zh": ["拆分项", "上期", "本期", "结构影响", "转化影响", "变化贡献占比"],
    },
}

TABLE_NAMES = {
    "users": {"en": "users", "zh": "用户"},
    "events": {"en": "events", "zh": "行为事件"},
    "orders": {"en": "orders", "zh": "订单"},
    "assignments": {"en": "experiment assignments", "zh": "实验分组"},
    "content": {"en": "content", "zh": "内容"},
    "spend": {"en": "spend", "zh": "投放花费"},
    "tickets": {"en": "service tickets", "zh": "客服工单"},
}

WORDS = {
    "met": {"en": "met", "zh": "达成"},
    "missed": {"en": "missed", "zh": "未达成"},
    "not_yet": {"en": "not yet met", "zh": "尚未达成"},
    "all_touchpoints": {"en": "all, users de-duplicated", "zh": "全部（用户去重）"},
    "over_90": {"en": "> 90 d", "zh": "> 90 天"},
    "days": {"en": "{d:.0f} d", "zh": "{d:.0f} 天"},
    "ltv_note": {
        "en": "LTV at N days: paid revenue in a user's first N days, per new user who has had "
        "N days by the end of the data; payback: the first of 30/60/90 days whose LTV reaches "
        "the CAC (revenue, not margin).",
        "zh": "N 天 LTV：用户注册后 N 天内的支付金额，按已满 N 天的新用户人均计算；回本周期："
        "30/60/90 天中 LTV 首次达到获客成本的时点（按营收，非毛利）。",
    },
}


def _money(v: float) -> str:
    return format_value("revenue", v)


def coverage_html(coverage: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.data.coverage.data_coverage` as one table."""
    rows = []
    for r in coverage.to_dict("records"):
        tp = r["touchpoint"]
        if r["table"] == "events" and not tp and (coverage["touchpoint"] != "").any():
            tp = WORDS["all_touchpoints"][language]
        rows.append(
            [
                (html.escape(TABLE_NAMES.get(r["table"], {}).get(language, r["table"])), "left"),
                (html.escape(str(tp)), "left"),
                (f"{r['rows']:,}", "right"),
                ("–" if r["users"] != r["users"] else f"{r['users']:,.0f}", "right"),
                (
                    "–" if pd.isna(r["first"]) else f"{pd.Timestamp(r['first']):%Y-%m-%d %H:%M}",
                    "right",
                ),
                (
                    "–" if pd.isna(r["last"]) else f"{pd.Timestamp(r['last']):%Y-%m-%d %H:%M}",
                    "right",
                ),
            ]
        )
    return _table(HEADS["coverage"][language], rows, "oa-coverage")


def segment_sizes_html(sizes: pd.DataFrame, labels: dict[str, str], language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.segments.segment_sizes`: users per layer, then and now."""
    rows, colours = [], []
    for r in sizes.to_dict("records"):
        rows.append(
            [
                (html.escape(labels.get(r["segment"], r["segment"])), "left"),
                (f"{r['previous']:,}", "right"),
                (f"{r['users']:,}", "right"),
                (f"{r['change']:+,}", "right"),
                (format_pct(r["pct_change"]), "right"),
            ]
        )
        colours.append([""] * 4 + ["#cf222e" if r["change"] < 0 else ""])
    return _table(HEADS["segment_sizes"][language], rows, "oa-segment-sizes", colours)


def goals_html(monitor: pd.DataFrame, language: str = "en", to_date: bool = False) -> str:
    """Each KPI with a target in params: target, actual, completion and met / missed ("not
    yet met" while the period has not ended)."""
    rows, colours = [], []
    for r in monitor[monitor["target"].notna()].to_dict("records"):
        if r.get("status") == "no_data":  # the data cannot judge it: neither met nor missed
            none = LABEL_WORDS["no_data"][language]
            rows.append(
                [
                    (html.escape(metric_label(r["metric"], language)), "left"),
                    (format_value(r["metric"], r["target"]), "right"),
                    (html.escape(none), "right"),
                    ("–", "right"),
                    (html.escape(none), "left"),
                ]
            )
            colours.append([""] * 5)
            continue
        met = r["value"] == r["value"] and r["value"] >= r["target"]
        rows.append(
            [
                (html.escape(metric_label(r["metric"], language)), "left"),
                (format_value(r["metric"], r["target"]), "right"),
                (format_value(r["metric"], r["value"]), "right"),
                ("–" if r["completion"] != r["completion"] else f"{r['completion']:.0%}", "right"),
                (WORDS["met" if met else "not_yet" if to_date else "missed"][language], "left"),
            ]
        )
        colours.append([""] * 4 + ["#1a7f37" if met else "#9a6700" if to_date else "#cf222e"])
    return _table(HEADS["goals"][language], rows, "oa-goals", colours)


def channel_value_html(value: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.channels.channel_value`, with how LTV is counted."""
    rows = []
    for r in value.to_dict("records"):
        pay = r["payback_days"]
        payback = (
            "–"
            if r["cac"] != r["cac"]
            else WORDS["over_90"][language]
            if pay != pay
            else WORDS["days"][language].format(d=pay)
        )
        rows.append(
            [
                (html.escape(str(r["channel"])), "left"),
                (f"{r['new_users']:,}", "right"),
                *[(_money(r[f"ltv_{h}"]), "right") for h in (30, 60, 90)],
                (format_pct(r["matured_90"], signed=False), "right"),
                (format_pct(r["repurchase_rate"], signed=False), "right"),
                (_money(r["spend"]), "right"),
                ("–" if r["cac"] != r["cac"] else f"{CURRENCY}{r['cac']:,.1f}", "right"),
                (payback, "right"),
            ]
        )
    note = f"<p class='oa-note'>{html.escape(WORDS['ltv_note'][language])}</p>"
    return _table(HEADS["channel_value"][language], rows, "oa-channel-value") + note


def touchpoints_html(conv: pd.DataFrame, language: str = "en") -> str:
    """:func:`~opsanalysis.metrics.campaigns.touchpoint_conversion`."""
    rows = [
        [
            (html.escape(str(r["touchpoint"])), "left"),
            (f"{r['active_users']:,}", "right"),
            (f"{r['converted_users']:,}", "right"),
            (format_pct(r["conversion_rate"], signed=False), "right"),
            (f"{r['messages']:,}", "right"),
            (format_pct(r["high_value_message_share"], signed=False), "right"),
        ]
        for r in conv.to_dict("records")
    ]
    return _table(HEADS["touchpoints"][language], rows, "oa-touchpoints")


def contribution_html(parts: pd.DataFrame, language: str = "en", kind: str | None = None) -> str:
    """:func:`~opsanalysis.metrics.contribution.kpi_contribution`: a caption naming the KPI,
    then each part's previous and current value and its share of the change."""
    metric = str(parts["metric"].iloc[0])
    rate = METRICS.get(metric, {}).get("unit") == "rate"
    rows = []
    for r in parts.to_dict("records"):
        cells = [
            (html.escape(str(r["part"])), "left"),
            (format_value(metric, r["previous"]), "right"),
            (format_value(metric, r["value"]), "right"),
        ]
        if rate:
            cells += [
                (f"{r['mix_effect'] * 100:+.1f} pt", "right"),
                (f"{r['rate_effect'] * 100:+.1f} pt", "right"),
            ]
        else:
            cells.append((signed_value(metric, r["change"]), "right"))
        cells.append(("–" if r["share"] != r["share"] else f"{r['share']:.0%}", "right"))
        rows.append(cells)
    head = HEADS["contribution_rate" if rate else "contribution_count"][language]
    caption = (
        f"<p class='oa-caption'><b>{html.escape(metric_label(metric, language, kind))}</b></p>"
    )
    return caption + _table(head, rows, "oa-contribution")
