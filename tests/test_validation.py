"""The bad-input corpus (tests/bad_inputs/<case>/) and the validation report.

Each case folder holds the table files of a small source and case.yaml: the table to load,
the params (if any), the expected check code and severity, and the exact message.
"""

from __future__ import annotations

import re
import warnings
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
    case["message"] = case["message"].replace("{source}", str(CORPUS / name))
    return case


def test_corpus_is_complete():
    assert len(CASES) >= 17
    for name in CASES:
        assert "message" in _case(name), name


@pytest.mark.parametrize("name", CASES)
def test_bad_input_message(name):
    case = _case(name)
    folder = str(CORPUS / name)
    expected = "^" + re.escape(case["message"]) + "$"
    if "raises_on_connect" in case:
        with pytest.raises(getattr(exceptions, case["raises_on_connect"]), match=expected):
            oa.connect(folder, params=case.get("params"))
        return
    src = oa.connect(folder, params=case.get("params"))
    if "raises_on_load" in case:
        with pytest.raises(getattr(exceptions, case["raises_on_load"]), match=expected):
            src.table(case["table"])
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
            if case["check"] == "future_timestamp":  # per-table warnings come on load
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
    assert oa.period_kpis(src, "2025-W47") == {"active_users": 2.0, "dau_avg": 2 / 7}


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
