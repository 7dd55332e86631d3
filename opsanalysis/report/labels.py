"""Every English and Chinese string of the reports: metric, section and column names, texts."""

from __future__ import annotations

__all__: list[str] = []  # internal helpers; nothing is re-exported

METRICS: dict[str, dict[str, str]] = {
    "new_users": {"en": "New users", "zh": "新增用户", "unit": "count"},
    "active_users": {"en": "Active users", "zh": "活跃用户", "unit": "count"},
    "dau_avg": {"en": "Average DAU", "zh": "日均活跃用户（DAU）", "unit": "count"},
    "dau": {"en": "DAU", "zh": "日活跃用户", "unit": "count"},
    "orders": {"en": "Paid orders", "zh": "支付订单数", "unit": "count"},
    "revenue": {"en": "Revenue", "zh": "营收", "unit": "money"},
    "paying_users": {"en": "Paying users", "zh": "付费用户", "unit": "count"},
    "stickiness": {"en": "Stickiness (DAU / WAU)", "zh": "用户粘性（DAU/WAU）", "unit": "rate"},
    "community_messages": {"en": "Community messages", "zh": "社群消息数", "unit": "count"},
    "add_wecom_conversion": {
        "en": "Add-WeCom conversion",
        "zh": "添加企微转化率",
        "unit": "rate",
    },
    "content_read_rate": {"en": "Content read rate", "zh": "内容阅读率", "unit": "rate"},
    "repeat_purchase_rate": {"en": "Repeat-purchase rate", "zh": "复购率", "unit": "rate"},
    "reactivation_rate": {"en": "Reactivation rate", "zh": "沉默用户召回率", "unit": "rate"},
    "response_rate": {"en": "48-hour response rate", "zh": "48 小时响应率", "unit": "rate"},
}

# the active-users label depends on the period: WAU for a week, MAU for a month
ACTIVE_BY_KIND = {
    "week": {"en": "Weekly active users (WAU)", "zh": "周活跃用户（WAU）"},
    "month": {"en": "Monthly active users (MAU)", "zh": "月活跃用户（MAU）"},
    "quarter": {"en": "Quarterly active users (QAU)", "zh": "季度活跃用户（QAU）"},
}

