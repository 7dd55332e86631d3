"""The same KPIs on DuckDB and on PySpark (local mode) must agree."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import opsanalysis as oa

pytestmark = pytest.mark.spark

TABLES = ("users", "events", "orders", "assignments", "spend", "content", "tickets")


def _assert_same(duck: pd.DataFrame, spark_df: pd.DataFrame, what: str) -> None:
    spark_df = spark_df.copy()
    for col in duck.columns:  # timestamps may come back at another resolution
        if pd.api.types.is_datetime64_any_dtype(duck[col]):
            duck = duck.assign(**{col: duck[col].astype("datetime64[us]")})
            spark_df[col] = pd.to_datetime(spark_df[col]).astype("datetime64[us]")
    assert_frame_equal(duck, spark_df, check_dtype=False, check_exact=False, rtol=1e-12, obj=what)


def _spark_source(spark, folder: Path, prefix: str, **params) -> oa.Source:
    import ibis

    present = [t for t in TABLES if (folder / f"{t}.parquet").exists()]
    for name in present:
        view = f"{prefix}_{name}"
        spark.read.parquet(str(folder / f"{name}.parquet")).createOrReplaceTempView(view)
    con = ibis.pyspark.connect(spark)
    return oa.connect(con, params={"tables": {t: f"{prefix}_{t}" for t in present}, **params})


@pytest.fixture(scope="module")
def fixture_parquet(tmp_path_factory) -> Path:
    from conftest import kpi_fixture_frames

    folder = tmp_path_factory.mktemp("fx")
    for name, df in kpi_fixture_frames().items():
        df.to_parquet(folder / f"{name}.parquet")
    return folder


@pytest.fixture(scope="module")
def demo_parquet(tiny_demo, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo_pq")
    con = duckdb.connect(str(tiny_demo), read_only=True)
    for name in TABLES:
        con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet)")
    con.close()
    return folder


def test_hand_computed_overview_on_spark(spark, fixture_parquet):
    from test_kpi import EXPECTED

    got = oa.kpi_overview(_spark_source(spark, fixture_parquet, "fx"), period="2025-W47")
    assert_frame_equal(got, EXPECTED)


def test_demo_overview_and_daily_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    for period in ("2025-W47", "2025-W46", "2025-11"):
        d, s = oa.kpi_overview(duck, period=period), oa.kpi_overview(sp, period=period)
        assert_frame_equal(d, s, check_exact=False, rtol=1e-12, obj=period)
        assert d["value"].gt(0).all()
    dd = oa.daily_kpis(duck, start="2025-10-13", end="2025-11-23")
    ds = oa.daily_kpis(sp, start="2025-10-13", end="2025-11-23")
    assert_frame_equal(dd, ds, check_exact=False, rtol=1e-12)
    # the latest complete week is found the same way on both
    assert (
        oa.kpi_overview(sp)["period"].iloc[0]
        == oa.kpi_overview(duck)["period"].iloc[0]
        == "2025-W47"
    )


def test_rfm_and_clv_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    for window in (None, 28):
        d = oa.rfm_table(duck, as_of="2025-11-23", window=window)
        s = oa.rfm_table(sp, as_of="2025-11-23", window=window)
        assert len(d) > 50 and d["median_days_between"].notna().sum() > 10
        _assert_same(d, s, f"rfm_table window={window}")
    _assert_same(
        oa.value_activity_table(duck, as_of="2025-11-23"),
        oa.value_activity_table(sp, as_of="2025-11-23"),
        "value_activity_table",
    )
    for scheme in ("rfm8", "named", "value_tier", "value_activity"):
        d = oa.rfm_layers(duck, as_of="2025-11-23", scheme=scheme)
        s = oa.rfm_layers(sp, as_of="2025-11-23", scheme=scheme)
        _assert_same(d, s, f"rfm_layers {scheme}")
    _assert_same(
        oa.btyd_summary(duck, observation_end="2025-11-23"),
        oa.btyd_summary(sp, observation_end="2025-11-23"),
        "btyd_summary",
    )
    _assert_same(
        oa.btyd_summary(duck, observation_end="2025-11-23", calibration_end="2025-11-02"),
        oa.btyd_summary(sp, observation_end="2025-11-23", calibration_end="2025-11-02"),
        "btyd_summary calibration",
    )


def test_experiment_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    for exp in ("exp_checkout_copy", "exp_push_time"):
        d = oa.experiment_results(duck, exp)
        s = oa.experiment_results(sp, exp)
        assert d["n_control"].iloc[0] > 50
        _assert_same(d, s, f"experiment_results {exp}")
    hd, hs = (
        oa.experiment_health(duck, "exp_onboarding"),
        oa.experiment_health(sp, "exp_onboarding"),
    )
    assert hd == hs
    assert oa.mann_whitney(duck, "exp_push_time") == pytest.approx(
        oa.mann_whitney(sp, "exp_push_time")
    )


def test_retention_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    cases = [
        dict(start="2025-10-13"),
        dict(start="2025-10-12", week_start="sunday", kind="on_or_after"),
        dict(start="2025-10-13", cohort="recurring", by="channel"),
        dict(start="2025-10-01", cohort="registered", period="month"),
        dict(start="2025-11-01", period="day", brackets=[1, 6, 23]),
        dict(
            start="2025-11-01", period="day", brackets=[1, 6], kind="on_or_after", end="2025-11-20"
        ),
    ]
    for kw in cases:
        d, s = oa.cohort_retention(duck, **kw), oa.cohort_retention(sp, **kw)
        assert d["retained_users"].sum() > 0, kw
        _assert_same(d, s, f"cohort_retention {kw}")
    for window in ("calendar", "rolling"):
        _assert_same(
            oa.new_user_retention(duck, start="2025-10-20", window=window, by="channel"),
            oa.new_user_retention(sp, start="2025-10-20", window=window, by="channel"),
            f"new_user_retention {window}",
        )


def test_activity_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    kw = dict(start="2025-10-13", end="2025-11-23")
    for fn, extra in (
        (oa.active_users, {}),
        (oa.active_users, {"period": "week", "by": "channel"}),
        (oa.stickiness, {}),
        (oa.lifecycle, {}),
        (oa.active_days_distribution, {}),
        (oa.activity_tiers, {}),
        (oa.activity_by_hour, {}),
    ):
        d, s = fn(duck, **kw, **extra), fn(sp, **kw, **extra)
        assert len(d) > 0
        _assert_same(d, s, f"{fn.__name__} {extra}")


def test_churn_and_channel_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    d = oa.reactivation(duck, start="2025-11-03", end="2025-11-23")
    assert d["silent_users"].sum() > 0
    _assert_same(d, oa.reactivation(sp, start="2025-11-03", end="2025-11-23"), "reactivation")
    d = oa.channel_quality(duck, start="2025-10-01", end="2025-11-23")
    assert d["new_users"].sum() > 0
    _assert_same(d, oa.channel_quality(sp, start="2025-10-01", end="2025-11-23"), "channel_quality")


def test_funnel_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    steps = ["view_product", "add_to_cart", "submit_order", "pay_order"]
    for kw in (
        dict(),
        dict(order="strict"),
        dict(window="1H", exclude=[("search", 1, 2)]),
        dict(by="channel"),
    ):
        d = oa.funnel(duck, steps, start="2025-11-10", end="2025-11-23", **kw)
        s = oa.funnel(sp, steps, start="2025-11-10", end="2025-11-23", **kw)
        assert d["users"].iloc[-1] > 0
        _assert_same(d, s, f"funnel {kw}")


def test_any_order_and_new_user_funnel_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    steps = ["view_product", "add_to_cart", "submit_order"]
    _assert_same(
        oa.funnel(duck, steps, start="2025-11-10", end="2025-11-23", order="any"),
        oa.funnel(sp, steps, start="2025-11-10", end="2025-11-23", order="any"),
        "any",
    )
    _assert_same(
        oa.new_user_funnel(duck, start="2025-10-01", end="2025-11-23", by="channel"),
        oa.new_user_funnel(sp, start="2025-10-01", end="2025-11-23", by="channel"),
        "new_user_funnel",
    )


def test_users_per_period_parity_past_32_bits(spark, demo_parquet, tiny_demo):
    """40 days are 40 bits: Spark must shift and OR 64-bit integers as DuckDB does."""
    from datetime import date, timedelta

    from opsanalysis.data.engine import users_per_period

    starts = [date(2025, 10, 15) + timedelta(days=i) for i in range(40)]
    flags = {"users": lambda t: t.event.notnull(), "readers": lambda t: t.event == "view_content"}
    got = []
    for src in (oa.connect(str(tiny_demo)), _spark_source(spark, demo_parquet, "demo")):
        ev = src.table("events")
        got.append(users_per_period(src, ev, lambda t: t.event_time.date(), "day", starts, flags))
    assert got[0]["readers"].iloc[-1] > 0
    _assert_same(got[0], got[1], "users_per_period")


def test_at_risk_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    d = oa.at_risk_users(duck, as_of="2025-11-23")
    assert len(d) > 10
    _assert_same(d, oa.at_risk_users(sp, as_of="2025-11-23"), "at_risk_users")
    counts = oa.at_risk_counts(sp, as_of="2025-11-23").iloc[0]
    assert (counts["users"], counts["long_gap"]) == (len(d), d["long_gap"].sum())


def test_daylight_saving_durations_parity(spark, demo_parquet, tiny_demo):
    # read in Los Angeles, the demo's last weeks hold the autumn change (2025-11-02 02:00):
    # windows and rolling days are measured in real time on both engines
    la = {"timezone": "America/Los_Angeles"}
    duck = oa.connect(str(tiny_demo), params=la)
    sp = _spark_source(spark, demo_parquet, "demo", **la)
    steps = ["view_product", "add_to_cart", "submit_order"]
    kw = dict(start="2025-10-27", end="2025-11-09", window="1d")
    d = oa.funnel(duck, steps, **kw)
    assert d["users"].iloc[-1] > 0
    _assert_same(d, oa.funnel(sp, steps, **kw), "funnel across DST")
    kw = dict(start="2025-10-27", end="2025-11-23", window="rolling", days=(1, 7))
    d = oa.new_user_retention(duck, **kw)
    assert d["retained_users"].sum() > 0
    _assert_same(d, oa.new_user_retention(sp, **kw), "rolling retention across DST")


def test_ops_analytics_parity(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    kw = dict(start="2025-11-03", end="2025-11-16")
    for by in ("content_id", "type"):
        d = oa.content_performance(duck, by=by, min_readers=5, **kw)
        assert d["readers"].sum() > 0
        _assert_same(d, oa.content_performance(sp, by=by, min_readers=5, **kw), f"content {by}")
    d = oa.service_levels(duck, **kw)
    assert d["tickets"].iloc[0] > 0
    _assert_same(d, oa.service_levels(sp, **kw), "service_levels")
    for by in ("campaign_id", "channel"):
        d = oa.campaign_roi(duck, by=by, **kw)
        assert d["revenue"].sum() > 0
        _assert_same(d, oa.campaign_roi(sp, by=by, **kw), f"campaign_roi {by}")
    d = oa.touchpoint_conversion(duck, **kw)
    _assert_same(d, oa.touchpoint_conversion(sp, **kw), "touchpoint_conversion")
    d = oa.kpi_series(duck, first="2025-W43", last="2025-W47")
    _assert_same(d, oa.kpi_series(sp, first="2025-W43", last="2025-W47"), "kpi_series")
    d = oa.kpi_monitor(duck, period="2025-W47")
    _assert_same(d, oa.kpi_monitor(sp, period="2025-W47"), "kpi_monitor")


def _table_cells(page: str) -> list[str]:
    import re

    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_weekly_report_is_the_same_on_duckdb_and_spark(demo_parquet, tmp_path):
    """The whole weekly report from one Parquet folder, read by DuckDB and by Spark: every
    table cell equal (the report's kernel starts its own local SparkSession)."""
    from conftest import URL

    from opsanalysis.cli import main

    pages = {}
    for engine in ("duckdb", "spark"):
        out = tmp_path / engine
        args = ["report", "weekly", "--source", str(demo_parquet), "--engine", engine]
        assert main([*args, "--out", str(out)]) == 0
        pages[engine] = (out / "weekly" / "2025-W47.html").read_text(encoding="utf-8")
    duck, spark_cells = _table_cells(pages["duckdb"]), _table_cells(pages["spark"])
    assert len(duck) > 500
    assert duck == spark_cells
    for page in pages.values():  # nothing of Spark's console, no traceback, no address
        assert "WARN" not in page and "Traceback" not in page and not URL.search(page)


@pytest.mark.parametrize(
    "kind",
    ["monthly --period 2025-11", "quarterly", "rfm", "experiment --experiment exp_push_time"],
)
def test_every_report_renders_on_spark(demo_parquet, tmp_path, kind):
    from opsanalysis.cli import main

    args = ["report", *kind.split(), "--source", str(demo_parquet), "--engine", "spark"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*/*.html"))) == 1


def test_the_session_catalog_is_a_source(spark, demo_parquet, tiny_demo, tmp_path):
    """--source spark: the tables of the active session's catalog, named by params tables:
    a database table (db.table) and a global temporary view (global_temp.view)."""
    spark.sql(f"CREATE DATABASE IF NOT EXISTS oa_ods LOCATION '{tmp_path / 'ods'}'")
    read = {n: spark.read.parquet(str(demo_parquet / f"{n}.parquet")) for n in TABLES[:3]}
    read["users"].write.mode("overwrite").saveAsTable("oa_ods.app_users")
    read["events"].write.mode("overwrite").saveAsTable("oa_ods.app_events")
    read["orders"].createOrReplaceGlobalTempView("oa_orders")
    names = {"users": "oa_ods.app_users", "events": "oa_ods.app_events"}
    names["orders"] = "global_temp.oa_orders"
    cat = oa.connect("spark", params={"tables": names})
    assert cat.tables() == ["users", "events", "orders"]
    d = oa.kpi_monitor(oa.connect(str(tiny_demo)), period="2025-W47")
    s = oa.kpi_monitor(cat, period="2025-W47")
    common = d[d["metric"].isin(s["metric"])].reset_index(drop=True)
    assert_frame_equal(common[["metric", "value"]], s[["metric", "value"]], rtol=1e-12)
    spark.sql("DROP DATABASE oa_ods CASCADE")
    with pytest.raises(oa.SourceError, match="catalog has none of the tables"):
        oa.connect("spark", params={"tables": {"users": "nowhere.users"}})


def test_new_report_analyses_agree_on_spark(spark, demo_parquet, tiny_demo):
    duck = oa.connect(str(tiny_demo))
    sp = _spark_source(spark, demo_parquet, "demo")
    for metric in ("new_users", "revenue", "content_read_rate", "repeat_purchase_rate"):
        _assert_same(
            oa.kpi_contribution(duck, metric, period="2025-W47"),
            oa.kpi_contribution(sp, metric, period="2025-W47"),
            metric,
        )
    _assert_same(
        oa.data_coverage(duck, start="2025-11-17", end="2025-11-23"),
        oa.data_coverage(sp, start="2025-11-17", end="2025-11-23"),
        "data_coverage",
    )
    _assert_same(
        oa.channel_value(duck, start="2025-10-13", end="2025-11-23"),
        oa.channel_value(sp, start="2025-10-13", end="2025-11-23"),
        "channel_value",
    )
    _assert_same(
        oa.new_users_by_channel(duck, first="2025-W43", last="2025-W47"),
        oa.new_users_by_channel(sp, first="2025-W43", last="2025-W47"),
        "new_users_by_channel",
    )
    assert len(oa.experiment_overview(sp, end="2025-11-23")) == 3  # one row per experiment
