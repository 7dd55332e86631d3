"""Every report renders on sources not shaped like the demo, and says what each section needs.

The matrix of source shapes is made here from a small demo: users + orders only; users
without ``channel``; no events; events whose names are not the params' defaults; a week
without signups; no spend, content or tickets. Each report (weekly, monthly, quarterly, rfm,
and the experiment readout where assignments exist) renders on each; a section whose data is
missing shows the line that names it, and a KPI without data reads "no data", never 0.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import duckdb
import pytest

from opsanalysis.report.render import render_report

pytestmark = pytest.mark.slow

TABLES = ["users", "events", "orders", "assignments", "content", "spend", "tickets"]
RENAMED = {
    "session_start": "app_open",
    "view_content": "read_article",
    "send_message": "group_msg",
    "add_wecom": "wecom_friend",
    "view_product": "pdp_view",
    "add_to_cart": "cart_add",
    "submit_order": "checkout",
    "pay_order": "paid",
}
REPORTS = {
    "weekly": "2025-W47",
    "monthly": "2025-10",
    "quarterly": "2025-Q3",
    "rfm": "2025-W47",
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from opsanalysis.data.demo import make_demo_data

    root = tmp_path_factory.mktemp("shapes")
    make_demo_data(root / "base.duckdb", users=500, weeks=22, seed=5)
    con = duckdb.connect(str(root / "base.duckdb"), read_only=True)
    t = {name: con.execute(f"SELECT * FROM {name}").df() for name in TABLES}
    con.close()
    users = t["users"]
    w47 = (users.registered_at >= "2025-11-17") & (users.registered_at < "2025-11-24")
    gone = set(users[w47].user_id)
    events = t["events"].copy()
    events["event"] = events["event"].replace(RENAMED)
    made = {
        "users_orders": {k: t[k] for k in ("users", "orders")},
        "no_channel": {**t, "users": users.drop(columns=["channel"])},
        "no_events": {k: v for k, v in t.items() if k != "events"},
        "other_event_names": {**t, "events": events},
        "week_without_signups": {
            **{k: v[~v.user_id.isin(gone)] if "user_id" in v else v for k, v in t.items()},
        },
        "no_spend_content_tickets": {k: t[k] for k in ("users", "events", "orders", "assignments")},
    }
    out = {}
    for name, tables in made.items():
        folder = root / name
        folder.mkdir()
        for table, frame in tables.items():
            frame.to_parquet(folder / f"{table}.parquet", index=False)
        out[name] = folder
    return out


def visible_text(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    body = page[page.find("<body") :]
    body = re.sub(r"<(style|script)\b.*?</\1>", "", body, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


#: what each shape's reports must say they lack (a fragment of the line, per report kind)
EXPECTED_MISSING = {
    "users_orders": {
        "weekly": [
            "needs the events table",
            "needs the tables content, events",
            "needs the tables spend, events",
            "needs the tickets table",
            "needs the assignments table",
        ],
        "monthly": ["needs the events table", "needs the tables spend, events"],
        "quarterly": ["needs the events table", "needs the assignments table"],
        "rfm": ["needs the events table"],  # the value x activity quadrants
    },
    "no_channel": {
        "weekly": ["needs the column channel in the users table"],
        "monthly": ["needs the column channel in the users table"],
        "quarterly": ["needs the column channel in the users table"],
        "rfm": [],
    },
    "no_events": {
        "weekly": ["needs the events table"],
        "monthly": ["needs the events table"],
        "quarterly": ["needs the events table"],
        "rfm": ["needs the events table"],
    },
    "other_event_names": {
        "weekly": ["params events.conversion_steps says (view_product"],
        "monthly": ["params events.conversion_steps says"],
        "quarterly": [],
        "rfm": [],
    },
    "week_without_signups": {"weekly": [], "monthly": [], "quarterly": [], "rfm": []},
    "no_spend_content_tickets": {
        "weekly": ["needs the content table", "needs the spend table", "needs the tickets"],
        "monthly": ["needs the spend table", "needs the tickets table"],
        "quarterly": [],
        "rfm": [],
    },
}


@pytest.mark.parametrize("shape", list(EXPECTED_MISSING))
def test_every_report_renders_on_each_source_shape(shapes, shape, tmp_path):
    for kind, period in REPORTS.items():
        page = render_report(kind, period=period, source=str(shapes[shape]), out=tmp_path)
        words = visible_text(page)
        for bad in (" nan", "NaN", " inf ", "None", "Traceback"):
            assert bad not in words, (shape, kind, bad)
        for fragment in EXPECTED_MISSING[shape][kind]:
            assert fragment in words, (shape, kind, fragment)
        if EXPECTED_MISSING[shape][kind]:  # "About the data" lists what was left out
            assert "Not shown for lack of data" in words, (shape, kind)
        else:
            assert "Not shown" not in words, (shape, kind)
        if kind != "rfm":
            _no_kpi_without_data_reads_zero(shape, kind, words)
    if shape not in ("users_orders", "no_events"):  # the experiment readout needs events too
        readout = render_report(
            "experiment",
            period="2025-11-23",
            source=str(shapes[shape]),
            out=tmp_path,
            extra={"experiment": "exp_checkout_copy"},
        )
        assert "nan" not in visible_text(readout).lower().split()


def _no_kpi_without_data_reads_zero(shape: str, kind: str, words: str) -> None:
    card = words[words.index("KPI scorecard") :]
    lacking = {
        "users_orders": ["Community messages", "Add-WeCom conversion", "Content read rate"],
        "no_events": ["Community messages", "Reactivation rate"],
        "other_event_names": ["Community messages", "Add-WeCom conversion", "Content read rate"],
    }.get(shape, [])
    for label in lacking:
        row = card[card.index(label) + len(label) :][:12]
        assert row.strip().startswith("no data"), (shape, kind, label, row)


def test_a_chinese_report_on_users_and_orders_says_what_it_lacks_in_chinese(shapes, tmp_path):
    page = render_report(
        "weekly",
        period="2025-W47",
        source=str(shapes["users_orders"]),
        out=tmp_path,
        language="zh",
    )
    words = visible_text(page)
    assert "本节未展示：需要 events 数据表" in words
    assert "社群消息数 暂无数据" in words or "暂无数据" in words
    assert "Not shown" not in words and "no data" not in words
