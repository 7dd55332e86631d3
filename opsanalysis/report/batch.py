"""Rendering many periods, the manifest of what was rendered from what, and the catalogue page.

``<out>/manifest.json`` records per report (``weekly/2025-W47``) the hash of its inputs (notebook
source, params, language, data fingerprint, opsanalysis version), its status, generation time and
first error line. :func:`render_batch` skips a report whose inputs are unchanged and whose HTML is
in place; a failing period does not stop the others (its run is kept under ``<out>/_failed/``
and its previous HTML stays). ``<out>/index.html`` is built from the manifest, never by reading
the reports.
"""

from __future__ import annotations

import hashlib
import html
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data._io import absolute_path, atomic_output
from ..data.params import load_params
from ..data.periods import Period, parse_period
from ..exceptions import OpsAnalysisError, ReportError
from .labels import SECTIONS, section, text
from .manifest import manifest_lock, read_manifest, update_manifest
from .render import REPORT_KINDS, find_project_file, open_for_command, render_report
from .stamp import data_fingerprint

__all__: list[str] = []  # the `opsanalysis batch` command; render_report is the library call


@dataclass
class BatchResult:
    rendered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # report -> first error line


def _periods(first: str, last: str, kind: str) -> list[Period]:
    p0, p1 = parse_period(first), parse_period(last)
    if p0.kind != kind or p1.kind != kind:
        raise ReportError(f"--from and --to must be {kind}s (e.g. 2025-W40); got {first}, {last}.")
    if p1.start < p0.start:
        raise ReportError(f"--to {last} is before --from {first}.")
    out, p = [], p0
    while p.start <= p1.start:
        out.append(p)
        p = p.shift(1)
    return out


def _kinds() -> list[str]:
    return [k for k, (period, _, _) in REPORT_KINDS.items() if period != "day"]


_KEPT_AT = " The executed notebook is kept at "


def _published_error(message: str, source: str) -> str:
    """The first line of an error as the catalogue may show it: the example rows of a
    contract error cut (they hold user ids), no path of the kept notebook or of the source."""
    from .render import redact_examples

    line = message.splitlines()[0].split(_KEPT_AT)[0]
    if "://" not in source:
        line = line.replace(source, Path(source).name)
    else:
        line = line.replace(source, f"{source.split('://', 1)[0]} database")
    return redact_examples(line)


def inputs_hash(kind: str, params_path: Path, language: str, fingerprint: str) -> str:
    """What a report is made from: its notebook, params, language, data and our version."""
    from .. import __version__

    h = hashlib.sha256()
    h.update(find_project_file("notebooks", REPORT_KINDS[kind][1]).read_bytes())
    h.update(params_path.read_bytes())
    h.update(f"{language}|{fingerprint}|{__version__}".encode())
    return h.hexdigest()[:16]


def render_batch(
    kind: str,
    *,
    first: str,
    last: str,
    jobs: int = 1,
    force: bool = False,
    source: str | None = None,
    params: str | Path | None = None,
    out: str | Path = "reports",
    language: str | None = None,
    progress: bool = True,
    engine: str | None = None,
) -> BatchResult:
    """Render ``kind`` for every period from ``first`` to ``last`` into ``<out>/<kind>/``."""
    periodic = [k for k, (period, _, _) in REPORT_KINDS.items() if period != "day"]
    if kind not in periodic:
        raise ReportError(
            f"batch renders the periodic reports ({', '.join(periodic)}); got {kind!r}."
        )
    # every path made absolute once, before any render starts (renders run on threads)
    out = absolute_path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out.name!r} is a file; give a folder for the reports.")
    period_kind, _, params_name = REPORT_KINDS[kind]
    periods = _periods(first, last, period_kind)
    params_path = absolute_path(params) if params else find_project_file("params", params_name)
    p, source_arg, src = open_for_command(params_path, source, language, engine)
    _, fingerprint = data_fingerprint(src)
    digest = inputs_hash(kind, params_path, p.language, fingerprint)
    manifest = read_manifest(out, _kinds())
    result = BatchResult()
    todo = []
    for per in periods:
        key = f"{kind}/{per.label}"
        entry = manifest["reports"].get(key, {})
        html_path = out / kind / f"{per.label}.html"
        if (
            not force
            and entry.get("hash") == digest
            and entry.get("status") == "ok"
            and html_path.exists()
        ):
            result.skipped.append(key)
        else:
            todo.append(per)

    def one(per: Period) -> tuple[Period, str | None, bool]:
        """Render one period: (period, the error as published or None, whether the failed
        notebook and its error were kept under _failed/ by the render itself)."""
        try:
            render_report(
                kind,
                period=per.label,
                params=params_path,
                source=source_arg,
                out=out,
                language=p.language,
                engine=p.engine,
            )
            return per, None, False
        except OpsAnalysisError as exc:
            return per, _published_error(str(exc), source_arg), _KEPT_AT in str(exc)

    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="report", desc=f"{kind}", leave=True)
    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        for fut in as_completed([pool.submit(one, per) for per in todo]):
            per, error, kept = fut.result()
            key = f"{kind}/{per.label}"
            # results come back one at a time on this thread: no lock needed
            if error is None:
                result.rendered.append(key)
            else:
                result.failed[key] = error
                if not kept:  # refused before any notebook ran: say why under _failed/
                    with atomic_output(out / "_failed" / kind / f"{per.label}.txt") as tmp:
                        tmp.write_text(error + "\n", encoding="utf-8")
            entry = {
                "kind": kind,
                "period": per.label,
                "path": f"{kind}/{per.label}.html",
                "hash": digest if error is None else None,
                "status": "ok" if error is None else "failed",
                "error": error,
            }
            # re-read under the lock: another batch or report into this --out keeps its entries
            update_manifest(
                out,
                _kinds(),
                key,
                entry,
                timezone=p.timezone,
                after=lambda m: write_catalogue(out, m, p.language),
            )
            if bar is not None:
                bar.set_postfix_str(per.label)
                bar.update(1)
    if bar is not None:
        bar.close()
    with manifest_lock(out):  # the catalogue also when nothing was rendered
        write_catalogue(out, read_manifest(out, _kinds()), p.language)
    return result


