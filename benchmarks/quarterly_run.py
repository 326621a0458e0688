"""Benchmark: the quarterly batch against the kernel floor, and a 92-ward province.

Measures, in one run and in this project's environment:

(a) the floor: papermill (Python API) running a notebook whose only cell is ``import pandas``;
(b) the full quarterly batch for one ward, ``run_period`` with default settings
    (jobs = number of cores), on the included data, in a temporary copy of the workbench,
    then the same batch again, as after a late submission (unchanged charts come from the cache);
(c) optionally (``--province``), a synthetic province of 92 wards: the overview report of
    each ward, with ``--jobs 1`` and ``--jobs 2``, reported as reports per minute.

It prints ``ratio = batch wall time / (number of notebook runs x floor)``, the time of each
notebook and the size of each HTML report. Run:

    .venv/bin/python benchmarks/quarterly_run.py [--period 2026-Q3] [--floor-runs 3] [--province]
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


def floor(runs: int, workdir: Path) -> float:
    import papermill as pm

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import pandas")])
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


def batch(period: str, jobs: int | None) -> tuple[float, list]:
    from kehoach.delivery.batch import run_period

    start = time.perf_counter()
    result = run_period(period, jobs=jobs)
    wall = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"batch failed: {[(r.name, r.error) for r in result.failed]}")
    return wall, result.results


def province(root: Path, period: str, wards: int = 92) -> dict[int, float]:
    """Overview reports for a synthetic province: each ward a copy of the sample under its own code."""
    import yaml

    from kehoach.delivery import batch as run_module
    from kehoach.reporting.sections import build_context
    from kehoach.delivery.batch import execute_all, plan_jobs

    plan_file = next((root / "data" / "plan").glob("*.yaml"))
    raw = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    store = root / "data" / "progress"
    source = next(store.glob("*/2026"))
    for i in range(wards):
        code = f"phuong-{i:02d}"
        raw["document"]["ward_code"] = code
        (root / "data" / "plan" / f"{code}-2026.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        target = store / code / "2026"
        shutil.copytree(source, target)
        text = (target / "records.csv").read_text(encoding="utf-8").replace("phan-dinh-phung,", f"{code},")
        (target / "records.csv").write_text(text, encoding="utf-8")
    params = run_module.load_parameters(period)
    out = {}
    for workers in (1, 2):
        start = time.perf_counter()
        jobs = []
        for i in range(wards):  # evaluate and draw each ward's figures once, as a run does
            ctx = build_context(period, ward=f"phuong-{i:02d}", params=params)
            files = {"overview": ctx.prepare(root / f"ovw-{i}.pkl", ["overview"])}
            job = next(j for j in plan_jobs(ctx, params, root / "notebooks", ctx.save(root / f"ctx-{i}.pkl"), files)
                       if j.name == "overview")
            job.name = f"overview-{i:02d}"
            jobs.append(job)
        prepared = time.perf_counter() - start
        results = execute_all(jobs, root / f"province-{workers}", workers, show_progress=False)
        wall = time.perf_counter() - start
        assert all(r.outcome == "ok" for r in results), [r.error for r in results if r.error][:3]
        out[workers] = (len(jobs) / wall * 60, prepared, wall)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--floor-runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="batch parallelism (default: number of cores)")
    parser.add_argument("--province", action="store_true", help="also run the 92-ward overview scale test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-") as tmp:
        tmp = Path(tmp)
        os.environ["KEHOACH_ROOT"] = str(copy_workbench(tmp / "wb"))
        f = floor(args.floor_runs, tmp)
        wall, results = batch(args.period, args.jobs)
        n = len(results)
        print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}")
        print(f"floor (papermill, notebook with `import pandas`, median of {args.floor_runs}): {f:.2f} s")
        print(f"batch {args.period}: {n} notebooks, jobs={args.jobs or os.cpu_count()}, wall {wall:.2f} s")
        print(f"ratio = batch wall / (n x floor) = {wall:.2f} / ({n} x {f:.2f}) = {wall / (n * f):.2f}")
        for r in results:
            print(f"  {r.name:<14} {r.duration_s:6.2f} s  {r.html}: {(r.html_bytes or 0) / 1024:,.0f} KB")
        again, _ = batch(args.period, args.jobs)  # e.g. after a late submission: unchanged charts come from the cache
        print(f"re-run of {args.period} (unchanged charts reused): wall {again:.2f} s, ratio {again / (n * f):.2f}")
        if args.province:
            rates = province(tmp / "wb", args.period)
            for workers, (rate, prepared, wall) in rates.items():
                print(f"province of 92 wards, overview only, --jobs {workers}: {rate:.1f} reports/minute "
                      f"({wall:.0f} s, of which {prepared:.0f} s evaluating and drawing charts in one process)")


if __name__ == "__main__":
    main()
