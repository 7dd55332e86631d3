"""data_coverage against hand-counted rows and users."""

from __future__ import annotations

import pandas as pd

import opsanalysis as oa


def _src():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 4, 5],
            "event_time": pd.to_datetime(
                [
                    "2025-11-17 09:00",
                    "2025-11-18 10:00",
                    "2025-11-18 11:00",
                    "2025-11-23 23:59",
                    "2025-11-20 08:00",
                    "2025-11-16 23:59",  # the day before: left out
                    "2025-11-21 12:00",
                ]
            ),
            "event": ["open"] * 7,
            "touchpoint": ["app", "community", "app", "app", "community", "app", None],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [10, 11],
            "user_id": [1, 2],
            "order_time": pd.to_datetime(["2025-11-19 10:00", "2025-11-25 10:00"]),
            "amount": [5.0, 7.0],
            "status": ["paid", "paid"],
        }
    )
    return oa.connect(events=events, orders=orders)


def test_rows_and_users_per_table_and_touchpoint():
    got = oa.data_coverage(_src(), start="2025-11-17", end="2025-11-23")
    assert got["table"].tolist() == ["events", "events", "events", "orders"]
    assert got["touchpoint"].tolist() == ["", "app", "community", ""]
    # events: 6 rows on the days (user 4's is the day before), users 1, 2, 3, 5; the row
    # without a touchpoint counts in the events row only; user 1 is in both touchpoints
    assert got["rows"].tolist() == [6, 3, 2, 1]
    assert got["users"].tolist() == [4, 2, 2, 1]
    assert got["first"].tolist()[:3] == [pd.Timestamp("2025-11-17 09:00")] * 2 + [
        pd.Timestamp("2025-11-18 10:00")
    ]
    assert got["last"].tolist() == [
        pd.Timestamp("2025-11-23 23:59"),
        pd.Timestamp("2025-11-23 23:59"),
        pd.Timestamp("2025-11-20 08:00"),
        pd.Timestamp("2025-11-19 10:00"),
    ]


def test_a_period_without_events_counts_zero():
    got = oa.data_coverage(_src(), start="2025-12-01", end="2025-12-07")
    events = got[got["table"] == "events"]
    assert events["rows"].tolist() == [0]
    assert events["users"].tolist() == [0]
    assert events["touchpoint"].tolist() == [""]
