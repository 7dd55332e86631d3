"""Findings as records: kinds, severity, ranking, actions, and their words in en and zh."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_contribution import ORDERS, USERS, _events

import opsanalysis as oa
from opsanalysis.metrics.findings import FINDING_COLUMNS
from opsanalysis.metrics.monitor import MONITOR_COLUMNS
from opsanalysis.report.findings_text import finding_sentence, findings_html

# one campaign that returned 200 on 1,000 of spend (ROI -80%)
LOSING_CAMPAIGN = pd.DataFrame(
    {"campaign_id": ["koc"], "spend": [1000.0], "revenue": [200.0], "roas": [0.2], "roi": [-0.8]}
)


# new users 2 -> 5 (+150%), outside the usual range 1-3 and flagged week over week: an anomaly
NEW_USERS_ANOMALY = {
    "metric": "new_users",
    "value": 5.0,
    "previous": 2.0,
    "low": 1.0,
    "high": 3.0,
    "wow_flag": True,
    "history_flag": True,
    "status": "anomaly",
}


def _monitor(rows: list[dict]) -> pd.DataFrame:
    base = {
        "period": "2025-W47",
        "target": np.nan,
        "low": np.nan,
        "high": np.nan,
        "wow_flag": False,
        "history_flag": False,
        "status": "ok",
    }
    df = pd.DataFrame([{**base, **r} for r in rows])
    df["change"] = (df["value"] - df["previous"]) / df["previous"]
    df["completion"] = df["value"] / df["target"]
    return df


@pytest.fixture
def src():
    params = {
        "findings": {
            "actions": {
                "anomaly.new_users": {"en": "Check the campaign.", "zh": "核查活动。"},
                "losing_campaign": "Pause it.",
            }
        }
    }
    return oa.connect(users=USERS, events=_events(), orders=ORDERS, params=params)


def test_records_rank_by_severity_times_size_with_actions(src):
    monitor = _monitor(
        [
            # an anomaly with its driver (new users: +3 of which channel a +2)
            {**NEW_USERS_ANOMALY, "target": 4.0},
            # 5% short of target: medium; 1% short: low
            {"metric": "revenue", "value": 95.0, "previous": 95.0, "target": 100.0},
            {"metric": "response_rate", "value": 0.891, "previous": 0.9, "target": 0.9},
        ]
    )
    f = oa.ranked_findings(src, monitor=monitor, campaigns=LOSING_CAMPAIGN)
    assert list(f.columns) == FINDING_COLUMNS
    assert f["kind"].tolist() == [
        "anomaly",
        "losing_campaign",
        "missed_target",
        "service_below_target",
    ]
    assert f["score"].tolist() == pytest.approx([3 * 1.0, 3 * 0.8, 2 * 0.05, 1 * 0.01])
    anomaly = f.set_index("kind").loc["anomaly"]
    assert anomaly["driver"] == "a" and anomaly["driver_change"] == 2
    assert anomaly["driver_share"] == pytest.approx(2 / 3)
    assert anomaly["action"] == "Check the campaign." and anomaly["target"] == 4.0
    assert f.set_index("kind").loc["losing_campaign", "action"] == "Pause it."
    assert (
        oa.ranked_findings(src, monitor=monitor, campaigns=LOSING_CAMPAIGN, limit=2).shape[0] == 2
    )
    zh = oa.ranked_findings(src, monitor=monitor, language="zh")
    assert zh.set_index("kind").loc["anomaly", "action"] == "核查活动。"


def test_sentences_quote_the_record_numbers_in_both_languages(src):
    monitor = _monitor([{**NEW_USERS_ANOMALY, "target": 4.0}])
    row = oa.ranked_findings(src, monitor=monitor).iloc[0]
    en = finding_sentence(row, "en", kind_of_period="week")
    assert en == (
        "New users rose 150.0% from the previous period (5 vs 2); the usual range is 1 – 3. "
        "Target 4: 125% reached. a accounts for 67% of the rise (+2)."
    )
    zh = finding_sentence(row, "zh", kind_of_period="week")
    assert (
        zh.startswith("新增用户环比上升 150.0%（本期 5，上期 2）")
        and "a 贡献了增长的 67%（+2）" in zh
    )


def test_experiments_segments_and_every_kind_have_words():
    rows = [
        {
            "kind": "significant_experiment",
            "metric": "conversion",
            "subject": "exp_<b>",
            "value": 0.2,
            "low": 0.1,
            "high": 0.3,
            "change": 0.2,
            "severity": "medium",
        },
        {
            "kind": "experiment_srm",
            "metric": "conversion",
            "subject": "exp_2",
            "value": 1e-9,
            "severity": "high",
        },
        {
            "kind": "shrinking_segment",
            "metric": "users",
            "subject": "important_value",
            "value": 80,
            "baseline": 100,
            "change": -0.2,
            "severity": "high",
        },
    ]
    for lang in ("en", "zh"):
        for r in rows:
            assert finding_sentence({**dict.fromkeys(FINDING_COLUMNS, np.nan), **r}, lang)
    en = finding_sentence(
        {**dict.fromkeys(FINDING_COLUMNS, np.nan), **rows[2]},
        "en",
        segment_labels={"important_value": "Important value"},
    )
    assert en == "Important value users fell 20.0% since the previous period (80 vs 100)."
    page = findings_html(
        pd.DataFrame(
            [{**dict.fromkeys(FINDING_COLUMNS, np.nan), **rows[0], "action": "<i>go</i>"}]
        ),
        "en",
    )
    assert "exp_&lt;b&gt;" in page and "&lt;i&gt;go&lt;/i&gt;" in page and "<i>" not in page
    assert "oa-sev-medium" in page


def test_segment_and_experiment_records():
    src = oa.connect(users=USERS, events=_events(), orders=ORDERS)
    sizes = pd.DataFrame(
        {
            "segment": ["important_value", "general_develop"],
            "previous": [100, 100],
            "users": [85, 50],
            "change": [-15, -50],
            "pct_change": [-0.15, -0.5],
        }
    )
    experiments = pd.DataFrame(
        {
            "experiment_id": ["e1", "e2", "e3"],
            "metric": ["conversion"] * 3,
            "rel_effect": [0.1, -0.05, 0.0],
            "rel_ci_low": [0.05, -0.08, -0.1],
            "rel_ci_high": [0.15, -0.02, 0.1],
            "srm_p_value": [0.5, 0.4, 1e-6],
            "verdict_code": ["better", "worse", "srm"],
        }
    )
    f = oa.ranked_findings(
        src,
        monitor=pd.DataFrame(columns=MONITOR_COLUMNS),
        experiments=experiments,
        segments=sizes,
    )
    got = {(r.kind, r.subject, r.severity) for r in f.itertuples()}
    # general_develop is not a watched segment: its shrinking is no finding
    assert got == {
        ("shrinking_segment", "important_value", "medium"),
        ("significant_experiment", "e1", "medium"),
        ("significant_experiment", "e2", "high"),
        ("experiment_srm", "e3", "high"),
    }


def test_a_period_to_date_misses_no_target_and_compares_no_kpi(src):
    monitor = _monitor(
        [
            {**NEW_USERS_ANOMALY, "target": 9.0},
            {
                "metric": "content_read_rate",
                "value": 0.3,
                "previous": 0.5,
                "low": 0.45,
                "high": 0.55,
                "wow_flag": True,
                "history_flag": True,
                "status": "anomaly",
            },
            {"metric": "revenue", "value": 50.0, "previous": 95.0, "target": 100.0},
        ]
    )
    full = oa.ranked_findings(src, monitor=monitor)
    assert sorted(full["metric"]) == ["content_read_rate", "new_users", "revenue"]
    partial = oa.ranked_findings(src, monitor=monitor, campaigns=LOSING_CAMPAIGN, to_date=True)
    assert partial["kind"].tolist() == ["losing_campaign"]


def test_the_split_behind_a_driver_comes_with_the_findings(src):
    monitor = _monitor(
        [
            NEW_USERS_ANOMALY,
        ]
    )
    f = oa.ranked_findings(src, monitor=monitor)
    kept = f.attrs["contributions"]["new_users"]
    pd.testing.assert_frame_equal(kept, oa.kpi_contribution(src, "new_users", period="2025-W47"))
