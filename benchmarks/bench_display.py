"""How fast and how good the display geometry of geo.spatial.display is, on national-size layers.

    .venv/bin/python benchmarks/bench_display.py [--forced] [path/to/duva-0.3.5-py3-none-any.whl]

Layers: all 3 363 RegSO of Sweden (1.9 million vertices, from the duva wheel that
``make setup`` downloads; the benchmark stops with a message when it is absent) and a
synthetic DeSO-sized coverage: the Voronoi cells of 6 000 seeded random points in a
100 km x 100 km square of EPSG:3006 (about Stockholm county), every edge densified to
about 190 vertices per cell with a wiggle of up to 4 m, drawn the same way from both sides
(``shapely.segmentize`` does not keep shared edges identical: it interpolates each
polygon's edge from its own end, and the coverage is no longer valid; this is measured
and printed too).

For each layer and vertex budget it prints the median time of
``prepare_display_geometry`` (and of its first run, and its CPU time: the machine may be
busy with other work), the vertices in and out, the
tolerance, the rounding refinements, whether the result is a valid coverage, and how many
pairs of neighbours (sharing more than a metre) no longer share a line. For comparison:
``coverage_simplify`` of the full borders in one pass at the same tolerance (time,
vertices, the share of the area that moved, as for ours), and ``shapely.simplify``
(``preserve_topology=True``) polygon by polygon at the same tolerance (time, vertices,
broken neighbour pairs, valid coverage). Last, the time of ``geometry_key`` and of a
cache hit.

Layers that are no coverage (issue 13, "Safe by default"): 3 000 overlapping circles of
801 vertices (2.4 million, read in EPSG:4326 as an upload would be), the synthetic
coverage with every cell shrunk by 0.4 m (narrow gaps, no edge shared), and 24
overlapping polygons of 250 000 vertices (6 million, the upload limits' maximum), each at
the budget of a 3 MB map: the time now (polygon by polygon, see geo.spatial.display) and with the
coverage path forced (``LOOSE_SHARE`` out of reach; ``--forced``, about a minute; only up
to :data:`FORCED_UP_TO` vertices, the 6 million take minutes), beside
the time of :func:`geo.spatial.display._loose_share` on Sweden's RegSO (what a valid coverage
pays for the check). Before the change (HEAD ff0b452, same machine, CPU seconds): circles
31.8 s (53 s on a busier run), shrunk cells 29.8 s, 24 x 250 000 vertices 265 s.
Timings are measured here, never asserted in tests.
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
from shapely.geometry import box

from geo.io.national import read_national_regso
from geo.sources import find_duva_wheel
from geo.spatial import display

REPEAT = 3
BUDGETS = (60_000, 80_000, 120_000)
SYNTHETIC_BUDGETS = (60_000, 120_000)
X0, Y0, SIDE = 640_000.0, 6_540_000.0, 100_000.0
FORCED_UP_TO = 3_000_000


def median_s(func: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float, float]:
    """(first run, median of ``repeat`` runs, median CPU time of this process) in seconds.
    The CPU time is what the run costs when the machine is busy with other work."""
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return times[0], statistics.median(times), statistics.median(cpu)


def voronoi_cells(n: int = 6000, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = shapely.multipoints(rng.uniform([X0, Y0], [X0 + SIDE, Y0 + SIDE], size=(n, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(
        points, extend_to=box(X0, Y0, X0 + SIDE, Y0 + SIDE)))
    return shapely.clip_by_rect(cells, X0, Y0, X0 + SIDE, Y0 + SIDE)


def densify(cells: np.ndarray, spacing: float, wiggle: float) -> np.ndarray:
    """Each edge cut into pieces of at most ``spacing`` metres, the new vertices moved
    sideways by up to ``wiggle`` metres; computed from the edge's lexicographically
    smaller end, so both cells that share an edge get the very same vertices."""
    coords, ring = shapely.get_coordinates(shapely.get_exterior_ring(cells), return_index=True)
    same = ring[:-1] == ring[1:]
    a, b, owner = coords[:-1][same], coords[1:][same], ring[:-1][same]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    p = np.where(swap[:, None], b, a)
    q = np.where(swap[:, None], a, b)
    length = np.hypot(*(q - p).T)
    pieces = np.maximum(1, np.ceil(length / spacing)).astype(np.int64)
    segment = np.repeat(np.arange(len(a)), pieces)  # one entry: the start, then inner ones
    k = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    n = pieces[segment]
    u = np.where(swap[segment], n - k, k) / n  # position from p: the same on both sides
    direction = (q - p)[segment]
    normal = np.column_stack([-direction[:, 1], direction[:, 0]]) / np.maximum(
        length[segment], 1e-9)[:, None]
    phase = (p[segment, 0] * 0.001 + p[segment, 1] * 0.0007) % (2 * np.pi)
    step = np.where(swap[segment], n - k, k)  # the inner vertex's number from p
    calm = np.clip(np.minimum(step, n - step) - 1, 0, 1)  # none next to a corner
    height = calm * wiggle * np.sin(np.pi * u * np.maximum(1, n // 4)) * (
        1 + 0.5 * np.sin(13.7 * u + phase))
    points = p[segment] + direction * u[:, None] + normal * height[:, None]
    points[k == 0] = a  # the original vertices exactly
    rows = owner[segment]
    first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    closed_rows = np.insert(rows, np.r_[first[1:], len(rows)], rows[first])
    closed = np.insert(points, np.r_[first[1:], len(rows)], points[first], axis=0)
    return shapely.polygons(shapely.linearrings(closed, indices=closed_rows))


def synthetic() -> gpd.GeoDataFrame:
    cells = voronoi_cells()
    perimeter = shapely.length(cells).mean()
    spacing = perimeter / 185
    segmentized = shapely.segmentize(cells, spacing)
    print(f"synthetic: {len(cells)} Voronoi cells, {shapely.get_num_coordinates(cells).mean():.1f} "
          f"vertices each; segmentize to {spacing:.1f} m: "
          f"{shapely.get_num_coordinates(segmentized).mean():.0f} each, coverage valid "
          f"{shapely.coverage_is_valid(segmentized)} ("
          f"{int((~shapely.is_empty(shapely.coverage_invalid_edges(segmentized))).sum())} "
          "cells with unmatched edges)")
    dense = densify(cells, spacing, wiggle=4.0)
    print(f"synthetic: densified from the smaller end with a 4 m wiggle: "
          f"{shapely.get_num_coordinates(dense).mean():.0f} vertices each, coverage valid "
          f"{shapely.coverage_is_valid(dense)}, polygons valid {shapely.is_valid(dense).all()}")
    return gpd.GeoDataFrame({"area_id": [f"S{i:04d}" for i in range(len(dense))]},
                            geometry=dense, crs=3006)


def neighbour_pairs(geoms: np.ndarray) -> np.ndarray:
    """Pairs (i < j) sharing more than a metre of border."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(geoms[left], geoms[right])) > 1.0
    return np.column_stack([left[shared], right[shared]])


