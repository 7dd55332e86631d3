import pytest

from opsanalysis.data.params import DEFAULTS, load_params
from opsanalysis.exceptions import ParamsError
from opsanalysis.report.render import find_project_file


def test_defaults():
    p = load_params(None)
    assert p.language == "en" and p.timezone == "Asia/Shanghai"
    assert p.active_events is None and p.paid_statuses == ["paid"]
    assert p.alert_pct_change == 0.15 and p.targets == {}
    assert p.physical_table("events") == "events" and p.column_mapping("events") == {}
    assert DEFAULTS["language"] == "en"  # merging never mutates the defaults


def test_shipped_weekly_params_load():
    p = load_params(find_project_file("params", "weekly.yaml"))
    assert p.source == "data/demo.duckdb"
    assert p.conversion_steps == ["view_product", "add_to_cart", "submit_order", "pay_order"]
    assert p.targets["new_users"] > 0


def test_nested_merge_keeps_sibling_defaults():
    p = load_params({"events": {"active": ["open"]}, "columns": {"events": {"uid": "user_id"}}})
    assert p.active_events == ["open"] and p.conversion_steps == []
    assert p.column_mapping("events") == {"uid": "user_id"}


@pytest.mark.parametrize(
    ("given", "match"),
    [
        (
            {"langauge": "zh"},
            r"Unknown params key 'langauge'. Known keys here: activity, alerts, channels",
        ),
        ({"events": {"activ": []}}, r"Unknown params key 'events.activ'"),
        ({"language": "fr"}, r"language='fr' is not allowed; choose one of 'en', 'zh'"),
        (
            {"timezone": "Mars/Olympus"},
            r"timezone='Mars/Olympus' in params is not an IANA time zone",
        ),
        (
            {"tables": {"event": "x"}},
            r"tables: 'event' in params is not a table of the data contract",
        ),
        ({"columns": {"events": ["uid"]}}, r"columns.events in params must map your column names"),
        (
            {"alerts": {"pct_change": -1}},
            r"alerts.pct_change in params must be a positive fraction",
        ),
        (
            {"targets": {"revenue": "lots"}},
            r"targets.revenue in params must be a positive finite number",
        ),
        ({"memory_limit": "lots"}, r"memory_limit='lots' in params is not a size; write it as"),
    ],
)
def test_bad_params(given, match):
    with pytest.raises(ParamsError, match=match):
        load_params(given)


def test_bad_files(tmp_path):
    with pytest.raises(ParamsError, match="does not exist; pass the path of a YAML file"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: [en\n")
    with pytest.raises(ParamsError, match="is not valid YAML"):
        load_params(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n- b\n")
    with pytest.raises(ParamsError, match="must hold a mapping"):
        load_params(lst)
    good = tmp_path / "good.yaml"
    good.write_text("language: zh\n")
    assert load_params(good).path == str(good)


def test_memory_limit_reaches_duckdb():
    import pandas as pd

    import opsanalysis as oa

    users = pd.DataFrame({"user_id": [1], "registered_at": ["2025-11-17"]})

    def setting(**params):
        src = oa.connect(users=users, params=params)
        return src.backend.raw_sql("SELECT current_setting('memory_limit')").fetchall()[0][0]

    assert setting() == "953.6 MiB"  # the default 1GB (10^9 bytes, shown in MiB)
    assert setting(memory_limit="512MB") == "488.2 MiB"
    assert setting(memory_limit=None) != "953.6 MiB"  # DuckDB's own: 80% of the machine
