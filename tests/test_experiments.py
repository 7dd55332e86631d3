"""experiment_results from raw tables: hand fixture, independent pandas + scipy, demo truths."""

from __future__ import annotations

import math
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import opsanalysis as oa
from opsanalysis.data.demo import make_demo_data
from opsanalysis.exceptions import DataContractError, ParamsError


def _ts(*values):
    return pd.to_datetime(list(values))


def fixture_source(**params) -> oa.Source:
    assignments = pd.DataFrame(
        {
            "experiment_id": ["e1"] * 9,
            "user_id": [1, 2, 3, 4, 5, 6, 7, 7, 8],
            "variant": [
                "control",
                "control",
                "control",
                "treatment",
                "treatment",
                "treatment",
                "control",
                "treatment",
                "treatment",
            ],
            "assigned_at": _ts(
                "2025-11-10 10:00",
                "2025-11-10 11:00",
                "2025-11-11 10:00",
                "2025-11-10 09:00",
                "2025-11-12 09:00",
                "2025-11-12 12:00",
                "2025-11-10 10:00",
                "2025-11-11 10:00",
                "2025-11-25 10:00",
            ),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": range(1, 10),
            "user_id": [1, 1, 3, 4, 4, 5, 6, 7, 8],
            "order_time": _ts(
                "2025-11-11 12:00",
                "2025-11-05 12:00",
                "2025-11-11 08:00",
                "2025-11-15 12:00",
                "2025-11-16 12:00",
                "2025-11-13 12:00",
                "2025-11-20 12:00",
                "2025-11-15 12:00",
                "2025-11-26 12:00",
            ),
            "amount": [100.0, 50.0, 30.0, 200.0, 50.0, 80.0, 40.0, 999.0, 10.0],
            "status": ["paid", "paid", "paid", "paid", "paid", "refunded", "paid", "paid", "paid"],
        }
    )
    return oa.connect(assignments=assignments, orders=orders, params=params or None)


def test_health_by_hand():
    h = oa.experiment_health(fixture_source(), "e1", end="2025-11-23")
    # user 7 saw both variants; user 8 was assigned after the end
    assert h.counts == {"control": 3, "treatment": 3}
    assert h.multiple_exposed == 1 and h.multiple_exposed_share == pytest.approx(1 / 7)
    assert h.srm_p_value == pytest.approx(1.0) and h.srm_ok
    assert h.warnings == ("multiple_exposure", "low_sample")
    assert not h.running  # the last assignment (11-12) is more than 2 days before 11-23
    with pytest.raises(DataContractError, match="no rows for experiment_id 'e9'"):
        oa.experiment_health(fixture_source(), "e9")


def test_results_by_hand():
    src = fixture_source(experiments={"correction": "none", "sequential": False})
    res = oa.experiment_results(src, "e1", end="2025-11-23")
    un = res[res.analysis == "unadjusted"].set_index("metric")
    # after assignment: control users 1, 2, 3 -> revenue 100, 0, 0 (user 3's order came 2 h
    # before assignment; user 1's 11-05 order is pre-period); treatment 4, 5, 6 -> 250, 0, 40
    # (user 5's order was refunded)
    rev_c, rev_t = np.array([100.0, 0, 0]), np.array([250.0, 0, 40])
    ref = stats.ttest_ind(rev_t, rev_c, equal_var=False)
    assert un.loc["revenue", "value_control"] == pytest.approx(100 / 3)
    assert un.loc["revenue", "abs_p_value"] == pytest.approx(ref.pvalue, abs=1e-9)
    conv = oa.ab_test(oa.ProportionStats(3, 1), oa.ProportionStats(3, 2))
    assert un.loc["conversion", "p_value"] == pytest.approx(conv.p_value, abs=1e-12)
    assert un.loc["orders", "value_treatment"] == pytest.approx(1.0)  # 2 + 0 + 1 over 3
    # revenue per order: control 100 / 1; treatment 290 / 3
    assert un.loc["revenue_per_order", "value_control"] == pytest.approx(100.0)
    assert un.loc["revenue_per_order", "value_treatment"] == pytest.approx(290 / 3)
    assert set(res.analysis) == {"unadjusted", "cuped"}
    assert (res.warnings.str.contains("multiple_exposure")).all()
    assert not res.significant.any()
    cu = res[res.analysis == "cuped"].set_index("metric")
    # pre-period revenue: user 1 had 50 on 11-05 (within 14 days), user 3 had 30 -> X differs
    assert cu.loc["revenue", "variance_reduction"] == cu.loc["revenue", "variance_reduction"]
    with pytest.raises(ParamsError, match="Unknown experiment metric 'gmv'"):
        oa.experiment_results(src, "e1", ["gmv"], end="2025-11-23")
    bad = fixture_source(experiments={"control": "baseline"})
    with pytest.raises(DataContractError, match="has no variant 'baseline'"):
        oa.experiment_results(bad, "e1", end="2025-11-23")


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "w.duckdb"
    make_demo_data(path, users=30_000, weeks=10, seed=5)
    return path


