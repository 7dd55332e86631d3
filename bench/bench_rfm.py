"""rfm_table + rfm_score on synthetic orders against one hand-written DuckDB SQL query.

Writes N orders (default 10,000,000) of about N/5 users over two years to a DuckDB file,
then, each in its own child process so peak memory is measured separately:

- ``opsanalysis``: ``oa.rfm_score(oa.rfm_table(src, as_of=...))`` (contract validation of the
  orders table is done once when the source first loads it, and reported separately);
- ``sql``: one hand-written query computing the same columns and scores, fetched to pandas.

Prints best-of-3 seconds, peak memory, and the ratio opsanalysis / SQL (target <= 1.3);
checks that both give the same table; appends to bench/results/rfm.csv.

    python bench/bench_rfm.py [--orders 10000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

AS_OF = "2025-11-23"

HAND_SQL = f"""
with paid as (
    select user_id, order_time, amount from orders
    where status = 'paid' and order_time < timestamp '{AS_OF}' + interval 1 day
),
per_user as (
    select user_id, count(*) as frequency, round(sum(amount), 6) as monetary,
           min(order_time) as first_order, max(order_time) as last_order
    from paid group by user_id
),
days as (select distinct user_id, order_time::date as d from paid),
gaps as (
    select user_id, d - lag(d) over (partition by user_id order by d) as gap from days
),
med as (select user_id, median(gap::double) as median_days_between from gaps
        where gap is not null group by user_id),
rfm as (
    select p.user_id,
           date '{AS_OF}' - p.last_order::date as recency, p.frequency, p.monetary,
           p.first_order, p.last_order, date '{AS_OF}' - p.first_order::date as tenure_days,
           m.median_days_between
    from per_user p left join med m using (user_id)
)
select *,
    1 + (5 * (rank() over (order by recency desc) - 1)) // count(*) over () as r_score,
    1 + (5 * (rank() over (order by frequency) - 1)) // count(*) over () as f_score,
    1 + (5 * (rank() over (order by monetary) - 1)) // count(*) over () as m_score
from rfm order by user_id
"""


def make_orders(path: Path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    users = max(1, n // 5)
    # skewed buyers: a few buy often, most once or twice
    weights = rng.gamma(0.5, 2.0, users)
    user = rng.choice(users, size=n, p=weights / weights.sum()) + 1
    start = np.datetime64("2023-11-24T00:00:00")
    seconds = rng.integers(0, 730 * 86400, n)
    con = duckdb.connect(str(path))
    df = pd.DataFrame(
        {
            "order_id": np.arange(1, n + 1, dtype=np.int64),
            "user_id": user.astype(np.int64),
            "order_time": (start + seconds.astype("timedelta64[s]")).astype("datetime64[us]"),
            "amount": np.round(rng.lognormal(4.6, 0.8, n), 2),
            "status": np.where(rng.random(n) < 0.05, "refunded", "paid"),
        }
    )
    con.register("df", df)
    con.execute("create table orders as select * from df")
    con.close()


def run_child(kind: str, db: str) -> dict:
    """Runs in the child: best of 3, returns seconds and peak memory."""
    import opsanalysis as oa

    times, first = [], None
    if kind == "opsanalysis":
        src = oa.connect(db)
        t0 = time.perf_counter()
        src.table("orders")  # contract validation, once per source
        first = time.perf_counter() - t0
        for _ in range(3):
            t0 = time.perf_counter()
            out = oa.rfm_score(oa.rfm_table(src, as_of=AS_OF))
            times.append(time.perf_counter() - t0)
    else:
        con = duckdb.connect(db, read_only=True)
        for _ in range(3):
            t0 = time.perf_counter()
            out = con.execute(HAND_SQL).df()
            times.append(time.perf_counter() - t0)
    out.to_parquet(Path(db).with_suffix(f".{kind}.parquet"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {"seconds": min(times), "validation_seconds": first, "peak_gib": peak, "rows": len(out)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--orders", type=int, default=10_000_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return 0

    with tempfile.TemporaryDirectory(prefix="oa-bench-rfm-") as tmp:
        db = Path(tmp) / "orders.duckdb"
        t0 = time.perf_counter()
        make_orders(db, args.orders)
        print(f"wrote {args.orders:,} orders in {time.perf_counter() - t0:.1f} s")
        res = {}
        for kind in ("sql", "opsanalysis"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(db)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            res[kind] = json.loads(out.strip().splitlines()[-1])
        a = pd.read_parquet(db.with_suffix(".opsanalysis.parquet"))
        b = pd.read_parquet(db.with_suffix(".sql.parquet"))
        cols = [
            "user_id",
            "recency",
            "frequency",
            "monetary",
            "tenure_days",
            "median_days_between",
            "r_score",
            "f_score",
            "m_score",
        ]
        pd.testing.assert_frame_equal(a[cols], b[cols], check_dtype=False, rtol=1e-9)
        same = "identical"

    o, s = res["opsanalysis"], res["sql"]
    print(f"buyers                 {o['rows']:>12,}   (results {same})")
    print(f"hand-written SQL       {s['seconds']:>10.2f} s   peak {s['peak_gib']:.2f} GiB")
    print(f"opsanalysis            {o['seconds']:>10.2f} s   peak {o['peak_gib']:.2f} GiB")
    print(f"ratio                  {o['seconds'] / s['seconds']:>10.2f}     (target <= 1.3)")
    print(f"contract validation    {o['validation_seconds']:>10.2f} s   (once per source)")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    log = results / "rfm.csv"
    new = not log.exists()
    with log.open("a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["when", "orders", "sql_s", "oa_s", "ratio", "validation_s", "oa_peak_gib"])
        w.writerow(
            [
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
                args.orders,
                round(s["seconds"], 3),
                round(o["seconds"], 3),
                round(o["seconds"] / s["seconds"], 3),
                round(o["validation_seconds"], 3),
                round(o["peak_gib"], 2),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
