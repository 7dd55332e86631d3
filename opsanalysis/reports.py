"""Rendering report notebooks to HTML (Papermill + nbconvert) and the helpers notebooks call.

:func:`render` executes a parameterised notebook with Papermill, rejects parameters the
notebook does not declare, re-raises a failing cell as :class:`ReportError`, exports HTML with
nbconvert (no code, images embedded) and moves the file into place only when complete.
:func:`open_report` gives a notebook everything it needs from its parameters.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from ._io import atomic_output
from ._labels import section
from .display import (
    channel_quality_html,
    experiment_table_html,
    experiments_overview_html,
    funnel_html,
    health_html,
    kpi_table_html,
    new_user_retention_html,
    segment_table_html,
)
from .exceptions import ReportError
from .params import Params, load_params
from .periods import Period, latest_complete_period, parse_period
from .source import DEFAULT_SOURCE, Source, connect

__all__ = ["ReportContext", "open_report", "render", "project_root", "find_project_file"]

REPORT_KINDS = {
    "weekly": ("week", "weekly_report.ipynb", "weekly.yaml"),
    "rfm": ("week", "rfm_layering.ipynb", "rfm.yaml"),
    "experiment": ("day", "experiment_readout.ipynb", "experiment.yaml"),
}


def project_root() -> Path:
    """The folder holding ``notebooks/`` and ``params/``: the working directory when it has
    them, else the checkout this package was installed from."""
    cwd = Path.cwd()
    if (cwd / "notebooks").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def find_project_file(*parts: str) -> Path:
    path = project_root().joinpath(*parts)
    if not path.exists():
        raise ReportError(
            f"{'/'.join(parts)} not found under {project_root()}; run from the "
            "opsanalysis checkout or pass the path explicitly."
        )
    return path


# --------------------------------------------------------------------------------------------
# What a notebook calls


@dataclass
class ReportContext:
    """A report's source, period, params and display helpers."""

    source: Source
    period: Period
    params: Params

    @property
    def language(self) -> str:
        return self.params.language

    def _display_markdown(self, text: str) -> None:
        from IPython.display import Markdown, display

        display(Markdown(text))

    def show_title(self, kind: str = "weekly", name: str = "") -> None:
        title = self.params.raw["report"]["title"] or section(f"{kind}_title", self.language)
        title += f": {name}" if name else ""
        company = self.params.raw["report"]["company"]
        dates = (
            f"{self.period.start:%Y-%m-%d}"
            if self.period.days == 1
            else f"{self.period.start:%Y-%m-%d} – {self.period.last_day:%Y-%m-%d}"
        )
        label = "" if self.period.kind == "day" else f"**{self.period.label}** "
        sub = f"{label}({dates})" + (f" · {company}" if company else "")
        self._display_markdown(f"# {title}\n\n{sub}")

    def heading(self, key: str) -> None:
        self._display_markdown(f"## {section(key, self.language)}")

    def show_findings(self, sentences: list[str]) -> None:
        self._display_markdown("\n".join(f"- {s}" for s in sentences))

    def show_kpi_table(self, overview: pd.DataFrame) -> None:
        from IPython.display import HTML, display

        display(HTML(kpi_table_html(overview, self.language)))

    @property
    def scheme(self) -> str:
        """The segment scheme reports show (params ``rfm.report_scheme``)."""
        return self.params.rfm["report_scheme"]

    def segment_labels(self, scheme: str | None = None) -> dict[str, str]:
        info = (self.params.rfm["segments"] or {}).get(scheme or self.scheme, {}) or {}
        return {code: v.get(self.language, code) for code, v in info.items()}

    def show_segment_table(self, summary: pd.DataFrame) -> None:
        from IPython.display import HTML, display

        display(HTML(segment_table_html(summary, self.language)))

    def _html(self, text: str) -> None:
        from IPython.display import HTML, display

        display(HTML(text))

    def show_health(self, health: Any) -> None:
        self._html(health_html(health, self.language))

    def show_experiment_table(self, results: pd.DataFrame) -> None:
        self._html(experiment_table_html(results, self.language))

    def show_experiments(self, overview: pd.DataFrame) -> None:
        self._html(experiments_overview_html(overview, self.language))

    def show_new_user_retention(self, df: pd.DataFrame, by: str = "channel") -> None:
        from .retention import summarise_new_user_retention

        self._html(new_user_retention_html(summarise_new_user_retention(df, by), by, self.language))

    def show_activity_tiers(self, tiers: pd.DataFrame) -> None:
        """One sentence per tier of :func:`~opsanalysis.activity.activity_tiers` (last period)."""
        last = tiers[tiers["period_start"] == tiers["period_start"].max()]
        t = self.params.raw["activity"]["tiers"]
        zh = self.language == "zh"
        names = (
            {
                "high": f"高活跃（≥{t['high']} 天）",
                "medium": f"中活跃（{t['medium']}–{t['high'] - 1} 天）",
                "low": f"低活跃（{t['medium'] - 1} 天）"
                if t["medium"] == 2
                else f"低活跃（<{t['medium']} 天）",
            }
            if zh
            else {
                "high": f"High activity ({t['high']}+ active days)",
                "medium": f"Medium ({t['medium']}-{t['high'] - 1} days)",
                "low": f"Low (under {t['medium']} days)",
            }
        )
        lines = [f"{names[r.tier]}: {r.users:,} ({r.share:.1%})" for r in last.itertuples()]
        self.show_findings(lines)

    def show_at_risk(self, users: pd.DataFrame) -> None:
        """How many users show churn warning signs and why (never their ids)."""
        gap = int(users["reasons"].str.contains("no activity").sum())
        types = int(users["reasons"].str.contains("event types").sum())
        if self.language == "zh":
            text = (
                f"{len(users):,} 名用户出现流失预警：{gap:,} 名登录间隔明显拉长，{types:,} 名使用的功能减少。"
                "名单请用 `opsanalysis export at-risk --out 文件.csv` 导出。"
            )
        else:
            text = (
                f"{len(users):,} users show churn warning signs: {gap:,} with a gap far longer "
                f"than usual, {types:,} using fewer features. Export the list with "
                "`opsanalysis export at-risk --out FILE.csv`."
            )
        self.show_findings([text])

    def show_funnel(self, result: pd.DataFrame) -> None:
        self._html(funnel_html(result, self.language))

    def show_channel_quality(self, quality: pd.DataFrame) -> None:
        self._html(channel_quality_html(quality, self.language))

    def show_exports(self, exported: pd.DataFrame | None) -> None:
        """Say where segment lists were written (never the user ids themselves)."""
        zh = self.language == "zh"
        if exported is None or exported.empty:
            self._display_markdown(
                "未导出名单：渲染时设置 export_dir 参数即可导出 CSV。"
                if zh
                else "No lists written: set the export_dir parameter to write CSV files for campaigns."
            )
            return
        labels = self.segment_labels()
        lines = []
        for row in exported.itertuples(index=False):
            name = labels.get(row.segment, row.segment)
            if row.path:
                lines.append(
                    f"- {name}：{row.users:,} 人 → `{row.path}`"
                    if zh
                    else f"- {name}: {row.users:,} users → `{row.path}`"
                )
            else:
                lines.append(f"- {name}：无用户" if zh else f"- {name}: no users, no file")
        self._display_markdown("\n".join(lines))

    def show_data_notes(self) -> None:
        last = self.source.last_timestamp()
        lang = self.language
        if lang == "zh":
            text = (
                f"数据来源：{self.source.description}；最新数据时间 {last:%Y-%m-%d %H:%M}"
                f"（{self.params.timezone}）。周为 ISO 周（周一至周日）。活跃指发生任一"
                f"{'活跃事件' if self.params.active_events else '事件'}；订单仅计已支付。"
            )
        else:
            text = (
                f"Source: {self.source.description}; latest data at {last:%Y-%m-%d %H:%M} "
                f"({self.params.timezone}). Weeks are ISO weeks (Monday to Sunday). Active "
                f"means any {'of the active events set in params' if self.params.active_events else 'event'}; "
                "orders count when paid."
            )
        self._display_markdown(text)


