"""Experiment results from raw data: assignments joined to orders and events in the engine.

Per-user metric values are built and aggregated to sufficient statistics per variant by the
engine; :func:`~opsanalysis.abtest.ab_test` does the maths. Health checks (sample-ratio
mismatch, users exposed to several variants, minimum sample) run before any verdict.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import ibis
import pandas as pd
from scipy import stats

from ..data._checks import check_one_of
from ..data.engine import as_date, last_day, on_days, paid_orders
from ..data.periods import parse_period
from ..data.source import Source, as_source
from ..exceptions import DataContractError, ParamsError
from .abtest import ABTestResult, ab_test, results_frame
from .health import ExperimentHealth, assigned_users, experiment_health
from .significance import adjust_p_values, chi_square_test
from .sufficient import CupedStats, MeanStats, ProportionStats, RatioStats
from .verdicts import primary_results, single_variant_row, verdict_code

__all__ = [
    "experiment_results",
    "experiment_overview",
    "mann_whitney",
]

# name: (type, what per user)
BUILTIN_METRICS = {
    "conversion": ("proportion", "placed a paid order after assignment"),
    "revenue": ("mean", "paid amount after assignment"),
    "orders": ("mean", "paid orders after assignment"),
    "revenue_per_order": ("ratio", "paid amount / paid orders after assignment"),
}


def _metric_spec(name: str, src: Source) -> tuple[str, dict[str, Any]]:
    if name in BUILTIN_METRICS:
        return BUILTIN_METRICS[name][0], {}
    definitions = src.params.experiments.definitions
    spec = definitions.get(name)
    if not spec:
        known = ", ".join([*BUILTIN_METRICS, *definitions])
        raise ParamsError(
            f"Unknown experiment metric {name!r}; use one of {known}, or define it "
            f"in params under experiments.definitions.{name}."
        )
    kind = check_one_of(
        f"experiments.definitions.{name}.type", spec.get("type"), ["proportion", "mean"]
    )
    if not spec.get("event"):
        raise ParamsError(f"experiments.definitions.{name} needs 'event': the event name counted.")
    return kind, spec


def _per_user(
    src: Source, users: ibis.Table, metrics: list[str], end: date, pre_days: int
) -> ibis.Table:
    """One row per user: variant and, per metric, the value after assignment and before it."""
    out = users.select("user_id", "variant", "assigned_at")
    pre = timedelta(days=pre_days)
    needs_orders = any(m in BUILTIN_METRICS for m in metrics)
    if needs_orders:
        od = paid_orders(src)
        j = users.inner_join(od, users.user_id == od.user_id)
        post = (j.order_time >= j.assigned_at) & on_days(j.order_time, None, end)
        before = (j.order_time >= j.assigned_at - pre) & (j.order_time < j.assigned_at)
        agg = j.group_by(j.user_id).aggregate(
            orders=post.ifelse(1, 0).sum(),
            revenue=post.ifelse(j.amount, 0.0).sum(),
            pre_orders=before.ifelse(1, 0).sum(),
            pre_revenue=before.ifelse(j.amount, 0.0).sum(),
        )
        out = out.left_join(agg, "user_id").select(
            out,
            orders=agg.orders.fill_null(0).cast("float64"),
            revenue=agg.revenue.fill_null(0.0),
            pre_orders=agg.pre_orders.fill_null(0).cast("float64"),
            pre_revenue=agg.pre_revenue.fill_null(0.0),
        )
    for name in metrics:
        if name in BUILTIN_METRICS:
            continue
        _, spec = _metric_spec(name, src)
        ev = src.table("events")
        ev = ev.filter(ev.event == spec["event"])
        j = users.inner_join(ev, users.user_id == ev.user_id)
        post = (j.event_time >= j.assigned_at) & on_days(j.event_time, None, end)
        before = (j.event_time >= j.assigned_at - pre) & (j.event_time < j.assigned_at)
        agg = j.group_by(j.user_id).aggregate(
            **{f"ev_{name}": post.ifelse(1, 0).sum(), f"pre_ev_{name}": before.ifelse(1, 0).sum()}
        )
        out = out.left_join(agg, "user_id").select(
            out,
            **{
                f"ev_{name}": agg[f"ev_{name}"].fill_null(0).cast("float64"),
                f"pre_ev_{name}": agg[f"pre_ev_{name}"].fill_null(0).cast("float64"),
            },
        )
    return out


def _value_exprs(t: ibis.Table, name: str, src: Source) -> tuple[ibis.Value, ibis.Value]:
    """(value after assignment, value before) of metric ``name`` on the per-user table."""
    if name == "conversion":
        return (t.orders > 0).ifelse(1.0, 0.0), (t.pre_orders > 0).ifelse(1.0, 0.0)
    if name in ("revenue", "orders"):
        return t[name], t[f"pre_{name}"]
    kind, _ = _metric_spec(name, src)
    post, pre = t[f"ev_{name}"], t[f"pre_ev_{name}"]
    if kind == "proportion":
        return (post > 0).ifelse(1.0, 0.0), (pre > 0).ifelse(1.0, 0.0)
    return post, pre


def experiment_results(
    data: Any,
    experiment_id: str,
    metrics: list[str] | None = None,
    *,
    start: date | str | None = None,
    end: date | str | None = None,
    sequential: bool | None = None,
) -> pd.DataFrame:
    """Results of one experiment, one row per (metric, treatment variant) against the control.

    Parameters
    ----------
    data
        A Source with assignments and orders (and events for event metrics).
    experiment_id
        The experiment in ``assignments``.
    metrics
        Goal metrics (default params ``experiments.metrics``): conversion (placed a paid order
        after assignment), revenue and orders (per user after assignment), revenue_per_order
        (ratio, delta method), or any name under params ``experiments.definitions``
        (``{type: proportion|mean, event: name}``: did / how often the user do the event).
    start, end
        Assignments and outcomes counted from ``start`` to the end of day ``end`` (default:
        the whole experiment, to the latest data).
    sequential
        Confidence sequences; None: params ``experiments.sequential`` (``auto``: only while the
        experiment is running).

    Returns
    -------
    pandas.DataFrame
        The columns of :class:`~opsanalysis.abtest.ABTestResult` plus experiment_id,
        analysis ("cuped" or "unadjusted"; with CUPED on, both rows are given and the
        correction applies to the CUPED rows), chi_square_p_value (proportion metrics with more
        than two variants: equal rates across all; NaN otherwise) and verdict_code (see
        :func:`verdict_code`; :func:`~opsanalysis.report.narrative.with_verdicts` words it).
        p_value_adjusted is corrected across metrics x variants (params
        ``experiments.correction``); significant uses it. With a sample-ratio mismatch nothing
        is significant and every row warns ``srm``. days_to_planned_mde: days of the current
        traffic until the minimum detectable effect (``mde``, at params
        ``experiments.power``) reaches params ``experiments.planned_mde`` (0 once it has).

    Notes
    -----
    A user counts from their first assignment; users assigned to more than one variant are
    excluded (counted in :func:`experiment_health`). Values are winsorised at params
    ``experiments.winsorize`` (a quantile over all users) for revenue-like metrics when set.
    """
    src = as_source(data, "assignments")
    health = experiment_health(src, experiment_id, start=start, end=end)
    return _results(src, experiment_id, metrics, health, start, end, sequential)


def _results(
    src: Source,
    experiment_id: str,
    metrics: list[str] | None,
    health: ExperimentHealth,
    start: date | str | None,
    end: date | str | None,
    sequential: bool | None,
) -> pd.DataFrame:
    """:func:`experiment_results` with the experiment's health already checked."""
    cfg = src.params.experiments
    metrics = list(metrics or cfg.metrics)
    end_d = last_day(src, end, start=start)
    if len(health.counts) < 2:
        ((only, n),) = health.counts.items()
        raise DataContractError(
            f"Experiment {experiment_id!r} has a single variant ({only!r}, {n:,} users) in "
            f"table 'assignments' up to {end_d}: there is nothing to compare it with. Load the "
            "other variants' assignments, or check the experiment_id and the dates."
        )
    start_d = as_date(start) if start is not None else None
    if sequential is None:
        mode = cfg.sequential
        sequential = health.running if mode == "auto" else bool(mode)
    users = assigned_users(src, experiment_id, start_d, end_d)
    users = users.filter(users.n_variants == 1)
    pre_days = cfg.cuped_days
    per_user = _per_user(src, users, metrics, end_d, max(pre_days, 1))
    caps: dict[str, float] = {}
    if cfg.winsorize:
        q = float(cfg.winsorize)
        capped = [
            m
            for m in metrics
            if m in ("revenue", "orders")
            or (m not in BUILTIN_METRICS and _metric_spec(m, src)[0] == "mean")
        ]
        if capped:
            qs = src.execute(
                per_user.aggregate(
                    **{f"cap_{m}": _value_exprs(per_user, m, src)[0].quantile(q) for m in capped}
                )
            )
            caps = {m: float(qs[f"cap_{m}"].iloc[0]) for m in capped}
    aggs: dict[str, ibis.Value] = {"n": per_user.count()}
    for m in metrics:
        if m == "revenue_per_order":
            num, den = per_user.revenue, per_user.orders
            if "revenue" in caps:
                num = ibis.least(num, caps["revenue"])
            aggs.update(
                {
                    f"{m}__num": num.sum(),
                    f"{m}__num2": (num * num).sum(),
                    f"{m}__den": den.sum(),
                    f"{m}__den2": (den * den).sum(),
                    f"{m}__cross": (num * den).sum(),
                }
            )
            continue
        y, x = _value_exprs(per_user, m, src)
        if m in caps:
            y, x = ibis.least(y, caps[m]), ibis.least(x, caps[m])
        aggs.update(
            {
                f"{m}__s": y.sum(),
                f"{m}__s2": (y * y).sum(),
                f"{m}__x": x.sum(),
                f"{m}__x2": (x * x).sum(),
                f"{m}__xy": (x * y).sum(),
            }
        )
    sums = src.execute(per_user.group_by("variant").aggregate(**aggs)).set_index("variant")
    control = cfg.control
    if control not in sums.index:
        raise DataContractError(
            f"Table 'assignments', column 'variant': experiment {experiment_id!r} has no "
            f"variant {control!r} (it has {', '.join(map(str, sums.index))}). Set "
            "experiments.control in params to the control's name."
        )
    rows: list[tuple[str, ABTestResult]] = []
    treatments = [v for v in sums.index if v != control]
    for m in metrics:
        for v in treatments:
            c, t = sums.loc[control], sums.loc[v]
            for analysis in ("unadjusted", "cuped"):
                if analysis == "cuped" and (m == "revenue_per_order" or pre_days <= 0):
                    continue
                a, b = _stats(m, c, analysis, src), _stats(m, t, analysis, src)
                res = ab_test(
                    a,
                    b,
                    alpha=cfg.alpha,
                    alternative=cfg.alternative,
                    sequential=sequential,
                    sequential_tuning=cfg.sequential_tuning,
                    prior_sd=cfg.prior_sd,
                    relative=cfg.relative,
                    power=cfg.power,
                    metric=m,
                    control_name=control,
                    treatment_name=str(v),
                )
                rows.append((analysis, res))
    frame = results_frame([r for _, r in rows])
    frame.insert(0, "experiment_id", experiment_id)
    frame.insert(2, "analysis", [a for a, _ in rows])
    primary = frame["analysis"].eq("cuped") | ~frame["metric"].isin(
        frame.loc[frame["analysis"].eq("cuped"), "metric"]
    )
    for mask in (primary, ~primary):
        if mask.any():
            frame.loc[mask, "p_value_adjusted"] = adjust_p_values(
                frame.loc[mask, "p_value"].tolist(), cfg.correction
            )
    frame["significant"] = frame["p_value_adjusted"] < frame["alpha"]
    frame["srm_p_value"] = health.srm_p_value
    # more than two variants: one chi-square test of equal rates across all of them
    frame["chi_square_p_value"] = math.nan
    if len(treatments) > 1:
        for m in metrics:
            if m == "conversion" or (
                m not in BUILTIN_METRICS and _metric_spec(m, src)[0] == "proportion"
            ):
                succ = {str(v): int(round(sums.loc[v, f"{m}__s"])) for v in sums.index}
                tot = {str(v): int(sums.loc[v, "n"]) for v in sums.index}
                frame.loc[frame["metric"] == m, "chi_square_p_value"] = chi_square_test(succ, tot)
    if health.warnings:
        frame["warnings"] = [
            ",".join(filter(None, [w, *health.warnings])) for w in frame["warnings"]
        ]
    if not health.srm_ok:
        frame["significant"] = False
    frame["days_to_planned_mde"] = [
        _days_to_mde(r["mde"], cfg.planned_mde, r["n_control"] + r["n_treatment"], health)
        for r in frame.to_dict("records")
    ]
    frame["verdict_code"] = [verdict_code(row) for row in frame.to_dict("records")]
    return frame


