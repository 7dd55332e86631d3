"""Checks of the data contract, run in the engine.

Each table is checked by one aggregate query (counts of every problem) and, only for the
problems found, one small query for a few example rows. :func:`validate` runs every check on
every table a source holds, plus the checks across tables, and returns a
:class:`ValidationReport`; loading a table (``Source.table``) raises
:class:`~opsanalysis.exceptions.DataContractError` on the first error instead.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import pandas as pd

from .contract import TABLES, TableSpec
from .exceptions import DataContractError

if TYPE_CHECKING:
    from .source import Source

__all__ = ["Problem", "ValidationReport", "validate", "DataContractWarning"]

PROBLEM_COLUMNS = [
    "table",
    "column",
    "severity",
    "check",
    "rows",
    "total_rows",
    "examples",
    "message",
]


class DataContractWarning(UserWarning):
    """Data that is valid but suspicious (events before registration, future timestamps, ...)."""


@dataclass(frozen=True)
class Problem:
    """One finding: what is wrong, where, in how many rows, and how to fix it."""

    table: str
    column: str | None
    severity: str  # "error" or "warning"
    check: str
    rows: int
    total_rows: int
    examples: str
    what: str
    fix: str

    @property
    def message(self) -> str:
        where = f"Table {self.table!r}" + (f", column {self.column!r}" if self.column else "")
        fix = self.fix if self.fix.endswith(".") else self.fix + "."
        if not self.total_rows:  # a problem of the schema or of the whole table
            return f"{where} {self.what}. Fix: {fix}"
        ex = f" (e.g. {self.examples})" if self.examples else ""
        return f"{where}: {self.rows:,} of {self.total_rows:,} rows {self.what}{ex}. Fix: {fix}"


@dataclass
class ValidationReport:
    """Every problem found in a source. ``problems`` is a tidy DataFrame.

    Columns of ``problems``: table, column, severity ("error"/"warning"), check (a short code
    such as ``negative_amount``), rows (offending rows), total_rows, examples, message.
    """

    problem_list: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> pd.DataFrame:
        rows = [
            {
                "table": p.table,
                "column": p.column,
                "severity": p.severity,
                "check": p.check,
                "rows": p.rows,
                "total_rows": p.total_rows,
                "examples": p.examples,
                "message": p.message,
            }
            for p in self.problem_list
        ]
        return pd.DataFrame(rows, columns=PROBLEM_COLUMNS)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problem_list if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problem_list if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`DataContractError` with the first error, if there is any."""
        if self.errors:
            raise contract_error(self.errors)

    def __str__(self) -> str:
        if not self.problem_list:
            return "No problems found."
        lines = [f"{len(self.errors)} error(s), {len(self.warnings)} warning(s):"]
        lines += [f"- [{p.severity}] {p.message}" for p in self.problem_list]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.problems.to_html(index=False)


def contract_error(errors: list[Problem]) -> DataContractError:
    msg = errors[0].message
    if len(errors) > 1:
        msg += (
            f" ({len(errors) - 1} more problem(s) in this table: run oa.validate(src) to list all.)"
        )
    return DataContractError(msg)


# --------------------------------------------------------------------------------------------
# Preparing one table: mapping, types, and the per-table checks


@dataclass
class PreparedTable:
    """A table with canonical names and types, and the problems found in it."""

    name: str
    table: ibis.Table
    problems: list[Problem]


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _schema_problem(table: str, column: str | None, check: str, what: str, fix: str) -> Problem:
    return Problem(table, column, "error", check, 0, 0, "", what, fix)


def _fmt(v: Any) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "null"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, pd.Timestamp):
        return str(v)
    return repr(v) if isinstance(v, str) else str(v)


