"""Spatial weights between areas: the one builder used by hot spots and by merging.

Rule (:func:`contiguity_graph`): **queen contiguity by intersection.** Two areas are
neighbours when their polygons intersect: a shared edge, a shared corner, or an overlap.
On a coverage (polygons that share only boundary points and edges: valid area layers such
as SCB's DeSO and RegSO) this is exactly libpysal's strict queen contiguity
(``Graph.build_contiguity(rook=False, strict=True)``), the same links in the same order, so
results on the shipped data are unchanged. It differs only on layers that are no coverage:
two areas drawn over each other are neighbours here, and isolates under the strict test.
That is the rule chosen for both users, because
:mod:`geo.spatial.hotspots` and :mod:`geo.spatial.merge` ask the same question (which areas
lie next to each other on the ground?), an overlap is more "next to" than a corner, and an
area overlapping its neighbours must not be reported as an island without neighbours.
"intersects" is also some ten times faster than "touches" (see :func:`queen_graph`).

``"knn"`` (:func:`build_weights`) gives every area its :data:`KNN_K` nearest neighbours by
centroid distance, for layers that are not contiguous (hot spots only).

Weights are binary; isolates are zero-weight self-loops, as libpysal's builders give them.
The graphs are :class:`~geo.spatial.graph.AreaGraph` (ids and links as numpy arrays, laid
out as libpysal's ``Graph``): queen contiguity needs neither libpysal nor scipy, and only
``"knn"`` imports libpysal, when it is chosen.
The layer's queen graph is kept for the last :data:`GRAPH_CACHE_SIZE` area sets, keyed by a
digest of the ids and exact geometries (:func:`fingerprint`, itself computed once per
area set): a new weight or profile, or merging after hot spots, neither rebuilds the
graph nor hashes the geometry again.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import shapely

from geo.cache import LRUCache
from geo.spatial.graph import AreaGraph

SWEREF = "EPSG:3006"
WEIGHTS = ("queen", "knn")
KNN_K = 4


# Geometry types libpysal's contiguity builders accept.
_CONTIGUITY_TYPES = frozenset({"Polygon", "MultiPolygon", "LineString", "MultiLineString"})
# The layer's Queen graph per area set (see contiguity_graph): a weight change reuses it.
GRAPH_CACHE_SIZE = 4
_graph_cache = LRUCache(GRAPH_CACHE_SIZE)


# Layers with at least this many areas are queried on two threads (shapely releases the GIL).
_THREADED_QUERY = 1000


def _intersecting(shapes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i, j) of ``shapes`` that intersect (i == j included), ordered by i as
    ``STRtree.query(shapes, predicate="intersects")`` gives them. Large layers are queried
    in two halves on two threads: each input's hits do not depend on the other inputs,
    so the halves put together are the same pairs in the same order."""
    tree = shapely.STRtree(shapes)
    workers = min(2, os.cpu_count() or 1)
    if len(shapes) < _THREADED_QUERY or workers < 2:
        return tree.query(shapes, predicate="intersects")
    half = len(shapes) // 2
    with ThreadPoolExecutor(workers) as pool:
        first, second = pool.map(lambda part: tree.query(shapes[part], predicate="intersects"),
                                 (slice(0, half), slice(half, None)))
    second = second + np.array([[half], [0]], dtype=second.dtype)
    return np.concatenate([first, second], axis=1)


def queen_graph(geoms: gpd.GeoDataFrame | gpd.GeoSeries) -> AreaGraph:
    """Queen contiguity of ``geoms`` (labelled by their index): binary weights between
    geometries that intersect, isolates as zero-weight self-loops.

    On a coverage (polygons that share only boundary points and edges: valid area layers)
    two polygons intersect exactly when they touch, so this is the graph of
    libpysal's ``Graph.build_contiguity(geoms, rook=False, strict=True)``, the same links
    (integer weights 1) in the same order, but some ten times faster: "touches" must
    compare the interiors of every pair, while "intersects" stops at the first shared
    point. Unlike the strict builder, areas that overlap (an invalid coverage, e.g. a
    district drawn over its neighbours) count as neighbours here too.
    """
    geometry = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    types = set(geometry.geom_type)
    if not types <= _CONTIGUITY_TYPES:     # as Graph.build_contiguity
        raise ValueError(f"This Graph type is only well-defined for geom_types: "
                         f"{set(_CONTIGUITY_TYPES)}.")
    shapes = np.asarray(geometry.array)
    heads, tails = _intersecting(shapes)
    other = heads != tails
    heads, tails = heads[other], tails[other]
    return AreaGraph.from_arrays(geometry.index, heads, tails, np.ones_like(heads, dtype=int))


