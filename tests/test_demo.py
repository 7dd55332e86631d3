"""The demo warehouse: deterministic, valid against the contract, and realistic where it matters."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scipy import stats

import opsanalysis as oa
from opsanalysis.data.demo import CHANNELS, make_demo_data


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("world") / "w.duckdb"
    summary = make_demo_data(path, users=20_000, weeks=12, seed=3)
    con = duckdb.connect(str(path), read_only=True)
    yield summary, con
    con.close()


def test_same_seed_same_data(tmp_path):
    a = make_demo_data(tmp_path / "a.duckdb", users=300, weeks=3, seed=5)
    b = make_demo_data(tmp_path / "b.duckdb", users=300, weeks=3, seed=5)
    c = make_demo_data(tmp_path / "c.duckdb", users=300, weeks=3, seed=6)
    assert a.rows == b.rows
    assert a.rows != c.rows

    def digest(path):
        con = duckdb.connect(str(path), read_only=True)
        q = (
            "select count(*), sum(hash(user_id, event_time, event, touchpoint, content_id, "
            "campaign_id)) from events"
        )
        out = con.execute(q).fetchone()
        con.close()
        return out

    assert digest(a.path) == digest(b.path)
    assert digest(a.path) != digest(c.path)
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written is left behind


def test_tables_rows_and_contract(world):
    summary, con = world
    assert summary.start.isoformat() == "2025-09-01" and summary.end.isoformat() == "2025-11-23"
    assert summary.rows["users"] == 20_000
    # ~100 events per user over 26 weeks; over 12 weeks users have half the life on average
    assert 50 <= summary.rows["events"] / 20_000 <= 90
    for t in ("users", "events", "orders", "assignments", "content", "spend", "tickets"):
        assert summary.rows[t] > 0, t
    report = oa.validate(oa.connect(summary.path))
    assert report.ok and report.problems.empty, str(report)
    first, last = con.execute("select min(event_time), max(event_time) from events").fetchone()
    assert first.date() >= summary.start and last.date() == summary.end
    # every user's first event is the registration, at registered_at
    bad = con.execute("""select count(*) from users u join (select user_id, min(event_time) t
        from events group by 1) e using (user_id) where e.t <> u.registered_at""").fetchone()[0]
    assert bad == 0


def test_channels_differ_in_quality(world):
    _, con = world
    q = (
        con.execute("""
        with u as (select user_id, channel, registered_at from users
                   where registered_at < timestamp '2025-10-20'),
        d30 as (select u.channel, u.user_id,
                max(case when e.event_time >= u.registered_at + interval 28 day
                         and e.event_time < u.registered_at + interval 35 day then 1 else 0 end) r
                from u join events e using (user_id) group by all)
        select channel, avg(r) retention_w5 from d30 group by 1""")
        .df()
        .set_index("channel")
    )
    r = q["retention_w5"]
    assert set(r.index) == set(CHANNELS)
    # referral and offline events keep users far better than paid feeds
    assert r["referral"] > 2 * r["feed_ads"] and r["offline_event"] > 2 * r["feed_ads"]
    spend = con.execute("""select s.channel, sum(s.amount) / n as cac from spend s join
        (select channel, count(*) n from users group by 1) u using (channel)
        group by s.channel, n""").df()
    cac = spend.set_index("channel")["cac"]
    assert cac["organic_search"] < cac["referral"] < cac["short_video"] < cac["feed_ads"]


def test_weekday_evening_peak_and_decay(world):
    _, con = world
    hours = (
        con.execute("""select hour(event_time) h, count(*) n from events
        where isodow(event_time) <= 5 group by 1 order by 1""")
        .df()
        .set_index("h")["n"]
    )
    assert hours.idxmax() in (19, 20, 21)
    assert hours[20] > 2 * hours[15] and hours[20] > 5 * hours[3]
    # activity decays with age: week-1 DAU share above week-6
    age = (
        con.execute("""select date_diff('day', u.registered_at::date, e.event_time::date) // 7 w,
        count(distinct (e.user_id, e.event_time::date)) n from events e join users u using (user_id)
        where u.registered_at < timestamp '2025-10-01' group by 1 order by 1""")
        .df()
        .set_index("w")["n"]
    )
    assert age[0] > age[5] * 1.5


def test_orders_repeat_and_lognormal_spend(world):
    _, con = world
    per_user = con.execute("select user_id, count(*) n from orders group by 1").df()["n"]
    assert (per_user >= 2).mean() > 0.3  # repeat buyers exist
    amounts = con.execute("select amount from orders").df()["amount"].to_numpy()
    assert amounts.min() > 0
    log = np.log(amounts)
    assert abs(stats.skew(log)) < 0.2 and stats.skew(amounts) > 1  # lognormal shape
    status = con.execute("select status, count(*) from orders group by 1").df().set_index("status")
    assert 0.02 < status.iloc[:, 0]["refunded"] / status.iloc[:, 0].sum() < 0.08


def test_experiments_have_their_known_effects(world):
    _, con = world
    counts = (
        con.execute("""select experiment_id, variant, count(*) n from assignments
        group by all""")
        .df()
        .pivot(index="experiment_id", columns="variant", values="n")
    )
    for exp in ("exp_checkout_copy", "exp_push_time"):
        c, t = counts.loc[exp, "control"], counts.loc[exp, "treatment"]
        assert stats.chisquare([c, t]).pvalue > 0.001, exp
    c, t = counts.loc["exp_onboarding", "control"], counts.loc["exp_onboarding", "treatment"]
    assert stats.chisquare([c, t]).pvalue < 0.001  # sample-ratio mismatch
    conv = con.execute("""select a.experiment_id, a.variant,
            avg(case when o.user_id is null then 0 else 1 end) cr
        from assignments a left join (select distinct o.user_id, a2.experiment_id from orders o
            join assignments a2 on o.user_id = a2.user_id and o.order_time >= a2.assigned_at
            where o.status = 'paid') o
        on o.user_id = a.user_id and o.experiment_id = a.experiment_id group by all""").df()
    cr = conv.pivot(index="experiment_id", columns="variant", values="cr")
    lift = cr["treatment"] / cr["control"] - 1
    assert lift["exp_checkout_copy"] > 0.08
    assert abs(lift["exp_push_time"]) < 0.08
    truth = con.execute("select experiment_id, true_effect from demo_experiments").df()
    assert len(truth) == 3


def test_rejects_tiny_worlds(tmp_path):
    with pytest.raises(ValueError, match="users=5 is too few"):
        make_demo_data(tmp_path / "x.duckdb", users=5)
    with pytest.raises(ValueError, match="weeks=1 is too short"):
        make_demo_data(tmp_path / "x.duckdb", users=100, weeks=1)
