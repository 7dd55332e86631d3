"""What a report notebook calls: :func:`open_report` and the display helpers of a report.

A notebook cell makes one library call and hands its tidy result to one ``show_*`` helper (or a
plot). The helpers only word and format; every number comes from the analysis layers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.engine import share_activity
from ..data.params import Params, load_params, with_language
from ..data.periods import Period, parse_period
from ..data.source import DEFAULT_SOURCE, Source, connect
from ..metrics.content import pool_content, rank_content
from ..metrics.contribution import kpi_contribution
from .display import (
    campaign_roi_html,
    channel_quality_html,
    content_html,
    experiment_table_html,
    experiments_overview_html,
    funnel_html,
    health_html,
    kpi_table_html,
    new_user_retention_html,
    next_week_html,
    scorecard_html,
    segment_table_html,
    service_html,
    top_content_html,
)
from .findings_text import findings_html
from .labels import SECTIONS, section, text
from .narrative import with_verdicts
from .review_tables import (
    channel_value_html,
    contribution_html,
    coverage_html,
    goals_html,
    segment_sizes_html,
    touchpoints_html,
)

__all__ = ["ReportContext", "open_report"]


@dataclass
class ReportContext:
    """A report's source, period, params and display helpers.

    Every string that comes from data or params (titles, company, segment labels, channel
    names, variants, experiment ids) is HTML-escaped where it enters the page: sentences and
    lists are written as HTML with :func:`html.escape`, never as Markdown (which would pass
    raw HTML through).
    """

    source: Source
    period: Period
    params: Params
    layout: str = ""  # weekly, monthly, quarterly, rfm: the parts of sections.LAYOUTS
    export_dir: str = ""  # where the lists section writes its CSV files ("" for none)
    options: dict[str, Any] = field(default_factory=dict)  # a report's own settings
    kept: dict[str, Any] = field(default_factory=dict)  # results later sections read
    left_out: list[tuple[str, list[Any]]] = field(default_factory=list)  # sections not shown

    @property
    def language(self) -> str:
        return self.params.language

    @property
    def as_of(self) -> Any:
        """The day value layers are scored on: the report's last day with data."""
        return self.data_end

    def show(self, part: str, **options: Any) -> None:
        """Show one part of the report's layout (``report.show("growth")``): its heading and
        every section under it, each with its numbers or with a line that says what data
        it needs (:mod:`opsanalysis.report.sections`)."""
        from .sections import show_part

        self.options.update(options)
        show_part(self, part, self.layout)

    def html(self, html_text: str) -> None:
        """Put already escaped HTML on the page."""
        self._html(html_text)

    def show_no_rows(self, table: str) -> None:
        """Say that ``table`` has no rows in the section's window (never a chart of zeros)."""
        note = text("no_rows", self.language, table=table)
        self._html(f"<p class='oa-note'>{html.escape(note)}</p>")

    @cached_property
    def _last_data_day(self) -> Any:
        return self.source.last_timestamp().date()  # one query, however often cells ask

    @property
    def to_date(self) -> bool:
        """The period has not ended in the data (a month or quarter to date)."""
        return self.period.last_day > self._last_data_day

    @property
    def data_end(self) -> Any:
        """The period's last day, or the data's last day when the period has not ended."""
        return min(self.period.last_day, self._last_data_day)

    def _display_markdown(self, markdown: str) -> None:
        from IPython.display import Markdown, display

        display(Markdown(markdown))

    def _html(self, html_text: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html_text))

    def show_title(self, kind: str = "weekly", name: str = "") -> None:
        title = self.params.report_title or section(f"{kind}_title", self.language)
        title += f": {name}" if name else ""
        company = self.params.company
        dates = (
            f"{self.period.start:%Y-%m-%d}"
            if self.period.days == 1
            else f"{self.period.start:%Y-%m-%d} – {self.period.last_day:%Y-%m-%d}"
        )
        label = "" if self.period.kind == "day" else f"<strong>{self.period.label}</strong> "
        if self.period.kind in ("month", "quarter") and self.to_date:
            so_far = text(f"{self.period.kind}_to_date", self.language)
            label += f"<strong>{html.escape(so_far)}</strong> "
        sub = f"{label}({dates})" + (f" · {html.escape(company, quote=False)}" if company else "")
        self._html(
            f"<h1>{html.escape(title, quote=False)}</h1>\n<p>{sub}</p>\n"
            f"<nav class='oa-toc' data-title='{html.escape(text('contents', self.language))}'>"
            "</nav>"
        )
        if self.language == "zh":
            from .plotting import _cjk_font

            if _cjk_font() is None:  # said once, at the top: charts keep English labels
                self._html(f"<p class='oa-note'>{html.escape(text('no_cjk_font', 'zh'))}</p>")

    def heading(self, key: str, level: int = 2, **values: Any) -> None:
        """A section heading (``h2`` with a stable id; the page's table of contents lists
        it), or with ``level=3`` a part of a section. ``values`` fill a title that names dates
        (``channels``: ``first``, ``last``)."""
        title = html.escape(section(key, self.language, **values), quote=False)
        self._html(f"<h{level} id='oa-{html.escape(key)}'>{title}</h{level}>")

    def subheading(self, key: str, **values: Any) -> None:
        """A part of a section (``h3``)."""
        self.heading(key, level=3, **values)

    def section(self, key: str, needs: tuple[str, ...] | list[str] = (), level: int = 3) -> bool:
        """Start section ``key``; True when the source has every table in ``needs``.

        Otherwise the section says which tables it is missing, and the notebook skips its
        body (``if report.section("experiments", needs=["assignments"]): ...``): a report
        renders without its optional sections instead of failing as a whole.
        """
        self.heading(key, level=level)
        missing = [t for t in needs if not self.source.has(t)]
        if missing:
            names = ", ".join(missing)
            self._html(
                f"<p class='oa-missing'>{html.escape(text('section_needs', self.language))} "
                f"<code>{html.escape(names)}</code></p>"
            )
        return not missing

    def show_findings(self, sentences: list[str]) -> None:
        """Sentences as a bullet list; each is escaped (they quote names from the data)."""
        items = "".join(f"<li>{_inline_code(html.escape(s, quote=False))}</li>" for s in sentences)
        self._html(f"<ul class='oa-findings'>{items}</ul>")

    def show_kpi_table(self, overview: pd.DataFrame) -> None:
        self._html(kpi_table_html(overview, self.language))

    def show_scorecard(self, monitor: pd.DataFrame) -> None:
        self._html(scorecard_html(monitor, self.language))
        if self.period.kind in ("month", "quarter") and self.to_date:
            days = (self.data_end - self.period.start).days + 1
            note = text("to_date_note", self.language, days=days, of=self.period.days)
            self._html(f"<p class='oa-note'>{html.escape(note)}</p>")

    def show_next_week(self, monitor: pd.DataFrame) -> None:
        self._html(next_week_html(monitor, self.language))

    def show_content(
        self, items: pd.DataFrame, *, published: Period, previous: Period | None = None, n: int = 5
    ) -> None:
        """The items of :func:`~opsanalysis.metrics.content.content_performance` published in
        ``published``: by type (complete items), each rate with its change against the items
        of ``previous``; then the top ``n``."""
        by_type = pool_content(items, "type", start=published.start, end=published.last_day)
        by_type.attrs["reach_days"] = self.params.churn.churned_days  # the note's window
        before = None
        if previous is not None:
            before = pool_content(items, "type", start=previous.start, end=previous.last_day)
        self._html(content_html(by_type, self.language, before))
        top = rank_content(items, n=n, start=published.start, end=published.last_day)
        if not top.empty:
            self._html(top_content_html(top, self.language))

    def show_coverage(self, coverage: pd.DataFrame) -> None:
        self._html(coverage_html(coverage, self.language))

    def show_goals(self, monitor: pd.DataFrame) -> None:
        self._html(goals_html(monitor, self.language, to_date=self.to_date))

    def show_channel_value(self, value: pd.DataFrame) -> None:
        self._html(channel_value_html(value, self.language))

    def show_touchpoints(self, conversion: pd.DataFrame) -> None:
        self._html(touchpoints_html(conversion, self.language))

    def show_segment_sizes(self, sizes: pd.DataFrame, scheme: str | None = None) -> None:
        labels = self.segment_labels(scheme)
        self._html(segment_sizes_html(sizes, labels, self.language))

    def show_contribution(self, parts: pd.DataFrame) -> None:
        """:func:`~opsanalysis.metrics.contribution.kpi_contribution` as a table."""
        self._html(contribution_html(parts, self.language, self.period.kind))

    def show_ranked_findings(self, findings: pd.DataFrame) -> None:
        """The ranked findings, then for each KPI that moved the table of where its change
        came from (the numbers its sentence quotes)."""
        self._html(
            findings_html(
                findings,
                self.language,
                kind_of_period=self.period.kind,
                segment_labels=self.segment_labels(),
            )
        )
        moved = findings[(findings["kind"] == "anomaly") & (findings["driver"] != "")]
        if moved.empty:
            return
        self.subheading("contribution")
        kept = findings.attrs.get("contributions", {})  # computed with the findings
        for f in moved.itertuples(index=False):
            parts = kept.get(f.metric)
            if parts is None:
                parts = kpi_contribution(self.source, f.metric, period=self.period, by=f.driver_by)
            self._html(contribution_html(parts, self.language, self.period.kind))

    def show_service(self, levels: pd.DataFrame) -> None:
        self._html(service_html(levels, self.language))

    def show_campaign_roi(self, roi: pd.DataFrame) -> None:
        self._html(campaign_roi_html(roi, self.language))

    @property
    def scheme(self) -> str:
        """The segment scheme reports show (params ``rfm.report_scheme``)."""
        return self.params.rfm["report_scheme"]

    def segment_labels(self, scheme: str | None = None) -> dict[str, str]:
        info = (self.params.rfm["segments"] or {}).get(scheme or self.scheme, {}) or {}
        return {code: v.get(self.language, code) for code, v in info.items()}

    def show_segment_table(self, summary: pd.DataFrame) -> None:
        self._html(segment_table_html(summary, self.language))

    def show_health(self, health: Any) -> None:
        self._html(health_html(health, self.language))

    def show_experiment_table(self, results: pd.DataFrame) -> None:
        self._html(experiment_table_html(results, self.language))

    def show_verdicts(self, results: pd.DataFrame) -> None:
        """One sentence per result row (:func:`~opsanalysis.report.narrative.with_verdicts`)."""
        self.show_findings(with_verdicts(results, language=self.language)["verdict"].tolist())

    def show_experiments(self, overview: pd.DataFrame) -> None:
        lang = self.language
        if overview.empty:
            self._html(f"<p class='oa-note'>{html.escape(text('no_experiments', lang))}</p>")
            return
        self._html(experiments_overview_html(with_verdicts(overview, language=lang), lang))

    def show_new_user_retention(self, summary: pd.DataFrame, by: str = "channel") -> None:
        """The table of :func:`~opsanalysis.metrics.retention.summarise_new_user_retention`."""
        self._html(new_user_retention_html(summary, by, self.language))

    def show_activity_tiers(self, tiers: pd.DataFrame) -> None:
        """One sentence per tier of :func:`~opsanalysis.metrics.activity.activity_tiers` (last
        period)."""
        last = tiers[tiers["period_start"] == tiers["period_start"].max()]
        lang = self.language
        bounds = {
            "high": self.params.activity.tier_high,
            "medium": self.params.activity.tier_medium,
        }
        bounds["high_less"] = bounds["high"] - 1
        names = {tier: text(f"tier_{tier}", lang, **bounds) for tier in ("high", "medium", "low")}
        lines = [
            text("tier_line", lang, name=names[r.tier], users=r.users, share=r.share)
            for r in last.itertuples()
        ]
        self.show_findings(lines)

    def show_at_risk(self, counts: pd.DataFrame) -> None:
        """How many users show churn warning signs and why
        (:func:`~opsanalysis.metrics.churn.at_risk_counts`; never their ids)."""
        row = counts.iloc[0]
        self.show_findings(
            [
                text(
                    "at_risk",
                    self.language,
                    total=int(row["users"]),
                    long_gap=int(row["long_gap"]),
                    fewer=int(row["fewer_event_types"]),
                )
            ]
        )

    def show_funnel(self, result: pd.DataFrame) -> None:
        self._html(funnel_html(result, self.language))

    def show_channel_quality(self, quality: pd.DataFrame) -> None:
        self._html(channel_quality_html(quality, self.language))

    def show_exports(self, exported: pd.DataFrame | None) -> None:
        """Say where segment lists were written (never the user ids themselves)."""
        lang = self.language
        if exported is None or exported.empty:
            self.show_findings([text("no_lists", lang)])
            return
        labels = self.segment_labels()
        items = []
        for row in exported.itertuples(index=False):
            name = labels.get(row.segment, row.segment)
            if not row.path:
                items.append(html.escape(text("list_empty", lang, name=name)))
                continue
            line = html.escape(
                text("list_written", lang, name=name, users=row.users, path="@@file@@")
            )
            file = Path(row.path)
            shown = html.escape(file.name)
            if file.parent.name.endswith("-lists"):  # beside the report: a relative link
                href = html.escape(f"{file.parent.name}/{file.name}", quote=True)
                shown = f"<a href='{href}'>{shown}</a>"
            items.append(line.replace("`@@file@@`", f"<code>{shown}</code>"))
        self._html("<ul class='oa-findings'>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")

    def show_data_notes(self) -> None:
        lang = self.language
        active = text("active_listed" if self.params.active_events else "active_any_event", lang)
        self.show_findings(
            [
                text(
                    "data_notes",
                    lang,
                    source=self.source.safe_description,
                    last=self.source.last_timestamp(),
                    timezone=self.params.timezone,
                    active=active,
                )
            ]
        )
        if self.left_out:
            names = "、".join if lang == "zh" else ", ".join
            self.show_findings(
                [
                    text(
                        "left_out",
                        lang,
                        sections=names(
                            dict.fromkeys(
                                SECTIONS[key][lang].split(" (")[0].split("（")[0]
                                for key, _ in self.left_out
                            )
                        ),
                    )
                ]
            )
        from .. import __version__
        from .stamp import make_stamp, stamp_html

        stamp = make_stamp(self.source, self.period.label, __version__)
        self._html(stamp_html(stamp, lang))