# The last FINGERPRINT_CACHE_SIZE fingerprints, by the identity of the geometry objects
# (see fingerprint): a weight change hands the same area frame again.
FINGERPRINT_CACHE_SIZE = 8
_fingerprint_cache = LRUCache(FINGERPRINT_CACHE_SIZE)


def fingerprint(geoms: gpd.GeoDataFrame) -> str:
    """:func:`_geometry_fingerprint` of ``geoms``, computed once per area set.

    Hashing every vertex costs about 0.1 s for Sweden's RegSO (1.9 M vertices), and every
    weight change hands the very same geometry objects again (in a new frame: the hot-spot
    search relabels them). So the fingerprint is kept for the last
    :data:`FINGERPRINT_CACHE_SIZE` area sets, found by the ids (in order) and the
    identity of each geometry object, in order. That is a content check, not a guess:
    shapely geometries are immutable, and the kept entry holds a reference to every one
    of its objects, so none of them can be freed and its ``id`` reused by another
    geometry while the entry exists; the same objects in the same order are the same
    geometries. A copy of the geometries (other objects, equal content) is hashed anew
    and gets the same fingerprint.
    """
    shapes = np.asarray(geoms.geometry.array)
    labels = json.dumps([str(a) for a in geoms.index]).encode("utf-8")
    key = (labels, np.fromiter(map(id, shapes), dtype=np.int64, count=len(shapes)).tobytes())
    held = _fingerprint_cache.get(key)
    if held is None:
        held = (_geometry_fingerprint(geoms), shapes)   # shapes: keeps the objects alive
        _fingerprint_cache.put(key, held)
    return held[0]


def _geometry_fingerprint(geoms: gpd.GeoDataFrame) -> str:
    """A SHA-256 of the area ids (in order) and the exact geometries.

    Geometries are hashed as shapely's ragged arrays (geometry type, every coordinate and
    the part and ring offsets: the geometry exactly, single polygons promoted to
    multipolygons when the layer mixes them, which contiguity does not tell apart; plus
    which geometries are missing, since those are written as empty), or as
    WKB when the layer cannot be written that way (e.g. mixed polygons and lines).
    """
    digest = hashlib.sha256(json.dumps([str(a) for a in geoms.index]).encode("utf-8"))
    shapes = np.asarray(geoms.geometry.array)
    try:
        kind, coords, offsets = shapely.to_ragged_array(shapes)
        arrays = (coords, *offsets, shapely.is_missing(shapes))   # None is written as empty
        digest.update(f"ragged {int(kind)} {len(shapes)}".encode())
    except (ValueError, NotImplementedError, TypeError):
        arrays = ()
        digest.update(f"wkb {len(shapes)}".encode())
        for blob in shapely.to_wkb(shapes):
            digest.update(len(blob or b"").to_bytes(8, "little"))
            digest.update(blob or b"")
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def contiguity_graph(geoms: gpd.GeoDataFrame | gpd.GeoSeries) -> AreaGraph:
    """:func:`queen_graph` of ``geoms`` (labelled by their index), kept in-process for the
    last :data:`GRAPH_CACHE_SIZE` area sets (keyed by :func:`fingerprint`), so that a new
    weight or profile does not rebuild it.
    The cached graph is shared; it is immutable (its users only derive new graphs
    from it)."""
    key = fingerprint(geoms)
    graph = _graph_cache.get(key)
    if graph is None:
        graph = queen_graph(geoms)
        _graph_cache.put(key, graph)
    return graph


def clear_graph_cache() -> None:
    """Forget the cached Queen graphs and fingerprints (for benchmarks and tests; the
    hot-spot test's weights derived from them are kept by content and stay valid)."""
    _graph_cache.clear()
    _fingerprint_cache.clear()


def build_weights(geoms: gpd.GeoDataFrame, weights: str = "queen") -> AreaGraph:
    """Binary weights between ``geoms`` (indexed by area id), ``"queen"``
    (:func:`contiguity_graph`) or ``"knn"`` (libpysal's ``Graph.build_knn`` on the
    centroids, imported only for it); isolates as zero self-loops."""
    if weights == "knn":
        if len(geoms) < 2:
            n = len(geoms)
            return AreaGraph.from_arrays(geoms.index, np.arange(n), np.arange(n),
                                         np.zeros(n))
        from libpysal.graph import Graph  # 1.5 s: imported for kNN only

        if geoms.crs is not None and geoms.crs.is_geographic:
            geoms = geoms.to_crs(SWEREF)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # centroids of a geographic CRS
            points = geoms.centroid
        knn = Graph.build_knn(points, k=min(KNN_K, len(geoms) - 1))
        return AreaGraph.from_adjacency(knn.adjacency, knn.transformation)
    return contiguity_graph(geoms)
