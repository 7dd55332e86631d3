"""The provenance stamp at the foot of every report: which data and settings a number came from.

Period, generation time, opsanalysis version, a hash of the params and a data fingerprint
(per table used: rows and latest timestamp, and a short hash of them). The stamp names the kind
of source at most ("DuckDB file demo.duckdb"), never a path or a connection URL.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from ..data.source import Source
from .labels import text

__all__: list[str] = []  # used by ReportContext.show_data_notes

# the time column whose latest value stands for each table's freshness
_TIME_COLUMNS = {
    "users": "registered_at",
    "events": "event_time",
    "orders": "order_time",
    "assignments": "assigned_at",
    "content": "published_at",
    "spend": "date",
    "tickets": "created_at",
}


@dataclass(frozen=True)
class Stamp:
    period: str
    generated: str
    version: str
    params_hash: str
    source: str
    tables: tuple[tuple[str, int, str], ...]  # (table, rows, latest timestamp)
    fingerprint: str


def _short_hash(value: Any) -> str:
    text_ = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()[:12]


def data_fingerprint(src: Source) -> tuple[tuple[tuple[str, int, str], ...], str]:
    """Rows and latest timestamp of every table of ``src`` (one small query per table), and a
    short hash of them: the same data gives the same fingerprint."""
    rows = []
    for name in src.tables():
        t = src.table(name, validate=False)
        col = _TIME_COLUMNS[name]
        out = src.execute(t.aggregate(n=t.count(), latest=t[col].max()))
        latest = out["latest"].iloc[0]
        when = "" if latest is None or pd.isna(latest) else str(pd.Timestamp(latest))
        rows.append((name, int(out["n"].iloc[0]), when))
    return tuple(rows), _short_hash(rows)


def make_stamp(src: Source, period: str, version: str) -> Stamp:
    tables, fingerprint = data_fingerprint(src)
    zone = src.params.timezone
    now = f"{datetime.now(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"
    return Stamp(
        period=period,
        generated=now,
        version=version,
        params_hash=_short_hash(src.params.raw),
        source=src.safe_description,
        tables=tables,
        fingerprint=fingerprint,
    )


def stamp_html(stamp: Stamp, language: str) -> str:
    """The stamp as a small footer; every value is escaped."""

    def field(key: str, value: str) -> str:
        return (
            f"<span class='oa-stamp-field'><b>{html.escape(text(key, language))}</b> "
            f"{html.escape(value)}</span>"
        )

    tables = "; ".join(
        f"{name} {rows:,}" + (f" ≤ {latest}" if latest else "")
        for name, rows, latest in stamp.tables
    )
    return (
        "<footer class='oa-stamp'>"
        + " · ".join(
            [
                field("stamp_period", stamp.period),
                field("stamp_generated", stamp.generated),
                field("stamp_version", f"opsanalysis {stamp.version}"),
                field("stamp_params", stamp.params_hash),
                field("stamp_fingerprint", stamp.fingerprint),
                field("stamp_source", stamp.source),
            ]
        )
        + f"<br><span class='oa-stamp-tables'>{html.escape(tables)}</span></footer>"
    )
