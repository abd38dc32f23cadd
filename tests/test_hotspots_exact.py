"""The hot spots without libpysal, esda or scipy.stats at run time (geo.spatial.graph,
geo.spatial.hotspots): every operation against the library it replaces, bit for bit, on real
Huddinge and RegSO geometry and on random graphs (islands, one area, ties, zero variance,
NaN); and ``prevmap export`` on the default data importing none of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geo_fixtures import real_regso
from libpysal.graph import Graph
from scipy.stats import false_discovery_control
from test_hotspots import PLAIN_ESDA, _run_with_esda, as_libpysal, hand_made_coverage

from geo.inputs import DEFAULT_AREAS
from geo.io.areas import read_areas
from geo.spatial import hotspots
from geo.spatial.graph import AreaGraph
from geo.spatial.hotspots import _geometries, benjamini_hochberg, gi_star, local_moran
from geo.spatial.weights import build_weights, queen_graph

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sweden() -> gpd.GeoDataFrame:
    """All of Sweden's RegSO 2025, as the hot spots read them (indexed by area id)."""
    return _geometries(real_regso())[0]


def random_graph(seed: int, n: int, islands: int = 0) -> AreaGraph:
    """A symmetric random graph on ``n`` areas (ids out of order) with up to 12 neighbours
    each, the last ``islands`` areas without any, and integer weights 1."""
    rng = np.random.default_rng(seed)
    linked = n - islands
    pairs = set()
    for i in range(linked):
        for j in rng.choice(linked, size=min(linked, int(rng.integers(0, 7))), replace=False):
            if i != j:
                pairs.update({(i, int(j)), (int(j), i)})
    links = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    focal, neighbour = links[:, 0], links[:, 1]
    ids = [f"Z{k:04d}" for k in rng.permutation(n)]
    return AreaGraph.from_arrays(ids, focal, neighbour, np.ones(len(focal), dtype=int))


def _graphs(case: str, sweden_frame=None) -> AreaGraph:
    if case == "huddinge":
        return queen_graph(_geometries(read_areas(DEFAULT_AREAS))[0])
    if case == "coverage":                           # an island, corners, a hole, two parts
        return queen_graph(_geometries(hand_made_coverage())[0])
    if case == "sweden":
        return queen_graph(sweden_frame)
    if case == "single":
        return AreaGraph.from_arrays(["A"], [], [], np.zeros(0, dtype=int))
    seed, n, islands = {"random": (1, 60, 0), "islands": (2, 40, 5),
                        "dense": (3, 15, 0), "all-islands": (4, 6, 6)}[case]
    return random_graph(seed, n, islands)


CASES = ["huddinge", "coverage", "sweden", "single", "random", "islands", "dense",
         "all-islands"]


@pytest.fixture(params=CASES)
def graph(request) -> AreaGraph:
    frame = request.getfixturevalue("sweden") if request.param == "sweden" else None
    return _graphs(request.param, frame)


def _assert_same_adjacency(ours: pd.Series, theirs: pd.Series) -> None:
    pd.testing.assert_series_equal(ours, theirs, check_exact=True)
    for level, other in zip(ours.index.levels, theirs.index.levels, strict=True):
        pd.testing.assert_index_equal(level, other, exact=True)
    for codes, other in zip(ours.index.codes, theirs.index.codes, strict=True):
        assert np.array_equal(codes, other)