def test_engine_values_match_pandas_and_scipy_on_raw_per_user_data(demo_world):
    src = oa.connect(str(demo_world), params={"experiments": {"sequential": False}})
    res = oa.experiment_results(src, "exp_push_time", ["conversion", "revenue"], end="2025-11-23")
    con = duckdb.connect(str(demo_world), read_only=True)
    a = con.sql(
        "select user_id, variant, assigned_at from assignments "
        "where experiment_id = 'exp_push_time'"
    ).df()
    o = con.sql(
        "select user_id, order_time, amount from orders where status = 'paid' "
        "and order_time < timestamp '2025-11-24'"
    ).df()
    con.close()
    m = a.merge(o, on="user_id", how="left")
    m = m[m.order_time >= m.assigned_at]
    rev = m.groupby("user_id").amount.sum()
    a["revenue"] = a.user_id.map(rev).fillna(0.0)
    a["converted"] = (a.revenue > 0).astype(float)  # every paid order has amount > 0 here
    un = res[res.analysis == "unadjusted"].set_index("metric")
    for metric, col in (("conversion", "converted"), ("revenue", "revenue")):
        c = a.loc[a.variant == "control", col].to_numpy()
        t = a.loc[a.variant == "treatment", col].to_numpy()
        ref = stats.ttest_ind(t, c, equal_var=False)
        assert un.loc[metric, "n_control"] == len(c) > 1000
        assert un.loc[metric, "abs_p_value"] == pytest.approx(ref.pvalue, abs=1e-9)
        assert un.loc[metric, "abs_ci_low"] == pytest.approx(
            ref.confidence_interval().low, abs=1e-9
        )
    mw = oa.mann_whitney(src, "exp_push_time", "revenue", end="2025-11-23")
    ref = stats.mannwhitneyu(
        a.loc[a.variant == "treatment", "revenue"].round(6),
        a.loc[a.variant == "control", "revenue"].round(6),
        method="asymptotic",
    )
    assert mw["u"] == pytest.approx(ref.statistic, rel=1e-12)
    assert mw["p_value"] == pytest.approx(ref.pvalue, abs=1e-9)


