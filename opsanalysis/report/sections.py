"""The sections of the reports, each declared once: what it needs, what it computes, its view.

A :class:`Section` is a key (its title in :data:`~opsanalysis.report.labels.SECTIONS`), its
needs (tables, mapped columns, event names from params) and a view that computes its numbers
with the analysis layers and shows them through the report context. A report is a list of
parts (:data:`LAYOUTS`): a part is an ``h2`` heading and the sections under it, and each report
notebook has one cell per part (``report.show("growth")``), so the weekly and the monthly
report share every declaration and differ only in their windows.

A section whose needs the source does not meet shows one line that names what is missing and
how to provide it (the table, the column mapping or the params key), and the report goes on;
a section never shows zeros for data that does not exist. Sections that later parts read
(the scorecard's monitor, the experiments, the layer sizes, the campaigns) keep their results
in ``report.kept``.

To add a section: write its view (a function of the report context that makes one library
call and one ``show_*`` or plot), declare it in :data:`SECTION_LIST` with its needs, and put
its key in the parts of the layouts that show it; its title goes in ``labels.SECTIONS``.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..data.kpis import params_event_names
from .labels import text
from .views import (
    activity,
    activity_tiers,
    campaign_roi,
    channel_value,
    channels,
    content_items,
    content_month,
    coverage,
    data_notes,
    experiments,
    findings,
    funnel,
    funnel_cohort,
    goals,
    heading_only,
    lists,
    migration,
    monthly_retention,
    new_user_funnel,
    new_user_retention,
    new_users_by_channel,
    next_period,
    quarter_layers,
    reactivation,
    retention,
    rfm_migration,
    rfm_scores,
    roas_channel,
    scheme_view,
    scorecard,
    segment_sizes,
    service,
    signup_window,
    touchpoints,
    trend,
    value_layers,
    value_tier_sizes,
    when_active,
)

#: The report context of :mod:`opsanalysis.report.context` (which imports this module to
#: show its parts; named here without an import, so the two form no cycle).
ReportContext = Any

__all__: list[str] = []  # report.show(part) shows them; not library API


@dataclass(frozen=True)
class Needs:
    """What a section reads.

    tables
        Contract tables that must exist (``events``, ``orders``, ...).
    columns
        Mapped columns as ``table.column`` (``users.channel``).
    events
        Params keys of event names (``events.conversion_steps``, ``content.read``) of which
        at least one name must occur in the events table.
    any_table
        At least one of these tables must exist (a scorecard needs some data).
    """

    tables: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    any_table: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One section: its key (title), needs, view and heading level (2 or 3)."""

    key: str
    view: Callable[[ReportContext], None]
    needs: Needs = field(default_factory=Needs)
    level: int = 3
    title_values: Callable[[ReportContext], dict[str, Any]] | None = None
    titled: bool = True  # False: the view continues the section before it (no heading)
    title: str = ""  # the title's key in labels.SECTIONS when it is not the section's key

    @property
    def title_key(self) -> str:
        return self.title or self.key


@dataclass(frozen=True)
class Missing:
    """One unmet need, in codes the report words: kind (table, column, events, any_table),
    what (the table, ``table.column``, or the params key) and the names involved."""

    kind: str
    what: str
    names: tuple[str, ...] = ()


def missing_needs(report: ReportContext, needs: Needs) -> list[Missing]:
    """Every need of a section the source does not meet (empty: the section can be shown)."""
    src = report.source
    out: list[Missing] = []
    if needs.any_table and not any(src.has(t) for t in needs.any_table):
        out.append(Missing("any_table", "/".join(needs.any_table), needs.any_table))
    for t in needs.tables:
        if not src.has(t):
            out.append(Missing("table", t))
    for col in needs.columns:
        table, column = col.split(".", 1)
        if src.has(table) and column not in src.table(table).columns:
            out.append(Missing("column", col, (table, column)))
    if needs.events and src.has("events"):
        present = src.event_names()
        for key in needs.events:
            names = params_event_names(report.params, key)
            if not present.intersection(names):
                out.append(Missing("events", key, tuple(names)))
    return out