# -- the graph: libpysal's Graph and scipy.sparse, operation by operation -----------------
def test_graph_operations_are_libpysals_and_scipys(graph: AreaGraph) -> None:
    ref = as_libpysal(graph)
    # as libpysal builds a graph from the same links (from_arrays sorts them)
    rebuilt = Graph.from_arrays(graph.adjacency.index.get_level_values(0),
                                graph.adjacency.index.get_level_values(1),
                                graph.adjacency.to_numpy())
    _assert_same_adjacency(graph.adjacency, rebuilt.adjacency)
    pd.testing.assert_index_equal(graph.unique_ids, ref.unique_ids)
    pd.testing.assert_index_equal(graph.isolates, ref.isolates)
    pd.testing.assert_series_equal(graph.cardinalities, ref.cardinalities, check_exact=True,
                                   check_index_type=False, check_dtype=False)
    assert graph.n_components == ref.n_components
    derived = {"r": (graph.transform("r"), ref.transform("r")),
               "b": (graph.transform("b"), ref.transform("b")),
               "star": (graph.transform("b").assign_self_weight(1.0),
                        ref.transform("b").assign_self_weight(1.0)),
               "r-of-star": (hotspots._star(graph).transform("r"),
                             ref.transform("b").assign_self_weight(1.0).transform("r"))}
    rng = np.random.default_rng(len(graph.unique_ids))
    y = rng.normal(size=graph.n) * 10 ** rng.uniform(-3, 3, size=graph.n)
    wide = rng.normal(size=(graph.n, 3))
    for name, (ours, theirs) in derived.items():
        _assert_same_adjacency(ours.adjacency, theirs.adjacency)
        assert ours.transformation == theirs.transformation, name
        assert np.array_equal(ours.lag(y), theirs.lag(y)), name          # csr_matvec
        assert np.array_equal(ours.lag(wide), theirs.sparse @ wide), name  # csr_matvecs
        sparse = theirs.sparse
        assert np.array_equal(ours.row_sums(), np.asarray(sparse.sum(axis=1)).ravel()), name
        assert np.array_equal(ours.row_sums(squared=True),
                              np.asarray(sparse.multiply(sparse).sum(axis=1)).ravel()), name
        assert np.array_equal(ours.self_weights(), sparse.diagonal()), name
    some = list(graph.unique_ids[::2][::-1])        # another order, new isolates
    _assert_same_adjacency(graph.subgraph(some).adjacency, ref.subgraph(some).adjacency)
    for area in graph.unique_ids[:5]:
        pd.testing.assert_series_equal(graph[area], ref[area], check_exact=True,
                                       check_dtype=False, check_index_type=False)


def test_regso_queen_graph_is_libpysals_strict_contiguity(sweden: gpd.GeoDataFrame) -> None:
    stockholm = sweden[sweden.index.str.startswith("0180")]
    assert len(stockholm) > 100
    ours = queen_graph(stockholm)
    theirs = Graph.build_contiguity(stockholm, rook=False, strict=True)
    _assert_same_adjacency(ours.adjacency, theirs.adjacency)
    pd.testing.assert_index_equal(ours.isolates, theirs.isolates)


def test_knn_is_libpysals_knn_graph() -> None:
    geoms, _ = _geometries(read_areas(DEFAULT_AREAS))
    ours = build_weights(geoms, "knn")
    theirs = Graph.build_knn(geoms.centroid, k=4)
    _assert_same_adjacency(ours.adjacency, theirs.adjacency)
    assert (ours.cardinalities == 4).all()


def test_refuses_a_transformation_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="transformation 'v' is not supported"):
        _graphs("random").transform("v")
    with pytest.raises(KeyError, match="ids not in the graph"):
        _graphs("random").subgraph(["nope"])


