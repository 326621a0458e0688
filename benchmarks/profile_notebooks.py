"""Profile: where each report notebook's time goes, stage by stage.

For every report notebook of one quarter (the overview, the indicator detail and each unit's
letter), run one at a time in a temporary copy of the workbench, it records:

- **kernel**: starting the kernel until it answers (nbclient's ``setup_kernel``);
- **imports**: a first cell ``import kehoach.reporting.sections`` (everything a report cell needs);
- **load**: the parameter cells and the notebook's ``context.load`` cell (reading the run's inputs);
- **evaluate** and **charts**: the section cells, split by a second, profiled run of the same
  notebook in a fresh kernel (cProfile inside the kernel): *charts* is the share of the section
  time spent in :mod:`kehoach.analysis.charts` (building Vega-Lite specs and drawing them with
  vl-convert), applied to the section time of the first, unprofiled run; *evaluate* is the rest
  (narratives, tables, the evaluation helpers);
- **export**: the HTML export with nbconvert, and **word**: the Word draft (the overview and the letters);
- the sizes of the executed notebook and of its HTML.

The chart-drawing cache is emptied before every run, so each notebook draws its charts itself,
as in a cold batch. The stages are what the quarterly run does for each notebook, run one after
the other rather than in parallel.

Each notebook is profiled twice, side by side in one run: in a kernel started from scratch
(jupyter_client's own launch) and in a kernel forked from the warm process, as ``kehoach run``
starts them (:mod:`kehoach.delivery.kernelpool`). The warm process is started, and has done its
imports, before the first notebook.

    .venv/bin/python benchmarks/profile_notebooks.py [--period 2026-Q3] [--smoke]

``--smoke``: only the first unit letter, to check the script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kehoach.delivery import kernelpool

ROOT = Path(__file__).resolve().parents[1]
PROBE_IMPORTS = "import kehoach.reporting.sections, kehoach.reporting.context"
PROFILE_ON = "import cProfile as _kh_cprofile\n_kh_prof = _kh_cprofile.Profile()\n_kh_prof.enable()"
PROFILE_OFF = """_kh_prof.disable()
import json as _kh_json, os as _kh_os, pstats as _kh_pstats
_kh_stats = _kh_pstats.Stats(_kh_prof).stats
_kh_charts = _kh_os.path.join("kehoach", "analysis", "charts.py")
def _kh_in_charts(f):
    return f[0].endswith(_kh_charts)
_kh_total = sum(v[2] for v in _kh_stats.values())
_kh_in = sum(edge[3] for f, v in _kh_stats.items() if _kh_in_charts(f)
             for caller, edge in v[4].items() if not _kh_in_charts(caller))
print(_kh_json.dumps({"charts": _kh_in, "total": _kh_total}))"""
STAGES = ("kernel", "imports", "load", "evaluate", "charts", "export", "word")


@dataclass
class Notebook:
    name: str
    notebook: str
    title: str
    parameters: dict
    docx: bool


@dataclass
class Profile:
    name: str
    times: dict[str, float] = field(default_factory=dict)
    ipynb_kb: float = 0.0
    html_kb: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.times.values())


def copy_workbench(target: Path) -> Path:
    for sub in ("data", "parameters", "notebooks"):
        shutil.copytree(ROOT / sub, target / sub)
    (target / "reports").mkdir()
    return target


def prepare(period: str, folder: Path) -> list[Notebook]:
    """The period's inputs written into ``folder/inputs`` (as the run does), and the notebooks to run."""
    from kehoach.reporting import context

    ctx = context.compute(period)
    context.write(ctx, folder / context.INPUTS_DIR)
    base = {"period": str(ctx.period), "ward": ctx.plan.ward, "year": ctx.plan.year, "inputs": context.INPUTS_DIR,
            "report_folder": str(folder)}
    label = ctx.period.label()
    books = [Notebook("overview", "overview.ipynb", f"Báo cáo tổng hợp {label}", base, True),
             Notebook("indicators", "indicators.ipynb", f"Chi tiết từng chỉ tiêu {label}", base, False)]
    books += [Notebook(f"unit-{u.code}", "unit.ipynb", f"Báo cáo {u.name} {label}", {**base, "unit": u.code}, True)
              for u in ctx.plan.reporting_units]
    return books


def _stage_of(cell: nbformat.NotebookNode) -> str:
    text = cell.source
    if "sections." in text and "context.load" not in text:
        return "sections"
    return "load"


KERNELS = {"from scratch": "jupyter_client.AsyncKernelManager",
           "forked from the warm process": "kehoach.delivery.kernelpool.PooledKernelManager"}


