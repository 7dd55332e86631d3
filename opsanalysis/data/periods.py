"""Reporting periods: ISO weeks, months, quarters, days and explicit date ranges.

A :class:`Period` is a half-open range of calendar dates ``[start, end)`` in the report time
zone. Strings it parses:

========================== =============================================
``"2025-W47"``             ISO week 47 of ISO year 2025 (Monday to Sunday)
``"2025-11"``              calendar month
``"2025-Q4"``              calendar quarter
``"2025-11-17"``           one day
``"2025-11-01..2025-11-30"`` explicit range, both ends inclusive
========================== =============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from ..exceptions import PeriodError
from ._checks import check_one_of

__all__ = ["Period", "parse_period", "period_containing", "latest_complete_period"]

PeriodKind = Literal["day", "week", "month", "quarter", "range"]
KINDS = ("day", "week", "month", "quarter")

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|\s+to\s+)\s*(\d{4}-\d{2}-\d{2})$")


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of dates ``[start, end)`` with its kind.

    Examples
    --------
    >>> p = parse_period("2025-W47")
    >>> p.start, p.end, p.label
    (datetime.date(2025, 11, 17), datetime.date(2025, 11, 24), '2025-W47')
    >>> p.previous().label, p.year_ago().label
    ('2025-W46', '2024-W47')
    """

    start: date
    end: date
    kind: PeriodKind

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"A period must end after it starts; got {self.start} to {self.end}.")

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last date inside the period (``end`` minus one day)."""
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """Canonical string, parseable by :func:`parse_period`."""
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "day":
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    def __str__(self) -> str:
        return self.label

    def shift(self, n: int) -> Period:
        """The period ``n`` periods later (negative: earlier) of the same kind and length."""
        if self.kind in ("month", "quarter"):
            start = shift_start(self.start, self.kind, n)
            return Period(start, shift_start(start, self.kind, 1), self.kind)
        step = timedelta(days=self.days * n)
        return Period(self.start + step, self.end + step, self.kind)

    def previous(self) -> Period:
        """The period just before: last week, last month, or the range of equal length before."""
        return self.shift(-1)

    def year_ago(self) -> Period:
        """The same period one year earlier.

        Weeks map to the same ISO week number of the previous ISO year (week 53 maps to week 52
        when that year has no week 53); months and quarters to the same one a year earlier;
        days and ranges to the same calendar dates (29 February maps to 28 February).
        """
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            weeks_last_year = date(y - 1, 12, 28).isocalendar()[1]
            return Period(
                date.fromisocalendar(y - 1, min(w, weeks_last_year), 1),
                date.fromisocalendar(y - 1, min(w, weeks_last_year), 1) + timedelta(days=7),
                "week",
            )
        if self.kind in ("month", "quarter"):
            return self.shift(-12 if self.kind == "month" else -4)

        def back(d: date) -> date:
            try:
                return d.replace(year=d.year - 1)
            except ValueError:  # 29 February
                return d.replace(year=d.year - 1, day=28)

        return Period(back(self.start), back(self.start) + timedelta(days=self.days), self.kind)

    def contains(self, when: date | datetime) -> bool:
        """True when the date (or the date of a timestamp) lies inside the period."""
        d = when.date() if isinstance(when, datetime) else when
        return self.start <= d < self.end

    def dates(self) -> list[date]:
        """Every date in the period, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]


def period_containing(when: date | datetime, kind: str) -> Period:
    """The day, ISO week (Monday start), month or quarter that contains ``when``.

    >>> period_containing(date(2025, 11, 23), "week").label
    '2025-W47'
    """
    check_one_of("kind", kind, KINDS)
    d = when.date() if isinstance(when, datetime) else when
    if kind == "day":
        return Period(d, d + timedelta(days=1), "day")
    if kind == "week":
        monday = d - timedelta(days=d.weekday())
        return Period(monday, monday + timedelta(days=7), "week")
    if kind == "month":
        start = d.replace(day=1)
        return Period(start, _add_months(start, 1), "month")
    start = date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return Period(start, _add_months(start, 3), "quarter")