def missing_html(missing: list[Missing], language: str) -> str:
    """One line per unmet need: what is missing and how to provide it (escaped)."""
    lines = []
    tables = [m.what for m in missing if m.kind == "table"]
    if len(tables) > 1:  # one line for all the missing tables
        joined = ("、" if language == "zh" else ", ").join(tables)
        lines.append(text("needs_tables", language, tables=joined, first=tables[0]))
    elif tables:
        lines.append(text("needs_table", language, table=tables[0]))
    for m in missing:
        if m.kind == "table":
            continue
        if m.kind == "any_table":
            line = text("needs_any_table", language, tables=", ".join(m.names))
        elif m.kind == "column":
            line = text("needs_column", language, table=m.names[0], column=m.names[1])
        elif not m.names:  # the params list no event for it
            line = text("needs_params", language, param=m.what)
        else:
            line = text("needs_events", language, param=m.what, names=", ".join(m.names))
        lines.append(line)
    return "".join(f"<p class='oa-missing'>{_code_spans(html.escape(t))}</p>" for t in lines)


def _code_spans(escaped: str) -> str:
    parts = escaped.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


_EVENTS = Needs(tables=("events",))
_ORDERS = Needs(tables=("orders",))

SECTION_LIST: list[Section] = [
    Section("coverage", coverage),
    Section("scorecard", scorecard, Needs(any_table=("users", "events", "orders"))),
    Section("goals", goals, Needs(any_table=("users", "events", "orders")), level=2),
    Section(
        "new_users_by_channel",
        new_users_by_channel,
        Needs(tables=("users",), columns=("users.channel",)),
    ),
    Section(
        "channels",
        channels,
        Needs(tables=("users", "events"), columns=("users.channel",)),
        title_values=lambda r: dict(zip(("first", "last"), signup_window(r), strict=True)),
    ),
    Section("trend", trend, Needs(any_table=("users", "events", "orders"))),
    Section("when_active", when_active, _EVENTS),
    Section("activity", activity, Needs(tables=("events", "users"))),
    Section("activity_tiers", activity_tiers, _EVENTS, titled=False),
    Section("retention", retention, _EVENTS),
    Section("monthly_retention", monthly_retention, _EVENTS),
    Section(
        "new_user_retention",
        new_user_retention,
        Needs(tables=("users", "events"), columns=("users.channel",)),
    ),
    Section("reactivation", reactivation, _EVENTS),
    Section("content_items", content_items, Needs(tables=("content", "events"))),
    Section("content_month", content_month, Needs(tables=("content", "events"))),
    Section("funnel", funnel, Needs(tables=("events",), events=("events.conversion_steps",))),
    Section(
        "new_user_funnel",
        new_user_funnel,
        Needs(tables=("users", "events", "orders")),
        title_values=lambda r: {
            "first": funnel_cohort(r).start,
            "last": funnel_cohort(r).last_day,
        },
    ),
    Section("touchpoints", touchpoints, Needs(tables=("events", "orders"))),
    Section("campaign_roi", campaign_roi, Needs(tables=("spend", "orders", "events"))),
    Section(
        "roas_channel",
        roas_channel,
        Needs(tables=("spend", "orders", "events", "users"), columns=("users.channel",)),
    ),
    Section("service", service, Needs(tables=("tickets",))),
    Section("experiments", experiments, Needs(tables=("assignments",))),
    Section("value_layers", value_layers, _ORDERS, level=2),
    Section("segment_sizes", segment_sizes, _ORDERS),
    Section("migration", migration, _ORDERS),
    Section("lists", lists, _ORDERS),
    Section("quarter_layers", quarter_layers, _ORDERS, level=2, title="value_layers"),
    Section("value_tier", value_tier_sizes, _ORDERS),
    Section(
        "channel_value",
        channel_value,
        Needs(tables=("users", "orders"), columns=("users.channel",)),
        level=2,
        title_values=lambda r: {"first": r.period.start, "last": r.data_end},
    ),
    Section("findings", findings, level=2),
    Section("next_week", next_period, level=2),
    Section("next_month", next_period, level=2),
    Section("data_notes", data_notes, level=2),
    Section("rfm_scores", rfm_scores, _ORDERS, level=2, title="scores"),
    *[
        Section(f"scheme_{scheme}", scheme_view(scheme), _ORDERS, level=2, title=scheme)
        for scheme in ("rfm8", "named", "value_tier")
    ],
    Section(
        "scheme_value_activity",
        scheme_view("value_activity"),
        Needs(tables=("orders", "events")),
        level=2,
        title="value_activity",
    ),
    Section("rfm_migration", rfm_migration, _ORDERS, level=2, title="migration"),
    Section("rfm_lists", lambda r: lists(r), _ORDERS, level=2, title="lists"),
    Section("overview", heading_only, level=2),
    Section("growth", heading_only, level=2),
    Section("content", heading_only, level=2),
    Section("conversion", heading_only, level=2),
]

