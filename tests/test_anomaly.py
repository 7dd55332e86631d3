"""flag_anomaly: hand-computed cases and a seeded calibration (shared/MONITORING.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import opsanalysis as oa
from opsanalysis.exceptions import ParamsError


def test_hand_computed_count():
    # median 11, MAD 1, no clipping; mean 11, sd sqrt(2) floored at sqrt(11) = 3.31662;
    # t(0.995, 5) = 4.03214; half = 4.03214 * 3.31662 * sqrt(7/6) = 14.44466
    r = oa.flag_anomaly([10, 12, 11, 13, 9, 11], 20)
    assert r.status == "ok" and r.n == 6
    assert r.baseline == pytest.approx(11)
    assert (r.low, r.high) == pytest.approx((11 - 14.44466, 11 + 14.44466), abs=1e-4)
    assert r.z == pytest.approx(9 / math.sqrt(11))
    assert oa.flag_anomaly([10, 12, 11, 13, 9, 11], 30).status == "anomaly"
    assert oa.flag_anomaly([10, 12, 11, 13, 9, 11], 30).to_frame()["status"].tolist() == ["anomaly"]


def test_mad_zero_zeros_and_short_history():
    # MAD = 0: the sd is the count floor sqrt(5)
    assert oa.flag_anomaly([5] * 7, 5).status == "ok"
    assert oa.flag_anomaly([5] * 7, 20).status == "anomaly"
    # all zeros: nothing moved is ok, anything is a move
    assert oa.flag_anomaly([0] * 8, 0).status == "ok"
    assert oa.flag_anomaly([0] * 8, 3).status == "anomaly"
    # fewer than 6 past values (NaN dropped): no flag
    r = oa.flag_anomaly([1, 2, float("nan"), 3, 4, 5], 100)
    assert r.status == "insufficient_history" and r.n == 5 and math.isnan(r.low)
    with pytest.raises(ParamsError, match="kind='share'"):
        oa.flag_anomaly([1] * 6, 1, kind="share")


def test_rates_need_two_points_and_use_the_binomial_floor():
    # a constant 30% over 8 periods of 1,000 users: floor sqrt(0.3 * 0.7 / 1000) = 0.014491
    r = oa.flag_anomaly([0.30] * 8, 0.37, kind="rate", denominator=1000)
    half = 3.499483 * math.sqrt(0.21 / 1000) * math.sqrt(9 / 8)
    assert (r.low, r.high) == pytest.approx((0.30 - half, 0.30 + half), abs=1e-6)
    assert r.status == "anomaly"
    assert oa.flag_anomaly([0.30] * 8, 0.33, kind="rate", denominator=1000).status == "ok"
    # with 10 million users the interval is tiny, but a 1-point move is not called out
    huge = oa.flag_anomaly([0.5] * 8, 0.51, kind="rate", denominator=10_000_000)
    assert huge.high < 0.51 and huge.status == "ok"


def _series(rng, shape, n, noise, trend):
    t = np.arange(n + 1)
    mean = 1000.0 * (1 + trend) ** t
    if shape == "normal":
        return rng.normal(mean, noise * mean), None
    if shape == "lognormal":
        return mean * rng.lognormal(-(noise**2) / 2, noise, n + 1), None
    if shape == "poisson":
        return rng.poisson(mean / 1000 / noise**2).astype(float), None
    size = int(0.8 / (noise**2 * 0.2))  # binomial rate 20% with relative noise `noise`
    return rng.binomial(size, 0.2 * (1 + trend) ** t) / size, size


@pytest.mark.parametrize("trend, target", [(0.0, 0.02), (0.01, 0.04)])
def test_false_alarms_on_clean_series(trend, target):
    rng = np.random.default_rng(20251123)
    runs, rates = 600, []
    for shape in ("normal", "lognormal", "poisson", "binomial"):
        for n in (6, 8, 12, 26):
            for noise in (0.03, 0.05, 0.08, 0.12):
                alarms = 0
                for _ in range(runs):
                    s, size = _series(rng, shape, n, noise, trend)
                    kind = "rate" if size else "count"
                    r = oa.flag_anomaly(s[:-1], s[-1], kind=kind, denominator=size)
                    alarms += r.status == "anomaly"
                rates.append(alarms / runs)
    se = math.sqrt(target * (1 - target) / runs)
    print(f"trend {trend}: mean {np.mean(rates):.4f}, worst {max(rates):.4f}")
    assert np.mean(rates) <= target
    assert max(rates) <= target + 3 * se  # each of the 64 conditions, within sampling error


def test_a_step_is_found_and_a_past_spike_does_not_echo():
    rng = np.random.default_rng(7)
    runs = 2000
    found = 0
    for _ in range(runs):  # -20% step after 12 periods with 5% noise
        s = rng.normal(1000, 50, 12)
        found += oa.flag_anomaly(s, rng.normal(800, 40)).status == "anomaly"
    assert found / runs >= 0.75
    echoes = 0
    for _ in range(runs):  # one +50% spike somewhere in the last 12 periods
        s = rng.normal(1000, 50, 13)
        s[rng.integers(0, 12)] *= 1.5
        echoes += oa.flag_anomaly(s[:-1], s[-1]).status == "anomaly"
    assert echoes / runs <= 0.02