def period_start_date(d: date, kind: str, week_start: str = "monday") -> date:
    """Start of the day, week (Monday, or Sunday with ``week_start``), month or quarter of ``d``.

    >>> period_start_date(date(2025, 11, 23), "week", "sunday")
    datetime.date(2025, 11, 23)
    """
    if kind == "week" and week_start == "sunday":
        return period_containing(d + timedelta(days=1), "week").start - timedelta(days=1)
    return period_containing(d, kind).start


def shift_start(start: date, kind: str, k: int) -> date:
    """The start of the period ``k`` periods after the one that starts on ``start``.

    >>> shift_start(date(2025, 11, 1), "quarter", 1)
    datetime.date(2026, 2, 1)
    """
    if kind == "day":
        return start + timedelta(days=k)
    if kind == "week":
        return start + timedelta(days=7 * k)
    return _add_months(start, k * (1 if kind == "month" else 3))


def period_starts(lo: date, hi: date, kind: str, week_start: str = "monday") -> list[date]:
    """Starts of every period of ``kind`` from the one containing ``lo`` to the one holding ``hi``.

    >>> [d.isoformat() for d in period_starts(date(2025, 11, 5), date(2025, 11, 17), "week")]
    ['2025-11-03', '2025-11-10', '2025-11-17']
    """
    first = period_start_date(lo, kind, week_start)
    out, k = [], 0
    while shift_start(first, kind, k) <= hi:
        out.append(shift_start(first, kind, k))
        k += 1
    return out


def parse_period(value: str | Period) -> Period:
    """Parse a period string (see the module docstring); a :class:`Period` passes through.

    Raises
    ------
    PeriodError
        The string matches none of the forms, or names a date or week that does not exist.

    Examples
    --------
    >>> parse_period("2025-Q4").end
    datetime.date(2026, 1, 1)
    >>> parse_period("2025-11-01..2025-11-30").days
    30
    """
    if isinstance(value, Period):
        return value
    text = str(value).strip()
    try:
        if m := _WEEK.match(text):
            y, w = int(m.group(1)), int(m.group(2))
            start = date.fromisocalendar(y, w, 1)
            return Period(start, start + timedelta(days=7), "week")
        if m := _QUARTER.match(text):
            y, q = int(m.group(1)), int(m.group(2))
            start = date(y, 3 * (q - 1) + 1, 1)
            return Period(start, _add_months(start, 3), "quarter")
        if m := _MONTH.match(text):
            if not 1 <= int(m.group(2)) <= 12:
                raise PeriodError(
                    f"Period {text!r} is not a month (months run 01 to 12). For a week write "
                    f"'{m.group(1)}-W{int(m.group(2)):02d}'."
                )
            start = date(int(m.group(1)), int(m.group(2)), 1)
            return Period(start, _add_months(start, 1), "month")
        if m := _DAY.match(text):
            d = date.fromisoformat(text)
            return Period(d, d + timedelta(days=1), "day")
        if m := _RANGE.match(text):
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            if last < first:
                raise PeriodError(f"Period {text!r} ends before it starts; swap the two dates.")
            return Period(first, last + timedelta(days=1), "range")
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(
            f"Period {text!r} names a date or week that does not exist: {exc}."
        ) from None
    raise PeriodError(
        f"Cannot read period {text!r}. Use an ISO week '2025-W47', a month '2025-11', a quarter "
        "'2025-Q4', a day '2025-11-17' or a range '2025-11-01..2025-11-30'."
    )


def latest_complete_period(last_seen: date | datetime, kind: str) -> Period:
    """The latest period of ``kind`` that the data covers completely.

    The data is taken to cover every day up to and including the date of ``last_seen`` (the
    latest timestamp in the data), so a period is complete when its last day is on or before
    that date.

    >>> latest_complete_period(date(2025, 11, 23), "week").label   # a Sunday
    '2025-W47'
    >>> latest_complete_period(date(2025, 11, 22), "week").label   # a Saturday
    '2025-W46'
    """
    d = last_seen.date() if isinstance(last_seen, datetime) else last_seen
    current = period_containing(d, kind)
    return current if current.last_day <= d else current.previous()
