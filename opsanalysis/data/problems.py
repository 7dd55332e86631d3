"""Problems found in the data: one record per finding, a report of them, and the error raised.

A :class:`Problem` says what is wrong, in which table and column, in how many rows, with a
few example keys, and how to fix it; :class:`ValidationReport` lists them as a tidy table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..exceptions import DataContractError

__all__ = ["DataContractWarning", "ValidationReport"]

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


def schema_problem(table: str, column: str | None, check: str, what: str, fix: str) -> Problem:
    """A problem of the schema or of the whole table (no rows to count)."""
    return Problem(table, column, "error", check, 0, 0, "", what, fix)


def _fmt(v: Any) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "null"
    if isinstance(v, float):  # ids and amounts as the data has them: 1234567, 129.9
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, pd.Timestamp):
        return str(v)
    return repr(v) if isinstance(v, str) else str(v)


def example_text(df: pd.DataFrame) -> str:
    """A few offending rows as ``col=value`` pairs for a message."""
    parts = []
    for _, row in df.iterrows():
        parts.append(", ".join(f"{k}={_fmt(v)}" for k, v in row.items()))
    return "; ".join(parts)


def user_id_mismatch(name: str, mine: Any, users: Any) -> Problem | None:
    """``user_id`` is text in table ``name`` and a number in users, or the other way round:
    no row would ever match, and every per-user figure would be silently 0."""
    if "user_id" not in mine.columns or "user_id" not in users.columns:
        return None
    a, b = mine.user_id.type(), users.user_id.type()
    if a.is_string() == b.is_string():
        return None

    def kind(t: Any) -> str:
        return f"text ({t})" if t.is_string() else f"numbers ({t})"

    return schema_problem(
        name,
        "user_id",
        "user_id_type_mismatch",
        f"holds {kind(a)} but users.user_id holds {kind(b)}, so no row would match a user",
        "give user_id one type in every table (export it as text everywhere, or as "
        "numbers everywhere)",
    )
