"""Preparing one table of a source: the params mapping, canonical types, the per-table checks.

:func:`prepare_table` runs four named steps: the mapping is checked against the physical
columns (:func:`_mapping_problems`), the contract's required columns are looked for
(:func:`_missing_columns`), every contract column is typed and given its checks
(:func:`_typed_columns`), and one aggregate query counts every check, with one small query
for a few example rows per problem found (:func:`_counted_problems`). Schema problems are
returned without querying any data.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
from pandas import isna

from ._checks import whole
from .contract import TABLES, ColumnSpec, TableSpec
from .problems import Problem, example_text, schema_problem

__all__: list[str] = []  # used by Source; nothing is re-exported

#: Timestamps before this are taken for placeholders (a zero Unix time is 1970-01-01).
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1)


@dataclass
class PreparedTable:
    """A table with canonical names and types, and the problems found in it."""

    name: str
    table: ibis.Table
    problems: list[Problem]


class Check(NamedTuple):
    """One per-row check: rows where ``cond`` holds are counted as a problem."""

    column: str
    code: str
    severity: str
    cond: ibis.BooleanValue
    what: str
    fix: str
    #: false when no row can fail, from a stored column's count, min or max (which DuckDB
    #: reads from its metadata without a scan); None: the check must count
    may_fail: ibis.BooleanScalar | None = None


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _local_now(tz: str) -> datetime:
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def _mapping_problems(
    name: str, columns: list[str], mapping: dict[str, str], where: str
) -> list[Problem]:
    """Columns named in the params mapping that the physical table lacks, and mappings onto
    a name the table already uses for another column."""
    clashes = [
        schema_problem(
            name,
            canonical,
            "mapping_target_exists",
            f"is the target of the params mapping (columns.{name}.{own}: {canonical}) but "
            f"{where} already has a column {canonical!r}",
            f"remove the mapping if {canonical!r} is the right column, or rename or drop the "
            f"existing {canonical!r} column before loading",
        )
        for own, canonical in mapping.items()
        if own != canonical and own in columns and canonical in columns
    ]
    return clashes + [
        schema_problem(
            name,
            own,
            "unknown_mapped_column",
            f"is named in the params mapping (columns.{name}.{own}: {canonical}) "
            f"but {where} has no such column",
            f"correct the mapping in params; {where} has columns "
            f"{', '.join(columns)}.{_suggest(own, columns)}",
        )
        for own, canonical in mapping.items()
        if own not in columns
    ]


def _missing_columns(name: str, spec: TableSpec, have: list[str]) -> list[Problem]:
    """Required columns (and required one-of groups) the mapped table lacks."""
    problems = [
        schema_problem(
            name,
            col,
            "missing_column",
            "is required but missing",
            f"add the column, or map your column onto it in params "
            f"(columns: {{{name}: {{your_column: {col}}}}}); the table has "
            f"{', '.join(have)}.{_suggest(col, have)}",
        )
        for col in spec.required
        if col not in have
    ]
    problems += [
        schema_problem(
            name,
            None,
            "missing_column",
            f"needs at least one of the columns {', '.join(group)}",
            "add or map one of them in params",
        )
        for group in spec.required_any_of
        if not any(c in have for c in group)
    ]
    return problems


def _time_column(
    name: str, col_spec: ColumnSpec, t: ibis.Table, timezone: str
) -> tuple[ibis.Value | None, list[Check], Problem | None]:
    col = col_spec.name
    c = t[col]
    ctype = c.type()
    stored = ctype.is_date() or (ctype.is_timestamp() and not ctype.timezone)
    checks: list[Check] = []
    target = dt.timestamp if col_spec.kind == "timestamp" else dt.date
    if ctype.is_string():
        if col_spec.kind == "timestamp":
            # '2025-11-17T10:00:00+08:00' or '...Z': the instant, shown as wall clock in the
            # params zone (the session zone); without an offset, wall clock as written
            offset = c.re_search(r"(Z|z|[+-]\d{2}(:?\d{2})?)$")
            aware = c.try_cast(dt.Timestamp(timezone="UTC")).cast(dt.timestamp)
            parsed = offset.ifelse(aware, c.try_cast(target))
        else:
            parsed = c.try_cast(target)
        checks.append(
            Check(
                col,
                "unparseable_timestamp",
                "error",
                c.notnull() & parsed.isnull(),
                "are not readable as a date/time",
                "write timestamps as 'YYYY-MM-DD HH:MM:SS' (ISO 8601), or fix or drop these rows",
            )
        )
    elif ctype.is_timestamp():
        # aware timestamps become wall-clock time in the report zone (the backend's session
        # time zone is set to it by connect); naive ones are read in it
        parsed = c.cast(dt.Timestamp(scale=ctype.scale)) if ctype.timezone else c
        if col_spec.kind == "date":
            parsed = parsed.date()
    elif ctype.is_date():
        parsed = c.cast(dt.timestamp) if col_spec.kind == "timestamp" else c
    else:
        return (
            None,
            [],
            schema_problem(
                name,
                col,
                "wrong_type",
                f"holds {ctype} values, not dates or timestamps",
                "store it as a timestamp or an ISO 8601 string ('YYYY-MM-DD HH:MM:SS'); epoch "
                "numbers must be converted first",
            ),
        )
    if col_spec.required:
        checks.append(
            Check(
                col,
                "null_timestamp",
                "error",
                c.isnull(),
                "are empty",
                "every row needs this time; fill it in or drop these rows",
                c.count() < t.count(),
            )
        )
    if col_spec.kind == "timestamp":
        earliest, now = ibis.literal(EARLIEST_PLAUSIBLE), ibis.literal(_local_now(timezone))
        checks.append(
            Check(
                col,
                "implausible_timestamp",
                "warning",
                parsed < earliest,
                f"are before {EARLIEST_PLAUSIBLE:%Y-%m-%d} (a zero Unix time reads as 1970-01-01)",
                "check how the exporting system writes a missing time and leave it empty "
                "instead of 0; such rows fall outside every report period",
                c.min() < earliest if stored else None,
            )
        )
        checks.append(
            Check(
                col,
                "future_timestamp",
                "warning",
                parsed > now,
                f"lie in the future (in {timezone})",
                "check the clock or time zone of the system that wrote them; set 'timezone' in "
                "params if the data is in another zone",
                c.max() > now if stored else None,
            )
        )
    return parsed, checks, None


def _amount_column(
    name: str, col_spec: ColumnSpec, t: ibis.Table
) -> tuple[ibis.Value | None, list[Check], Problem | None]:
    col = col_spec.name
    c = t[col]
    ctype = c.type()
    checks: list[Check] = []
    if ctype.is_string():
        parsed = c.try_cast(dt.float64)
        checks.append(
            Check(
                col,
                "non_numeric_amount",
                "error",
                c.notnull() & parsed.isnull(),
                "are not numbers",
                "write plain numbers such as 129.90, without currency signs or thousands "
                "separators",
            )
        )
    elif ctype.is_numeric():
        parsed = c.cast(dt.float64)
    else:
        return (
            None,
            [],
            schema_problem(
                name,
                col,
                "wrong_type",
                f"holds {ctype} values, not numbers",
                "store amounts as numbers",
            ),
        )
    checks.append(
        Check(
            col,
            "negative_amount",
            "error",
            parsed < 0,
            "are negative",
            "amounts must be >= 0; record a refund as a row with status 'refunded' and a "
            "positive amount, or drop these rows"
            if name == "orders"
            else "amounts must be >= 0; correct or drop these rows",
            c.min() < 0 if ctype.is_numeric() else None,
        )
    )
    checks.append(
        Check(
            col,
            "non_finite_amount",
            "error",
            parsed.isnan() | parsed.isinf(),
            "are NaN or infinite",
            "write the real amount (0 if nothing was paid); NaN and inf usually come from a "
            "division or a failed conversion upstream",
        )
    )
    if col_spec.required:
        checks.append(
            Check(
                col,
                "null_amount",
                "error",
                c.isnull(),
                "are empty",
                "fill in the amount (0 if nothing was paid) or drop these rows",
                c.count() < t.count(),
            )
        )
    return parsed, checks, None


def _typed_columns(
    name: str, spec: TableSpec, t: ibis.Table, timezone: str
) -> tuple[dict[str, ibis.Value], list[Check], list[Problem]]:
    """Canonical types of the contract columns present, and the checks of each."""
    typed: dict[str, ibis.Value] = {}
    checks: list[Check] = []
    problems: list[Problem] = []
    for col_spec in spec.columns:
        col = col_spec.name
        if col not in t.columns:
            continue
        c = t[col]
        if col_spec.kind in ("timestamp", "date"):
            parsed, more, problem = _time_column(name, col_spec, t, timezone)
        elif col_spec.kind == "amount":
            parsed, more, problem = _amount_column(name, col_spec, t)
        else:
            if col_spec.required:  # ids and names: null or blank is empty
                blank = c.isnull()
                text = c.type().is_string()
                if text:
                    blank = blank | (c.strip() == "")
                checks.append(
                    Check(
                        col,
                        f"null_{col}",
                        "error",
                        blank,
                        "are empty (null or blank)",
                        f"every row needs its {col}; drop these rows or fill them in",
                        None if text else c.count() < t.count(),
                    )
                )
            continue
        if problem is not None:
            problems.append(problem)
            continue
        typed[col] = parsed
        checks.extend(more)
    return typed, checks, problems


def _counted_problems(
    name: str,
    spec: TableSpec,
    t: ibis.Table,
    staged: ibis.Table,
    checks: list[Check],
    execute: Callable[[Any], Any],
    max_examples: int,
    screen: bool = False,
) -> list[Problem]:
    """One aggregate query counts every check (and duplicate keys); examples per problem.

    With ``screen``, a first query asks each check's ``may_fail`` (metadata on DuckDB) and the
    checks no row can fail are left out of the count.
    """
    key = spec.unique_key
    have = list(t.columns)
    zero: dict[str, int] = {}
    screens = {f"__c{i}": c.may_fail for i, c in enumerate(checks) if c.may_fail is not None}
    if screen and screens:
        verdict = execute(t.aggregate(**screens)).iloc[0]
        # False rules a check out; NULL (the min of an empty column) leaves it to the count
        zero = {k: 0 for k in screens if not isna(verdict[k]) and not bool(verdict[k])}
    aggs: dict[str, ibis.Value] = {"__n": staged.count()}
    for i, check in enumerate(checks):
        if f"__c{i}" not in zero:
            aggs[f"__c{i}"] = check.cond.ifelse(1, 0).sum()
    if key and key in have:
        aggs["__dup"] = staged[key].count() - staged[key].nunique()
    counts = {**execute(staged.aggregate(**aggs)).iloc[0].to_dict(), **zero}
    n = int(counts["__n"])
    if n == 0:
        return [
            Problem(
                name,
                None,
                "error",
                "empty_table",
                0,
                0,
                "",
                "has no rows",
                f"load data into the {name} table, or do not pass it to connect()",
            )
        ]
    problems: list[Problem] = []
    # example rows show the key, the user and, for tables without a key, the first time column
    first_time = next((c.name for c in spec.columns if c.kind == "timestamp" and c.required), None)
    id_cols = [c for c in (key, "user_id", None if key else first_time) if c and c in have]
    id_cols = list(dict.fromkeys(id_cols))
    for i, check in enumerate(checks):
        k = whole(counts[f"__c{i}"])
        if k:
            show = list(dict.fromkeys([*id_cols, check.column]))
            cols = [staged[c] for c in show]
            if check.code == "non_finite_amount":  # as text: NaN would print as null
                cols[-1] = staged[check.column].cast("string").name(check.column)
            sample = execute(staged.filter(check.cond).select(*cols).limit(max_examples))
            problems.append(
                Problem(
                    name,
                    check.column,
                    check.severity,
                    check.code,
                    k,
                    n,
                    example_text(sample),
                    check.what,
                    check.fix,
                )
            )
    if key and key in have:
        d = whole(counts["__dup"])
        if d:
            g = t.group_by(key).aggregate(__rows=t.count()).filter(lambda x: x["__rows"] > 1)
            sample = execute(g.order_by(key).limit(max_examples)).rename(columns={"__rows": "rows"})
            problems.append(
                Problem(
                    name,
                    key,
                    "error",
                    f"duplicate_{key}",
                    d,
                    n,
                    example_text(sample),
                    f"repeat an earlier {key} (each {key} must appear once)",
                    f"remove the repeated rows, or give each row its own {key}",
                )
            )
    return problems


def prepare_table(
    name: str,
    raw: ibis.Table,
    *,
    mapping: dict[str, str],
    execute: Callable[[Any], Any],
    timezone: str,
    max_examples: int = 5,
    physical: str | None = None,
    screen: bool = False,
) -> PreparedTable:
    """Rename, type and check one table. ``execute`` runs an Ibis expression to pandas.

    Schema problems (a mapped or required column missing, a column of the wrong type) are
    returned without querying data; value problems come from one aggregate query. ``screen``
    (for DuckDB, which answers it from metadata) first rules out the checks that a column's
    count, minimum or maximum shows no row can fail.
    """
    spec = TABLES[name]
    where = f"table {physical!r}" if physical and physical != name else "the table"
    problems = _mapping_problems(name, list(raw.columns), mapping, where)
    if problems:
        return PreparedTable(name, raw, problems)
    renames = {canonical: own for own, canonical in mapping.items() if own != canonical}
    t = raw.rename(renames) if renames else raw
    problems = _missing_columns(name, spec, list(t.columns))
    if problems:
        return PreparedTable(name, t, problems)
    typed, checks, problems = _typed_columns(name, spec, t, timezone)
    if problems:
        return PreparedTable(name, t, problems)
    staged = t.mutate(**{f"__oa_{k}": v for k, v in typed.items()})
    problems = _counted_problems(name, spec, t, staged, checks, execute, max_examples, screen)
    if any(p.check == "empty_table" for p in problems):
        return PreparedTable(name, t, problems)
    typed_table = staged.select(
        *[staged[f"__oa_{c}"].name(c) if c in typed else staged[c] for c in t.columns]
    )
    return PreparedTable(name, typed_table, problems)
