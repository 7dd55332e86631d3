"""kpi_monitor for one week on the 1,000,000-user demo against hand-written DuckDB SQL.

Both sides compute the 13 scorecard KPIs of the 13 weeks kpi_monitor needs (12 weeks of
history and the week judged); the SQL side stops there, opsanalysis also judges each KPI
(flag_anomaly, pure Python on 13 numbers). Each side runs in its own child process (best of 3,
peak resident memory); the two sides' values for the judged and the previous week are compared.
Target: ratio opsanalysis / SQL <= 1.5.

    python bench/bench_monitor.py                       # makes a 1M-user demo in a temp dir
    python bench/bench_monitor.py --db data/big.duckdb  # reuses an existing demo file
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

WEEK, FIRST = "2025-W47", "2025-08-25"  # the judged week; Monday of 2025-W35
END = "2025-11-24"  # the day after the judged week

SQL = f"""
with ad as (select distinct user_id, event_time::date as day from events
            where event_time < timestamp '{END}'),
w as (select user_id, day, date_trunc('week', day)::date as p from ad
      where day >= date '{FIRST}'),
act as (select p, count(*) / 7.0 as dau_avg, count(distinct user_id) as active_users
        from w group by p),
nu as (select date_trunc('week', registered_at)::date as p, count(*) as new_users from users
       where registered_at >= timestamp '{FIRST}' and registered_at < timestamp '{END}'
       group by 1),
ev as (select date_trunc('week', event_time)::date as p,
              count(*) filter (where event = 'send_message' and touchpoint = 'community')
                  as community_messages,
              count(distinct user_id) filter (where event = 'add_wecom') as wecom_users,
              count(distinct user_id) filter (where event = 'view_content') as readers
       from events where event_time >= timestamp '{FIRST}' and event_time < timestamp '{END}'
       group by 1),
paid as (select * from orders where status = 'paid'),
firsts as (select user_id, min(order_time) as f from paid group by 1),
od as (select date_trunc('week', o.order_time)::date as p, count(*) as orders,
              sum(o.amount) as revenue, count(distinct o.user_id) as paying_users,
              count(distinct o.user_id) filter
                  (where f.f::date < date_trunc('week', o.order_time)::date) as repeat_users
       from paid o join firsts f using (user_id)
       where o.order_time >= timestamp '{FIRST}' and o.order_time < timestamp '{END}'
       group by 1),
gaps as (select user_id, day, lead(day) over (partition by user_id order by day) as nxt
         from ad),
g as (select * from gaps where nxt is null or nxt - day > 7),
periods as (select distinct p from act),
re as (select periods.p, count(*) as silent_users,
              count(*) filter (where g.nxt is not null and g.nxt < periods.p + 7) as back
       from g join periods on g.day <= periods.p - 8
                          and (g.nxt is null or g.nxt >= periods.p)
       group by 1),
tk as (select date_trunc('week', created_at)::date as p, created_at,
              case when first_response_at < date_trunc('week', created_at) + interval 7 day
                   then first_response_at end as resp,
              date_trunc('week', created_at) + interval 7 day as cutoff
       from tickets
       where created_at >= timestamp '{FIRST}' and created_at < timestamp '{END}'),
sl as (select p,
              count(*) filter (where resp - created_at <= interval 48 hour) as within,
              count(*) filter (where resp - created_at > interval 48 hour) as late,
              count(*) filter (where resp is null and created_at + interval 48 hour <= cutoff)
                  as unanswered
       from tk group by 1)
select act.p, nu.new_users, act.dau_avg, act.active_users,
       act.dau_avg / act.active_users as stickiness, ev.community_messages,
       ev.wecom_users / act.active_users as add_wecom_conversion,
       ev.readers / act.active_users as content_read_rate,
       od.orders, od.revenue, od.paying_users,
       od.repeat_users / od.paying_users as repeat_purchase_rate,
       re.back / re.silent_users as reactivation_rate,
       sl.within / (sl.within + sl.late + sl.unanswered) as response_rate
from act join nu using (p) join ev using (p) join od using (p) join re using (p)
join sl using (p) order by p
"""


def run_child(side: str, db: str) -> dict:
    times = []
    if side == "sql":
        con = duckdb.connect(db, read_only=True)
        for _ in range(3):
            t0 = time.perf_counter()
            out = con.execute(SQL).df()
            times.append(time.perf_counter() - t0)
        values = out.set_index("p").iloc[-2:].T  # previous and judged week
        got = {
            m: [float(values.iloc[i, 0]), float(values.iloc[i, 1])]
            for i, m in enumerate(values.index)
        }
    else:
        import opsanalysis as oa

        src = oa.connect(db)
        for name in ("users", "events", "orders", "tickets"):
            src.table(name)  # contract validation once per source, timed apart
        for _ in range(3):
            t0 = time.perf_counter()
            out = oa.kpi_monitor(src, period=WEEK)
            times.append(time.perf_counter() - t0)
        got = {r.metric: [float(r.previous), float(r.value)] for r in out.itertuples()}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"seconds": min(times), "peak_gib": peak, "values": got}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=None, help="an existing demo DuckDB file")
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="oa-bench-mon-") as tmp:
        db = args.db
        if db is None:
            db = str(Path(tmp) / "demo.duckdb")
            cmd = [sys.executable, "-m", "opsanalysis", "demo-data", "--users", str(args.users)]
            subprocess.run([*cmd, "--out", db], check=True)
        con = duckdb.connect(db, read_only=True)
        events = con.execute("select count(*) from events").fetchone()[0]
        con.close()
        print(f"events: {events:,}")
        res = {}
        for side in ("sql", "opsanalysis"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", side, db],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            res[side] = json.loads(out.strip().splitlines()[-1])
    sql, oa_ = res["sql"]["values"], res["opsanalysis"]["values"]
    differ = [
        m
        for m in sql
        if any(
            abs(a - b) > 1e-9 * max(1.0, abs(a))
            for a, b in zip(sql[m], oa_.get(m, [0, 0]), strict=True)
        )
    ]
    ratio = res["opsanalysis"]["seconds"] / res["sql"]["seconds"]
    print(
        f"kpi_monitor {WEEK}: SQL {res['sql']['seconds']:.2f} s | opsanalysis "
        f"{res['opsanalysis']['seconds']:.2f} s, peak {res['opsanalysis']['peak_gib']:.2f} GiB | "
        f"ratio {ratio:.2f} (target <= 1.5) | "
        + ("same values" if not differ else f"VALUES DIFFER: {', '.join(differ)}")
    )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    row = pd.DataFrame(
        [
            {
                "metric": "kpi_monitor",
                "sql_s": res["sql"]["seconds"],
                "oa_s": res["opsanalysis"]["seconds"],
                "ratio": ratio,
                "oa_peak_gib": res["opsanalysis"]["peak_gib"],
                "values": "same" if not differ else "differ",
                "events": events,
            }
        ]
    )
    path = results / "monitor.csv"
    row.to_csv(path, mode="a", header=not path.exists(), index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
