"""RFM table and scores against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError


def rfm_orders() -> pd.DataFrame:
    """Orders of users 1..6; expected RFM as of 2025-11-23 is written out in the tests."""
    rows = [
        ("o1", 1, "2025-11-01 10:00", 50.0, "paid"),
        ("o2", 1, "2025-11-01 20:00", 30.0, "paid"),  # same day as o1
        ("o3", 1, "2025-11-11 09:00", 20.0, "paid"),
        ("o4", 1, "2025-11-20 10:00", 100.0, "refunded"),  # not counted
        ("o5", 2, "2025-11-23 23:59", 40.0, "paid"),  # the last minute of as_of
        ("o6", 3, "2025-05-01 12:00", 500.0, "paid"),
        ("o7", 3, "2025-08-01 12:00", 500.0, "paid"),
        ("o8", 3, "2025-11-01 12:00", 500.0, "paid"),
        ("o9", 4, "2025-11-24 00:00", 10.0, "paid"),  # after as_of: user 4 has no row
        ("o10", 5, "2025-11-22 12:00", 0.0, "paid"),  # a free order still counts
        ("o11", 6, "2024-10-01 08:00", 80.0, "paid"),
        ("o12", 6, "2025-10-15 08:00", 60.0, "paid"),
        ("o13", 6, "2025-10-16 08:00", 60.0, "paid"),
        ("o14", 6, "2025-10-25 08:00", 60.0, "paid"),
    ]
    df = pd.DataFrame(rows, columns=["order_id", "user_id", "order_time", "amount", "status"])
    df["order_time"] = pd.to_datetime(df["order_time"])
    return df


# user: recency, frequency, monetary, tenure_days, median_days_between
# 1: last paid 11-11 -> 12 days; 3 paid; 100; first 11-01 -> 22; distinct days 11-01, 11-11 -> 10
# 2: 0; 1; 40; 0; NaN          3: 22; 3; 1500; 206 (May 1 to Nov 23); gaps 92, 92 -> 92
# 5: 1; 1; 0; 1; NaN           6: 29; 4; 260; 418 (2024-10-01 to 2025-11-23); gaps 379, 1, 9 -> 9
EXPECTED_ALL = pd.DataFrame(
    {
        "user_id": [1, 2, 3, 5, 6],
        "recency": [12, 0, 22, 1, 29],
        "frequency": [3, 1, 3, 1, 4],
        "monetary": [100.0, 40.0, 1500.0, 0.0, 260.0],
        "first_order": pd.to_datetime(
            [
                "2025-11-01 10:00",
                "2025-11-23 23:59",
                "2025-05-01 12:00",
                "2025-11-22 12:00",
                "2024-10-01 08:00",
            ]
        ),
        "last_order": pd.to_datetime(
            [
                "2025-11-11 09:00",
                "2025-11-23 23:59",
                "2025-11-01 12:00",
                "2025-11-22 12:00",
                "2025-10-25 08:00",
            ]
        ),
        "tenure_days": [22, 0, 206, 1, 418],
        "median_days_between": [10.0, np.nan, 92.0, np.nan, 9.0],
    }
)


def _check(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.copy()
    for col in ("first_order", "last_order"):
        got[col] = pd.to_datetime(got[col]).astype("datetime64[us]")
        expected = expected.assign(**{col: expected[col].astype("datetime64[us]")})
    assert_frame_equal(got, expected, check_dtype=False)
    assert got["recency"].dtype == "int64" and got["frequency"].dtype == "int64"


def test_rfm_table_all_history():
    _check(oa.rfm_table(rfm_orders(), as_of="2025-11-23"), EXPECTED_ALL)


def test_rfm_table_window():
    # 365 days ending 2025-11-23 start 2024-11-24: user 6 loses o11 (2024-10-01)
    got = oa.rfm_table(rfm_orders(), as_of="2025-11-23", window="365D")
    exp = EXPECTED_ALL.copy()
    exp.loc[4, ["frequency", "monetary", "tenure_days", "median_days_between"]] = [
        3,
        180.0,
        39,
        5.0,
    ]
    exp.loc[4, "first_order"] = pd.Timestamp("2025-10-15 08:00")
    _check(got, exp)
    # a 3-day window keeps the orders of 11-21..11-23 only
    assert oa.rfm_table(rfm_orders(), as_of="2025-11-23", window=3)["user_id"].tolist() == [2, 5]
    with pytest.raises(ParamsError, match="must be a positive number of days"):
        oa.rfm_table(rfm_orders(), as_of="2025-11-23", window=0)


def test_paid_statuses_come_from_params():
    src = oa.connect(
        orders=rfm_orders(), params={"orders": {"paid_statuses": ["paid", "refunded"]}}
    )
    got = oa.rfm_table(src, as_of="2025-11-23").set_index("user_id")
    assert got.loc[1, "frequency"] == 4 and got.loc[1, "monetary"] == 200.0
    assert got.loc[1, "recency"] == 3


def test_quantile_scores_by_hand():
    scored = oa.rfm_score(oa.rfm_table(rfm_orders(), as_of="2025-11-23"))
    # score = 1 + floor(5 * users strictly worse / 5)
    # recency 12,0,22,1,29 -> larger: 2,4,1,3,0 -> 3,5,2,4,1
    # frequency 3,1,3,1,4 -> smaller: 2,0,2,0,4 -> 3,1,3,1,5
    # monetary 100,40,1500,0,260 -> smaller: 2,1,4,0,3 -> 3,2,5,1,4
    assert scored["r_score"].tolist() == [3, 5, 2, 4, 1]
    assert scored["f_score"].tolist() == [3, 1, 3, 1, 5]
    assert scored["m_score"].tolist() == [3, 2, 5, 1, 4]
    assert scored["rfm_code"].tolist() == ["333", "512", "235", "411", "154"]


def test_quantile_ties_are_equal_and_order_free():
    freq = [1] * 7 + [2, 2, 5]
    df = pd.DataFrame({"recency": [5] * 10, "frequency": freq, "monetary": np.arange(10.0)})
    s = oa.rfm_score(df)
    # 7 users share frequency 1: nobody is worse -> 1; frequency 2: 7 worse -> 1 + 35 // 10 = 4
    assert s["f_score"].tolist() == [1] * 7 + [4, 4, 5]
    assert set(s["r_score"]) == {1}  # everyone tied on recency
    assert s["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    shuffled = df.sample(frac=1.0, random_state=1)
    s2 = oa.rfm_score(shuffled)
    assert s2.set_index(shuffled.index)["f_score"].sort_index().tolist() == s["f_score"].tolist()
    assert oa.rfm_score(df, bins=3)["f_score"].tolist() == [1] * 7 + [3, 3, 3]


def test_threshold_scores():
    rfm = oa.rfm_table(rfm_orders(), as_of="2025-11-23")
    s = oa.rfm_score(
        rfm, method="thresholds"
    )  # params defaults: [7,30,90,180], [2,3,5,10], [100,...]
    assert s["r_score"].tolist() == [4, 5, 4, 5, 4]  # 12, 0, 22, 1, 29 days
    assert s["f_score"].tolist() == [3, 1, 3, 1, 3]  # 3, 1, 3, 1, 4 orders
    assert s["m_score"].tolist() == [2, 1, 4, 1, 2]  # 100, 40, 1500, 0, 260
    custom = oa.rfm_score(
        rfm, method="thresholds", thresholds={"recency": [1], "frequency": [4], "monetary": [1000]}
    )
    assert custom["rfm_code"].tolist() == ["111", "211", "112", "211", "121"]
    with pytest.raises(ParamsError, match="thresholds need the same number of cut points"):
        oa.rfm_score(rfm, method="thresholds", thresholds={"recency": [1], "frequency": [1, 2]})


def test_score_errors():
    with pytest.raises(ParamsError, match="missing monetary. Pass the output of oa.rfm_table"):
        oa.rfm_score(pd.DataFrame({"recency": [1], "frequency": [1]}))
    with pytest.raises(ValueError, match="method='ntile' is not allowed"):
        oa.rfm_score(EXPECTED_ALL, method="ntile")
    with pytest.raises(ParamsError, match="bins=1 must be at least 2"):
        oa.rfm_score(EXPECTED_ALL, bins=1)


def test_value_activity_table():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 7, 7, 8],
            "event_time": pd.to_datetime(
                [
                    "2025-11-20 10:00",
                    "2025-11-20 11:00",
                    "2025-11-22 09:00",
                    "2025-11-23 08:00",
                    "2025-10-01 08:00",
                    "2025-10-23 23:00",
                ]
            ),
            "event": ["open"] * 6,
        }
    )
    src = oa.connect(orders=rfm_orders(), events=events)
    got = oa.value_activity_table(src, as_of="2025-11-23", window=30)
    # window 2025-10-25..11-23: user 1 active 20th and 22nd, paid 3 orders (100); user 7 active
    # on the 23rd only; user 8's event is before the window; buyers 2, 3, 5, 6 have no events
    expected = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 5, 6, 7],
            "monetary": [100.0, 40.0, 500.0, 0.0, 60.0, 0.0],
            "frequency": [3, 1, 1, 1, 1, 0],
            "active_days": [2, 0, 0, 0, 0, 1],
        }
    )
    assert_frame_equal(got, expected, check_dtype=False)
