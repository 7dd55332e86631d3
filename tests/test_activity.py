"""Activity and lifecycle on the retention fixture (ISO weeks W45..W47 of 2025)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest
from test_retention import retention_frames

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError


@pytest.fixture
def src():
    return oa.connect(**retention_frames())


def test_active_users_per_week_and_day(src):
    wau = oa.active_users(src, period="week", start="2025-11-03", end="2025-11-23")
    # W45 {1, 2, 5}; W46 {1, 3}; W47 {1, 3, 4, 5}
    assert wau["active_users"].tolist() == [3, 2, 4] and wau["complete"].all()
    dau = oa.active_users(src, start="2025-11-03", end="2025-11-09")
    assert dau["active_users"].tolist() == [1, 0, 1, 1, 0, 0, 0]  # 3rd, 5th, 6th
    by = oa.active_users(src, period="week", start="2025-11-03", end="2025-11-23", by="channel")
    # channels: 1, 3, 5 are a; 2, 4 are b
    assert by[["channel", "active_users"]].values.tolist() == [
        ["a", 2],
        ["b", 1],
        ["a", 2],
        ["b", 0],
        ["a", 3],
        ["b", 1],
    ]
    cut = oa.active_users(src, period="week", start="2025-11-05", end="2025-11-20")
    assert cut["complete"].tolist() == [False, True, False]


def test_stickiness_by_hand(src):
    s = oa.stickiness(src, start="2025-11-01", end="2025-11-23")
    # November so far: 9 user-days over 23 days; 5 distinct users
    assert s["days"].tolist() == [23]
    assert s["mean_dau"].iloc[0] == pytest.approx(9 / 23)
    assert s["mau"].iloc[0] == 5 and s["stickiness"].iloc[0] == pytest.approx(9 / 115)


def test_lifecycle_by_hand(src):
    got = oa.lifecycle(src, period="week", start="2025-11-03", end="2025-11-23")
    table = got.pivot(index="period_start", columns="status", values="users")
    # W45: 1, 2, 5 registered and active (new); 4 active in W44 only (dormant)
    # W46: 3 new; 1 returning; 2 and 5 dormant
    # W47: 1 and 3 returning; 4 and 5 resurrecting
    assert table[["new", "returning", "resurrecting", "dormant"]].values.tolist() == [
        [3, 0, 0, -1],
        [1, 1, 0, -2],
        [0, 2, 2, 0],
    ]
    wau = oa.active_users(src, period="week", start="2025-11-03", end="2025-11-23")["active_users"]
    active = table[["new", "returning", "resurrecting"]].sum(axis=1).tolist()
    assert active == wau.tolist()  # new + returning + resurrecting = the period's actives


def test_daily_lifecycle_over_more_periods_than_one_query_holds():
    """80 days: two queries of at most 60 days each; checked against sets in pandas."""
    rng = np.random.default_rng(5)
    days = pd.date_range("2025-08-01", periods=90, freq="D")
    users = pd.DataFrame(
        {"user_id": range(40), "registered_at": days[rng.integers(0, 60, 40)] + pd.Timedelta("8h")}
    )
    picks = rng.random((40, 90)) < 0.3
    uid, day = np.nonzero(picks)
    events = pd.DataFrame(
        {"user_id": uid, "event_time": days[day] + pd.Timedelta("12h"), "event": "open"}
    )
    got = oa.lifecycle(
        oa.connect(events=events, users=users), period="day", start="2025-08-11", end="2025-10-29"
    )
    active = {d: set(events.user_id[events.event_time.dt.normalize() == d]) for d in days}
    reg = dict(zip(users.user_id, users.registered_at.dt.normalize(), strict=True))
    rows = []
    for d in pd.date_range("2025-08-11", "2025-10-29"):
        now, was = active[d], active[d - pd.Timedelta("1D")]
        new = {u for u in now if reg[u] == d}
        rows += [
            (d, "new", len(new)),
            (d, "returning", len((now - new) & was)),
            (d, "resurrecting", len(now - new - was)),
            (d, "dormant", -len(was - now)),
        ]
    want = pd.DataFrame(rows, columns=["period_start", "status", "users"])
    got = got.set_index(["period_start", "status"])["users"]
    assert got.to_dict() == want.set_index(["period_start", "status"])["users"].to_dict()


def test_active_days_and_tiers():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2, 2, 3],
            "event_time": pd.to_datetime(
                [
                    "2025-11-17 09:00",
                    "2025-11-17 20:00",
                    "2025-11-18 09:00",
                    "2025-11-20 09:00",
                    "2025-11-19 09:00",
                    "2025-11-23 09:00",
                    "2025-11-21 09:00",
                ]
            ),
            "event": ["open"] * 7,
        }
    )
    src = oa.connect(events=events, params={"activity": {"tiers": {"high": 3, "medium": 2}}})
    dist = oa.active_days_distribution(src, start="2025-11-17", end="2025-11-23")
    # user 1: 3 days (two events on the 17th count once), user 2: 2 days, user 3: 1 day
    assert dist["users"].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert dist["share"].iloc[0] == pytest.approx(1 / 3)
    tiers = oa.activity_tiers(src, start="2025-11-17", end="2025-11-23")
    assert tiers[["tier", "users"]].values.tolist() == [["high", 1], ["medium", 1], ["low", 1]]
    # a bad tier setting is refused when the params load, before any analysis runs
    with pytest.raises(ParamsError, match="activity.tiers needs 1 < medium < high"):
        oa.connect(events=events, params={"activity": {"tiers": {"high": 2, "medium": 2}}})


def test_activity_by_hour(src):
    h = oa.activity_by_hour(src, start="2025-11-03", end="2025-11-23").set_index(
        ["weekday", "hour"]
    )
    assert len(h) == 168 and h["events"].sum() == 9  # user 4's October event is outside
    # Thursday 10:00: user 1 (11-20) and user 5 (11-06); Tuesday 10:00: users 3 and 4
    assert h.loc[(3, 10)].tolist() == [2, 2] and h.loc[(1, 10)].tolist() == [2, 2]
    assert h.loc[(2, 8)].tolist() == [1, 1]  # user 2, Wednesday 08:00


def test_lifecycle_and_hour_plots(src):
    lc = oa.lifecycle(src, period="week", start="2025-11-03", end="2025-11-23")
    ax = oa.plot_lifecycle(lc)
    heights = [round(p.get_height()) for p in ax.patches]
    # 3 weeks x (new, returning, resurrecting, dormant) bars
    assert heights == [3, 1, 0, 0, 1, 2, 0, 0, 2, -1, -2, 0]
    h = oa.activity_by_hour(src, start="2025-11-03", end="2025-11-23")
    ax = oa.plot_activity_heatmap(h)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Mon"


def test_shared_activity_gives_the_same_numbers(tiny_demo):
    """A report computes the per-user, per-day activity once (engine.share_activity); every
    section reading it agrees with the same call on the events."""
    from pandas.testing import assert_frame_equal

    from opsanalysis.data.engine import share_activity

    plain, shared = oa.connect(str(tiny_demo)), oa.connect(str(tiny_demo))
    share_activity(shared)
    assert shared.shared_activity is not None and plain.shared_activity is None
    calls = [
        lambda s: oa.kpi_series(s, first="2025-W44", last="2025-W47"),
        lambda s: oa.daily_kpis(s, start="2025-11-01", end="2025-11-23"),
        lambda s: oa.kpi_overview(s, period="2025-W47"),
        lambda s: oa.lifecycle(s, start="2025-10-20", end="2025-11-23"),
        lambda s: oa.activity_tiers(s, start="2025-11-17", end="2025-11-23"),
        lambda s: oa.reactivation(s, start="2025-10-20", end="2025-11-23"),
        # the shared gaps cut at an earlier last day
        lambda s: oa.reactivation(s, period="day", start="2025-10-20", end="2025-11-05"),
        lambda s: oa.cohort_retention(s, start="2025-10-13", end="2025-11-23"),
        lambda s: oa.cohort_retention(s, cohort="registered", start="2025-10-13", end="2025-11-20"),
        lambda s: oa.cohort_retention(s, period="day", brackets=[1, 6], start="2025-11-01"),
        lambda s: oa.active_users(s, period="week", by="channel"),
        lambda s: oa.new_user_retention(s, period="week", start="2025-10-13", by="channel"),
        lambda s: oa.new_user_retention(s, end="2025-11-20"),
        lambda s: oa.new_user_retention(s, start="2025-11-01", window="rolling"),
        lambda s: oa.value_activity_table(s, as_of="2025-11-20"),
        lambda s: oa.channel_quality(s, start="2025-10-13", end="2025-10-19", until="2025-11-23"),
        lambda s: oa.at_risk_users(s, as_of="2025-11-20"),
        lambda s: oa.new_user_funnel(s, start="2025-10-13", end="2025-10-19", until="2025-11-23"),
        lambda s: oa.content_performance(s, start="2025-11-03", end="2025-11-16"),
    ]
    for call in calls:
        assert_frame_equal(call(plain), call(shared), check_exact=False, rtol=1e-12)
    assert shared.shared_gaps is not None  # kept from the first reactivation on
    # the shared activity is the distinct (user, day) pairs, each once
    t = shared.shared_activity
    got = shared.execute(
        t.aggregate(
            n=t.count(), pairs=(t.user_id.cast("string") + "|" + t.day.cast("string")).nunique()
        )
    )
    ev = plain.table("events")
    days = ev.select(ev.user_id, d=ev.event_time.date()).distinct().count()
    assert int(got["n"].iloc[0]) == int(got["pairs"].iloc[0]) == int(plain.execute(days))


@pytest.mark.parametrize("days", [40, 60])  # a bit per day; past 52 periods, distinct counts
def test_users_per_period_against_pandas(tiny_demo, days):
    from datetime import date, timedelta

    from pandas.testing import assert_frame_equal

    from opsanalysis.data.engine import users_per_period

    src = oa.connect(str(tiny_demo))
    starts = [date(2025, 11, 23) - timedelta(days=days - 1 - i) for i in range(days)]
    ev = src.table("events")
    flags = {"users": lambda t: ibis.literal(True), "readers": lambda t: t.event == "view_content"}
    got = users_per_period(src, ev, lambda t: t.event_time.date(), "day", starts, flags)
    rows = src.execute(ev.select("user_id", "event", "event_time"))
    rows["p"] = rows["event_time"].dt.date
    want = pd.DataFrame(
        {
            "users": rows.groupby("p")["user_id"].nunique(),
            "readers": rows[rows["event"] == "view_content"].groupby("p")["user_id"].nunique(),
        }
    )
    want = want.reindex(pd.Index(starts, name="p")).fillna(0).astype("int64")
    assert want["readers"].tail(40).min() > 0 and len(got) == days  # 60 days: some before the data
    assert_frame_equal(got, want)
