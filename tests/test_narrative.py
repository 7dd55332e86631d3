import numpy as np
import pandas as pd
import pytest

import opsanalysis as oa
from opsanalysis.kpi import OVERVIEW_COLUMNS


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
