"""Rendering report notebooks to HTML (Papermill + nbconvert).

:func:`render` executes a parameterised notebook with Papermill, rejects parameters the
notebook does not declare, re-raises a failing cell as :class:`ReportError`, exports HTML with
nbconvert (no code, images embedded) and moves the file into place only when complete.
:func:`render_report` renders one of the standard reports of a period.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data._io import absolute_path, atomic_output, remove_stale, temp_dir_prefix
from ..data.params import Params, load_params, with_engine, with_language
from ..data.periods import parse_period
from ..data.source import DEFAULT_SOURCE, Source, connect
from ..exceptions import ReportError

if TYPE_CHECKING:
    import nbformat

__all__ = ["render"]

REPORT_KINDS = {
    "weekly": ("week", "weekly_report.ipynb", "weekly.yaml"),
    "monthly": ("month", "monthly_report.ipynb", "monthly.yaml"),
    "quarterly": ("quarter", "quarterly_review.ipynb", "quarterly.yaml"),
    "rfm": ("week", "rfm_layering.ipynb", "rfm.yaml"),
    "experiment": ("day", "experiment_readout.ipynb", "experiment.yaml"),
}


EXAMPLE_PERIODS = {
    "week": "2025-W47",
    "month": "2025-10",
    "quarter": "2025-Q3",
    "day": "2025-11-23",
}


def project_root() -> Path:
    """The folder holding ``notebooks/`` and ``params/``: the working directory when it has
    them, its parent when it is that ``notebooks/`` folder (JupyterLab runs a notebook in
    its own folder), else the checkout this package was installed from (an absolute path)."""
    cwd = Path.cwd().resolve()
    if (cwd / "notebooks").is_dir():
        return cwd
    if cwd.name == "notebooks" and (cwd.parent / "params").is_dir():
        return cwd.parent
    return Path(__file__).resolve().parents[2]


def find_project_file(*parts: str) -> Path:
    path = project_root().joinpath(*parts)
    if not path.exists():
        raise ReportError(
            f"{'/'.join(parts)} not found under {project_root()}; run from the "
            "opsanalysis checkout or pass the path explicitly."
        )
    return path


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


_EXAMPLES = re.compile(r"\(e\.g\. [^()]*(?:\([^()]*\)[^()]*)*\)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def redact_examples(text: str) -> str:
    """An error text without the example rows of a contract error (they hold user ids)."""
    return _EXAMPLES.sub("(e.g. ... examples removed)", _ANSI.sub("", text))


def _keep_failed(nb_path: Path, failed_dir: Path, stem: str, error: str) -> Path:
    """Keep a failed run for debugging outside the published folder, without data in it.

    Every output is dropped except the error itself, whose example rows are removed; the
    first line of the error goes to ``<stem>.txt`` beside it.
    """
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                out["evalue"] = redact_examples(out.get("evalue", ""))
                out["traceback"] = [redact_examples(line) for line in out.get("traceback", [])]
                kept.append(out)
        cell["outputs"] = kept
    notebook = failed_dir / f"{stem}.ipynb"
    _atomic_write(notebook, nbformat.writes(nb))
    _atomic_write(failed_dir / f"{stem}.txt", redact_examples(error) + "\n")
    return notebook


@functools.cache
def _quiet_kernel_manager() -> type:
    """A kernel manager whose kernel writes nothing to the user's terminal.

    The kernel's own stderr carries its TCP warning and, when a render is interrupted, ZMQ
    tracebacks from its shutdown; cell output and errors still come back through Papermill.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return QuietKernelManager


@functools.cache
def _absolute_path_io() -> None:
    """Papermill's file handler for local paths changes the process's working directory
    around every read and write, into the folder an ``execute_notebook`` started in; with
    renders on threads that folder goes stale (each call restores what the other set), so a
    render could move the working directory of the whole process, and every relative path
    with it. Our paths are absolute: a handler for paths starting with ``/`` (papermill's
    public ``register``, asked first) reads and writes them as they are, with no chdir."""
    from papermill.iorw import papermill_io

    class AbsolutePathHandler:
        @staticmethod
        def read(path: str) -> str:
            with open(path, encoding="utf-8") as f:
                return f.read()

        @staticmethod
        def write(buf: str, path: str) -> None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(buf)

        @staticmethod
        def listdir(path: str) -> list[str]:
            return [os.path.join(path, name) for name in os.listdir(path)]

        @staticmethod
        def pretty_path(path: str) -> str:
            return path

    papermill_io.register("/", AbsolutePathHandler())


