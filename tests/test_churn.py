"""Silent-user reactivation on the retention fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_retention import retention_frames

import opsanalysis as oa


def test_reactivation_by_hand():
    frames = retention_frames()
    frames["orders"] = pd.DataFrame(
        {
            "order_id": [1, 2],
            "user_id": [5, 1],
            "amount": [50.0, 30.0],
            "order_time": pd.to_datetime(["2025-11-22 11:00", "2025-11-20 11:00"]),
        }
    )
    src = oa.connect(**frames, params={"churn": {"silent_days": 7, "churned_days": 10}})
    got = oa.reactivation(src, start="2025-11-03", end="2025-11-23")
    # W45 (from 11-03): nobody silent yet (user 4's last day 10-28 is 5 full days back)
    # W46 (from 11-10): user 4 silent (last 10-28); nobody returns in W46
    # W47 (from 11-17): users 2 (11-05), 4 (10-28), 5 (11-06) silent, all 10+ days: churned;
    #   4 and 5 come back; 5 pays 50 (user 1's order is not from a returner)
    assert got["silent_users"].tolist() == [0, 1, 3]
    assert got["churned_users"].tolist() == [0, 1, 3]
    assert got["reactivated_users"].tolist() == [0, 0, 2]
    assert np.isnan(got["reactivation_rate"].iloc[0])
    assert got["reactivation_rate"].iloc[2] == pytest.approx(2 / 3)
    assert got["reactivated_churned"].tolist() == [0, 0, 2]
    assert got["reactivated_revenue"].tolist() == [0.0, 0.0, 50.0]
    assert got["complete"].all()


def test_reactivation_matches_resurrecting_weekly(tiny_demo):
    # with 7 silent days and Monday weeks, a silent user active this week is exactly a user
    # active before, inactive last week and active now: lifecycle's resurrecting count
    src = oa.connect(str(tiny_demo))
    react = oa.reactivation(src, start="2025-11-03", end="2025-11-23")
    life = oa.lifecycle(src, start="2025-11-03", end="2025-11-23")
    res = life[life.status == "resurrecting"]["users"].tolist()
    assert react["reactivated_users"].tolist() == res and sum(res) > 0


def _risk_source(**params):
    rows = [
        (1, "2025-11-01", "open"),
        (1, "2025-11-03", "open"),
        (1, "2025-11-05", "open"),
        (2, "2025-11-01", "open"),
        (2, "2025-11-08", "view"),
        (2, "2025-11-08", "like"),
        (2, "2025-11-27", "open"),
        (3, "2025-11-10", "open"),
        (4, "2025-11-10", "open"),
        (4, "2025-11-12", "open"),
        (4, "2025-11-26", "open"),
        (5, "2025-11-01", "open"),
        (5, "2025-11-02", "open"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event_time", "event"])
    df["event_time"] = pd.to_datetime(df["event_time"]) + pd.Timedelta(hours=10)
    return oa.connect(events=df, params={"churn": params} if params else None)


def test_at_risk_users_by_hand(tmp_path):
    got = oa.at_risk_users(_risk_source(), as_of="2025-11-28")
    # halves: 11-01..11-14 and 11-15..11-28
    # 1: usual gap 2 days, silent 23 days -> gap; 2: 3 event types before, 1 since -> types;
    # 3: one active day before (no usual gap); 4: back 2 days ago; 5: usual gap 1, silent 26
    assert got["user_id"].tolist() == [1, 2, 5]
    assert got["long_gap"].tolist() == [True, False, True]
    assert got["fewer_event_types"].tolist() == [False, True, False]
    assert got["reason"].tolist() == ["long_gap", "fewer_event_types", "long_gap"]
    assert got["days_since_active"].tolist() == [23, 1, 26]
    assert got[["previous_event_types", "recent_event_types"]].values.tolist()[1] == [3, 1]
    assert got["usual_gap_days"].tolist() == [2.0, 7.0, 1.0]
    # already churned users are past warning: with 25 churned days user 5 drops out
    assert oa.at_risk_users(_risk_source(churned_days=25), as_of="2025-11-28")[
        "user_id"
    ].tolist() == [1, 2]
    # the report's counts, computed in the engine: 3 users, 2 long gaps, 1 with fewer types
    counts = oa.at_risk_counts(_risk_source(), as_of="2025-11-28")
    assert counts.to_dict("records") == [{"users": 3, "long_gap": 2, "fewer_event_types": 1}]
    nobody = oa.at_risk_counts(_risk_source(), as_of="2025-11-02")  # too little history
    assert nobody.to_dict("records") == [{"users": 0, "long_gap": 0, "fewer_event_types": 0}]
    path = oa.export_users(got, tmp_path / "risk.csv")
    assert pd.read_csv(path)["user_id"].tolist() == [1, 2, 5]


def test_event_types_as_bits_match_pairs_in_pandas(tiny_demo):
    """engine.distinct_counts_by_flag (a bit per event type, one group-by per user) against
    distinct event types per user and half counted in pandas."""
    from opsanalysis.data.engine import distinct_counts_by_flag

    src = oa.connect(str(tiny_demo))
    ev = src.table("events")
    ev = ev.filter(
        (ev.event_time >= pd.Timestamp("2025-10-27")) & (ev.event_time < pd.Timestamp("2025-11-24"))
    )
    split = pd.Timestamp("2025-11-10")
    got = distinct_counts_by_flag(
        src,
        ev,
        "user_id",
        "event",
        {"before": lambda t: t.event_time < split, "since": lambda t: t.event_time >= split},
    )
    assert got is not None
    got = src.execute(got).set_index("user_id").sort_index()
    rows = src.execute(ev.select("user_id", "event", "event_time"))
    early = rows["event_time"] < split
    want = pd.DataFrame(
        {
            "before": rows[early].groupby("user_id")["event"].nunique(),
            "since": rows[~early].groupby("user_id")["event"].nunique(),
        }
    ).fillna(0)
    assert len(want) > 100 and want["before"].max() > 3
    assert got.astype("int64").equals(want.astype("int64").sort_index()[["before", "since"]])


def test_at_risk_with_more_event_types_than_bits():
    """63 more event types (66 in all, over the 62 bits): the types are counted by (user,
    event) pairs instead, with the same answer."""
    from opsanalysis.data.engine import distinct_counts_by_flag

    base = _risk_source().table("events").execute()
    extra = pd.DataFrame(
        {
            "user_id": 6,
            "event": [f"e{i}" for i in range(63)] * 2,
            "event_time": [pd.Timestamp("2025-11-03 10:00")] * 63
            + [pd.Timestamp("2025-11-05 10:00")] * 63,
        }
    )
    src = oa.connect(events=pd.concat([base, extra], ignore_index=True))
    ev = src.table("events")
    flags = {"all": lambda t: t.event_time.notnull()}
    assert distinct_counts_by_flag(src, ev, "user_id", "event", flags) is None
    got = oa.at_risk_users(src, as_of="2025-11-28")
    # 6: active 11-03 and 11-05 (usual gap 2 days), silent 23 days; 63 types before, none since
    assert got["user_id"].tolist() == [1, 2, 5, 6]
    assert got[["previous_event_types", "recent_event_types"]].values.tolist()[1] == [3, 1]
    assert got[["previous_event_types", "recent_event_types"]].values.tolist()[3] == [63, 0]
    assert got["long_gap"].tolist() == [True, False, True, True]
    assert got["fewer_event_types"].tolist() == [False, True, False, True]
