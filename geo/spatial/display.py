"""Display geometry for web maps: prepared once per area set, small, shared edges kept.

A map of all 3 363 RegSO of Sweden with their full borders (1.9 million vertices) is a
116 MB page. The map only needs borders good enough to look at, so the areas are drawn
from *display geometry*; every computation keeps the full borders.

How :func:`prepare_display_geometry` makes it:

1. Simplify in a metric CRS (a geographic frame is projected to EPSG:3006 first) with
   :func:`shapely.coverage_simplify` (GEOS 3.12+, shapely 2.1+: topology-preserving
   Visvalingam–Whyatt for a polygonal coverage): each shared edge is simplified once, for
   both of its polygons, nodes where three edges meet stay, and no edge is moved across
   another, so neighbours still meet and nothing overlaps. Rings shrink to triangles at
   worst; islands are never dropped. The tolerance is searched so that the vertex count
   ends at most ``vertex_budget`` and at least 85 % of it.
2. Transform to EPSG:4326 and round the coordinates to ``decimals`` decimals (5 decimals
   is about a metre). Equal vertices round equally, so shared edges stay shared. Where
   rounding still breaks validity (a vertex snapped across an edge closer than the grid),
   the vertices of those rows get 7 decimals, or keep full precision (:func:`_rounded`).
3. Check the result with :func:`shapely.coverage_is_valid` and :func:`shapely.is_valid`
   and say so in :attr:`DisplayGeometry.coverage_valid`.

Speed (``benchmarks/bench_display.py``; 2-core machine shared with other work). One
``coverage_simplify`` pass costs 1.5-2.5 µs per *input* vertex whatever the tolerance:
2.4-3.7 s for Sweden's 1.9 million vertices, so a search that simplifies the full borders
again for every tolerance tried would take 10 s or more. Two things make it cheap:

* Cascading. Simplifying the simplified output again with a larger tolerance costs only
  as much as the (already small) output, and for Visvalingam–Whyatt, which removes the
  smallest triangle first until none is below the tolerance, it continues the same
  removal sequence: the cascade and a one-shot simplification agree (Sweden, tolerance
  400 m: 81 807 against 81 925 vertices, the same area moved, 0.79 % of the total, and the
  same Hausdorff distances to the full borders). So the tolerance only ever rises, each
  pass starting from the last result above the budget.
* A pre-reduction for large layers (over :data:`PREREDUCE_ABOVE` vertices): the borders
  are cut into arcs at every node (a vertex where three or more edges meet, and ring
  starts), each arc is thinned once with Douglas–Peucker at ``tolerance /
  PREREDUCE_RATIO`` (ends fixed), and a vertex is kept or dropped for every polygon that
  has it, so the pre-reduced layer is edge-matched by construction (Sweden at 400 m: 1.9
  million to 280 000-340 000 vertices in 0.1 s, after about 0.5 s to find the arcs).
  ``coverage_simplify`` then runs on that, and the result is as good as a one-shot
  simplification of the full borders: the same area moved (Sweden: 1.50 %, 0.91 %,
  0.43 % of the total at 60 000, 80 000 and 120 000 vertices, for both) and no broken
  neighbours. Ratios of 8, 10 and 16 gave the same quality, 8 some invalid polygons
  (repaired, below) and on the synthetic layer a search that went astray, so 10.
  Douglas–Peucker does not guard against crossings: rows it makes invalid keep their full
  borders at once, and a crossing between two polygons, seen in the final check, gives
  those rows their full borders and the pass is redone; if that fails too, the full
  borders are simplified (slow, always right). The first tolerance, and how fast the
  count falls with it, come from simplifying every k-th polygon (:data:`SAMPLE_VERTICES`
  vertices, 0.05-0.2 s) to the same share, so the pre-reduction is usually made once and
  followed by one or two cascade passes.

  Sweden, budgets 60 000-120 000: 1.1-1.9 s in all (CPU time, runs on a busy machine;
  a single one-shot pass of the full borders: 2.1-3.7 s). Of that: finding the arcs
  0.45-0.75 s (half of it giving each distinct coordinate an id), the sample 0.1 s, the
  pre-reduction 0.1-0.15 s, the first pass 0.3-0.5 s, a cascade pass 0.15-0.2 s,
  projecting, rounding and the final checks 0.2 s.

A layer that is no coverage costs far more: ``coverage_simplify`` checks every removal
against the edges nearby, and edges that cross or run side by side without being shared
block most of them (3 000 overlapping circles, 2.4 million vertices: 13 s a pass, 53 s
in all; the synthetic coverage below with every cell shrunk by 0.4 m: 7 s a pass, 30 s;
a 6 million vertex layer of 24 overlapping polygons: 265 s). So, before simplifying, up
to :data:`LOOSE_SAMPLE_ROWS` polygons spread over the layer are compared with their
neighbours (:func:`_loose_share`, 0.2-0.3 s for Sweden): where at least
:data:`LOOSE_SHARE` of them overlap a neighbour, or come within :data:`GAP_M` of one
without touching it, there are no shared edges to keep, and each polygon is simplified
alone with Douglas–Peucker (:meth:`_Simplifier._polygonwise`, 0.2 s a pass for 2.4
million vertices; rows it would empty, invalidate or rob of a ring or island with
``preserve_topology=True``), the tolerance searched as above (the cascade starts from
the full borders each time). The same cases now take 1.1-1.7 s, 1.0 s and 3.5 s; 7 500
overlapping circles (6 million vertices) 3.1 s. A valid coverage has a share of 0 (a
vertex that one neighbour has on a shared edge and the other has not is no overlap) and
is simplified exactly as before, byte for byte. A layer with fewer overlaps than that (a
user's file with a few slivers) takes the coverage path (``coverage_simplify`` accepts it
and keeps its overlaps as they are); when the rows left invalid overlap in the input as
well, the whole layer's coverage check is skipped. A polygon that was valid but comes
out invalid is simplified alone with :func:`shapely.simplify`
(``preserve_topology=True``), ``coverage_valid`` is False and the note says so. Nothing
raises once the frame is accepted. A search whose count jumps past the budget's window
(regular shapes such as circles, where every triangle has the same area) stops as soon as
a pass would repeat the last, not after :data:`MAX_PASSES`.

:func:`display_geometry` memoises the result in-process by :func:`geometry_key` (index,
CRS and geometry, never the attribute columns), for the app's sessions (threads) and
repeated exports.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import GeometryType

from geo.cache import LRUCache
from indicators.swedish import format_integer, format_number

METRIC_CRS = "EPSG:3006"
DISPLAY_CRS = "EPSG:4326"
#: Rounding that still breaks validity is retried with one decimal more, up to this many.
MAX_DECIMALS = 7
#: Entries of the in-process cache (a national layer's display geometry is about 2 MB).
CACHE_SIZE = 8
#: :func:`vertex_budget_for` leaves every area at least this many vertices.
MIN_VERTICES_PER_AREA = 8
#: The search accepts a vertex count between this share of the budget and the budget.
BUDGET_FLOOR = 0.85
#: ... and aims at this share, so that one pass usually lands inside.
BUDGET_AIM = 0.95
#: Layers with more vertices are pre-reduced (see the module docstring).
PREREDUCE_ABOVE = 150_000
#: The pre-reduction's Douglas–Peucker distance is the tolerance divided by this.
PREREDUCE_RATIO = 10.0
#: Vertices in the sample that gives the first tolerance for a pre-reduced layer.
SAMPLE_VERTICES = 30_000
#: The first tolerance of a pre-reduced layer is its sample's times this.
FIRST_FACTOR = 1.0
#: At most this many rounds of leaving vertices finer (see :func:`_rounded`).
MAX_REFINEMENTS = 8
#: At most this many ``coverage_simplify`` passes per search.
MAX_PASSES = 12
#: Assumed d log(vertices) / d log(tolerance) before two passes have measured it; Swedish
#: RegSO borders give 0.6-0.7 for tolerances of 50-500 m.
DEFAULT_SLOPE = 0.7
#: Polygons sampled (evenly by row) to tell a layer of overlapping or loose polygons ...
LOOSE_SAMPLE_ROWS = 60
#: ... compared with at most this many neighbours in all ...
LOOSE_SAMPLE_PAIRS = 2_000
#: ... at this many of their vertices each.
LOOSE_SAMPLE_POINTS = 64
#: Sampled polygons that overlap a neighbour, or come closer than :data:`GAP_M` to one
#: without touching it: at this share or more the layer is simplified polygon by polygon.
LOOSE_SHARE = 0.2
#: Metres: neighbours this close that do not touch leave a gap, not an edge in common.
GAP_M = 1.0
#: Metres: a vertex inside a neighbour and farther than this from its border overlaps it.
OVERLAP_DEPTH_M = 0.01
_POLYGONAL = (int(GeometryType.POLYGON), int(GeometryType.MULTIPOLYGON))


@dataclass(frozen=True, eq=False)
class DisplayGeometry:
    """Borders for drawing, in EPSG:4326, row for row with the frame they came from.

    ``geometry`` has the frame's index and order; a missing or empty geometry stays so.
    ``vertices_in`` and ``vertices_out`` count every coordinate (closing ones included),
    as :func:`shapely.get_num_coordinates` does. ``tolerance_m`` is the
    ``coverage_simplify`` tolerance in metres (roughly the square root of the largest
    triangle area removed), 0.0 when nothing was simplified. Every coordinate is rounded
    to ``decimals`` decimals except those of ``refined_vertices`` distinct vertices, where
    that rounding broke validity: they have 7 decimals, or full precision (see
    :func:`_rounded`). ``coverage_valid``: the polygons are valid and form a valid
    coverage (no overlaps, shared edges match).

    Shared by the cache: treat it, and its GeoSeries, as read-only. Compared by identity
    (``eq=False``): a GeoSeries has no single truth value.
    """

    geometry: gpd.GeoSeries
    vertices_in: int
    vertices_out: int
    tolerance_m: float
    decimals: int
    coverage_valid: bool
    seconds: float
    refined_vertices: int = 0

    @property
    def simplified(self) -> bool:
        return self.tolerance_m > 0

    def note(self) -> str:
        """One sentence for the map's notes, in Swedish."""
        n = int((~(self.geometry.isna() | self.geometry.is_empty)).sum())
        if not self.simplified:
            text = (f"Kartans gränser visas med koordinaterna avrundade till {self.decimals} "
                    f"decimaler ({format_integer(n)} områden, "
                    f"{format_integer(self.vertices_out)} punkter).")
        else:
            tolerance = format_number(self.tolerance_m, 0 if self.tolerance_m >= 10 else 1)
            text = (f"Kartans gränser är förenklade för visning ({format_integer(n)} områden, "
                    f"{format_integer(self.vertices_in)} → "
                    f"{format_integer(self.vertices_out)} punkter, tolerans "
                    f"{tolerance} m); beräkningarna använder de fullständiga gränserna.")
        if not self.coverage_valid:
            text += (" Områdena bildar ingen sammanhängande indelning (de överlappar, har "
                     "glapp eller ogiltiga gränser), så gemensamma gränser kan skilja sig "
                     "något åt på kartan.")
        return text


