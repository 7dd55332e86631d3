"""Small date helpers shared by the analysis modules."""

from __future__ import annotations

from datetime import date, datetime, time


def midnight(d: date) -> datetime:
    """The wall-clock timestamp at the start of day ``d`` (for half-open time filters)."""
    return datetime.combine(d, time())
