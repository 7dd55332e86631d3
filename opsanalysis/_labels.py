"""Display names and units of metrics and sections, in English and Chinese."""

from __future__ import annotations

METRICS: dict[str, dict[str, str]] = {
    "new_users": {"en": "New users", "zh": "新增用户", "unit": "count"},
    "active_users": {"en": "Active users", "zh": "活跃用户", "unit": "count"},
    "dau_avg": {"en": "Average DAU", "zh": "日均活跃用户（DAU）", "unit": "count"},
    "dau": {"en": "DAU", "zh": "日活跃用户", "unit": "count"},
    "orders": {"en": "Paid orders", "zh": "支付订单数", "unit": "count"},
    "revenue": {"en": "Revenue", "zh": "营收", "unit": "money"},
    "paying_users": {"en": "Paying users", "zh": "付费用户", "unit": "count"},
}

# the active-users label depends on the period: WAU for a week, MAU for a month
ACTIVE_BY_KIND = {
    "week": {"en": "Weekly active users (WAU)", "zh": "周活跃用户（WAU）"},
    "month": {"en": "Monthly active users (MAU)", "zh": "月活跃用户（MAU）"},
}

SECTIONS: dict[str, dict[str, str]] = {
    "weekly_title": {"en": "Weekly user-operations report", "zh": "私域运营周报"},
    "overview": {"en": "Overview", "zh": "本周运营概况"},
    "findings": {"en": "Key findings", "zh": "核心结论"},
    "trend": {"en": "Daily trend", "zh": "每日趋势"},
    "data_notes": {"en": "About the data", "zh": "数据说明"},
}

COLUMNS: dict[str, dict[str, str]] = {
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "This period", "zh": "本期"},
    "compare_value": {"en": "Previous", "zh": "上期"},
    "pct_change": {"en": "Change", "zh": "环比"},
    "target_completion": {"en": "Of target", "zh": "目标完成率"},
}

CURRENCY = "¥"


def metric_label(metric: str, language: str = "en", kind: str | None = None) -> str:
    """Display name of a metric (the metric name itself when unknown)."""
    if metric == "active_users" and kind in ACTIVE_BY_KIND:
        return ACTIVE_BY_KIND[kind][language]
    return METRICS.get(metric, {}).get(language, metric)


def section(key: str, language: str = "en") -> str:
    return SECTIONS[key][language]


def format_value(metric: str, value: float) -> str:
    """Format a metric value for display: money with the currency sign, counts as integers."""
    if value != value:  # NaN
        return "–"
    unit = METRICS.get(metric, {}).get("unit", "count")
    if unit == "money":
        return f"{CURRENCY}{value:,.0f}"
    if metric == "dau_avg":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_pct(value: float, signed: bool = True) -> str:
    if value != value:
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"