SECTIONS: dict[str, dict[str, str]] = {
    "weekly_title": {"en": "Weekly user-operations report", "zh": "私域运营周报"},
    "monthly_title": {"en": "Monthly user-operations report", "zh": "私域运营月报"},
    "quarterly_title": {"en": "Quarterly user-operations review", "zh": "私域运营季度复盘"},
    "overview": {"en": "Overview", "zh": "运营概况"},
    "growth": {"en": "Growth and activity", "zh": "用户增长与活跃"},
    "conversion": {"en": "Conversion and ROI", "zh": "转化与投入产出"},
    "findings": {"en": "Problems and findings", "zh": "问题与发现"},
    "goals": {"en": "Goal attainment", "zh": "目标达成"},
    "channel_value": {
        "en": "Channel value (users who signed up {first:%Y-%m-%d} to {last:%Y-%m-%d})",
        "zh": "渠道价值（{first:%Y-%m-%d} 至 {last:%Y-%m-%d} 注册用户）",
    },
    "coverage": {"en": "Data coverage", "zh": "数据覆盖"},
    "new_users_by_channel": {"en": "New users by channel", "zh": "各渠道新增用户"},
    "new_user_funnel": {
        "en": "Register → activate → first order (signups {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
        "30 days)",
        "zh": "注册 → 激活 → 首单（{first:%Y-%m-%d} 至 {last:%Y-%m-%d} 注册用户，30 天）",
    },
    "content_month": {
        "en": "Content published this period (interactions in its first 7 days)",
        "zh": "本期发布内容（发布后 7 天内互动）",
    },
    "touchpoints": {"en": "Conversion by touchpoint (7 days)", "zh": "各触点转化（7 天）"},
    "roas_channel": {"en": "Cost and return by channel", "zh": "各渠道投入产出"},
    "segment_sizes": {"en": "Layer sizes against last period", "zh": "分层规模较上期"},
    "monthly_retention": {"en": "Monthly cohort retention", "zh": "月留存（同期群）"},
    "contribution": {"en": "Where the change came from", "zh": "变化来源拆解"},
    "next_month": {"en": "Next month", "zh": "下月计划"},
    "trend": {"en": "Daily trend", "zh": "每日趋势"},
    "data_notes": {"en": "About the data", "zh": "数据说明"},
    "scorecard": {"en": "KPI scorecard", "zh": "核心指标看板"},
    "service": {"en": "Service levels", "zh": "客服响应"},
    "next_week": {"en": "Next week", "zh": "下周计划"},
    "content": {"en": "Content", "zh": "内容运营"},
    "content_items": {
        "en": "Content (items of the week before, at 7 days old)",
        "zh": "内容表现（上周发布内容，发布满 7 天）",
    },
    "campaign_roi": {"en": "Campaign cost and return", "zh": "活动投入产出"},
    "value_layers": {"en": "Value layers", "zh": "用户价值分层"},
    "segments": {"en": "Value layers (RFM)", "zh": "用户价值分层（RFM）"},
    "migration": {"en": "Layer migration since last period", "zh": "分层迁移（较上期）"},
    "rfm_title": {"en": "RFM value layering", "zh": "RFM 用户价值分层分析"},
    "scores": {"en": "Score distribution", "zh": "RFM 得分分布"},
    "rfm8": {"en": "Eight RFM classes", "zh": "RFM 八类用户"},
    "named": {"en": "Recency x frequency segments", "zh": "R×F 用户分群"},
    "value_tier": {"en": "Value tiers", "zh": "会员价值等级"},
    "value_activity": {"en": "Value x activity quadrants", "zh": "价值×活跃度四象限"},
    "lists": {"en": "User lists for campaigns", "zh": "运营名单导出"},
    "experiment_title": {"en": "A/B test readout", "zh": "A/B 实验报告"},
    "retention": {"en": "Weekly cohort retention", "zh": "周留存（同期群）"},
    "activity": {"en": "Activity and lifecycle", "zh": "用户活跃与生命周期"},
    "reactivation": {"en": "Silent users and reactivation", "zh": "沉默用户召回"},
    "funnel": {"en": "Conversion funnel (7-day window)", "zh": "转化漏斗（7 天窗口）"},
    "channels": {
        "en": "Channel quality (signups {first:%Y-%m-%d} to {last:%Y-%m-%d}, 30-day outcomes)",
        "zh": "渠道质量（{first:%Y-%m-%d} 至 {last:%Y-%m-%d} 注册用户，30 天表现）",
    },
    "when_active": {"en": "When users are active", "zh": "用户活跃时段"},
    "new_user_retention": {"en": "New-user retention by channel", "zh": "各渠道新用户留存"},
    "experiments": {"en": "Experiments", "zh": "A/B 实验"},
    "health": {"en": "Health checks", "zh": "实验健康检查"},
    "results": {"en": "Results", "zh": "实验结果"},
    "effects": {"en": "Effects with intervals", "zh": "效果与置信区间"},
}

COLUMNS: dict[str, dict[str, str]] = {
    "metric": {"en": "Metric", "zh": "指标"},
    "value": {"en": "This period", "zh": "本期"},
    "compare_value": {"en": "Previous", "zh": "上期"},
    "pct_change": {"en": "Change", "zh": "环比"},
    "target_completion": {"en": "Of target", "zh": "目标完成率"},
}

SEGMENT_COLUMNS: dict[str, dict[str, str]] = {
    "label": {"en": "Segment", "zh": "分层"},
    "users": {"en": "Users", "zh": "用户数"},
    "user_share": {"en": "Share of users", "zh": "用户占比"},
    "revenue_share": {"en": "Share of revenue", "zh": "营收占比"},
    "mean_recency": {"en": "Days since last order", "zh": "平均距上次购买天数"},
    "mean_frequency": {"en": "Orders", "zh": "平均订单数"},
    "mean_monetary": {"en": "Spend", "zh": "平均消费"},
    "action": {"en": "Recommended action", "zh": "建议动作"},
}

