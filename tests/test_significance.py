"""SRM, chi-square across variants and multiple-comparison corrections, by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import opsanalysis as oa


def test_corrections_by_hand():
    # Holm on [0.01, 0.04, 0.03]: sorted 0.01*3, 0.03*2, 0.04*1 -> 0.03, 0.06, max(0.06, 0.04)
    assert oa.adjust_p_values([0.01, 0.04, 0.03], "holm") == pytest.approx([0.03, 0.06, 0.06])
    # BH: 0.01*3/1 = 0.03, 0.03*3/2 = 0.045, 0.04*3/3 = 0.04 -> step-up minimum 0.04
    assert oa.adjust_p_values([0.01, 0.04, 0.03], "bh") == pytest.approx([0.03, 0.04, 0.04])
    assert oa.adjust_p_values([0.2], "none") == [0.2]


@pytest.mark.parametrize("method, theirs", [("holm", "holm"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels(method, theirs):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 40):
        p = list(rng.uniform(0, 0.2, n) ** 2)
        p[-1] = p[0]  # a tie
        assert oa.adjust_p_values(p, method) == pytest.approx(
            list(multipletests(p, method=theirs)[1]), rel=1e-12
        )
    # large p-values reach the cap at 1
    assert oa.adjust_p_values([0.5, 0.6, 0.9], "holm") == [1.0, 1.0, 1.0]


def test_srm_and_chi_square_by_hand():
    # expected 4900 each: chi2 = 2 * 100^2 / 4900 = 4.0816, 1 df
    assert oa.srm_test({"control": 5000, "treatment": 4800}) == pytest.approx(
        stats.chi2.sf(2 * 100**2 / 4900, 1), rel=1e-12
    )
    # a 40/60 design with exactly 40/60 counts has no mismatch
    assert oa.srm_test({"a": 400, "b": 600}, {"a": 0.4, "b": 0.6}) == pytest.approx(1.0)
    # 3 arms, 100 / 120 / 90 of 1000: chi2 = 466.67/103.33 + 466.67/896.67 = 5.037, 2 df
    expected = stats.chi2.sf(466.6667 / 103.3333 + 466.6667 / 896.6667, 2)
    assert oa.chi_square_test(
        {"a": 100, "b": 120, "c": 90}, {"a": 1000, "b": 1000, "c": 1000}
    ) == pytest.approx(expected, rel=1e-4)
