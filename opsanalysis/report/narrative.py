"""Plain-language findings written from tidy results, in English or Chinese.

Text is generated from the numbers, so the sentences in a report never disagree with its
tables. Every function returns a list of sentences; the report shows them as bullets.
"""

from __future__ import annotations

import pandas as pd

from ..data._checks import check_one_of
from ..data.periods import parse_period
from ..stats.verdicts import verdict_code
from .labels import format_pct, format_value, metric_label

__all__ = [
    "kpi_findings",
    "segment_findings",
    "migration_findings",
    "experiment_verdict",
    "with_verdicts",
    "reactivation_findings",
]


def _direction(pct: float, language: str) -> str:
    if language == "zh":
        return "上升" if pct > 0 else "下降"
    return "up" if pct > 0 else "down"


def kpi_findings(overview: pd.DataFrame, *, language: str = "en") -> list[str]:
    """One sentence per KPI of :func:`~opsanalysis.kpi.kpi_overview`, alerts first.

    Each sentence gives the value, its change on the comparison period, the target
    completion when a target is set, and says so when the move exceeds the alert threshold.

    Examples
    --------
    >>> df = pd.DataFrame({"metric": ["revenue"], "period": ["2025-W47"], "value": [1100.0],
    ...     "compare_period": ["2025-W46"], "compare_value": [1000.0], "abs_change": [100.0],
    ...     "pct_change": [0.1], "target": [float("nan")], "target_completion": [float("nan")],
    ...     "alert": [False]})
    >>> kpi_findings(df)
    ['Revenue: ¥1,100, up 10.0% on 2025-W46 (¥1,000).']
    """
    check_one_of("language", language, ["en", "zh"])
    ordered = overview.sort_values("alert", ascending=False, kind="stable")
    out = []
    for row in ordered.itertuples(index=False):
        kind = parse_period(row.period).kind
        label = metric_label(row.metric, language, kind)
        value = format_value(row.metric, row.value)
        prev = format_value(row.metric, row.compare_value)
        pct = row.pct_change
        if language == "zh":
            if pct != pct:
                s = f"{label}为 {value}（{row.compare_period}：{prev}）。"
            elif pct == 0:
                s = f"{label}为 {value}，与 {row.compare_period} 持平。"
            else:
                s = (
                    f"{label}为 {value}，较 {row.compare_period}（{prev}）"
                    f"{_direction(pct, language)} {format_pct(abs(pct), signed=False)}。"
                )
            if row.target_completion == row.target_completion:
                target = format_value(row.metric, row.target)
                s += f"完成目标 {target} 的 {row.target_completion:.0%}。"
            if row.alert:
                s = "⚠ " + s + "波动超过预警阈值，请核查原因。"
        else:
            low = label[0].upper() + label[1:]
            if pct != pct:
                s = f"{low}: {value} ({row.compare_period}: {prev})."
            elif pct == 0:
                s = f"{low}: {value}, unchanged on {row.compare_period}."
            else:
                s = (
                    f"{low}: {value}, {_direction(pct, language)} "
                    f"{format_pct(abs(pct), signed=False)} on {row.compare_period} ({prev})."
                )
            if row.target_completion == row.target_completion:
                s += (
                    f" That is {row.target_completion:.0%} of the target of "
                    f"{format_value(row.metric, row.target)}."
                )
            if row.alert:
                s = "⚠ " + s + " This move is beyond the alert threshold: check the cause."
        out.append(s)
    return out


def segment_findings(summary: pd.DataFrame, *, language: str = "en", top: int = 3) -> list[str]:
    """Sentences on the segments that bring the most revenue, from
    :func:`~opsanalysis.segments.segment_summary`.

    >>> s = pd.DataFrame({"label": ["Important value", "General develop"], "users": [20, 80],
    ...     "user_share": [0.2, 0.8], "revenue_share": [0.6, 0.4], "action": ["VIP care.", ""]})
    >>> segment_findings(s, top=1)
    ['Important value: 20 users (20.0% of users) bring 60.0% of revenue. VIP care.']
    """
    check_one_of("language", language, ["en", "zh"])
    rows = summary[summary["users"] > 0].sort_values(
        "revenue_share", ascending=False, kind="stable"
    )
    out = []
    for row in rows.head(top).itertuples(index=False):
        if language == "zh":
            s = (
                f"{row.label}：{row.users:,} 人（占 {row.user_share:.1%}），贡献 "
                f"{row.revenue_share:.1%} 的营收。"
            )
            s += f"建议：{row.action}" if row.action else ""
        else:
            s = (
                f"{row.label}: {row.users:,} users ({row.user_share:.1%} of users) bring "
                f"{row.revenue_share:.1%} of revenue."
            )
            s += f" {row.action}" if row.action else ""
        out.append(s)
    return out


