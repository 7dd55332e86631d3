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
