"""How long local Moran's I and Gi* (geo.spatial.hotspots) take, with 999 permutations.

    .venv/bin/python benchmarks/bench_hotspots.py [path/to/duva-0.3.5-py3-none-any.whl]

Layers: the 22 Huddinge RegSO (../shared/data), all 3 363 RegSO of Sweden (from the duva
wheel ``make setup`` downloads; skipped when absent) and a 60 x 100 grid of 6 000 squares.
Values are seeded noise: one variable, and seven (a score and six domain scores, as a
ranking gives). Prints medians; timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo.io.areas import read_areas
from geo.io.national import read_national_regso
from geo.sources import find_duva_wheel
from geo.spatial.hotspots import find_hotspots
from geo.spatial.weights import build_weights
from indicators.columns import AREA_ID, DOMAINS, SCORE

HUDDINGE = (Path(__file__).resolve().parents[2] / "shared" / "data" / "huddinge"
            / "regso_2025_0126_epsg3006.gpkg")
PERMUTATIONS = 999


def grid(cols: int = 60, rows: int = 100) -> gpd.GeoDataFrame:
    x0, y0, side = 600_000.0, 6_560_000.0, 1000.0
    ids = [f"R{r}C{c}" for r in range(rows) for c in range(cols)]
    geoms = [box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
             for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({AREA_ID: ids, "area_name": ids}, geometry=geoms, crs=3006)


def values(ids: pd.Series, n_vars: int, seed: int = 1) -> pd.DataFrame:
    names = [SCORE, *DOMAINS][:n_vars]
    data = np.random.default_rng(seed).normal(size=(len(ids), n_vars))
    return pd.DataFrame(data, index=ids.astype(str).to_numpy(), columns=names)


def median_s(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    layers: list[tuple[str, gpd.GeoDataFrame, int]] = []
    if HUDDINGE.is_file():
        layers.append(("Huddinge RegSO", read_areas(HUDDINGE).frame, 5))
    else:
        print(f"{HUDDINGE} is absent: Huddinge skipped")
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else find_duva_wheel()
    if wheel is not None and Path(wheel).is_file():
        layers.append(("Sweden RegSO", read_national_regso(wheel).frame, 1))
    else:
        print("duva wheel absent (make setup): Sweden RegSO skipped")
    layers.append(("grid 60 x 100", grid(), 1))

    print(f"geo.spatial.hotspots benchmark, {PERMUTATIONS} permutations, Python "
          f"{platform.python_version()}, {platform.machine()}")
    print(f"{'layer':16} {'areas':>6} {'islands':>7} {'weights s':>10} {'1 var s':>9} "
          f"{'7 vars s':>9}")
    for name, frame, repeat in layers:
        geoms = frame.set_index(frame[AREA_ID].astype(str))[["geometry"]]
        weights_s = median_s(lambda g=geoms: build_weights(g, "queen"), repeat)
        one = values(frame[AREA_ID], 1)
        seven = values(frame[AREA_ID], 7)
        result = find_hotspots(frame, one, permutations=PERMUTATIONS)
        one_s = median_s(lambda f=frame, v=one: find_hotspots(f, v, permutations=PERMUTATIONS),
                         repeat)
        seven_s = median_s(lambda f=frame, v=seven: find_hotspots(
            f, v, permutations=PERMUTATIONS), repeat)
        print(f"{name:16} {len(frame):6d} {len(result.islands):7d} {weights_s:10.2f} "
              f"{one_s:9.2f} {seven_s:9.2f}")


if __name__ == "__main__":
    main()
