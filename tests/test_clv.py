"""btyd_summary against hand-computed values and against lifetimes (a dev-only dependency)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from test_rfm import rfm_orders

import opsanalysis as oa


def test_btyd_by_hand_in_days():
    got = oa.btyd_summary(rfm_orders(), observation_end="2025-11-23", unit="D")
    # user 1: purchase days 11-01 (80), 11-11 (20) -> frequency 1, recency 10, T 22, value 20
    # user 2: one day 11-23 -> 0, 0, 0, 0        user 3: 05-01, 08-01, 11-01 -> 2, 184, 206, 500
    # user 5: 11-22 -> 0, 0, 1, 0                user 6: 2024-10-01, 10-15, 10-16, 10-25 ->
    #   3 repeats, recency 389, T 418, value mean(60, 60, 60) = 60
    expected = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 5, 6],
            "frequency": [1, 0, 2, 0, 3],
            "recency": [10.0, 0.0, 184.0, 0.0, 389.0],
            "T": [22.0, 0.0, 206.0, 1.0, 418.0],
            "monetary_value": [20.0, 0.0, 500.0, 0.0, 60.0],
        }
    )
    assert_frame_equal(got, expected)
    weeks = oa.btyd_summary(rfm_orders(), observation_end="2025-11-23", unit="W")
    assert weeks["T"].tolist() == pytest.approx([22 / 7, 0.0, 206 / 7, 1 / 7, 418 / 7])


def test_btyd_calibration_by_hand():
    got = oa.btyd_summary(
        rfm_orders(), observation_end="2025-11-23", unit="D", calibration_end="2025-11-05"
    )
    # calibration to 11-05: users 1 (11-01 only), 3 (05-01, 08-01, 11-01), 6 (four days)
    # holdout 11-06..11-23: user 1 buys on 11-11 (20); users 3 and 6 nothing
    expected = pd.DataFrame(
        {
            "user_id": [1, 3, 6],
            "frequency_cal": [0, 2, 3],
            "recency_cal": [0.0, 184.0, 389.0],
            "T_cal": [4.0, 188.0, 400.0],
            "monetary_value_cal": [0.0, 500.0, 60.0],
            "frequency_holdout": [1, 0, 0],
            "monetary_value_holdout": [20.0, 0.0, 0.0],
            "duration_holdout": [18.0, 18.0, 18.0],
        }
    )
    assert_frame_equal(got, expected)
    with pytest.raises(ValueError, match="calibration_end 2025-11-23 must be before"):
        oa.btyd_summary(rfm_orders(), observation_end="2025-11-23", calibration_end="2025-11-23")
    with pytest.raises(ValueError, match="unit='M' is not allowed"):
        oa.btyd_summary(rfm_orders(), observation_end="2025-11-23", unit="M")


@pytest.fixture(scope="module")
def paid_days(tiny_demo):
    con = duckdb.connect(str(tiny_demo), read_only=True)
    # lifetimes compares raw timestamps with the calibration end; giving it the order dates makes
    # "up to and including the day" mean the same for both
    df = con.sql(
        "select user_id, order_time::date::timestamp as day, amount from orders "
        "where status = 'paid'"
    ).df()
    con.close()
    return df


def test_matches_lifetimes_summary(tiny_demo, paid_days):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ours = oa.btyd_summary(oa.connect(str(tiny_demo)), observation_end="2025-11-23", unit="W")
    ref = lifetimes_utils.summary_data_from_transaction_data(
        paid_days,
        "user_id",
        "day",
        "amount",
        observation_period_end="2025-11-23",
        freq="D",
        freq_multiplier=7,
    ).reset_index()
    assert len(ours) == len(ref) > 100
    merged = ours.merge(ref, on="user_id", suffixes=("", "_ref"))
    assert len(merged) == len(ours)
    for col in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], rtol=1e-12, atol=1e-9)
    assert (ours["frequency"] > 0).sum() > 30  # repeat buyers exist, so the check has teeth


def test_matches_lifetimes_calibration_holdout(tiny_demo, paid_days):
    lifetimes_utils = pytest.importorskip("lifetimes.utils")
    ours = oa.btyd_summary(
        oa.connect(str(tiny_demo)),
        observation_end="2025-11-23",
        unit="W",
        calibration_end="2025-11-02",
    )
    ref = lifetimes_utils.calibration_and_holdout_data(
        paid_days,
        "user_id",
        "day",
        calibration_period_end="2025-11-02",
        observation_period_end="2025-11-23",
        monetary_value_col="amount",
        freq="D",
        freq_multiplier=7,
    ).reset_index()
    merged = ours.merge(ref, on="user_id", suffixes=("", "_ref"))
    assert len(merged) == len(ours) == len(ref)
    for col in ours.columns.drop("user_id"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], rtol=1e-12, atol=1e-9)
    assert (ours["frequency_holdout"] > 0).sum() > 10
