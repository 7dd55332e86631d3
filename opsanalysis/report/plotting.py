"""Charts drawn from tidy results. Plot functions only draw: no statistics are computed here.

Each takes a tidy DataFrame and ``ax=None`` and returns the Axes it drew on.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from ..data.periods import Period, parse_period
from .labels import AXES, CURRENCY, LIFECYCLE, METRICS, WEEKDAYS, WORDS, metric_label

__all__ = [
    "plot_activity_heatmap",
    "plot_forest",
    "plot_kpi_trend",
    "plot_kpi_trends",
    "plot_lifecycle",
    "plot_migration",
    "plot_new_users_by_channel",
    "plot_retention_heatmap",
    "plot_score_distribution",
    "plot_segment_shares",
]

# names from data or params ("$9.9 deal") are text, never mathtext
plt.rcParams["text.parse_math"] = False

_CJK_FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Source Han Sans SC",
]


# file names of CJK fonts: Noto / Source Han (Debian fonts-noto-cjk), WenQuanYi, Windows and
# macOS fonts
_CJK_FILES = re.compile(r"NotoSansCJK|NotoSansSC|SourceHanSans|wqy|simhei|msyh|PingFang", re.I)


@lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """The family name of an installed CJK font, registered with matplotlib; None without one.

    A font installed after matplotlib built its cache, or the SC face of a ``.ttc`` collection,
    is not in the cache: such files are found on disk and registered with ``addfont``.
    """
    names = {f.name for f in font_manager.fontManager.ttflist}
    known = next((n for n in _CJK_FONTS if n in names), None)
    if known:
        return known
    found = None
    for path in sorted(font_manager.findSystemFonts(), key=lambda p: ("Bold" in p, p)):
        if not _CJK_FILES.search(Path(path).name):
            continue
        try:  # every face (regular and bold titles) of the family, named by the first
            font_manager.fontManager.addfont(path)
            name = str(font_manager.FontProperties(fname=path).get_name())
        except (OSError, RuntimeError, ValueError):  # unreadable font file: try the next
            continue
        found = found or name
    names = {f.name for f in font_manager.fontManager.ttflist}  # a .ttc adds all its faces
    return next((n for n in _CJK_FONTS if n in names), found)


def chart_language(language: str) -> str:
    """The language charts can be labelled in: Chinese only when a CJK font is installed.

    With one, Latin text keeps DejaVu Sans and every other glyph falls back to the CJK font
    (``font.family`` is a fallback list); without one, charts keep English labels rather than
    drawing empty boxes (the report says so once).
    """
    font = _cjk_font() if language == "zh" else None
    if font:
        plt.rcParams["font.family"] = ["DejaVu Sans", font]
        # seaborn's styles ask for the generic "sans-serif": give it the same fallback
        rest = [f for f in plt.rcParams["font.sans-serif"] if f not in ("DejaVu Sans", font)]
        plt.rcParams["font.sans-serif"] = ["DejaVu Sans", font, *rest]
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
    """Draw one metric of :func:`~opsanalysis.metrics.kpi.daily_kpis` as a daily line.

    The report period, when given, is shaded.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    lang = chart_language(language)
    data = daily.loc[daily["metric"] == metric, ["date", "value"]].sort_values("date")
    sns.lineplot(data=data, x="date", y="value", ax=ax, marker="o", markersize=3, linewidth=1.5)
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
    chart_language(language)  # fonts first: the axes take them when they are made
    rows = (len(metrics) + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        plot_kpi_trend(daily, metric, period=period, language=language, ax=ax)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return axes


def plot_new_users_by_channel(
    by_channel: pd.DataFrame, *, language: str = "en", ax: Axes | None = None
) -> Axes:
    """Stacked bars of new users per period, one colour per channel.

    Takes :func:`~opsanalysis.metrics.channels.new_users_by_channel`; the last bar is the
    report's period.
    """
    lang = chart_language(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.6))
    wide = by_channel.pivot(index="period", columns="channel", values="new_users").fillna(0)
    colours = sns.color_palette("tab10", n_colors=max(len(wide.columns), 1))
    wide.plot(kind="bar", stacked=True, ax=ax, color=colours, width=0.75, rot=0)
    ax.set_xlabel("")
    ax.set_ylabel(metric_label("new_users", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:,.0f}"))
    ax.legend(
        title=WORDS["channel"][lang], frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left"
    )
    sns.despine(ax=ax)
    plt.tight_layout()
    return ax


def plot_segment_shares(
    summary: pd.DataFrame, *, language: str = "en", ax: Axes | None = None
) -> Axes:
    """Bars of each segment's share of users next to its share of revenue.

    Takes :func:`~opsanalysis.segments.segment_summary`; segments keep the summary's order.
    """
    lang = chart_language(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(summary) + 1.2))
    names = (AXES["user_share"][lang], AXES["revenue_share"][lang])
    label_col = "label" if lang == language else "segment"
    long = summary.melt(
        id_vars=[label_col],
        value_vars=["user_share", "revenue_share"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map({"user_share": names[0], "revenue_share": names[1]})
    sns.barplot(data=long, y=label_col, x="share", hue="measure", ax=ax, orient="h")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0%}"))
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(title="", loc="lower right", frameon=False)
    sns.despine(ax=ax)
    return ax


def plot_migration(
    matrix: pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    language: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of :func:`~opsanalysis.segments.migration_matrix` (rows: from, columns: to).

    Cells show user counts, shaded by the share of the row; ``labels`` maps segment codes to
    display names.
    """
    lang = chart_language(language)
    if labels and lang == language:
        matrix = matrix.rename(index=labels, columns=labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 * matrix.shape[1] + 3, 0.5 * matrix.shape[0] + 1.5))
    share = matrix.div(matrix.sum(axis=1).replace(0, np.nan), axis=0)
    sns.heatmap(
        share,
        annot=matrix.astype(int),
        fmt="d",
        cmap="Blues",
        cbar=False,
        ax=ax,
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_xlabel(AXES["to_now"][lang])
    ax.set_ylabel(AXES["from_before"][lang])
    ax.tick_params(axis="x", labelrotation=35)
    return ax


def plot_score_distribution(
    dist: pd.DataFrame, *, language: str = "en", ax: Axes | None = None
) -> Axes:
    """Bars of users per score level for R, F and M, from
    :func:`~opsanalysis.rfm.score_distribution`."""
    lang = chart_language(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    sns.barplot(data=dist, x="score", y="share", hue="dimension", ax=ax)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:.0%}"))
    ax.set_xlabel(AXES["score"][lang])
    ax.set_ylabel(AXES["share_of_users"][lang])
    ax.legend(title="", frameon=False)
    sns.despine(ax=ax)
    return ax


def plot_forest(
    results: pd.DataFrame, *, relative: bool = True, language: str = "en", ax: Axes | None = None
) -> Axes:
    """Forest plot: each result's effect with its interval, one row per (metric, variant).

    Takes :func:`~opsanalysis.experiments.experiment_results` (or stacked
    ``ABTestResult.to_frame()`` rows). Significant rows are drawn in colour.
    """
    lang = chart_language(language)
    col = "rel" if relative else "abs"
    df = results.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.55 * len(df) + 1.2))
    labels = [
        f"{r.metric} · {r.treatment}" + (f" ({r.analysis})" if "analysis" in df.columns else "")
        for r in df.itertuples()
    ]
    y = np.arange(len(df))[::-1]
    for yi, r in zip(y, df.itertuples(), strict=True):
        colour = "tab:blue" if r.significant else "grey"
        lo, hi = getattr(r, f"{col}_ci_low"), getattr(r, f"{col}_ci_high")
        ax.plot([lo, hi], [yi, yi], color=colour, linewidth=2)
        ax.plot(getattr(r, f"{col}_effect"), yi, "o", color=colour)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    if relative:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _p: f"{x:+.0%}"))
    ax.set_xlabel(AXES["lift" if relative else "effect"][lang])
    sns.despine(ax=ax, left=True)
    return ax


def plot_retention_heatmap(
    matrix: pd.DataFrame,
    *,
    complete: pd.DataFrame | None = None,
    language: str = "en",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a retention triangle from :func:`~opsanalysis.metrics.retention.retention_matrix`.

    ``complete`` is the same-shaped matrix of ``retention_matrix(..., values="complete")``:
    cells of periods that had not ended are shown with a trailing "*", so a partial period is
    never read as a drop.
    """
    lang = chart_language(language)
    annot = matrix.copy().astype(object)
    for i in matrix.index:
        for c in matrix.columns:
            v = matrix.loc[i, c]
            done = True if complete is None else complete.loc[i, c]
            partial = not pd.isna(done) and not bool(done)
            annot.loc[i, c] = "" if v != v else f"{v:.0%}" + ("*" if partial else "")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.7 * matrix.shape[1] + 2.5, 0.38 * matrix.shape[0] + 1.2))
    sns.heatmap(
        matrix.astype(float),
        annot=annot.values,
        fmt="",
        cmap="YlGnBu",
        vmin=0,
        vmax=1,
        cbar=False,
        ax=ax,
        linewidths=0.5,
        linecolor="white",
        annot_kws={"fontsize": 8},
    )
    ax.set_xlabel(AXES["periods_since"][lang])
    ax.set_ylabel(AXES["cohort"][lang])
    mean = AXES["mean_row"][lang]  # retention_matrix's "mean" row, in the chart's language
    ax.set_yticklabels([mean if i == "mean" else str(i) for i in matrix.index], rotation=0)
    return ax


