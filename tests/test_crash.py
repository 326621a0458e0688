"""Crash injection: `kehoach import` and `kehoach run` killed (SIGKILL, SIGTERM) at chosen steps.

No timers: each child process stops itself at an exact step, named by a Python audit event
(``sys.addaudithook``: opening the lock, writing the temporary file, the rename …), tells the
test through a pipe and waits there; the test then kills it by its PID. After every kill,
records.csv holds exactly the old bytes or the old bytes plus the new rows, and the next command
works with no manual cleanup: the lock is free, temporary files and orphaned archive copies are gone.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kehoach.data.plan import load_plan
from kehoach.data.store import ProgressStore
from kehoach.data.submission import import_file
from tests.conftest import PROJECT

WARD, YEAR = "phan-dinh-phung", 2026


def _big_store(root: Path) -> ProgressStore:
    """The illustrative store, padded with revisions of one indicator to about 8 MB."""
    import shutil

    shutil.copytree(PROJECT / "data" / "progress", root / "data" / "progress")
    store = ProgressStore(root / "data" / "progress")
    path = store.records_path(WARD, YEAR)
    lines = path.read_text(encoding="utf-8").splitlines()
    template = next(line for line in lines[1:] if ",indicator,9,,2025-Q1," in line)
    head, _, tail = template.partition(",2025-Q1,1,")
    padding = [f"{head},2025-Q1,{rev},{tail}" for rev in range(2, 24_002)]
    note = '"dòng một\nDòng hai, ""trích dẫn"""'
    padding = [p.replace("Số liệu minh họa", note) for p in padding]
    path.write_text("\n".join(lines + padding) + "\n", encoding="utf-8")
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


#: Where an import is stopped: (audit event, a piece of its first argument, which argument must hold it),
#: in the order the import meets them, and whether records.csv holds the new rows by then.
KILL_POINTS = {
    "reading the submitted file": ("open", "nop-01.csv", 0, False),
    "taking the store's lock": ("open", ".import.lock", 0, False),
    "writing the archive copy": ("open", "/archive/.", 0, False),
    "renaming the archive copy": ("os.rename", "/archive/", 1, False),
    "reading the stored records": ("open", "/records.csv", 0, False),
    "creating the new records file": ("open", "/.records.csv.", 0, False),
    "new records file written": ("os.chmod", "/.records.csv.", 0, False),
    "renaming over records.csv": ("os.rename", "/records.csv", 1, False),
    "releasing the lock, records replaced": ("fcntl.flock", "", -1, True),
}
#: SIGTERM runs the CLI's handler: tried where it has something to clean up (lock held, temporary file made).
SIGTERM_POINTS = ("taking the store's lock", "writing the archive copy", "new records file written",
                  "releasing the lock, records replaced")