def migration_findings(
    migration: pd.DataFrame,
    labels: dict[str, str] | None = None,
    *,
    since: str = "",
    language: str = "en",
    top: int = 3,
) -> list[str]:
    """Sentences on the largest moves between different segments, from
    :func:`~opsanalysis.segments.segment_migration` (users who stayed are left out).

    >>> m = pd.DataFrame({"from_segment": ["a", "a", "b"], "to_segment": ["a", "b", "a"],
    ...                   "users": [50, 7, 3], "share_of_from": [0.877, 0.123, 1.0]})
    >>> for s in migration_findings(m, {"a": "Loyal", "b": "At risk"}, since="2025-W46"):
    ...     print(s)
    7 users moved from Loyal to At risk since 2025-W46 (12.3% of Loyal).
    3 users moved from At risk to Loyal since 2025-W46 (100.0% of At risk).
    """
    check_one_of("language", language, ["en", "zh"])
    labels = labels or {}
    moves = migration[migration["from_segment"] != migration["to_segment"]]
    moves = moves.sort_values("users", ascending=False, kind="stable").head(top)
    out = []
    for row in moves.itertuples(index=False):
        a = labels.get(row.from_segment, row.from_segment)
        b = labels.get(row.to_segment, row.to_segment)
        n = f"{row.users:,}"
        if language == "zh":
            when = f"自 {since} 起，" if since else ""
            if row.from_segment == "(new)":
                out.append(f"{when}{n} 名新进入的购买用户落入「{b}」。")
            elif row.to_segment == "(gone)":
                out.append(
                    f"{when}{n} 名「{a}」用户因窗口内无订单而移出分层"
                    f"（占 {row.share_of_from:.1%}）。"
                )
            else:
                out.append(
                    f"{when}{n} 名用户从「{a}」迁移至「{b}」"
                    f"（占「{a}」的 {row.share_of_from:.1%}）。"
                )
        else:
            when = f" since {since}" if since else ""
            if row.from_segment == "(new)":
                out.append(f"{n} new buyers entered {b}{when}.")
            elif row.to_segment == "(gone)":
                out.append(
                    f"{n} users of {a} left the layers{when}: no order in the window "
                    f"({row.share_of_from:.1%} of {a})."
                )
            else:
                out.append(
                    f"{n} users moved from {a} to {b}{when} ({row.share_of_from:.1%} of {a})."
                )
    return out


_EXPERIMENT_METRICS = {
    "conversion": {"en": "conversion", "zh": "转化率"},
    "revenue": {"en": "revenue per user", "zh": "人均营收"},
    "orders": {"en": "orders per user", "zh": "人均订单数"},
    "revenue_per_order": {"en": "revenue per order", "zh": "客单价"},
}


