"""The ``opsanalysis`` command: demo data, reports, validation."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from .exceptions import OpsAnalysisError

__all__: list[str] = []  # main() is the console script, not library API


def _demo_data(args: argparse.Namespace) -> int:
    from .data.demo import DEFAULT_END, make_demo_data

    end = DEFAULT_END
    if args.end:
        try:
            end = date.fromisoformat(args.end.strip())
        except ValueError as exc:
            raise ValueError(
                f"--end {args.end!r} is not a date ({exc}); write it as YYYY-MM-DD, e.g. "
                f"{DEFAULT_END:%Y-%m-%d}."
            ) from None
    t0 = time.perf_counter()
    summary = make_demo_data(args.out, users=args.users, weeks=args.weeks, seed=args.seed, end=end)
    rows = ", ".join(f"{k} {v:,}" for k, v in summary.rows.items())
    print(
        f"Wrote {summary.path} ({summary.start} to {summary.end}) in "
        f"{time.perf_counter() - t0:.1f} s: {rows}"
    )
    return 0


def _absolute_paths(args: argparse.Namespace, *names: str) -> None:
    """Make the path arguments absolute once, against the working directory the command was
    started in, before anything else runs (a folder source or file; not a URL or ``spark``)."""
    from .data._io import absolute_path

    for name in names:
        value = getattr(args, name, None)
        if value and "://" not in str(value) and str(value).lower() != "spark":
            setattr(args, name, str(absolute_path(value)))


def _report(args: argparse.Namespace) -> int:
    from .report.render import render_report

    _absolute_paths(args, "params", "source", "out", "export_dir")

    extra = {}
    if args.kind == "experiment":
        if not args.experiment:
            raise ValueError("report experiment needs --experiment <experiment_id>.")
        extra["experiment"] = args.experiment
    elif args.experiment:
        raise ValueError("--experiment applies to the experiment report only.")
    if args.export_dir:
        if args.kind not in ("rfm", "weekly", "monthly"):
            raise ValueError("--export-dir applies to the rfm, weekly and monthly reports.")
        extra["export_dir"] = args.export_dir
    path = render_report(
        args.kind,
        period=args.period,
        params=args.params,
        source=args.source,
        out=args.out,
        extra=extra,
        language=args.language,
        engine=args.engine,
    )
    if args.kind != "experiment":  # the catalogue lists the periodic reports
        from .report.batch import update_after_render
        from .report.render import REPORT_KINDS, find_project_file

        params = args.params or find_project_file("params", REPORT_KINDS[args.kind][2])
        update_after_render(Path(args.out), args.kind, path.stem, params, None)
    print(path.resolve())
    return 0


def _batch(args: argparse.Namespace) -> int:
    from .report.batch import render_batch

    _absolute_paths(args, "params", "source", "out")

    result = render_batch(
        args.kind,
        first=args.first,
        last=args.last,
        jobs=args.jobs,
        force=args.force,
        source=args.source,
        params=args.params,
        out=args.out,
        language=args.language,
        engine=args.engine,
    )
    print(
        f"{len(result.rendered)} rendered, {len(result.skipped)} unchanged (skipped), "
        f"{len(result.failed)} failed; catalogue: {Path(args.out, 'index.html').resolve()}"
    )
    for key, error in sorted(result.failed.items()):
        print(f"  failed {key}: {error}", file=sys.stderr)
    return 1 if result.failed else 0


def _export(args: argparse.Namespace) -> int:
    from .data.engine import as_date
    from .data.source import connect
    from .metrics.churn import at_risk_users
    from .report.exports import export_users

    _absolute_paths(args, "params", "source", "out")

    src = connect(args.source, params=args.params)
    if args.as_of is not None:
        last = src.last_timestamp().date()
        if as_date(args.as_of) > last:
            raise ValueError(
                f"--as-of {as_date(args.as_of)} is after the data's last day, {last}; give a "
                "day up to it, or leave --as-of out for the last day."
            )
    users = at_risk_users(src, as_of=args.as_of)
    path = export_users(users, args.out)
    print(f"Wrote {len(users):,} users at risk to {path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .data.source import connect
    from .data.validation import validate

    _absolute_paths(args, "params", "source")

    report = validate(connect(args.source, params=args.params))
    print(report)
    return 0 if report.ok else 1


ENGINE_HELP = (
    "the engine that reads a folder source: duckdb, or spark (a SparkSession as the "
    "environment configures it; --source spark reads its catalog). Default: params engine"
)


def build_parser() -> argparse.ArgumentParser:
    from .data.params import ENGINES
    from .report.render import REPORT_KINDS

    parser = argparse.ArgumentParser(prog="opsanalysis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write the demo warehouse (DuckDB)")
    demo.add_argument("--users", type=int, default=50_000, help="number of users (default 50000)")
    demo.add_argument("--weeks", type=int, default=26, help="weeks of history (default 26)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--end", default=None, help="last day, YYYY-MM-DD (default 2025-11-23)")
    demo.add_argument("--out", default="data/demo.duckdb", help="output file")
    demo.set_defaults(func=_demo_data)

    rep = sub.add_parser("report", help="render a report to HTML")
    rep.add_argument("kind", choices=list(REPORT_KINDS), help="which report")
    rep.add_argument(
        "--period",
        default=None,
        help="2025-W47 (weekly, rfm), 2025-10 (monthly), 2025-Q3 (quarterly); for experiment, "
        "the last day counted (default: the latest complete period in the data)",
    )
    rep.add_argument("--params", default=None, help="params YAML (default params/<kind>.yaml)")
    rep.add_argument(
        "--source",
        default=None,
        help="DuckDB file, folder of Parquet/CSV, or URL (default: params source)",
    )
    rep.add_argument("--out", default="reports", help="output folder (default reports/)")
    rep.add_argument("--experiment", default=None, help="experiment: the experiment_id to read out")
    rep.add_argument(
        "--language", choices=["en", "zh"], default=None, help="en or zh (default: params)"
    )
    rep.add_argument(
        "--export-dir",
        default=None,
        help="rfm, weekly, monthly: write the CSV lists of params rfm.export_segments here "
        "(default: beside the report)",
    )
    rep.add_argument("--engine", choices=ENGINES, default=None, help=ENGINE_HELP)
    rep.set_defaults(func=_report)

    bat = sub.add_parser("batch", help="render a report for every period of a range")
    periodic = [k for k, (period, _, _) in REPORT_KINDS.items() if period != "day"]
    bat.add_argument("kind", choices=periodic, help="which report (every periodic report)")
    bat.add_argument(
        "--from", dest="first", required=True, help="first period: 2025-W40, 2025-07, 2025-Q1"
    )
    bat.add_argument("--to", dest="last", required=True, help="last period, e.g. 2025-W47")
    bat.add_argument("--jobs", type=int, default=1, help="reports rendered at once (default 1)")
    bat.add_argument("--force", action="store_true", help="render even unchanged reports")
    bat.add_argument("--source", default=None)
    bat.add_argument("--params", default=None)
    bat.add_argument("--out", default="reports", help="output folder (default reports/)")
    bat.add_argument("--language", choices=["en", "zh"], default=None)
    bat.add_argument("--engine", choices=ENGINES, default=None, help=ENGINE_HELP)
    bat.set_defaults(func=_batch)

    exp = sub.add_parser("export", help="write a user list to CSV for campaign tools")
    exp.add_argument("what", choices=["at-risk"], help="which list")
    exp.add_argument("--out", required=True, help="CSV file to write")
    exp.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: the latest day)")
    exp.add_argument("--source", default=None)
    exp.add_argument("--params", default=None)
    exp.set_defaults(func=_export)

    val = sub.add_parser("validate", help="check a source against the data contract")
    val.add_argument("--source", default=None)
    val.add_argument("--params", default=None)
    val.set_defaults(func=_validate)
    return parser


def _interrupted(signum: int, frame: Any) -> None:
    """Ctrl-C: silence the libraries' logging (a dying kernel logs from several places) and
    unwind; every temporary file is removed on the way out."""
    logging.disable(logging.CRITICAL)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _interrupted) if on_main_thread else None
    try:
        return args.func(args)
    except (OpsAnalysisError, ValueError) as exc:
        print(f"opsanalysis: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line; temporary files are removed on the way out
        print("opsanalysis: interrupted; no partial output was left in place.", file=sys.stderr)
        return 130
    finally:
        if on_main_thread:
            signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