# table headers of report/display.py, per table and language
TABLE_HEADS: dict[str, dict[str, list[str]]] = {
    "scorecard": {
        "en": [
            "Metric",
            "This period",
            "Previous",
            "Change",
            "Target",
            "Of target",
            "Usual range",
            "Status",
        ],
        "zh": ["指标", "本期", "上期", "环比", "目标", "目标完成率", "常态区间", "状态"],
    },
    "year_ago": {
        "en": ["Year ago", "Year on year"],
        "zh": ["去年同期", "同比"],
    },
    "next_week": {
        "en": ["Metric", "This period", "Target", "Needed"],
        "zh": ["指标", "本期", "目标", "所需增长"],
    },
    "content": {
        "en": [
            "Type",
            "Items",
            "Readers",
            "Read rate",
            "Like rate",
            "Comment rate",
            "Share rate",
            "Engagement",
        ],
        "zh": ["类型", "内容数", "阅读人数", "阅读率", "点赞率", "评论率", "分享率", "互动率"],
    },
    "top_content": {
        "en": ["#", "Title", "Type", "Readers", "Engagement", "Share rate"],
        "zh": ["#", "标题", "类型", "阅读人数", "互动率", "分享率"],
    },
    "service": {
        "en": [
            "Tickets",
            "Within target",
            "Late",
            "Unanswered",
            "Pending",
            "Rate",
            "Median",
            "P90",
        ],
        "zh": [
            "工单数",
            "按时响应",
            "超时响应",
            "未响应",
            "待处理",
            "响应率",
            "中位响应",
            "P90 响应",
        ],
    },
    "campaign_roi": {
        "en": [
            "Campaign",
            "Spend",
            "Users touched",
            "New users",
            "Revenue",
            "CAC",
            "ROAS (revenue : spend)",
            "ROI ((revenue - spend) / spend)",
        ],
        "zh": [
            "活动",
            "投入",
            "触达用户",
            "新增用户",
            "营收",
            "获客成本",
            "投产比（营收:投入）",
            "净回报率（(营收-投入)/投入）",
        ],
    },
    "experiment": {
        "en": [
            "Metric",
            "Variant",
            "Analysis",
            "Control",
            "Treatment",
            "Lift",
            "CI",
            "p (adj.)",
            "Significant",
            "Bayesian: chance to beat",
            "Bayesian: expected loss",
            "Detectable lift (80% power)",
            "Days to planned MDE",
        ],
        "zh": [
            "指标",
            "变体",
            "分析",
            "对照组",
            "实验组",
            "提升",
            "置信区间",
            "p 值（校正）",
            "是否显著",
            "贝叶斯：胜出概率",
            "贝叶斯：预期损失",
            "可检测提升（80% 功效）",
            "达到计划 MDE 还需天数",
        ],
    },
    "health": {
        "en": ["Variant", "Users", "Share", "Expected"],
        "zh": ["变体", "用户数", "占比", "预期占比"],
    },
    "experiments": {
        "en": ["Experiment", "Status", "Users", "Verdict"],
        "zh": ["实验", "状态", "用户数", "结论"],
    },
    "channels": {
        "en": [
            "Channel",
            "New users",
            "D1",
            "D7",
            "First order (30 d)",
            "Revenue / user (30 d)",
            "Spend",
            "CAC",
            "ROAS (revenue : spend)",
        ],
        "zh": [
            "渠道",
            "新用户",
            "次日留存",
            "7日留存",
            "30天首单率",
            "30天人均营收",
            "投放",
            "获客成本",
            "投产比（营收:投入）",
        ],
    },
    "funnel": {
        "en": ["Step", "Event", "Users", "From first", "From previous", "Drop-off", "Median time"],
        "zh": ["步骤", "事件", "用户数", "总转化率", "步骤转化率", "流失", "中位用时"],
    },
}

