"""campaign_roi and touchpoint_conversion on a hand-computed fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa

USERS = pd.DataFrame(
    {
        "user_id": [1, 2, 3],
        "registered_at": pd.to_datetime(
            ["2025-11-01 08:00", "2025-11-17 09:00", "2025-11-18 08:00"]
        ),
        "channel": ["feed_ads", "organic", "feed_ads"],
    }
)
EVENTS = pd.DataFrame(
    [
        (1, "2025-11-05 10:00", "session_start", "app", "c1"),  # before the period
        (1, "2025-11-17 10:00", "session_start", "app", "c1"),
        (1, "2025-11-19 10:00", "session_start", "wecom", "c2"),
        (1, "2025-11-21 10:00", "send_message", "community", None),
        (2, "2025-11-17 09:05", "session_start", "community", "c1"),  # on signup day: acquired
        (2, "2025-11-17 09:10", "send_message", "community", None),
        (2, "2025-11-18 09:10", "send_message", "community", None),
        (3, "2025-11-19 10:00", "session_start", "app", "c2"),  # a day after signing up
    ],
    columns=["user_id", "event_time", "event", "touchpoint", "campaign_id"],
)
EVENTS["event_time"] = pd.to_datetime(EVENTS["event_time"])
ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 4, 6],
        "user_id": [1, 1, 3, 1],
        "order_time": pd.to_datetime(
            ["2025-11-18 12:00", "2025-11-20 12:00", "2025-11-19 09:00", "2025-11-22 08:00"]
        ),
        "amount": [100.0, 200.0, 20.0, 5.0],
    }
)
SPEND = pd.DataFrame(
    {
        "date": pd.to_datetime(
            ["2025-11-17", "2025-11-18", "2025-11-10", "2025-11-17", "2025-11-19"]
        ),
        "campaign_id": ["c1", "c2", "c1", None, "c3"],
        "channel": [None, None, None, "feed_ads", None],
        "amount": [100.0, 50.0, 999.0, 200.0, 30.0],
    }
)


@pytest.fixture
def src():
    return oa.connect(users=USERS, events=EVENTS, orders=ORDERS, spend=SPEND)


def test_campaign_roi_by_hand(src):
    got = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23").set_index("campaign_id")
    # c3 spent and touched nobody: no revenue, ROAS 0, ROI -100%
    c3 = got.loc["c3"]
    assert (c3.spend, c3.users_touched, c3.new_users, c3.revenue, c3.orders) == (30.0, 0, 0, 0, 0)
    assert (c3.roas, c3.roi) == (0.0, -1.0) and np.isnan(c3.cac)
    got = got.drop(index="c3")
    assert got.index.tolist() == ["c1", "c2"]
    assert got["spend"].tolist() == [100.0, 50.0]  # the 11-10 spend is outside
    assert got["users_touched"].tolist() == [2, 2]
    assert got["new_users"].tolist() == [1, 0]  # user 2 came through c1 on signup day
    # last touch within 7 days: order 1 -> c1 (touch 11-17); orders 2 and 6 -> c2 (11-19);
    # order 4 came before user 3's touch: not attributed
    assert got["revenue"].tolist() == [100.0, 205.0]
    assert got["orders"].tolist() == [1, 2]
    assert got.loc["c1", "cac"] == 100.0 and np.isnan(got.loc["c2", "cac"])
    assert got["roas"].tolist() == pytest.approx([1.0, 4.1])
    assert got["roi"].tolist() == pytest.approx([0.0, 3.1])
    # a 2-day window: orders 1 and 2 (26 h after their touch) count, order 6 (70 h) not
    short = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23", attribution_days=2)
    assert short.set_index("campaign_id")["revenue"].tolist() == [100.0, 200.0, 0.0]


def test_campaign_roi_by_channel(src):
    got = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23", by="channel")
    # feed_ads: spend 200; active feed users 1 and 3; new user 3, whose order 4 is revenue
    row = got.set_index("channel").loc["feed_ads"]
    assert (row.spend, row.users_touched, row.new_users, row.revenue) == (200.0, 2, 1, 20.0)
    assert (row.cac, row.roas, row.roi) == pytest.approx((200.0, 0.1, -0.9))
    assert got["channel"].tolist() == ["feed_ads"]  # organic has neither spend nor revenue


def test_touchpoint_conversion_by_hand(src):
    got = oa.touchpoint_conversion(src, start="2025-11-17", end="2025-11-23")
    got = got.set_index("touchpoint")
    assert got["active_users"].to_dict() == {"app": 2, "community": 2, "wecom": 1}
    # app: user 1 ordered a day after visiting, user 3's order came before the visit;
    # community: user 1 ordered the day after messaging; wecom: user 1
    assert got["converted_users"].to_dict() == {"app": 1, "community": 1, "wecom": 1}
    assert got["conversion_rate"].to_dict() == {"app": 0.5, "community": 0.5, "wecom": 1.0}
    # 3 community messages, 1 from user 1, who has 3 paid orders in the 30 days
    assert got.loc["community", "messages"] == 3
    assert got.loc["community", "high_value_message_share"] == pytest.approx(1 / 3)
    assert np.isnan(got.loc["app", "high_value_message_share"])


def test_roas_and_roi_keep_one_name_each_in_every_table(src):
    # revenue / spend is ROAS (1:x) in English and 投产比 in Chinese; (revenue - spend) / spend
    # is ROI (%) in English and 净回报率 in Chinese; never one name for both
    import re

    import pandas as pd

    from opsanalysis.report.display import campaign_roi_html, channel_quality_html

    def cells(page: str) -> list[str]:
        return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", page)]

    roi = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23", by="channel")
    quality = pd.DataFrame(
        [
            {
                "channel": "feed_ads",
                "new_users": 4,
                "d1_retention": 0.5,
                "d7_retention": 0.25,
                "first_order_rate": 0.5,
                "revenue_per_new_user": 50.0,
                "spend": 100.0,
                "cac": 25.0,
                "roas": 2.0,
                "invites_per_inviter": float("nan"),
                "new_users_per_inviter": float("nan"),
                "complete": True,
            }
        ]
    )
    for lang, roas_word, roi_word in (("en", "ROAS", "ROI"), ("zh", "投产比", "净回报率")):
        campaign = cells(campaign_roi_html(roi, lang))
        heads, row = campaign[:8], campaign[8:]
        assert heads[6].startswith(roas_word) and row[6] == "1:0.1"  # 20 / 200
        assert heads[7].startswith(roi_word) and row[7] == "-90.0%"  # (20 - 200) / 200
        channel = cells(channel_quality_html(quality, lang))
        roas_at = [i for i, h in enumerate(channel) if h.startswith(roas_word)]
        assert roas_at and channel[roas_at[0] + len(channel) // 2] == "1:2.0"
        assert not any(h.startswith(roi_word) for h in channel)


def test_the_return_tables_say_how_revenue_is_attributed(src):
    from opsanalysis.report.display import campaign_roi_html

    roi = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23", attribution_days=3)
    page = campaign_roi_html(roi, "en")
    assert "credited to a campaign by last touch" in page and "at most 3 days before" in page
    assert "按末次触达归因（订单前 3 天内" in campaign_roi_html(roi, "zh")
    by_channel = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23", by="channel")
    assert "signed up through the channel in the period" in campaign_roi_html(by_channel, "en")
