"""Kernels forked from the warm process: each notebook has a process of its own, and nothing leaks between them."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import psutil
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from kehoach.delivery import kernelpool

#: A first notebook that changes everything a kernel could pass on to the next one.
POLLUTE = """
import os, sys, kehoach, pandas
leaked_variable = 1
kehoach.leaked_attribute = 2
pandas.set_option("display.max_rows", 3)
os.environ["KEHOACH_LEAK"] = "3"
sys.path.append("/leaked")
sys.modules["leaked_module"] = kehoach
os.chdir("/")
"""
#: What a notebook sees of that; printed as JSON.
LOOK = """
import json, os, random, sys, kehoach, numpy, pandas
print(json.dumps({
    "variable": "leaked_variable" in globals(), "attribute": hasattr(kehoach, "leaked_attribute"),
    "option": pandas.get_option("display.max_rows"), "environment": os.environ.get("KEHOACH_LEAK"),
    "path": "/leaked" in sys.path, "module": "leaked_module" in sys.modules, "cwd": os.getcwd(),
    "root": os.environ.get("KEHOACH_ROOT"), "pid": os.getpid(), "ppid": os.getppid(),
    "random": random.random(), "numpy": float(numpy.random.random()), "preloaded": "altair" in sys.modules,
}))
"""


def _run(source: str, folder: Path, **env: str) -> dict:
    """Run a one-cell notebook in a kernel working in ``folder``; what it printed, read as JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_code_cell(source)])
    client = NotebookClient(nb, kernel_name="python3", kernel_manager_class=kernelpool.PooledKernelManager,
                            resources={"metadata": {"path": str(folder)}}, timeout=120)
    client.execute(env={**os.environ, **env})
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    return json.loads(text) if text else {}


@pytest.fixture
def pool():
    kernelpool.close_all()
    yield kernelpool.shared()
    kernelpool.close_all()


@pytest.mark.slow
def test_a_notebook_sees_nothing_of_the_notebook_run_before_it(pool, tmp_path):
    _run(POLLUTE, tmp_path / "a", KEHOACH_ROOT="/ward-a")
    seen = _run(LOOK, tmp_path / "b", KEHOACH_ROOT="/ward-b")
    assert {k: seen[k] for k in ("variable", "attribute", "option", "environment", "path", "module", "cwd", "root",
                                 "ppid", "preloaded")} == {
        "variable": False, "attribute": False, "option": 60, "environment": None, "path": False, "module": False,
        "cwd": str(tmp_path / "b"), "root": "/ward-b", "ppid": pool.pid, "preloaded": True}


@pytest.mark.slow
def test_each_kernel_is_a_process_of_its_own_with_its_own_random_numbers(pool, tmp_path):
    first, second = _run(LOOK, tmp_path / "a"), _run(LOOK, tmp_path / "b")
    assert first["ppid"] == second["ppid"] == pool.pid
    assert first["pid"] != second["pid"]
    assert first["random"] != second["random"] and first["numpy"] != second["numpy"]
    assert not psutil.pid_exists(first["pid"]) or psutil.Process(first["pid"]).status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
@pytest.mark.parametrize("env", [{kernelpool.SWITCH: "1"}, {"PYTHONPATH": "/somewhere/else"}],
                         ids=["switched-off", "other-import-path"])
def test_a_kernel_is_started_from_scratch_when_switched_off_or_importing_from_elsewhere(pool, tmp_path, env):
    seen = _run(LOOK, tmp_path / "a", **env)
    assert seen["ppid"] == os.getpid()
    assert seen["cwd"] == str(tmp_path / "a")


@pytest.mark.slow
def test_a_kernel_is_started_from_scratch_when_the_warm_process_is_gone(pool, tmp_path):
    os.kill(pool.pid, signal.SIGKILL)
    assert select.select([os.pidfd_open(pool.pid)], [], [], 30)[0]
    seen = _run(LOOK, tmp_path / "a")
    assert seen["ppid"] not in (pool.pid, os.getpid())  # a new warm process was started for it
    assert seen["ppid"] == kernelpool.shared().pid


@pytest.mark.slow
def test_kernels_end_when_the_warm_process_ends(pool, tmp_path):
    kernel = pool.fork(["-f", str(tmp_path / "kernel.json")], dict(os.environ), str(tmp_path))
    assert kernel.poll() is None
    kernelpool.close_all()  # the command that started the warm process has ended
    kernel.wait(timeout=30)  # ipykernel's parent poller ends it (checks every second)
    assert kernel.poll() == 0


@pytest.mark.slow
def test_a_worker_process_uses_the_warm_process_of_the_command(pool, tmp_path):
    code = ("import json, sys; from kehoach.delivery import kernelpool; kernelpool.attach(tuple(json.loads(sys.argv[1])));"
            "print(kernelpool.shared().pid)")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(pool.address)], capture_output=True, text=True,
                         check=True)
    assert int(out.stdout) == pool.pid


@pytest.mark.slow
def test_the_warm_process_has_one_thread_so_that_it_forks_safely(pool, tmp_path):
    pool.fork(["-f", str(tmp_path / "kernel.json")], dict(os.environ), str(tmp_path)).kill()  # it has imported
    assert psutil.Process(pool.pid).num_threads() == 1


@pytest.mark.parametrize(("argv", "env"), [
    (["/usr/bin/python3.9", "-m", "ipykernel_launcher", "-f", "k.json"], {}),
    ([sys.executable, "-m", "other_kernel", "-f", "k.json"], {}),
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"], {kernelpool.SWITCH: "1"}),
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"], {"PYTHONPATH": "/another/checkout"}),
], ids=["another-python", "another-kernel", "switched-off", "another-import-path"])
def test_which_kernels_are_started_from_scratch(argv, env):
    assert kernelpool.for_kernel(argv, {**os.environ, **env}) is None
