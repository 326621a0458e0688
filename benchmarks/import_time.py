"""Benchmark: the start-up cost of a report cell, ``import kehoach.reporting.sections``, in fresh interpreters.

Each import runs in its own new Python process of this environment (``python -c "import …"``,
wall time of the whole process), alternating with the floor, ``import pandas`` (the least any
report needs), so that both see the same machine. Prints the median of ``--runs`` for each, the
ratio, and which heavy libraries the import left unloaded (Altair, vl-convert and jsonschema are
imported only where a chart is built or drawn).

    .venv/bin/python benchmarks/import_time.py [--runs 7] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

MODULE = "kehoach.reporting.sections"
FLOOR = "pandas"
DEFERRED = ("altair", "vl_convert", "jsonschema", "rfc3987_syntax", "nbformat", "papermill")


def wall(module: str) -> float:
    """Seconds for a fresh interpreter to import ``module`` and exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def loaded_with(module: str) -> list[str]:
    """Which of :data:`DEFERRED` importing ``module`` loads."""
    code = f"import sys, {module}; print(' '.join(m for m in {DEFERRED!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return out.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one run of each: checks that the script works")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    if not args.smoke:
        wall(MODULE)  # warm the disk cache and the bytecode
    ours, floor = [], []
    for _ in range(runs):
        ours.append(wall(MODULE))
        floor.append(wall(FLOOR))
    mine, base = statistics.median(ours), statistics.median(floor)
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    print(f"import {MODULE}: median {mine:.2f} s of {runs} (fastest {min(ours):.2f}, slowest {max(ours):.2f})")
    print(f"import {FLOOR} (floor): median {base:.2f} s of {runs} (fastest {min(floor):.2f})")
    print(f"ratio = {mine:.2f} / {base:.2f} = {mine / base:.2f}")
    print(f"also loaded by the import: {', '.join(loaded_with(MODULE)) or 'none'} of {', '.join(DEFERRED)}")


if __name__ == "__main__":
    main()