def run_notebook(book: Notebook, root: Path, folder: Path, profiled: bool,
                 kernels: str) -> tuple[dict[str, float], nbformat.NotebookNode]:
    """Execute one notebook cell by cell in a new kernel (of ``kernels``, a :data:`KERNELS` key); seconds per stage."""
    from nbclient import NotebookClient
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook
    from traitlets.config import Config

    shutil.rmtree(root / "reports" / ".cache", ignore_errors=True)  # every run draws its own charts
    nb = load_notebook_node(str(root / "notebooks" / book.notebook))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = parameterize_notebook(nb, book.parameters)
    code = [c for c in nb.cells if c.cell_type == "code"]
    stages = [_stage_of(c) for c in code]
    first, last = stages.index("sections"), len(stages) - 1 - stages[::-1].index("sections")
    cells = [("imports", nbformat.v4.new_code_cell(PROBE_IMPORTS))]
    for i, cell in enumerate(code):
        if profiled and i == first:
            cells.append(("profile", nbformat.v4.new_code_cell(PROFILE_ON)))
        cells.append((stages[i], cell))
        if profiled and i == last:
            cells.append(("profile", nbformat.v4.new_code_cell(PROFILE_OFF)))
    nb.cells = [c for _, c in cells]
    kernel = Config({"KernelManager": {"transport": "ipc", "ip": str(folder / f"k-{book.name}")}})
    client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(folder)}}, config=kernel,
                            timeout=600, kernel_manager_class=KERNELS[kernels])
    times = dict.fromkeys(("kernel", "imports", "load", "sections"), 0.0)
    start = time.perf_counter()
    with client.setup_kernel():
        times["kernel"] = time.perf_counter() - start
        for index, (stage, cell) in enumerate(cells):
            start = time.perf_counter()
            client.execute_cell(cell, index)
            if stage != "profile":
                times[stage] += time.perf_counter() - start
            elif cell.source.startswith("_kh_prof.disable"):
                times.update({f"profile_{k}": v for k, v in json.loads(cell.outputs[-1]["text"]).items()})
    return times, nb


def profile(book: Notebook, root: Path, folder: Path, kernels: str) -> Profile:
    from kehoach.reporting.export import render_html
    from kehoach.reporting.word import notebook_to_docx

    times, nb = run_notebook(book, root, folder, False, kernels)
    shares, _ = run_notebook(book, root, folder, True, kernels)
    share = shares["profile_charts"] / shares["profile_total"] if shares["profile_total"] else 0.0
    out = Profile(book.name, {k: times[k] for k in ("kernel", "imports", "load")})
    out.times["charts"] = times["sections"] * share
    out.times["evaluate"] = times["sections"] - out.times["charts"]
    nb.cells = [c for c in nb.cells if c.source != PROBE_IMPORTS]  # the report as the run stores it
    start = time.perf_counter()
    html = render_html(nb, book.title)
    out.times["export"] = time.perf_counter() - start
    start = time.perf_counter()
    if book.docx:
        notebook_to_docx(nb, book.title)
    out.times["word"] = time.perf_counter() - start if book.docx else 0.0
    out.ipynb_kb = len(nbformat.writes(nb).encode()) / 1024
    out.html_kb = len(html.encode()) / 1024
    return out


def table(rows: list[Profile]) -> str:
    head = "| notebook | " + " | ".join(STAGES) + " | total | executed .ipynb | HTML |"
    lines = [head, "|" + "---|" * (len(STAGES) + 4)]
    for r in rows:
        cells = " | ".join(f"{r.times[s]:.2f}" for s in STAGES)
        lines.append(f"| {r.name} | {cells} | {r.total:.2f} | {r.ipynb_kb:,.0f} KB | {r.html_kb:,.0f} KB |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--smoke", action="store_true", help="only the first unit letter: checks that the script works")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kehoach-profile-") as tmp:
        root = copy_workbench(Path(tmp) / "wb")
        os.environ["KEHOACH_ROOT"] = str(root)
        folder = root / "reports" / args.period
        folder.mkdir()
        books = prepare(args.period, folder)
        if args.smoke:
            books = [b for b in books if b.name.startswith("unit-")][:1]
        kernelpool.shared()  # started now; the first notebook waits until it has imported
        tables = {kernels: [profile(b, root, folder, kernels) for b in books] for kernels in KERNELS}
        kernelpool.close_all()
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    for kernels, rows in tables.items():
        print(f"\nseconds per stage, {args.period}, one notebook at a time, chart cache emptied before each run, "
              f"kernels {kernels}")
        print(table(rows))
        print(f"total: {sum(r.total for r in rows):.2f} s")


if __name__ == "__main__":
    main()
