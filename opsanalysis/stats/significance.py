"""Tests across arms and corrections: sample-ratio mismatch, chi-square across many
variants, and multiple-comparison adjustment (Holm, Benjamini-Hochberg).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..data._checks import check_one_of

__all__ = ["srm_test", "adjust_p_values", "chi_square_test"]


def srm_test(counts: dict[str, int], expected: dict[str, float] | None = None) -> float:
    """Chi-square goodness-of-fit p-value of assignment counts against the expected split.

    >>> round(srm_test({"control": 5000, "treatment": 4800}), 4)
    0.0434
    """
    names = list(counts)
    observed = [counts[k] for k in names]
    weights = [1.0] * len(names) if expected is None else [float(expected[k]) for k in names]
    total, wsum = sum(observed), sum(weights)
    return float(stats.chisquare(observed, [total * w / wsum for w in weights]).pvalue)


def adjust_p_values(p_values: list[float], method: str = "holm") -> list[float]:
    """Adjust p-values for multiple comparisons: ``holm`` (default), ``bh`` or ``none``.

    >>> [round(p, 3) for p in adjust_p_values([0.01, 0.04, 0.03], "holm")]
    [0.03, 0.06, 0.06]
    """
    check_one_of("correction", method, ["holm", "bh", "none"])
    if method == "none" or not p_values:
        return list(p_values)
    p = np.asarray(p_values, dtype=float)
    if method == "bh":
        return [float(x) for x in stats.false_discovery_control(p, method="bh")]
    # Holm's step-down: the i-th smallest p (from 0) times (m - i), kept non-decreasing and
    # capped at 1. Written out because statsmodels' multipletests runs a full gc.collect() on
    # every Holm call (0.1 s each in a report's kernel); tests check it against statsmodels.
    order = np.argsort(p, kind="stable")
    steps = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(steps, 1.0)
    return [float(x) for x in adjusted]


def chi_square_test(successes: dict[str, int], totals: dict[str, int]) -> float:
    """Chi-square test of equal conversion across all variants (more than two); p-value.

    >>> round(chi_square_test({"a": 100, "b": 120, "c": 90}, {"a": 1000, "b": 1000, "c": 1000}), 4)
    0.0806
    """
    table = [[successes[k], totals[k] - successes[k]] for k in successes]
    return float(stats.chi2_contingency(table, correction=False)[1])
