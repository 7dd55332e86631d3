"""Cohort retention, DAU / MAU and an ordered funnel on the 1,000,000-user demo against
hand-written DuckDB SQL.

Each measurement runs in its own child process (best of 3 seconds, peak resident memory), and
the two sides' results are compared. Targets: ratio opsanalysis / SQL <= 1.3, peak < 4 GiB.

    python bench/bench_behaviour.py                       # makes a 1M-user demo in a temp dir
    python bench/bench_behaviour.py --db data/big.duckdb  # reuses an existing demo file
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

START, END = "2025-05-26", "2025-11-23"

SQL = {
    "retention": f"""
        with ev as (select user_id, event_time from events
                    where event_time < timestamp '{END}' + interval 1 day),
        weeks as (select distinct user_id, date_trunc('week', event_time)::date as p from ev),
        first as (select user_id, min(p) as c from weeks group by 1),
        members as (select * from first where c between date '{START}' and date '{END}'),
        hits as (select m.c, (w.p - m.c) // 7 as k, count(*) as users
                 from members m join weeks w using (user_id) group by all)
        select h.c, h.k, h.users, s.size from hits h
        join (select c, count(*) as size from members group by 1) s using (c) order by 1, 2""",
    "dau": f"""
        select event_time::date as day, count(distinct user_id) as dau from events
        where event_time >= timestamp '{START}' and event_time < timestamp '{END}' + interval 1 day
        group by 1 order by 1""",
    "stickiness": f"""
        with d as (select distinct user_id, event_time::date as day from events
                   where event_time >= timestamp '{START}'
                     and event_time < timestamp '{END}' + interval 1 day)
        select date_trunc('month', day)::date as month, count(*) as user_days,
               count(distinct user_id) as mau from d group by 1 order by 1""",
    # ordered 3-step funnel over the last week, 7-day window, greedy earliest matches
    "funnel": """
        with ev as (select user_id, event_time as t, event from events
                    where event_time >= timestamp '2025-11-17'
                      and event_time < timestamp '2025-11-24'
                      and event in ('view_product', 'add_to_cart', 'submit_order')),
        a as (select distinct user_id, t as t1 from ev where event = 'view_product'),
        s2 as (select a.user_id, a.t1, min(e.t) as t2 from a left join ev e
               on e.user_id = a.user_id and e.event = 'add_to_cart' and e.t >= a.t1
               and e.t <= a.t1 + interval 7 day group by all),
        s3 as (select s2.user_id, s2.t1, s2.t2, min(e.t) as t3 from s2 left join ev e
               on e.user_id = s2.user_id and e.event = 'submit_order' and e.t >= s2.t2
               and e.t <= s2.t1 + interval 7 day group by all),
        r as (select *, 1 + (t2 is not null)::int + (t3 is not null)::int as k,
                     row_number() over (partition by user_id order by
                         1 + (t2 is not null)::int + (t3 is not null)::int desc, t1) as pos
              from s3),
        best as (select * from r where pos = 1)
        select count(*) as users,
               count(t2) as step2, count(t3) as step3,
               quantile_cont(epoch(t2) - epoch(t1), 0.5) as m2,
               quantile_cont(epoch(t2) - epoch(t1), 0.9) as q2,
               quantile_cont(epoch(t3) - epoch(t2), 0.5) as m3,
               quantile_cont(epoch(t3) - epoch(t2), 0.9) as q3
        from best""",
}


def run_child(side: str, what: str, db: str) -> dict:
    import opsanalysis as oa

    times = []
    if side == "sql":
        con = duckdb.connect(db, read_only=True)
        for _ in range(3):
            t0 = time.perf_counter()
            out = con.execute(SQL[what]).df()
            times.append(time.perf_counter() - t0)
        rows = len(out)
        check = float(out.iloc[:, -1].sum()) if what != "retention" else float(out["users"].sum())
        if what == "funnel":
            check = float(out["users"].iloc[0])  # users with at least step 1
    else:
        src = oa.connect(db)
        src.table("events")  # contract validation once per source, timed apart
        fn = {
            "retention": lambda: oa.cohort_retention(src, start=START, end=END),
            "dau": lambda: oa.active_users(src, start=START, end=END),
            "stickiness": lambda: oa.stickiness(src, start=START, end=END),
            "funnel": lambda: oa.funnel(
                src,
                ["view_product", "add_to_cart", "submit_order"],
                start="2025-11-17",
                end="2025-11-23",
            ),
        }[what]
        for _ in range(3):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        rows = len(out)
        if what == "retention":
            check = float(
                out.loc[out.period_number > 0, "retained_users"].sum()
                + out.loc[out.period_number == 0, "cohort_size"].sum()
            )
        elif what == "dau":
            check = float(out["active_users"].sum())
        elif what == "funnel":
            check = float(out["users"].iloc[0])
        else:
            check = float(out["mau"].sum())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"seconds": min(times), "peak_gib": peak, "rows": rows, "check": check}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=None, help="an existing demo DuckDB file")
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="oa-bench-beh-") as tmp:
        db = args.db
        if db is None:
            db = str(Path(tmp) / "demo.duckdb")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "opsanalysis",
                    "demo-data",
                    "--users",
                    str(args.users),
                    "--out",
                    db,
                ],
                check=True,
            )
        events = (
            duckdb.connect(db, read_only=True).execute("select count(*) from events").fetchone()[0]
        )
        print(f"events: {events:,}")
        rows = []
        for what in SQL:
            res = {}
            for side in ("sql", "opsanalysis"):
                out = subprocess.run(
                    [sys.executable, __file__, "--child", side, what, db],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                res[side] = json.loads(out.strip().splitlines()[-1])
            same = (
                "same totals"
                if abs(res["sql"]["check"] - res["opsanalysis"]["check"]) < 1e-6
                else "TOTALS DIFFER"
            )
            ratio = res["opsanalysis"]["seconds"] / res["sql"]["seconds"]
            print(
                f"{what:<11} SQL {res['sql']['seconds']:6.2f} s | opsanalysis "
                f"{res['opsanalysis']['seconds']:6.2f} s, "
                f"peak {res['opsanalysis']['peak_gib']:.2f} GiB"
                f" | ratio {ratio:.2f} (target <= 1.3) | {same}"
            )
            rows.append(
                {
                    "metric": what,
                    "sql_s": res["sql"]["seconds"],
                    "oa_s": res["opsanalysis"]["seconds"],
                    "ratio": ratio,
                    "oa_peak_gib": res["opsanalysis"]["peak_gib"],
                    "totals": same,
                }
            )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    pd.DataFrame(rows).assign(events=events).to_csv(
        results / "behaviour.csv",
        mode="a",
        header=not (results / "behaviour.csv").exists(),
        index=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