def _example_text(df: pd.DataFrame) -> str:
    parts = []
    for _, row in df.iterrows():
        parts.append(", ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
    return "; ".join(parts)


def _local_now(tz: str) -> datetime:
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def prepare_table(
    name: str,
    raw: ibis.Table,
    *,
    mapping: dict[str, str],
    execute: Any,
    timezone: str,
    max_examples: int = 5,
    physical: str | None = None,
) -> PreparedTable:
    """Rename, type and check one table. ``execute`` runs an Ibis expression to pandas.

    Schema problems (a mapped or required column missing) are returned without querying data;
    value problems come from one aggregate query over the table.
    """
    spec: TableSpec = TABLES[name]
    where = f"table {physical!r}" if physical and physical != name else "the table"
    columns = list(raw.columns)
    problems: list[Problem] = []

    for own, canonical in mapping.items():
        if own not in columns:
            problems.append(
                _schema_problem(
                    name,
                    own,
                    "unknown_mapped_column",
                    f"is named in the params mapping (columns.{name}.{own}: {canonical}) "
                    f"but {where} has no such column",
                    f"correct the mapping in params; {where} has columns "
                    f"{', '.join(columns)}.{_suggest(own, columns)}",
                )
            )
    if problems:
        return PreparedTable(name, raw, problems)

    renames = {canonical: own for own, canonical in mapping.items() if own != canonical}
    t = raw.rename(renames) if renames else raw
    have = list(t.columns)
    for col in spec.required:
        if col not in have:
            problems.append(
                _schema_problem(
                    name,
                    col,
                    "missing_column",
                    "is required but missing",
                    f"add the column, or map your column onto it in params "
                    f"(columns: {{{name}: {{your_column: {col}}}}}); the table has "
                    f"{', '.join(have)}.{_suggest(col, have)}",
                )
            )
    for group in spec.required_any_of:
        if not any(c in have for c in group):
            problems.append(
                _schema_problem(
                    name,
                    None,
                    "missing_column",
                    f"needs at least one of the columns {', '.join(group)}",
                    "add or map one of them in params",
                )
            )
    if problems:
        return PreparedTable(name, t, problems)

    # typed versions of the contract columns, plus the conditions to count
    typed: dict[str, ibis.Value] = {}
    # (column, check code, severity, offending-row condition, what is wrong, how to fix)
    conds: list[tuple[str, str, str, ibis.BooleanValue, str, str]] = []
    key = spec.unique_key
    for col_spec in spec.columns:
        col = col_spec.name
        if col not in have:
            continue
        c = t[col]
        ctype = c.type()
        if col_spec.kind in ("timestamp", "date"):
            target = dt.timestamp if col_spec.kind == "timestamp" else dt.date
            if ctype.is_string():
                parsed = c.try_cast(target)
                conds.append(
                    (
                        col,
                        "unparseable_timestamp",
                        "error",
                        c.notnull() & parsed.isnull(),
                        "are not readable as a date/time",
                        "write timestamps as 'YYYY-MM-DD HH:MM:SS' (ISO 8601), or fix or drop "
                        "these rows",
                    )
                )
            elif ctype.is_timestamp():
                # aware timestamps become wall-clock time in the report zone (the backend's
                # session time zone is set to it by connect); naive ones are read in it
                parsed = c.cast(dt.Timestamp(scale=ctype.scale)) if ctype.timezone else c
                if col_spec.kind == "date":
                    parsed = parsed.date()
            elif ctype.is_date():
                parsed = c.cast(dt.timestamp) if col_spec.kind == "timestamp" else c
            else:
                problems.append(
                    _schema_problem(
                        name,
                        col,
                        "wrong_type",
                        f"holds {ctype} values, not dates or timestamps",
                        "store it as a timestamp or an ISO 8601 string "
                        "('YYYY-MM-DD HH:MM:SS'); epoch numbers must be converted first",
                    )
                )
                continue
            typed[col] = parsed
            if col_spec.required:
                conds.append(
                    (
                        col,
                        "null_timestamp",
                        "error",
                        c.isnull(),
                        "are empty",
                        "every row needs this time; fill it in or drop these rows",
                    )
                )
            if col_spec.kind == "timestamp":
                conds.append(
                    (
                        col,
                        "future_timestamp",
                        "warning",
                        parsed > ibis.literal(_local_now(timezone)),
                        f"lie in the future (in {timezone})",
                        "check the clock or time zone of the system that wrote them; set "
                        "'timezone' in params if the data is in another zone",
                    )
                )
        elif col_spec.kind == "amount":
            if ctype.is_string():
                parsed = c.try_cast(dt.float64)
                conds.append(
                    (
                        col,
                        "non_numeric_amount",
                        "error",
                        c.notnull() & parsed.isnull(),
                        "are not numbers",
                        "write plain numbers such as 129.90, without currency signs or "
                        "thousands separators",
                    )
                )
            elif ctype.is_numeric():
                parsed = c.cast(dt.float64)
            else:
                problems.append(
                    _schema_problem(
                        name,
                        col,
                        "wrong_type",
                        f"holds {ctype} values, not numbers",
                        "store amounts as numbers",
                    )
                )
                continue
            typed[col] = parsed
            conds.append(
                (
                    col,
                    "negative_amount",
                    "error",
                    parsed < 0,
                    "are negative",
                    "amounts must be >= 0; record a refund as a row with status 'refunded' and a "
                    "positive amount, or drop these rows"
                    if name == "orders"
                    else "amounts must be >= 0; correct or drop these rows",
                )
            )
            if col_spec.required:
                conds.append(
                    (
                        col,
                        "null_amount",
                        "error",
                        c.isnull(),
                        "are empty",
                        "fill in the amount (0 if nothing was paid) or drop these rows",
                    )
                )
        elif col_spec.kind == "id" and col_spec.required:
            conds.append(
                (
                    col,
                    f"null_{col}",
                    "error",
                    c.isnull(),
                    "are empty",
                    f"every row needs a {col}; drop these rows or fill them in",
                )
            )
    if problems:
        return PreparedTable(name, t, problems)

    staged = t.mutate(**{f"__oa_{k}": v for k, v in typed.items()})
    aggs: dict[str, ibis.Value] = {"__n": staged.count()}
    for i, (_, _, _, cond, _, _) in enumerate(conds):
        aggs[f"__c{i}"] = cond.ifelse(1, 0).sum()
    if key and key in have:
        aggs["__dup"] = staged[key].count() - staged[key].nunique()
    counts = execute(staged.aggregate(**aggs)).iloc[0]
    n = int(counts["__n"])

    if n == 0:
        problems.append(
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
        )
        return PreparedTable(name, t, problems)

    # example rows show the key, the user and, for tables without a key, the first time column
    first_time = next((c.name for c in spec.columns if c.kind == "timestamp" and c.required), None)
    id_cols = [c for c in (key, "user_id", None if key else first_time) if c and c in have]
    id_cols = list(dict.fromkeys(id_cols))
    for i, (col, check, severity, cond, what, fix) in enumerate(conds):
        k = int(counts[f"__c{i}"] or 0)
        if k:
            show = list(dict.fromkeys(id_cols + [col]))
            sample = execute(staged.filter(cond).select(*show).limit(max_examples))
            problems.append(
                Problem(name, col, severity, check, k, n, _example_text(sample), what, fix)
            )
    if key and key in have:
        d = int(counts["__dup"] or 0)
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
                    _example_text(sample),
                    f"repeat an earlier {key} (each {key} must appear once)",
                    f"remove the repeated rows, or give each row its own {key}",
                )
            )

    keep = [c for c in t.columns]
    typed_table = staged.select(
        *[staged[f"__oa_{c}"].name(c) if c in typed else staged[c] for c in keep]
    )
    return PreparedTable(name, typed_table, problems)