def _inline_code(escaped: str) -> str:
    """`command` spans of an already escaped sentence as <code> (labels use them for commands)."""
    parts = escaped.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _inline_charts() -> None:
    """Charts go into the notebook whatever MPLBACKEND says (cron jobs and CI often set Agg,
    which would silently drop every chart): the kernel uses the inline backend explicitly."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")


def _in_project(path: str) -> str:
    """A path given to a notebook, made absolute: as given when it exists from the working
    directory (or is absolute), else under the project root when it exists there. An analyst
    who opens ``notebooks/weekly_report.ipynb`` in JupyterLab runs it in ``notebooks/``, where
    the defaults ``params/weekly.yaml`` and ``data/demo.duckdb`` name the project's files.
    URLs and ``spark`` are returned unchanged."""
    from ..data._io import absolute_path
    from .render import project_root

    if "://" in path or path.lower() == "spark":
        return path
    given = Path(path).expanduser()
    if given.is_absolute() or given.exists():
        return str(absolute_path(given))
    candidate = project_root() / given
    return str(candidate if candidate.exists() else absolute_path(given))


def open_report(
    *,
    kind: str = "week",
    period: str | None = None,
    params: str | Path | dict[str, Any] | None = None,
    source: str | None = None,
    language: str | None = None,
    engine: str | None = None,
    layout: str = "",
    export_dir: str = "",
    **options: Any,
) -> ReportContext:
    """Open the source and resolve the period for a report notebook.

    Empty strings count as None, so a Papermill parameter can be left at its default.
    ``language`` (en or zh) overrides the params language, ``engine`` (duckdb or spark) the
    params engine.
    The period defaults to the latest complete one of ``kind`` in the data. ``layout`` names
    the report whose parts :meth:`ReportContext.show` shows (weekly, monthly, quarterly,
    rfm); ``export_dir`` is where its lists go; ``options`` are the report's own settings
    (the rfm report's ``compare_weeks``).
    """
    import matplotlib

    _inline_charts()
    matplotlib.rcParams["figure.dpi"] = 110
    if isinstance(params, (str, Path)) and params:
        params = _in_project(str(params))
    p = load_params(params or None)
    if language:
        p = with_language(p, language)
    target: str | None = _in_project(source or p.source or DEFAULT_SOURCE)
    if not (source or p.source) and not Path(str(target)).exists():
        target = None  # connect() says how to make the demo data
    src = connect(target, params=p, engine=engine or None)
    share_activity(src)  # the activity sections read one per-user, per-day table
    if period:
        per = parse_period(period)
        src.require_data_on(per.start, per.last_day, per.label)
    else:
        per = src.latest_period(kind)
    return ReportContext(
        source=src,
        period=per,
        params=p,
        layout=layout,
        export_dir=export_dir,
        options=dict(options),
    )
