from datetime import date, datetime

import pytest

from opsanalysis.data.periods import Period, latest_complete_period, parse_period, period_containing
from opsanalysis.exceptions import PeriodError


@pytest.mark.parametrize(
    ("text", "start", "end", "kind", "label"),
    [
        ("2025-W47", date(2025, 11, 17), date(2025, 11, 24), "week", "2025-W47"),
        ("2025W01", date(2024, 12, 30), date(2025, 1, 6), "week", "2025-W01"),  # ISO year
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 4), "week", "2020-W53"),
        ("2025-11", date(2025, 11, 1), date(2025, 12, 1), "month", "2025-11"),
        ("2025-12", date(2025, 12, 1), date(2026, 1, 1), "month", "2025-12"),
        ("2025-Q4", date(2025, 10, 1), date(2026, 1, 1), "quarter", "2025-Q4"),
        ("2025q1", date(2025, 1, 1), date(2025, 4, 1), "quarter", "2025-Q1"),
        ("2025-11-17", date(2025, 11, 17), date(2025, 11, 18), "day", "2025-11-17"),
        (
            "2025-11-01..2025-11-30",
            date(2025, 11, 1),
            date(2025, 12, 1),
            "range",
            "2025-11-01..2025-11-30",
        ),
        (
            "2025-11-01 to 2025-11-03",
            date(2025, 11, 1),
            date(2025, 11, 4),
            "range",
            "2025-11-01..2025-11-03",
        ),
    ],
)
def test_parse_period(text, start, end, kind, label):
    p = parse_period(text)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, label)
    assert parse_period(p.label) == p


@pytest.mark.parametrize(
    ("text", "previous", "year_ago"),
    [
        ("2025-W47", "2025-W46", "2024-W47"),
        ("2025-W01", "2024-W52", "2024-W01"),
        ("2021-W01", "2020-W53", "2020-W01"),
        ("2020-W53", "2020-W52", "2019-W52"),  # 2019 has no week 53
        ("2025-01", "2024-12", "2024-01"),
        ("2025-Q1", "2024-Q4", "2024-Q1"),
        ("2024-02-29", "2024-02-28", "2023-02-28"),
        ("2025-11-10..2025-11-16", "2025-11-03..2025-11-09", "2024-11-10..2024-11-16"),
    ],
)
def test_previous_and_year_ago(text, previous, year_ago):
    p = parse_period(text)
    assert p.previous().label == previous
    assert p.year_ago().label == year_ago


def test_period_helpers():
    p = parse_period("2025-W47")
    assert p.days == 7
    assert p.last_day == date(2025, 11, 23)
    assert p.contains(datetime(2025, 11, 23, 23, 59))
    assert not p.contains(date(2025, 11, 24))
    assert p.dates()[0] == date(2025, 11, 17) and len(p.dates()) == 7
    assert p.shift(2).label == "2025-W49"
    assert parse_period("2025-11").shift(-11).label == "2024-12"
    assert parse_period("2025-W47") < parse_period("2025-W48")


@pytest.mark.parametrize(
    ("when", "kind", "label"),
    [
        (date(2025, 11, 23), "week", "2025-W47"),  # Sunday
        (date(2025, 11, 24), "week", "2025-W48"),  # Monday
        (date(2025, 11, 30), "month", "2025-11"),
        (date(2025, 12, 31), "quarter", "2025-Q4"),
        (datetime(2025, 11, 5, 22, 0), "day", "2025-11-05"),
    ],
)
def test_period_containing(when, kind, label):
    assert period_containing(when, kind).label == label


@pytest.mark.parametrize(
    ("last_seen", "kind", "label"),
    [
        (datetime(2025, 11, 23, 23, 59), "week", "2025-W47"),  # Sunday: W47 complete
        (datetime(2025, 11, 23, 0, 1), "week", "2025-W47"),  # data reaches the last day
        (datetime(2025, 11, 22, 23, 59), "week", "2025-W46"),  # Saturday: W47 incomplete
        (datetime(2025, 11, 30, 12, 0), "month", "2025-11"),
        (datetime(2025, 11, 29, 12, 0), "month", "2025-10"),
        (datetime(2025, 12, 31, 1, 0), "quarter", "2025-Q4"),
        (datetime(2025, 12, 30, 1, 0), "quarter", "2025-Q3"),
    ],
)
def test_latest_complete_period(last_seen, kind, label):
    assert latest_complete_period(last_seen, kind).label == label


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("last week", "Cannot read period 'last week'. Use an ISO week"),
        ("2025-W54", "names a date or week that does not exist"),
        ("2025-13", "is not a month"),
        ("2025-02-30", "names a date or week that does not exist"),
        ("2025-11-30..2025-11-01", "ends before it starts; swap the two dates"),
    ],
)
def test_bad_periods(text, match):
    with pytest.raises(PeriodError, match=match):
        parse_period(text)


def test_period_must_end_after_start():
    with pytest.raises(PeriodError, match="must end after it starts"):
        Period(date(2025, 1, 2), date(2025, 1, 1), "range")


def test_bad_kind():
    with pytest.raises(ValueError, match="kind='year' is not allowed; choose one of 'day', 'week'"):
        period_containing(date(2025, 1, 1), "year")