_LIFECYCLE_COLOURS = {
    "new": "#2ca02c",
    "returning": "#1f77b4",
    "resurrecting": "#9467bd",
    "dormant": "#d62728",
}


def plot_lifecycle(
    lifecycle: pd.DataFrame, *, language: str = "en", ax: Axes | None = None
) -> Axes:
    """Stacked bars of :func:`~opsanalysis.activity.lifecycle`: active states up, dormant down."""
    lang = chart_language(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    wide = lifecycle.pivot(index="period_start", columns="status", values="users")
    x = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    for status in ("new", "returning", "resurrecting"):
        vals = wide.get(status, pd.Series(0, index=wide.index)).to_numpy(dtype=float)
        ax.bar(
            x,
            vals,
            bottom=bottom,
            color=_LIFECYCLE_COLOURS[status],
            label=LIFECYCLE[status][lang],
        )
        bottom += vals
    dormant = wide.get("dormant", pd.Series(0, index=wide.index)).to_numpy(dtype=float)
    ax.bar(
        x,
        dormant,
        color=_LIFECYCLE_COLOURS["dormant"],
        label=LIFECYCLE["dormant"][lang],
    )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [pd.Timestamp(p).strftime("%m-%d") for p in wide.index])
    ax.yaxis.set_major_formatter(_axis_formatter("active_users"))
    ax.legend(frameon=False, ncol=4, loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8)
    sns.despine(ax=ax)
    return ax


def plot_activity_heatmap(
    by_hour: pd.DataFrame, *, value: str = "users", language: str = "en", ax: Axes | None = None
) -> Axes:
    """Weekday x hour heatmap from :func:`~opsanalysis.activity.activity_by_hour`."""
    lang = chart_language(language)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3))
    m = by_hour.pivot(index="weekday", columns="hour", values=value)
    days = WEEKDAYS[lang]
    sns.heatmap(m, cmap="rocket_r", ax=ax, cbar=False, linewidths=0.3, linecolor="white")
    ax.set_yticklabels(days, rotation=0)
    ax.set_xlabel(AXES["hour"][lang])
    ax.set_ylabel("")
    return ax