# -- the statistics: esda's Moran_Local and G_Local --------------------------------------
def _values(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return rng.normal(size=n) * 7 + 3
    if kind == "skewed":
        return rng.lognormal(size=n)
    if kind == "ties":
        return np.round(rng.normal(size=n))
    if kind == "constant":
        return np.full(n, 2.5)
    y = rng.lognormal(size=n)                     # "nan"
    y[rng.integers(n)] = np.nan
    return y


def _esda(y: np.ndarray, graph: AreaGraph):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ref = as_libpysal(graph)
        lm = esda.Moran_Local(y, ref.transform("r"), transformation="r", permutations=0)
        gl = esda.G_Local(y, ref.transform("b").assign_self_weight(1.0), transform="B",
                          star=True, permutations=0)
    return lm, gl


@pytest.mark.parametrize("kind", ["noise", "skewed", "ties", "constant", "nan"])
def test_statistics_are_esdas_bit_for_bit(graph: AreaGraph, kind: str) -> None:
    y = _values(kind, graph.n, graph.n + len(kind))
    if kind in ("noise", "ties"):      # Gi* as find_hotspots feeds it: shifted positive
        y = y - y.min() + 1.0
    lm, gl = _esda(y, graph)
    with np.errstate(all="ignore"):
        z, moran, q = local_moran(y, graph.transform("r"))
        gs, zs = gi_star(y, hotspots._star(graph))
    for ours, theirs in ((z, lm.z), (moran, lm.Is), (q, lm.q), (gs, gl.Gs), (zs, gl.Zs)):
        assert ours.dtype == np.asarray(theirs).dtype
        assert np.array_equal(ours, theirs, equal_nan=True)
    if kind == "constant":
        assert np.isnan(moran).all()


@pytest.mark.parametrize(("case", "permutations", "seed"),
                         [("sweden", 99, 3), ("islands", 199, 5), ("dense", 999, 1)])
def test_run_is_esdas_on_regso_and_random_graphs(request, case, permutations, seed):
    frame = request.getfixturevalue("sweden") if case == "sweden" else None
    graph = _graphs(case, frame)
    if case == "sweden":      # Stockholms län: esda's plain-Python permutations are slow
        graph = graph.subgraph(graph.unique_ids[graph.unique_ids.str.startswith("01")])
    graph = graph.subgraph(graph.unique_ids[~graph.unique_ids.isin(graph.isolates)])
    y = _values("noise", graph.n, seed)
    ours = hotspots._run(y, graph, permutations, seed)
    theirs = _run_with_esda(y, graph, permutations, seed)
    for name, values in ours.items():
        if PLAIN_ESDA or not name.endswith("_p_raw"):
            assert np.array_equal(values, theirs[name], equal_nan=True), name


def test_moran_normal_p_reads_the_weights_as_scipy_did(sweden: gpd.GeoDataFrame) -> None:
    """moran_normal_p's sums (the lag, the weights and their squares without the diagonal)
    are what scipy.sparse gave before: the same p-values on Sweden's RegSO."""
    graph = queen_graph(sweden)
    graph = graph.subgraph(graph.unique_ids[~graph.unique_ids.isin(graph.isolates)])
    z = np.random.default_rng(8).normal(size=graph.n)
    row = graph.transform("r")
    adj = as_libpysal(row).sparse.tocsr().astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adj.setdiag(0)
        adj.eliminate_zeros()
    others = graph.n - 1
    lag, w1 = adj @ z, np.asarray(adj.sum(axis=1)).ravel()
    w2 = np.asarray(adj.multiply(adj).sum(axis=1)).ravel()
    mean = (z.sum() - z) / others
    var = np.clip(((z * z).sum() - z * z) / others - mean * mean, 0, None)
    spread = np.sqrt(np.clip(var * (others * w2 - w1 * w1) / max(others - 1, 1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = hotspots.normal_p((lag - mean * w1) / spread)
    assert np.array_equal(hotspots.moran_normal_p(z, row), expected)


# -- Benjamini-Hochberg: scipy.stats.false_discovery_control -----------------------------
@pytest.mark.parametrize("seed", range(12))
def test_benjamini_hochberg_is_scipys_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 3000))
    p = np.concatenate([rng.uniform(0, 1, n), rng.uniform(0, 0.001, n // 5),
                        np.round(rng.uniform(0, 1, n // 3), 2), [0.0, 1.0, 1.0]])
    rng.shuffle(p)
    assert np.array_equal(benjamini_hochberg(p), false_discovery_control(p, method="bh"))
    gaps = p.copy()
    gaps[rng.integers(len(p), size=5)] = np.nan    # NaN stays NaN and is not counted
    present = ~np.isnan(gaps)
    ours = benjamini_hochberg(gaps)
    assert np.isnan(ours[~present]).all()
    assert np.array_equal(ours[present], false_discovery_control(gaps[present], method="bh"))


def test_benjamini_hochberg_edge_cases_are_scipys() -> None:
    for p in ([0.3], [0.02, 0.02], [1.0, 0.0], [0.5, 0.5, 0.5]):
        assert np.array_equal(benjamini_hochberg(p), false_discovery_control(p, method="bh"))
    assert benjamini_hochberg([]).shape == (0,)
    assert np.isnan(benjamini_hochberg([np.nan])).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        benjamini_hochberg([0.2, 1.5])
    with pytest.raises(ValueError, match="between 0 and 1"):
        false_discovery_control([0.2, 1.5])


# -- the command line does not import them ------------------------------------------------
HEAVY = ("libpysal", "esda", "scipy.stats", "sklearn")

WRAPPER = """
import json, sys
from geo.cli import main
code = main(sys.argv[2:])
print(json.dumps({"code": code, "loaded": [m for m in sys.argv[1].split(",")
                                           if m in sys.modules]}))
"""


def test_export_on_the_default_data_imports_no_libpysal_esda_or_scipy_stats(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", WRAPPER, ",".join(HEAVY), "export", "--out",
         str(tmp_path / "k.html")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PREVMAP_OFFLINE": "1"}, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}
    assert (tmp_path / "k.html").stat().st_size > 0
    html = (tmp_path / "k.html").read_text(encoding="utf-8")
    assert "Het punkt" in html or "Går inte att avgöra" in html   # the hot spots ran
