"""The weekly report notebook executed end to end on a tiny demo warehouse."""

from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import URL

import opsanalysis as oa
from opsanalysis.cli import main
from opsanalysis.report.labels import format_pct, format_value
from opsanalysis.report.render import find_project_file, render

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def weekly_html(tiny_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    assert main(["report", "weekly", "--source", str(tiny_demo), "--out", str(out)]) == 0
    return out / "weekly" / "2025-W47.html"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


WEEKLY_SECTIONS = [
    "Overview",
    "Growth and activity",
    "Content",
    "Conversion and ROI",
    "Value layers",
    "Problems and findings",
    "Next week",
    "About the data",
]


def _h2(page: str) -> list[str]:
    return [_text(h).strip() for h in re.findall(r"<h2 id=[^>]*>(.*?)</h2>", page, re.S)]


def test_weekly_report_sections_in_the_ops_order(weekly_html):
    page = weekly_html.read_text(encoding="utf-8")
    assert _h2(page) == WEEKLY_SECTIONS
    text = _text(page)
    text = text[text.index("Data coverage") :]  # past the table of contents
    parts = [
        "Data coverage",
        "KPI scorecard",
        "New users by channel",
        "Channel quality",
        "Content (items",
        "Conversion funnel",
        "Register → activate → first order",
        "Conversion by touchpoint",
        "Campaign cost and return",
        "Service levels",
        "Experiments",
        "Layer sizes against last period",
        "Problems and findings",
    ]
    at = [text.index(p) for p in parts]
    assert at == sorted(at)  # each part inside its section, in the documents' order


def test_weekly_scorecard_is_kpi_monitor(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    params = find_project_file("params", "weekly.yaml")
    src = oa.connect(str(tiny_demo), params=str(params))
    monitor = oa.kpi_monitor(src, period="2025-W47")
    assert len(monitor) == 13
    from opsanalysis.report.findings_text import usual_range
    from opsanalysis.report.labels import WORDS, metric_label

    for r in monitor.to_dict("records"):
        row = " ".join(
            [
                metric_label(r["metric"], "en", "week"),
                format_value(r["metric"], r["value"]),
                format_value(r["metric"], r["previous"]),
                format_pct(r["change"]),
                format_value(r["metric"], r["target"]),
                "–" if r["completion"] != r["completion"] else f"{r['completion']:.0%}",
                usual_range(r["metric"], r["low"], r["high"]),
                WORDS[r["status"]]["en"],
            ]
        )
        assert row in text, row  # the whole row, cell by cell, as kpi_monitor computed it
    assert "Weekly user-operations report" in text and "2025-W47" in text
    assert "2025-11-17 – 2025-11-23" in text


def test_weekly_report_value_layers_section(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    src = oa.connect(str(tiny_demo))
    layers = oa.rfm_layers(src, as_of="2025-11-23", scheme="rfm8")
    summary = oa.segment_summary(layers, "rfm8")
    assert "Value layers" in text and "Layer migration since last period" in text
    for row in summary.itertuples():
        assert f"{row.label} {row.users:,} " in text, row.label  # label and users side by side
    for sentence in oa.segment_findings(summary):
        assert sentence in text
    migration = oa.segment_migration(src, "2025-11-16", "2025-11-23", "rfm8")
    labels = {code: v["en"] for code, v in src.params.rfm["segments"]["rfm8"].items()}
    for sentence in oa.migration_findings(migration, labels, since="2025-W46"):
        assert sentence in text
    assert "VIP treatment" in text  # recommended actions are shown


def test_rfm_report_with_lists(tiny_demo, tmp_path):
    out, lists = tmp_path / "out", tmp_path / "lists"
    assert (
        main(
            [
                "report",
                "rfm",
                "--source",
                str(tiny_demo),
                "--out",
                str(out),
                "--export-dir",
                str(lists),
            ]
        )
        == 0
    )
    html = (out / "rfm" / "2025-W47.html").read_text(encoding="utf-8")
    text = _text(html)
    for title in (
        "RFM value layering",
        "Score distribution",
        "Eight RFM classes",
        "Recency x frequency segments",
        "Value tiers",
        "Value x activity quadrants",
        "User lists for campaigns",
    ):
        assert title in text
    src = oa.connect(str(tiny_demo))
    layers = oa.rfm_layers(src, as_of="2025-11-23", scheme="rfm8")
    for seg in ("important_retain", "important_winback"):
        written = pd.read_csv(lists / f"{seg}.csv")
        expected = layers.loc[layers.segment == seg, "user_id"].tolist()
        assert written["user_id"].tolist() == expected and len(expected) > 0
        assert f"→ {seg}.csv" in text and str(lists) not in text  # the file, never its path
    # the lists' user ids never reach the HTML
    ids = pd.read_csv(lists / "important_retain.csv")["user_id"].astype(str)
    table_text = re.sub(r"data:image/png;base64,[^\"']+", "", html)
    assert not any(re.search(rf"user_id\D{{0,5}}{i}\b", table_text) for i in ids)
    assert (
        main(
            [
                "report",
                "quarterly",  # the review writes no lists
                "--source",
                str(tiny_demo),
                "--out",
                str(out),
                "--export-dir",
                str(lists),
            ]
        )
        == 2
    )


def test_weekly_report_activity_section(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    assert "Activity and lifecycle" in text and "When users are active" in text
    tiers = oa.activity_tiers(oa.connect(str(tiny_demo)), start="2025-11-17", end="2025-11-23")
    high = tiers[tiers.tier == "high"].iloc[0]
    assert f"High activity (4+ active days): {high.users:,} ({high.share:.1%})" in text


def test_weekly_report_reactivation_and_channels(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    src = oa.connect(str(tiny_demo))
    react = oa.reactivation(src, start="2025-09-29", end="2025-11-23")
    for sentence in oa.reactivation_findings(react):
        assert sentence in text
    risk = oa.at_risk_users(src, as_of="2025-11-23")
    assert f"{len(risk):,} users show churn warning signs" in text
    assert not any(f"user_id {u}" in text for u in risk["user_id"])
    quality = oa.channel_quality(src, start="2025-09-22", end="2025-10-19", until="2025-11-23")
    assert "Channel quality (signups 2025-09-22 to 2025-10-19, 30-day outcomes)" in text
    for r in quality.itertuples():
        assert f"{r.channel} {r.new_users:,} {r.d1_retention:.1%} {r.d7_retention:.1%}" in text


def test_weekly_report_funnel(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    f = oa.funnel(
        oa.connect(str(tiny_demo)),
        ["view_product", "add_to_cart", "submit_order", "pay_order"],
        start="2025-11-17",
        end="2025-11-23",
    )
    assert "Conversion funnel" in text
    for r in f.itertuples():
        assert f"{r.step} {r.event} {r.users:,} {r.conversion_from_first:.1%}" in text


def test_weekly_report_retention_sections(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    assert "Weekly cohort retention" in text and "New-user retention by channel" in text
    src = oa.connect(str(tiny_demo))
    nu = oa.new_user_retention(
        src, period="week", start="2025-10-13", end="2025-11-23", by="channel"
    )
    summary = oa.summarise_new_user_retention(nu, "channel")
    for channel, part in summary.groupby("channel"):
        d1 = part.set_index("day").loc[1]
        assert f"{channel} {int(d1.new_users):,} {d1.retention:.1%}" in text


def test_weekly_report_lists_experiments(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    overview = oa.with_verdicts(
        oa.experiment_overview(oa.connect(str(tiny_demo)), end="2025-11-23")
    )
    assert "Experiments" in text and len(overview) == 3
    for row in overview.itertuples():
        assert f"{row.experiment_id} {row.status} {row.users:,} {row.verdict}" in text


def test_experiment_readout(tiny_demo, tmp_path):
    assert (
        main(
            [
                "report",
                "experiment",
                "--experiment",
                "exp_push_time",
                "--source",
                str(tiny_demo),
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    text = _text((tmp_path / "experiment" / "exp_push_time.html").read_text(encoding="utf-8"))
    results = oa.with_verdicts(oa.experiment_results(oa.connect(str(tiny_demo)), "exp_push_time"))
    for verdict in oa.primary_results(results)["verdict"]:
        assert verdict in text
    assert "A/B test readout: exp_push_time" in text and "Sample-ratio test p =" in text
    assert "Bayesian: chance to beat" in text
    assert main(["report", "experiment", "--source", str(tiny_demo), "--out", str(tmp_path)]) == 2
    assert (
        main(
            [
                "report",
                "weekly",
                "--experiment",
                "x",
                "--source",
                str(tiny_demo),
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )


def test_weekly_report_hides_code_and_embeds_images(weekly_html):
    html = weekly_html.read_text(encoding="utf-8")
    assert "import opsanalysis" not in html and "oa.kpi_overview" not in html
    assert "data:image/png;base64," in html
    assert 'src="http' not in html.split("<body", 1)[1].split("<script", 1)[0]
    assert not list(weekly_html.parent.glob(".*.tmp"))


def test_render_rejects_unknown_parameters(tmp_path):
    nb = find_project_file("notebooks", "weekly_report.ipynb")
    with pytest.raises(
        oa.ReportError,
        match=r"has no parameter\(s\) perid; it declares period, "
        r"params_file, source",
    ):
        render(nb, tmp_path / "x.html", parameters={"perid": "2025-W47"})
    assert not (tmp_path / "x.html").exists()


def test_render_reports_the_failing_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("x: int = 1")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [
        p,
        # ids are made at run time, so only outputs (not the code) can hold them
        nbformat.v4.new_code_cell("uid = 'U-' + 'SECRET-' + str(x); print(uid)"),
        nbformat.v4.new_code_cell(
            "raise ValueError(f\"Table 'orders', column 'amount': 1 of 3 rows are negative "
            "(e.g. order_id='o2', user_id={uid!r}, amount=-1). Fix: drop them.\")"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out" / "bad.html"
    out.parent.mkdir()
    out.write_text("last week's good report")
    # left behind by a render killed with kill -9 (process 999999 does not exist)
    stale = out.parent / ".bad.html.999999.abc123.tmp"
    stale.write_text("partial")
    with pytest.raises(oa.ReportError, match=r"failed in cell 4 \(ValueError: Table 'orders'"):
        render(path, out, parameters={"x": 1}, cwd=tmp_path)
    assert out.read_text() == "last week's good report"  # the previous report survives
    assert not stale.exists()  # cleaned up by the next render
    # the run is kept outside the published folder, without data: no output but the error,
    # and the error without its example rows
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_failed", "bad.html"]
    kept = (tmp_path / "out" / "_failed" / "bad.ipynb").read_text()
    assert "U-SECRET" not in kept and "examples removed" in kept and "Fix: drop them" in kept
    txt = (tmp_path / "out" / "_failed" / "bad.txt").read_text()
    assert txt.startswith("ValueError: Table 'orders'") and "U-SECRET" not in txt


@pytest.mark.parametrize(
    "name",
    [
        "weekly_report.ipynb",
        "monthly_report.ipynb",
        "quarterly_review.ipynb",
        "rfm_layering.ipynb",
        "experiment_readout.ipynb",
    ],
)
def test_notebook_is_thin_and_committed_clean(name):
    nb = json.loads(find_project_file("notebooks", name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"]["tags"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    for c in code[1:]:  # each cell is a few library calls, no business logic
        assert len([ln for ln in "".join(c["source"]).splitlines() if ln.strip()]) <= 6
        assert "def " not in "".join(c["source"]) and "groupby" not in "".join(c["source"])


def test_report_cli_rejects_a_missing_source(tmp_path, capsys):
    assert (
        main(
            ["report", "weekly", "--source", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_charts_survive_an_agg_backend(tiny_demo, tmp_path, monkeypatch):
    # cron jobs and CI servers often set MPLBACKEND=Agg, which used to drop every chart
    monkeypatch.setenv("MPLBACKEND", "Agg")
    args = ["report", "experiment", "--experiment", "exp_push_time", "--source", str(tiny_demo)]
    assert main([*args, "--out", str(tmp_path)]) == 0
    page = (tmp_path / "experiment" / "exp_push_time.html").read_text(encoding="utf-8")
    assert page.count("<img") >= 1  # the forest plot


def test_weekly_report_without_optional_tables_says_what_is_missing(tiny_demo, tmp_path):
    # a source with users and events only: the value layers, migration and experiment
    # sections say which table they need; the report still renders
    import duckdb

    folder = tmp_path / "src"
    folder.mkdir()
    con = duckdb.connect(str(tiny_demo), read_only=True)
    for name in ("users", "events", "spend"):
        con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet)")
    con.close()
    out = tmp_path / "out"
    assert main(["report", "weekly", "--source", str(folder), "--out", str(out)]) == 0
    text = _text((out / "weekly" / "2025-W47.html").read_text(encoding="utf-8"))
    missing = "Not shown: this section needs the"
    # the new-user funnel, touchpoints, campaign returns, value layers, layer sizes, migration
    # and lists need orders; experiments, service levels and content their own tables
    assert text.count(f"{missing} orders table") == 7
    for table in ("assignments", "tickets", "content"):
        assert text.count(f"{missing} {table} table") == 1, table
    assert text.count(missing) == 10
    assert "Not shown for lack of data (each section says what it needs)" in text
    assert "Conversion funnel" in text and "Traceback" not in text


def test_weekly_report_loads_nothing_from_the_network(weekly_html):
    page = weekly_html.read_text(encoding="utf-8")
    assert not URL.search(page), URL.search(page)
    assert "<script" not in page  # no require.js, MathJax, mermaid or widget manager
    assert page.count("data:image/png;base64,") >= 4  # the charts are inside the file


def test_weekly_report_has_contents_and_a_provenance_stamp(weekly_html, tiny_demo):
    page = weekly_html.read_text(encoding="utf-8")
    targets = re.findall(r"<li><a href='#(oa-[\w-]+)'>", page)
    assert len(targets) == len(WEEKLY_SECTIONS)
    ids = set(re.findall(r"<h2 id=\"(oa-[\w-]+)\"|<h2 id='(oa-[\w-]+)'", page))
    ids = {a or b for a, b in ids}
    assert set(targets) == ids  # every link resolves, every section is listed
    stamp = _text(page[page.index("oa-stamp-field") - 40 :])
    for field in ("Period 2025-W47", "Version opsanalysis", "Params hash", "Data fingerprint"):
        assert field in stamp
    assert "Source DuckDB file demo.duckdb" in stamp and "events" in stamp
    assert str(tiny_demo.parent) not in page  # never a path
    # the fingerprint is a hash of the tables' rows and latest times: the same data, the same
    from opsanalysis.report.stamp import data_fingerprint

    _, fingerprint = data_fingerprint(oa.connect(str(tiny_demo)))
    assert f"Data fingerprint</b> {fingerprint}" in page


def test_explore_notebook_runs_on_the_demo(tiny_demo, tmp_path):
    import papermill as pm

    nb = find_project_file("notebooks", "explore.ipynb")
    pm.execute_notebook(
        str(nb),
        str(tmp_path / "explore.ipynb"),
        parameters={"source": str(tiny_demo)},
        cwd=str(nb.parents[1]),
        progress_bar=False,
    )
    done = nbformat.read(tmp_path / "explore.ipynb", as_version=4)
    errors = [o for c in done.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    code = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] for c in code)  # committed without outputs


def test_rfm_lists_go_beside_the_report_and_are_linked(tiny_demo, tmp_path):
    out = tmp_path / "out"
    assert main(["report", "rfm", "--source", str(tiny_demo), "--out", str(out)]) == 0
    page = (out / "rfm" / "2025-W47.html").read_text(encoding="utf-8")
    links = re.findall(r"<a href=[\"'](2025-W47-lists/[\w.-]+\.csv)[\"']>", page)
    assert len(links) >= 2
    for link in links:
        assert (out / "rfm" / link).exists()  # the link resolves from the report's folder
    assert str(tmp_path) not in page


def test_chinese_weekly_report_is_complete_offline_and_stamped(tiny_demo, tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "Agg"}  # as cron jobs and CI servers set it
    cmd = [sys.executable, "-m", "opsanalysis", "report", "weekly", "--language", "zh"]
    subprocess.run([*cmd, "--source", str(tiny_demo), "--out", str(out)], check=True, env=env)
    page = (out / "weekly" / "2025-W47.html").read_text(encoding="utf-8")
    assert "私域运营周报" in page and "运营概况" in page and "问题与发现" in page
    assert "进行中" in page and "Verdict" not in page  # the experiments table is Chinese too
    assert page.count("data:image/png;base64,") >= 4  # charts present under Agg
    assert not URL.search(page) and "<script" not in page
    for field in ("周期", "生成时间", "版本", "参数哈希", "数据指纹", "数据源"):
        assert f"<b>{field}</b>" in page
    assert str(tiny_demo.parent) not in page
    targets = re.findall(r"<li><a href='#(oa-[\w-]+)'>", page)
    ids = {a or b for a, b in re.findall(r"<h2 id=\"(oa-[\w-]+)\"|<h2 id='(oa-[\w-]+)'", page)}
    assert targets and set(targets) == ids
    assert "<b>目录</b>" in page


def test_weekly_report_shows_the_scorecard_service_and_campaigns(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    for title in ("KPI scorecard", "Service levels", "Campaign cost and return"):
        assert title in text
    src = oa.connect(str(tiny_demo))
    monitor = oa.kpi_monitor(src, period="2025-W47").set_index("metric")
    assert f"New users {monitor.loc['new_users', 'value']:,.0f}" in text
    rate = monitor.loc["response_rate", "value"]
    assert f"48-hour response rate {rate:.1%}" in text
    roi = oa.campaign_roi(src, start="2025-11-17", end="2025-11-23")
    top = roi.iloc[0]
    assert f"{top.campaign_id} ¥{top.spend:,.0f}" in text
    assert f"1:{top.roas:.1f}" in text


def test_weekly_report_shows_content_at_seven_days(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    assert "Content (items of the week before, at 7 days old)" in text
    src = oa.connect(str(tiny_demo))
    # the items of W46 counted up to the report's last day: all seven days of each
    by_type = oa.content_performance(
        src, start="2025-11-10", end="2025-11-16", until="2025-11-23", by="type"
    )
    video = by_type.set_index("type").loc["video"]
    assert (
        f"video {int(video.complete_items):,} {int(video.readers):,} {video.read_rate:.1%}" in text
    )
    assert by_type["complete_items"].sum() == by_type["items"].sum()
    top = oa.top_content(src, start="2025-11-10", end="2025-11-16", until="2025-11-23", n=5)
    assert all(str(title) in text for title in top["title"])


def test_weekly_report_plans_next_week_from_the_targets(weekly_html, tiny_demo):
    text = _text(weekly_html.read_text(encoding="utf-8"))
    assert "Next week" in _h2(weekly_html.read_text(encoding="utf-8"))
    params = find_project_file("params", "weekly.yaml")
    src = oa.connect(str(tiny_demo), params=str(params))
    monitor = oa.kpi_monitor(src, period="2025-W47").set_index("metric")
    new = monitor.loc["new_users"]
    needed = new["target"] / new["value"] - 1
    assert f"New users {new['value']:,.0f} {new['target']:,.0f} {needed:+.1%}" in text
    rate = monitor.loc["response_rate"]
    points = (rate["target"] - rate["value"]) * 100
    assert (
        f"48-hour response rate {rate['value']:.1%} {rate['target']:.1%} {points:+.1f} pt" in text
    )


@pytest.fixture(scope="module")
def season_demo(tmp_path_factory):
    """1,500 users over 20 weeks (2025-07-07 to 2025-11-23): whole months Aug-Oct, Q4 to date."""
    from opsanalysis.data.demo import make_demo_data

    path = tmp_path_factory.mktemp("season") / "demo.duckdb"
    make_demo_data(path, users=1500, weeks=20, seed=5)
    return path


@pytest.fixture(scope="module")
def season_reports(season_demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("season-reports")
    src = ["--source", str(season_demo), "--out", str(out)]
    assert main(["report", "monthly", "--period", "2025-10", *src]) == 0
    assert main(["report", "quarterly", "--period", "2025-Q4", "--language", "zh", *src]) == 0
    return out


def test_monthly_report_in_the_ops_structure(season_reports, season_demo):
    page = (season_reports / "monthly" / "2025-10.html").read_text(encoding="utf-8")
    assert _h2(page) == [*WEEKLY_SECTIONS[:6], "Next month", "About the data"]
    text = _text(page)
    assert "Monthly user-operations report" in text and "2025-10-01 – 2025-10-31" in text
    for part in ("Monthly cohort retention", "Cost and return by channel", "Campaign cost"):
        assert part in text
    params = str(find_project_file("params", "monthly.yaml"))
    src = oa.connect(str(season_demo), params=params)
    mon = oa.kpi_monitor(src, period="2025-10").set_index("metric")
    new, mau = mon.loc["new_users"], mon.loc["active_users"]
    assert (
        f"New users {new['value']:,.0f} {new['previous']:,.0f} {format_pct(new['change'])} "
        f"{new['target']:,.0f} {new['completion']:.0%}" in text
    )
    assert f"Monthly active users (MAU) {mau['value']:,.0f}" in text
    roas = oa.campaign_roi(src, start="2025-10-01", end="2025-10-31", by="channel")
    top = roas.iloc[0]
    assert f"{top.channel} ¥{top.spend:,.0f}" in text
    assert not URL.search(page) and "<script" not in page
    lists = sorted(p.name for p in (season_reports / "monthly" / "2025-10-lists").iterdir())
    assert lists == ["important_retain.csv", "important_winback.csv"]


def test_quarterly_review_to_date_in_chinese(season_reports, season_demo):
    page = (season_reports / "quarterly" / "2025-Q4.html").read_text(encoding="utf-8")
    assert _h2(page) == [
        "运营概况",
        "目标达成",
        "用户增长与活跃",
        "渠道价值（2025-10-01 至 2025-11-23 注册用户）",
        "用户价值分层",
        "A/B 实验",
        "问题与发现",
        "数据说明",
    ]
    text = _text(page)
    assert "私域运营季度复盘" in text and "2025-Q4 （季度初至今）" in text
    assert "本期数据覆盖 92 天中的 54 天" in text
    params = str(find_project_file("params", "quarterly.yaml"))
    src = oa.connect(str(season_demo), params=params)
    mon = oa.kpi_monitor(src, period="2025-Q4")
    for r in mon[mon["target"].notna()].to_dict("records"):
        met = "达成" if r["value"] >= r["target"] else "尚未达成"  # the quarter has not ended
        cells = [
            format_value(r["metric"], r["target"]),
            format_value(r["metric"], r["value"]),
            f"{r['completion']:.0%}",
            met,
        ]
        assert " ".join(cells) in text, r["metric"]
    value = oa.channel_value(src, start="2025-10-01", end="2025-11-23")
    row = value.iloc[0]
    assert f"{row.channel} {row.new_users:,} ¥{row.ltv_30:,.0f}" in text
    parts = oa.kpi_contribution(src, "new_users", period="2025-Q4")
    first = parts.iloc[0]
    cells = [format_value("new_users", v) for v in (first.previous, first.value)]
    assert f"{first.part} {cells[0]} {cells[1]}" in text  # Q3 began before the data: "–"
    assert np.isnan(first.previous) and "–" in cells


def test_monthly_and_quarterly_reports_refuse_a_period_of_another_kind(
    season_demo, tmp_path, capsys
):
    args = ["--source", str(season_demo), "--out", str(tmp_path)]
    assert main(["report", "quarterly", "--period", "2025-10", *args]) == 2
    err = capsys.readouterr().err
    assert "covers a quarter" in err and "2025-Q3" in err and "Traceback" not in err


def test_batch_monthly_writes_each_month(season_demo, tmp_path):
    out = tmp_path / "out"
    args = ["batch", "monthly", "--from", "2025-09", "--to", "2025-10", "--jobs", "2"]
    assert main([*args, "--source", str(season_demo), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "monthly").glob("*.html")) == [
        "2025-09.html",
        "2025-10.html",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    reports = manifest["reports"]
    assert sorted(reports) == ["monthly/2025-09", "monthly/2025-10"]
    assert {r["status"] for r in reports.values()} == {"ok"}
