"""Charts drawn from tidy results. Plot functions only draw: no statistics are computed here.

Each takes a tidy DataFrame and ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ._labels import CURRENCY, METRICS, metric_label
from .periods import Period, parse_period

__all__ = ["plot_kpi_trend", "plot_kpi_trends", "chart_language"]

_CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
]


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in _CJK_FONTS if n in names), None)


def chart_language(language: str) -> str:
    """The language charts can be labelled in: Chinese only when a CJK font is installed."""
    if language == "zh" and _cjk_font():
        plt.rcParams["font.sans-serif"] = [_cjk_font(), *plt.rcParams["font.sans-serif"]]
        return "zh"
    return "en"


def _axis_formatter(metric: str) -> FuncFormatter:
    money = METRICS.get(metric, {}).get("unit") == "money"

    def fmt(x: float, _pos: int) -> str:
        text = f"{x / 1000:,.0f}k" if abs(x) >= 10_000 else f"{x:,.0f}"
        return CURRENCY + text if money else text

    return FuncFormatter(fmt)


def plot_kpi_trend(
    daily: pd.DataFrame,
    metric: str,
    *,
    period: Period | str | None = None,
    language: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Draw one metric of :func:`~opsanalysis.kpi.daily_kpis` as a daily line.

    The report period, when given, is shaded, with the mean of each week as a dashed step.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    lang = chart_language(language)
    data = daily.loc[daily["metric"] == metric, ["date", "value"]].sort_values("date")
    sns.lineplot(data=data, x="date", y="value", ax=ax, marker="o", markersize=3, linewidth=1.5)
    weekly = data.set_index("date")["value"].resample("W-SUN").mean()
    starts = weekly.index - pd.Timedelta(days=6)
    ax.hlines(
        weekly.values,
        starts,
        weekly.index + pd.Timedelta(hours=12),
        colors="grey",
        linestyles="dashed",
        linewidth=1,
    )
    if period is not None:
        p = parse_period(period)
        ax.axvspan(
            pd.Timestamp(p.start) - pd.Timedelta(hours=12),
            pd.Timestamp(p.last_day) + pd.Timedelta(hours=12),
            color="tab:orange",
            alpha=0.12,
        )
    ax.set_title(metric_label(metric, lang))
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.yaxis.set_major_formatter(_axis_formatter(metric))
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelrotation=30)
    sns.despine(ax=ax)
    return ax


def plot_kpi_trends(
    daily: pd.DataFrame,
    metrics: list[str] | None = None,
    *,
    period: Period | str | None = None,
    language: str = "en",
) -> np.ndarray:
    """Small multiples of :func:`plot_kpi_trend`, two per row; returns the array of Axes."""
    metrics = metrics or list(dict.fromkeys(daily["metric"]))
    rows = (len(metrics) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        plot_kpi_trend(daily, metric, period=period, language=language, ax=ax)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return axes
