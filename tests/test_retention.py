"""Cohort retention against hand-computed cohorts (ISO weeks W45 = 2025-11-03..09, W46, W47)."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError


def retention_frames() -> dict[str, pd.DataFrame]:
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 3, 3, 4, 4, 5, 5],
            "event_time": pd.to_datetime(
                [
                    "2025-11-03 10:00",
                    "2025-11-12 10:00",
                    "2025-11-20 10:00",  # 1: W45, W46, W47
                    "2025-11-05 08:00",  # 2: W45 only (before registering at 12:00)
                    "2025-11-11 10:00",
                    "2025-11-21 10:00",  # 3: W46, W47
                    "2025-10-28 10:00",
                    "2025-11-18 10:00",  # 4: first in W44, before start
                    "2025-11-06 10:00",
                    "2025-11-22 10:00",  # 5: W45, a gap in W46, W47
                ]
            ),
            "event": ["open"] * 10,
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5, 6],
            "registered_at": pd.to_datetime(
                [
                    "2025-11-03 09:00",
                    "2025-11-05 12:00",
                    "2025-11-11 09:00",
                    "2025-10-20 09:00",
                    "2025-11-06 08:00",
                    "2025-11-12 09:00",
                ]
            ),
            "channel": ["a", "b", "a", "b", "a", "b"],
        }
    )
    return {"events": events, "users": users}


def _expected(rows, by=None):
    cols = [
        "cohort",
        *([by] if by else []),
        "period_number",
        "cohort_size",
        "retained_users",
        "retention",
        "complete",
    ]
    df = pd.DataFrame(rows, columns=[c for c in cols if c != "retention"])
    df["cohort"] = pd.to_datetime(df["cohort"])
    df["retention"] = df["retained_users"] / df["cohort_size"]
    return df[cols]


@pytest.fixture
def src():
    return oa.connect(**retention_frames())


def test_first_cohort_on(src):
    got = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23")
    # W45: users 1, 2, 5; week 1 only user 1; week 2 users 1 and 5. W46: user 3, back in W47.
    # user 4 first came in W44, before start: in no cohort, and W47 has no new first-timers
    exp = _expected(
        [
            ("2025-11-03", 0, 3, 3, True),
            ("2025-11-03", 1, 3, 1, True),
            ("2025-11-03", 2, 3, 2, True),
            ("2025-11-10", 0, 1, 1, True),
            ("2025-11-10", 1, 1, 1, True),
        ]
    )
    assert_frame_equal(got, exp, check_dtype=False)


def test_first_start_event_before_start_puts_a_user_in_no_cohort():
    frames = retention_frames()
    buys = pd.DataFrame(
        {
            "user_id": [4, 4, 3],
            "event_time": pd.to_datetime(
                ["2025-10-29 10:00", "2025-11-19 10:00", "2025-11-11 11:00"]
            ),
            "event": ["buy"] * 3,
        }
    )
    frames["events"] = pd.concat([frames["events"], buys], ignore_index=True)
    got = oa.cohort_retention(
        oa.connect(**frames),
        start="2025-11-03",
        end="2025-11-23",
        start_event="buy",
        return_event="open",
    )
    # user 4 bought first in W44 (before start) and again in W47: in no cohort, W47 included;
    # user 3 bought first in W46 and opened in W46 and W47
    exp = _expected([("2025-11-10", 0, 1, 1, True), ("2025-11-10", 1, 1, 1, True)])
    assert_frame_equal(got, exp, check_dtype=False)


def test_on_or_after_and_right_censoring(src):
    got = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", kind="on_or_after")
    # W45 week 1: users 1 and 5 come back in W46 or later (5 only in W47)
    assert got["retained_users"].tolist() == [3, 2, 2, 1, 1]
    cut = oa.cohort_retention(src, start="2025-11-03", end="2025-11-20")
    # a Thursday end: W47 has not ended, and events of 11-21 and 11-22 do not count
    assert cut["retained_users"].tolist() == [3, 1, 1, 1, 0]
    assert cut["complete"].tolist() == [True, True, False, True, False]


def test_recurring_cohorts(src):
    got = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", cohort="recurring")
    exp = _expected(
        [
            ("2025-11-03", 0, 3, 3, True),
            ("2025-11-03", 1, 3, 1, True),
            ("2025-11-03", 2, 3, 2, True),
            ("2025-11-10", 0, 2, 2, True),
            ("2025-11-10", 1, 2, 2, True),
            ("2025-11-17", 0, 4, 4, True),
        ]
    )
    assert_frame_equal(got, exp, check_dtype=False)


def test_registered_cohorts_period_zero_counts_after_registration(src):
    got = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", cohort="registered")
    # W45 registrations 1, 2, 5: user 2's only event came before registering; W46: 3 and 6
    exp = _expected(
        [
            ("2025-11-03", 0, 3, 2, True),
            ("2025-11-03", 1, 3, 1, True),
            ("2025-11-03", 2, 3, 2, True),
            ("2025-11-10", 0, 2, 1, True),
            ("2025-11-10", 1, 2, 1, True),
        ]
    )
    assert_frame_equal(got, exp, check_dtype=False)


def test_by_channel(src):
    got = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", by="channel")
    w45 = got[got.cohort == "2025-11-03"]
    assert w45[["channel", "period_number", "cohort_size", "retained_users"]].values.tolist() == [
        ["a", 0, 2, 2],
        ["a", 1, 2, 1],
        ["a", 2, 2, 2],
        ["b", 0, 1, 1],
        ["b", 1, 1, 0],
        ["b", 2, 1, 0],
    ]
    with pytest.raises(ParamsError, match="by='city' is not a column of table 'users'"):
        oa.cohort_retention(src, by="city")


def test_sunday_weeks_months_and_max_periods(src):
    sun = oa.cohort_retention(src, start="2025-11-02", end="2025-11-23", week_start="sunday")
    assert sun["cohort"].dt.date.astype(str).unique().tolist() == ["2025-11-02", "2025-11-09"]
    month = oa.cohort_retention(src, period="month", start="2025-10-01", end="2025-11-30")
    # first events: user 4 in October, users 1, 2, 3, 5 in November
    assert month[["cohort", "period_number", "cohort_size", "retained_users"]].astype(
        str
    ).values.tolist() == [
        ["2025-10-01", "0", "1", "1"],
        ["2025-10-01", "1", "1", "1"],
        ["2025-11-01", "0", "4", "4"],
    ]
    assert (
        oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", max_periods=1)[
            "period_number"
        ].max()
        == 1
    )


def test_day_brackets():
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2, 2],
            "event_time": pd.to_datetime(
                [
                    "2025-11-03 10:00",
                    "2025-11-04 10:00",
                    "2025-11-06 10:00",
                    "2025-11-08 10:00",
                    "2025-11-03 11:00",
                    "2025-11-10 11:00",
                ]
            ),
            "event": ["open"] * 6,
        }
    )
    got = oa.cohort_retention(
        oa.connect(events=events),
        period="day",
        brackets=[1, 6],
        start="2025-11-03",
        end="2025-11-23",
    )
    first = got[got.cohort == "2025-11-03"]
    # user 1: day 1, 3, 5 -> D1 and D2-7 (once); user 2: day 7 -> D2-7
    assert first[["bracket", "cohort_size", "retained_users"]].values.tolist() == [
        ["D0", 2, 2],
        ["D1", 2, 1],
        ["D2-7", 2, 2],
    ]
    with pytest.raises(ParamsError, match="brackets need period='day'"):
        oa.cohort_retention(oa.connect(events=events), brackets=[1])


def test_retention_matrix_means(src):
    rec = oa.cohort_retention(src, start="2025-11-03", end="2025-11-23", cohort="recurring")
    m = oa.retention_matrix(rec)
    # week 1 over complete cells: W45 1/3, W46 2/2 -> weighted 3/5, simple (1/3 + 1) / 2
    assert m.loc["mean", 1] == pytest.approx(3 / 5)
    assert oa.retention_matrix(rec, mean="simple").loc["mean", 1] == pytest.approx((1 / 3 + 1) / 2)
    assert list(m.index) == [
        pd.Timestamp("2025-11-03").date(),
        pd.Timestamp("2025-11-10").date(),
        pd.Timestamp("2025-11-17").date(),
        "mean",
    ]
    cut = oa.cohort_retention(src, start="2025-11-03", end="2025-11-20", cohort="recurring")
    # the incomplete W47 cells do not enter the mean: week 1 is W45 only (W46's week 1 is W47)
    assert oa.retention_matrix(cut).loc["mean", 1] == pytest.approx(1 / 3)


def test_new_user_retention_calendar_and_rolling():
    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "registered_at": pd.to_datetime(["2025-11-03 23:00", "2025-11-04 10:00"]),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "event_time": pd.to_datetime(
                ["2025-11-04 01:00", "2025-11-05 00:30", "2025-11-11 09:00"]
            ),
            "event": ["open"] * 3,
        }
    )
    src = oa.connect(users=users, events=events)
    cal = oa.new_user_retention(src, days=(1, 2, 7), end="2025-11-23")
    # user 1: 11-04 is calendar day 1, 11-05 day 2; user 2: 11-11 is day 7
    assert cal[["day", "retained_users"]].values.tolist() == [
        [1, 1],
        [2, 1],
        [7, 0],
        [1, 0],
        [2, 0],
        [7, 1],
    ]
    roll = oa.new_user_retention(src, days=(1, 2, 7), end="2025-11-23", window="rolling")
    # rolling: 01:00 is 2 h after 23:00 (day 0); 00:30 two days later is 25.5 h (day 1);
    # user 2's event is 6 days 23 h after registering (day 6)
    assert roll[["day", "retained_users"]].values.tolist() == [
        [1, 1],
        [2, 0],
        [7, 0],
        [1, 0],
        [2, 0],
        [7, 0],
    ]
    short = oa.new_user_retention(src, days=(1, 30), end="2025-11-23")
    assert short["complete"].tolist() == [True, False, True, False]


def test_summarise_new_user_retention_pools_complete_cells():
    df = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2025-11-03"] * 2 + ["2025-11-10"] * 2),
            "channel": ["a", "a", "a", "a"],
            "day": [1, 7, 1, 7],
            "new_users": [10, 10, 30, 30],
            "retained_users": [4, 2, 6, 0],
            "retention": [0.4, 0.2, 0.2, 0.0],
            "complete": [True, True, True, False],
        }
    )
    got = oa.summarise_new_user_retention(df, "channel")
    # D1: (4 + 6) / (10 + 30); D7: only the complete 11-03 cell, 2 / 10
    assert got.to_dict("list") == {
        "channel": ["a", "a"],
        "day": [1, 7],
        "new_users": [40, 40],
        "retention": [0.25, 0.2],
    }


def test_heatmap_marks_incomplete_cells(src):
    cut = oa.cohort_retention(src, start="2025-11-03", end="2025-11-20", cohort="recurring")
    ax = oa.plot_retention_heatmap(
        oa.retention_matrix(cut), complete=oa.retention_matrix(cut, values="complete")
    )
    texts = [t.get_text() for t in ax.texts if t.get_text()]
    # W45: 100%, 33% (user 1 in W46), 33%* (only user 1's 11-20 event counts; W47 unfinished)
    assert texts[:3] == ["100%", "33%", "33%*"]
    assert sum(t.endswith("*") for t in texts) == 3
    assert ax.get_yticklabels()[-1].get_text() == "mean"
    zh = oa.plot_retention_heatmap(oa.retention_matrix(cut), language="zh")
    cjk = oa.plotting.chart_language("zh") == "zh"  # without a CJK font charts stay English
    assert zh.get_yticklabels()[-1].get_text() == ("平均" if cjk else "mean")


def test_no_temporary_table_is_left_behind(src):
    before = set(src.backend.list_tables())
    oa.cohort_retention(src, start="2025-11-03", end="2025-11-23")
    assert not [t for t in set(src.backend.list_tables()) - before if t.startswith("oa_tmp")]


def test_rolling_retention_waits_for_the_last_users_window():
    # registered 2025-11-22 at 09:00 and 23:22; data ends 2025-11-23. The 23:22 user's rolling
    # day 1 runs to 11-24 23:22, so D1 of the 11-22 cohort is not complete on 11-23; on the
    # calendar, day 1 is 11-23, over at the end of 11-23.
    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "registered_at": pd.to_datetime(["2025-11-22 09:00", "2025-11-22 23:22"]),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 2, 1],
            "event_time": pd.to_datetime(
                ["2025-11-22 09:05", "2025-11-22 23:30", "2025-11-23 10:00"]
            ),
            "event": ["open"] * 3,
        }
    )
    src = oa.connect(users=users, events=events)
    rolling = oa.new_user_retention(src, days=(0, 1), end="2025-11-23", window="rolling")
    assert rolling.set_index("day")["complete"].to_dict() == {0: True, 1: False}
    # user 1's day 1 (11-23 09:00 .. 11-24 09:00) holds the 10:00 event
    assert rolling.set_index("day").loc[1, "retained_users"] == 1
    calendar = oa.new_user_retention(src, days=(0, 1), end="2025-11-23")
    assert calendar.set_index("day")["complete"].to_dict() == {0: True, 1: True}
    later = oa.new_user_retention(src, days=(1,), end="2025-11-24", window="rolling")
    assert later["complete"].iloc[0]  # 11-24 23:22 is before the end of 11-24


def test_rolling_days_are_real_time_across_daylight_saving():
    # Los Angeles springs forward at 02:00 on 2026-03-08: 20:00 on 03-07 to 20:30 on 03-08 is
    # 23.5 hours of real time, still day 0; 21:30 is 24.5 hours, day 1.
    users = pd.DataFrame(
        {"user_id": [1, 2], "registered_at": pd.to_datetime(["2026-03-07 20:00"] * 2)}
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 2],
            "event_time": pd.to_datetime(["2026-03-08 20:30", "2026-03-08 21:30"]),
            "event": ["open", "open"],
        }
    )
    la = oa.connect(users=users, events=events, params={"timezone": "America/Los_Angeles"})
    flat = oa.connect(users=users, events=events, params={"timezone": "Asia/Shanghai"})
    kw = {"days": (1,), "end": "2026-03-31", "window": "rolling"}
    assert oa.new_user_retention(la, **kw)["retained_users"].tolist() == [1]
    assert oa.new_user_retention(flat, **kw)["retained_users"].tolist() == [2]
    # calendar days stay wall-clock: both came back on the next local day
    kw["window"] = "calendar"
    assert oa.new_user_retention(la, **kw)["retained_users"].tolist() == [2]


def test_rolling_completeness_waits_for_the_last_users_window():
    # data to 2025-11-23: the 11-22 cohort's last user registered at 23:22, so their D1 runs
    # to 11-24 23:22 and the cell is not complete; the 11-21 cohort's is (ends 11-23 21:00)
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "registered_at": pd.to_datetime(
                ["2025-11-21 21:00", "2025-11-22 08:00", "2025-11-22 23:22"]
            ),
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 2],
            "event_time": pd.to_datetime(["2025-11-22 22:00", "2025-11-23 09:00"]),
            "event": ["open", "open"],
        }
    )
    src = oa.connect(users=users, events=events)
    got = oa.new_user_retention(src, days=(1,), end="2025-11-23", window="rolling")
    assert got[["retained_users", "complete"]].values.tolist() == [[1, True], [1, False]]
    # a cell is complete once the end of `end` is at least (d + 1) x 24 h after the last user
    cal = oa.new_user_retention(src, days=(1,), end="2025-11-23")
    assert cal["complete"].tolist() == [True, True]
