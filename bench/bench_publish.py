"""Publishing speed: `make report` after set-up, and a batch of 26 weekly reports.

1. The README's `make report` on the default demo, set-up done (the environment and the demo file
   exist): wall time of the command end to end. Target: under 20 s on 2 cores.
2. `opsanalysis batch weekly` over the demo's 26 weeks with `--jobs 2` into an empty folder, then
   again (everything unchanged: all skipped). Target: under 5 minutes.

    python bench/bench_publish.py            # uses data/demo.duckdb (made by make report)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _timed(cmd: list[str], **kw: object) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--weeks", type=int, default=26, help="weeks in the batch (default 26)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not (ROOT / "data" / "demo.duckdb").exists():
        subprocess.run(["make", "demo"], check=True, cwd=ROOT)
    report = _timed(["make", "report"])
    print(f"make report (set-up done): {report:.1f} s (target < 20 s)")
    last = 47
    first = last - args.weeks + 1
    with tempfile.TemporaryDirectory(prefix="oa-bench-pub-") as tmp:
        cmd = [sys.executable, "-m", "opsanalysis", "batch", "weekly"]
        cmd += ["--from", f"2025-W{first:02d}", "--to", f"2025-W{last}", "--out", tmp]
        cmd += ["--jobs", str(args.jobs)]
        batch = _timed(cmd)
        rendered = len(list(Path(tmp, "weekly").glob("*.html")))
        again = _timed(cmd)
    print(
        f"batch of {rendered} weekly reports, --jobs {args.jobs}: {batch:.0f} s "
        f"({batch / max(rendered, 1):.1f} s per report; target < 300 s); unchanged re-run "
        f"{again:.1f} s"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    row = pd.DataFrame(
        [{"make_report_s": report, "batch_reports": rendered, "batch_s": batch, "rerun_s": again}]
    )
    path = results / "publish.csv"
    row.to_csv(path, mode="a", header=not path.exists(), index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
