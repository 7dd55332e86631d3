import duckdb
import pytest

from opsanalysis.cli import main


def test_demo_data_and_validate(tmp_path, capsys):
    out = tmp_path / "d.duckdb"
    assert (
        main(["demo-data", "--users", "200", "--weeks", "3", "--seed", "2", "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"Wrote {out} (2025-11-03 to 2025-11-23)" in printed and "users 200" in printed
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("select count(*) from users").fetchone()[0] == 200
    con.close()
    assert main(["validate", "--source", str(out)]) == 0
    assert "No problems found." in capsys.readouterr().out


def test_validate_exit_code_on_errors(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("order_id,user_id,order_time,amount\n1,1,2025-11-17,-5\n")
    assert main(["validate", "--source", str(tmp_path)]) == 1
    assert "1 of 1 rows are negative" in capsys.readouterr().out


def test_errors_are_reported_without_traceback(tmp_path, capsys):
    assert main(["demo-data", "--users", "3", "--out", str(tmp_path / "x.duckdb")]) == 2
    assert capsys.readouterr().err.startswith("opsanalysis: error: users=3 is too few")


def test_export_at_risk(tmp_path, capsys):
    db = tmp_path / "d.duckdb"
    assert main(["demo-data", "--users", "300", "--weeks", "6", "--out", str(db)]) == 0
    out = tmp_path / "risk.csv"
    assert main(["export", "at-risk", "--source", str(db), "--out", str(out)]) == 0
    import pandas as pd

    written = pd.read_csv(out)
    assert f"Wrote {len(written):,} users at risk to {out}" in capsys.readouterr().out
    assert list(written.columns[:2]) == ["user_id", "last_active"] and len(written) > 0


def test_duckdb_url_sources_open_read_only(tiny_demo):
    import duckdb

    import opsanalysis as oa

    reader = duckdb.connect(str(tiny_demo), read_only=True)  # the command holds it open
    try:
        src = oa.connect(f"duckdb:///{tiny_demo}")
        assert src.safe_description == "duckdb database"
        assert "users" in src.tables()
    finally:
        reader.close()


@pytest.mark.slow
def test_ctrl_c_stops_a_render_with_one_line_and_leaves_nothing(tiny_demo, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "opsanalysis", "report", "weekly"]
    proc = subprocess.Popen(
        [*cmd, "--source", str(tiny_demo), "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    work = Path(tempfile.gettempdir())
    deadline = time.time() + 60
    while not list(work.glob(f"oa-render-{proc.pid}-*")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2)  # the kernel is running cells
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "opsanalysis: interrupted; no partial output was left in place.\n"
    assert not [p for p in out.rglob("*") if p.is_file()]
    assert not list(work.glob(f"oa-render-{proc.pid}-*"))


@pytest.mark.slow
def test_kill_9_leaves_no_partial_report_and_the_next_render_cleans_up(tiny_demo, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    out = tmp_path / "out"
    page = out / "weekly" / "2025-W47.html"
    cmd = [sys.executable, "-m", "opsanalysis", "report", "weekly", "--source", str(tiny_demo)]
    proc = subprocess.Popen([*cmd, "--out", str(out)], stderr=subprocess.DEVNULL)
    work = Path(tempfile.gettempdir())
    deadline = time.time() + 60
    while not list(work.glob(f"oa-render-{proc.pid}-*")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not page.exists()  # never a partial report at the report path
    left = list(work.glob(f"oa-render-{proc.pid}-*"))
    # the next render removes what the killed one could not, and writes the report
    assert main([*cmd[3:], "--out", str(out)]) == 0
    assert page.exists() and not any(p.exists() for p in left)
    assert not [p for p in page.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_connection_url_password_never_reaches_a_message(capsys):
    url = "postgres://alice:s3cret@127.0.0.1:1/ops"
    assert main(["validate", "--source", url]) == 2
    err = capsys.readouterr().err
    assert "s3cret" not in err and "postgres://alice:***@127.0.0.1:1/ops" in err