def update_after_render(out: Path, kind: str, period: str, params: Any, error: str | None) -> None:
    """Record one ``opsanalysis report`` run in the manifest and rebuild the catalogue."""
    p = load_params(params)
    entry = {
        "kind": kind,
        "period": period,
        "path": f"{kind}/{period}.html",
        "hash": None,  # a single report is not skipped by a later batch: its inputs are unknown
        "status": "ok" if error is None else "failed",
        "error": error,
    }
    update_manifest(
        out,
        _kinds(),
        f"{kind}/{period}",
        entry,
        timezone=p.timezone,
        after=lambda m: write_catalogue(out, m, p.language),
    )


_PAGE_CSS = """
body { font-family: -apple-system, "Segoe UI", "Noto Sans CJK SC", "Microsoft YaHei",
       sans-serif; max-width: 960px; margin: 32px auto; padding: 0 16px; color: #222; }
h1 { font-weight: 500; } h2 { font-weight: 500; margin-top: 28px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eee; }
th { border-bottom: 2px solid #ccc; }
tr.failed td { color: #b00020; }
a { color: #1a5fb4; text-decoration: none; }
"""


def write_catalogue(out: Path, manifest: dict[str, Any], language: str = "en") -> Path:
    """``<out>/index.html``: every report by kind and period, newest first, with its status;
    self-contained (no script, font or stylesheet from elsewhere); every value escaped."""
    lang = language if language in ("en", "zh") else "en"
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest.get("reports", {}).values():
        by_kind.setdefault(str(entry.get("kind", "")), []).append(entry)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(text('catalogue_title', lang))}</title>",
        f"<style>{_PAGE_CSS}</style></head><body>",
        f"<h1>{html.escape(text('catalogue_title', lang))}</h1>",
    ]
    heads = [text(k, lang) for k in ("catalogue_period", "catalogue_generated", "catalogue_status")]
    for kind in sorted(by_kind):
        rows = sorted(by_kind[kind], key=lambda e: str(e.get("period", "")), reverse=True)
        name = section(f"{kind}_title", lang) if f"{kind}_title" in SECTIONS else kind
        parts.append(f"<h2>{html.escape(name)}</h2><table>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>")
        for e in rows:
            period = html.escape(str(e.get("period", "")))
            ok = e.get("status") == "ok"
            exists = (out / str(e.get("path", ""))).exists()
            cell = (
                f"<a href='{html.escape(str(e.get('path', '')), quote=True)}'>{period}</a>"
                if exists
                else period
            )
            status = text("catalogue_ok" if ok else "catalogue_failed", lang)
            if not ok and e.get("error"):
                status += f": {e['error']}"
            parts.append(
                f"<tr class='{'ok' if ok else 'failed'}'><td>{cell}</td>"
                f"<td>{html.escape(str(e.get('generated', '')))}</td>"
                f"<td>{html.escape(status)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path = out / "index.html"
    with atomic_output(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
