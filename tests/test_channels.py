"""Channel quality against a hand-computed fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa


def test_channel_quality_by_hand():
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "channel": ["a", "a", "b"],
            "registered_at": pd.to_datetime(
                ["2025-11-01 10:00", "2025-11-02 09:00", "2025-11-01 12:00"]
            ),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3, 1, 1, 1, 3],
            "event_time": pd.to_datetime(
                [
                    "2025-11-02 08:00",
                    "2025-11-08 08:00",
                    "2025-11-09 08:00",
                    "2025-11-02 08:00",
                    "2025-11-05 08:00",
                    "2025-11-05 09:00",
                    "2025-11-05 10:00",
                    "2025-11-05 08:00",
                ]
            ),
            "event": ["open", "open", "open", "open", "invite", "invite", "invite", "invite"],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4],
            "user_id": [1, 2, 3, 3],
            "amount": [100.0, 50.0, 20.0, 30.0],
            "order_time": pd.to_datetime(["2025-11-20", "2025-12-05", "2025-11-03", "2025-11-04"]),
        }
    )
    spend = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-11-01", "2025-11-02", "2025-11-01", "2025-10-31"]),
            "channel": ["a", "a", "b", "a"],
            "amount": [200.0, 100.0, 50.0, 999.0],
        }
    )
    src = oa.connect(
        users=users,
        events=events,
        orders=orders,
        spend=spend,
        params={"channels": {"referral_channel": "a"}},
    )
    got = oa.channel_quality(src, start="2025-11-01", end="2025-12-31").set_index("channel")
    # a: user 1 back on day 1 and day 7, user 2 on day 7; only user 1 buys within 30 days
    #    (user 2's order comes 33 days after registering); spend 300 (10-31 is outside)
    assert got.loc["a"].drop("complete").tolist() == pytest.approx(
        [2, 0.5, 1.0, 0.5, 50.0, 300.0, 150.0, 100 / 300, 2.0, 1.0]
    )
    # b: back on day 1 only; two orders within 30 days (50 in all); spend 50
    b = got.loc["b"]
    assert [
        b.new_users,
        b.d1_retention,
        b.d7_retention,
        b.first_order_rate,
        b.revenue_per_new_user,
        b.spend,
        b.cac,
        b.roas,
    ] == pytest.approx([1, 1.0, 0.0, 1.0, 50.0, 50.0, 50.0, 1.0])
    assert np.isnan(b.invites_per_inviter) and got["complete"].all()


def test_until_lets_cohorts_mature():
    users = pd.DataFrame(
        {"user_id": [1], "channel": ["a"], "registered_at": pd.to_datetime(["2025-11-01 10:00"])}
    )
    orders = pd.DataFrame(
        {
            "order_id": [1],
            "user_id": [1],
            "amount": [10.0],
            "order_time": pd.to_datetime(["2025-11-20"]),
        }
    )
    src = oa.connect(users=users, orders=orders)
    early = oa.channel_quality(src, start="2025-11-01", end="2025-11-07")
    late = oa.channel_quality(src, start="2025-11-01", end="2025-11-07", until="2025-12-31")
    # the 11-20 order is after end but inside until; the 30-day horizon ends 12-01
    assert early["first_order_rate"].tolist() == [0.0] and not early["complete"].iloc[0]
    assert late["first_order_rate"].tolist() == [1.0] and late["complete"].iloc[0]
