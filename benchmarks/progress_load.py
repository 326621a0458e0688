"""Benchmark: load the progress store at national scale.

Builds a synthetic store of 3,321 communes x 36 indicators x 8 quarters (about 1 million
records, one records.csv per commune, written through ProgressStore.append) in a temporary
folder, then times ``load_progress()`` over all of it. Run:

    .venv/bin/python benchmarks/progress_load.py [--communes 3321] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kehoach.core.period import VN_TZ
from kehoach.data.store import ProgressStore, load_progress

PERIODS = [f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)]


def build(root: Path, communes: int, indicators: int = 36) -> int:
    store = ProgressStore(root)
    rng = np.random.default_rng(2026)
    original = root / "synthetic.csv"
    root.mkdir(parents=True, exist_ok=True)
    original.write_text("synthetic\n", encoding="utf-8")
    stamp = dt.datetime(2026, 10, 2, 8, tzinfo=VN_TZ)
    n = indicators * len(PERIODS)
    for c in range(communes):
        ward = f"xa-{c:04d}"
        frame = pd.DataFrame({
            "ward": ward, "year": 2026, "record": "indicator",
            "indicator": np.repeat(np.arange(1, indicators + 1), len(PERIODS)),
            "task": None, "period": np.tile(PERIODS, indicators), "revision": 1,
            "value": rng.uniform(0, 100, n).round(2), "is_estimate": rng.random(n) < 0.2, "status": None,
            "unit_code": "KTHT", "submitted_at": stamp, "imported_at": stamp,
            "source_file": "synthetic.csv", "source_sha256": f"{c:064d}", "note": None,
        })
        store.append(ward, 2026, frame, original, f"{c:064d}")
    return communes * n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=3321)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "progress"
        start = time.perf_counter()
        records = build(root, args.communes)
        print(f"built {records:,} records for {args.communes:,} communes in {time.perf_counter() - start:.1f} s")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            frame = load_progress(root=root)
            times.append(time.perf_counter() - start)
        assert len(frame) == records, (len(frame), records)
        print(f"load_progress: {len(frame):,} rows, best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
              f"over {args.repeat} runs")


if __name__ == "__main__":
    main()
