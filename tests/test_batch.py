"""`opsanalysis batch`: every period rendered once, unchanged ones skipped, a failing period
recorded without stopping the others or touching its previous report; the catalogue."""

from __future__ import annotations

import json

import pytest
from conftest import URL

from opsanalysis.cli import main
from opsanalysis.exceptions import ReportError

pytestmark = pytest.mark.slow


def test_batch_renders_skips_and_survives_a_failure(tiny_demo, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["batch", "weekly", "--from", "2025-W45", "--to", "2025-W47", "--source", str(tiny_demo)]
    args += ["--out", str(out), "--jobs", "2"]
    assert main(args) == 0
    pages = {w: out / "weekly" / f"2025-W{w}.html" for w in (45, 46, 47)}
    assert all(p.exists() for p in pages.values())
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["reports"]) == ["weekly/2025-W45", "weekly/2025-W46", "weekly/2025-W47"]
    assert {e["status"] for e in manifest["reports"].values()} == {"ok"}
    # a second run with nothing changed rewrites nothing
    mtimes = {w: p.stat().st_mtime_ns for w, p in pages.items()}
    capsys.readouterr()
    assert main(args) == 0
    assert "0 rendered, 3 unchanged (skipped), 0 failed" in capsys.readouterr().out
    assert {w: p.stat().st_mtime_ns for w, p in pages.items()} == mtimes
    # W46 must be rendered again and fails: the others are left alone, its old page stays
    manifest["reports"]["weekly/2025-W46"]["hash"] = "stale"
    (out / "manifest.json").write_text(json.dumps(manifest))
    old = pages[46].read_bytes()

    def failing(kind, *, period, **kw):  # a cell fails: render keeps the run under _failed/
        kept = out / "_failed" / "weekly"
        kept.mkdir(parents=True, exist_ok=True)
        (kept / f"{period}.txt").write_text("DataContractError: ... (e.g. ... examples removed)\n")
        raise ReportError(
            f"Report weekly_report.ipynb failed in cell 7 (DataContractError: 1 of 3 rows are "
            f"negative (e.g. user_id='U-SECRET', amount=-1). Fix: drop them.) {period}. "
            f"The executed notebook is kept at {tmp_path}/secret/{period}.ipynb."
        )

    monkeypatch.setattr("opsanalysis.report.batch.render_report", failing)
    assert main(args) == 1
    assert "failed weekly/2025-W46: Report weekly_report.ipynb failed" in capsys.readouterr().err
    assert pages[46].read_bytes() == old
    assert {w: p.stat().st_mtime_ns for w, p in pages.items() if w != 46} == {
        w: t for w, t in mtimes.items() if w != 46
    }
    assert (out / "_failed" / "weekly" / "2025-W46.txt").exists()
    entry = json.loads((out / "manifest.json").read_text())["reports"]["weekly/2025-W46"]
    assert entry["status"] == "failed" and "DataContractError" in entry["error"]
    # what is published names neither user ids nor paths
    for published in (json.dumps(entry), (out / "index.html").read_text(encoding="utf-8")):
        assert "U-SECRET" not in published and str(tmp_path) not in published
    # the catalogue: newest first, the failure in red with its error, links to the pages
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("2025-W47") < index.index("2025-W46") < index.index("2025-W45")
    assert "<tr class='failed'>" in index and "DataContractError" in index
    assert "href='weekly/2025-W47.html'" in index
    assert not URL.search(index) and "<script" not in index


def test_batch_refuses_a_bad_range(tiny_demo, tmp_path, capsys):
    args = ["batch", "weekly", "--from", "2025-W47", "--to", "2025-W45"]
    assert main([*args, "--source", str(tiny_demo), "--out", str(tmp_path)]) == 2
    assert "--to 2025-W45 is before --from 2025-W47" in capsys.readouterr().err


