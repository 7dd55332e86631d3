"""The embedded demo warehouse: a deterministic private-domain world in one DuckDB file.

:func:`make_demo_data` simulates users of five acquisition channels of clearly different
quality, their activity on five touchpoints (decaying after signup, with weekday-evening
peaks), content and its opens, likes and shares, orders with repeat buyers and lognormal
spend, daily spend per channel, service tickets, and three experiments with known effects.

Users are simulated in fixed blocks of :data:`BLOCK_USERS`, each with its own random stream
derived from the seed, and appended to the database block by block, so memory stays flat
(about 1 GB) whatever the number of users, and the same seed gives the same data.
The file is written to a temporary path and moved into place only when complete.

Known truths (also in the table ``demo_experiments``):

- ``exp_checkout_copy``: treatment multiplies the daily chance of buying after assignment by
  :data:`CHECKOUT_LIFT` (a real lift in conversion); still running at the end of the data.
- ``exp_push_time``: no effect on anything; ended two weeks before the end.
- ``exp_onboarding``: no effect, but 15% of treatment assignments were never logged, a
  sample-ratio mismatch (expected split 50/50).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from .demo_tables import anomalies_table, content_table, experiments_table, spend_table
from .demo_world import (
    ACTIVITY,
    AGE_BANDS,
    AGE_P,
    BROWSE_EVENTS,
    BROWSE_P,
    BUY_EVENTS,
    BUY_PER_ACTIVE_DAY,
    CHANNELS,
    CHECKOUT_LIFT,
    CHECKOUT_RAMP_DAYS,
    CITIES,
    CITY_P,
    CONTENT_EVENTS,
    DECAY_DAYS,
    DOW_FACTOR,
    EV,
    EVENT_NAMES,
    EVENTS_PER_SESSION,
    FLOOR,
    MESSAGE_DROP,
    ONBOARDING_LOST_SHARE,
    SHARE_KEPT,
    SIGNUP_SPIKE,
    SPEND_MU,
    TOUCHPOINT_BY_CHANNEL,
    TOUCHPOINTS,
    World,
    campaign_names,
    campaign_of_day,
    epoch,
    hours,
    plan_world,
)

__all__: list[str] = []  # used by the CLI and the tests; nothing is re-exported

DEFAULT_END = date(2025, 11, 23)  # a Sunday: the last day of ISO week 2025-W47
BLOCK_USERS = 20_000


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`make_demo_data` wrote: the path and the row count of each table."""

    path: str
    start: date
    end: date
    rows: dict[str, int]


def _users_frame(
    world: World, lo: int, hi: int, rng: np.random.Generator, reg_second: np.ndarray
) -> pa.Table:
    n = hi - lo
    base = epoch(world.start)
    reg = base + world.signup_day[lo:hi] * 86400 + reg_second
    return pa.table(
        {
            "user_id": pa.array(np.arange(lo, hi, dtype=np.int64) + 1),
            "registered_at": pa.array(reg.astype("datetime64[s]").astype("datetime64[us]")),
            "channel": pa.DictionaryArray.from_arrays(
                world.channel[lo:hi].astype(np.int32), CHANNELS
            ),
            "city": pa.DictionaryArray.from_arrays(
                rng.choice(len(CITIES), n, p=CITY_P).astype(np.int32), CITIES
            ),
            "age_band": pa.DictionaryArray.from_arrays(
                rng.choice(len(AGE_BANDS), n, p=AGE_P).astype(np.int32), AGE_BANDS
            ),
        }
    )


