"""A `kehoach run` stopped by SIGTERM or killed by SIGKILL leaves no pool worker and no kernel running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import PROJECT, make_workbench

pytestmark = pytest.mark.slow


def _kernels(proc: psutil.Process) -> list[psutil.Process]:
    """The run's kernels: forked by its warm process (whose command line they share), or started from scratch."""
    try:
        return [p for p in proc.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())
                or "kehoach.delivery.kernelpool" in " ".join(p.parent().cmdline())]
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_run_leaves_no_worker_and_no_kernel(tmp_path, sig):
    root = make_workbench(tmp_path / "wb")
    env = {k: v for k, v in os.environ.items() if k != "KEHOACH_ROOT"}
    run = subprocess.Popen([sys.executable, "-m", "kehoach.cli", "--root", str(root), "run", "--period", "2026-Q3",
                            "--jobs", "2", "-q"], cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    parent = psutil.Process(run.pid)
    deadline = time.monotonic() + 240
    while len(_kernels(parent)) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    descendants = parent.children(recursive=True)
    assert len(_kernels(parent)) >= 2 and len(descendants) >= 5  # two pool workers, the warm process, two kernels
    run.send_signal(sig)
    _, err = run.communicate(timeout=60)
    gone, alive = psutil.wait_procs(descendants, timeout=15)
    assert not alive, [" ".join(p.cmdline())[:120] for p in alive]
    if sig == signal.SIGTERM:
        assert run.returncode == 143 and "Đã dừng (SIGTERM)" in err and "Traceback" not in err
    assert not (root / "reports" / "2026-Q3").exists()  # nothing half-published
    assert not list((root / "reports").glob(".staging-*"))  or sig == signal.SIGKILL  # a kill leaves staging for the next run