def open_report(
    *,
    kind: str = "week",
    period: str | None = None,
    params: str | Path | dict[str, Any] | None = None,
    source: str | None = None,
) -> ReportContext:
    """Open the source and resolve the period for a report notebook.

    Empty strings count as None, so a Papermill parameter can be left at its default.
    The period defaults to the latest complete one of ``kind`` in the data.
    """
    import matplotlib

    matplotlib.rcParams["figure.dpi"] = 110
    p = load_params(params or None)
    src = connect(source or None, params=p)
    per = parse_period(period) if period else latest_complete_period(src.last_timestamp(), kind)
    return ReportContext(source=src, period=per, params=p)


# --------------------------------------------------------------------------------------------
# Rendering


def _strip_noise(nb: nbformat.NotebookNode) -> None:
    """Drop stderr streams (warnings, progress) so stakeholders see only the report."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]


def _atomic_write(path: Path, text: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def render(
    notebook: str | Path,
    output_html: str | Path,
    *,
    parameters: dict[str, Any] | None = None,
    cwd: str | Path | None = None,
    kernel_name: str | None = None,
    title: str | None = None,
    keep_notebook: bool = False,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and export it as a self-contained HTML file.

    Parameters
    ----------
    notebook
        The template notebook; its cell tagged ``parameters`` declares what may be passed.
    output_html
        Where to write the HTML; written to a temporary file and moved into place.
    parameters
        Values for the notebook's parameters. A name the notebook does not declare raises.
    cwd
        Working directory of the kernel (default: the project root).
    kernel_name
        Jupyter kernel (default: the one in the notebook's metadata).
    keep_notebook
        Also write the executed notebook beside the HTML (``.ipynb``).

    Returns
    -------
    pathlib.Path
        The HTML file.

    Raises
    ------
    ReportError
        An unknown parameter, or a cell failed (the message names the cell and the error; the
        executed notebook is kept beside the output as ``<name>.failed.ipynb``).
    """
    import papermill as pm
    from nbconvert import HTMLExporter
    from papermill.exceptions import PapermillExecutionError

    notebook, output_html = Path(notebook), Path(output_html)
    parameters = dict(parameters or {})
    declared = pm.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"Notebook {notebook.name} has no parameter(s) {', '.join(unknown)}; it declares "
            f"{', '.join(declared) or 'none'}."
        )
    output_html.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="oa-render-") as tmpdir:
        executed = Path(tmpdir) / notebook.name
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                cwd=str(cwd or project_root()),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                report_mode=True,
            )
        except PapermillExecutionError as exc:
            failed = output_html.with_suffix(".failed.ipynb")
            if executed.exists():
                os.replace(executed, failed)
            raise ReportError(
                f"Report {notebook.name} failed in cell {exc.exec_count} ({exc.ename}: "
                f"{exc.evalue}). The executed notebook is at {failed}."
            ) from exc
        nb = nbformat.read(executed, as_version=4)
    _strip_noise(nb)
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title or output_html.stem}}
    )
    _atomic_write(output_html, body)
    if keep_notebook:
        _atomic_write(output_html.with_suffix(".ipynb"), nbformat.writes(nb))
    return output_html