TEMPLATES = Path(__file__).parent / "templates"
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)


def _without_css_comments(page: str) -> str:
    """The page with comments removed from its inline style sheets (JupyterLab's theme CSS
    cites web pages in them; a report carries no address of any kind)."""
    return _STYLE.sub(lambda m: m.group(1) + _CSS_COMMENT.sub("", m.group(2)) + m.group(3), page)


_H2 = re.compile(r"<h2 id=['\"](oa-[\w-]+)['\"]>(.*?)</h2>", re.DOTALL)
_TOC = re.compile(r"<nav class=['\"]oa-toc['\"] data-title=['\"]([^'\"]*)['\"]></nav>")


def _with_contents(page: str) -> str:
    """Fill the title block's empty table of contents with a link to every section heading
    (the headings' texts are already escaped where they entered the page)."""
    links = "".join(f"<li><a href='#{key}'>{title}</a></li>" for key, title in _H2.findall(page))
    return _TOC.sub(
        lambda m: f"<nav class='oa-toc'><b>{m.group(1)}</b><ol>{links}</ol></nav>" if links else "",
        page,
        count=1,
    )


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
    failed_dir: str | Path | None = None,
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
        Working directory of the kernel (default: the project root). It is given to the
        kernel process only: this process's working directory is never changed (Papermill's
        own ``cwd=`` changes it for the whole process, and renders on threads race on it).
    kernel_name
        Jupyter kernel (default: the one in the notebook's metadata).
    keep_notebook
        Also write the executed notebook beside the HTML (``.ipynb``).
    failed_dir
        Where a failed run is kept (default: ``_failed`` beside the HTML's folder):
        ``<stem>.ipynb`` without data outputs, and ``<stem>.txt`` with the error.

    Returns
    -------
    pathlib.Path
        The HTML file.

    Raises
    ------
    ReportError
        An unknown parameter, or a cell failed (the message names the cell and the error; the
        executed notebook is kept under ``failed_dir``, never beside the HTML, and a previous
        HTML at ``output_html`` is left as it was).
    """
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter
    from papermill.exceptions import PapermillExecutionError

    _absolute_path_io()
    notebook, output_html = absolute_path(notebook), absolute_path(output_html)
    kernel_cwd = str(absolute_path(cwd) if cwd else project_root())
    parameters = dict(parameters or {})
    declared = pm.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            f"Notebook {notebook.name} has no parameter(s) {', '.join(unknown)}; it declares "
            f"{', '.join(declared) or 'none'}."
        )
    if output_html.parent.exists() and not output_html.parent.is_dir():
        raise ReportError(
            f"The output folder {output_html.parent.name!r} is a file; give --out a folder."
        )
    output_html.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(output_html.parent)
    with tempfile.TemporaryDirectory(prefix=temp_dir_prefix("render")) as tmpdir:
        executed = Path(tmpdir) / notebook.name
        try:
            pm.execute_notebook(
                str(notebook),
                str(executed),
                parameters=parameters,
                # the kernel starts in kernel_cwd (nbclient's resources path); no chdir here
                resources={"metadata": {"path": kernel_cwd}},
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                report_mode=True,
                # written once at the end (or on a failure), not twice per cell
                request_save_on_cell_execute=False,
                kernel_manager_class=_quiet_kernel_manager(),
            )
        except PapermillExecutionError as exc:
            where = absolute_path(failed_dir) if failed_dir else output_html.parent / "_failed"
            error = f"{exc.ename}: {exc.evalue}"
            kept = ""
            if executed.exists():
                path = _keep_failed(executed, where, output_html.stem, error)
                kept = f" The executed notebook is kept at {path}."
            raise ReportError(
                f"Report {notebook.name} failed in cell {exc.exec_count} ({error}).{kept}"
            ) from None
        nb = nbformat.read(executed, as_version=4)
    _strip_noise(nb)
    exporter = HTMLExporter(
        template_name="opsanalysis",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": title or output_html.stem}}
    )
    _atomic_write(output_html, _with_contents(_without_css_comments(body)))
    if keep_notebook:
        _atomic_write(output_html.with_suffix(".ipynb"), nbformat.writes(nb))
    return output_html


def safe_file_name(name: str) -> str:
    """A file name built from an id that stays inside its folder: letters, digits, ``-``,
    ``_`` and ``.`` are kept, anything else (``/``, spaces, ...) becomes ``_``, and a leading
    dot is prefixed with ``_`` (no hidden file, no ``..``).

    >>> safe_file_name("../escaped"), safe_file_name("exp_checkout_copy")
    ('_.._escaped', 'exp_checkout_copy')
    """
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(name))
    return "_" + cleaned if not cleaned or cleaned.startswith(".") else cleaned


def open_for_command(
    params_path: Path, source: str | None, language: str | None, engine: str | None
) -> tuple[Params, str, Source]:
    """The params (with ``--language`` / ``--engine``), the source as the kernel will be given
    it, and that source opened in this process to resolve periods and fingerprint the data.

    Files are read here by DuckDB (fast to open; the numbers are the same whichever engine the
    kernel uses); only the Spark session's catalog needs a SparkSession in this process too.
    """
    p = load_params(params_path)
    if language:
        p = with_language(p, language)
    if engine:
        p = with_engine(p, engine)
    source_arg = str(source or p.source or DEFAULT_SOURCE)
    on_catalog = source_arg.lower() == "spark"
    if "://" not in source_arg and not on_catalog:
        source_arg = str(absolute_path(source_arg))
    src = connect(source_arg, params=p if on_catalog else with_engine(p, "duckdb"))
    return p, source_arg, src


def render_report(
    kind: str = "weekly",
    *,
    period: str | None = None,
    params: str | Path | None = None,
    source: str | None = None,
    out: str | Path = "reports",
    extra: dict[str, Any] | None = None,
    language: str | None = None,
    engine: str | None = None,
) -> Path:
    """Render a standard report (``weekly``, ``rfm``) to ``<out>/<kind>/<period>.html``.

    Defaults: the latest complete period in the data, ``params/<kind>.yaml`` and the params
    ``source`` (else ``data/demo.duckdb``).
    """
    if kind not in REPORT_KINDS:
        raise ReportError(f"Unknown report {kind!r}; choose one of {', '.join(REPORT_KINDS)}.")
    period_kind, nb_name, params_name = REPORT_KINDS[kind]
    if period is not None and not period.strip():
        raise ReportError(
            f"--period is empty; give a period such as "
            f"{EXAMPLE_PERIODS[period_kind]}, or leave --period out "
            f"for the latest complete one."
        )
    out = absolute_path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out.name!r} is a file; give a folder for the reports.")
    params_path = absolute_path(params) if params else find_project_file("params", params_name)
    p, source_arg, src = open_for_command(params_path, source, language, engine)
    if period:
        per = parse_period(period)
        if period_kind != "day" and per.kind != period_kind:
            raise ReportError(
                f"The {kind} report covers a {period_kind}; --period {period.strip()!r} is a "
                f"{per.kind}. Give a {period_kind} such as {EXAMPLE_PERIODS[period_kind]}."
            )
        src.require_data_on(per.start, per.last_day, per.label)
    else:
        per = src.latest_period(period_kind)
    name = safe_file_name((extra or {}).get("experiment") or per.label)
    target = out / kind / f"{name}.html"
    extra = dict(extra or {})
    if kind in ("rfm", "weekly", "monthly") and not extra.get("export_dir"):
        # user lists go beside the report (linked from it, never into it)
        extra["export_dir"] = str(out / kind / f"{name}-lists")
    elif extra.get("export_dir"):
        extra["export_dir"] = str(absolute_path(extra["export_dir"]))
    page = render(
        find_project_file("notebooks", nb_name),
        target,
        parameters={
            "period": per.label,
            "params_file": str(params_path),
            "source": source_arg,
            "language": p.language,
            "engine": p.engine,
            **(extra or {}),
        },
        title=f"{kind} report {per.label}",
        failed_dir=out / "_failed" / kind,
    )
    for stale in (out / "_failed" / kind).glob(f"{name}.*"):  # an earlier failure, mended
        if stale.suffix in (".ipynb", ".txt"):
            stale.unlink(missing_ok=True)
    return page