# ----------------------------------------------------------------------------------------
# validation


def _check_frame(frame: gpd.GeoDataFrame, vertex_budget: int | None, decimals: int) -> None:
    """Collect every problem with the arguments and raise one ValueError."""
    problems = []
    if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
        raise ValueError("kartgeometri görs av en GeoDataFrame eller GeoSeries, inte "
                         f"{type(frame).__name__}")
    if frame.crs is None:
        problems.append("områdena saknar koordinatsystem (CRS). Ange det, t.ex. med "
                        "frame.set_crs('EPSG:3006') för SWEREF 99 TM")
    if vertex_budget is not None and (isinstance(vertex_budget, bool)
                                      or not isinstance(vertex_budget, int | np.integer)
                                      or vertex_budget < 1):
        problems.append(f"vertex_budget={vertex_budget!r}: förväntat ett heltal ≥ 1 eller "
                        "None (ingen förenkling)")
    if (isinstance(decimals, bool) or not isinstance(decimals, int | np.integer)
            or not 0 <= decimals <= 15):
        problems.append(f"decimals={decimals!r}: förväntat ett heltal 0–15 (5 ≈ en meter)")
    geoms = np.asarray(frame.geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    wrong = (types >= 0) & ~np.isin(types, _POLYGONAL) & ~shapely.is_empty(geoms)
    if wrong.any():
        shown = [f"{i!r} ({g.geom_type})"
                 for i, g in zip(frame.index[wrong][:5], geoms[wrong][:5], strict=True)]
        more = f" (och {int(wrong.sum()) - 5} till)" if wrong.sum() > 5 else ""
        problems.append("kartgeometri förenklas bara för ytor (Polygon, MultiPolygon); andra "
                        f"geometrier på rad {', '.join(shown)}{more}")
    if problems:
        raise ValueError("; ".join(problems) + ".")


# ----------------------------------------------------------------------------------------
# the pre-reduction of a large coverage


class _Arcs:
    """A polygonal layer cut into arcs between nodes, for a fast, edge-matched thinning.

    Node: a vertex whose neighbours along the rings through it are not one and the same
    pair (three or more edges meet there, or rings touch), one used by more than two ring
    passes, and every ring's first vertex. Between nodes, every polygon that uses a vertex
    sees the same neighbours, so a per-vertex keep/drop decision keeps edges matched.
    """

    def __init__(self, polygons: np.ndarray):
        self.was_polygon = shapely.get_type_id(polygons) == int(GeometryType.POLYGON)
        kind, coords, offsets = shapely.to_ragged_array(polygons, include_z=False)
        self.kind = kind
        self.coords = coords
        self.offsets = offsets
        ring_offsets = offsets[0].astype(np.intp)
        self.ring_starts = ring_offsets[:-1]
        self.ring_ends = ring_offsets[1:] - 1  # the closing vertex
        self.vid = _vertex_ids(self.coords)
        self.node = self._nodes()
        self.lines = self._lines()
        self._owner: np.ndarray | None = None

    def _nodes(self) -> np.ndarray:
        return ring_nodes(self.vid, self.ring_starts, self.ring_ends)

    def _lines(self) -> np.ndarray:
        """The arcs as LineStrings (z = vertex id): every ring cut at its nodes, and of an
        arc that two rings share (once each way) only one copy, the one holding the first
        occurrence of the arc's smallest inner vertex id."""
        vid = self.vid
        n = len(vid)
        inner_node = self.node[vid]  # a node inside a ring ends one arc and starts the next
        inner_node[self.ring_starts] = False
        inner_node[self.ring_ends] = False
        copies = 1 + inner_node
        position = np.repeat(np.arange(n), copies)
        entry = np.cumsum(copies) - copies  # the (first) entry of each position
        starts = np.sort(np.concatenate([entry[self.ring_starts], entry[inner_node] + 1]))
        lengths = np.diff(np.append(starts, len(position)))
        arc = np.repeat(np.arange(len(starts)), lengths)
        inner = np.ones(len(position), dtype=bool)
        inner[starts] = False
        inner[starts + lengths - 1] = False
        smallest = np.minimum.reduceat(np.where(inner, vid[position], n), starts)
        smallest = smallest[lengths > 2]  # arcs of two vertices have nothing to thin
        first_seen = np.empty(int(vid.max()) + 1, dtype=np.intp)
        first_seen[vid[::-1]] = np.arange(n - 1, -1, -1)
        use = np.zeros(len(starts), dtype=bool)
        use[arc[entry[first_seen[smallest]]]] = True
        chosen = position[use[arc]]
        xyz = np.empty((len(chosen), 3))
        xyz[:, :2] = self.coords[chosen]
        xyz[:, 2] = vid[chosen]
        offsets = np.concatenate([[0], np.cumsum(lengths[use])])
        return shapely.from_ragged_array(GeometryType.LINESTRING, xyz, (offsets,))

    def _ring_sizes(self, keep_position: np.ndarray) -> np.ndarray:
        return np.add.reduceat(keep_position.astype(np.intp), self.ring_starts)

    def owner(self) -> np.ndarray:
        """The polygon (row of the input) of every coordinate."""
        if self._owner is None:
            offsets = [o.astype(np.intp) for o in self.offsets]
            ring_owner = np.repeat(np.arange(len(offsets[-1]) - 1), np.diff(offsets[-1]))
            if len(offsets) == 3:  # MultiPolygon: ring -> part -> row
                ring_owner = ring_owner[np.repeat(np.arange(len(offsets[1]) - 1),
                                                  np.diff(offsets[1]))]
            self._owner = np.repeat(ring_owner, np.diff(offsets[0]))
        return self._owner

    def reduce(self, distance: float, restore: np.ndarray | None = None) -> np.ndarray:
        """The polygons with each arc thinned by Douglas–Peucker at ``distance``; rows
        flagged in ``restore`` (and their neighbours' shared edges) keep every vertex."""
        thinned = shapely.simplify(self.lines, distance, preserve_topology=False)
        kept = shapely.get_coordinates(thinned, include_z=True)[:, 2].astype(np.intp)
        keep = self.node.copy()
        keep[kept] = True
        if restore is not None and restore.any():
            keep[self.vid[restore[self.owner()]]] = True
        keep_position = keep[self.vid]
        sizes = self._ring_sizes(keep_position)
        collapsed = sizes < 4  # a ring needs three corners and its closing vertex
        if collapsed.any():
            ring = np.repeat(np.arange(len(sizes)), np.diff(self.offsets[0]))
            keep[self.vid[collapsed[ring]]] = True
            keep_position = keep[self.vid]
        polygons = self._build(keep_position)
        # Thinning moved an edge across another of the same polygon: keep those rows whole
        # (with the edges their neighbours share). Crossings between two polygons show
        # only in the coverage check after the last pass (see _Simplifier.retry).
        invalid = ~shapely.is_valid(polygons)
        if invalid.any():
            keep[self.vid[invalid[self.owner()]]] = True
            polygons = self._build(keep[self.vid])
        return polygons

    def _build(self, keep_position: np.ndarray) -> np.ndarray:
        sizes = self._ring_sizes(keep_position)
        ring_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(self.offsets[0].dtype)
        return shapely.from_ragged_array(self.kind, self.coords[keep_position],
                                         (ring_offsets, *self.offsets[1:]))

    def restore_types(self, polygons: np.ndarray) -> np.ndarray:
        """Rows that were Polygons are Polygons again (ragged arrays of mixed layers are
        all MultiPolygons)."""
        if self.kind == GeometryType.MULTIPOLYGON and self.was_polygon.any():
            polygons = polygons.copy()
            polygons[self.was_polygon] = shapely.get_geometry(polygons[self.was_polygon], 0)
        return polygons


def ring_nodes(vid: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per distinct vertex id, whether it is a node of the rings (``vid``: the id of every
    coordinate; ``starts``/``ends``: each ring's first and closing position): a vertex
    whose neighbours along the rings through it are not one and the same pair (three or
    more edges meet there, or rings touch), one used by more than two ring passes, and
    every ring's first vertex. Between two nodes every ring through a vertex sees the same
    neighbours, so the rings cut at their nodes share whole arcs."""
    n_unique = int(vid.max()) + 1 if len(vid) else 0
    following = np.empty_like(vid)
    following[:-1] = vid[1:]  # the closing vertex repeats the first: rings wrap
    preceding = np.empty_like(vid)
    preceding[1:] = vid[:-1]
    preceding[starts] = vid[ends - 1]
    inner = np.ones(len(vid), dtype=bool)
    inner[ends] = False
    at, low, high = vid[inner], np.minimum(preceding, following)[inner], \
        np.maximum(preceding, following)[inner]
    big = np.iinfo(vid.dtype).max
    node = np.zeros(n_unique, dtype=bool)
    for values in (low, high):
        smallest = np.full(n_unique, big, dtype=vid.dtype)
        largest = np.full(n_unique, -1, dtype=vid.dtype)
        np.minimum.at(smallest, at, values)
        np.maximum.at(largest, at, values)
        node |= smallest != largest
    node |= np.bincount(at, minlength=n_unique) > 2
    node[vid[starts]] = True
    return node


def _vertex_ids(coords: np.ndarray) -> np.ndarray:
    """One integer per distinct coordinate pair (exact equality; -0.0 equals 0.0)."""
    coords = coords + 0.0  # -0.0 becomes 0.0: equal values, equal bits
    bits = coords.view(np.uint64)
    key = (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ bits[:, 1]
    vid, uniques = pd.factorize(key)
    representative = np.empty(len(uniques), dtype=np.intp)
    representative[vid] = np.arange(len(vid))
    if not np.array_equal(coords[representative[vid]], coords):  # a hash collision
        _, vid = np.unique(coords, axis=0, return_inverse=True)
    return vid.astype(np.intp).ravel()


# ----------------------------------------------------------------------------------------
# the tolerance search


def _count(polygons: np.ndarray) -> int:
    return int(shapely.get_num_coordinates(polygons).sum())


def _search(start: Callable[[float], np.ndarray], budget: int, tolerance: float, *,
            floor: float = BUDGET_FLOOR, aim: float = BUDGET_AIM,
            slope: float = DEFAULT_SLOPE,
            cascade: Callable[[np.ndarray, float], np.ndarray] | None = None,
            ) -> tuple[np.ndarray, float, float]:
    """The simplification with at most ``budget`` vertices and the most vertices found
    (at least ``floor * budget`` unless the count cannot get there), with its
    tolerance; or, when no tolerance gets under the budget, the last one tried. Also the
    slope measured (see :func:`_slope`; ``slope`` until two passes have measured one).

    ``start(t)`` simplifies from scratch; a larger tolerance then cascades from the last
    result above the budget (see the module docstring) with ``cascade(polygons, t)``
    (default :func:`shapely.coverage_simplify`). A pass between one above and one under
    the budget that replaces neither would be repeated unchanged until
    :data:`MAX_PASSES` (a count that jumps, as it does for regular shapes such as
    circles): the search stops there with the same result.
    """
    aim, floor = aim * budget, floor * budget
    above: tuple[np.ndarray, float, int] | None = None  # cascade from here
    below: tuple[np.ndarray, float, int] | None = None  # the best within budget
    history: list[tuple[float, int]] = []
    polygons = start(tolerance)
    last: tuple[object, object] | None = None  # (above, below) that gave this tolerance
    for _ in range(MAX_PASSES):
        n = _count(polygons)
        if history and history[-1][1] == n and max(
                tolerance / history[-1][0], history[-1][0] / tolerance) >= 4:
            break  # the count no longer moves: triangles, or only collinear vertices left
        history.append((tolerance, n))
        if n > budget:
            above = (polygons, tolerance, n)
        elif below is None or n > below[2]:
            below = (polygons, tolerance, n)
        if below is not None and below[2] >= floor:
            break
        if last is not None and last[0] is above and last[1] is below:
            break  # the next tolerance would be this one again: the same pass, forever
        last = (above, below) if above is not None and below is not None else None
        slope = _slope(history, slope)
        if above is None:  # all under the floor so far: begin again, lower
            tolerance *= min(0.9, max(1 / 16, (n / aim) ** (1 / slope)))
            polygons = start(tolerance)
            continue
        if below is None:  # extrapolate; at least double when the count did not move
            least = 2.0 if len(history) > 1 and history[-2][1] == n else 1.05
            tolerance = above[1] * min(16.0, max(least, (above[2] / aim) ** (1 / slope)))
        else:  # between a pass above and one under: interpolate in log-log
            low_t, high_t = math.log(above[1]), math.log(below[1])
            share = math.log(above[2] / aim) / math.log(above[2] / below[2])
            tolerance = math.exp(low_t + min(0.9, max(0.1, share)) * (high_t - low_t))
        polygons = (cascade(above[0], tolerance) if cascade is not None
                    else shapely.coverage_simplify(above[0], tolerance))
    best = below if below is not None else above
    assert best is not None
    return best[0], best[1], _slope(history, slope)


def _slope(history: list[tuple[float, int]], default: float) -> float:
    """-d log(count) / d log(tolerance) from the last two passes that differ."""
    for (t0, n0), (t1, n1) in zip(history[-2::-1], history[:0:-1], strict=False):
        if t0 != t1 and n0 != n1 and n0 > 0 and n1 > 0:
            return min(4.0, max(0.3, -math.log(n1 / n0) / math.log(t1 / t0)))
    return default


def _first_tolerance(polygons: np.ndarray, counts: np.ndarray, budget: int,
                     simplify: Callable[[np.ndarray, float], np.ndarray] | None = None,
                     ) -> tuple[float, float]:
    """A tolerance that leaves about ``budget`` vertices, and the slope there: those of
    simplifying every k-th polygon (about :data:`SAMPLE_VERTICES` vertices) to the same
    share of its vertices, within 5 %. (The slope varies: 0.7 for Sweden's RegSO around
    400 m, 2.9 for the benchmark's Voronoi cells with their even 4 m wiggles at 33 m.)"""
    step = max(1, round(counts.sum() / SAMPLE_VERTICES))
    sample = polygons[::step]
    share = budget / counts.sum()
    sample_budget = max(1, int(share * counts[::step].sum()))
    guess = 0.05 * math.sqrt(shapely.area(polygons).sum() / budget) or 1.0
    simplify = simplify or shapely.coverage_simplify
    _, tolerance, slope = _search(lambda t: simplify(sample, t), sample_budget, guess,
                                  floor=0.95, aim=0.98, cascade=simplify)
    # Measured (tolerance of the sample / of the layer): Sweden's RegSO 0.83-0.90 for
    # budgets of 40 000 to 250 000; the synthetic Voronoi layer of the benchmark 0.98-1.0.
    # Too low costs one cascade pass (0.2 s at 80 000 vertices), too high a second
    # pre-reduction and first pass (0.5 s), so the sample's tolerance is used as it is.
    return FIRST_FACTOR * tolerance, slope


def _loose_share(polygons: np.ndarray, among: np.ndarray | None = None, *,
                 gaps: bool = True) -> float:
    """The share of a sample of the polygons that overlap a neighbour or (``gaps``) leave
    a gap narrower than :data:`GAP_M` to one: 0 for a valid coverage without narrow gaps.

    Up to :data:`LOOSE_SAMPLE_ROWS` rows (of ``among``, default all), evenly spread, each
    compared with the polygons whose bounding boxes come within :data:`GAP_M` (at most
    :data:`LOOSE_SAMPLE_PAIRS` pairs; rows whose pairs were cut are not counted). Overlap:
    one of :data:`LOOSE_SAMPLE_POINTS` vertices of the row, evenly spread, lies inside
    the neighbour, more than :data:`OVERLAP_DEPTH_M` from its border (a vertex that a
    neighbour has on its edge but the row does not is not an overlap). The neighbours are
    prepared (indexed) for the tests, so a polygon of 250 000 vertices costs milliseconds.
    Invalid polygons are left out.
    """
    among = np.arange(len(polygons)) if among is None else among
    if len(among) == 0:
        return 0.0
    rows = among[np.unique(np.linspace(0, len(among) - 1,
                                       min(len(among), LOOSE_SAMPLE_ROWS)).astype(np.intp))]
    bounds = shapely.bounds(polygons[rows])
    reach = shapely.box(bounds[:, 0] - GAP_M, bounds[:, 1] - GAP_M, bounds[:, 2] + GAP_M,
                        bounds[:, 3] + GAP_M)
    left, right = shapely.STRtree(polygons).query(reach)
    keep = rows[left] != right
    left, right = left[keep], right[keep]
    involved = np.unique(np.concatenate([rows, right]))
    invalid = involved[~shapely.is_valid(polygons[involved])]
    keep = ~np.isin(rows[left], invalid) & ~np.isin(right, invalid)
    left, right = left[keep], right[keep]
    checked = np.zeros(len(rows), dtype=bool)
    checked[left] = True
    checked[left[LOOSE_SAMPLE_PAIRS:]] = False
    keep = checked[left]
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return 0.0
    neighbours, at = np.unique(right, return_inverse=True)
    # Copies: preparing the caller's geometries would let another thread's display
    # geometry of the same polygons use an index this one frees.
    shapes = shapely.transform(polygons[neighbours], lambda c: c)
    borders = shapely.boundary(shapes)
    shapely.prepare(shapes)
    shapely.prepare(borders)
    a, b = polygons[rows[left]], shapes[at]
    touching = shapely.intersects(b, a)
    loose = np.zeros(len(a), dtype=bool)
    if gaps:
        loose[~touching] = shapely.dwithin(b[~touching], a[~touching], GAP_M)
    coords, owner = shapely.get_coordinates(polygons[rows], return_index=True)
    first = np.searchsorted(owner, np.arange(len(rows)))
    size = np.diff(np.append(first, len(owner)))
    step = np.maximum(1, -(-size // LOOSE_SAMPLE_POINTS))
    picked = np.flatnonzero((np.arange(len(owner)) - first[owner]) % step[owner] == 0)
    spots = shapely.points(coords[picked])  # each row's points, made once
    per_row = np.bincount(owner[picked], minlength=len(rows))
    offset = np.cumsum(per_row) - per_row
    pairs = np.flatnonzero(touching)
    pair = np.repeat(pairs, per_row[left[pairs]])
    spot = np.arange(len(pair)) - np.repeat(np.cumsum(per_row[left[pairs]])
                                            - per_row[left[pairs]], per_row[left[pairs]])
    spot += offset[left[pair]]
    inside = shapely.contains_properly(b[pair], spots[spot])
    inside[inside] = ~shapely.dwithin(borders[at[pair[inside]]], spots[spot[inside]],
                                      OVERLAP_DEPTH_M)
    loose[pair[inside]] = True
    flagged = np.zeros(len(rows), dtype=bool)
    flagged[left[loose]] = True
    return float(flagged[checked].sum() / max(1, checked.sum()))


def _ring_counts(polygons: np.ndarray) -> np.ndarray:
    """Rings (exteriors and holes) per row."""
    parts, row = shapely.get_parts(polygons, return_index=True)
    return np.bincount(row, weights=1 + shapely.get_num_interior_rings(parts),
                       minlength=len(polygons))


def _fits(polygons: np.ndarray) -> bool:
    """Valid polygons forming a valid coverage."""
    return bool(shapely.is_valid(polygons).all() and shapely.coverage_is_valid(polygons))


def _bad_rows(polygons: np.ndarray) -> np.ndarray:
    """Rows that are invalid or have invalid coverage edges."""
    return ~shapely.is_valid(polygons) | ~shapely.is_empty(
        shapely.coverage_invalid_edges(polygons))


class _Simplifier:
    """The simplifications of one layer (metric CRS), best first: :meth:`first`, then
    :meth:`retry` with the rows that came out invalid until it gives up (None).

    A layer whose sampled polygons overlap or leave narrow gaps (:func:`_loose_share` at
    least :data:`LOOSE_SHARE`) is simplified polygon by polygon (:meth:`_polygonwise`)."""

    def __init__(self, polygons: np.ndarray, budget: int):
        self.polygons, self.budget = polygons, budget
        self.counts = shapely.get_num_coordinates(polygons)
        self.loose = _loose_share(polygons) >= LOOSE_SHARE
        self.arcs = (_Arcs(polygons) if self.counts.sum() > PREREDUCE_ABOVE and not self.loose
                     else None)
        self.tolerance = 0.0
        self.stage = "first"
        self._rings: np.ndarray | None = None

    def _run(self, start: Callable[[float], np.ndarray], tolerance: float,
             slope: float = DEFAULT_SLOPE) -> np.ndarray:
        result, self.tolerance, _ = _search(start, self.budget, tolerance, slope=slope)
        return self.arcs.restore_types(result) if self.arcs is not None else result

    def _full(self, t: float) -> np.ndarray:
        return shapely.coverage_simplify(self.polygons, t)

    def _pre_reduced(self, restore: np.ndarray | None) -> Callable[[float], np.ndarray]:
        assert self.arcs is not None
        arcs = self.arcs
        return lambda t: shapely.coverage_simplify(arcs.reduce(t / PREREDUCE_RATIO, restore), t)

    def _polygonwise(self, t: float) -> np.ndarray:
        """Each polygon simplified alone with Douglas–Peucker at ``t`` (fast, 0.2 s for
        2.4 million vertices); rows that this empties, makes invalid or loses a ring of
        are simplified with ``preserve_topology=True`` (ten times as slow), so that every
        area, island and hole stays."""
        if self._rings is None:
            self._rings = _ring_counts(self.polygons)
        result = shapely.simplify(self.polygons, t, preserve_topology=False)
        broken = (shapely.is_empty(result) | ~shapely.is_valid(result)
                  | (shapely.get_type_id(result) != shapely.get_type_id(self.polygons)))
        broken |= _ring_counts(result) != self._rings
        if broken.any():
            result[broken] = shapely.simplify(self.polygons[broken], t, preserve_topology=True)
        return result

    def first(self) -> np.ndarray:
        if self.loose:  # no edges in common to keep: each polygon alone
            self.stage = "full"
            guess, slope = _first_tolerance(
                self.polygons, self.counts, self.budget,
                lambda g, t: shapely.simplify(g, t, preserve_topology=False))
            result, self.tolerance, _ = _search(self._polygonwise, self.budget, guess,
                                                slope=slope,
                                                cascade=lambda _, t: self._polygonwise(t))
            return result
        if self.arcs is None:
            guess = 0.05 * math.sqrt(shapely.area(self.polygons).sum() / self.budget) or 1.0
            self.stage = "full"
            return self._run(self._full, guess)
        return self._run(self._pre_reduced(None),
                         *_first_tolerance(self.polygons, self.counts, self.budget))

    def retry(self, result: np.ndarray) -> np.ndarray | None:
        """A better simplification than ``result`` (which is no valid coverage), or None."""
        if self.stage == "first":
            # Douglas-Peucker moved an edge across another: those rows keep every vertex.
            self.stage = "restored"
            return self._run(self._pre_reduced(_bad_rows(result)), self.tolerance)
        if self.stage == "restored":
            self.stage = "full"
            # A valid coverage: simplify the full borders (slow). Rows still bad that
            # overlap in the input as well say it is none without checking all of it
            # (3 s for Sweden's RegSO, 7 s for 2.4 million vertices of circles).
            overlapping = _loose_share(self.polygons, np.flatnonzero(_bad_rows(result)),
                                       gaps=False) > 0
            if not overlapping and _fits(self.polygons):
                return self._run(self._full, self.tolerance)
        if self.stage == "full":
            self.stage = "alone"
            broken = ~shapely.is_valid(result)
            broken[broken] = shapely.is_valid(self.polygons[broken])
            if broken.any():  # no valid coverage to start with: fix the rows it broke
                result = result.copy()
                result[broken] = shapely.simplify(self.polygons[broken], self.tolerance / 4,
                                                  preserve_topology=True)
                return result
        return None


# ----------------------------------------------------------------------------------------
# the public functions


def _round(geometry: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometry, lambda c: np.round(c, decimals))


def _rounded(shown: np.ndarray, decimals: int,
             coverage: bool = True) -> tuple[np.ndarray, int, bool]:
    """``shown`` (EPSG:4326, no missing or empty rows) with coordinates rounded to
    ``decimals``, how many vertices were left finer, and whether the result fits
    (:func:`_fits`).

    Rounding can break validity: a vertex snaps across an edge less than the grid away
    (Sweden's RegSO at full detail: 172 rows at 5 decimals, and still 6 at 7). Then the
    vertices of the rows it broke get :data:`MAX_DECIMALS` decimals, and, where that is
    not enough, keep their full precision. The choice is made per vertex, so a shared
    vertex is rounded alike in every polygon that has it, and only where needed (Sweden's
    RegSO at 80 000 vertices: about 100 vertices). Problems that were there before
    rounding (a layer that is no valid coverage) are left as they are. ``coverage``
    False: the polygons are known to overlap or leave gaps (simplified one by one), so
    only the polygons' own validity is checked (the coverage checks of overlapping
    polygons are slow: 1.7 s for 24 polygons of 5 000 vertices that all overlap).
    """
    rounded = _round(shown, decimals)
    invalid_before = ~shapely.is_valid(shown)  # cheap; the coverage check only if needed
    overlaps_before: np.ndarray | None = None
    level: np.ndarray | None = None  # per vertex: 0 decimals, 1 MAX_DECIMALS, 2 full
    coords = row = vid = None
    for _ in range(MAX_REFINEMENTS):
        invalid = ~shapely.is_valid(rounded)
        bad = invalid & ~invalid_before
        if not bad.any() and not coverage:
            return rounded, _finer(level), False
        if not bad.any():
            overlaps = ~shapely.is_empty(shapely.coverage_invalid_edges(rounded))
            if not overlaps.any():
                return rounded, _finer(level), not invalid.any()
            if overlaps_before is None:
                overlaps_before = ~shapely.is_empty(shapely.coverage_invalid_edges(shown))
            bad = overlaps & ~overlaps_before & ~invalid_before
            if not bad.any():
                return rounded, _finer(level), False  # as before rounding
        if level is None:
            coords, row = shapely.get_coordinates(shown, return_index=True)
            vid = _vertex_ids(coords)
            level = np.zeros(int(vid.max()) + 1, dtype=np.int8)
        assert coords is not None and row is not None and vid is not None
        bump = np.zeros(len(level), dtype=bool)
        bump[vid[bad[row]]] = True
        bump &= level < 2
        if not bump.any():
            break
        level[bump] += 1
        per_vertex = level[vid]
        new = np.round(coords, decimals)
        finer = per_vertex == 1
        new[finer] = np.round(coords[finer], max(decimals, MAX_DECIMALS))
        new[per_vertex == 2] = coords[per_vertex == 2]
        rounded = shapely.transform(shown, lambda _, new=new: new)
    return rounded, _finer(level), coverage and _fits(rounded)


def _finer(level: np.ndarray | None) -> int:
    return 0 if level is None else int(np.count_nonzero(level))


def prepare_display_geometry(frame: gpd.GeoDataFrame, *, vertex_budget: int | None = None,
                             decimals: int = 5) -> DisplayGeometry:
    """Borders of ``frame`` for a web map: EPSG:4326, at most ``vertex_budget`` vertices
    (None: not simplified), coordinates rounded to ``decimals`` decimals, shared edges
    kept. See the module docstring for how and :class:`DisplayGeometry` for the result.

    Raises ValueError when the frame has no CRS, holds other geometries than polygons, or
    the budget or decimals are not usable numbers.
    """
    started = time.perf_counter()
    _check_frame(frame, vertex_budget, decimals)
    series = frame.geometry
    geoms = np.asarray(series.array, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    vertices_in = _count(geoms)
    out = geoms.copy()
    if not present.any():
        return DisplayGeometry(gpd.GeoSeries(out, index=frame.index, crs=DISPLAY_CRS,
                                             name=series.name),
                               vertices_in, vertices_in, 0.0, int(decimals), True,
                               time.perf_counter() - started, 0)
    simplifier = None
    crs = series.crs
    polygons = geoms[present]
    if vertex_budget is not None and vertices_in > vertex_budget:
        metric = series[present] if crs.is_projected else series[present].to_crs(METRIC_CRS)
        crs = metric.crs
        simplifier = _Simplifier(np.asarray(metric.array, dtype=object), int(vertex_budget))
        polygons = simplifier.first()
    while True:
        shown = np.asarray(gpd.GeoSeries(polygons, crs=crs).to_crs(DISPLAY_CRS).array,
                           dtype=object)
        rounded, refined, valid = _rounded(
            shown, int(decimals), coverage=simplifier is None or not simplifier.loose)
        if valid or simplifier is None:
            break
        retried = simplifier.retry(polygons)
        if retried is None:
            break
        polygons = retried
    out[present] = rounded
    return DisplayGeometry(
        geometry=gpd.GeoSeries(out, index=frame.index, crs=DISPLAY_CRS, name=series.name),
        vertices_in=vertices_in, vertices_out=_count(out),
        tolerance_m=float(simplifier.tolerance) if simplifier is not None else 0.0,
        decimals=int(decimals), coverage_valid=valid, seconds=time.perf_counter() - started,
        refined_vertices=refined)


def geometry_key(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """SHA-256 of the frame's index values, CRS and geometries (not its other columns).

    Polygon layers are hashed from their coordinate and offset arrays
    (:func:`shapely.to_ragged_array`), which is exact and about three times as fast as
    WKB (Sweden's RegSO: 0.05 s against 0.18 s); other layers from WKB.
    """
    digest = hashlib.sha256()
    digest.update(str(frame.index.dtype).encode())
    digest.update(pd.util.hash_pandas_object(frame.index, index=False).to_numpy().tobytes())
    digest.update(b"crs:" + (frame.crs.to_wkt().encode() if frame.crs is not None else b""))
    geoms = np.asarray(frame.geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    digest.update(types.astype(np.int8).tobytes() + empty.tobytes())
    shapes = geoms[(types >= 0) & ~empty]
    if len(shapes) and np.isin(types[(types >= 0) & ~empty], _POLYGONAL).all() \
            and not shapely.has_z(shapes).any():
        kind, coords, offsets = shapely.to_ragged_array(shapes)
        digest.update(b"ragged%d" % int(kind))
        for part in (coords, *offsets):
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(np.ascontiguousarray(part).tobytes())
    else:
        for wkb in shapely.to_wkb(shapes):
            digest.update(len(wkb).to_bytes(8, "little") + wkb)
    return digest.hexdigest()


_CACHE = LRUCache(CACHE_SIZE)
# One lock per key being computed, so that sessions asking for the same map wait for one
# computation (a national layer takes seconds) and other keys are not held up.
_KEY_LOCKS: dict[tuple[str, int | None, int], threading.Lock] = {}
_KEY_LOCKS_LOCK = threading.Lock()


def display_geometry(frame: gpd.GeoDataFrame, *, vertex_budget: int | None = None,
                     decimals: int = 5) -> DisplayGeometry:
    """:func:`prepare_display_geometry`, memoised in-process (the last :data:`CACHE_SIZE`
    results, :class:`geo.cache.LRUCache`) by :func:`geometry_key`, the budget and the
    decimals. Thread-safe: sessions asking for the same key wait for one computation;
    other keys are not held up."""
    _check_frame(frame, vertex_budget, decimals)
    key = (geometry_key(frame), None if vertex_budget is None else int(vertex_budget),
           int(decimals))
    result = _CACHE.get(key)
    if result is not None:
        return result
    with _KEY_LOCKS_LOCK:
        key_lock = _KEY_LOCKS.setdefault(key, threading.Lock())
    with key_lock:
        result = _CACHE.get(key)
        if result is None:
            result = prepare_display_geometry(frame, vertex_budget=vertex_budget,
                                              decimals=decimals)
            _CACHE.put(key, result)
    with _KEY_LOCKS_LOCK:
        _KEY_LOCKS.pop(key, None)
    return result


def clear_display_cache() -> None:
    """Forget every memoised display geometry (for tests and benchmarks)."""
    _CACHE.clear()


def vertex_budget_for(n_areas: int, *, max_bytes: float, bytes_per_vertex: float = 22.0,
                      bytes_per_area: float = 400.0) -> int:
    """The vertex budget that keeps the features of a map of ``n_areas`` areas under
    ``max_bytes``: ``(max_bytes - n_areas * bytes_per_area) / bytes_per_vertex``, but at
    least :data:`MIN_VERTICES_PER_AREA` per area (a tiny ``max_bytes`` cannot make areas
    vanish; the map is then larger than asked).

    The defaults: a vertex written at 5 decimals is ``[17.93452,59.12345],`` (20
    characters), 22 with the odd longer number and the rings' brackets (measured: GEOS'
    GeoJSON of Sweden's RegSO at 80 000 vertices is 21.4 bytes a vertex); an area's feature
    costs about 400 bytes besides its vertices (``{"type":"Feature","properties":...,
    "geometry":{"type":"Polygon","coordinates":...}}`` about 100, a tooltip about 300).
    """
    problems = []
    if isinstance(n_areas, bool) or not isinstance(n_areas, int | np.integer) or n_areas < 0:
        problems.append(f"n_areas={n_areas!r}: förväntat ett heltal ≥ 0")
    for name, value, least in (("max_bytes", max_bytes, 0.0),
                               ("bytes_per_area", bytes_per_area, 0.0)):
        if not (isinstance(value, int | float | np.number) and value >= least):
            problems.append(f"{name}={value!r}: förväntat ett tal ≥ {least:g}")
    if not (isinstance(bytes_per_vertex, int | float | np.number) and bytes_per_vertex > 0):
        problems.append(f"bytes_per_vertex={bytes_per_vertex!r}: förväntat ett tal > 0")
    if problems:
        raise ValueError("; ".join(problems) + ".")
    free = max_bytes - n_areas * bytes_per_area
    return max(MIN_VERTICES_PER_AREA * int(n_areas), math.floor(free / bytes_per_vertex))