def test_demo_experiments_come_out_as_designed(demo_world):
    src = oa.connect(str(demo_world))
    lift = oa.with_verdicts(oa.experiment_results(src, "exp_checkout_copy"))
    conv = lift[(lift.metric == "conversion") & (lift.analysis == "cuped")].iloc[0]
    assert conv.significant and conv.rel_effect > 0.05 and conv.sequential  # still running
    assert conv.verdict.startswith("Variant treatment raised conversion by")
    null = oa.experiment_results(src, "exp_push_time")
    assert not null.significant.any() and not null.sequential.any()  # finished: fixed horizon
    srm = oa.with_verdicts(oa.experiment_results(src, "exp_onboarding"))
    assert srm.srm_p_value.iloc[0] < 0.001 and not srm.significant.any()
    assert srm.verdict.str.startswith("Sample-ratio mismatch").all()
    overview = oa.experiment_overview(src)
    assert overview.experiment_id.tolist() == [
        "exp_checkout_copy",
        "exp_onboarding",
        "exp_push_time",
    ]
    assert overview.status.tolist() == ["running", "running", "finished"]
    assert overview.significant.tolist() == [True, False, False]


def test_winsorised_revenue_and_traffic():
    src = fixture_source(experiments={"winsorize": 0.8, "correction": "none", "sequential": False})
    res = oa.experiment_results(src, "e1", ["revenue"], end="2025-11-23")
    un = res[res.analysis == "unadjusted"].iloc[0]
    # per-user revenue 100, 0, 0 | 250, 0, 40: the 80th percentile (interpolated) of the six
    # values 0, 0, 0, 40, 100, 250 is 100, so 250 is capped at 100
    assert un.value_control == pytest.approx(100 / 3)
    assert un.value_treatment == pytest.approx(140 / 3)
    h = oa.experiment_health(fixture_source(), "e1", end="2025-11-23")
    # 7 users assigned from 11-10 to 11-12: 3 days
    assert h.daily_users == pytest.approx(7 / 3)


def test_three_variants_get_a_chi_square_test():
    a = pd.DataFrame(
        {
            "experiment_id": "e3",
            "user_id": range(1, 301),
            "variant": ["control"] * 100 + ["b"] * 100 + ["c"] * 100,
            "assigned_at": pd.Timestamp("2025-11-10"),
        }
    )
    buyers = list(range(1, 11)) + list(range(101, 121)) + list(range(201, 206))
    o = pd.DataFrame(
        {
            "order_id": range(len(buyers)),
            "user_id": buyers,
            "order_time": pd.Timestamp("2025-11-12"),
            "amount": 10.0,
        }
    )
    src = oa.connect(assignments=a, orders=o, params={"experiments": {"min_sample": 10}})
    res = oa.experiment_results(src, "e3", ["conversion", "revenue"], end="2025-11-23")
    assert sorted(set(res.treatment)) == ["b", "c"]
    conv = res[res.metric == "conversion"]
    expected = oa.chi_square_test(
        {"control": 10, "b": 20, "c": 5}, {"control": 100, "b": 100, "c": 100}
    )
    assert conv.chi_square_p_value.tolist() == pytest.approx([expected] * len(conv))
    assert res[res.metric == "revenue"].chi_square_p_value.isna().all()


def test_days_to_planned_mde_by_hand():
    from opsanalysis.stats.experiments import _days_to_mde

    counts = {"control": 500, "treatment": 500}
    first, last = datetime(2025, 11, 1), datetime(2025, 11, 10)
    health = oa.ExperimentHealth("e", counts, {}, 1.0, True, 0, 0.0, first, last, True)
    # 1,000 users over 10 days = 100 a day; MDE 10% with a plan of 5%: (10/5)^2 = 4x the users,
    # 3,000 more at 100 a day = 30 days
    assert _days_to_mde(0.10, 0.05, 1000, health) == 30.0
    assert _days_to_mde(0.04, 0.05, 1000, health) == 0.0
    assert math.isnan(_days_to_mde(float("nan"), 0.05, 1000, health))


def test_split_naming_variants_the_data_lacks(tiny_demo):
    params = {"experiments": {"splits": {"exp_push_time": {"control": 0.5, "B": 0.5}}}}
    src = oa.connect(str(tiny_demo), params=params)
    with pytest.raises(ParamsError, match="experiments.splits.exp_push_time in params names"):
        oa.experiment_health(src, "exp_push_time")