#: The child: a kehoach command with an audit hook (sys.addaudithook, no patching) that stops at the
#: first matching event, tells the test through a pipe and waits there to be killed.
STOPPER = """import os, sys


def hook(name, args):
    if not armed or name != event:
        return
    if event == "fcntl.flock":  # the unlock: LOCK_UN
        import fcntl
        hit = args[1] == fcntl.LOCK_UN
    else:
        hit = piece in str(args[arg])
    if hit:
        armed.clear()
        os.write(tell, b"stopped\\n")
        os.read(0, 1)  # blocks until the test kills this process


if __name__ == "__main__":  # not again in the run's worker processes (spawn imports the main script)
    event, piece, arg, tell = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    armed = [True]
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
    """Killed exactly at one step (an audit event, not a timer): records.csv holds the old bytes, or the old
    bytes and the whole new file after the rename; the next import then works with no manual cleanup."""
    import shutil

    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml", root / "data" / "plan")
    shutil.copytree(PROJECT / "data" / "progress", root / "data" / "progress")
    store = ProgressStore(root / "data" / "progress")
    records = store.records_path(WARD, YEAR)
    old, rows_before = records.read_bytes(), len(store.read(WARD, YEAR))
    event, piece, arg, replaced = KILL_POINTS[point]
    script = tmp_path / "stop.py"
    script.write_text(STOPPER, encoding="utf-8")
    proc = _stopped(script, (event, piece, arg), ["import", str(_csv(tmp_path, 1))], root)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    new = records.read_bytes()
    assert new.startswith(old) and (new != old) == replaced, f"{point}: records.csv was rewritten or torn"
    assert len(store.read(WARD, YEAR)) == rows_before + 2 * replaced  # parses; all of the file's rows or none
    if sig == signal.SIGTERM:  # our handler ran: it says so, and nothing is left behind at all
        assert proc.returncode == 143, err.decode()
        assert err.decode().endswith("Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.\n")
        assert not list(records.parent.rglob("*.tmp"))
    else:
        assert proc.returncode == -signal.SIGKILL
    # the next import works without any manual cleanup, and removes what the kill left
    import_file(_csv(tmp_path, 2), load_plan(root / "data" / "plan" / "phan-dinh-phung-2026.yaml"), store,
                today=dt.date(2026, 11, 29))
    assert not list(records.parent.rglob("*.tmp"))
    stored = set(store.read(WARD, YEAR)["source_sha256"].str[:16])
    assert {p.name[:16] for p in (records.parent / "archive").iterdir()} <= stored
    assert len(store.read(WARD, YEAR)) == rows_before + 2 * replaced + 2


def test_sigkill_at_the_rename_leaves_only_what_the_next_command_removes(tmp_path):
    """The worst moment, made certain: the new records.csv is fully written to its temporary file, then SIGKILL."""
    import shutil

    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    shutil.copy(PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml", root / "data" / "plan")
    store = _big_store(root)
    records = store.records_path(WARD, YEAR)
    old, rows_before = records.read_bytes(), len(store.read(WARD, YEAR))
    script = tmp_path / "die.py"
    script.write_text(
        "import os, signal, sys\nreal = os.replace\n"
        "def die(src, dst):\n"
        "    if str(dst).endswith('records.csv'):\n        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(src, dst)\n"
        "os.replace = die\nfrom kehoach.cli import main\nsys.exit(main(['import', sys.argv[1]]))\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(_csv(tmp_path, 1))], cwd=PROJECT,
                          env=os.environ | {"KEHOACH_ROOT": str(root)}, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    leftovers = list(records.parent.glob(".records.csv.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > len(old)  # the whole new file, never renamed
    assert records.read_bytes() == old
    orphan = [p for p in (records.parent / "archive").iterdir() if p.name.endswith("nop-01.csv")]
    assert len(orphan) == 1  # archived before the records were written
    # the same file, imported again, just works; the leftovers are gone
    again = _import(root, _csv(tmp_path, 1))
    assert again.wait(timeout=120) == 0, again.stderr.read().decode()
    assert not list(records.parent.rglob("*.tmp"))
    assert records.read_bytes().startswith(old) and len(store.read(WARD, YEAR)) == rows_before + 2


#: Where a run is stopped (as KILL_POINTS). The run's workers and kernels are killed with it (its process group).
RUN_POINTS = {
    "staging folder made": ("os.mkdir", "/.staging-", 0),
    "first report stored": ("os.rename", "/notebooks/", 1),
    "publishing: old reports moved aside, new ones not yet in place": ("os.rename", "/reports/2026-Q1", 1),
}


@pytest.mark.slow  # kehoach run: kernels
def test_killed_runs_never_leave_a_half_written_report_folder(tmp_path):
    """`kehoach run` killed at chosen steps: the period folder is either absent or a whole, earlier run;
    the next run cleans the leftovers and publishes a complete folder."""
    import shutil

    root = tmp_path / "wb"
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(PROJECT / sub, root / sub)
    (root / "reports").mkdir()
    script = tmp_path / "stop.py"
    script.write_text(STOPPER, encoding="utf-8")
    cli = ["run", "--period", "2026-Q1", "--jobs", "2", "-q"]
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
    proc = _stopped(script, RUN_POINTS["publishing: old reports moved aside, new ones not yet in place"], cli, root, session=True)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert not folder.exists() and list(folder.parent.glob(".old-*"))  # the earlier run, moved aside, not lost
    complete_run()
