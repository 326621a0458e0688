"""Benchmark: a province's quarter, every commune's full report set plus the roll-up, on 1 and 2 Dask workers.

In a temporary workspace it builds the synthetic province (``kehoach sample-data --province N``),
then runs ``kehoach run --period 2026-Q3 --ward all`` through ``--scheduler local`` with 1 and
with 2 single-threaded workers (every notebook live: each does its own analysis from the
period's inputs), each pass with the chart-drawing cache emptied. It prints, from the measured
wall times:

- reports per minute with 1 and 2 workers, and the scaling efficiency
  ``(rate with 2) / (2 x rate with 1)`` (goal >= 0,85);
- the whole quarter's time with 2 workers (goal for 92 communes on 2 cores: <= 12 minutes);
- the workers a national quarter (3.321 communes, and about 10.000 as before 2025) needs to finish
  within one hour, at the measured per-worker rate:
  ``ceil(notebook runs per commune x communes / (best rate / its workers x 60))``.

    .venv/bin/python benchmarks/province.py [--communes 92] [--workers 1 2] [--workspace DIR] [--smoke]

``--smoke`` builds 1 commune and runs it once on 2 workers: it checks the script, its
figures mean nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Communes of a national quarter: 3.321 since the 2025 reorganisation; about 10.000 before it (issue 25's figure).
NATIONS = (3321, 10000)


def kehoach(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEHOACH_ROOT": str(root)}
    proc = subprocess.run([sys.executable, "-m", "kehoach.cli", *args], env=env, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"kehoach {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc


def runs_in(root: Path) -> int:
    """Notebook runs of the last ``--ward all`` run, from its manifest."""
    import json

    manifest = json.loads((root / "reports" / "2026-Q3" / "manifest.json").read_text(encoding="utf-8"))
    return sum(len(v) for v in manifest["communes"].values()) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=92)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--smoke", action="store_true", help="1 commune: checks that the script works")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="keep the synthetic province in this folder, and use it as it is if it is there already "
                             "(a province built once serves several measurements)")
    args = parser.parse_args()
    if args.smoke:  # one commune on 2 workers: enough to show the script works
        args.communes, args.workers = 1, [2]
    with tempfile.TemporaryDirectory(prefix="kehoach-province-bench-") as tmp:
        root = args.workspace.resolve() if args.workspace else Path(tmp) / "tinh"
        if (root / "data").exists():
            print(f"synthetic province of {root}, as built before")
        else:
            start = time.perf_counter()
            kehoach(root, "sample-data", "--province", str(args.communes))
            print(f"synthetic province built through the import path: {time.perf_counter() - start:.1f} s")
        communes = len(list((root / "communes").iterdir()))
        print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, communes: {communes}")
        rates: dict[int, float] = {}
        runs = 0
        for workers in args.workers:
            # every pass draws its charts afresh: a pass after another would find them in the drawing cache
            shutil.rmtree(root / "reports" / ".cache", ignore_errors=True)
            start = time.perf_counter()
            kehoach(root, "run", "--period", "2026-Q3", "--ward", "all", "--scheduler", "local", "--jobs", str(workers),
                    "--force", "-q")  # every pass runs every notebook, though nothing changed since the last
            wall = time.perf_counter() - start
            runs = runs_in(root)
            rates[workers] = runs / wall * 60
            print(f"{workers} worker(s): {runs} notebook runs ({communes} communes' full report sets + the roll-up) "
                  f"in {wall:.1f} s = {wall / 60:.1f} min, {rates[workers]:.1f} reports/minute")
        if 1 in rates and 2 in rates:
            print(f"scaling efficiency 1 -> 2 workers: {rates[2] / (2 * rates[1]):.2f}")
        best = max(rates)
        per_worker = rates[best] / best
        per_commune = (runs - 1) / communes
        print(f"per worker: {per_worker:.1f} reports/minute; {per_commune:.1f} notebook runs per commune")
        for communes in NATIONS:
            nation = per_commune * communes
            print(f"national quarter ({communes} communes, {nation:.0f} runs) within one hour: "
                  f"{math.ceil(nation / (per_worker * 60))} workers at this per-worker rate")


if __name__ == "__main__":
    main()
