"""Benchmark: one import into a store of 1 million records, and loading those records for a report.

Before (the CSV store, which rewrote the whole ``records.csv`` on every import) and after (the
SQLite store), in one run: the CSV store's code is taken from git (``--before``, the last commit
with it) into a temporary folder, and the same worker runs against each implementation through
the unchanged API (``ProgressStore.append``, ``load_progress``). Each worker builds one ward and
year with ``--records`` records, then times ``--repeat`` imports of a form-sized file (60 records)
and ``--repeat`` loads of the latest values. Run:

    .venv/bin/python benchmarks/store_import.py [--records 1000000] [--repeat 3] [--before 50c40cd]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit whose store was records.csv.
BEFORE = "50c40cd"
WARD, YEAR = "xa-benchmark", 2026
PERIODS = [f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)]
BATCH = 60


def _frame(rows: int, first_revision: int, seed: int):
    import datetime as dt

    import numpy as np
    import pandas as pd

    keys = 36 * len(PERIODS)
    revisions = -(-rows // keys)
    stamp = dt.datetime(2026, 10, 2, 1, tzinfo=dt.timezone.utc)
    frame = pd.DataFrame({
        "ward": WARD, "year": YEAR, "record": "indicator",
        "indicator": np.tile(np.repeat(np.arange(1, 37), len(PERIODS)), revisions)[:rows],
        "task": None, "period": np.tile(PERIODS, 36 * revisions)[:rows],
        "revision": np.repeat(np.arange(first_revision, first_revision + revisions), keys)[:rows],
        "value": np.random.default_rng(seed).uniform(0, 1000, rows).round(3), "is_estimate": False, "status": None,
        "unit_code": "KTHT", "submitted_at": stamp, "imported_at": stamp, "source_file": f"f{seed}.csv",
        "source_sha256": f"{seed:064d}", "note": "Ghi chú của đơn vị, có dấu phẩy, và\nxuống dòng",
        "illustrative": False, "submitted_at_source": "import",
    })
    frame["indicator"] = frame["indicator"].astype("Int64")
    return frame


def worker(records: int, repeat: int, folder: Path) -> dict:
    """Build the store, then time imports and loads; runs in the implementation on ``sys.path``."""
    from kehoach.data.store import ProgressStore, load_progress

    store = ProgressStore(folder / "progress")
    original = folder / "f.csv"
    original.write_bytes(b"benchmark")
    start = time.perf_counter()
    store.append(WARD, YEAR, _frame(records, 1, 0), original, f"{0:064d}")
    built = time.perf_counter() - start
    top = -(-records // (36 * len(PERIODS)))
    imports = []
    for i in range(1, repeat + 1):
        batch = folder / f"batch{i}.csv"
        batch.write_bytes(f"batch {i}".encode())
        frame = _frame(BATCH, top + i, i)
        start = time.perf_counter()
        store.append(WARD, YEAR, frame, batch, f"{i:064d}")
        imports.append(time.perf_counter() - start)
    loads = []
    for _ in range(repeat):
        start = time.perf_counter()
        latest = load_progress(WARD, YEAR, root=store.root)
        loads.append(time.perf_counter() - start)
    assert len(latest) == 36 * len(PERIODS)
    return {"build": built, "import": statistics.median(imports), "load": statistics.median(loads)}


def _run(pythonpath: Path, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-") as tmp:
        env = os.environ | {"PYTHONPATH": str(pythonpath)}
        done = subprocess.run([sys.executable, __file__, "--worker", tmp, "--records", str(args.records),
                               "--repeat", str(args.repeat)], env=env, cwd=tmp, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"worker failed ({pythonpath}):\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def _before_tree(ref: str, into: Path) -> Path | None:
    """The package as it was at ``ref`` (from git), or None where git or the commit is not available."""
    done = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "kehoach"], capture_output=True, check=False)
    if done.returncode != 0:
        return None
    with tarfile.open(fileobj=BytesIO(done.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git commit of the CSV store to compare with")
    parser.add_argument("--smoke", action="store_true", help="a tiny size, to check the script works (the tests run it)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.records, args.repeat, args.worker)))
        return
    if args.smoke:
        args.records, args.repeat = 2_000, 1
    results = {}
    with tempfile.TemporaryDirectory(prefix="kehoach-before-") as tmp:
        before = _before_tree(args.before, Path(tmp))
        if before is not None:
            results["before (CSV)"] = _run(before, args)
        results["after (SQLite)"] = _run(ROOT, args)
    print(f"store of {args.records:,} records, one ward and year; medians of {args.repeat} runs")
    print(f"{'':16} {'build':>8} {'import of 60':>13} {'load for report':>16}")
    for name, r in results.items():
        print(f"{name:16} {r['build']:7.2f}s {r['import']:12.3f}s {r['load']:15.3f}s")
    if len(results) == 2:
        old, new = results.values()
        print(f"ratio before/after: import {old['import'] / new['import']:.1f}x, load {old['load'] / new['load']:.2f}x")
    else:
        print(f"before: commit {args.before} not available (no git history here); only the SQLite store measured")


if __name__ == "__main__":
    main()
