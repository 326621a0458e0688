"""Crash injection: `kehoach import` killed (SIGKILL, SIGTERM) at many points never tears the store.

A store of some 100,000 records makes the read-check-write last long enough for kills to land
before, during and after the write. After every kill the database holds the old records or the
old records plus the new ones, never a part, and passes SQLite's integrity check; the next
command works with no manual cleanup, and no archived file is ever deleted.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from kehoach.data.store import ProgressStore
from tests.conftest import PROJECT

WARD, YEAR = "phan-dinh-phung", 2026
KILLS = 24  # half SIGKILL, half SIGTERM
PADDING = 100_000


def _big_store(root: Path) -> ProgressStore:
    """The illustrative store (from its committed archive), padded with revisions of one indicator."""
    import shutil

    shutil.copytree(PROJECT / "data" / "progress", root / "data" / "progress",
                    ignore=shutil.ignore_patterns("records.sqlite*", "*.lock"))
    store = ProgressStore(root / "data" / "progress")
    one = store.read(WARD, YEAR).query("record == 'indicator' and indicator == 9 and period == '2025-Q1'").iloc[[0]]
    padding = one.loc[one.index.repeat(PADDING)].reset_index(drop=True)
    padding["revision"] = range(2, PADDING + 2)
    padding["note"] = 'dòng một\nDòng hai, "trích dẫn"'
    original = root / "padding.csv"
    original.write_bytes(b"padding")
    store.append(WARD, YEAR, padding, original, "f" * 64)
    return store


def _csv(folder: Path, i: int) -> Path:
    path = folder / f"nop-{i:02d}.csv"
    path.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note\n"
                    f"{WARD},{YEAR},PVHCC,9,2026-Q3,{90 + i / 100},false,lần {i}\n"
                    f"{WARD},{YEAR},PVHCC,10,2026-Q3,{95 + i / 100},false,\"lần {i}\nhai dòng\"\n", encoding="utf-8")
    return path


def _import(root: Path, path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kehoach.cli", "import", str(path)], cwd=PROJECT,
                            env=os.environ | {"KEHOACH_ROOT": str(root)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _committed_rows(db: Path) -> int:
    """What the database itself holds (no adoption from the archive), after SQLite's own integrity check."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]


def _workbench(tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml", root / "data" / "plan")
    return root


def test_killed_imports_never_tear_the_store(tmp_path):
    root = _workbench(tmp_path)
    store = _big_store(root)
    db = store.records_path(WARD, YEAR)
    archive = db.parent / "archive"

    start = time.monotonic()  # how long a whole import takes here, to spread the kills over it
    proc = _import(root, _csv(tmp_path, 0))
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    full = time.monotonic() - start

    outcomes = {"before": 0, "after": 0}
    attempts = 0
    # KILLS kills spread from start-up to past the write; on a loaded machine, more until both sides were hit
    while attempts < KILLS or (min(outcomes.values()) == 0 and attempts < 3 * KILLS):
        attempts += 1
        i = attempts
        rows_before = len(store.read(WARD, YEAR))
        archived_before = {p.name: p.stat().st_size for p in archive.iterdir()}
        proc = _import(root, _csv(tmp_path, i))
        time.sleep(full * (0.2 + 1.0 * ((i - 1) % KILLS + 1) / KILLS))
        sig = signal.SIGKILL if i % 2 else signal.SIGTERM
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        assert _committed_rows(db) in (rows_before, rows_before + 2), f"kill {i}: torn"
        rows = len(store.read(WARD, YEAR))  # the next reader adopts an import killed after its archive entry
        assert rows in (rows_before, rows_before + 2), f"kill {i}: {rows - rows_before} rows added"
        outcomes["after" if rows > rows_before else "before"] += 1
        assert all((archive / n).stat().st_size == size for n, size in archived_before.items())  # nothing archived lost
        if sig == signal.SIGTERM and code == 143:  # our handler ran: nothing left behind at all
            assert proc.stderr.read().decode().endswith("Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.\n")
        else:
            assert code in (0, -signal.SIGKILL, -signal.SIGTERM), (code, proc.stderr.read().decode())

    # the next command works without any manual cleanup, and removes the temporary files the kills left
    last = _import(root, _csv(tmp_path, 99))
    assert last.wait(timeout=120) == 0, last.stderr.read().decode()
    assert not list(db.parent.rglob("*.tmp"))
    stored = store.read(WARD, YEAR)
    assert not stored.duplicated(["record", "indicator", "task", "period", "revision"]).any()
    assert outcomes["before"] > 0 and outcomes["after"] > 0, outcomes  # the kills did land on both sides of the commit
    print(f"{attempts} kills: {outcomes['before']} before the commit, {outcomes['after']} after it; never torn")


def test_sigkill_between_archive_and_commit_is_adopted(tmp_path):
    """The worst moment, made certain: original and import document written, SIGKILL inside the transaction."""
    root = _workbench(tmp_path)
    store = _big_store(root)
    db = store.records_path(WARD, YEAR)
    rows_before = _committed_rows(db)
    script = tmp_path / "die.py"
    script.write_text(
        "import os, signal, sys\nimport kehoach.data.store as store\n"
        "def die(doc):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        "store._doc_tuples = die\nfrom kehoach.cli import main\nsys.exit(main(['import', sys.argv[1]]))\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(_csv(tmp_path, 1))], cwd=PROJECT,
                          env=os.environ | {"KEHOACH_ROOT": str(root)}, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert _committed_rows(db) == rows_before  # the transaction never committed: not a single row of it
    docs = [p for p in (db.parent / "archive").iterdir() if p.name.endswith("nop-01.csv.import.json")]
    assert len(docs) == 1
    # the next command adopts it from the archive; importing the same file again changes nothing
    assert len(store.read(WARD, YEAR)) == rows_before + 2
    again = _import(root, _csv(tmp_path, 1))
    assert again.wait(timeout=120) == 0
    assert "đã được nhập trước đây" in again.stdout.read().decode()
    assert _committed_rows(db) == rows_before + 2


def test_killed_runs_never_leave_a_half_written_report_folder(tmp_path):
    """`kehoach run` killed at several points: the period folder is either absent or a whole, earlier run;
    the next run cleans the leftovers and publishes a complete folder."""
    import shutil

    root = tmp_path / "wb"
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(PROJECT / sub, root / sub)
    (root / "reports").mkdir()
    env = {**os.environ, "KEHOACH_ROOT": str(root)}
    cli = [sys.executable, "-m", "kehoach.cli", "run", "--period", "2026-Q1", "--jobs", "2", "-q"]
    folder = root / "reports" / "2026-Q1"
    for delay, sig in ((1.5, signal.SIGKILL), (5.0, signal.SIGTERM), (9.0, signal.SIGKILL)):
        proc = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, sig)  # the run and its workers and kernels, as a crash or `kill` of the job would
        proc.wait(timeout=60)
        if folder.exists():  # published before the kill: whole
            assert (folder / "index.html").exists() and (folder / "manifest.json").exists()
    done = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (folder / "index.html").exists() and len(list(folder.glob("*.html"))) == 9
    assert not [p.name for p in (root / "reports").iterdir() if p.name.startswith((".staging-", ".old-"))]
