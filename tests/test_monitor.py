"""kpi_series and kpi_monitor: hand-checked series, the composition with flag_anomaly, and
the demo's planted anomalies found in their weeks (and nothing else)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa


def test_series_agrees_with_period_kpis_and_reactivation(tiny_demo):
    src = oa.connect(str(tiny_demo))
    series = oa.kpi_series(src, first="2025-W44", last="2025-W47")
    for week in ("2025-W44", "2025-W45", "2025-W46", "2025-W47"):
        p = oa.parse_period(week)
        expected = oa.period_kpis(src, week)  # an independent path through daily_kpis
        row = series.loc[p.start]
        for metric, value in expected.items():
            assert row[metric] == pytest.approx(value), (week, metric)
        assert row["stickiness"] == pytest.approx(expected["dau_avg"] / expected["active_users"])
    react = oa.reactivation(src, period="week", start="2025-10-27", end="2025-11-23")
    react.index = pd.to_datetime(react["period_start"]).dt.date
    assert series["reactivation_rate"].tolist() == pytest.approx(
        react["reactivation_rate"].tolist()
    )
    assert series["silent_users"].tolist() == react["silent_users"].tolist()
    # the response rate of each week is service_levels' for the tickets of that week
    sl = oa.service_levels(src, start="2025-11-17", end="2025-11-23")
    assert series["response_rate"].iloc[-1] == pytest.approx(sl["response_rate"].iloc[0])


def test_series_event_kpis_against_pandas(tiny_demo):
    """Community messages, add-WeCom and read rates of each week, counted again in pandas
    from the events (readers and WeCom adders are distinct users of the week)."""
    src = oa.connect(str(tiny_demo))
    series = oa.kpi_series(src, first="2025-W43", last="2025-W47")
    ev = src.execute(src.table("events").select("user_id", "event", "touchpoint", "event_time"))
    ev["week"] = (
        ev["event_time"].dt.normalize() - pd.to_timedelta(ev["event_time"].dt.day_of_week, "D")
    ).dt.date
    ev = ev[ev["week"].isin(series.index)]
    names, reads = src.params.community_events, src.params.content_events["read"]
    said = ev[ev["event"].isin(names["message"]) & (ev["touchpoint"] == "community")]
    messages = said.groupby("week").size().reindex(series.index, fill_value=0)
    readers = ev[ev["event"].isin(reads)].groupby("week")["user_id"].nunique()
    adders = ev[ev["event"].isin(names["add_wecom"])].groupby("week")["user_id"].nunique()
    adders = adders.reindex(series.index, fill_value=0)
    assert readers.min() > 50 and adders.sum() > 10 and messages.sum() > 10
    assert series["community_messages"].tolist() == messages.astype(float).tolist()
    active = series["active_users"]
    assert series["content_read_rate"].tolist() == pytest.approx((readers / active).tolist())
    assert series["add_wecom_conversion"].tolist() == pytest.approx((adders / active).tolist())


def test_series_by_hand_on_the_kpi_fixture():
    from conftest import kpi_fixture_frames

    frames = kpi_fixture_frames()
    series = oa.kpi_series(oa.connect(**frames), first="2025-W46", last="2025-W47")
    w47 = series.loc[oa.parse_period("2025-W47").start]
    expected = oa.period_kpis(oa.connect(**frames), "2025-W47")
    assert w47["new_users"] == expected["new_users"]
    assert w47["orders"] == expected["orders"] and w47["revenue"] == expected["revenue"]


def test_monitor_without_enough_history_flags_week_over_week_only(tiny_demo):
    src = oa.connect(str(tiny_demo), params={"alerts": {"pct_change": 0.15}})
    mon = oa.kpi_monitor(src, period="2025-W47")
    assert (mon["status"] == "insufficient_history").all()  # 6 weeks of data: 4 full before
    assert mon["history_periods"].max() < 6
    assert list(mon.columns) == [
        "metric",
        "period",
        "value",
        "previous",
        "change",
        "target",
        "completion",
        "wow_flag",
        "baseline",
        "low",
        "high",
        "history_flag",
        "status",
        "history_periods",
        "year_ago",
        "yoy_change",
    ]
    assert mon["year_ago"].isna().all()  # a week a year back is not in 12 weeks of history
    row = mon.set_index("metric").loc["new_users"]
    assert row["change"] == pytest.approx((row["value"] - row["previous"]) / row["previous"])
    assert row["wow_flag"] == (abs(row["change"]) >= 0.15)


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """The default demo world (50,000 users, 26 weeks), with its planted anomalies."""
    from opsanalysis.data.demo import make_demo_data

    path = tmp_path_factory.mktemp("full") / "demo.duckdb"
    make_demo_data(path)
    return path


@pytest.mark.slow
def test_monitor_is_flag_anomaly_over_the_series(full_demo):
    src = oa.connect(str(full_demo), params={"targets": {"new_users": 2500}})
    mon = oa.kpi_monitor(src, period="2025-W47").set_index("metric")
    series = oa.kpi_series(src, first="2025-W35", last="2025-W47")
    now, before = oa.parse_period("2025-W47").start, oa.parse_period("2025-W46").start
    for metric, row in mon.iterrows():
        kind, denom = oa.metrics.monitor.SCORECARD[metric]
        past = series.loc[series.index < now, metric].to_numpy()
        d = series.loc[now, denom] if denom else None
        ref = oa.flag_anomaly(past, series.loc[now, metric], kind=kind, denominator=d)
        assert row["value"] == pytest.approx(series.loc[now, metric], rel=1e-12)
        assert row["previous"] == pytest.approx(series.loc[before, metric], rel=1e-12)
        assert (row["baseline"], row["low"], row["high"]) == pytest.approx(
            (ref.baseline, ref.low, ref.high)
        )
        assert row["history_flag"] == (ref.status == "anomaly")
        both, one = row["wow_flag"] and row["history_flag"], row["wow_flag"] or row["history_flag"]
        assert row["status"] == ("anomaly" if both else "watch" if one else "ok")
    assert mon.loc["new_users", "completion"] == pytest.approx(mon.loc["new_users", "value"] / 2500)
    assert np.isnan(mon.loc["orders", "target"])


@pytest.mark.slow
def test_planted_demo_anomalies_are_found_and_nothing_else(full_demo):
    con = duckdb.connect(str(full_demo), read_only=True)
    planted = {
        tuple(r) for r in con.execute("select period, metric from demo_anomalies").fetchall()
    }
    con.close()
    assert planted == {("2025-W45", "new_users"), ("2025-W43", "community_messages")}
    src = oa.connect(str(full_demo))
    found, watched = set(), 0
    for week in range(36, 48):  # the last 12 weeks, each with 10+ weeks of history
        mon = oa.kpi_monitor(src, period=f"2025-W{week}")
        found |= {(f"2025-W{week}", m) for m in mon.loc[mon["status"] == "anomaly", "metric"]}
        watched += int((mon["status"] == "watch").sum())
    assert found == planted
    # mostly quiet: of 12 weeks x 13 KPIs, few are even worth watching
    assert watched <= 15


@pytest.mark.slow
def test_findings_name_the_planted_anomalies_in_their_weeks(full_demo):
    from opsanalysis.report.render import find_project_file

    src = oa.connect(str(full_demo), params=str(find_project_file("params", "weekly.yaml")))
    planted = {("2025-W45", "new_users", "up"), ("2025-W43", "community_messages", "down")}
    for period, metric, direction in planted:
        p = oa.parse_period(period)
        mon = oa.kpi_monitor(src, period=p)
        roi = oa.campaign_roi(src, start=p.start, end=p.last_day)
        f = oa.ranked_findings(src, monitor=mon, campaigns=roi)
        assert len(f) <= 7
        hit = f[(f["kind"] == "anomaly") & (f["metric"] == metric)]
        assert len(hit) == 1 and hit["severity"].iloc[0] == "high"
        assert (hit["change"].iloc[0] > 0) == (direction == "up")
        row = mon.set_index("metric").loc[metric]
        assert (hit["value"].iloc[0], hit["baseline"].iloc[0]) == (row["value"], row["previous"])
        # the driver is the channel kpi_contribution finds, with its numbers
        parts = oa.kpi_contribution(src, metric, period=p)
        top = oa.main_contributor(parts)
        assert hit["driver"].iloc[0] == top["part"]
        assert hit["driver_share"].iloc[0] == pytest.approx(top["share"])
        assert parts["change"].sum() == pytest.approx(row["value"] - row["previous"])
        if period == "2025-W45":  # the spike's paid KOC campaign lost money
            losing = f[f["kind"] == "losing_campaign"]
            assert losing["subject"].tolist() == ["push_2025W45"]
            assert losing["change"].iloc[0] < -0.5


@pytest.mark.slow
def test_weekly_report_findings_quote_the_numbers_of_its_tables(full_demo, tmp_path):
    import re

    from opsanalysis.cli import main

    out = tmp_path / "out"
    args = ["report", "weekly", "--period", "2025-W45", "--source", str(full_demo)]
    assert main([*args, "--out", str(out)]) == 0
    page = (out / "weekly" / "2025-W45.html").read_text(encoding="utf-8")
    findings = re.search(r"<ol class=.oa-ranked.>(.*?)</ol>", page, re.S).group(1)
    items = re.findall(r"<li class=.oa-sev-(\w+).>(.*?)</li>", findings, re.S)
    assert len(items) <= 7 and items[0][0] == "high"
    text = " ".join(items[i][1] for i in range(len(items)))
    assert "New users rose 41.4%" in text and "push_2025W45" in text
    tables = " ".join(
        re.sub(r"<[^>]+>", " ", t) for t in re.findall(r"<table.*?</table>", page, re.S)
    )
    tables = re.sub(r"\s+", " ", tables)
    for _, item in items:
        sentence = re.sub(r"<br>.*", "", item, flags=re.S)  # the action is advice, not data
        sentence = re.sub(r"<[^>]+>", " ", sentence)
        for number in re.findall(r"[+-]?¥?\d[\d,]*(?:\.\d+)?%?|1:\d+\.\d", sentence):
            if len(number.strip("+-¥%")) >= 2:  # every figure a sentence quotes, in a table
                assert number in tables, (number, sentence)
