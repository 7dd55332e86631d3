"""Small argument checks shared by the public functions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .exceptions import ParamsError


def check_one_of(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a message listing them.

    >>> check_one_of("period", "week", ["day", "week"])
    'week'
    """
    allowed = list(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ParamsError(f"{name}={value!r} is not allowed; choose one of {options}.")
    return value
