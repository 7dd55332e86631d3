import pandas as pd

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