def broken_pairs(geoms: np.ndarray, pairs: np.ndarray) -> int:
    """Neighbour pairs whose borders no longer share a line."""
    return int((shapely.length(shapely.intersection(
        geoms[pairs[:, 0]], geoms[pairs[:, 1]])) <= 0).sum())


def moved_share(original: np.ndarray, simplified: np.ndarray) -> float:
    """The area between the original and the simplified borders, as a share of the area."""
    return float(shapely.area(shapely.symmetric_difference(
        original, shapely.make_valid(simplified))).sum() / shapely.area(original).sum())


def run(name: str, frame: gpd.GeoDataFrame, budgets: tuple[int, ...]) -> None:
    geoms = frame.geometry.to_numpy()
    pairs = neighbour_pairs(geoms)
    print(f"\n{name}: {len(frame)} areas, {display._count(geoms)} vertices, {len(pairs)} "
          "neighbour pairs")
    print(f"{'budget':>7} {'first s':>7} {'median s':>8} {'cpu s':>5} {'out':>7} {'tol m':>6} "
          f"{'refined':>7} {'valid':>5} {'broken':>6} {'moved':>7} | "
          f"{'1-pass s':>8} {'out':>7} {'moved':>7} | {'alone s':>7} {'out':>7} "
          f"{'broken':>6} {'valid':>5}")
    for budget in budgets:
        results = []
        first, median, cpu = median_s(lambda b=budget, r=results: r.append(
            display.prepare_display_geometry(frame, vertex_budget=b)))
        result = results[-1]
        shown = result.geometry.to_numpy()
        ours_metric = result.geometry.to_crs(frame.crs).to_numpy()
        tolerance = result.tolerance_m
        start = time.perf_counter()
        one_pass = shapely.coverage_simplify(geoms, tolerance)
        one_pass_s = time.perf_counter() - start
        start = time.perf_counter()
        alone = shapely.simplify(geoms, tolerance, preserve_topology=True)
        alone_s = time.perf_counter() - start
        print(f"{budget:7d} {first:7.2f} {median:8.2f} {cpu:5.2f} {result.vertices_out:7d} "
              f"{tolerance:6.0f} {result.refined_vertices:7d} {result.coverage_valid!s:>5} "
              f"{broken_pairs(shown, pairs):6d} {moved_share(geoms, ours_metric):7.4f} | "
              f"{one_pass_s:8.2f} {display._count(one_pass):7d} "
              f"{moved_share(geoms, one_pass):7.4f} | {alone_s:7.2f} "
              f"{display._count(alone):7d} {broken_pairs(alone, pairs):6d} "
              f"{display._fits(alone)!s:>5}")
    _, key_s, _ = median_s(lambda: display.geometry_key(frame), 5)
    display.clear_display_cache()
    display.display_geometry(frame, vertex_budget=budgets[0])
    _, hit_s, _ = median_s(
        lambda: display.display_geometry(frame, vertex_budget=budgets[0]), 5)
    print(f"geometry_key {key_s:.3f} s; cache hit (key included) {hit_s:.3f} s")


