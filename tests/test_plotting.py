import pandas as pd
import pytest

import opsanalysis as oa


def _daily():
    dates = pd.date_range("2025-11-03", "2025-11-23")
    return pd.DataFrame(
        {
            "date": list(dates) * 2,
            "metric": ["dau"] * len(dates) + ["revenue"] * len(dates),
            "value": list(range(len(dates))) + [1000.0 * i for i in range(len(dates))],
        }
    )


def test_plot_kpi_trend_draws_the_series():
    ax = oa.plot_kpi_trend(_daily(), "dau", period="2025-W47")
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == list(range(21))
    assert ax.get_title() == "DAU"
    assert len(ax.patches) == 1  # the shaded report week


def test_plot_kpi_trends_grid():
    axes = oa.plot_kpi_trends(_daily(), ["dau", "revenue", "dau"])
    assert axes.shape == (2, 2)
    assert not axes[1, 1].get_visible()
    assert axes[0, 1].get_title() == "Revenue"
    assert axes[0, 1].yaxis.get_major_formatter()(20000, 0) == "¥20k"


def test_forest_plot_draws_each_interval():
    rows = [
        oa.ab_test(
            oa.ProportionStats(1000, 100),
            oa.ProportionStats(1000, k),
            metric="conversion",
            treatment_name=name,
        )
        for k, name in ((140, "B"), (105, "C"))
    ]
    res = oa.results_frame(rows)
    ax = oa.plot_forest(res)
    lines = [
        ln
        for ln in ax.get_lines()
        if len(ln.get_xdata()) == 2 and ln.get_ydata()[0] == ln.get_ydata()[1]
    ]
    spans = sorted((round(x[0], 6), round(x[1], 6)) for x in (ln.get_xdata() for ln in lines))
    expected = sorted((round(r.rel_ci_low, 6), round(r.rel_ci_high, 6)) for r in rows)
    assert spans == expected
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert labels["conversion · B"] > labels["conversion · C"]  # first result on top


def test_chinese_chart_labels_draw_with_a_cjk_font():
    import io
    import warnings

    import matplotlib.pyplot as plt

    from opsanalysis.report import plotting

    if plotting._cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        assert plotting.chart_language("zh") == "zh"
        fig, ax = plt.subplots()
        ax.set_title("新用户与周活跃 Revenue ¥1,234")
        ax.set_xlabel("日期")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
        # the report's charts: titles and labels from the zh labels
        axes = oa.plot_kpi_trends(_daily(), ["dau", "revenue"], period="2025-W47", language="zh")
        assert axes.flat[0].get_title() == "日活跃用户"
        axes.flat[0].figure.savefig(io.BytesIO(), format="png")
        plt.close("all")