def _days_to_mde(mde: float, planned: float, n: int, health: ExperimentHealth) -> float:
    """Days of current traffic until the MDE reaches the planned one (0 when it already has).

    The standard error shrinks as 1/sqrt(n), so the planned MDE needs n·(mde / planned)²
    users in the two arms; the two arms get their share of the users assigned per day.
    """
    if not (mde == mde and mde > 0):
        return math.nan
    if mde <= planned:
        return 0.0
    total = sum(health.counts.values())
    daily = health.daily_users * (n / total) if total else math.nan
    if not daily > 0:
        return math.nan
    return float(math.ceil(n * ((mde / planned) ** 2 - 1) / daily))


def _stats(metric: str, row: pd.Series, analysis: str, src: Source):
    n = int(row["n"])
    if metric == "revenue_per_order":
        return RatioStats(
            n,
            row[f"{metric}__num"],
            row[f"{metric}__num2"],
            row[f"{metric}__den"],
            row[f"{metric}__den2"],
            row[f"{metric}__cross"],
        )
    s, s2 = float(row[f"{metric}__s"]), float(row[f"{metric}__s2"])
    if analysis == "cuped":
        return CupedStats(
            n,
            s,
            s2,
            float(row[f"{metric}__x"]),
            float(row[f"{metric}__x2"]),
            float(row[f"{metric}__xy"]),
        )
    kind = (
        "proportion"
        if metric == "conversion"
        else ("mean" if metric in BUILTIN_METRICS else _metric_spec(metric, src)[0])
    )
    return ProportionStats(n, int(round(s))) if kind == "proportion" else MeanStats(n, s, s2)