# --------------------------------------------------------------------------------------------
# Checks across tables and the public entry point


def _cross_table_problems(src: Source, max_examples: int) -> list[Problem]:
    problems: list[Problem] = []
    if not src.has("users"):
        return problems
    users = src.table("users", validate=False).select("user_id", "registered_at")
    if src.has("events"):
        ev = src.table("events", validate=False)
        j = ev.join(users, ev.user_id == users.user_id)
        early = j.filter(j.event_time < j.registered_at)
        k = int(src.execute(early.count()))
        if k:
            n = int(src.execute(ev.count()))
            sample = src.execute(
                early.select("user_id", "event_time", "registered_at").limit(max_examples)
            )
            problems.append(
                Problem(
                    "events",
                    "event_time",
                    "warning",
                    "event_before_registration",
                    k,
                    n,
                    _example_text(sample),
                    "happen before the user's registered_at",
                    "check that registered_at and event_time are in the same time zone; "
                    "such events count towards activity but not towards the signup cohort",
                )
            )
    if src.has("orders"):
        od = src.table("orders", validate=False)
        missing = od.anti_join(users, od.user_id == users.user_id)
        k = int(src.execute(missing.count()))
        if k:
            n = int(src.execute(od.count()))
            sample = src.execute(missing.select("order_id", "user_id").limit(max_examples))
            problems.append(
                Problem(
                    "orders",
                    "user_id",
                    "warning",
                    "order_user_not_in_users",
                    k,
                    n,
                    _example_text(sample),
                    "belong to a user_id that is not in users",
                    "load the missing users, or map the same user key in both tables; "
                    "these orders count in revenue but not in per-channel figures",
                )
            )
    return problems


def validate(source: Any, **kwargs: Any) -> ValidationReport:
    """Check every table of a source against the data contract and return every problem.

    Parameters
    ----------
    source
        A :class:`~opsanalysis.source.Source`, or anything :func:`~opsanalysis.connect`
        accepts (then ``kwargs`` go to ``connect``).

    Returns
    -------
    ValidationReport
        ``.ok`` is False when any error was found; ``.problems`` lists errors and warnings.

    Notes
    -----
    Errors (loading the table raises): unknown table or column in the params mapping, missing
    required column, empty table, null ``user_id`` (and other required keys), unparseable or
    empty required timestamps, non-numeric, empty or negative amounts, duplicate ``order_id``,
    ``ticket_id``, ``content_id`` or users' ``user_id``.
    Warnings: timestamps in the future, events before the user's registration, orders from
    users missing in users.
    """
    from .source import Source, connect

    src = source if isinstance(source, Source) else connect(source, **kwargs)
    report = ValidationReport()
    for name in src.tables():
        prepared = src.prepare(name)
        report.problem_list.extend(prepared.problems)
    if report.ok:
        report.problem_list.extend(
            _cross_table_problems(src, src.params.raw["validation"]["max_examples"])
        )
    return report


def emit_warnings(problems: list[Problem]) -> None:
    for p in problems:
        if p.severity == "warning":
            warnings.warn(p.message, DataContractWarning, stacklevel=3)