def circles(n: int = 3000, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    centres = rng.uniform([660_000, 6_560_000], [680_000, 6_580_000], size=(n, 2))
    shapes = shapely.buffer(shapely.points(centres), 400, quad_segs=200)
    return gpd.GeoDataFrame({"area_id": [f"C{i}" for i in range(n)]}, geometry=shapes,
                            crs=3006).to_crs(4326)


def huge_overlapping(n: int = 24, vertices: int = 250_000) -> gpd.GeoDataFrame:
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    shapes = []
    for i in range(n):
        radius = 5000 + 300 * np.sin(37 * angle + i) + 50 * np.sin(801 * angle)
        shapes.append(shapely.Polygon(np.column_stack(
            [670_000 + i * 300 + radius * np.cos(angle), 6_570_000 + radius * np.sin(angle)])))
    return gpd.GeoDataFrame({"area_id": [f"H{i}" for i in range(n)]}, geometry=shapes,
                            crs=3006)


def run_loose(layers: dict[str, gpd.GeoDataFrame], forced: bool) -> None:
    print(f"\nno coverage, budget of a 3 MB map: {'layer':>24} {'vertices':>9} {'budget':>7} "
          f"{'share':>5} {'s':>5} {'cpu s':>5} {'out':>7} {'tol m':>6} {'valid':>5} "
          f"{'forced s':>8} {'out':>7}")
    for name, frame in layers.items():
        budget = display.vertex_budget_for(len(frame), max_bytes=3e6)
        metric = frame.geometry.to_crs(3006).to_numpy()
        share = display._loose_share(metric)
        results = []
        _, median, cpu = median_s(lambda f=frame, b=budget, r=results: r.append(
            display.prepare_display_geometry(f, vertex_budget=b)))
        result = results[-1]
        shapes = result.geometry.to_numpy()
        valid = bool(shapely.is_valid(shapes).all() and not shapely.is_empty(shapes).any())
        forced_s, forced_out = float("nan"), 0
        if forced and result.vertices_in <= FORCED_UP_TO:
            saved = display.LOOSE_SHARE
            display.LOOSE_SHARE = 2.0
            try:
                start = time.perf_counter()
                forced_out = display.prepare_display_geometry(
                    frame, vertex_budget=budget).vertices_out
                forced_s = time.perf_counter() - start
            finally:
                display.LOOSE_SHARE = saved
        print(f"{name:>59} {result.vertices_in:9d} {budget:7d} {share:5.2f} {median:5.2f} "
              f"{cpu:5.2f} {result.vertices_out:7d} {result.tolerance_m:6.1f} {valid!s:>5} "
              f"{forced_s:8.1f} {forced_out:7d}")


def main() -> None:
    forced = "--forced" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--forced"]
    wheel = Path(args[0]) if args else find_duva_wheel()
    if wheel is None or not Path(wheel).is_file():
        sys.exit("The duva wheel with RegSO 2025 for Sweden is absent: run `make setup`, or "
                 "give its path (or set PREVMAP_DUVA_WHEEL).")
    print(f"geo.spatial.display benchmark, Python {platform.python_version()}, "
          f"{platform.machine()}, "
          f"shapely {shapely.__version__}, GEOS {shapely.geos_version_string}; medians of "
          f"{REPEAT}")
    sweden = read_national_regso(wheel).frame
    run("Sweden RegSO 2025", sweden, BUDGETS)
    cells = synthetic()
    run("synthetic 6 000 Voronoi cells", cells, SYNTHETIC_BUDGETS)
    metric = sweden.geometry.to_crs(3006).to_numpy()
    _, share_s, _ = median_s(lambda: display._loose_share(metric), 5)
    print(f"\n_loose_share on Sweden's RegSO: {display._loose_share(metric):.2f} in "
          f"{share_s:.2f} s (a valid coverage keeps the coverage path)")
    shrunk = cells.set_geometry(shapely.buffer(cells.geometry.to_numpy(), -0.4,
                                               join_style="mitre"))
    run_loose({"3 000 overlapping circles": circles(), "cells shrunk by 0.4 m": shrunk,
               "24 x 250 000 overlapping": huge_overlapping()}, forced)


if __name__ == "__main__":
    main()
