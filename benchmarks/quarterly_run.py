"""Benchmark: the quarterly batch of live notebooks against an honest kernel floor.

Measures, in one run and in this project's environment, in a temporary copy of the workbench:

(a) the floor: papermill (Python API) running a notebook that imports pandas and reads the
    period's evaluated Parquet (the smallest notebook that does any analysis of the period);
(b) the cold batch: ``run_period`` with default settings (jobs = number of cores) and an empty
    chart-drawing cache; every notebook computes its own sections from the period's inputs;
(c) a re-run of the same period with nothing changed: the run finds that its jobs would be given
    exactly what the published reports were built from, by the same software, and keeps them
    (``kehoach run`` says so; the reports stay byte for byte);
(c') the same re-run with ``--force``, as when something the checksums do not see has changed:
    the notebooks compute everything again, and only drawings of unchanged charts come from the cache;
(d) a hand-rolled loop over the same executed notebooks, drawing cache emptied: the ``papermill``
    command, then ``jupyter nbconvert --to html --no-input``, one notebook after the other.

It prints ``ratio = batch wall time / (number of notebook runs x floor)`` for (b), (c) and (c'), and
(b) against (d).
Run (``--smoke``: one floor run, one batch, (c) and the loop over one notebook, to check the script):

    .venv/bin/python benchmarks/quarterly_run.py [--period 2026-Q3] [--floor-runs 3] [--jobs N] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def floor(runs: int, workdir: Path, parquet: Path) -> float:
    """Median wall time of papermill running a notebook that imports pandas and reads ``parquet``."""
    import papermill as pm

    code = f"import pandas as pd\nframe = pd.read_parquet({str(parquet)!r})\nlen(frame)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = workdir / "floor.ipynb"
    nbformat.write(nb, src)
    times = []
    for i in range(runs + 1):  # the first run warms the disk cache and papermill's imports
        start = time.perf_counter()
        pm.execute_notebook(str(src), str(workdir / f"floor-out-{i}.ipynb"), progress_bar=False, kernel_name="python3")
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_workbench(target: Path) -> Path:
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(ROOT / sub, target / sub)
    (target / "reports").mkdir()
    return target


def batch(period: str, jobs: int | None, force: bool = False) -> tuple[float, list, bool]:
    """Wall time, results, and whether the published reports were kept as they were."""
    from kehoach.delivery.batch import run_period

    start = time.perf_counter()
    result = run_period(period, jobs=jobs, force=force)
    wall = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"batch failed: {[(r.name, r.error) for r in result.failed]}")
    return wall, result.results, result.skipped


def hand_rolled(root: Path, period: str, workdir: Path, names: list[str]) -> float:
    """Wall time of plain papermill and nbconvert over the period's executed notebooks ``names``, one by one, charts
    drawn afresh."""
    import subprocess

    shutil.rmtree(root / "reports" / ".cache" / "charts", ignore_errors=True)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "KEHOACH_ROOT": str(root)}
    start = time.perf_counter()
    for name in names:
        executed = root / "reports" / period / "notebooks" / f"{name}.ipynb"
        out = workdir / executed.name
        for command in ([str(bin_dir / "papermill"), str(executed), str(out), "--no-progress-bar"],
                        [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)]):
            subprocess.run(command, env=env, cwd=root, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--floor-runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="batch parallelism (default: number of cores)")
    parser.add_argument("--smoke", action="store_true", help="one floor run: checks that the script works")
    args = parser.parse_args()
    if args.smoke:
        args.floor_runs = 1
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-") as tmp:
        tmp = Path(tmp)
        root = copy_workbench(tmp / "wb")
        os.environ["KEHOACH_ROOT"] = str(root)
        wall, results, _ = batch(args.period, args.jobs)
        n = len(results)
        f = floor(args.floor_runs, tmp, root / "reports" / args.period / "inputs" / "evaluated.parquet")
        print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
        print(f"floor (papermill, notebook importing pandas and reading the evaluated Parquet, "
              f"median of {args.floor_runs}): {f:.2f} s")
        print(f"cold batch {args.period}: {n} live notebooks, jobs={args.jobs or os.cpu_count()}, wall {wall:.2f} s")
        print(f"ratio = batch wall / (n x floor) = {wall:.2f} / ({n} x {f:.2f}) = {wall / (n * f):.2f}")
        for r in results:
            print(f"  {r.name:<14} {r.duration_s:6.2f} s  {r.html}: {(r.html_bytes or 0) / 1024:,.0f} KB")
        same, _, kept = batch(args.period, args.jobs)
        if not kept:
            raise SystemExit("the re-run with nothing changed built the reports again")
        print(f"re-run of {args.period}, nothing changed (reports kept): wall {same:.2f} s, ratio {same / (n * f):.2f}")
        (tmp / "loop").mkdir()
        if args.smoke:  # one batch, (c), and the loop over one notebook show the script works
            print(f"hand-rolled loop over {results[-1].name}: {hand_rolled(root, args.period, tmp / 'loop', [results[-1].name]):.2f} s")
            return
        again, _, _ = batch(args.period, args.jobs, force=True)
        print(f"re-run of {args.period} with --force (cached drawings): wall {again:.2f} s, ratio {again / (n * f):.2f}")
        loop = hand_rolled(root, args.period, tmp / "loop", [r.name for r in results])
        print(f"hand-rolled loop (papermill, then nbconvert --no-input, {n} notebooks, drawings not cached): "
              f"wall {loop:.2f} s; cold batch / loop = {wall:.2f} / {loop:.2f} = {wall / loop:.2f}")


if __name__ == "__main__":
    main()