def test_a_period_refused_before_rendering_is_explained_under_failed(tiny_demo, tmp_path):
    # 2025-W30 lies before the data: refused before any notebook runs; batch writes the reason
    out = tmp_path / "out"
    args = ["batch", "weekly", "--from", "2025-W30", "--to", "2025-W30", "--source", str(tiny_demo)]
    assert main([*args, "--out", str(out)]) == 1
    reason = (out / "_failed" / "weekly" / "2025-W30.txt").read_text()
    assert reason.startswith("There is no data for 2025-W30")
    assert str(tiny_demo.parent) not in (out / "index.html").read_text(encoding="utf-8")


def _tree(root):
    """Every file under ``root`` (but the environment, git and caches) with its mtime."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(root).parts)
    }


def test_batch_with_relative_paths_writes_only_under_out(tiny_demo, tmp_path, monkeypatch):
    # issue 29: run from a folder outside the checkout with relative --out, --params and
    # --source and two render threads; papermill used to chdir the whole process per render
    import os
    import shutil

    from conftest import ROOT

    work = tmp_path / "work"
    (work / "conf").mkdir(parents=True)
    (work / "wh").mkdir()
    shutil.copy(ROOT / "params" / "weekly.yaml", work / "conf" / "weekly.yaml")
    shutil.copy(tiny_demo, work / "wh" / "demo.duckdb")
    before = _tree(ROOT)
    monkeypatch.chdir(work)
    # as an earlier threaded batch started in the checkout leaves it: papermill's own local
    # handler remembers that folder and would chdir into it around every read and write
    from papermill.iorw import papermill_io

    stale = papermill_io.get_handler("local")
    monkeypatch.setattr(stale, "_cwd", str(ROOT))
    chdirs = []
    real_chdir = os.chdir
    monkeypatch.setattr(os, "chdir", lambda path: (chdirs.append(path), real_chdir(path)))
    args = ["batch", "weekly", "--from", "2025-W45", "--to", "2025-W47", "--jobs", "2"]
    args += ["--params", "conf/weekly.yaml", "--source", "wh/demo.duckdb", "--out", "rel"]
    assert main(args) == 0
    assert chdirs == []  # no render changed this process's working directory
    assert os.getcwd() == str(work)
    written = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
    pages = [f"rel/weekly/2025-W{w}.html" for w in (45, 46, 47)]
    lists = [w for w in written if w.startswith("rel/weekly/2025-W") and "-lists/" in w]
    assert written == sorted(
        ["conf/weekly.yaml", "wh/demo.duckdb", "rel/index.html", "rel/manifest.json"]
        + ["rel/.manifest.lock"]
        + pages
        + lists
    )
    manifest = json.loads((work / "rel" / "manifest.json").read_text())
    assert sorted(manifest["reports"]) == [f"weekly/2025-W{w}" for w in (45, 46, 47)]
    index = (work / "rel" / "index.html").read_text(encoding="utf-8")
    assert all(f"href='weekly/2025-W{w}.html'" in index for w in (45, 46, 47))
    assert _tree(ROOT) == before  # the checkout's tree is unchanged
    assert not (ROOT / "rel").exists()


def test_report_and_export_with_relative_paths_stay_in_the_working_folder(
    tiny_demo, tmp_path, monkeypatch, capsys
):
    import shutil

    from conftest import ROOT

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(tiny_demo, work / "demo.duckdb")
    before = _tree(ROOT)
    monkeypatch.chdir(work)
    args = ["report", "rfm", "--period", "2025-W47", "--source", "demo.duckdb"]
    assert main([*args, "--out", "out", "--export-dir", "lists"]) == 0
    assert capsys.readouterr().out.strip() == str(work / "out" / "rfm" / "2025-W47.html")
    assert (work / "out" / "rfm" / "2025-W47.html").exists()
    assert sorted(p.name for p in (work / "lists").iterdir())  # the lists went to ./lists
    assert main(["export", "at-risk", "--out", "x/at_risk.csv", "--source", "demo.duckdb"]) == 0
    assert (work / "x" / "at_risk.csv").exists()
    assert _tree(ROOT) == before


def test_a_notebook_run_from_the_notebooks_folder_finds_the_project_files(tiny_demo, tmp_path):
    # as JupyterLab runs it: the kernel starts in notebooks/, the params default is relative
    from conftest import ROOT

    from opsanalysis.report.render import render

    out = render(
        ROOT / "notebooks" / "rfm_layering.ipynb",
        tmp_path / "rfm.html",
        parameters={"period": "2025-W47", "source": str(tiny_demo)},
        cwd=ROOT / "notebooks",
    )
    page = out.read_text(encoding="utf-8")
    assert "2025-W47" in page and str(ROOT) not in page


@pytest.mark.parametrize(
    "damaged",
    ["{}", "[]", '{"reports": []}', '{"reports": {"weekly/2025-W47": {"status": 3}}}', "{not json"],
)
def test_a_damaged_manifest_is_rebuilt_from_the_reports_on_disk(tmp_path, damaged, capsys):
    from opsanalysis.report.batch import update_after_render

    out = tmp_path / "out"
    (out / "weekly").mkdir(parents=True)
    for week in ("2025-W46", "2025-W47"):
        (out / "weekly" / f"{week}.html").write_text("<html></html>")
    (out / "manifest.json").write_text(damaged)
    update_after_render(out, "monthly", "2025-10", None, None)
    assert "manifest.json in --out is damaged; rebuilt" in capsys.readouterr().err
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["reports"]) == ["monthly/2025-10", "weekly/2025-W46", "weekly/2025-W47"]
    rebuilt = manifest["reports"]["weekly/2025-W46"]
    assert rebuilt["status"] == "ok" and rebuilt["hash"] is None  # renders again next batch
    assert "href='weekly/2025-W47.html'" in (out / "index.html").read_text(encoding="utf-8")


def test_two_writers_at_once_lose_no_entry(tmp_path):
    # two processes (two batches, or a report during a batch) into one --out: the manifest
    # and the catalogue end with every entry of both
    import subprocess
    import sys

    out = tmp_path / "out"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from opsanalysis.report.batch import update_after_render\n"
        "for i in range(25):\n"
        "    update_after_render(Path(sys.argv[1]), sys.argv[2], f'2025-W{10 + i}', None, None)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(out), kind]) for kind in ("weekly", "rfm")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    reports = json.loads((out / "manifest.json").read_text())["reports"]
    assert len(reports) == 50
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr class='ok'>") == 50


def test_a_mended_period_leaves_no_failure_behind(tiny_demo, tmp_path):
    out = tmp_path / "out"
    kept = out / "_failed" / "weekly"
    kept.mkdir(parents=True)
    for suffix in (".ipynb", ".txt"):
        (kept / f"2025-W47{suffix}").write_text("an earlier failure")
    (kept / "2025-W46.txt").write_text("another week's failure stays")
    args = ["report", "weekly", "--period", "2025-W47", "--source", str(tiny_demo)]
    assert main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in kept.iterdir()) == ["2025-W46.txt"]
    entry = json.loads((out / "manifest.json").read_text())["reports"]["weekly/2025-W47"]
    assert entry["status"] == "ok" and entry["error"] is None


def test_two_batches_into_one_out_at_once_keep_every_report(tiny_demo, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "opsanalysis", "batch", "weekly", "--source", str(tiny_demo)]
    runs = [
        subprocess.Popen(
            [*cmd, "--from", a, "--to", b, "--out", str(out)], stderr=subprocess.DEVNULL
        )
        for a, b in (("2025-W44", "2025-W45"), ("2025-W46", "2025-W47"))
    ]
    assert [p.wait(timeout=300) for p in runs] == [0, 0]
    reports = json.loads((out / "manifest.json").read_text())["reports"]
    weeks = [f"weekly/2025-W{w}" for w in (44, 45, 46, 47)]
    assert sorted(reports) == weeks and {e["status"] for e in reports.values()} == {"ok"}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"href='{w}.html'" in index for w in weeks)
