"""The compact map format's borders (geo/maps/topology.py): exact round trip, every shared
border written once, the outer border, and the cases a real layer has (holes, islands,
enclaves, missing rows)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo.maps.topology import boundary_arcs, decode, topology, topology_json


def grid(n: int = 3) -> np.ndarray:
    return np.array([box(x, y, x + 1, y + 1) for y in range(n) for x in range(n)],
                    dtype=object)


def snapped(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.set_precision(geoms, 10.0 ** -decimals, mode="pointwise")


def assert_round_trip(geoms: np.ndarray, decimals: int = 5) -> dict:
    topo = topology(geoms, decimals=decimals)
    back = decode(json.loads(topology_json(topo)))
    for got, want in zip(back, geoms, strict=True):
        if want is None or want.is_empty:
            assert got is None
        else:   # the same rings, from the same start, in the same direction
            assert got.geom_type == want.geom_type
            assert shapely.equals_exact(got, want, tolerance=1e-9), (got, want)
    return topo.data


def test_a_grid_comes_back_exactly_with_each_inner_border_once():
    cells = grid(3)
    data = assert_round_trip(cells)
    # 3x3 cells: each of the 12 inner edges is one arc used by two rings (36 cell edges,
    # fewer arcs).
    uses: dict[int, int] = {}
    for g in data["objects"]["areas"]["geometries"]:
        for ring in g["arcs"]:
            for ref in ring:
                uses[ref if ref >= 0 else ~ref] = uses.get(ref if ref >= 0 else ~ref, 0) + 1
    assert set(uses.values()) == {1, 2}
    assert list(uses.values()).count(2) == 12 and len(data["arcs"]) < 9 * 4
    # every arc used twice is referred to once forward and once reversed
    signs: dict[int, set[bool]] = {}
    for g in data["objects"]["areas"]["geometries"]:
        for ring in g["arcs"]:
            for ref in ring:
                signs.setdefault(ref if ref >= 0 else ~ref, set()).add(ref >= 0)
    assert all(signs[a] == {True, False} for a, n in uses.items() if n == 2)


def test_the_boundary_is_the_outer_border_of_the_layer():
    cells = grid(3)
    data = assert_round_trip(cells)
    arcs = [np.cumsum(np.asarray(data["arcs"][i], dtype=float), axis=0) * 1e-5
            + data["transform"]["translate"] for i in boundary_arcs(data)]
    outline = shapely.line_merge(shapely.MultiLineString(arcs))
    ring = shapely.Polygon(shapely.get_coordinates(outline))
    assert shapely.symmetric_difference(ring, box(0, 0, 3, 3)).area < 1e-9


def test_holes_islands_enclaves_and_missing_rows():
    outer = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (1, 3), (3, 3), (3, 1)]])
    enclave = box(1, 1, 3, 3)                                   # fills the hole exactly
    islands = MultiPolygon([box(5, 0, 6, 1), box(7, 0, 8, 1)])
    geoms = np.array([outer, enclave, None, islands, Polygon()], dtype=object)
    data = assert_round_trip(geoms)
    kinds = [g["type"] for g in data["objects"]["areas"]["geometries"]]
    assert kinds == ["Polygon", "Polygon", None, "MultiPolygon", None]
    hole = data["objects"]["areas"]["geometries"][0]["arcs"][1]
    enclave_ring = data["objects"]["areas"]["geometries"][1]["arcs"][0]
    assert sorted(r if r >= 0 else ~r for r in hole) == \
        sorted(r if r >= 0 else ~r for r in enclave_ring)      # the same border, once


def test_real_display_geometry_round_trips_and_shares_borders():
    from geo.inputs import load_inputs
    from geo.maps.mapview import area_display_geometry

    shown = area_display_geometry(load_inputs().areas.frame)
    topo = topology(shown.geometry.to_numpy(), decimals=shown.decimals)
    assert topo.vertices == shown.vertices_out
    assert topo.positions < 0.7 * topo.vertices                 # Huddinge: 2 362 of 3 982
    assert_round_trip(shown.geometry.to_numpy(), shown.decimals)


def test_off_grid_coordinates_are_snapped_to_it():
    geoms = np.array([box(0.123456789, 0, 1, 1)], dtype=object)
    (back,) = decode(topology(geoms, decimals=5).data)
    assert back.bounds[0] == pytest.approx(0.12346, abs=1e-12)


def test_other_geometries_are_refused_by_name():
    geoms = np.array([box(0, 0, 1, 1), shapely.Point(0, 0)], dtype=object)
    with pytest.raises(ValueError, match="görs av polygoner; fick också Point"):
        topology(geoms, decimals=5)


def test_an_empty_layer_is_an_empty_topology():
    data = topology(np.array([None, Polygon()], dtype=object), decimals=5).data
    assert data["arcs"] == [] and decode(data).tolist() == [None, None]


def test_a_column_is_written_the_shortest_way_and_reads_back():
    import itertools

    from geo.maps.mapview import decoded, encoded

    names = ["Anmälda våldsbrott", "Skadegörelse och bränder", "Orosanmälningar om barn",
             "Elever med hög frånvaro", "Unga misstänkta för brott", "Låg ekonomisk standard"]
    lists = ["; ".join(p) for p in itertools.permutations(names, 3)][:40] + [""]
    repeated = ["Hög prioritet", "Övriga"] * 20
    unique = [f"Område {i}" for i in range(40)]
    assert "j" in encoded(lists) and "i" in encoded(repeated) and encoded(unique) == unique
    for column in (lists, repeated, unique, []):
        assert decoded(encoded(column)) == column