def mann_whitney(
    data: Any,
    experiment_id: str,
    metric: str = "revenue",
    *,
    treatment: str | None = None,
    end: date | str | None = None,
) -> dict[str, float]:
    """Mann-Whitney U test of a per-user metric, computed from ranks in the engine.

    A robustness check for skewed metrics such as revenue. Values are rounded to 6 decimals
    before ranking, so float summation order cannot split ties. Returns u (for the treatment), z
    and the two-sided p-value of the normal approximation with tie and continuity
    corrections (as ``scipy.stats.mannwhitneyu(method="asymptotic")``).
    """
    src = as_source(data, "assignments")
    cfg = src.params.experiments
    end_d = last_day(src, end)
    users = assigned_users(src, experiment_id, None, end_d)
    users = users.filter(users.n_variants == 1)
    per_user = _per_user(src, users, [metric], end_d, 1)
    control = cfg.control
    if treatment is None:
        variants = src.execute(per_user.select("variant").distinct())["variant"].tolist()
        treatment = next(v for v in sorted(variants) if v != control)
    y, _ = _value_exprs(per_user, metric, src)
    y = y.round(6)  # summation order must not split ties between users
    t = per_user.filter(per_user.variant.isin([control, treatment])).select(
        is_t=(per_user.variant == treatment).ifelse(1, 0), y=y
    )
    ties = t.group_by("y").aggregate(c=t.count(), ct=t.is_t.sum())
    w = ibis.cumulative_window(order_by=ties.y)
    ranked = ties.mutate(below=ties.c.sum().over(w) - ties.c)
    # average rank of a tie group: below + (c + 1) / 2
    agg = ranked.aggregate(
        r_t=(ranked.ct * (ranked.below + (ranked.c + 1) / 2.0)).sum(),
        n=ranked.c.sum(),
        n_t=ranked.ct.sum(),
        tie=(ranked.c**3 - ranked.c).sum(),
    )
    r = src.execute(agg).iloc[0]
    n, n_t = float(r["n"]), float(r["n_t"])
    n_c = n - n_t
    u = float(r["r_t"]) - n_t * (n_t + 1) / 2
    mu = n_t * n_c / 2
    sigma = math.sqrt(n_t * n_c / 12 * ((n + 1) - float(r["tie"]) / (n * (n - 1))))
    z = (u - mu - 0.5 * math.copysign(1, u - mu)) / sigma if sigma else 0.0
    return {"u": u, "z": z, "p_value": float(min(1.0, 2 * stats.norm.sf(abs(z))))}


