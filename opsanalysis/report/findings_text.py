"""Findings in words: one English and one Chinese template per kind of
:func:`~opsanalysis.metrics.findings.ranked_findings`, and the ranked list as HTML.

Every number is formatted exactly as the report's tables format it (:func:`format_value`,
:func:`format_pct`, :func:`usual_range`), so a reader finds the finding's numbers in the
scorecard, the campaign table or the segment table of the same page.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from .labels import CURRENCY, METRICS, format_pct, format_value, metric_label

__all__: list[str] = []  # used through ReportContext.show_ranked_findings

SEVERITY = {
    "high": {"en": "High", "zh": "高"},
    "medium": {"en": "Medium", "zh": "中"},
    "low": {"en": "Low", "zh": "低"},
}

TEMPLATES: dict[str, dict[str, str]] = {
    "anomaly": {
        "en": "{metric} {moved} {pct} from the previous period ({value} vs {baseline}); "
        "the usual range is {usual}.",
        "zh": "{metric}环比{moved} {pct}（本期 {value}，上期 {baseline}），常态区间 {usual}。",
    },
    "anomaly_no_range": {
        "en": "{metric} {moved} {pct} from the previous period ({value} vs {baseline}).",
        "zh": "{metric}环比{moved} {pct}（本期 {value}，上期 {baseline}）。",
    },
    "anomaly_target": {
        "en": " Target {target}: {completion} reached.",
        "zh": "目标 {target}，完成 {completion}。",
    },
    "driver_count": {
        "en": " {driver} accounts for {share} of the {move} ({part_change}).",
        "zh": "其中 {driver} 贡献了{move}的 {share}（{part_change}）。",
    },
    "driver_rate": {
        "en": " {driver} accounts for {share} of the change ({mix} from its share of the base, "
        "{rate} from its own rate).",
        "zh": "其中 {driver} 贡献了变化的 {share}（结构影响 {mix}，自身转化影响 {rate}）。",
    },
    "missed_target": {
        "en": "{metric} at {value} against a target of {target}: {completion} reached, "
        "target missed.",
        "zh": "{metric}为 {value}，目标 {target}，完成 {completion}，未达标。",
    },
    "service_below_target": {
        "en": "{value} of tickets were answered within 48 hours against a target of {target}: "
        "service below target.",
        "zh": "48 小时响应率 {value}，低于目标 {target}，客服响应未达标。",
    },
    "significant_experiment": {
        "en": "Experiment {subject}: the treatment {moved} {metric} by {pct} "
        "(interval {low} to {high}), significant.",
        "zh": "实验 {subject}：实验组使{metric}{moved} {pct}（区间 {low} 至 {high}），结果显著。",
    },
    "experiment_srm": {
        "en": "Experiment {subject} has a sample-ratio mismatch (p = {p}): fix the assignment "
        "before reading its results.",
        "zh": "实验 {subject} 样本比例失衡（p = {p}）：请先修复分流，再解读结果。",
    },
    "shrinking_segment": {
        "en": "{subject} users fell {pct} since the previous period ({value} vs {baseline}).",
        "zh": "{subject}用户较上期减少 {pct}（本期 {value}，上期 {baseline}）。",
    },
    "losing_campaign": {
        "en": "Campaign {subject} returned {value} on {baseline} of spend (ROAS {roas}, "
        "ROI {roi}): it loses money.",
        "zh": "活动 {subject} 投入 {baseline}，回收 {value}（投产比 {roas}，净回报率 {roi}），"
        "入不敷出。",
    },
}

WORDS = {
    "rose": {"en": "rose", "zh": "上升"},
    "fell": {"en": "fell", "zh": "下降"},
    "raised": {"en": "raised", "zh": "提升"},
    "lowered": {"en": "lowered", "zh": "降低"},
    "rise": {"en": "rise", "zh": "增长"},
    "drop": {"en": "drop", "zh": "下降"},
    "action": {"en": "Action", "zh": "建议动作"},
    "none": {"en": "Nothing stands out this period.", "zh": "本期没有需要特别关注的问题。"},
}


def usual_range(metric: str, low: float, high: float) -> str:
    """The scorecard's usual range: counts in whole numbers, never below 0."""
    if low != low:
        return "–"
    if METRICS.get(metric, {}).get("unit", "count") == "count":
        low, high = round(low), round(high)
    return f"{format_value(metric, max(low, 0.0))} – {format_value(metric, high)}"


def _points(v: float) -> str:
    return f"{v * 100:+.1f} pt"


