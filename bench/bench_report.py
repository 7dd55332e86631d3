"""The weekly report on the 1,000,000-user demo against the engine's own limit.

In one run:

1. renders the weekly report of the 1M-user demo (DuckDB file, ~107M events) in a child
   process, sampling the resident memory of the whole process tree (the command, the kernel)
   every 0.2 s;
2. times the hand-written pass the report's activity sections need at least once: DuckDB
   reducing all events to distinct (user, day) pairs;
3. does both ``--runs`` times (default 3) and prints each run's ratio, then the run with the
   median ratio: both times, the ratio (target: at most 10), the peak memory of all runs
   (target: under 2.5 GB), and the slowest cells of the report with their times (papermill
   records each cell's duration in the executed notebook).

    python bench/bench_report.py                         # makes bench/results/demo_1m.duckdb once
    python bench/bench_report.py --source /tmp/big.duckdb
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]

RENDER = """
import sys
from opsanalysis.report.render import find_project_file, render
source, out = sys.argv[1], sys.argv[2]
params = str(find_project_file("params", "weekly.yaml"))
values = {"period": "2025-W47", "params_file": params, "source": source, "language": "en"}
render(find_project_file("notebooks", "weekly_report.ipynb"), out, parameters=values,
       keep_notebook=True)
"""


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def render_with_peak(source: Path, out: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", RENDER, str(source), str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(proc))
        time.sleep(0.2)
    seconds = time.perf_counter() - t0
    if child.returncode:
        raise SystemExit(f"the report failed:\n{child.stderr.read() if child.stderr else ''}")
    return seconds, peak


def distinct_user_days(source: Path) -> float:
    con = duckdb.connect(str(source), read_only=True)
    t0 = time.perf_counter()
    con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT user_id, CAST(event_time AS DATE) FROM events)"
    ).fetchall()
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def cell_times(notebook: Path) -> pd.DataFrame:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    rows = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        first = next((ln for ln in "".join(cell["source"]).splitlines() if ln.strip()), "")
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
        rows.append({"seconds": round(float(duration), 1), "cell": first[:90]})
    return pd.DataFrame(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--source", type=Path, default=ROOT / "bench" / "results" / "demo_1m.duckdb")
    ap.add_argument(
        "--runs", type=int, default=3, help="report + pass pairs; the median pair is reported"
    )
    args = ap.parse_args()
    if not args.source.exists():
        args.source.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "opsanalysis", "demo-data", "--users", "1000000"]
        subprocess.run([*cmd, "--out", str(args.source)], check=True, cwd=ROOT)
    # a shared 2-core machine drifts by 15% between minutes: each run times the report and,
    # right after it, the pass, and the run with the median ratio is the one reported
    runs = []
    for i in range(max(1, args.runs)):
        with tempfile.TemporaryDirectory(prefix="oa-bench-report-") as tmp:
            out = Path(tmp) / "2025-W47.html"
            report, peak = render_with_peak(args.source, out)
            cells = cell_times(out.with_suffix(".ipynb"))
        sql = distinct_user_days(args.source)
        runs.append((report / sql, report, sql, peak, cells))
        print(f"run {i + 1}: report {report:.1f} s, pass {sql:.2f} s, ratio {report / sql:.1f}")
    ratio, report, sql, peak, cells = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    peak = max(r[3] for r in runs)
    print(f"median run of {len(runs)}:")
    print(f"weekly report, 1M-user demo: {report:.1f} s, peak memory {peak / 2**30:.2f} GB")
    print(f"hand-written distinct (user, day) pass over the events: {sql:.2f} s")
    print(f"ratio report / pass: {report / sql:.1f} (target <= 10); peak target < 2.5 GB")
    in_cells = cells["seconds"].sum()
    print(
        f"in cells: {in_cells:.1f} s; outside them (process and kernel start, HTML export): "
        f"{report - in_cells:.1f} s"
    )
    print("slowest cells:")
    print(cells.sort_values("seconds", ascending=False).head(8).to_string(index=False))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    row = pd.DataFrame([{"report_s": r[1], "peak_gb": r[3] / 2**30, "pass_s": r[2]} for r in runs])
    path = results / "report.csv"
    row.to_csv(path, mode="a", header=not path.exists(), index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