def experiment_verdict(result: dict | pd.Series, *, language: str = "en") -> str:
    """One sentence on one experiment result row (``ABTestResult.to_frame()`` or
    :func:`~opsanalysis.experiments.experiment_results`).

    >>> row = {"treatment": "B", "metric": "conversion", "rel_effect": 0.123,
    ...        "rel_ci_low": 0.041, "rel_ci_high": 0.205, "p_value_adjusted": 0.003,
    ...        "alpha": 0.05, "significant": True, "warnings": "", "sequential": False}
    >>> experiment_verdict(row)
    'Variant B raised conversion by 12.3% (95% CI 4.1% to 20.5%), p = 0.003: significant.'
    """
    check_one_of("language", language, ["en", "zh"])
    r = dict(result)
    metric = _EXPERIMENT_METRICS.get(r["metric"], {}).get(language, r["metric"])
    code = r.get("verdict_code") or verdict_code(r)
    if code == "srm":
        p = r.get("srm_p_value", float("nan"))
        if language == "zh":
            return f"样本比例失衡（SRM，p = {p:.2g}）：分流异常，任何效果都不可信，请先修复分流。"
        return (
            f"Sample-ratio mismatch (p = {p:.2g}): the split is broken, so no effect can be "
            "trusted; fix the assignment before reading results."
        )
    if code == "no_data":
        return "数据不足，无法检验。" if language == "zh" else f"Not enough data to test {metric}."
    if code == "single_variant":
        if language == "zh":
            return f"只有一个变体（{r['treatment']}）有用户，无法比较。"
        return f"Only one variant ({r['treatment']}) has users: there is nothing to compare."
    level = f"{1 - r['alpha']:.0%}"
    rel, lo, hi, p = r["rel_effect"], r["rel_ci_low"], r["rel_ci_high"], r["p_value_adjusted"]
    seq = r.get("sequential")
    if language == "zh":
        ci = f"{level} {'置信序列' if seq else '置信区间'} {lo:.1%} 至 {hi:.1%}"
        if code in ("better", "worse"):
            word = "提升" if rel > 0 else "降低"
            return (
                f"变体 {r['treatment']} 使{metric}{word} {abs(rel):.1%}（{ci}），"
                f"p = {p:.2g}：显著。"
            )
        return f"变体 {r['treatment']} 对{metric}的影响为 {rel:+.1%}（{ci}），p = {p:.2g}：不显著。"
    ci = f"{level} {'confidence sequence' if seq else 'CI'} {lo:.1%} to {hi:.1%}"
    if code in ("better", "worse"):
        word = "raised" if rel > 0 else "lowered"
        return (
            f"Variant {r['treatment']} {word} {metric} by {abs(rel):.1%} ({ci}), "
            f"p = {p:.2g}: significant."
        )
    return (
        f"Variant {r['treatment']} changed {metric} by {rel:+.1%} ({ci}), "
        f"p = {p:.2g}: not significant."
    )


def with_verdicts(results: pd.DataFrame, *, language: str = "en") -> pd.DataFrame:
    """A copy of experiment results (or the overview) with a ``verdict`` sentence per row.

    Takes :func:`~opsanalysis.stats.experiments.experiment_results` or
    :func:`~opsanalysis.stats.experiments.experiment_overview` and words each row's
    ``verdict_code`` with :func:`experiment_verdict`.
    """
    out = results.copy()
    out["verdict"] = [
        experiment_verdict(row, language=language) for row in results.to_dict("records")
    ]
    return out


def reactivation_findings(reactivation: pd.DataFrame, *, language: str = "en") -> list[str]:
    """Sentences on the last period of :func:`~opsanalysis.churn.reactivation`, compared
    with the one before.

    >>> df = pd.DataFrame({"period_start": pd.to_datetime(["2025-11-10", "2025-11-17"]),
    ...     "silent_users": [1000, 1100], "churned_users": [400, 420],
    ...     "reactivated_users": [200, 242], "reactivation_rate": [0.2, 0.22],
    ...     "reactivated_churned": [40, 50], "churned_reactivation_rate": [0.1, 0.119],
    ...     "reactivated_revenue": [5000.0, 6200.0], "complete": [True, True]})
    >>> print(reactivation_findings(df)[0])  # doctest: +NORMALIZE_WHITESPACE
    242 of 1,100 silent users came back (22.0%, +2.0 pt on the period before),
    bringing ¥6,200 of revenue.
    """
    check_one_of("language", language, ["en", "zh"])
    if reactivation.empty:
        return []
    last = reactivation.iloc[-1]
    prev = reactivation.iloc[-2] if len(reactivation) > 1 else None
    delta = (
        (last.reactivation_rate - prev.reactivation_rate) * 100
        if prev is not None
        else float("nan")
    )
    rev = last.reactivated_revenue
    if language == "zh":
        s = (
            f"{last.silent_users:,} 名沉默用户中有 {last.reactivated_users:,} 名回流"
            f"（{last.reactivation_rate:.1%}"
        )
        s += f"，较上期 {delta:+.1f} 个百分点）" if delta == delta else "）"
        s += f"，带来营收 ¥{rev:,.0f}。" if rev == rev else "。"
        churned = (
            f"其中流失用户 {last.churned_users:,} 名，回流 {last.reactivated_churned:,} 名"
            f"（{last.churned_reactivation_rate:.1%}）。"
        )
        return [s, churned]
    s = (
        f"{last.reactivated_users:,} of {last.silent_users:,} silent users came back "
        f"({last.reactivation_rate:.1%}"
    )
    s += f", {delta:+.1f} pt on the period before)" if delta == delta else ")"
    s += f", bringing ¥{rev:,.0f} of revenue." if rev == rev else "."
    churned = (
        f"Of {last.churned_users:,} churned users, {last.reactivated_churned:,} came back "
        f"({last.churned_reactivation_rate:.1%})."
    )
    return [s, churned]
