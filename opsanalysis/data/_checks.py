"""Argument and params checks shared by every layer: each error names the key, the value and
what is allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..exceptions import ParamsError

__all__: list[str] = []  # internal helpers; nothing is re-exported


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


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def section_value(raw: dict[str, Any], key: str) -> Any:
    node: Any = raw
    for part in key.split("."):
        node = node[part]
    return node


def set_value(raw: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = raw
    for part in parents:
        node = node[part]
    node[last] = value


def bad(key: str, value: Any, where: str, allowed: str) -> ParamsError:
    return ParamsError(f"{key}={value!r} in {where} is not allowed; {allowed}.")


def check_number(
    raw: dict[str, Any],
    key: str,
    where: str,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    optional: bool = False,
) -> None:
    """A number (a whole one with ``integer``) inside ``[low, high]`` (or open ends)."""
    value = section_value(raw, key)
    if value is None and optional:
        return
    kind = "a whole number" if integer else "a number"
    bounds = []
    if low is not None:
        bounds.append(f"{'above' if open_low else 'at least'} {low:g}")
    if high is not None:
        bounds.append(f"{'below' if open_high else 'at most'} {high:g}")
    allowed = f"use {kind}" + (f" {' and '.join(bounds)}" if bounds else "")
    allowed += " (or null)" if optional else ""
    if not is_number(value) or (integer and float(value) != int(value)):
        raise bad(key, value, where, allowed)
    if low is not None and (value <= low if open_low else value < low):
        raise bad(key, value, where, allowed)
    if high is not None and (value >= high if open_high else value > high):
        raise bad(key, value, where, allowed)
    if integer:
        set_value(raw, key, int(value))


def check_text(raw: dict[str, Any], key: str, where: str, *, optional: bool = False) -> None:
    value = section_value(raw, key)
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise bad(key, value, where, "use a non-empty name" + (" (or null)" if optional else ""))


def check_names(
    raw: dict[str, Any], key: str, where: str, *, optional: bool = False, steps: bool = False
) -> None:
    """A list of names; one name given as a plain string is read as a one-element list.
    ``steps``: the steps of a funnel, two or more (or none)."""
    value = section_value(raw, key)
    if value is None and optional:
        return
    if isinstance(value, str):
        value = [value]
    if steps and isinstance(value, (list, tuple)) and len(value) == 1:
        raise bad(key, value, where, "list two or more events (a funnel's steps), or [] for none")
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise bad(
            key,
            value,
            where,
            "use a list of names such as [a, b]" + (" (or null)" if optional else ""),
        )
    set_value(raw, key, list(value))


def check_choice(raw: dict[str, Any], key: str, where: str, choices: tuple[Any, ...]) -> None:
    value = section_value(raw, key)
    if value not in choices or isinstance(value, bool) != any(
        isinstance(c, bool) and c == value for c in choices
    ):
        options = ", ".join(repr(c) for c in choices)
        raise bad(key, value, where, f"choose one of {options}")


def check_mapping(raw: dict[str, Any], key: str, where: str) -> None:
    value = section_value(raw, key)
    if value is None:
        set_value(raw, key, {})
    elif not isinstance(value, Mapping):
        raise bad(key, value, where, "use a mapping of names to settings")


def whole(value: Any) -> int:
    """A count the engine returned, as an int: the sum over no rows is NULL on DuckDB and NaN
    on Spark, and both mean 0."""
    return 0 if value is None or value != value else int(value)


def check_size(name: str, value: Any, where: str) -> None:
    """``value`` is None or a memory size such as ``1GB`` or ``512MB``."""
    if value is not None and not re.fullmatch(r"\d+(\.\d+)?\s*(MB|GB|TB)", str(value).strip()):
        raise ParamsError(
            f"{name}={value!r} in {where} is not a size; write it as e.g. 1GB or 512MB, or "
            "null for DuckDB's default (80% of the machine's memory)."
        )
