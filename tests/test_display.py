"""geo.spatial.display: display geometry for web maps (simplified, shared edges kept, cached).

The fixture is a 3 x 3 grid of 1 km cells in EPSG:3006 (A1 bottom left, A9 top right)
whose edges wiggle: every edge is a sine of 5 half-waves, 7-23 m high, drawn with 40
uneven segments (so that no two triangles have the same area), the same vertices on both
sides. A9 has an island 500 m east of the grid. A row
with an empty polygon and a row without geometry sit between the cells. Vertices: 9 cells
of 4 x 40 + 1 = 161, and the island's 61: 1 510.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.spatial import display
from geo.spatial.display import (
    DisplayGeometry,
    display_geometry,
    geometry_key,
    prepare_display_geometry,
    vertex_budget_for,
)

X0, Y0, SIDE = 670_000.0, 6_570_000.0, 1000.0
SEGMENTS, WAVE = 40, 15.0
N_GRID_VERTICES = 9 * (4 * SEGMENTS + 1)
N_ISLAND_VERTICES = 61
ORDER = ["A1", "A2", "A3", "tom", "A4", "A5", "saknas", "A6", "A7", "A8", "A9"]


def _edge(a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
    """The wiggly edge from grid node ``a`` to ``b`` (node = column, row), drawn from the
    smaller node so that both cells get the very same coordinates."""
    p, q = (a, b) if a < b else (b, a)
    start = np.array([X0 + p[0] * SIDE, Y0 + p[1] * SIDE])
    end = np.array([X0 + q[0] * SIDE, Y0 + q[1] * SIDE])
    j = np.arange(SEGMENTS + 1)
    k = (j + 0.3 * np.sin(2.3 * j)) / SEGMENTS  # unevenly spaced, and uneven heights:
    height = WAVE * np.sin(5 * np.pi * k) * (1 + 0.5 * np.sin(13.7 * k + sum(p) + 3 * q[0]))
    normal = np.array([-(end - start)[1], (end - start)[0]]) / SIDE
    points = start + np.outer(k, end - start) + np.outer(height, normal)
    points[0], points[-1] = start, end  # the nodes exactly
    return points if a < b else points[::-1]


def _cell(col: int, row: int) -> Polygon:
    corners = [(col, row), (col + 1, row), (col + 1, row + 1), (col, row + 1), (col, row)]
    ring = np.concatenate([_edge(a, b)[:-1] for a, b in zip(corners, corners[1:],
                                                             strict=False)])
    return Polygon(ring)


def _island() -> Polygon:
    angle = np.linspace(0, 2 * np.pi, N_ISLAND_VERTICES - 1, endpoint=False)
    radius = 150 + 10 * np.sin(7 * angle)
    centre = (X0 + 3 * SIDE + 500, Y0 + 2.5 * SIDE)
    return Polygon(np.column_stack([centre[0] + radius * np.cos(angle),
                                    centre[1] + radius * np.sin(angle)]))


def grid_frame(crs: object = 3006) -> gpd.GeoDataFrame:
    cells = {f"A{1 + col + 3 * row}": _cell(col, row) for row in range(3) for col in range(3)}
    cells["A9"] = MultiPolygon([cells["A9"], _island()])
    cells["tom"] = Polygon()
    cells["saknas"] = None
    return gpd.GeoDataFrame({"namn": ORDER}, geometry=[cells[i] for i in ORDER],
                            index=ORDER, crs=crs)


def adjacent_pairs(geometry: np.ndarray, longer_than: float = 0.0) -> set[tuple[int, int]]:
    """Pairs of rows whose shared border is a line longer than ``longer_than``."""
    present = np.flatnonzero(~(shapely.is_missing(geometry) | shapely.is_empty(geometry)))
    pairs = set()
    for i in present:
        for j in present[present > i]:
            if shapely.intersection(geometry[i], geometry[j]).length > longer_than:
                pairs.add((int(i), int(j)))
    return pairs


def grid_pairs() -> set[tuple[int, int]]:
    """The 12 neighbour pairs of the 3 x 3 grid, as row numbers in ORDER."""
    at = {name: i for i, name in enumerate(ORDER)}
    pairs = set()
    for row in range(3):
        for col in range(3):
            here = f"A{1 + col + 3 * row}"
            if col < 2:
                pairs.add((at[here], at[f"A{2 + col + 3 * row}"]))
            if row < 2:
                pairs.add((at[here], at[f"A{4 + col + 3 * row}"]))
    return {tuple(sorted(p)) for p in pairs}


def rounded(geometry: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometry, lambda c: np.round(c, decimals))


def _present(series: gpd.GeoSeries) -> np.ndarray:
    values = series.to_numpy()
    return values[~(shapely.is_missing(values) | shapely.is_empty(values))]


@pytest.fixture(autouse=True)
def _fresh_cache():
    display.clear_display_cache()
    yield
    display.clear_display_cache()


@pytest.fixture(params=["full", "pre-reduced"])
def path(request, monkeypatch) -> str:
    """Both ways of simplifying: coverage_simplify on the full borders, and the arcs'
    pre-reduction used for large layers (forced here by lowering the threshold)."""
    if request.param == "pre-reduced":
        monkeypatch.setattr(display, "PREREDUCE_ABOVE", 0)
        monkeypatch.setattr(display, "SAMPLE_VERTICES", 300)
    return request.param


# ----------------------------------------------------------------------------------------
# the fixture itself


def test_fixture_is_a_valid_coverage_with_the_vertices_counted():
    frame = grid_frame()
    shapes = _present(frame.geometry)
    assert shapely.coverage_is_valid(shapes)
    assert shapely.is_valid(shapes).all()
    assert shapely.get_num_coordinates(frame.geometry.to_numpy()).sum() == \
        N_GRID_VERTICES + N_ISLAND_VERTICES
    assert adjacent_pairs(frame.geometry.to_numpy()) == grid_pairs()


# ----------------------------------------------------------------------------------------
# simplification


@pytest.mark.parametrize("budget", [300, 600, 1000])
def test_budget_kept_and_shared_edges_unbroken(path, budget):
    frame = grid_frame()
    result = prepare_display_geometry(frame, vertex_budget=budget)
    assert display.BUDGET_FLOOR * budget <= result.vertices_out <= budget
    assert result.vertices_out == shapely.get_num_coordinates(
        result.geometry.to_numpy()).sum()
    assert result.vertices_in == N_GRID_VERTICES + N_ISLAND_VERTICES
    assert result.tolerance_m > 0
    assert result.coverage_valid
    shapes = _present(result.geometry)
    assert shapely.coverage_is_valid(shapes)
    assert shapely.is_valid(shapes).all()
    assert adjacent_pairs(result.geometry.to_numpy()) == grid_pairs()


def test_index_order_and_missing_rows_kept(path):
    frame = grid_frame().iloc[::-1]
    result = prepare_display_geometry(frame, vertex_budget=600)
    assert result.geometry.index.equals(frame.index)
    assert result.geometry.crs.to_epsg() == 4326
    values = result.geometry.to_numpy()
    assert values[list(frame.index).index("saknas")] is None
    assert values[list(frame.index).index("tom")].is_empty
    assert (shapely.get_type_id(values) == shapely.get_type_id(frame.geometry.to_numpy())).all()


def test_island_survives_as_a_multipolygon(path):
    result = prepare_display_geometry(grid_frame(), vertex_budget=300)
    a9 = result.geometry["A9"]
    assert a9.geom_type == "MultiPolygon"
    assert len(a9.geoms) == 2
    assert result.geometry["A1"].geom_type == "Polygon"


def test_geographic_frame_is_simplified_in_metres():
    frame = grid_frame().to_crs(4326)
    result = prepare_display_geometry(frame, vertex_budget=600)
    assert display.BUDGET_FLOOR * 600 <= result.vertices_out <= 600
    assert result.coverage_valid
    assert adjacent_pairs(result.geometry.to_numpy()) == grid_pairs()
    metric = prepare_display_geometry(grid_frame(), vertex_budget=600)
    assert result.tolerance_m == pytest.approx(metric.tolerance_m, rel=0.2)


def test_under_budget_nothing_is_simplified():
    frame = grid_frame()
    for budget in (None, N_GRID_VERTICES + N_ISLAND_VERTICES):
        result = prepare_display_geometry(frame, vertex_budget=budget)
        assert result.tolerance_m == 0.0
        assert result.vertices_out == result.vertices_in
        expected = rounded(frame.geometry.to_crs(4326).to_numpy(), 5)
        got = result.geometry.to_numpy()
        shown = ~(shapely.is_missing(expected) | shapely.is_empty(expected))
        assert shapely.equals_exact(got[shown], expected[shown], tolerance=0).all()
        assert result.refined_vertices == 0
        assert result.coverage_valid


@pytest.mark.parametrize("decimals", [4, 5, 6])
def test_coordinates_have_at_most_the_decimals(decimals):
    result = prepare_display_geometry(grid_frame(), vertex_budget=600, decimals=decimals)
    assert result.decimals == decimals
    assert result.refined_vertices == 0
    coords = shapely.get_coordinates(result.geometry.to_numpy())
    assert np.array_equal(np.round(coords, decimals), coords)
    assert not np.array_equal(np.round(coords, decimals - 1), coords)


def test_rounding_that_breaks_a_polygon_keeps_its_vertices_finer():
    # A slot 0.0004 degrees wide reaching to 0.0004 degrees above the bottom edge: at
    # 3 decimals its sides fall together on the bottom edge. A square far away is fine.
    slot = Polygon([(18.000, 59.000), (18.010, 59.000), (18.010, 59.010), (18.0052, 59.010),
                    (18.0052, 59.0004), (18.0048, 59.0004), (18.0048, 59.010),
                    (18.000, 59.010)])
    square = box(18.1, 59.1, 18.2, 59.2)
    frame = gpd.GeoDataFrame(geometry=[slot, square], crs=4326)
    assert not shapely.is_valid(rounded(np.array([slot]), 3)[0])

    result = prepare_display_geometry(frame, decimals=3)
    assert result.coverage_valid
    assert shapely.equals_exact(result.geometry[0], slot, tolerance=0)
    assert result.refined_vertices == 8
    assert result.decimals == 3
    assert shapely.equals_exact(result.geometry[1], square, tolerance=0)


def test_layer_that_is_no_coverage_is_simplified_without_error(path):
    # Two wiggly squares that overlap by half: no valid coverage, each polygon valid.
    first = _cell(0, 0)
    second = shapely.affinity.translate(first, xoff=SIDE / 2)
    frame = gpd.GeoDataFrame(geometry=[first, second], crs=3006)
    assert not shapely.coverage_is_valid(frame.geometry.to_numpy())
    result = prepare_display_geometry(frame, vertex_budget=100)
    assert result.vertices_out <= 100
    assert not result.coverage_valid
    assert shapely.is_valid(result.geometry.to_numpy()).all()
    assert "ingen sammanhängande indelning" in result.note()


def test_nothing_to_draw():
    frame = gpd.GeoDataFrame(geometry=[None, Polygon()], index=["x", "y"], crs=3006)
    result = prepare_display_geometry(frame, vertex_budget=10)
    assert result.geometry.index.equals(frame.index)
    assert result.geometry["x"] is None
    assert result.geometry["y"].is_empty
    assert (result.vertices_in, result.vertices_out) == (0, 0)


# ----------------------------------------------------------------------------------------
# the arcs of the pre-reduction


def test_arcs_nodes_are_where_three_edges_meet_and_ring_starts():
    shapes = _present(grid_frame().geometry)
    arcs = display._Arcs(shapes)
    node_coords = {tuple(c) for c in arcs.coords[arcs.node[arcs.vid]]}
    meeting = {(X0 + c * SIDE, Y0 + r * SIDE) for c in range(4) for r in range(4)
               if (c, r) not in {(0, 0), (3, 0), (0, 3), (3, 3)}}
    starts = {tuple(c) for c in arcs.coords[arcs.ring_starts]}
    assert node_coords == meeting | starts


def test_arcs_thinning_keeps_edges_matched_and_restores_rows():
    shapes = _present(grid_frame().geometry)
    arcs = display._Arcs(shapes)
    whole = arcs.restore_types(arcs.reduce(5.0, restore=np.ones(len(shapes), dtype=bool)))
    assert shapely.equals_exact(whole, shapes, tolerance=0).all()
    thin = arcs.reduce(5.0)
    assert shapely.get_num_coordinates(thin).sum() < shapely.get_num_coordinates(shapes).sum()
    assert shapely.coverage_is_valid(thin)
    assert adjacent_pairs(thin) == adjacent_pairs(shapes)
    # Every row keeps a vertex exactly where a neighbour keeps it: same vertex sets on
    # shared edges, so the rows' coordinates are all original ones.
    original = {tuple(c) for c in shapely.get_coordinates(shapes)}
    assert {tuple(c) for c in shapely.get_coordinates(thin)} <= original


def test_vertex_ids_are_exact():
    coords = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [-0.0, 0.0], [0.0, 0.0]]) + 0.0
    ids = display._vertex_ids(coords)
    assert ids[0] == ids[1] != ids[2]
    assert ids[3] == ids[4]
    assert len(set(ids)) == 3


# ----------------------------------------------------------------------------------------
# errors


def test_missing_crs_is_an_error():
    frame = grid_frame().set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match=r"saknar koordinatsystem \(CRS\).*EPSG:3006"):
        prepare_display_geometry(frame, vertex_budget=600)
    with pytest.raises(ValueError, match=r"saknar koordinatsystem \(CRS\)"):
        display_geometry(frame)


def test_other_geometries_than_polygons_are_an_error():
    frame = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), Point(0, 0)], index=["a", "b"],
                             crs=3006)
    with pytest.raises(ValueError, match=r"bara för ytor.*rad 'b' \(Point\)"):
        prepare_display_geometry(frame)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"vertex_budget": 0}, r"vertex_budget=0: förväntat ett heltal ≥ 1 eller None"),
    ({"vertex_budget": 10.5}, r"vertex_budget=10.5"),
    ({"decimals": -1}, r"decimals=-1: förväntat ett heltal 0–15"),
])
def test_unusable_arguments_are_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        prepare_display_geometry(grid_frame(), **kwargs)


def test_all_problems_are_told_at_once():
    frame = grid_frame().set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match=r"CRS.*vertex_budget=0.*decimals=99"):
        prepare_display_geometry(frame, vertex_budget=0, decimals=99)


# ----------------------------------------------------------------------------------------
# note


def test_note_in_swedish_number_format():
    geometry = gpd.GeoSeries([box(i, 0, i + 1, 1) for i in range(3363)], crs=4326)
    result = DisplayGeometry(geometry, vertices_in=1_913_897, vertices_out=80_000,
                             tolerance_m=120.4, decimals=5, coverage_valid=True, seconds=0.5)
    assert result.note() == (
        "Kartans gränser är förenklade för visning (3\u202f363 områden, 1\u202f913\u202f897"
        " → 80\u202f000 punkter, tolerans 120 m); beräkningarna använder de fullständiga "
        "gränserna.")
    small = DisplayGeometry(geometry[:2], vertices_in=10, vertices_out=10, tolerance_m=2.5,
                            decimals=5, coverage_valid=True, seconds=0.0)
    assert "tolerans 2,5 m" in small.note()


def test_note_when_not_simplified():
    result = prepare_display_geometry(grid_frame())
    assert result.note() == ("Kartans gränser visas med koordinaterna avrundade till 5 "
                             "decimaler (9 områden, 1\u202f510 punkter).")


# ----------------------------------------------------------------------------------------
# cache


def test_cache_returns_the_same_object_for_the_same_geometry():
    frame = grid_frame()
    first = display_geometry(frame, vertex_budget=600)
    assert display_geometry(frame, vertex_budget=600) is first
    other_columns = frame.assign(namn="x", poäng=1.0)
    assert display_geometry(other_columns.copy(), vertex_budget=600) is first
    assert display_geometry(frame, vertex_budget=601) is not first
    assert display_geometry(frame, vertex_budget=600, decimals=6) is not first


def test_cache_misses_when_a_geometry_changes():
    frame = grid_frame()
    first = display_geometry(frame, vertex_budget=600)
    moved = frame.copy()
    moved.loc["A1", "geometry"] = shapely.affinity.translate(frame.geometry["A1"], xoff=0.001)
    assert display_geometry(moved, vertex_budget=600) is not first
    assert display_geometry(frame, vertex_budget=600) is first


def test_cache_keeps_the_last_entries(monkeypatch):
    monkeypatch.setattr(display._CACHE, "maxsize", 2)
    frame = grid_frame()
    results = [display_geometry(frame, vertex_budget=b) for b in (500, 600, 700)]
    assert display_geometry(frame, vertex_budget=700) is results[2]
    assert display_geometry(frame, vertex_budget=600) is results[1]
    assert display_geometry(frame, vertex_budget=500) is not results[0]


def test_cache_computes_once_for_concurrent_sessions(monkeypatch):
    calls = []
    prepare = display.prepare_display_geometry
    barrier = threading.Barrier(4)

    def counted(*args, **kwargs):
        calls.append(1)
        return prepare(*args, **kwargs)

    monkeypatch.setattr(display, "prepare_display_geometry", counted)
    frame = grid_frame()

    def session(_):
        barrier.wait()
        return display_geometry(frame, vertex_budget=600)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(session, range(4)))
    assert all(r is results[0] for r in results)
    assert len(calls) == 1


def test_geometry_key_depends_on_index_crs_and_geometry_only():
    frame = grid_frame()
    key = geometry_key(frame)
    assert len(key) == 64
    assert geometry_key(frame.assign(namn="x")) == key
    assert geometry_key(frame.copy()) == key
    assert geometry_key(frame.set_axis([f"B{i}" for i in range(len(frame))])) != key
    assert geometry_key(frame.set_crs(3010, allow_override=True)) != key
    assert geometry_key(frame.iloc[::-1]) != key
    assert geometry_key(frame.geometry) == key
    moved = frame.copy()
    moved.loc["A5", "geometry"] = shapely.affinity.translate(frame.geometry["A5"], yoff=1e-9)
    assert geometry_key(moved) != key
    # A hole is not the same as a second part with the same coordinates.
    outer, inner = box(0, 0, 10, 10), box(2, 2, 4, 4)
    holed = gpd.GeoDataFrame(geometry=[Polygon(outer.exterior, [inner.exterior])], crs=3006)
    parts = gpd.GeoDataFrame(geometry=[MultiPolygon([outer, Polygon(inner.exterior)])],
                             crs=3006)
    assert geometry_key(holed) != geometry_key(parts)
    points = gpd.GeoDataFrame(geometry=[Point(0, 0), None], crs=3006)
    assert geometry_key(points) != geometry_key(points.set_geometry([Point(0, 1), None]))


# ----------------------------------------------------------------------------------------
# vertex budget


def test_vertex_budget_for():
    assert vertex_budget_for(10, max_bytes=100_000) == math.floor((100_000 - 10 * 400) / 22)
    assert vertex_budget_for(10, max_bytes=100_000) == 4363
    assert vertex_budget_for(100, max_bytes=1_000_000, bytes_per_vertex=20.0,
                             bytes_per_area=0.0) == 50_000
    assert vertex_budget_for(100, max_bytes=1000) == 100 * display.MIN_VERTICES_PER_AREA
    assert vertex_budget_for(0, max_bytes=2200.5) == 100
    assert vertex_budget_for(3363, max_bytes=3_000_000.0) == 75_218


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_areas": -1, "max_bytes": 1000}, r"n_areas=-1"),
    ({"n_areas": 1, "max_bytes": -5}, r"max_bytes=-5"),
    ({"n_areas": 1, "max_bytes": 1000, "bytes_per_vertex": 0}, r"bytes_per_vertex=0"),
])
def test_vertex_budget_for_refuses_impossible_numbers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vertex_budget_for(**kwargs)


# ----------------------------------------------------------------------------------------
# real areas


def _check_real(frame: gpd.GeoDataFrame, budget: int) -> DisplayGeometry:
    """Budget, validity, order, and every pair of neighbours still sharing a border. Pairs
    that share less than a metre are left out: rounding to 5 decimals (about a metre) may
    make such a border a point (Stockholm's RegSO 0180R083 and 0180R107 share 8 mm)."""
    before = frame.geometry.to_numpy()
    pairs = adjacent_pairs(before, longer_than=1.0)
    result = prepare_display_geometry(frame, vertex_budget=budget)
    assert display.BUDGET_FLOOR * budget <= result.vertices_out <= budget
    assert result.coverage_valid
    shapes = result.geometry.to_numpy()
    assert shapely.coverage_is_valid(shapes)
    assert shapely.is_valid(shapes).all()
    assert adjacent_pairs(shapes) >= pairs
    assert result.geometry.index.equals(frame.index)
    return result


@pytest.fixture(scope="module")
def stockholm() -> gpd.GeoDataFrame:
    from geo_fixtures import real_regso

    return real_regso("0180")


@pytest.mark.parametrize("budget", [1500, 4000])
def test_stockholm_regso(stockholm, path, budget):
    assert shapely.coverage_is_valid(stockholm.geometry.to_numpy())
    _check_real(stockholm, budget)


def test_huddinge_embedded_areas(path):
    from geo.inputs import DEFAULT_AREAS
    from geo.io.areas import read_areas

    frame = read_areas(DEFAULT_AREAS).frame
    result = _check_real(frame, 800)
    assert result.vertices_in > 800


# ----------------------------------------------------------------------------------------
# when the pre-reduction goes wrong


def _breaking_reduce(monkeypatch, always: bool) -> list[bool]:
    """Make the pre-reduction move A5's bottom left corner (its first vertex, a node)
    30 m into A1 in A5 only (A5 overlaps A1, A2 and A4), on the first attempt only or
    always. Returns, per call, whether rows were restored."""
    reduce = display._Arcs.reduce
    row = [name for name in ORDER if name not in ("tom", "saknas")].index("A5")
    seen: list[bool] = []

    def broken(self, distance, restore=None):
        seen.append(restore is not None)
        polygons = reduce(self, distance, restore)
        if restore is None or always:
            coords = shapely.get_coordinates(polygons[row])
            coords[0] -= (30.0, 30.0)
            coords[-1] = coords[0]
            polygons = polygons.copy()
            polygons[row] = shapely.transform(polygons[row], lambda _: coords)
        return polygons

    monkeypatch.setattr(display._Arcs, "reduce", broken)
    monkeypatch.setattr(display, "PREREDUCE_ABOVE", 0)
    monkeypatch.setattr(display, "SAMPLE_VERTICES", 300)
    return seen


def test_rows_broken_by_the_pre_reduction_get_their_full_borders(monkeypatch):
    seen = _breaking_reduce(monkeypatch, always=False)
    result = prepare_display_geometry(grid_frame(), vertex_budget=600)
    assert seen[0] is False and seen[-1] is True
    assert result.coverage_valid
    assert result.vertices_out <= 600
    assert adjacent_pairs(result.geometry.to_numpy()) == grid_pairs()


def test_pre_reduction_that_keeps_failing_falls_back_to_the_full_borders(monkeypatch):
    seen = _breaking_reduce(monkeypatch, always=True)
    calls = []
    simplify = shapely.coverage_simplify
    monkeypatch.setattr(shapely, "coverage_simplify",
                        lambda g, t, **kw: calls.append(shapely.get_num_coordinates(g).sum())
                        or simplify(g, t, **kw))
    result = prepare_display_geometry(grid_frame(), vertex_budget=600)
    assert True in seen
    assert N_GRID_VERTICES + N_ISLAND_VERTICES in calls  # the full borders, simplified
    assert result.coverage_valid
    assert display.BUDGET_FLOOR * 600 <= result.vertices_out <= 600
    assert adjacent_pairs(result.geometry.to_numpy()) == grid_pairs()


# ----------------------------------------------------------------------------------------
# layers that are no coverage: overlaps and narrow gaps (issue 13, "Safe by default")


def _circles(n: int = 40, vertices: int = 400, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` circles of 300 m in a 2 km square: most overlap several others."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform([X0, Y0], [X0 + 2000, Y0 + 2000], size=(n, 2))
    circles = [Point(x, y).buffer(300, quad_segs=vertices // 4) for x, y in centres]
    return gpd.GeoDataFrame({"namn": [f"C{i}" for i in range(n)]}, geometry=circles,
                            index=[f"C{i}" for i in range(n)], crs=3006)


def _count_coverage_simplify(monkeypatch) -> list[int]:
    calls: list[int] = []
    simplify = shapely.coverage_simplify
    monkeypatch.setattr(shapely, "coverage_simplify",
                        lambda g, t, **kw: calls.append(len(g)) or simplify(g, t, **kw))
    return calls


def test_overlapping_polygons_are_simplified_one_by_one_within_the_budget(monkeypatch):
    # coverage_simplify of 3 000 overlapping circles (2.4 million vertices) took 53 s:
    # overlapping polygons have no edges in common to keep, so each is simplified alone.
    frame = _circles()
    assert display._loose_share(frame.geometry.to_numpy()) >= display.LOOSE_SHARE
    calls = _count_coverage_simplify(monkeypatch)
    result = prepare_display_geometry(frame, vertex_budget=2000)
    assert calls == []
    assert result.vertices_in == 40 * 401
    assert 0 < result.vertices_out <= 2000
    assert result.tolerance_m > 0
    assert result.geometry.index.equals(frame.index)
    shapes = result.geometry.to_numpy()
    assert shapely.is_valid(shapes).all()
    assert not shapely.is_empty(shapes).any()
    assert (shapely.get_type_id(shapes) == shapely.get_type_id(frame.geometry.to_numpy())).all()
    assert not result.coverage_valid
    assert "förenklade för visning" in result.note()
    assert "ingen sammanhängande indelning" in result.note()


def test_layer_with_narrow_gaps_is_simplified_one_by_one(monkeypatch):
    # The grid with every cell shrunk by 0.3 m: no overlaps (coverage_is_valid says True),
    # but no edge in common either; coverage_simplify took 30 s on 1.1 million vertices.
    frame = grid_frame()
    shapes = frame.geometry.to_numpy()
    present = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    shapes[present] = shapely.buffer(shapes[present], -0.3, join_style="mitre")
    frame = frame.set_geometry(shapes)
    assert shapely.coverage_is_valid(shapes[present])
    assert display._loose_share(shapes[present]) >= display.LOOSE_SHARE
    calls = _count_coverage_simplify(monkeypatch)
    result = prepare_display_geometry(frame, vertex_budget=600)
    assert calls == []
    assert 0 < result.vertices_out <= 600
    assert shapely.is_valid(_present(result.geometry)).all()
    assert result.geometry["A9"].geom_type == "MultiPolygon"  # the island stays
    assert len(result.geometry["A9"].geoms) == 2
    assert result.geometry["saknas"] is None and result.geometry["tom"].is_empty


def test_one_by_one_keeps_every_area_hole_and_island():
    # Douglas-Peucker without topology empties a sliver narrower than the tolerance and
    # fills a small hole: those rows are simplified with preserve_topology=True instead.
    frame = _circles(20, 400)
    sliver = box(X0, Y0 - 500, X0 + 2000, Y0 - 499.5)
    holed = Point(X0 + 1000, Y0 + 1000).buffer(250, quad_segs=100).difference(
        Point(X0 + 1000, Y0 + 1000).buffer(3, quad_segs=2))
    extra = gpd.GeoDataFrame({"namn": ["smal", "hål"]}, geometry=[sliver, holed],
                             index=["smal", "hål"], crs=3006)
    frame = pd.concat([frame, extra])
    result = prepare_display_geometry(frame, vertex_budget=600)
    assert result.tolerance_m > 1
    assert result.vertices_out <= 600
    assert not result.geometry["smal"].is_empty
    assert len(result.geometry["hål"].interiors) == 1
    assert shapely.is_valid(result.geometry.to_numpy()).all()


@pytest.mark.parametrize("change, loose", [
    ("none", False),
    ("vertex on one side only", False),  # the edge is shared, its vertices are not
    ("A5 moved 2 m", True),
    ("A5 shrunk by 0.5 m", True),
])
def test_loose_share_tells_overlaps_and_gaps_from_a_coverage(change, loose):
    shapes = _present(grid_frame().geometry).copy()
    a5 = [name for name in ORDER if name not in ("tom", "saknas")].index("A5")
    if change == "vertex on one side only":
        shapes[a5] = shapely.segmentize(shapes[a5], 3.0)
        assert not shapely.coverage_is_valid(shapes)
    elif change == "A5 moved 2 m":
        shapes[a5] = shapely.affinity.translate(shapes[a5], 2.0, 1.0)
    elif change == "A5 shrunk by 0.5 m":
        shapes[a5] = shapely.buffer(shapes[a5], -0.5, join_style="mitre")
    share = display._loose_share(shapes)
    assert (share > 0) is loose


def test_search_stops_when_the_next_pass_would_repeat_the_last():
    # A count that jumps (regular shapes: every triangle the same) never lands between
    # the floor and the budget; the search repeated the same pass up to MAX_PASSES times.
    passes = []

    def simplify(t: float) -> np.ndarray:
        passes.append(t)
        return np.array([shapely.box(0, 0, 1, 1)] * (100 if t < 2.0 else 10))

    result, tolerance, _ = display._search(simplify, 400, 1.0,
                                           cascade=lambda _, t: simplify(t))
    assert len(passes) < display.MAX_PASSES
    assert display._count(result) == 50 and tolerance >= 2.0


def test_overlaps_found_late_spare_the_full_coverage_check(monkeypatch):
    # A layer whose sample looks like a coverage but whose simplification overlaps where
    # the input does: the whole input's coverage check (3 s for Sweden, 7 s for 2.4
    # million vertices of circles) is not needed to know it is no coverage.
    monkeypatch.setattr(display, "LOOSE_SHARE", 2.0)  # never one by one
    monkeypatch.setattr(display, "PREREDUCE_ABOVE", 0)  # the path of large layers
    monkeypatch.setattr(display, "SAMPLE_VERTICES", 300)
    frame = grid_frame()
    shapes = frame.geometry.to_numpy()
    shapes[list(frame.index).index("A5")] = shapely.affinity.translate(
        shapes[list(frame.index).index("A5")], 40.0, 30.0)
    frame = frame.set_geometry(shapes)
    checked = []
    fits = display._fits
    monkeypatch.setattr(display, "_fits",
                        lambda g: checked.append(display._count(g)) or fits(g))
    result = prepare_display_geometry(frame, vertex_budget=600)
    assert N_GRID_VERTICES + N_ISLAND_VERTICES not in checked
    assert not result.coverage_valid
    assert result.vertices_out <= 600
    assert shapely.is_valid(_present(result.geometry)).all()
