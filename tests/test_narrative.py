import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa
from opsanalysis.metrics.kpi import OVERVIEW_COLUMNS


def _overview(**over):
    row = {
        "metric": "new_users",
        "period": "2025-W47",
        "value": 2420.0,
        "compare_period": "2025-W46",
        "compare_value": 2000.0,
        "abs_change": 420.0,
        "pct_change": 0.21,
        "target": 2000.0,
        "target_completion": 1.21,
        "alert": True,
    }
    row.update(over)
    return pd.DataFrame([row], columns=OVERVIEW_COLUMNS)


def test_english_sentence_with_target_and_alert():
    assert oa.kpi_findings(_overview()) == [
        "⚠ New users: 2,420, up 21.0% on 2025-W46 (2,000). That is 121% of the target of "
        "2,000. This move is beyond the alert threshold: check the cause."
    ]


def test_chinese_sentence():
    assert oa.kpi_findings(
        _overview(
            metric="revenue",
            alert=False,
            target=np.nan,
            target_completion=np.nan,
            pct_change=-0.05,
            value=95000.0,
            compare_value=100000.0,
        ),
        language="zh",
    ) == ["营收为 ¥95,000，较 2025-W46（¥100,000）下降 5.0%。"]


def test_alerts_come_first_and_unknown_change():
    df = pd.concat(
        [
            _overview(metric="orders", alert=False, pct_change=np.nan, compare_value=0.0),
            _overview(metric="active_users", pct_change=0.0, alert=False),
            _overview(),
        ],
        ignore_index=True,
    )
    got = oa.kpi_findings(df)
    assert got[0].startswith("⚠ New users")
    assert got[1].startswith("Paid orders: 2,420 (2025-W46: 0).")
    assert got[2].startswith("Weekly active users (WAU): 2,420, unchanged on 2025-W46.")


def test_bad_language():
    with pytest.raises(ValueError, match="language='fr' is not allowed"):
        oa.kpi_findings(_overview(), language="fr")


def test_migration_findings_new_gone_and_moves():
    m = pd.DataFrame(
        {
            "from_segment": ["(new)", "a", "a", "b"],
            "to_segment": ["a", "a", "(gone)", "a"],
            "users": [5, 40, 12, 3],
            "share_of_from": [1.0, 0.769, 0.231, 1.0],
        }
    )
    labels = {"a": "Loyal", "b": "At risk"}
    assert oa.migration_findings(m, labels, since="2025-W46") == [
        "12 users of Loyal left the layers since 2025-W46: no order in the window "
        "(23.1% of Loyal).",
        "5 new buyers entered Loyal since 2025-W46.",
        "3 users moved from At risk to Loyal since 2025-W46 (100.0% of At risk).",
    ]
    assert oa.migration_findings(m, labels, language="zh", top=1) == [
        "12 名「Loyal」用户因窗口内无订单而移出分层（占 23.1%）。"
    ]


def test_segment_findings_zh():
    s = pd.DataFrame(
        {
            "label": ["重要价值"],
            "users": [20],
            "user_share": [0.2],
            "revenue_share": [0.6],
            "action": ["提供VIP专属权益。"],
        }
    )
    assert oa.segment_findings(s, language="zh") == [
        "重要价值：20 人（占 20.0%），贡献 60.0% 的营收。建议：提供VIP专属权益。"
    ]
