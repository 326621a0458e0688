"""Benchmark: evaluate about 1 million records (3,321 communes x 36 indicators x 8 quarters).

Builds, in memory, the indicators of 3,321 communes (the 36 of the 2026 plan, each commune a
copy) and 8 quarters of progress (2025-Q1..2026-Q4), then times one ``evaluate`` call for
the four quarters of 2026 over all communes. Run:

    .venv/bin/python benchmarks/evaluate_scale.py [--communes 3321] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from kehoach.analysis.evaluation import evaluate, overall
from kehoach.data.plan import load_plan

PERIODS = [f"{y}-Q{q}" for y in (2025, 2026) for q in range(1, 5)]


def synthetic(communes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    base = load_plan().indicators
    wards = [f"xa-{c:04d}" for c in range(communes)]
    indicators = base.loc[base.index.repeat(communes)].reset_index(drop=True)
    indicators["ward"] = np.tile(wards, len(base))
    rng = np.random.default_rng(2026)
    n = len(indicators) * len(PERIODS)
    progress = pd.DataFrame({
        "ward": np.repeat(indicators["ward"].to_numpy(), len(PERIODS)),
        "year": 2026,
        "indicator": np.repeat(indicators["number"].to_numpy(), len(PERIODS)),
        "period": np.tile(PERIODS, len(indicators)),
        "value": rng.uniform(0, 100, n).round(2),
        "is_estimate": rng.random(n) < 0.2,
        "revision": 1,
        "submitted_at": pd.Timestamp("2026-10-02T01:00:00Z"),
        "note": None,
    })
    return indicators, progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=3321)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, to check the script works (the tests run it)")
    args = parser.parse_args()
    if args.smoke:
        args.communes, args.repeat = 5, 1
    indicators, progress = synthetic(args.communes)
    print(f"{len(progress):,} progress records, {len(indicators):,} commune-indicators")
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = evaluate(indicators, progress, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        times.append(time.perf_counter() - start)
    print(f"evaluate: {len(result):,} rows out, best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
          f"over {args.repeat} runs")
    print(overall(result).to_string(index=False))


if __name__ == "__main__":
    main()
