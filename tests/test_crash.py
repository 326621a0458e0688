"""Crash injection: `kehoach import` and `kehoach run` killed (SIGKILL, SIGTERM) at chosen steps.

No timers: each child process stops itself at an exact step, named by a Python audit event
(``sys.addaudithook``: opening the lock, writing a temporary file, a rename …) or by a call into
the store (``sys.setprofile``, for the one step inside the SQLite transaction), tells the test
through a pipe and waits there; the test then kills it by its PID. After every kill the database
passes SQLite's integrity check and holds the old records or the old records plus the whole new
file, never a part; no archived file is lost; the next command works with no manual cleanup.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kehoach.data.plan import load_plan
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from tests.conftest import PROJECT
from tests.helpers import one_revision_per_key_broken

WARD, YEAR = "phan-dinh-phung", 2026


def _workbench(tmp_path: Path) -> tuple[Path, ProgressStore]:
    """A copy of the plan and of the committed archive; the database is built from it before any kill."""
    import shutil

    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml", root / "data" / "plan")
    shutil.copytree(PROJECT / "data" / "progress", root / "data" / "progress",
                    ignore=shutil.ignore_patterns("records.sqlite*", "*.lock"))
    store = ProgressStore(root / "data" / "progress")
    store.read(WARD, YEAR)  # in step with the archive: the child's reads take no lock
    return root, store


def _csv(folder: Path, i: int) -> Path:
    path = folder / f"nop-{i:02d}.csv"
    path.write_text("ward,year,unit_code,indicator,period,value,is_estimate,note\n"
                    f"{WARD},{YEAR},PVHCC,9,2026-Q3,{90 + i / 100},false,lần {i}\n"
                    f"{WARD},{YEAR},PVHCC,10,2026-Q3,{95 + i / 100},false,\"lần {i}\nhai dòng\"\n", encoding="utf-8")
    return path


def _committed_rows(db: Path) -> int:
    """What the database itself holds (no adoption from the archive), after SQLite's own integrity check."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM records").fetchone()[0]


#: Where an import is stopped: (event, a piece of its argument, which argument must hold it), in the
#: order the import meets them. Event "call" is a call of the store's function of that name.
KILL_POINTS = {
    "reading the submitted file": ("open", "nop-01.csv", 0),
    "taking the store's lock": ("open", ".import.lock", 0),
    "writing the archive copy": ("open", "/archive/.", 0),
    "renaming the archive copy": ("os.rename", "/archive/", 1),
    "writing the import document": ("open", "nop-01.csv.import.json.", 0),
    "inside the transaction, document in place": ("call", "_doc_tuples", 0),
    "releasing the lock, import committed": ("fcntl.flock", "", -1),
}
#: Where the new rows are part of the store after a SIGKILL: once the import document is in place, the
#: next reader adopts it even if the transaction never committed.
KEPT_AFTER_SIGKILL = ("inside the transaction, document in place", "releasing the lock, import committed")
#: SIGTERM runs the CLI's handler: tried where it has something to clean up. Inside the transaction it rolls
#: back and removes the document, so only the committed import is kept.
SIGTERM_POINTS = ("taking the store's lock", "writing the archive copy", "inside the transaction, document in place",
                  "releasing the lock, import committed")
KEPT_AFTER_SIGTERM = ("releasing the lock, import committed",)
#: The child: a kehoach command with an audit hook (sys.addaudithook) or a profile hook (sys.setprofile),
#: no patching, that stops at the first matching step, tells the test through a pipe and waits to be killed.
STOPPER = """import os, sys


def stop():
    armed.clear()
    os.write(tell, b"stopped\\n")
    os.read(0, 1)  # blocks until the test kills this process


def hook(name, args):
    if not armed or name != event:
        return
    if event == "fcntl.flock":  # the unlock: LOCK_UN
        import fcntl
        hit = args[1] == fcntl.LOCK_UN
    else:
        hit = piece in str(args[arg])
    if hit:
        stop()


def profile(frame, what, arg):
    if armed and what == "call" and frame.f_code.co_name == piece:
        stop()


if __name__ == "__main__":  # not again in the run's worker processes (spawn imports the main script)
    event, piece, arg, tell = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    armed = [True]
    if event == "call":
        sys.setprofile(profile)
    else:
        sys.addaudithook(hook)
    from kehoach.cli import main
    sys.exit(main(sys.argv[5:]))
"""


