"""content_performance and top_content on a hand-computed fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError

CONTENT = pd.DataFrame(
    {
        "content_id": [1, 2, 3, 4, 5],
        "published_at": pd.to_datetime(
            [
                "2025-11-17 10:00",
                "2025-11-18 10:00",
                "2025-11-28 10:00",
                "2025-11-19 10:00",
                "2025-11-10 10:00",
            ]
        ),
        "type": ["article", "video", "video", "live", "article"],
        "title": ["A", "B", "C", "D", "E"],
    }
)
EVENTS = pd.DataFrame(
    [
        (1, "2025-11-16 09:00", "session_start", None),
        (1, "2025-11-17 11:00", "view_content", 1),
        (1, "2025-11-17 11:05", "like", 1),
        (1, "2025-11-17 11:06", "share", 1),
        (1, "2025-11-18 09:00", "share", 1),
        (1, "2025-11-20 09:00", "view_content", 1),
        (1, "2025-11-28 12:00", "view_content", 3),
        (2, "2025-11-15 09:00", "session_start", None),
        (2, "2025-11-18 12:00", "view_content", 2),
        (2, "2025-11-18 12:01", "favorite", 2),
        (2, "2025-11-18 12:02", "comment", 2),
        (2, "2025-11-24 10:30", "view_content", 1),  # 7 d 0 h 30 min after item 1: too old
        (3, "2025-11-17 10:30", "view_content", 1),
        (3, "2025-11-26 09:00", "view_content", 2),  # item 2 is 8 days old by then
        (4, "2025-11-12 08:00", "session_start", None),  # reachable, never reads
    ],
    columns=["user_id", "event_time", "event", "content_id"],
)
EVENTS["event_time"] = pd.to_datetime(EVENTS["event_time"])
EVENTS["content_id"] = EVENTS["content_id"].astype("Int64")


@pytest.fixture
def src():
    return oa.connect(content=CONTENT, events=EVENTS)


def test_items_by_hand(src):
    got = oa.content_performance(src, start="2025-11-17", end="2025-11-30", min_readers=2)
    got = got.set_index("content_id")
    assert got.index.tolist() == [1, 2, 4, 3]  # by publication time; item 5 is before start
    # reachable: active in the 30 days before the publication day (users 1, 2, 4 for 11-17;
    # users 1-4 later)
    assert got["reachable"].tolist() == [3, 4, 4, 4]
    assert got["readers"].tolist() == [2, 1, 0, 1]
    assert got["reads"].tolist() == [3, 1, 0, 1]
    one = got.loc[1]
    assert (one.likers, one.sharers, one.shares, one.commenters, one.savers) == (1, 1, 2, 0, 0)
    assert one.read_rate == pytest.approx(2 / 3)
    assert (one.like_rate, one.share_rate, one.engagement_rate) == (0.5, 0.5, 1.0)
    assert one.shares_per_reader == 1.0 and bool(one.enough_readers)
    two = got.loc[2]
    assert (two.comment_rate, two.save_rate, two.engagement_rate) == (1.0, 1.0, 2.0)
    assert two.read_rate == 0.25 and not two.enough_readers
    # no readers: read rate 0, engagement undefined
    assert got.loc[4, "read_rate"] == 0 and np.isnan(got.loc[4, "engagement_rate"])
    # item 3 is 2 days old at the end of 11-30: shown, marked incomplete
    assert got["complete"].tolist() == [True, True, True, False]
    assert got.loc[1, "title"] == "A"


def test_groups_pool_complete_items(src):
    got = oa.content_performance(src, start="2025-11-17", end="2025-11-30", by="type")
    got = got.set_index("type")
    assert got["items"].to_dict() == {"article": 1, "live": 1, "video": 2}
    assert got["complete_items"].to_dict() == {"article": 1, "live": 1, "video": 1}
    # video pools item 2 only: 1 reader of 4 reachable
    assert got.loc["video", "read_rate"] == 0.25 and got.loc["video", "engagement_rate"] == 2.0
    assert got.loc["article", "read_rate"] == pytest.approx(2 / 3)
    assert np.isnan(got.loc["live", "share_rate"])


def test_top_content_and_errors(src):
    top = oa.top_content(src, start="2025-11-17", end="2025-11-30", min_readers=1)
    assert top["content_id"].tolist() == [2, 1, 3] and top["rank"].tolist() == [1, 2, 3]
    assert oa.top_content(src, start="2025-11-17", end="2025-11-30", min_readers=2)[
        "content_id"
    ].tolist() == [1]
    with pytest.raises(ParamsError, match="by='channel' is not allowed"):
        oa.content_performance(src, by="channel")
    # a 2-day age: item 1's reads of 11-20 no longer count
    short = oa.content_performance(src, start="2025-11-17", end="2025-11-30", age_days=2)
    assert short.set_index("content_id").loc[1, "reads"] == 2


def test_until_counts_interactions_to_a_later_day(src):
    # item 1 (11-17 10:00) at the end of its own day: two reads, one share, not 7 days old
    own_day = oa.content_performance(src, start="2025-11-17", end="2025-11-17")
    one = own_day.set_index("content_id").loc[1]
    assert (one.reads, one.readers, one.shares, bool(one.complete)) == (2, 2, 1, False)
    # the same item counted up to 11-30: user 1's read of 11-20 and share of 11-18 count
    later = oa.content_performance(src, start="2025-11-17", end="2025-11-17", until="2025-11-30")
    one = later.set_index("content_id").loc[1]
    assert (one.reads, one.readers, one.shares, bool(one.complete)) == (3, 2, 2, True)
    assert later["content_id"].tolist() == [1]  # publication days stay start..end
    with pytest.raises(ParamsError, match="until=2025-11-16 is before end=2025-11-17"):
        oa.content_performance(src, start="2025-11-17", end="2025-11-17", until="2025-11-16")


def test_pool_and_rank_a_slice_of_the_items(src):
    items = oa.content_performance(src, start="2025-11-10", end="2025-11-30", min_readers=1)
    # published 11-18 to 11-19: item 2 (video, 1 of 4 reachable) and item 4 (live, no readers)
    pooled = oa.pool_content(items, "type", start="2025-11-18", end="2025-11-19").set_index("type")
    assert pooled["items"].to_dict() == {"live": 1, "video": 1}
    assert pooled.loc["video", "read_rate"] == 0.25 and pooled.loc["live", "readers"] == 0
    # the same as asking content_performance for those days by type, counted to 11-30
    direct = oa.content_performance(
        src, start="2025-11-18", end="2025-11-19", until="2025-11-30", by="type"
    )
    pd.testing.assert_frame_equal(pooled.reset_index(), direct)
    top = oa.rank_content(items, n=5, start="2025-11-17", end="2025-11-18")
    assert top["content_id"].tolist() == [2, 1] and top["rank"].tolist() == [1, 2]
    with pytest.raises(ParamsError, match="by='channel' is not a column of the items"):
        oa.pool_content(items, "channel")
