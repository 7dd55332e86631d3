"""`opsanalysis batch`: every period rendered once, unchanged ones skipped, a failing period
recorded without stopping the others or touching its previous report; the catalogue."""

from __future__ import annotations

import json
import re

import pytest

from opsanalysis.cli import main
from opsanalysis.exceptions import ReportError

pytestmark = pytest.mark.slow

URL = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?//", re.IGNORECASE)


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

    def failing(kind, *, period, **kw):
        raise ReportError(f"Report weekly_report.ipynb failed in cell 7 (KeyError: 'x') {period}")

    monkeypatch.setattr("opsanalysis.report.batch.render_report", failing)
    assert main(args) == 1
    assert "failed weekly/2025-W46: Report weekly_report.ipynb failed" in capsys.readouterr().err
    assert pages[46].read_bytes() == old
    assert {w: p.stat().st_mtime_ns for w, p in pages.items() if w != 46} == {
        w: t for w, t in mtimes.items() if w != 46
    }
    assert (out / "_failed" / "weekly" / "2025-W46.txt").read_text().startswith("Report weekly")
    entry = json.loads((out / "manifest.json").read_text())["reports"]["weekly/2025-W46"]
    assert entry["status"] == "failed" and "KeyError" in entry["error"]
    # the catalogue: newest first, the failure in red with its error, links to the pages
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index("2025-W47") < index.index("2025-W46") < index.index("2025-W45")
    assert "<tr class='failed'>" in index and "KeyError" in index
    assert "href='weekly/2025-W47.html'" in index
    assert not URL.search(index) and "<script" not in index


def test_batch_refuses_a_bad_range(tiny_demo, tmp_path, capsys):
    args = ["batch", "weekly", "--from", "2025-W47", "--to", "2025-W45"]
    assert main([*args, "--source", str(tiny_demo), "--out", str(tmp_path)]) == 2
    assert "--to 2025-W45 is before --from 2025-W47" in capsys.readouterr().err
