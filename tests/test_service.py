"""service_levels on hand-computed tickets."""

from __future__ import annotations

import pandas as pd
import pytest

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError

TICKETS = pd.DataFrame(
    {
        "ticket_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "created_at": pd.to_datetime(
            [
                "2025-11-17 10:00",  # answered exactly at 48 h: within
                "2025-11-17 12:00",  # 1 h: within
                "2025-11-17 12:00",  # 72 h: late
                "2025-11-18 09:00",  # never answered, window over: unanswered
                "2025-11-23 08:00",  # not answered, window open at the cutoff: pending
                "2025-11-23 09:00",  # answered after the cutoff: not yet, so pending
                "2025-11-22 23:00",  # 2 h: within
                "2025-11-10 10:00",  # created before start: not counted
            ]
        ),
        "first_response_at": pd.to_datetime(
            [
                "2025-11-19 10:00",
                "2025-11-17 13:00",
                "2025-11-20 12:00",
                None,
                None,
                "2025-11-24 10:00",
                "2025-11-23 01:00",
                "2025-11-10 11:00",
            ]
        ),
        "touchpoint": ["wecom", "wecom", "app", "app", "wecom", "app", "wecom", "app"],
    }
)


def test_service_levels_by_hand():
    src = oa.connect(tickets=TICKETS, params={"targets": {"response_rate": 0.9}})
    got = oa.service_levels(src, start="2025-11-17", end="2025-11-23")
    row = got.iloc[0]
    assert row[
        ["tickets", "answered_within", "answered_late", "unanswered", "pending"]
    ].tolist() == [
        7,
        3,
        1,
        1,
        2,
    ]
    assert row["response_rate"] == pytest.approx(3 / 5)
    # answered: 1 h, 2 h, 48 h, 72 h; median (2 + 48) / 2 = 25 h; p90 at 2.7: 48 + 0.7 x 24
    assert row["median_first_response"] == pd.Timedelta(hours=25)
    assert row["p90_first_response"] == pd.Timedelta(hours=64.8)
    assert row["target"] == 0.9 and row["completion"] == pytest.approx(0.6 / 0.9)
    assert list(got.columns)[:2] == ["tickets", "answered_within"]


def test_service_levels_by_touchpoint_and_edges():
    src = oa.connect(tickets=TICKETS)
    got = oa.service_levels(src, start="2025-11-17", end="2025-11-23", by="touchpoint")
    assert got["touchpoint"].tolist() == ["app", "wecom"]
    assert got["answered_within"].tolist() == [0, 3]
    assert got["response_rate"].tolist() == pytest.approx([0.0, 1.0])
    assert got["pending"].tolist() == [1, 1]
    assert got["target"].isna().all()  # no target in params
    # a 72-hour target makes ticket 3 a hit
    wide = oa.service_levels(src, start="2025-11-17", end="2025-11-23", within="72h")
    assert wide["answered_within"].iloc[0] == 4
    # only pending tickets: no rate
    only = oa.service_levels(src, start="2025-11-23", end="2025-11-23")
    assert only["pending"].iloc[0] == 2 and pd.isna(only["response_rate"].iloc[0])
    with pytest.raises(ParamsError, match="not a column of table 'tickets'"):
        oa.service_levels(src, by="city")
