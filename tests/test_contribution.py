"""Where a KPI's change came from: hand-computed parts, mix and rate effects, and the sums."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa

# two weeks, 2025-W46 (Nov 10-16) and 2025-W47 (Nov 17-23); users of channels a, b and none
USERS = pd.DataFrame(
    {
        "user_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "registered_at": pd.to_datetime(
            ["2025-11-03 10:00"] * 2  # 1, 2: earlier, channel a
            + ["2025-11-11 09:00", "2025-11-12 09:00"]  # 3, 4: W46, a and b
            + ["2025-11-18 09:00", "2025-11-18 10:00", "2025-11-19 09:00", "2025-11-20 09:00"]
            + ["2025-11-21 09:00"]  # 5-8 W47: a, a, a, b; 9 W47 no channel
        ),
        "channel": ["a", "a", "a", "b", "a", "a", "a", "b", None],
    }
)


def _events() -> pd.DataFrame:
    rows = [(1, "2025-11-10 00:30", "open_app")]  # the data covers W46 from its Monday
    # W46: users 1, 2 (a), 3 (a), 4 (b) active; readers 1 and 4
    for u in (1, 2, 3, 4):
        rows.append((u, "2025-11-13 12:00", "open_app"))
    rows += [(1, "2025-11-13 13:00", "view_content"), (4, "2025-11-13 13:00", "view_content")]
    # W47: users 1, 5, 6, 7 (a), 4, 8 (b) active; readers 1, 5 (a) and 4, 8 (b)
    for u in (1, 5, 6, 7, 4, 8):
        rows.append((u, "2025-11-20 12:00", "open_app"))
    for u in (1, 5, 4, 8):
        rows.append((u, "2025-11-20 13:00", "view_content"))
    df = pd.DataFrame(rows, columns=["user_id", "event_time", "event"])
    df["event_time"] = pd.to_datetime(df["event_time"])
    return df


ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4],
        "user_id": [1, 4, 1, 9],
        "order_time": pd.to_datetime(
            ["2025-11-12 10:00", "2025-11-13 10:00", "2025-11-19 10:00", "2025-11-22 10:00"]
        ),
        "amount": [100.0, 50.0, 80.0, 30.0],
        "status": ["paid"] * 4,
    }
)


@pytest.fixture
def src():
    return oa.connect(users=USERS, events=_events(), orders=ORDERS)


def test_counts_split_by_channel_sum_to_the_total(src):
    out = oa.kpi_contribution(src, "new_users", period="2025-W47").set_index("part")
    # W46: a 1 (user 3), b 1 (user 4); W47: a 3, b 1, unknown 1 -> total +3
    assert out.loc["a", ["value", "previous", "change"]].tolist() == [3, 1, 2]
    assert out.loc["b", ["value", "previous", "change"]].tolist() == [1, 1, 0]
    assert out.loc["(unknown)", "change"] == 1
    assert out.loc["a", "share"] == pytest.approx(2 / 3)
    assert out["share"].sum() == pytest.approx(1.0)
    series = oa.kpi_series(src, first="2025-W46", last="2025-W47")["new_users"]
    assert out["value"].sum() == series.iloc[-1] and out["previous"].sum() == series.iloc[0]
    assert (
        oa.main_contributor(oa.kpi_contribution(src, "new_users", period="2025-W47"))["part"] == "a"
    )


def test_revenue_follows_the_buyers_channel(src):
    out = oa.kpi_contribution(src, "revenue", period="2025-W47").set_index("part")
    # W46: a 100 (user 1), b 50 (user 4); W47: a 80 (user 1), unknown 30 (user 9)
    assert out.loc["a", ["value", "previous", "change"]].tolist() == [80, 100, -20]
    assert out.loc["b", "change"] == -50 and out.loc["(unknown)", "change"] == 30
    assert out.loc["b", "share"] == pytest.approx(-50 / -40)  # total change 110 - 150


def test_rate_change_is_mix_plus_rate_and_sums_exactly(src):
    out = oa.kpi_contribution(src, "content_read_rate", period="2025-W47").set_index("part")
    # W46: a 1 of 3 active read, b 1 of 1: R' = 2/4; W47: a 2 of 4, b 2 of 2: R = 4/6
    w_a, w_b, w0_a, w0_b = 4 / 6, 2 / 6, 3 / 4, 1 / 4
    r_a, r_b, r0_a, r0_b, r0 = 2 / 4, 1.0, 1 / 3, 1.0, 2 / 4
    assert out.loc["a", "mix_effect"] == pytest.approx((w_a - w0_a) * (r0_a - r0))
    assert out.loc["a", "rate_effect"] == pytest.approx(w_a * (r_a - r0_a))
    assert out.loc["b", "mix_effect"] == pytest.approx((w_b - w0_b) * (r0_b - r0))
    assert out.loc["b", "rate_effect"] == pytest.approx(w_b * (r_b - r0_b))
    assert out["change"].sum() == pytest.approx(4 / 6 - 2 / 4)
    assert out["share"].sum() == pytest.approx(1.0)
    series = oa.kpi_series(src, first="2025-W46", last="2025-W47")["content_read_rate"]
    assert series.iloc[-1] - series.iloc[0] == pytest.approx(out["change"].sum())


def test_a_previous_period_the_data_covers_in_part_is_no_baseline():
    users = USERS[USERS.registered_at >= "2025-11-11"]
    events = _events()
    events = events[events.event_time >= "2025-11-12"]  # the data starts on a Wednesday
    src = oa.connect(users=users, events=events, orders=ORDERS.iloc[1:])
    out = oa.kpi_contribution(src, "new_users", period="2025-W47")
    assert out["value"].sum() == 5
    assert out["previous"].isna().all() and out["share"].isna().all()
    assert oa.main_contributor(out) is None


def test_a_previous_period_wholly_before_the_data_has_no_previous_value():
    # the data starts on Monday 2025-11-17: W46 has no row at all, so it has no value (it
    # used to read 0, with shares summing to 100% as if everything were new)
    users = USERS[USERS.registered_at >= "2025-11-17"]
    events = _events()
    events = events[events.event_time >= "2025-11-17"]
    src = oa.connect(users=users, events=events, orders=ORDERS[ORDERS.order_time >= "2025-11-17"])
    for metric in ("new_users", "revenue", "content_read_rate"):
        out = oa.kpi_contribution(src, metric, period="2025-W47")
        assert out["previous"].isna().all() and out["change"].isna().all(), metric
        assert out["share"].isna().all() and oa.main_contributor(out) is None, metric
    out = oa.kpi_contribution(src, "new_users", period="2025-W47").set_index("part")
    assert out["value"].to_dict() == {"a": 3, "b": 1, "(unknown)": 1}  # users 5-9
    assert list(out.index) == ["a", "b", "(unknown)"]  # largest value first
    assert oa.kpi_monitor(src, period="2025-W47").set_index("metric")["previous"].isna().all()


def test_unknown_metric_or_column_says_what_to_use(src):
    with pytest.raises(oa.ParamsError, match="dau_avg"):
        oa.kpi_contribution(src, "dau_avg", period="2025-W47")
    with pytest.raises(oa.ParamsError, match="not a column of table 'users'"):
        oa.kpi_contribution(src, "new_users", period="2025-W47", by="city")
    assert np.isnan(oa.kpi_contribution(src, "orders", period="2025-W47")["weight"]).all()
