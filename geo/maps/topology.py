"""A compact map format: polygons as a TopoJSON topology, shared borders written once.

A GeoJSON map writes every border twice (once for each area on either side) and every
coordinate as a decimal text such as ``[17.93452,59.12345]`` (20 bytes). The display
geometry (:mod:`geo.spatial.display`) is an edge-matched coverage with coordinates on a
grid of ``10^-decimals`` degrees, so it can be written as a TopoJSON *topology*
(https://github.com/topojson/topojson-specification):

* the coordinates become integers on that grid (``transform``: ``scale`` is the grid
  step, ``translate`` the south-west corner), exact for every coordinate on the grid;
* each ring is cut into *arcs* at its nodes (:func:`geo.spatial.display.ring_nodes`: where
  three or more borders meet, rings touch, or a ring starts), and an arc that two rings
  share is written once; the second ring refers to it reversed (``~i``, i.e. ``-i - 1``);
* each arc is delta-encoded: its first position, then the differences to the previous one
  (a few digits where the borders are detailed).

Every ring starts where it started, so decoding (:func:`decode`, and ``decode`` in
``geo/maps/web/prevmap_map.js``) gives back exactly the rings that went in, snapped to the
grid (tested). Object ``areas`` holds one geometry per row, in row order (``null`` for a
missing or empty one); :func:`boundary_arcs` lists the arcs used by one ring only, the outer
border of the whole layer (the kommun's border on a kommun's map).

Written with :func:`topology_json`; the whole national RegSO layer (3 363 areas) at twice the
vertices of the old GeoJSON map takes a third of its bytes (``benchmarks/bench_map_size.py``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely import GeometryType

from geo.spatial.display import ring_nodes

__all__ = ["Topology", "boundary_arcs", "decode", "grid_step", "topology", "topology_json"]


@dataclass(frozen=True)
class Topology:
    """A topology and what it was made of (for notes and benchmarks)."""

    data: dict
    vertices: int        # ring coordinates that went in (closing ones included)
    positions: int       # arc positions written (shared borders once)

    @property
    def arcs(self) -> list:
        return self.data["arcs"]


def grid_step(decimals: int) -> float:
    """The grid of coordinates rounded to ``decimals`` decimals."""
    return 10.0 ** -int(decimals)


def topology(geoms: np.ndarray, *, decimals: int) -> Topology:
    """The TopoJSON topology of ``geoms`` (Polygons or MultiPolygons in EPSG:4326, or None /
    empty), one geometry per row in object ``areas``, on the grid of ``decimals``
    decimals (a coordinate off the grid is snapped to it)."""
    geoms = np.asarray(geoms, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    other = sorted({g.geom_type for g in geoms[present]} - {"Polygon", "MultiPolygon"})
    if other:
        raise ValueError("en karttopologi görs av polygoner; fick också "
                         + ", ".join(other) + ".")
    step = grid_step(decimals)
    objects: list[dict] = [{"type": None} for _ in range(len(geoms))]
    if not present.any():
        return Topology({"type": "Topology", "transform": {"scale": [step, step],
                                                           "translate": [0.0, 0.0]},
                         "arcs": [], "objects": {"areas": {"type": "GeometryCollection",
                                                           "geometries": objects}}}, 0, 0)
    kind, coords, offsets = shapely.to_ragged_array(geoms[present], include_z=False)
    x0 = math.floor(float(coords[:, 0].min()) / step) * step
    y0 = math.floor(float(coords[:, 1].min()) / step) * step
    grid = np.rint((coords - [x0, y0]) / step).astype(np.int64)
    key = grid[:, 0] * (int(grid[:, 1].max()) + 1) + grid[:, 1]
    vid = pd.factorize(key)[0].astype(np.intp)
    ring_offsets = offsets[0].astype(np.intp)
    starts, ends = ring_offsets[:-1], ring_offsets[1:] - 1
    node_position = ring_nodes(vid, starts, ends)[vid]
    node_position[ends] = False

    arcs: list[list[list[int]]] = []
    seen: dict[bytes, int] = {}          # vertex ids of an arc, either way -> signed index
    ring_arcs: list[list[int]] = []
    positions = 0
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        cuts = (start + np.flatnonzero(node_position[start:end])).tolist() + [end]
        refs = []
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            ids = vid[a:b + 1]
            forward = ids.tobytes()
            if forward in seen:
                refs.append(seen[forward])
                continue
            index = len(arcs)
            seen[forward] = index
            seen.setdefault(ids[::-1].tobytes(), ~index)
            points = grid[a:b + 1]
            delta = np.vstack([points[:1], np.diff(points, axis=0)])
            arcs.append(delta.tolist())
            positions += len(points)
            refs.append(index)
        ring_arcs.append(refs)
    # rings -> polygons -> rows (a Polygon layer has no part level)
    part_rings = [ring_arcs[a:b] for a, b in zip(offsets[1][:-1].tolist(),
                                                  offsets[1][1:].tolist(), strict=True)]
    if kind == GeometryType.POLYGON:
        rows = [[p] for p in part_rings]
    else:
        rows = [part_rings[a:b] for a, b in zip(offsets[2][:-1].tolist(),
                                                 offsets[2][1:].tolist(), strict=True)]
    was_polygon = shapely.get_type_id(geoms[present]) == int(GeometryType.POLYGON)
    for row, parts, single in zip(np.flatnonzero(present).tolist(), rows,
                                  was_polygon.tolist(), strict=True):
        objects[row] = ({"type": "Polygon", "arcs": parts[0]} if single
                        else {"type": "MultiPolygon", "arcs": parts})
    data = {"type": "Topology",
            "transform": {"scale": [step, step], "translate": [x0, y0]},
            "arcs": arcs,
            "objects": {"areas": {"type": "GeometryCollection", "geometries": objects}}}
    return Topology(data, int(len(coords)), positions)


def topology_json(topo: Topology) -> str:
    """The topology as compact JSON text (no spaces; the grid's floats as Python writes
    them)."""
    return json.dumps(topo.data, separators=(",", ":"))


def boundary_arcs(data: dict) -> list[int]:
    """The arcs used by exactly one ring of object ``areas``: the outer border of the layer
    (and the edges of any gap between areas)."""
    uses = np.zeros(len(data["arcs"]), dtype=np.intp)
    for geometry in data["objects"]["areas"]["geometries"]:
        for ring in _rings(geometry):
            np.add.at(uses, [r if r >= 0 else ~r for r in ring], 1)
    return np.flatnonzero(uses == 1).tolist()


def _rings(geometry: dict) -> list[list[int]]:
    if geometry.get("type") == "Polygon":
        return geometry["arcs"]
    if geometry.get("type") == "MultiPolygon":
        return [ring for part in geometry["arcs"] for ring in part]
    return []


def decode(data: dict) -> np.ndarray:
    """The geometries of object ``areas`` (None where null), as the browser decodes them:
    arcs un-delta-encoded and scaled, each ring the concatenation of its arcs (reversed
    where referred to as ``~i``) without the repeated joints."""
    (sx, sy), (tx, ty) = data["transform"]["scale"], data["transform"]["translate"]
    arcs = [np.cumsum(np.asarray(a, dtype=np.int64), axis=0) for a in data["arcs"]]

    def ring(refs: list[int]) -> np.ndarray:
        pieces = [arcs[r] if r >= 0 else arcs[~r][::-1] for r in refs]
        points = np.vstack([pieces[0]] + [p[1:] for p in pieces[1:]])
        return points * [sx, sy] + [tx, ty]

    def polygon(rings: list[list[int]]) -> shapely.Polygon:
        shell, *holes = (ring(r) for r in rings)
        return shapely.Polygon(shell, holes)

    out = []
    for g in data["objects"]["areas"]["geometries"]:
        if g.get("type") == "Polygon":
            out.append(polygon(g["arcs"]))
        elif g.get("type") == "MultiPolygon":
            out.append(shapely.MultiPolygon([polygon(p) for p in g["arcs"]]))
        else:
            out.append(None)
    return np.array(out, dtype=object)
