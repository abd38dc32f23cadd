"""Loading all 5,984 DeSO of Sweden and aggregating them to RegSO (issue: real data in).

    .venv/bin/python benchmarks/bench_levels.py

Needs ../shared/data beside the repository. Prints medians of repeated runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from indicators.levels import Rate, aggregate_to_level, link_table

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sweden"
REPEAT = 7


def run() -> tuple[int, int]:
    wide = pd.read_csv(SHARED / "scb_deso2018_2022_wide.csv", dtype={"deso_2018": str})
    raw = pd.read_csv(SHARED / "koppling_deso2018_regso2020.csv", dtype=str,
                      encoding="utf-8-sig")
    link = link_table(raw, "DeSO_2018", "RegSOkod_2020", "RegSO_2020")
    counts = [c for c in wide.columns if c.startswith(("pop_", "hh_", "edu_", "lm_",
                                                         "dwellings_", "persons_"))]
    agg = aggregate_to_level(wide, link, counts=counts, id_column="deso_2018",
                             rates=[Rate("low_econ_standard_2022_pct",
                                         "econ_standard_2022_n_persons")])
    return len(wide), len(agg.frame)


def main() -> None:
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} is absent: nothing to measure")
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        n_deso, n_regso = run()
        times.append(time.perf_counter() - start)
    print(f"read {n_deso} DeSO rows + link table, aggregate to {n_regso} RegSO: "
          f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
          f"({REPEAT} runs)")


if __name__ == "__main__":
    main()
