"""Funnels with per-person semantics, case by case (PostHog's funnel tests are the model)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError

STEPS = ["view", "cart", "pay"]


def _src(rows):
    df = pd.DataFrame(rows, columns=["user_id", "event_time", "event"])
    df["event_time"] = pd.to_datetime(df["event_time"])
    return oa.connect(events=df)


def _users(src, **kw):
    kw.setdefault("start", "2025-11-01")
    kw.setdefault("end", "2025-11-30")
    return oa.funnel(src, kw.pop("steps", STEPS), **kw)["users"].tolist()


def test_ordered_basics():
    src = _src(
        [
            (1, "2025-11-03 10:00", "view"),
            (1, "2025-11-03 10:05", "cart"),
            (1, "2025-11-03 10:10", "pay"),
            (2, "2025-11-03 10:00", "view"),
            (2, "2025-11-03 10:10", "pay"),  # skips cart: step 1
            (3, "2025-11-03 09:00", "cart"),
            (3, "2025-11-03 10:00", "view"),  # cart before view
            (4, "2025-11-03 10:00", "view"),
            (4, "2025-11-11 10:00", "cart"),  # 8 days: too late
            (5, "2025-11-03 10:00", "view"),
            (5, "2025-11-10 10:00", "cart"),  # exactly 7 days: in
            (6, "2025-11-03 10:00", "view"),
            (6, "2025-11-03 10:00", "cart"),  # same instant
        ]
    )
    assert _users(src) == [6, 3, 1]  # users 1, 5, 6 reach cart; only 1 pays
    f = oa.funnel(src, STEPS, start="2025-11-01", end="2025-11-30")
    assert f["conversion_from_previous"].tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert f["drop_off"].tolist() == [0, 3, 2]
    # view -> cart: 5 min (1), 7 days (5), 0 (6): median 5 min; cart -> pay: 5 min
    assert f["median_time_from_previous"].iloc[1] == pd.Timedelta(minutes=5)
    assert f["median_time_from_previous"].iloc[2] == pd.Timedelta(minutes=5)
    assert _users(src, window="24H") == [6, 2, 1]  # user 5's 7-day cart is out


def test_a_user_counts_once_at_the_furthest_attempt():
    src = _src(
        [
            (1, "2025-11-03 10:00", "view"),  # attempt 1 goes nowhere
            (1, "2025-11-20 10:00", "view"),
            (1, "2025-11-20 11:00", "cart"),
            (1, "2025-11-21 11:00", "pay"),
            (1, "2025-11-22 10:00", "view"),
            (1, "2025-11-22 11:00", "cart"),
        ]
    )
    f = oa.funnel(src, STEPS, start="2025-11-01", end="2025-11-30")
    assert f["users"].tolist() == [1, 1, 1]
    # the best attempt is the 11-20 one: cart after 1 h, pay 1 day later
    assert f["median_time_from_previous"].tolist()[1:] == [
        pd.Timedelta(hours=1),
        pd.Timedelta(days=1),
    ]


def test_only_events_inside_the_range_count():
    src = _src(
        [
            (1, "2025-10-31 23:00", "view"),
            (1, "2025-11-01 01:00", "cart"),
            (2, "2025-11-30 23:00", "view"),
            (2, "2025-12-01 00:30", "cart"),
        ]
    )
    # user 1's view is before the range; user 2's cart after it
    assert _users(src, steps=["view", "cart"]) == [1, 0]


def test_strict_order():
    src = _src(
        [
            (1, "2025-11-03 10:00", "view"),
            (1, "2025-11-03 10:01", "search"),
            (1, "2025-11-03 10:02", "cart"),
            (2, "2025-11-03 10:00", "view"),
            (2, "2025-11-03 10:02", "cart"),
        ]
    )
    assert _users(src, steps=["view", "cart"]) == [2, 2]
    assert _users(src, steps=["view", "cart"], order="strict") == [2, 1]  # the search breaks 1


def test_repeated_step_needs_a_later_event():
    src = _src(
        [
            (1, "2025-11-03 10:00", "view"),
            (2, "2025-11-03 10:00", "view"),
            (2, "2025-11-03 10:30", "view"),
        ]
    )
    assert _users(src, steps=["view", "view"]) == [2, 1]  # one event is one step


def test_exclusions():
    src = _src(
        [
            (1, "2025-11-03 10:00", "view"),
            (1, "2025-11-03 10:01", "logout"),
            (1, "2025-11-03 10:02", "cart"),
            (2, "2025-11-03 10:00", "view"),
            (2, "2025-11-03 10:01", "logout"),
            (2, "2025-11-03 10:02", "cart"),
            (2, "2025-11-10 10:00", "view"),
            (2, "2025-11-10 10:02", "cart"),  # a clean attempt
            (3, "2025-11-03 10:00", "view"),
            (3, "2025-11-03 10:02", "cart"),
            (3, "2025-11-03 10:05", "logout"),
        ]
    )
    got = _users(src, steps=["view", "cart"], exclude=[("logout", 1, 2)])
    # user 1's only attempt is spoiled: out entirely; 2 has a clean attempt; 3 logs out after
    assert got == [2, 2]
    with pytest.raises(ParamsError, match="steps must satisfy 1 <= from < to <= 2"):
        _users(src, steps=["view", "cart"], exclude=[("logout", 2, 1)])


def test_by_and_errors():
    src = _src([(1, "2025-11-03 10:00", "view"), (1, "2025-11-03 10:05", "cart")])
    users = pd.DataFrame({"user_id": [1], "registered_at": ["2025-11-01"], "channel": ["a"]})
    src2 = oa.connect(events=src.raw("events"), users=users)
    f = oa.funnel(src2, ["view", "cart"], start="2025-11-01", end="2025-11-30", by="channel")
    assert f[["channel", "step", "users"]].values.tolist() == [["a", 1, 1], ["a", 2, 1]]
    with pytest.raises(ParamsError, match="at least two steps"):
        oa.funnel(src, ["view"])
    with pytest.raises(ParamsError, match="window='a week' is not a duration"):
        oa.funnel(src, ["view", "cart"], window="a week")


def test_any_order():
    src = _src(
        [
            (1, "2025-11-03 10:00", "cart"),
            (1, "2025-11-03 10:05", "view"),
            (1, "2025-11-03 10:20", "pay"),
            (2, "2025-11-03 10:00", "pay"),
            (2, "2025-11-12 10:00", "view"),  # 9 days apart
            (3, "2025-11-03 10:00", "view"),
            (3, "2025-11-03 10:01", "view"),  # one distinct step
        ]
    )
    f = oa.funnel(src, STEPS, start="2025-11-01", end="2025-11-30", order="any")
    assert f["users"].tolist() == [3, 1, 1]
    assert f["event"].tolist() == ["1 of 3 steps", "2 of 3 steps", "3 of 3 steps"]
    # user 1: first step at 10:00, second at 10:05, third at 10:20
    assert f["median_time_from_previous"].tolist()[1:] == [
        pd.Timedelta(minutes=5),
        pd.Timedelta(minutes=15),
    ]
    assert _users(src, order="any", window="10D") == [3, 2, 1]


def test_new_user_funnel_by_hand():
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "registered_at": pd.to_datetime(
                ["2025-11-03 10:00", "2025-11-03 11:00", "2025-11-04 09:00", "2025-11-05 09:00"]
            ),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 3, 4],
            "event": ["open"] * 6,
            "event_time": pd.to_datetime(
                [
                    "2025-11-03 10:00",
                    "2025-11-05 18:00",
                    "2025-11-05 08:00",  # 1 comes back two days later (first event that day)
                    "2025-11-03 12:00",  # 2 only on the registration day: not activated
                    "2025-11-20 09:00",  # 3 comes back after 16 days
                    "2025-12-10 09:00",
                ]
            ),
        }
    )  # 4 comes back after 35 days: outside 30 days
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3],
            "user_id": [1, 2, 3],
            "amount": [10.0, 10.0, 10.0],
            "order_time": pd.to_datetime(
                ["2025-11-06 10:00", "2025-11-04 10:00", "2025-11-19 10:00"]
            ),
        }
    )
    src = oa.connect(users=users, events=events, orders=orders)
    f = oa.new_user_funnel(src, start="2025-11-01", end="2025-12-31")
    # activated: 1 and 3; first order at or after activation: 1 (3 bought before coming back);
    # registration to activation took 1 d 22 h (user 1) and 16 d (user 3): median 8 d 23 h
    assert f["users"].tolist() == [4, 2, 1]
    assert f["median_time_from_previous"].tolist()[1:] == [
        pd.Timedelta(days=8, hours=23),
        pd.Timedelta(days=1, hours=2),
    ]
    named = oa.connect(
        users=users, events=events, orders=orders, params={"events": {"activation": ["open"]}}
    )
    # with activation events named, the registration-day event of 1 and 2 counts
    assert oa.new_user_funnel(named, start="2025-11-01", end="2025-12-31")["users"].tolist() == [
        4,
        3,
        2,
    ]


def test_window_matching_equals_join_matching(tiny_demo, monkeypatch):
    """The one-pass window match and the per-step join match are two implementations of the
    same greedy rule: they must agree on the demo data."""
    import importlib

    fmod = importlib.import_module("opsanalysis.metrics.funnel")  # the module, not the function

    src = oa.connect(str(tiny_demo))
    cases = [
        (["view_product", "add_to_cart", "submit_order", "pay_order"], {}),
        (["view_content", "like", "share"], {"window": "1H"}),
        (["add_to_cart", "view_product", "pay_order"], {"exclude": [("search", 1, 2)]}),
    ]
    fast = [
        oa.funnel(src, steps, start="2025-11-01", end="2025-11-23", **kw) for steps, kw in cases
    ]
    monkeypatch.setattr(
        fmod,
        "_ordered_attempts_window",
        lambda ev, steps, w: fmod._ordered_attempts(ev, steps, w, "ordered"),
    )
    slow = [
        oa.funnel(src, steps, start="2025-11-01", end="2025-11-23", **kw) for steps, kw in cases
    ]
    for a, b in zip(fast, slow, strict=True):
        assert a["users"].iloc[-1] > 0
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("7D", timedelta(days=7)),
        ("24h", timedelta(hours=24)),
        ("5min", timedelta(minutes=5)),
        ("30M", timedelta(minutes=30)),  # M is minutes, as before, never months
        ("90s", timedelta(seconds=90)),
        ("2 days", timedelta(days=2)),
    ],
)
def test_durations_in_the_forms_analysts_type(text, expected):
    from opsanalysis.metrics.funnel import parse_window

    assert parse_window(text) == expected


def test_unknown_duration_unit_is_refused():
    from opsanalysis.metrics.funnel import parse_window

    with pytest.raises(ParamsError, match="window='3w' is not a duration; write e.g. '7d'"):
        parse_window("3w")


def test_exclusions_in_any_order_funnels():
    # PostHog's unordered exclusions: inside the window before completion spoils the attempt,
    # after completion it is ignored
    rows = [
        (1, "10:00", "a"), (1, "10:30", "x"), (1, "11:00", "b"), (1, "12:00", "c"),  # spoiled
        (2, "10:00", "a"), (2, "10:10", "b"), (2, "10:20", "c"), (2, "10:30", "x"),  # after: ok
        (3, "10:00", "a"), (3, "10:10", "b"), (3, "10:20", "x"),  # never completes: spoiled
        (4, "10:00", "b"), (4, "10:10", "a"), (4, "10:20", "c"),  # any order, clean
    ]  # fmt: skip
    ev = pd.DataFrame(rows, columns=["user_id", "event_time", "event"])
    ev["event_time"] = pd.to_datetime("2025-11-17 " + ev["event_time"])
    src = oa.connect(events=ev)
    kw = dict(window="1d", start="2025-11-17", end="2025-11-17")
    plain = oa.funnel(src, ["a", "b", "c"], order="any", **kw)
    assert plain["users"].tolist() == [4, 4, 3]  # user 3 does two of three steps
    spoiled = oa.funnel(src, ["a", "b", "c"], order="any", exclude=[("x", 1, 3)], **kw)
    assert spoiled["users"].tolist() == [2, 2, 2]  # users 1 and 3 leave; 2 and 4 complete
    ordered = oa.funnel(src, ["a", "b", "c"], exclude=[("x", 1, 3)], **kw)
    assert ordered["users"].tolist() == [2, 1, 1]  # user 4's b came before a


# A DST week in America/Los_Angeles: clocks go forward at 02:00 on 2026-03-08 and back at
# 02:00 on 2026-11-01. Windows are real durations; days stay wall-clock.
LA = {"timezone": "America/Los_Angeles"}
NO_DST = {"timezone": "Asia/Shanghai"}  # same wall-clock data, no daylight saving


def _dst_src(rows, params):
    df = pd.DataFrame(rows, columns=["user_id", "event_time", "event"])
    df["event_time"] = pd.to_datetime(df["event_time"])
    return oa.connect(events=df, params=params)


DST_ROWS = [
    # 07:10 PST to 07:27 PDT two weeks later: 13 d 23 h 17 min of real time (inside 14 days)
    (1, "2026-03-01 07:10", "view"),
    (1, "2026-03-15 07:27", "cart"),
    # noon to 11:30 the next day across the spring change: 22.5 real hours (inside 1 day)
    (2, "2026-03-07 12:00", "view"),
    (2, "2026-03-08 11:30", "cart"),
    # across the autumn change: 11:30 the next day is 24.5 real hours (outside 1 day)
    (3, "2026-10-31 12:00", "view"),
    (3, "2026-11-01 11:30", "cart"),
]


def test_windows_are_real_durations_across_daylight_saving():
    steps = ["view", "cart"]
    la = _dst_src(DST_ROWS, LA)
    flat = _dst_src(DST_ROWS, NO_DST)
    # 14-day window: user 1 converts in Los Angeles (13 d 23 h 17 min), not without DST
    f = oa.funnel(la, steps, start="2026-03-01", end="2026-03-31", window="14d")
    assert f["users"].tolist() == [2, 2]
    assert f["median_time_from_previous"].iloc[1] == pd.Timedelta(
        days=7, hours=10, minutes=53, seconds=30
    )  # mean of the two: (13 d 23 h 17 min + 22 h 30 min) / 2
    f = oa.funnel(flat, steps, start="2026-03-01", end="2026-03-31", window="14d")
    assert f["users"].tolist() == [2, 1]  # wall clock: 14 d 0 h 17 min is too late
    # a 1-day window: user 2's 23.5 wall-clock hours are 22.5 real ones; user 3's 23.5 wall
    # hours are 24.5 real ones
    la_day = oa.funnel(la, steps, start="2026-03-01", end="2026-11-30", window="1d")
    flat_day = oa.funnel(flat, steps, start="2026-03-01", end="2026-11-30", window="24h")
    assert la_day["users"].tolist() == [3, 1]  # only user 2
    assert flat_day["users"].tolist() == [3, 2]  # users 2 and 3
    # days stay wall-clock: the range filter is by local calendar day
    assert oa.funnel(la, steps, start="2026-03-08", end="2026-03-31")["users"].tolist() == [0, 0]


def test_new_user_funnel_window_is_real_time_across_daylight_saving():
    users = pd.DataFrame({"user_id": [1], "registered_at": pd.to_datetime(["2026-03-07 12:00"])})
    events = pd.DataFrame(
        {
            "user_id": [1],
            "event_time": pd.to_datetime(["2026-03-08 12:30"]),  # 23.5 real hours later
            "event": ["open"],
        }
    )
    for params, activated in ((LA, 1), (NO_DST, 0)):
        src = oa.connect(users=users, events=events, params=params)
        f = oa.new_user_funnel(src, start="2026-03-01", end="2026-03-31", window="1d")
        assert f["users"].tolist()[:2] == [1, activated], params


def test_new_user_funnel_until_gives_earlier_signups_their_window(tiny_demo):
    import duckdb

    src = oa.connect(str(tiny_demo))
    week = dict(start="2025-10-20", end="2025-10-26")
    alone = oa.new_user_funnel(src, **week)
    assert alone.equals(oa.new_user_funnel(src, **week, until="2025-10-26"))
    later = oa.new_user_funnel(src, **week, until="2025-11-23").set_index("event")
    con = duckdb.connect(str(tiny_demo), read_only=True)
    (activated,) = con.execute(
        """
        SELECT count(*) FROM users u WHERE u.registered_at >= '2025-10-20'
          AND u.registered_at < '2025-10-27' AND EXISTS (
            SELECT 1 FROM events e WHERE e.user_id = u.user_id
              AND CAST(e.event_time AS DATE) > CAST(u.registered_at AS DATE)
              AND e.event_time <= u.registered_at + INTERVAL 30 DAY
              AND e.event_time < '2025-11-24')
        """
    ).fetchone()
    con.close()
    assert later.loc["activated", "users"] == activated
    assert activated > alone.set_index("event").loc["activated", "users"]
