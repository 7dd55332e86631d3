"""Overview KPIs against hand-computed values (fixture in conftest.kpi_fixture_frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import opsanalysis as oa
from opsanalysis.metrics.kpi import OVERVIEW_COLUMNS

# Hand-computed from conftest.kpi_fixture_frames, ISO weeks W47 = 2025-11-17..23, W46 = 10..16.
# new_users: W47 users 2 and 3 (user 4 registered Monday of W48); W46 user 1.
# active_users: W47 users 1 (00:00:00 Monday), 2, 3, 5; W46 users 1 and 5.
# dau_avg: W47 daily distinct 17th {1,2}, 18th {5}, 19th {2}, 23rd {3} -> 5 / 7;
#          W46 10th {1}, 12th {5}, 16th {1} -> 3 / 7.
# orders / revenue / paying: W47 o3 80 + o4 20 + o6 0 (o5 refunded, o7 in W48) -> 3, 100, {1,2};
#                            W46 o1 100 + o2 50 -> 2, 150, {1,5}.
EXPECTED = pd.DataFrame(
    {
        "metric": ["new_users", "active_users", "dau_avg", "orders", "revenue", "paying_users"],
        "period": ["2025-W47"] * 6,
        "value": [2.0, 4.0, 5 / 7, 3.0, 100.0, 2.0],
        "compare_period": ["2025-W46"] * 6,
        "compare_value": [1.0, 2.0, 3 / 7, 2.0, 150.0, 2.0],
        "abs_change": [1.0, 2.0, 2 / 7, 1.0, -50.0, 0.0],
        "pct_change": [1.0, 1.0, 2 / 3, 0.5, -1 / 3, 0.0],
        "target": [np.nan] * 6,
        "target_completion": [np.nan] * 6,
        "alert": [True, True, True, True, True, False],
    },
    columns=OVERVIEW_COLUMNS,
)


def test_overview_hand_computed(kpi_frames):
    got = oa.kpi_overview(oa.connect(**kpi_frames), period="2025-W47")
    assert_frame_equal(got, EXPECTED)


def test_overview_same_on_duckdb_file_and_parquet_and_csv_folders(kpi_frames, tmp_path):
    import duckdb

    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    for name, df in kpi_frames.items():
        con.register("f", df)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
        con.unregister("f")
    con.close()
    pq, csv = tmp_path / "pq", tmp_path / "csv"
    pq.mkdir()
    csv.mkdir()
    for name, df in kpi_frames.items():
        df.to_parquet(pq / f"{name}.parquet")
        df.to_csv(csv / f"{name}.csv", index=False)
    for target in (db, pq, csv, f"duckdb://{db}?read_only=true"):
        got = oa.kpi_overview(oa.connect(str(target)), period="2025-W47")
        assert_frame_equal(got, EXPECTED, obj=str(target))


def test_overview_reads_aware_timestamps_in_the_params_time_zone(kpi_frames):
    # the same instants written in UTC: Shanghai is UTC+8, so 2025-11-17 00:00 local is
    # 2025-11-16 16:00 UTC, and must still fall in W47
    frames = {}
    for name, df in kpi_frames.items():
        df = df.copy()
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = df[col].dt.tz_localize("Asia/Shanghai").dt.tz_convert("UTC")
        frames[name] = df
    got = oa.kpi_overview(oa.connect(**frames), period="2025-W47")
    assert_frame_equal(got, EXPECTED)


def test_aware_timestamps_converted_by_the_engine(kpi_frames, tmp_path):
    import duckdb

    db = tmp_path / "tz.duckdb"
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE users (user_id BIGINT, registered_at TIMESTAMPTZ)")
    # 2025-11-16 16:30 UTC is 2025-11-17 00:30 in Shanghai: W47 there, W46 in UTC
    con.execute("INSERT INTO users VALUES (1, TIMESTAMPTZ '2025-11-16 16:30:00+00')")
    con.close()
    src = oa.connect(str(db))
    got = src.execute(src.table("users").registered_at.max())
    assert pd.Timestamp(got) == pd.Timestamp("2025-11-17 00:30:00")
    assert oa.period_kpis(src, "2025-W47") == {"new_users": 1.0}
    src_utc = oa.connect(str(db), params={"timezone": "UTC"})
    assert oa.period_kpis(src_utc, "2025-W47") == {"new_users": 0.0}


def test_targets_and_alert_threshold_come_from_params(kpi_frames):
    src = oa.connect(
        params={"targets": {"revenue": 80, "new_users": 4}, "alerts": {"pct_change": 0.6}},
        **kpi_frames,
    )
    got = oa.kpi_overview(src, period="2025-W47").set_index("metric")
    assert got.loc["revenue", "target"] == 80.0
    assert got.loc["revenue", "target_completion"] == pytest.approx(1.25)
    assert got.loc["new_users", "target_completion"] == pytest.approx(0.5)
    assert np.isnan(got.loc["orders", "target_completion"])
    # |pct| > 0.6: new_users 1.0, active 1.0, dau 0.667; orders 0.5 and revenue -0.333 are not
    assert got["alert"].to_dict() == {
        "new_users": True,
        "active_users": True,
        "dau_avg": True,
        "orders": False,
        "revenue": False,
        "paying_users": False,
    }


def test_active_events_and_paid_statuses_from_params(kpi_frames):
    src = oa.connect(
        params={
            "events": {"active": ["view_content"]},
            "orders": {"paid_statuses": ["paid", "refunded"]},
        },
        **kpi_frames,
    )
    got = oa.period_kpis(src, "2025-W47")
    # only user 2 viewed content in W47 (17th); refunded o5 (200) now counts
    assert got["active_users"] == 1.0
    assert got["dau_avg"] == pytest.approx(1 / 7)
    assert got["orders"] == 4.0 and got["revenue"] == 300.0 and got["paying_users"] == 3.0


def test_compare_year_ago_and_latest_period(kpi_frames):
    src = oa.connect(**kpi_frames)
    got = oa.kpi_overview(src, period="2025-W47", compare="year_ago")
    assert set(got["compare_period"]) == {"2024-W47"}
    assert got["compare_value"].tolist() == [0.0] * 6
    assert got["pct_change"].isna().all()
    # the latest event is Monday 2025-11-24 00:15, so W48 is incomplete: W47 is the latest
    assert oa.kpi_overview(src)["period"].iloc[0] == "2025-W47"
    with pytest.raises(ValueError, match="compare='last' is not allowed"):
        oa.kpi_overview(src, compare="last")


def test_daily_kpis_fill_every_day(kpi_frames):
    daily = oa.daily_kpis(oa.connect(**kpi_frames), start="2025-11-17", end="2025-11-23")
    assert list(daily.columns) == ["date", "metric", "value"]
    dau = daily[daily.metric == "dau"].set_index("date")["value"]
    assert dau.tolist() == [2.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    rev = daily[daily.metric == "revenue"].set_index("date")["value"]
    assert rev.tolist() == [80.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0]
    assert sorted(daily.metric.unique()) == [
        "dau",
        "new_users",
        "orders",
        "paying_users",
        "revenue",
    ]


def test_daily_kpis_end_is_the_last_day_shown(kpi_frames):
    # end is included, as everywhere else: Monday 2025-11-24 (user 4 at 00:15, order o7)
    daily = oa.daily_kpis(oa.connect(**kpi_frames), start="2025-11-23", end="2025-11-24")
    wide = daily.pivot(index="date", columns="metric", values="value")
    assert list(wide.index) == [pd.Timestamp("2025-11-23"), pd.Timestamp("2025-11-24")]
    assert wide["dau"].tolist() == [1.0, 1.0] and wide["revenue"].tolist() == [0.0, 70.0]
    one = oa.daily_kpis(oa.connect(**kpi_frames), start="2025-11-24", end="2025-11-24")
    assert one[one.metric == "new_users"]["value"].tolist() == [1.0]
    with pytest.raises(oa.ParamsError, match="end 2025-11-22 is before start 2025-11-23"):
        oa.daily_kpis(oa.connect(**kpi_frames), start="2025-11-23", end="2025-11-22")


def test_the_trend_chart_ends_on_the_periods_last_day(kpi_frames):
    from datetime import date

    import matplotlib.dates

    week = oa.parse_period("2025-W47")
    daily = oa.daily_kpis(oa.connect(**kpi_frames), start="2025-11-10", end=week.last_day)
    axes = oa.plot_kpi_trends(daily, ["dau", "revenue"], period=week)
    for ax in axes.flat[:2]:
        xs = ax.get_lines()[0].get_xdata()
        last = matplotlib.dates.num2date(xs[-1]).date()
        assert last == date(2025, 11, 23)  # Sunday, the period's last day
        assert len(xs) == 14


def test_a_month_to_date_averages_over_its_days_with_data(kpi_frames):
    # the data ends on 2025-11-24 (00:20): November has 24 days of data, not 30. Active users
    # per day: 10th 1, 12th 1, 16th 1, 17th 2, 18th 1, 19th 1, 23rd 1, 24th 1 -> 9 user-days
    src = oa.connect(**kpi_frames)
    assert oa.period_kpis(src, "2025-11")["dau_avg"] == pytest.approx(9 / 24)
    series = oa.kpi_series(src, first="2025-11", last="2025-11").iloc[0]
    assert series["dau_avg"] == pytest.approx(9 / 24)
    assert series["active_users"] == 5 and series["stickiness"] == pytest.approx(9 / 24 / 5)
    monitor = oa.kpi_monitor(src, period="2025-11").set_index("metric")
    assert monitor.loc["dau_avg", "value"] == pytest.approx(9 / 24)
    # a finished week divides by its 7 days, days without activity counting 0
    assert oa.period_kpis(src, "2025-W47")["dau_avg"] == pytest.approx(5 / 7)  # 2+1+1+0+0+0+1
    assert oa.days_with_data(src, oa.parse_period("2025-11")) == 24
    assert oa.days_with_data(src, oa.parse_period("2025-W47")) == 7


def test_single_dataframe_and_missing_tables():
    users = pd.DataFrame({"user_id": [1, 2], "registered_at": ["2025-11-18 10:00", "2025-11-11"]})
    got = oa.kpi_overview(users, period="2025-W47")  # a lone DataFrame stands for its table
    assert got[["metric", "value", "compare_value"]].to_dict("list") == {
        "metric": ["new_users"],
        "value": [1.0],
        "compare_value": [1.0],
    }


def test_overview_matches_independent_pandas_computation(tiny_demo):
    """Cross-check on the small demo warehouse against plain pandas on the raw rows."""
    import duckdb

    src = oa.connect(str(tiny_demo))
    got = oa.period_kpis(src, "2025-W47")
    con = duckdb.connect(str(tiny_demo), read_only=True)
    users, events, orders = (
        con.sql(f"select * from {t}").df() for t in ("users", "events", "orders")
    )
    lo, hi = pd.Timestamp("2025-11-17"), pd.Timestamp("2025-11-24")
    ev = events[(events.event_time >= lo) & (events.event_time < hi)]
    od = orders[(orders.order_time >= lo) & (orders.order_time < hi) & (orders.status == "paid")]
    expected = {
        "new_users": float(((users.registered_at >= lo) & (users.registered_at < hi)).sum()),
        "active_users": float(ev.user_id.nunique()),
        "dau_avg": ev.groupby(ev.event_time.dt.date).user_id.nunique().sum() / 7,
        "orders": float(len(od)),
        "revenue": float(od.amount.sum()),
        "paying_users": float(od.user_id.nunique()),
    }
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k], rel=1e-12), k
    assert expected["active_users"] > 50 and expected["orders"] > 10  # the check is not vacuous
