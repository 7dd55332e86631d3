"""Time and peak memory of `opsanalysis demo-data` at a given scale (default 1,000,000 users).

Runs the generator in a child process and reads its peak resident memory (ru_maxrss), then
prints figures and ratios, and appends a line to bench/results/demo_data.csv.

    python bench/bench_demo_data.py                 # 1,000,000 users, 26 weeks
    python bench/bench_demo_data.py --users 100000
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

MEMORY_LIMIT_GIB = 24.0  # the machine the demo must fit on


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=None, help="DuckDB file (default: a temporary file)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="oa-bench-") as tmp:
        out = Path(args.out or Path(tmp) / "demo.duckdb")
        cmd = [
            sys.executable,
            "-m",
            "opsanalysis",
            "demo-data",
            "--users",
            str(args.users),
            "--weeks",
            str(args.weeks),
            "--seed",
            str(args.seed),
            "--out",
            str(out),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - t0
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2  # KiB on Linux
        con = duckdb.connect(str(out), read_only=True)
        events = con.execute("select count(*) from events").fetchone()[0]
        orders = con.execute("select count(*) from orders").fetchone()[0]
        con.close()
        size_gib = out.stat().st_size / 1024**3

    print(f"users            {args.users:>14,}")
    print(f"events           {events:>14,}  ({events / args.users:.1f} per user)")
    print(f"orders           {orders:>14,}")
    print(f"wall time        {seconds:>14.1f} s  ({events / seconds / 1e6:.2f} M events/s)")
    print(
        f"peak memory      {peak_gib:>14.2f} GiB  "
        f"({peak_gib / MEMORY_LIMIT_GIB:.1%} of {MEMORY_LIMIT_GIB:.0f} GiB)"
    )
    print(f"database file    {size_gib:>14.2f} GiB")

    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    log = results / "demo_data.csv"
    new = not log.exists()
    with log.open("a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(
                [
                    "when",
                    "machine",
                    "cpus",
                    "users",
                    "weeks",
                    "events",
                    "seconds",
                    "peak_gib",
                    "file_gib",
                ]
            )
        w.writerow(
            [
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
                platform.machine(),
                os.cpu_count(),
                args.users,
                args.weeks,
                events,
                round(seconds, 1),
                round(peak_gib, 2),
                round(size_gib, 2),
            ]
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
