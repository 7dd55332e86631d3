"""Segment schemes cell by cell, summaries, migration and user lists."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from test_rfm import rfm_orders

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError


@pytest.fixture
def scored():
    return oa.rfm_score(oa.rfm_table(rfm_orders(), as_of="2025-11-23"))


# The table, written out again here on purpose (not read from the code):
# segment: (R high, F high, M high); R high = recent
RFM8_BY_HAND = {
    (True, True, True): "important_value",
    (False, True, True): "important_retain",
    (True, False, True): "important_develop",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (False, True, False): "general_retain",
    (True, False, False): "general_develop",
    (False, False, False): "general_winback",
}


def test_rfm8_every_cell_with_a_score_cut():
    combos = list(itertools.product([True, False], repeat=3))
    df = pd.DataFrame(
        {
            # raw values agree with the scores: a high R score is a small recency
            "recency": [1 if r else 300 for r, _, _ in combos],
            "frequency": [9 if f else 1 for _, f, _ in combos],
            "monetary": [900.0 if m else 10.0 for _, _, m in combos],
            "r_score": [5 if r else 1 for r, _, _ in combos],
            "f_score": [5 if f else 1 for _, f, _ in combos],
            "m_score": [5 if m else 1 for _, _, m in combos],
        }
    )
    for split in (4, "mean", "median"):
        got = oa.rfm_segment(df, "rfm8", split=split)["segment"].tolist()
        assert got == [RFM8_BY_HAND[c] for c in combos], split


def test_rfm8_direction_of_r_on_the_fixture(scored):
    # mean recency 12.8: users 1 (12), 2 (0), 5 (1) are recent = R high
    # mean frequency 2.4: 1, 3, 6 high; mean monetary 380: only 3 high
    got = oa.rfm_segment(scored, "rfm8")
    assert got["segment"].tolist() == [
        "general_value",
        "general_develop",
        "important_retain",
        "general_develop",
        "general_retain",
    ]
    # medians 12 / 3 / 100, strictly better than the median is high
    med = oa.rfm_segment(scored, "rfm8", split="median")
    assert med["segment"].tolist() == [
        "general_winback",
        "general_develop",
        "important_winback",
        "general_develop",
        "important_retain",
    ]
    assert oa.rfm_segment(scored, "rfm8", split=4)["segment"].tolist() == med["segment"].tolist()
    with pytest.raises(ParamsError, match="split='avg' is not allowed"):
        oa.rfm_segment(scored, "rfm8", split="avg")


# R score -> F score -> segment, from the issue text
NAMED_BY_HAND = {
    1: ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
    2: ["Hibernating", "Hibernating", "At risk", "At risk", "Can't lose them"],
    3: ["About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"],
    4: ["Promising", "Potential loyalist", "Potential loyalist", "Loyal", "Loyal"],
    5: ["New", "Potential loyalist", "Potential loyalist", "Champions", "Champions"],
}


def test_named_grid_every_cell():
    grid = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    )
    grid["recency"], grid["frequency"], grid["monetary"] = 1, 1, 1.0
    got = oa.rfm_segment(grid, "named")["segment"].tolist()
    assert got == [NAMED_BY_HAND[r][f - 1] for r in range(1, 6) for f in range(1, 6)]
    with pytest.raises(ParamsError, match="defined on 1-5 scores"):
        oa.rfm_segment(grid.assign(r_score=grid.r_score + 1), "named")


def test_value_tier_custom_scheme():
    df = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5],
            "monetary": [6000.0, 6000.0, 100.0, 5000.0, np.nan],
            "frequency": [20, 3, 5, 8, 1],
            "median_days_between": [10.0, 30.0, 20.0, 15.0, np.nan],
        }
    )
    got = oa.rfm_segment(df, "value_tier")["segment"].tolist()
    # 1 diamond; 2 spends enough but buys too rarely, 3 orders -> regular; 3 vip by count;
    # 4 meets both diamond cuts exactly (>= 5000, <= 15); 5 has no gaps -> regular
    assert got == ["diamond", "regular", "vip", "diamond", "regular"]


def test_custom_scheme_from_params_first_match_wins(scored):
    params = {
        "rfm": {
            "schemes": {
                "mine": {
                    "rules": [
                        {"segment": "big", "when": {"monetary": ">= 200"}},
                        {"segment": "recent", "when": {"recency": "<= 1"}},
                        {"segment": "also_big", "when": {"monetary": "> 1000"}},  # never reached
                    ],
                    "default": "rest",
                }
            }
        }
    }
    got = oa.rfm_segment(scored, "mine", params=params)["segment"].tolist()
    assert got == ["rest", "recent", "big", "recent", "big"]
    with pytest.raises(ParamsError, match="Unknown segment scheme 'nope'; choose one of rfm8"):
        oa.rfm_segment(scored, "nope")
    bad = {
        "rfm": {
            "schemes": {
                "x": {"rules": [{"segment": "a", "when": {"spend": ">= 1"}}], "default": "b"}
            }
        }
    }
    with pytest.raises(ParamsError, match="tests column 'spend', which the table lacks"):
        oa.rfm_segment(scored, "x", params=bad)
    no_default = {"rfm": {"schemes": {"x": {"rules": []}}}}
    with pytest.raises(ParamsError, match="needs a 'default' segment"):
        oa.rfm_segment(scored, "x", params=no_default)
    bad_op = {
        "rfm": {
            "schemes": {
                "x": {"rules": [{"segment": "a", "when": {"recency": "~ 1"}}], "default": "b"}
            }
        }
    }
    with pytest.raises(ParamsError, match="must start with one of >=, <=, >, <, ==, !="):
        oa.rfm_segment(scored, "x", params=bad_op)


def test_value_activity_quadrants():
    df = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5, 6],
            "monetary": [500.0, 50.0, 0.0, 0.0, 300.0, 100.0],
            "active_days": [10, 2, 12, 1, 3, 8],
        }
    )
    # buyers' median monetary: median(500, 50, 300, 100) = 200; median active days 5.5
    got = oa.rfm_segment(df, "value_activity")["segment"].tolist()
    assert got == [
        "high_value_high_activity",
        "low_value_low_activity",
        "low_value_high_activity",
        "low_value_low_activity",
        "high_value_low_activity",
        "low_value_high_activity",
    ]


def test_segment_summary(scored):
    seg = oa.rfm_segment(scored, "rfm8")
    s = oa.segment_summary(seg, "rfm8").set_index("segment")
    assert list(s.index) == [
        "important_value",
        "important_retain",
        "important_develop",
        "important_winback",
        "general_value",
        "general_retain",
        "general_develop",
        "general_winback",
    ]
    assert s["users"].tolist() == [0, 1, 0, 0, 1, 1, 2, 0]
    assert s.loc["general_develop", "user_share"] == pytest.approx(0.4)
    assert s.loc["important_retain", "revenue_share"] == pytest.approx(1500 / 1900)
    assert s.loc["general_develop", "mean_recency"] == pytest.approx(0.5)  # users 2 and 5
    assert s.loc["general_develop", "mean_monetary"] == pytest.approx(20.0)
    assert np.isnan(s.loc["important_value", "mean_recency"])
    assert s.loc["important_value", "label"] == "Important value"
    assert s.loc["important_value", "action"].startswith("VIP treatment")
    zh = oa.segment_summary(seg, "rfm8", language="zh").set_index("segment")
    assert zh.loc["important_winback", "label"] == "重要挽留"
    assert zh["action"].str.len().gt(0).all()


def test_segment_migration_by_hand():
    params = {
        "rfm": {
            "schemes": {
                "buyers": {
                    "rules": [{"segment": "repeat", "when": {"frequency": ">= 2"}}],
                    "default": "single",
                }
            }
        }
    }
    src = oa.connect(orders=rfm_orders(), params=params)
    # all history: at 11-10 users 1 (two orders 11-01), 3 (three) and 6 (four, the last 10-25)
    # are repeat buyers and stay so; users 2 and 5 first buy after 11-10
    got = oa.segment_migration(src, "2025-11-10", "2025-11-23", "buyers")
    expected = pd.DataFrame(
        {
            "from_segment": ["(new)", "repeat"],
            "to_segment": ["single", "repeat"],
            "users": [2, 3],
            "share_of_from": [1.0, 1.0],
        }
    )
    assert_frame_equal(got, expected)
    # 14-day windows: 10-28..11-10 holds users 1 (two orders) and 3; 11-10..11-23 users 1, 2, 5
    got = oa.segment_migration(src, "2025-11-10", "2025-11-23", "buyers", window=14)
    expected = pd.DataFrame(
        {
            "from_segment": ["(new)", "repeat", "single"],
            "to_segment": ["single", "single", "(gone)"],
            "users": [2, 1, 1],
            "share_of_from": [1.0, 1.0, 1.0],
        }
    )
    assert_frame_equal(got, expected)
    # the current layers, when the caller has them, are used as they are
    now = oa.rfm_layers(src, as_of="2025-11-23", scheme="buyers", window=14)
    kw = {"window": 14, "to_layers": now}
    assert_frame_equal(oa.segment_migration(src, "2025-11-10", "2025-11-23", "buyers", **kw), got)
    kw["to_layers"] = now.assign(segment="repeat")  # not recomputed: taken as given
    moved = oa.segment_migration(src, "2025-11-10", "2025-11-23", "buyers", **kw)
    assert set(moved["to_segment"]) == {"repeat", "(gone)"}
    with pytest.raises(oa.ParamsError, match="to_layers must be"):
        oa.segment_migration(src, "2025-11-10", "2025-11-23", "buyers", to_layers=now[["user_id"]])
    m = oa.migration_matrix(got)
    assert list(m.index) == ["(new)", "repeat", "single"]
    assert list(m.columns) == ["single", "(gone)"]
    assert m.loc["single", "(gone)"] == 1 and m.loc["(new)", "(gone)"] == 0


def test_rfm_layers_and_export(scored, tmp_path):
    layers = oa.rfm_layers(rfm_orders(), as_of="2025-11-23", scheme="rfm8")
    assert layers["segment"].tolist() == oa.rfm_segment(scored, "rfm8")["segment"].tolist()
    path = oa.export_segment_users(
        layers, tmp_path / "lists" / "develop.csv", segments=["general_develop"]
    )
    back = pd.read_csv(path)
    assert back["user_id"].tolist() == [2, 5]
    assert list(back.columns[:2]) == ["user_id", "segment"]
    assert not list((tmp_path / "lists").glob(".*.tmp"))
    assert path.stat().st_mode & 0o044 == 0o044  # readable like any file the user writes
    out = oa.export_segment_lists(
        layers, tmp_path / "many", segments=["general_develop", "Champions"]
    )
    assert out.to_dict("list") == {
        "segment": ["general_develop", "Champions"],
        "users": [2, 0],
        "path": [str(tmp_path / "many" / "general_develop.csv"), ""],
    }
    dist = oa.score_distribution(oa.rfm_score(layers))
    # r scores 3,5,2,4,1 -> one user per level; f scores 3,1,3,1,5
    assert dist[dist.dimension == "R"]["users"].tolist() == [1, 1, 1, 1, 1]
    assert dist[dist.dimension == "F"]["users"].tolist() == [2, 0, 2, 0, 1]
    assert dist["share"].sum() == pytest.approx(3.0)
    with pytest.raises(ParamsError, match="No users in segment"):
        oa.export_segment_users(layers, tmp_path / "x.csv", segments=["Champions"])


def test_segment_plots(scored):
    seg = oa.rfm_segment(scored, "rfm8")
    ax = oa.plot_segment_shares(oa.segment_summary(seg, "rfm8"))
    assert len(ax.patches) >= 16  # 8 segments x 2 measures
    mig = oa.migration_matrix(
        pd.DataFrame(
            {
                "from_segment": ["a", "a", "b"],
                "to_segment": ["a", "b", "b"],
                "users": [3, 1, 2],
                "share_of_from": [0.75, 0.25, 1.0],
            }
        )
    )
    ax = oa.plot_migration(mig)
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "2"]