def render_report(
    kind: str = "weekly",
    *,
    period: str | None = None,
    params: str | Path | None = None,
    source: str | None = None,
    out: str | Path = "reports",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Render a standard report (``weekly``, ``rfm``) to ``<out>/<kind>/<period>.html``.

    Defaults: the latest complete period in the data, ``params/<kind>.yaml`` and the params
    ``source`` (else ``data/demo.duckdb``).
    """
    if kind not in REPORT_KINDS:
        raise ReportError(f"Unknown report {kind!r}; choose one of {', '.join(REPORT_KINDS)}.")
    period_kind, nb_name, params_name = REPORT_KINDS[kind]
    params_path = Path(params) if params else find_project_file("params", params_name)
    p = load_params(params_path)
    source_arg = str(source or p.source or DEFAULT_SOURCE)
    if "://" not in source_arg:
        source_arg = str(Path(source_arg).resolve())
    src = connect(source_arg, params=p)
    per = (
        parse_period(period)
        if period
        else latest_complete_period(src.last_timestamp(), period_kind)
    )
    name = (extra or {}).get("experiment") or per.label
    target = Path(out) / kind / f"{name}.html"
    return render(
        find_project_file("notebooks", nb_name),
        target,
        parameters={
            "period": per.label,
            "params_file": str(params_path.resolve()),
            "source": source_arg,
            **(extra or {}),
        },
        title=f"{kind} report {per.label}",
    )
