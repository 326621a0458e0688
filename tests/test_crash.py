"""Crash injection: `kehoach import` killed (SIGKILL, SIGTERM) at many points never tears the store.

A store of several MB makes the read-check-write last long enough for kills to land before,
during and after the write. After every kill, records.csv holds exactly the old bytes or the
old bytes plus the new rows, and the next command works with no manual cleanup: the lock is
free, temporary files and orphaned archive copies are gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from kehoach.data.store import ProgressStore
from tests.conftest import PROJECT

WARD, YEAR = "phan-dinh-phung", 2026
KILLS = 24  # half SIGKILL, half SIGTERM


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


def test_killed_imports_never_tear_the_store(tmp_path):
    root = tmp_path / "wb"
    (root / "data" / "plan").mkdir(parents=True)
    import shutil

    shutil.copy(PROJECT / "data" / "plan" / "phan-dinh-phung-2026.yaml", root / "data" / "plan")
    store = _big_store(root)
    records = store.records_path(WARD, YEAR)
    assert records.stat().st_size > 5_000_000

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
        old = records.read_bytes()
        rows_before = len(store.read(WARD, YEAR))
        earlier_leftovers = set(records.parent.rglob("*.tmp"))  # from an earlier SIGKILL, for the next lock holder
        proc = _import(root, _csv(tmp_path, i))
        time.sleep(full * (0.2 + 1.0 * ((i - 1) % KILLS + 1) / KILLS))
        sig = signal.SIGKILL if i % 2 else signal.SIGTERM
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
        new = records.read_bytes()
        if new == old:
            outcomes["before"] += 1
        else:
            assert new.startswith(old), f"kill {i}: records.csv was rewritten"
            outcomes["after"] += 1
        frame = store.read(WARD, YEAR)  # never torn: parses, and holds all or none of the file's rows
        assert len(frame) in (rows_before, rows_before + 2), f"kill {i}: {len(frame) - rows_before} rows added"
        if sig == signal.SIGTERM and code == 143:  # our handler ran: nothing left behind at all
            assert proc.stderr.read().decode().endswith("Đã dừng (SIGTERM); dữ liệu đã lưu không bị thay đổi, tệp tạm đã được dọn.\n")
            assert not set(records.parent.rglob("*.tmp")) - earlier_leftovers
        else:
            assert code in (0, -signal.SIGKILL, -signal.SIGTERM), (code, proc.stderr.read().decode())

    # the next command works without any manual cleanup, and removes what the kills left
    last = _import(root, _csv(tmp_path, 99))
    assert last.wait(timeout=120) == 0, last.stderr.read().decode()
    assert not list(records.parent.rglob("*.tmp"))
    stored = set(store.read(WARD, YEAR)["source_sha256"].str[:16])
    assert {p.name[:16] for p in (records.parent / "archive").iterdir()} <= stored
    assert outcomes["before"] > 0 and outcomes["after"] > 0, outcomes  # the kills did land on both sides of the write
    print(f"{attempts} kills: {outcomes['before']} before the write, {outcomes['after']} after it; records.csv never torn")


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
