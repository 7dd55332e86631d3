"""Plain-language findings written from tidy results, in English or Chinese.

Text is generated from the numbers, so the sentences in a report never disagree with its
tables. Every function returns a list of sentences; the report shows them as bullets.
"""

from __future__ import annotations

import pandas as pd

from ._checks import check_one_of
from ._labels import format_pct, format_value, metric_label
from .periods import parse_period

__all__ = ["kpi_findings"]


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
                s += f"完成目标 {format_value(row.metric, row.target)} 的 {row.target_completion:.0%}。"
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