# single words of tables and sentences
WORDS: dict[str, dict[str, str]] = {
    "ok": {"en": "ok", "zh": "正常"},
    "article": {"en": "article", "zh": "图文"},
    "video": {"en": "video", "zh": "视频"},
    "live": {"en": "live", "zh": "直播"},
    "watch": {"en": "watch", "zh": "留意"},
    "anomaly": {"en": "anomaly", "zh": "异常"},
    "insufficient_history": {"en": "too little history", "zh": "历史不足"},
    "no_data": {"en": "no data", "zh": "暂无数据"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "running": {"en": "running", "zh": "进行中"},
    "finished": {"en": "finished", "zh": "已结束"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "new_users": {"en": "New users", "zh": "新用户"},
}

CURRENCY = "¥"


def metric_label(metric: str, language: str = "en", kind: str | None = None) -> str:
    """Display name of a metric (the metric name itself when unknown)."""
    if metric == "active_users" and kind in ACTIVE_BY_KIND:
        return ACTIVE_BY_KIND[kind][language]
    if metric == "stickiness" and kind in ("month", "quarter"):
        per = "MAU" if kind == "month" else "QAU"
        return {"en": f"Stickiness (DAU / {per})", "zh": f"用户粘性（DAU/{per}）"}[language]
    return METRICS.get(metric, {}).get(language, metric)


def section(key: str, language: str = "en", **values: object) -> str:
    """A section title; some take values (``channels``: the signup dates ``first``, ``last``)."""
    title = SECTIONS[key][language]
    return title.format(**values) if values else title


def format_value(metric: str, value: float) -> str:
    """Format a metric value for display: money with the currency sign, counts as integers."""
    if value != value:  # NaN
        return "–"
    unit = METRICS.get(metric, {}).get("unit", "count")
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "money":
        return f"{CURRENCY}{value:,.0f}"
    if metric == "dau_avg":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_pct(value: float, signed: bool = True) -> str:
    if value != value:
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


# --------------------------------------------------------------------------------------------
# Sentences and short texts of the report pages, as templates filled with str.format

TEXT: dict[str, dict[str, str]] = {
    "no_experiments": {"en": "No experiment in this period.", "zh": "本期没有实验。"},
    "to_date_note": {
        "en": "To date: this period's figures cover {days} of its {of} days, against the whole "
        "previous period; counts will still grow.",
        "zh": "截至目前：本期数据覆盖 {of} 天中的 {days} 天，与上期全期相比；累计类指标仍会增长。",
    },
    "month_to_date": {"en": "(month to date)", "zh": "（月初至今）"},
    "quarter_to_date": {"en": "(quarter to date)", "zh": "（季度初至今）"},
    "catalogue_title": {"en": "Reports", "zh": "报告目录"},
    "catalogue_period": {"en": "Period", "zh": "周期"},
    "catalogue_generated": {"en": "Generated", "zh": "生成时间"},
    "catalogue_status": {"en": "Status", "zh": "状态"},
    "catalogue_ok": {"en": "ok", "zh": "正常"},
    "catalogue_failed": {"en": "failed", "zh": "失败"},
    "stamp_period": {"en": "Period", "zh": "周期"},
    "stamp_generated": {"en": "Generated", "zh": "生成时间"},
    "stamp_version": {"en": "Version", "zh": "版本"},
    "stamp_params": {"en": "Params hash", "zh": "参数哈希"},
    "stamp_fingerprint": {"en": "Data fingerprint", "zh": "数据指纹"},
    "stamp_source": {"en": "Source", "zh": "数据源"},
    "contents": {"en": "Contents", "zh": "目录"},
    "no_cjk_font": {
        "en": "",
        "zh": (
            "注：本机未安装中文字体，图表暂用英文标签"
            "（Debian/Ubuntu：apt-get install fonts-noto-cjk）。"
        ),
    },
    "needs_table": {
        "en": "Not shown: this section needs the {table} table. Add it to the source, or name "
        "yours in params: `tables: {{{table}: your_table}}`.",
        "zh": "本节未展示：需要 {table} 数据表。请把该表加入数据源，或在参数中指明表名："
        "`tables: {{{table}: 你的表名}}`。",
    },
    "needs_tables": {
        "en": "Not shown: this section needs the tables {tables}. Add them to the source, or "
        "name yours in params: `tables: {{{first}: your_table}}`.",
        "zh": "本节未展示：需要以下数据表：{tables}。请把它们加入数据源，或在参数中指明表名："
        "`tables: {{{first}: 你的表名}}`。",
    },
    "needs_any_table": {
        "en": "Not shown: this section needs one of the tables {tables}.",
        "zh": "本节未展示：需要以下数据表之一：{tables}。",
    },
    "needs_column": {
        "en": "Not shown: this section needs the column {column} in the {table} table. Map "
        "yours in params: `columns: {{{table}: {{your_column: {column}}}}}`.",
        "zh": "本节未展示：需要 {table} 表中的 {column} 字段。请在参数中映射你的字段名："
        "`columns: {{{table}: {{你的字段: {column}}}}}`。",
    },
    "needs_events": {
        "en": "Not shown: no event in the data is named as params `{param}` says ({names}). "
        "Set `{param}` to the names your events use.",
        "zh": "本节未展示：数据中没有参数 `{param}` 所列的事件（{names}）。"
        "请把 `{param}` 改为你的数据中的事件名。",
    },
    "needs_params": {
        "en": "Not shown: params `{param}` names no event; list the event names of this "
        "section there.",
        "zh": "本节未展示：参数 `{param}` 未设置事件；请在此列出本节所需的事件名。",
    },
    "no_rows": {
        "en": "No rows of the {table} table in this window.",
        "zh": "本期窗口内 {table} 表没有数据。",
    },
    "left_out": {
        "en": "Not shown for lack of data (each section says what it needs): {sections}.",
        "zh": "因缺少数据未展示的部分（各节注明所需数据）：{sections}。",
    },
    "section_needs": {
        "en": "This section is left out: the data source has no table",
        "zh": "本节略过：数据源中没有以下数据表",
    },
    "tier_high": {"en": "High activity ({high}+ active days)", "zh": "高活跃（≥{high} 天）"},
    "tier_medium": {
        "en": "Medium ({medium}-{high_less} days)",
        "zh": "中活跃（{medium}–{high_less} 天）",
    },
    "tier_low": {"en": "Low (under {medium} days)", "zh": "低活跃（<{medium} 天）"},
    "tier_line": {
        "en": "{name}: {users:,} ({share:.1%})",
        "zh": "{name}：{users:,}（{share:.1%}）",
    },
    "at_risk": {
        "en": (
            "{total:,} users show churn warning signs: {long_gap:,} with a gap far longer than "
            "usual, {fewer:,} using fewer features. Export the list with "
            "`opsanalysis export at-risk --out FILE.csv`."
        ),
        "zh": (
            "{total:,} 名用户出现流失预警：{long_gap:,} 名登录间隔明显拉长，"
            "{fewer:,} 名使用的功能减少。"
            "名单请用 `opsanalysis export at-risk --out 文件.csv` 导出。"
        ),
    },
    "no_lists": {
        "en": "No lists written: set the export_dir parameter to write CSV files for campaigns.",
        "zh": "未导出名单：渲染时设置 export_dir 参数即可导出 CSV。",
    },
    "list_written": {
        "en": "{name}: {users:,} users → `{path}`",
        "zh": "{name}：{users:,} 人 → `{path}`",
    },
    "list_empty": {"en": "{name}: no users, no file", "zh": "{name}：无用户"},
    "data_notes": {
        "en": (
            "Source: {source}; latest data at {last:%Y-%m-%d %H:%M} ({timezone}). Weeks are ISO "
            "weeks (Monday to Sunday). Active means any {active}; orders count when paid."
        ),
        "zh": (
            "数据来源：{source}；最新数据时间 {last:%Y-%m-%d %H:%M}（{timezone}）。周为 ISO 周"
            "（周一至周日）。活跃指发生任一{active}；订单仅计已支付。"
        ),
    },
    "active_any_event": {"en": "event", "zh": "事件"},
    "health": {
        "en": (
            "{ok} Sample-ratio test p = {p:.3g}; users seen in several variants: {multi:,} "
            "({share:.2%}, excluded); status: {status}."
        ),
        "zh": (
            "{ok} 样本比例检验（SRM）p = {p:.3g}；重复曝光用户 {multi:,}（{share:.2%}，已剔除）；"
            "状态：{status}。"
        ),
    },
    "active_listed": {"en": "of the active events set in params", "zh": "活跃事件"},
}

# chart texts
LIFECYCLE: dict[str, dict[str, str]] = {
    "new": {"en": "new", "zh": "新增"},
    "returning": {"en": "returning", "zh": "留存"},
    "resurrecting": {"en": "resurrecting", "zh": "回流"},
    "dormant": {"en": "dormant", "zh": "沉默"},
}
WEEKDAYS: dict[str, list[str]] = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
}
AXES: dict[str, dict[str, str]] = {
    "periods_since": {"en": "periods since the cohort's first", "zh": "距首期的期数"},
    "cohort": {"en": "cohort", "zh": "同期群"},
    "mean_row": {"en": "mean", "zh": "平均"},
    "hour": {"en": "hour", "zh": "小时"},
    "user_share": {"en": "Share of users", "zh": "用户占比"},
    "revenue_share": {"en": "Share of revenue", "zh": "营收占比"},
    "to_now": {"en": "to (now)", "zh": "当前分层"},
    "from_before": {"en": "from (before)", "zh": "之前分层"},
    "score": {"en": "score (5 = best)", "zh": "得分（5 为最好）"},
    "share_of_users": {"en": "share of users", "zh": "用户占比"},
    "lift": {"en": "effect vs control (lift)", "zh": "相对对照组的效果（提升率）"},
    "effect": {"en": "effect vs control", "zh": "相对对照组的效果"},
}


def text(key: str, language: str = "en", **values: object) -> str:
    """The report text ``key`` in ``language``, filled with ``values``."""
    return TEXT[key][language].format(**values)
