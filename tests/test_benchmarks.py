"""Every benchmark script still works: each runs at its --smoke size (figures come from full runs, not here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT

SPREAD = True  # each script on its own: spread over the xdist workers (tests/conftest.py)
SCRIPTS = sorted(p.name for p in (PROJECT / "benchmarks").glob("*.py"))
#: Scripts that start kernels, a browser or a Dask cluster, or write Word drafts from drawn charts: slow.
SLOW = {"quarterly_run.py", "province.py", "explore_latency.py", "profile_notebooks.py"}


def test_every_benchmark_is_listed():
    assert {"quarterly_run.py", "progress_load.py", "import_time.py", "profile_notebooks.py"} <= set(SCRIPTS)
    assert SLOW <= set(SCRIPTS)


@pytest.mark.parametrize("script", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in SCRIPTS])
def test_benchmark_runs_at_smoke_size(script):
    proc = subprocess.run([sys.executable, str(PROJECT / "benchmarks" / script), "--smoke"], capture_output=True,
                          text=True, timeout=600, cwd=PROJECT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip(), "a benchmark prints its figures"
