"""Area- versus population-weighted interpolation of Huddinge's 22 RegSO.

    .venv/bin/python benchmarks/bench_interpolate.py

Moves two counts and one rate from the 22 RegSO onto a 500 m grid and onto a
6,000-cell synthetic coverage (Voronoi cells of seeded random points, clipped to
Huddinge), by area and by a synthetic, seeded population grid (only populated
squares, as in SCB's grids). Needs ../shared/data beside the repository. Prints a
table of medians over repeated runs; timings are measured here, never asserted in tests.
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
import shapely

from geo.spatial.interpolate import interpolate_counts
from indicators.levels import Rate

REGSO = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "huddinge"
         / "regso_2025_0126_epsg3006.gpkg")
REPEAT = 5
SEED = 2024
CELLS = 6000


def grid(bounds: np.ndarray, size: float, crs: object) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = bounds
    xs = np.arange(np.floor(x0 / size) * size, x1, size)
    ys = np.arange(np.floor(y0 / size) * size, y1, size)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    n = len(x)
    return gpd.GeoDataFrame({"area_id": [f"R{i}" for i in range(n)],
                             "area_name": [f"Ruta {i}" for i in range(n)]},
                            geometry=shapely.box(x, y, x + size, y + size), crs=crs)


def voronoi(outline: shapely.Geometry, n: int, rng: np.random.Generator,
            crs: object) -> gpd.GeoDataFrame:
    """``n`` cells that cover ``outline`` without gaps (seeded points inside it)."""
    x0, y0, x1, y1 = outline.bounds
    points: list[np.ndarray] = []
    while sum(len(p) for p in points) < n:
        xy = rng.uniform((x0, y0), (x1, y1), (n, 2))
        points.append(xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])])
    xy = np.concatenate(points)[:n]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=outline))
    cells = shapely.intersection(cells, outline)
    cells = cells[~shapely.is_empty(cells)]
    return gpd.GeoDataFrame({"area_id": [f"V{i}" for i in range(len(cells))],
                             "area_name": [f"Cell {i}" for i in range(len(cells))]},
                            geometry=cells, crs=crs)


def population_grid(bounds: np.ndarray, size: float, rng: np.random.Generator,
                    crs: object) -> gpd.GeoDataFrame:
    """Populated squares only: about 40 % of squares, skewed counts (lognormal)."""
    squares = grid(bounds, size, crs)
    people = np.round(rng.lognormal(3.5, 1.2, len(squares)) * (size / 250) ** 2)
    squares["folk"] = np.where(rng.random(len(squares)) < 0.4, people, 0)
    return squares[squares["folk"] > 0].reset_index(drop=True)


def measure(func: Callable[[], object]) -> tuple[dict[str, float], object]:
    times, result = [], None
    for _ in range(REPEAT):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return {"median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000}, result


def main() -> None:
    if not REGSO.exists():
        sys.exit(f"{REGSO} is absent: nothing to measure")
    rng = np.random.default_rng(SEED)
    regso = gpd.read_file(REGSO)
    regso["barn"] = rng.integers(300, 3000, len(regso)).astype(float)
    regso["bef"] = regso["barn"] * rng.uniform(3, 6, len(regso))
    regso["lag_pct"] = rng.uniform(3, 35, len(regso))
    outline = regso.geometry.union_all()
    bounds = regso.total_bounds
    targets = {"500 m grid": grid(bounds, 500, regso.crs),
               f"{CELLS:,}-cell coverage": voronoi(outline, CELLS, rng, regso.crs)}
    layers = {"250 m": population_grid(bounds, 250, rng, regso.crs),
              "1 km": population_grid(bounds, 1000, rng, regso.crs)}
    total = regso["barn"].sum()

    rows = []
    for name, target in targets.items():
        runs = [("area", None)] + [("population", layer) for layer in layers]
        for weights, layer in runs:
            def run(target=target, weights=weights, layer=layer):
                return interpolate_counts(
                    regso, target, counts=["barn", "bef"], rates=[Rate("lag_pct", "barn")],
                    weights=weights, population=layers[layer] if layer else None,
                    population_column="folk", population_name=f"rutor {layer}")
            timing, result = measure(run)
            kept = result.frame["barn"].sum() / total
            label = "area" if layer is None else f"population ({layer} squares)"
            rows.append((name, len(target), label, timing, kept, len(result.fallback)))

    print(f"interpolation benchmark: {len(regso)} Huddinge RegSO, seed {SEED}, "
          f"{REPEAT} runs, Python {platform.python_version()}, {platform.machine()}")
    print("ancillary grids: " + ", ".join(f"{k} {len(v):,} populated squares"
                                            for k, v in layers.items()))
    print(f"{'targets':20} {'cells':>6} {'weights':30} {'median ms':>10} {'max ms':>8} "
          f"{'kept':>8} {'fallback':>8}")
    for name, cells, label, timing, kept, fallback in rows:
        print(f"{name:20} {cells:6,} {label:30} {timing['median_ms']:10.1f} "
              f"{timing['max_ms']:8.1f} {kept:8.4%} {fallback:8}")


if __name__ == "__main__":
    main()