SECTIONS_BY_KEY: dict[str, Section] = {s.key: s for s in SECTION_LIST}

_WEEK_AND_MONTH = {
    "overview": ["overview", "coverage", "scorecard"],
    "conversion": [
        "conversion",
        "funnel",
        "new_user_funnel",
        "touchpoints",
        "campaign_roi",
    ],
    "value_layers": ["value_layers", "segment_sizes", "migration", "lists"],
    "findings": ["findings"],
    "data_notes": ["data_notes"],
}


def _growth(retention: str) -> list[str]:
    """The weekly and the monthly report's growth part, with their cohort retention."""
    return [
        "growth",
        "new_users_by_channel",
        "channels",
        "trend",
        "when_active",
        "activity",
        "activity_tiers",
        retention,
        "new_user_retention",
        "reactivation",
    ]


#: The parts of each periodic report, in order: part key -> its sections (the first is the
#: part's heading). Each report notebook has a cell per part.
LAYOUTS: dict[str, dict[str, list[str]]] = {
    "weekly": {
        "overview": _WEEK_AND_MONTH["overview"],
        "growth": _growth("retention"),
        "content": ["content", "content_items"],
        "conversion": [*_WEEK_AND_MONTH["conversion"], "service", "experiments"],
        "value_layers": _WEEK_AND_MONTH["value_layers"],
        "findings": _WEEK_AND_MONTH["findings"],
        "next_week": ["next_week"],
        "data_notes": _WEEK_AND_MONTH["data_notes"],
    },
    "monthly": {
        "overview": _WEEK_AND_MONTH["overview"],
        "growth": _growth("monthly_retention"),
        "content": ["content", "content_month"],
        "conversion": [
            *_WEEK_AND_MONTH["conversion"],
            "roas_channel",
            "service",
            "experiments",
        ],
        "value_layers": _WEEK_AND_MONTH["value_layers"],
        "findings": _WEEK_AND_MONTH["findings"],
        "next_month": ["next_month"],
        "data_notes": _WEEK_AND_MONTH["data_notes"],
    },
    "quarterly": {
        "overview": _WEEK_AND_MONTH["overview"],
        "goals": ["goals"],
        "growth": ["growth", "new_users_by_channel", "monthly_retention"],
        "channel_value": ["channel_value"],
        "value_layers": ["quarter_layers", "value_tier"],
        "experiments": ["experiments"],
        "findings": _WEEK_AND_MONTH["findings"],
        "data_notes": _WEEK_AND_MONTH["data_notes"],
    },
    "rfm": {
        "scores": ["rfm_scores"],
        "rfm8": ["scheme_rfm8"],
        "named": ["scheme_named"],
        "value_tier": ["scheme_value_tier"],
        "value_activity": ["scheme_value_activity"],
        "migration": ["rfm_migration"],
        "lists": ["rfm_lists"],
        "data_notes": _WEEK_AND_MONTH["data_notes"],
    },
}

#: Sections shown at level 2 in one report and 3 in another.
LEVEL_IN = {("quarterly", "experiments"): 2}


def show_part(report: ReportContext, part: str, layout: str) -> None:
    """Show every section of ``part`` of the report ``layout``, each with its heading, or
    the line that says what it needs."""
    if layout not in LAYOUTS or part not in LAYOUTS[layout]:
        known = ", ".join(LAYOUTS.get(layout, {})) or ", ".join(LAYOUTS)
        raise KeyError(f"The {layout} report has no part {part!r}; its parts: {known}.")
    for key in LAYOUTS[layout][part]:
        show_section(report, SECTIONS_BY_KEY[key], level=LEVEL_IN.get((layout, key)))


def show_section(report: ReportContext, sec: Section, level: int | None = None) -> None:
    """One section: its heading, then its view, or what it needs when the source lacks it."""
    if sec.titled:
        values = sec.title_values(report) if sec.title_values else {}
        report.heading(sec.title_key, level=level or sec.level, **values)
    missing = missing_needs(report, sec.needs)
    if missing:
        if sec.titled:  # an untitled part of a section goes with the section's own line
            report.html(missing_html(missing, report.language))
            report.left_out.append((sec.title_key, missing))
        return
    sec.view(report)