def _simulate_block(
    world: World, block: int, lo: int, hi: int, order_base: int, ticket_base: int
) -> dict[str, pa.Table]:
    """Simulate users ``lo..hi-1`` (0-based); ids of orders and tickets start after the bases."""
    rng = np.random.default_rng([world.seed, 1, block])
    n, days = hi - lo, world.days
    ch = world.channel[lo:hi]
    sday = world.signup_day[lo:hi]
    base = epoch(world.start)
    dow = (np.arange(days) + world.start.weekday()) % 7
    weekend_day = dow >= 5

    engagement = rng.gamma(2.0, 0.5, n)  # mean 1: heavy and light users
    buyer = rng.gamma(0.6, 1 / 0.6, n)  # mean 1, skewed: many non-buyers, some repeaters
    reg_hour = hours(rng, weekend_day[sday])
    reg_second = reg_hour * 3600 + rng.integers(0, 3600, n)
    users = _users_frame(world, lo, hi, rng, reg_second)

    # which days each user is active: one session a day, chance decaying with age
    age = np.arange(days)[None, :] - sday[:, None]
    p = (
        ACTIVITY[ch][:, None]
        * engagement[:, None]
        * (
            FLOOR[ch][:, None]
            + (1 - FLOOR[ch][:, None]) * np.exp(-np.maximum(age, 0) / DECAY_DAYS[ch][:, None])
        )
        * DOW_FACTOR[dow][None, :]
    )
    active = (rng.random((n, days)) < np.minimum(p, 0.95)) & (age >= 0)
    active[np.arange(n), sday] = True
    del p, age
    su, sd = np.nonzero(active)  # sessions, ordered by user then day
    is_signup = sd == sday[su]
    start_sec = np.where(
        is_signup,
        reg_second[su],
        hours(rng, weekend_day[sd]) * 3600 + rng.integers(0, 3600, len(su)),
    )
    session_t0 = base + sd.astype(np.int64) * 86400 + start_sec

    # experiments: assignment at the first session inside the window
    assign_rows = []
    assigned_day = {}
    for exp_id, (first, last) in world.experiments.items():
        if exp_id == "exp_onboarding":
            inside = (sd >= first) & (sd <= last) & is_signup
        elif exp_id == "exp_checkout_copy":
            # a staged rollout: each user becomes eligible on a day of the first three weeks,
            # so the lift reaches the KPIs gradually rather than as one step
            eligible = first + rng.integers(0, CHECKOUT_RAMP_DAYS, n)
            inside = (sd >= eligible[su]) & (sd <= last)
        else:
            inside = (sd >= first) & (sd <= last)
        idx = np.flatnonzero(inside)
        first_idx = idx[np.unique(su[idx], return_index=True)[1]]
        variant = (rng.random(len(first_idx)) < 0.5).astype(np.int8)  # 1 = treatment
        keep = np.ones(len(first_idx), bool)
        if exp_id == "exp_onboarding":
            keep = ~((variant == 1) & (rng.random(len(first_idx)) < ONBOARDING_LOST_SHARE))
        day_of_user = np.full(n, days, dtype=np.int64)
        treat_user = np.zeros(n, bool)
        day_of_user[su[first_idx]] = sd[first_idx]
        treat_user[su[first_idx]] = variant == 1
        assigned_day[exp_id] = (day_of_user, treat_user)
        fi, v = first_idx[keep], variant[keep]
        assign_rows.append(
            pd.DataFrame(
                {
                    "experiment_id": exp_id,
                    "user_id": su[fi].astype(np.int64) + lo + 1,
                    "variant": np.where(v == 1, "treatment", "control"),
                    "assigned_at": session_t0[fi].astype("datetime64[s]").astype("datetime64[us]"),
                }
            )
        )

    # purchases: a chance per active day, raised by the checkout-copy treatment
    p_buy = BUY_PER_ACTIVE_DAY[ch[su]] * buyer[su] * np.sqrt(engagement[su])
    exp_day, exp_treat = assigned_day["exp_checkout_copy"]
    lifted = exp_treat[su] & (sd >= exp_day[su])
    p_buy = np.where(lifted, p_buy * CHECKOUT_LIFT, p_buy)
    buys = rng.random(len(su)) < np.minimum(p_buy, 0.9)

    # events of each session: opening event, browsing events, then the buying steps
    n_browse = rng.poisson(EVENTS_PER_SESSION[ch[su]] * np.sqrt(engagement[su]))
    n_events = 1 + is_signup + n_browse + 4 * buys
    sess = np.repeat(np.arange(len(su)), n_events)
    pos = np.arange(len(sess)) - np.repeat(np.cumsum(n_events) - n_events, n_events)
    first_browse = 1 + is_signup[sess]
    codes = np.empty(len(sess), np.int16)
    is_open = pos < first_browse
    codes[is_open] = np.where(
        is_signup[sess[is_open]] & (pos[is_open] == 0), EV["register"], EV["session_start"]
    )
    browse = (~is_open) & (pos < first_browse + n_browse[sess])
    codes[browse] = rng.choice(len(BROWSE_EVENTS), browse.sum(), p=BROWSE_P) + 2
    buy_pos = pos - first_browse - n_browse[sess]
    is_buy = buy_pos >= 0
    buy_codes = np.array([EV[e] for e in BUY_EVENTS], np.int16)
    codes[is_buy] = buy_codes[buy_pos[is_buy]]

    gaps = rng.exponential(50.0, len(sess)).astype(np.int64) + 1
    gaps[pos == 0] = 0
    cum = np.cumsum(gaps)
    offset = cum - np.repeat(cum[np.cumsum(n_events) - n_events], n_events)
    day_end = base + sd[sess].astype(np.int64) * 86400 + 86399
    t = np.minimum(session_t0[sess] + offset, day_end)

    touch = np.empty(len(su), np.int32)
    u = rng.random(len(su))
    cdf = np.cumsum(TOUCHPOINT_BY_CHANNEL, axis=1)[ch[su]]
    touch[:] = np.minimum((u[:, None] > cdf).sum(axis=1), len(TOUCHPOINTS) - 1)

    # content: each content event refers to an item published on the day or shortly before
    content_code = np.isin(codes, [EV[e] for e in CONTENT_EVENTS])
    ev_day = sd[sess]
    lag = np.minimum(rng.geometric(0.45, len(sess)) - 1, ev_day)
    cday = ev_day - lag
    item = world.content_first[cday] + (rng.random(len(sess)) * world.content_count[cday]).astype(
        np.int64
    )
    content_id = np.where(content_code, item + 1, -1)
    # share events of less shareable types become plain reads
    share = codes == EV["share"]
    keep = (
        rng.random(len(sess))
        < SHARE_KEPT[world.content_type[np.minimum(item, len(world.content_type) - 1)]]
    )
    codes[share & ~keep] = EV["view_content"]
    # the planted drop: community messages in one week partly not sent (searches instead)
    lo_drop, hi_drop = world.message_drop
    in_drop = (ev_day >= lo_drop) & (ev_day <= hi_drop) & (codes == EV["send_message"])
    in_drop &= touch[sess] == TOUCHPOINTS.index("community")
    codes[in_drop & (rng.random(len(sess)) < MESSAGE_DROP)] = EV["search"]

    # campaign pushes bring some sessions: campaign id by ISO week of the day
    campaign = np.full(len(sess), -1, np.int32)
    pushed = (codes == EV["session_start"]) & (rng.random(len(sess)) < 0.12)
    # most signups of the planted campaign day came through the campaign
    spike = (codes == EV["session_start"]) & is_signup[sess] & (ev_day == world.spike_day)
    pushed |= spike & (rng.random(len(sess)) < 1 - 1 / SIGNUP_SPIKE)
    campaign[pushed] = campaign_of_day(world, ev_day[pushed])

    events = pa.table(
        {
            "user_id": pa.array(su[sess].astype(np.int64) + lo + 1),
            "event_time": pa.array(t.astype("datetime64[s]").astype("datetime64[us]")),
            "event": pa.DictionaryArray.from_arrays(codes.astype(np.int32), EVENT_NAMES),
            "touchpoint": pa.DictionaryArray.from_arrays(touch[sess], TOUCHPOINTS),
            "content_id": pa.array(content_id, mask=content_id < 0),
            "campaign_id": pa.DictionaryArray.from_arrays(
                pa.array(campaign, mask=campaign < 0), campaign_names(world)
            ),
        }
    )

    # orders: one per buying session, at the pay_order event
    pay = np.flatnonzero(codes == EV["pay_order"])
    bsess = sess[pay]
    n_orders = len(pay)
    amount = np.round(rng.lognormal(SPEND_MU[ch[su[bsess]]], 0.75), 2)
    refunded = rng.random(n_orders) < 0.05
    orders = pa.table(
        {
            "order_id": pa.array(np.arange(n_orders, dtype=np.int64) + order_base + 1),
            "user_id": pa.array(su[bsess].astype(np.int64) + lo + 1),
            "order_time": pa.array(t[pay].astype("datetime64[s]").astype("datetime64[us]")),
            "amount": pa.array(amount),
            "channel": pa.DictionaryArray.from_arrays(touch[bsess], TOUCHPOINTS),
            "status": pa.DictionaryArray.from_arrays(
                refunded.astype(np.int32), ["paid", "refunded"]
            ),
        }
    )

    # tickets: a small chance per session; responses lognormal, some never answered
    tk = np.flatnonzero(rng.random(len(su)) < 0.006)
    created = session_t0[tk] + 120
    # about 90% answered within 48 h: some weeks miss a 90% target, some meet it
    resp = created + (rng.lognormal(np.log(5 * 3600), 1.45, len(tk))).astype(np.int64)
    resolved = resp + (rng.lognormal(np.log(8 * 3600), 1.0, len(tk))).astype(np.int64)
    no_resp = rng.random(len(tk)) < 0.04
    unresolved = no_resp | (rng.random(len(tk)) < 0.06)

    def ts(a: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        return pa.array(a.astype("datetime64[s]").astype("datetime64[us]"), mask=mask)

    tickets = pa.table(
        {
            "ticket_id": pa.array(np.arange(len(tk), dtype=np.int64) + ticket_base + 1),
            "user_id": pa.array(su[tk].astype(np.int64) + lo + 1),
            "created_at": ts(created),
            "first_response_at": ts(resp, no_resp),
            "resolved_at": ts(resolved, unresolved),
        }
    )
    return {
        "users": users,
        "events": events,
        "orders": orders,
        "assignments": pa.Table.from_pandas(
            pd.concat(assign_rows, ignore_index=True), preserve_index=False
        ),
        "tickets": tickets,
    }


_DDL = {
    "users": (
        "user_id BIGINT, registered_at TIMESTAMP, channel VARCHAR, city VARCHAR, age_band VARCHAR"
    ),
    "events": "user_id BIGINT, event_time TIMESTAMP, event VARCHAR, touchpoint VARCHAR, "
    "content_id BIGINT, campaign_id VARCHAR",
    "orders": "order_id BIGINT, user_id BIGINT, order_time TIMESTAMP, amount DOUBLE, "
    "channel VARCHAR, status VARCHAR",
    "assignments": "experiment_id VARCHAR, user_id BIGINT, variant VARCHAR, assigned_at TIMESTAMP",
    "tickets": "ticket_id BIGINT, user_id BIGINT, created_at TIMESTAMP, "
    "first_response_at TIMESTAMP, resolved_at TIMESTAMP",
}


def make_demo_data(
    path: str | Path = "data/demo.duckdb",
    *,
    users: int = 50_000,
    weeks: int = 26,
    seed: int = 7,
    end: date = DEFAULT_END,
    threads: int | None = None,
) -> DemoSummary:
    """Write the demo warehouse to a DuckDB file.

    Parameters
    ----------
    path
        The DuckDB file to write (replaced atomically when complete).
    users
        Number of users; about 100 events per user result (1,000,000 users: ~100M events).
    weeks
        Length of the simulated history in weeks, ending on ``end``.
    seed
        Random seed; the same seed, users, weeks and end give the same data.
    end
        The last simulated day (default: Sunday 2025-11-23, the end of 2025-W47).

    Returns
    -------
    DemoSummary
        The path, first and last day, and rows written per table.
    """
    if users < 10:
        raise ValueError(f"users={users} is too few for a demo world; use at least 10.")
    if weeks < 2:
        raise ValueError(f"weeks={weeks} is too short; use at least 2 weeks.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    world = plan_world(users, weeks, end, seed)
    rows: dict[str, int] = {}
    con = duckdb.connect(str(tmp))
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        for name, ddl in _DDL.items():
            con.execute(f"CREATE TABLE {name} ({ddl})")
        order_base = ticket_base = 0
        for block, lo in enumerate(range(0, users, BLOCK_USERS)):
            hi = min(users, lo + BLOCK_USERS)
            tables = _simulate_block(world, block, lo, hi, order_base, ticket_base)
            order_base += tables["orders"].num_rows
            ticket_base += tables["tickets"].num_rows
            for name, table in tables.items():
                con.register("oa_block", table)
                con.execute(f"INSERT INTO {name} SELECT * FROM oa_block")
                con.unregister("oa_block")
                rows[name] = rows.get(name, 0) + table.num_rows
        for name, frame in (
            ("content", content_table(world)),
            ("spend", spend_table(world)),
            ("demo_experiments", experiments_table(world)),
            ("demo_anomalies", anomalies_table(world)),
        ):
            con.register("oa_frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM oa_frame")
            con.unregister("oa_frame")
            rows[name] = len(frame)
        meta = pd.DataFrame(
            {
                "key": ["generator", "users", "weeks", "seed", "start", "end"],
                "value": [
                    "opsanalysis.demo v1",
                    str(users),
                    str(weeks),
                    str(seed),
                    world.start.isoformat(),
                    end.isoformat(),
                ],
            }
        )
        con.register("oa_frame", meta)
        con.execute("CREATE TABLE demo_meta AS SELECT * FROM oa_frame")
        con.unregister("oa_frame")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, path)
    return DemoSummary(str(path), world.start, end, rows)