def finding_sentence(
    f: dict[str, Any] | pd.Series,
    language: str = "en",
    *,
    kind_of_period: str | None = None,
    segment_labels: dict[str, str] | None = None,
) -> str:
    """One finding record in words (plain text; the caller escapes it)."""
    f = dict(f)
    w = {k: v[language] for k, v in WORDS.items()}
    metric = f["metric"]
    name = metric_label(metric, language, kind_of_period)
    t = TEMPLATES[f["kind"]][language]
    kind = f["kind"]
    if kind == "anomaly":
        up = f["change"] > 0
        if f["low"] != f["low"]:  # too little history for a usual range: the move alone
            t = TEMPLATES["anomaly_no_range"][language]
        text = t.format(
            metric=name,
            moved=w["rose" if up else "fell"],
            pct=format_pct(abs(f["change"]), signed=False),
            value=format_value(metric, f["value"]),
            baseline=format_value(metric, f["baseline"]),
            usual=usual_range(metric, f["low"], f["high"]),
        )
        if f.get("target") == f.get("target") and f.get("target"):
            text += TEMPLATES["anomaly_target"][language].format(
                target=format_value(metric, f["target"]),
                completion=f"{f['value'] / f['target']:.0%}",
            )
        if f.get("driver"):
            rate = METRICS.get(metric, {}).get("unit") == "rate"
            values = {"driver": f["driver"], "share": f"{f['driver_share']:.0%}"}
            if rate:
                text += TEMPLATES["driver_rate"][language].format(
                    **values,
                    mix=_points(f["driver_mix"]),
                    rate=_points(f["driver_rate"]),
                )
            else:
                text += TEMPLATES["driver_count"][language].format(
                    **values,
                    move=w["rise" if up else "drop"],
                    part_change=signed_value(metric, f["driver_change"]),
                )
        return text
    if kind in ("missed_target", "service_below_target"):
        return t.format(
            metric=name,
            value=format_value(metric, f["value"]),
            target=format_value(metric, f["target"]),
            completion=f"{f['value'] / f['target']:.0%}",
        )
    if kind == "significant_experiment":
        from .narrative import _EXPERIMENT_METRICS

        return t.format(
            subject=f["subject"],
            moved=w["raised" if f["value"] > 0 else "lowered"],
            metric=_EXPERIMENT_METRICS.get(metric, {}).get(language, metric),
            pct=f"{abs(f['value']):.1%}",
            low=f"{f['low']:.1%}",
            high=f"{f['high']:.1%}",
        )
    if kind == "experiment_srm":
        return t.format(subject=f["subject"], p=f"{f['value']:.2g}")
    if kind == "shrinking_segment":
        label = (segment_labels or {}).get(f["subject"], f["subject"])
        return t.format(
            subject=label,
            pct=format_pct(abs(f["change"]), signed=False),
            value=f"{f['value']:,.0f}",
            baseline=f"{f['baseline']:,.0f}",
        )
    if kind == "losing_campaign":
        return t.format(
            subject=f["subject"],
            value=f"{CURRENCY}{f['value']:,.0f}",
            baseline=f"{CURRENCY}{f['baseline']:,.0f}",
            roas="–" if f["low"] != f["low"] else f"1:{f['low']:.1f}",
            roi=format_pct(f["change"]),
        )
    raise ValueError(f"No template for finding kind {kind!r}.")


def signed_value(metric: str, v: float) -> str:
    """A change in the metric's own format with its sign: "+303", "-¥490"."""
    text = format_value(metric, abs(v))
    return ("+" if v >= 0 else "-") + text


def findings_html(
    findings: pd.DataFrame,
    language: str = "en",
    *,
    kind_of_period: str | None = None,
    segment_labels: dict[str, str] | None = None,
) -> str:
    """The ranked findings as an ordered list: severity badge, sentence, recommended action."""
    if findings.empty:
        return f"<p class='oa-note'>{html.escape(WORDS['none'][language])}</p>"
    items = []
    for f in findings.to_dict("records"):
        sentence = finding_sentence(
            f, language, kind_of_period=kind_of_period, segment_labels=segment_labels
        )
        badge = SEVERITY[f["severity"]][language]
        action = (
            f"<br><span class='oa-action'><b>{WORDS['action'][language]}</b>"
            f"{'：' if language == 'zh' else ': '}"
            f"{html.escape(f['action'], quote=False)}</span>"
            if f.get("action")
            else ""
        )
        items.append(
            f"<li class='oa-sev-{f['severity']}'><span class='oa-badge'>{badge}</span> "
            f"{html.escape(sentence, quote=False)}{action}</li>"
        )
    return f"<ol class='oa-ranked'>{''.join(items)}</ol>"