def experiment_overview(
    data: Any,
    *,
    end: date | str | None = None,
    metric: str | None = None,
    concluded_in: Any = None,
) -> pd.DataFrame:
    """Every experiment with its status and the verdict on its first goal metric.

    ``concluded_in`` (a period such as ``"2025-Q3"``) keeps only the experiments that
    finished in it: status finished and the last assignment on one of its days.

    Returns
    -------
    pandas.DataFrame
        Columns experiment_id, status (running/finished), first_assigned, last_assigned,
        users, srm_p_value, metric, rel_effect, rel_ci_low, rel_ci_high, p_value_adjusted,
        significant, and what the verdict rests on: treatment, alpha, sequential, warnings
        and verdict_code.
    """
    src = as_source(data, "assignments")
    end_d = last_day(src, end)
    a = src.table("assignments")
    a = a.filter(on_days(a.assigned_at, None, end_d))
    # not .distinct().order_by(): ibis 12 compiles that for PySpark as DISTINCT over every
    # column of the filtered table, so each assignment time came back as another experiment
    ids = src.execute(a.group_by("experiment_id").aggregate(n=a.count()))
    ids = ids.sort_values("experiment_id", kind="stable")
    metric = metric or src.params.experiments.metrics[0]
    rows = []
    for exp in ids["experiment_id"]:
        health = experiment_health(src, exp, end=end_d)
        if len(health.counts) < 2:  # nothing to compare: listed, with no numbers
            rows.append(single_variant_row(health, metric))
            continue
        res = _results(src, exp, [metric], health, None, end_d, None)
        best = primary_results(res).sort_values("p_value_adjusted").iloc[0]
        rows.append(
            {
                "experiment_id": exp,
                "status": "running" if health.running else "finished",
                "first_assigned": health.first_assigned,
                "last_assigned": health.last_assigned,
                "users": sum(health.counts.values()),
                "srm_p_value": health.srm_p_value,
                "metric": metric,
                "rel_effect": best["rel_effect"],
                "rel_ci_low": best["rel_ci_low"],
                "rel_ci_high": best["rel_ci_high"],
                "p_value_adjusted": best["p_value_adjusted"],
                "significant": bool(best["significant"]),
                "treatment": best["treatment"],
                "alpha": best["alpha"],
                "sequential": bool(best["sequential"]),
                "warnings": best["warnings"],
                "verdict_code": best["verdict_code"],
            }
        )
    out = pd.DataFrame(rows)
    if concluded_in is not None and not out.empty:
        p = parse_period(concluded_in)
        last = pd.to_datetime(out["last_assigned"]).dt.date
        done = (out["status"] == "finished") & (last >= p.start) & (last <= p.last_day)
        out = out[done].reset_index(drop=True)
    return out
