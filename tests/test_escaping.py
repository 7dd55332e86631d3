"""Reports are HTML: every string from data or params is escaped where it enters the page."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest
import yaml
from conftest import URL

from opsanalysis.cli import main
from opsanalysis.report.render import find_project_file, safe_file_name

pytestmark = pytest.mark.slow

PAYLOADS = {
    "channel": "<img src=x onerror=alert(1)>",
    "variant": "<img src=x onerror=alert(2)>",
    "experiment": "<script>alert(3)</script>",
    "title": "<img src=x onerror=alert(4)>",
    "company": "<script>alert(5)</script>",
    "segment": "<img src=x onerror=alert(6)>",
    "content": "<img src=x onerror=alert(7)>",
}
# a live payload: a tag that would run, as opposed to its escaped text
LIVE = re.compile(r"<img src=x onerror|<script>alert", re.IGNORECASE)


@pytest.fixture(scope="module")
def hostile(tiny_demo, tmp_path_factory):
    """The tiny demo with payloads in channel, variant and experiment id, and params with
    payloads in the title, the company and a segment label."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "demo.duckdb"
    shutil.copy(tiny_demo, db)
    con = duckdb.connect(str(db))
    con.execute("update users set channel = ? where channel = 'referral'", [PAYLOADS["channel"]])
    con.execute(
        "update assignments set variant = ? where experiment_id = 'exp_push_time' "
        "and variant = 'treatment'",
        [PAYLOADS["variant"]],
    )
    con.execute(
        "update assignments set experiment_id = ? where experiment_id = 'exp_onboarding'",
        [PAYLOADS["experiment"]],
    )
    # the weekly report's top content shows titles
    con.execute("update content set title = ?", [PAYLOADS["content"]])
    con.close()
    params = yaml.safe_load(find_project_file("params", "weekly.yaml").read_text())
    params["report"] = {"title": PAYLOADS["title"], "company": PAYLOADS["company"]}
    params["rfm"] = {
        "segments": {"rfm8": {"important_value": {"en": PAYLOADS["segment"], "zh": "x"}}}
    }
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True))
    del params["events"]  # the experiment readout's params: the same payloads, no splits
    (folder / "experiment.yaml").write_text(yaml.safe_dump(params, allow_unicode=True))
    return db, path, folder / "out"


def _assert_escaped(page: str, *keys: str) -> None:
    assert not LIVE.search(page), LIVE.search(page)
    assert not URL.search(page), URL.search(page)  # every report opens offline
    for key in keys:
        shown = PAYLOADS[key].replace("<", "&lt;").replace(">", "&gt;")
        assert shown in page, f"the {key} payload does not reach the page escaped"


def test_weekly_report_escapes_params_and_data(hostile):
    db, params, out = hostile
    args = ["report", "weekly", "--source", str(db), "--params", str(params), "--out", str(out)]
    assert main(args) == 0
    page = (out / "weekly" / "2025-W47.html").read_text(encoding="utf-8")
    _assert_escaped(page, "title", "company", "channel", "experiment", "segment", "content")


def test_experiment_readout_escapes_variant_names(hostile):
    db, params, out = hostile
    plain = params.parent / "experiment.yaml"  # the weekly params: no expected splits
    args = ["report", "experiment", "--experiment", "exp_push_time", "--source", str(db)]
    assert main([*args, "--params", str(plain), "--out", str(out)]) == 0
    page = (out / "experiment" / "exp_push_time.html").read_text(encoding="utf-8")
    _assert_escaped(page, "variant")


def test_rfm_report_escapes_segment_labels(hostile):
    db, params, out = hostile
    args = ["report", "rfm", "--source", str(db), "--params", str(params), "--out", str(out)]
    assert main(args) == 0
    page = (out / "rfm" / "2025-W47.html").read_text(encoding="utf-8")
    _assert_escaped(page, "title", "company", "segment")


def test_experiment_readout_escapes_the_experiment_id(hostile):
    db, params, out = hostile
    plain = params.parent / "experiment.yaml"
    args = ["report", "experiment", "--experiment", PAYLOADS["experiment"], "--source", str(db)]
    assert main([*args, "--params", str(plain), "--out", str(out)]) == 0
    written = list((out / "experiment").glob("_script_alert*"))
    assert len(written) == 1 and written[0].parent == out / "experiment"
    _assert_escaped(written[0].read_text(encoding="utf-8"), "experiment", "title")


def test_experiment_ids_never_leave_the_output_folder(tmp_path):
    assert safe_file_name("../escaped") == "_.._escaped"
    assert "/" not in safe_file_name("a/../../b") and not safe_file_name("..").startswith(".")
