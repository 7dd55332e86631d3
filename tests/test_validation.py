"""The bad-input corpus (tests/bad_inputs/<case>/) and the validation report.

Each case folder holds the files of a small source and case.yaml, which says how the input
is given and what answer it must get:

- the source: the folder itself (default), ``target:`` a file in it, or ``frames:`` tables
  as column lists (given to ``oa.connect`` as DataFrames); ``params:`` if any; ``setup:``
  names a fixture below (``lock_duckdb``).
- the answer: ``raises_on_connect`` / ``raises_on_load`` (an exception class of
  :mod:`opsanalysis.exceptions` and the exact ``message``); ``check`` + ``severity`` (found by
  ``oa.validate``, and raised or warned on load); ``call`` (a library function of ``oa`` with
  ``args``/``kwargs``, first argument the source) that ``raises`` or ``warns``; ``cli`` (the
  command's arguments, ``{case}`` standing for the case folder) that exits 2 with
  ``opsanalysis: error: <message>``; or ``expect`` (a bad-looking input that is read right:
  a table column's values).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml

import opsanalysis as oa
from opsanalysis import exceptions

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").exists())


def _case(name: str) -> dict:
    case = yaml.safe_load((CORPUS / name / "case.yaml").read_text(encoding="utf-8"))
    if "message" in case:
        case["message"] = case["message"].replace("{source}", str(CORPUS / name))
    return case


def test_corpus_is_complete():
    print(f"bad-input corpus: {len(CASES)} cases")
    assert len(CASES) >= 60
    for name in CASES:
        case = _case(name)
        assert "message" in case or "expect" in case, name


@contextmanager
def _lock_duckdb(folder: Path):
    """A writer in another process holds the DuckDB file open."""
    db = folder / "locked.duckdb"
    code = (
        "import duckdb, sys, time\n"
        f"c = duckdb.connect({str(db)!r})\n"
        "c.execute('CREATE OR REPLACE TABLE users AS SELECT 1 AS user_id, "
        "TIMESTAMP \\'2025-11-17 10:00\\' AS registered_at')\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield
    finally:
        proc.kill()
        proc.wait()
        time.sleep(0.1)
        db.unlink(missing_ok=True)
        Path(f"{db}.wal").unlink(missing_ok=True)


SETUPS = {"lock_duckdb": _lock_duckdb}


def _source(case: dict, folder: Path):
    if "frames" in case:
        frames = {t: pd.DataFrame(cols) for t, cols in case["frames"].items()}
        return oa.connect(params=case.get("params"), **frames)
    target = str(folder / case["target"]) if "target" in case else str(folder)
    return oa.connect(target, params=case.get("params"))


@pytest.mark.parametrize("name", CASES)
def test_bad_input_message(name, tmp_path):
    case = _case(name)
    folder = CORPUS / name
    expected = "^" + re.escape(case.get("message", "")) + "$"
    if "setup" in case:
        with SETUPS[case["setup"]](folder):
            _answer(case, folder, expected, tmp_path)
    else:
        _answer(case, folder, expected, tmp_path)


def _answer(case: dict, folder: Path, expected: str, tmp_path: Path) -> None:
    if "cli" in case:
        args = [
            a.replace("{case}", str(folder)).replace("{tmp}", str(tmp_path)) for a in case["cli"]
        ]
        (tmp_path / "a_file").write_text("not a folder")
        proc = subprocess.run(
            [sys.executable, "-m", "opsanalysis", *args],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[1],
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.splitlines()[-1] == f"opsanalysis: error: {case['message']}"
        assert "Traceback" not in proc.stderr
        return
    if "raises_on_connect" in case:
        with pytest.raises(getattr(exceptions, case["raises_on_connect"]), match=expected):
            _source(case, folder).table(case["table"]) if "table" in case else _source(case, folder)
        return
    src = _source(case, folder)
    if "raises_on_load" in case:
        with pytest.raises(getattr(exceptions, case["raises_on_load"]), match=expected):
            src.table(case["table"])
        return
    if "call" in case:
        call = case["call"]
        fn = getattr(oa, call["function"])
        run = lambda: fn(src, *call.get("args", []), **call.get("kwargs", {}))  # noqa: E731
        if "raises" in call:
            with pytest.raises(getattr(exceptions, call["raises"]), match=expected):
                run()
        else:
            with pytest.warns(getattr(oa, call["warns"]), match=expected):
                run()
        return
    if "expect" in case:
        exp = case["expect"]
        report = oa.validate(src)
        assert report.ok, report
        got = src.execute(src.table(exp["table"]))[exp["column"]]
        assert [str(v) for v in got] == [str(v) for v in exp["values"]]
        return
    report = oa.validate(src)
    found = report.problems
    row = found[found["check"] == case["check"]]
    assert len(row) == 1, report
    assert row["severity"].iloc[0] == case["severity"]
    assert row["message"].iloc[0] == case["message"]
    if case["severity"] == "error":
        assert not report.ok
        with pytest.raises(exceptions.DataContractError, match=expected):
            src.table(case["table"])
    else:
        assert report.ok
        with warnings.catch_warnings():
            warnings.simplefilter("error", oa.DataContractWarning)
            if case.get("warns_on_load", case["check"] == "future_timestamp"):
                with pytest.raises(oa.DataContractWarning, match=expected):
                    src.table(case["table"])
            else:  # cross-table warnings come from validate() only
                src.table(case["table"])


def test_error_is_a_value_error_and_counts_more_problems():
    orders = pd.DataFrame(
        {
            "order_id": ["a", "a"],
            "user_id": [1, None],
            "order_time": ["2025-11-17", "2025-11-18"],
            "amount": [-1.0, 2.0],
        }
    )
    src = oa.connect(orders=orders)
    with pytest.raises(ValueError, match=r"\(2 more problem\(s\) in this table: run oa.validate"):
        src.table("orders")
    report = oa.validate(src)
    assert sorted(report.problems["check"]) == [
        "duplicate_order_id",
        "negative_amount",
        "null_user_id",
    ]
    assert list(report.problems.columns) == [
        "table",
        "column",
        "severity",
        "check",
        "rows",
        "total_rows",
        "examples",
        "message",
    ]
    assert report.problems["rows"].tolist() == [1, 1, 1]
    assert "3 error(s), 0 warning(s)" in str(report)
    with pytest.raises(exceptions.DataContractError):
        report.raise_for_errors()
    # validation can be switched off: the typed table is then returned as it is
    assert (
        oa.connect(orders=orders, params={"validation": {"on_load": False}})
        .table("orders")
        .count()
        .execute()
        == 2
    )


def test_clean_source_has_no_problems(tiny_demo):
    report = oa.validate(oa.connect(str(tiny_demo)))
    assert report.ok and report.problems.empty
    assert str(report) == "No problems found."


def test_column_mapping_renames_onto_the_contract():
    events = pd.DataFrame(
        {"uid": [1, 2], "ts": ["2025-11-17 10:00", "2025-11-18 10:00"], "action": ["open", "open"]}
    )
    src = oa.connect(
        events=events,
        params={"columns": {"events": {"uid": "user_id", "ts": "event_time", "action": "event"}}},
    )
    t = src.table("events")
    assert t.columns == ("user_id", "event_time", "event")
    assert str(t.event_time.type()) == "timestamp"
    # the data ends on Tuesday 18th: the week to date has 2 days, each with one active user
    assert oa.period_kpis(src, "2025-W47") == {"active_users": 2.0, "dau_avg": 1.0}


def test_missing_column_suggests_a_close_name():
    users = pd.DataFrame({"user_id": [1], "registerd_at": ["2025-11-17"]})
    with pytest.raises(exceptions.DataContractError, match="Did you mean 'registerd_at'"):
        oa.connect(users=users).table("users")


def test_physical_table_names_from_params(tmp_path):
    pd.DataFrame({"user_id": [1], "registered_at": ["2025-11-17 10:00"]}).to_csv(
        tmp_path / "crm_users.csv", index=False
    )
    src = oa.connect(str(tmp_path), params={"tables": {"users": "crm_users"}})
    assert src.tables() == ["users"]
    assert src.table("users").count().execute() == 1


@pytest.mark.parametrize("bad", [False, True])
def test_screened_checks_find_what_counting_every_check_finds(bad):
    """DuckDB first asks each check's count/min/max bound; the problems are the same."""
    from opsanalysis.data.prepare import prepare_table

    times = ["2025-11-17 10:00", "2025-11-18 10:00", "2025-11-19 10:00"]
    amounts = [10.0, 20.0, 30.0]
    if bad:  # a missing time, one from 1970, one in the future, a negative amount
        times = [None, "1970-01-01 00:00", "2099-01-01 00:00"]
        amounts = [10.0, -5.0, 30.0]
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3],
            "user_id": [7, 8, 9],
            "order_time": pd.to_datetime(times),
            "amount": amounts,
            "status": ["paid"] * 3,
        }
    )
    src = oa.connect(orders=orders)
    mapping = {c: c for c in orders.columns}

    def found(screen: bool) -> list[tuple]:
        prepared = prepare_table(
            "orders",
            src.raw("orders"),
            mapping=mapping,
            execute=src.execute,
            timezone="UTC",
            screen=screen,
        )
        return [(p.column, p.check, p.rows) for p in prepared.problems]

    assert found(True) == found(False)
    expected = [
        ("order_time", "null_timestamp", 1),
        ("order_time", "implausible_timestamp", 1),
        ("order_time", "future_timestamp", 1),
        ("amount", "negative_amount", 1),
    ]
    assert sorted(found(True)) == (sorted(expected) if bad else [])


def test_validate_refuses_a_params_table_name_the_source_lacks(tiny_demo, capsys):
    # validate used to say "No problems found" and the report then failed on the table
    src = oa.connect(str(tiny_demo), params={"tables": {"orders": "sales"}})
    report = oa.validate(src)
    assert not report.ok
    row = report.problems.set_index("check").loc["mapped_table_absent"]
    assert row["table"] == "orders" and row["severity"] == "error"
    assert "params tables.orders onto 'sales', which the source does not have" in row["message"]


def test_duckdb_sessions_install_and_load_nothing_from_the_network(tiny_demo, tmp_path):
    pd.DataFrame({"user_id": [1], "registered_at": ["2025-11-17"]}).to_csv(
        tmp_path / "users.csv", index=False
    )
    for target in (str(tiny_demo), str(tmp_path), f"duckdb:///{tiny_demo}"):
        got = oa.connect(target).backend.raw_sql(
            "SELECT current_setting('autoinstall_known_extensions'), "
            "current_setting('autoload_known_extensions')"
        )
        assert got.fetchall() == [(False, False)], target