def _stopped(script: Path, point: tuple[str, str, int], command: list[str], root: Path,
             session: bool = False) -> subprocess.Popen:
    """Start ``kehoach <command>`` under the stopper and return once it has stopped at ``point``."""
    event, piece, arg = point
    told, tell = os.pipe()
    proc = subprocess.Popen([sys.executable, str(script), event, piece, str(arg), str(tell), *command], cwd=PROJECT,
                            env=os.environ | {"KEHOACH_ROOT": str(root)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, pass_fds=(tell,), start_new_session=session)
    os.close(tell)
    with os.fdopen(told, "rb") as signals:
        assert signals.readline() == b"stopped\n", proc.communicate(timeout=600)[1].decode()[-2000:]
    return proc


@pytest.mark.parametrize(("point", "sig"), [*((p, signal.SIGKILL) for p in KILL_POINTS),
                                           *((p, signal.SIGTERM) for p in SIGTERM_POINTS)])
def test_an_import_killed_at_each_step_never_tears_the_store(tmp_path, point, sig):
    """Killed exactly at one step: the database is whole and holds the old rows or the old rows and the whole
    new file; archived files are never lost; the next import then works with no manual cleanup."""
    root, store = _workbench(tmp_path)
    db = store.records_path(WARD, YEAR)
    archive = db.parent / "archive"
    rows_before = _committed_rows(db)
    archived_before = {p.name: p.read_bytes() for p in archive.iterdir()}
    script = tmp_path / "stop.py"
    script.write_text(STOPPER, encoding="utf-8")
    proc = _stopped(script, KILL_POINTS[point], ["import", str(_csv(tmp_path, 1))], root)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    kept = point in (KEPT_AFTER_SIGKILL if sig == signal.SIGKILL else KEPT_AFTER_SIGTERM)
    assert _committed_rows(db) in (rows_before, rows_before + 2), f"{point}: torn"
    assert all((archive / name).read_bytes() == data for name, data in archived_before.items())  # nothing archived lost
    assert len(store.read(WARD, YEAR)) == rows_before + 2 * kept  # the next reader adopts a documented import
    if sig == signal.SIGTERM:  # our handler ran: it says so, and nothing is left behind at all
        assert proc.returncode == 143, err.decode()
        assert err.decode().endswith("Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.\n")
        assert not list(db.parent.rglob("*.tmp"))
    else:
        assert proc.returncode == -signal.SIGKILL
    # the next import works without any manual cleanup, and removes what the kill left
    import_file(_csv(tmp_path, 2), load_plan(root / "data" / "plan" / "phan-dinh-phung-2026.yaml"), store,
                today=dt.date(2026, 11, 29))
    assert not list(db.parent.rglob("*.tmp"))
    stored = store.read(WARD, YEAR)
    assert len(stored) == rows_before + 2 * kept + 2 and _committed_rows(db) == len(stored)
    assert not one_revision_per_key_broken(stored)


#: Where a run is stopped (as KILL_POINTS). The run's workers and kernels are killed with it (its process group).
RUN_POINTS = {
    "staging folder made": ("os.mkdir", "/.staging-", 0),
    "first report stored": ("os.rename", "/notebooks/", 1),
    "publishing: old reports moved aside, new ones not yet in place": ("os.rename", "/reports/2026-Q1", 1),
}


@pytest.mark.slow  # kehoach run: kernels
def test_killed_runs_never_leave_a_half_written_report_folder(tmp_path):
    """`kehoach run` killed at chosen steps: the period folder is either absent or a whole, earlier run;
    the next run cleans the leftovers and publishes a complete folder, and puts back the earlier
    reports a run killed while publishing had moved aside."""
    import shutil

    root = tmp_path / "wb"
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(PROJECT / sub, root / sub)
    (root / "reports").mkdir()
    script = tmp_path / "stop.py"
    script.write_text(STOPPER, encoding="utf-8")
    cli = ["run", "--period", "2026-Q1", "--jobs", "2", "--force", "-q"]  # the same inputs each time: run anyway
    folder = root / "reports" / "2026-Q1"

    def whole() -> bool:
        return (folder / "index.html").exists() and len(list(folder.glob("*.html"))) == 9

    def complete_run() -> None:
        done = subprocess.run([sys.executable, "-m", "kehoach.cli", *cli], env=os.environ | {"KEHOACH_ROOT": str(root)},
                              capture_output=True, text=True, timeout=600, cwd=PROJECT)
        assert done.returncode == 0, done.stderr[-2000:]
        assert whole() and not list(folder.parent.glob(".staging-*")) and not list(folder.parent.glob(".old-*"))

    for point, sig in (("staging folder made", signal.SIGKILL), ("first report stored", signal.SIGTERM)):
        proc = _stopped(script, RUN_POINTS[point], cli, root, session=True)
        os.killpg(proc.pid, sig)  # the run and its workers and kernels, as a crash or `kill` of the job would
        proc.communicate(timeout=60)
        assert not folder.exists(), point  # nothing was published
    assert not list(folder.parent.glob(".staging-*"))  # SIGTERM: the run removed its staging folder itself
    complete_run()  # and removed what the SIGKILL left
    earlier = {p.name: p.read_bytes() for p in folder.glob("*.html")}
    proc = _stopped(script, RUN_POINTS["publishing: old reports moved aside, new ones not yet in place"], cli, root, session=True)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert not folder.exists() and list(folder.parent.glob(".old-*"))  # the earlier run, moved aside, not lost
    proc = _stopped(script, RUN_POINTS["staging folder made"], cli, root, session=True)  # the next run, past its clean-up
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert {p.name: p.read_bytes() for p in folder.glob("*.html")} == earlier  # put back whole, before any new work
    assert not list(folder.parent.glob(".old-*"))
