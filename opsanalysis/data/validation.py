"""Checking a whole source against the data contract, in the engine.

Each table is prepared and checked by :mod:`~opsanalysis.data.prepare` (one aggregate query of
counts, and small queries for a few example rows of the problems found); :func:`validate`
adds the checks across tables and returns a
:class:`~opsanalysis.data.problems.ValidationReport`. Loading a table (``Source.table``) raises
:class:`~opsanalysis.exceptions.DataContractError` on the first error instead.
"""

from __future__ import annotations

from typing import Any

from .problems import Problem, ValidationReport, example_text, schema_problem
from .source import Source, connect

__all__ = ["validate"]


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
                    example_text(sample),
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
                    example_text(sample),
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
    src = source if isinstance(source, Source) else connect(source, **kwargs)
    report = ValidationReport()
    for name, physical in (src.params.raw.get("tables") or {}).items():
        if not src.has(name):  # the params name a table the source does not have
            report.problem_list.append(
                schema_problem(
                    name,
                    None,
                    "mapped_table_absent",
                    f"is mapped by params tables.{name} onto {physical!r}, which the source "
                    f"does not have (it has: {', '.join(src.tables()) or 'no table'})",
                    f"name the table as the source spells it in params tables.{name}, or "
                    "remove the entry",
                )
            )
    for name in src.tables():
        prepared = src.prepare(name)
        report.problem_list.extend(prepared.problems)
    for name in src.tables():
        if not any(p.severity == "error" for p in src.prepare(name).problems):
            mismatch = src.user_id_type_problem(name)
            if mismatch is not None:
                report.problem_list.append(mismatch)
    if report.ok:
        report.problem_list.extend(_cross_table_problems(src, src.params.max_examples))
    return report
