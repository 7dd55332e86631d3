"""Asymptotic confidence sequences (Waudby-Smith et al. 2023), as in GrowthBook's gbstats:
intervals and p-values that stay valid however often an experiment is looked at.
"""

from __future__ import annotations

import math

from ..exceptions import ParamsError

__all__: list[str] = []  # used by ab_test; nothing is re-exported


def sequential_rho(alpha: float, tuning: float) -> float:
    """Mixing parameter of the confidence sequence, tightest near ``tuning`` observations.

    rho = sqrt((-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / N), eq. 161 of Waudby-Smith et al. 2023
    (as in gbstats).
    """
    if tuning <= 0:
        raise ParamsError(f"sequential_tuning={tuning} must be positive, e.g. 5000.")
    la = math.log(alpha)
    return math.sqrt((-2 * la + math.log(-2 * la + 1)) / tuning)


def _cs_halfwidth(se2: float, n: int, alpha: float, rho: float) -> float:
    """Half-width of the two-sided asymptotic confidence sequence for an estimate with
    variance ``se2`` from ``n`` observations in all (eq. 9 of Waudby-Smith et al. 2023)."""
    s2 = se2 * n  # per-observation variance
    nr2 = n * rho**2
    return math.sqrt(s2) * math.sqrt(2 * (nr2 + 1) * math.log(math.sqrt(nr2 + 1) / alpha) / nr2 / n)


def _cs_p_value(effect: float, se2: float, n: int, rho: float) -> float:
    """Always-valid p-value matching the confidence sequence (eq. 155, as in gbstats).

    An estimate without variance (a relative lift whose treatment arm is all zeros) carries
    no evidence: p = 1, as the fixed-horizon tests give it.
    """
    if not se2 > 0:
        return 1.0
    st2 = effect**2 * n / se2
    tr2p1 = n * rho**2 + 1
    log_e = rho**2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
    return float(min(1.0, math.exp(-log_e)))
