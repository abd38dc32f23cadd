"""Local clusters (geo.spatial.hotspots): planted clusters, FDR on noise, BH by hand, islands,
missing values, the Gi* z and local Moran's I against hand computations, and the real
Huddinge RegSO."""

from __future__ import annotations

import math
import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geo_fixtures import GRID_IDS, ORIGIN, grid_frame
from libpysal.graph import Graph
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shared_data import shared

from geo.inputs import DEFAULT_AREAS
from geo.io.areas import read_areas
from geo.spatial import hotspots, weights
from geo.spatial.graph import AreaGraph
from geo.spatial.hotspots import (
    COLD,
    GI_LABELS,
    HIGH_HIGH,
    HIGH_LOW,
    HOT,
    LOW_HIGH,
    LOW_LOW,
    MEASURES,
    MISSING_VALUE,
    MORAN_LABELS,
    NO_NEIGHBOUR,
    NOT_SIGNIFICANT,
    UNDECIDABLE,
    UNDECIDABLE_WEAK,
    HotspotError,
    _geometries,
    _subgraph,
    benjamini_hochberg,
    column,
    find_hotspots,
    gi_star_z,
    moran_normal_p,
    normal_p,
    two_sided_p,
    values_from_ranking,
)
from geo.spatial.weights import build_weights, queen_graph
from geo.spatial.weights import fingerprint as _fingerprint
from indicators import clusters
from indicators.columns import AREA_ID, DOMAINS, SCORE
from indicators.ranking import RankingResult

SIDE = 1000.0
# esda without numba draws its permutations in plain Python, the stream hotspots redraws;
# with numba its compiled draws differ (and prevmap's own are still esda's plain ones).
PLAIN_ESDA = getattr(esda.crand, "prange", None) is range


def as_libpysal(graph: AreaGraph) -> Graph:
    """The same graph as libpysal's Graph: the reference the tests compare with."""
    return Graph(graph.adjacency, transformation=graph.transformation, is_sorted=True)


def square_grid(n: int = 10) -> gpd.GeoDataFrame:
    """An n x n grid of 1 km squares, ids ``R{row}C{col}``, row 0 at the south."""
    x0, y0 = ORIGIN
    ids = [f"R{r}C{c}" for r in range(n) for c in range(n)]
    geoms = [box(x0 + c * SIDE, y0 + r * SIDE, x0 + (c + 1) * SIDE, y0 + (r + 1) * SIDE)
             for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({AREA_ID: ids, "area_name": ids}, geometry=geoms, crs=3006)


def noise(ids: pd.Index | list[str], seed: int, name: str = "x") -> pd.Series:
    return pd.Series(np.random.default_rng(seed).normal(size=len(ids)), index=list(ids),
                     name=name)


# -- Benjamini–Hochberg and the permutation p ------------------------------------------
def test_bh_hand_example_step_up():
    # m = 4, alpha = 0.05: thresholds k * 0.05 / 4 = 0.0125, 0.025, 0.0375, 0.05.
    # p_(2) = 0.03 fails its own threshold but p_(3) = 0.031 <= 0.0375 passes, so the
    # step-up rejects the three smallest. q = cumulative min from the top of 4 p / k:
    # 4*0.001/1 = 0.004; 4*0.03/2 = 0.06 -> min(0.06, 0.04133) = 0.04133; 4*0.031/3 = 0.04133;
    # 4*0.9/4 = 0.9.
    q = benjamini_hochberg([0.9, 0.031, 0.001, 0.03])
    assert q == pytest.approx([0.9, 0.124 / 3, 0.004, 0.124 / 3])
    assert list(q <= 0.05) == [False, True, True, True]


def test_bh_hand_example_with_missing_and_cap():
    # NaN is not a test: m = 3. Sorted 0.01, 0.02, 0.9 -> 0.03, 0.03, 0.9; 0.9 * 3 / 3 = 0.9.
    q = benjamini_hochberg([0.02, np.nan, 0.9, 0.01])
    assert q[1] != q[1]
    assert q[[0, 2, 3]] == pytest.approx([0.03, 0.9, 0.03])
    assert benjamini_hochberg([0.5, 0.6]) == pytest.approx([0.6, 0.6])
    assert benjamini_hochberg([1.0, 1.0, 0.99]).max() <= 1.0
    assert benjamini_hochberg([]).size == 0


@pytest.mark.parametrize("seed", range(5))
def test_bh_rejects_what_esda_fdr_cut_off_rejects(seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=80), rng.uniform(0, 0.002, size=8)])
    cut = esda.fdr(p, 0.05)
    assert ((benjamini_hochberg(p) <= 0.05) == (p < cut)).all()
    assert (benjamini_hochberg(p) <= 0.05).sum() >= 8


def test_two_sided_p_by_hand():
    sims = np.tile(np.arange(1.0, 10.0), (3, 1))  # 9 draws: 1..9
    # 10: 0 draws >= -> 2 * 1 / 10; 8.5: 1 draw >= -> 2 * 2 / 10; 5: 5 each side -> capped at 1.
    assert two_sided_p(np.array([10.0, 8.5, 5.0]), sims) == pytest.approx([0.2, 0.4, 1.0])
    assert two_sided_p(np.array([0.0]), sims[:1]) == pytest.approx([0.2])


# -- statistics against hand computations on the 3x3 grid --------------------------------
def test_gi_star_z_and_local_moran_by_hand():
    # Grid A7 A8 A9 / A4 A5 A6 / A1 A2 A3 with value i for A_i: n = 9, mean 5,
    # population variance 20/3.
    areas = grid_frame()
    values = pd.Series(np.arange(1.0, 10.0), index=GRID_IDS, name="v")
    shifted = (values - 10).rename("neg")  # Gi* z and p do not change under a shift
    hot = find_hotspots(areas, pd.concat([values, shifted], axis=1), permutations=99,
                        min_power=0)     # the statistics, not the power check
    frame = hot.frame
    # Gi* (binary weights, self included): A1 sees A1, A2, A4, A5 -> sum 12, W = 4;
    # z = (12 - 5 * 4) / (sqrt(20/3) * sqrt((9 * 4 - 16) / 8)) = -8 / sqrt(50/3).
    expected = -8 / math.sqrt(50 / 3)
    for var in ("v", "neg"):
        assert frame.loc["A1", column(var, "gi_z")] == pytest.approx(expected)
        assert frame.loc["A9", column(var, "gi_z")] == pytest.approx(-expected)
        # A5's neighbourhood is the whole grid: Gi* has no variance, z is undefined
        assert np.isnan(frame.loc["A5", column(var, "gi_z")])
        assert frame.loc["A5", column(var, "gi_p_raw")] == 1.0
        assert frame.loc["A5", column(var, "gi_label")] == NOT_SIGNIFICANT
    assert (frame[column("v", "gi_p_raw")] == frame[column("neg", "gi_p_raw")]).all()
    # Local Moran (row-standardised): z_i = (i - 5) / s, s^2 = 20/3, sum z^2 = 9.
    # A1: z = -4/s, lag = mean(-3, -1, 0)/s = -4/(3s); I = (n - 1) z lag / sum z^2
    #   = 8 * 16 / (3 s^2) / 9 = 128 / 180.
    assert frame.loc["A1", column("v", "moran_i")] == pytest.approx(128 / 180)
    assert frame.loc["A5", column("v", "moran_i")] == pytest.approx(0.0, abs=1e-12)


# -- planted cluster and noise -----------------------------------------------------------
def planted(seed: int = 7, lift: float = 3.0) -> tuple[gpd.GeoDataFrame, pd.Series]:
    areas = square_grid(10)
    values = noise(areas[AREA_ID], seed)
    block = [f"R{r}C{c}" for r in range(3) for c in range(3)]
    values[block] += lift
    return areas, values


def test_planted_block_is_a_hot_spot_after_fdr():
    areas, values = planted()
    hot = find_hotspots(areas, values)
    frame = hot.for_variable("x")
    assert hot.fdr
    # The core of the 3x3 block in the south-west corner: all nine of its Gi* cells are high.
    assert frame.loc["R1C1", "gi_label"] == HOT
    assert frame.loc["R1C1", "moran_label"] == HIGH_HIGH
    # 100 areas with FDR: the normal approximation's p, BH-adjusted
    assert hot.normal == ("x",)
    assert frame["gi_p"].to_numpy() == pytest.approx(benjamini_hochberg(frame["gi_p_raw"]))
    assert frame.loc["R1C1", "gi_p"] <= 0.05
    # Every hot spot lies in the block or touches it; nothing cold, nothing far away.
    hot_ids = frame.index[frame["gi_label"] == HOT]
    assert len(hot_ids) >= 4
    assert all(int(i[1]) <= 3 and int(i[3]) <= 3 for i in hot_ids)
    assert (frame["gi_label"] != COLD).all()
    assert set(frame.index[frame["moran_label"] != NOT_SIGNIFICANT]) <= set(hot_ids) | {
        f"R{r}C{c}" for r in range(4) for c in range(4)}


def test_without_a_cluster_nothing_is_hot():
    areas, values = planted(lift=0.0)
    hot = find_hotspots(areas, values)
    # Not significant; on 100 areas with FDR the power check also says that a small
    # cluster could not have been told from noise (see test_power_*).
    assert set(hot.frame[column("x", "gi_label")]) <= {NOT_SIGNIFICANT, UNDECIDABLE_WEAK}


SIGNIFICANT = {"gi": (HOT, COLD), "moran": (HIGH_HIGH, LOW_LOW, HIGH_LOW, LOW_HIGH)}


def test_fdr_removes_noise_hits():
    areas = square_grid(10)
    raw, adjusted = {"gi": [], "moran": []}, {"gi": [], "moran": []}
    for seed in range(10):
        values = noise(areas[AREA_ID], 100 + seed)
        plain = find_hotspots(areas, values, fdr=False, seed=seed).for_variable("x")
        fdr = find_hotspots(areas, values, fdr=True, seed=seed).for_variable("x")
        for stat in ("gi", "moran"):
            raw[stat].append(plain[f"{stat}_label"].isin(SIGNIFICANT[stat]).mean())
            adjusted[stat].append(fdr[f"{stat}_label"].isin(SIGNIFICANT[stat]).mean())
            # with FDR over 100 areas the p comes from the normal approximation, then
            # BH-adjusted; without, from the permutations
            assert fdr[f"{stat}_p"].to_numpy() == pytest.approx(
                benjamini_hochberg(fdr[f"{stat}_p_raw"]))
            assert (fdr[f"{stat}_p"] >= fdr[f"{stat}_p_raw"]).all()
    for stat in ("gi", "moran"):
        # two-sided p: about alpha = 5 % of 1 000 noise areas; with FDR (almost) none
        assert 0.025 <= np.mean(raw[stat]) <= 0.08, raw[stat]
        assert np.mean(adjusted[stat]) <= 0.005, adjusted[stat]


# -- islands and missing values ------------------------------------------------------------
def with_far_island() -> gpd.GeoDataFrame:
    areas = grid_frame()
    x0, y0 = ORIGIN
    far = gpd.GeoDataFrame({AREA_ID: ["FAR"], "area_name": ["Långt bort"]},
                           geometry=[box(x0 + 50_000, y0, x0 + 51_000, y0 + 1000)], crs=3006)
    return pd.concat([areas, far], ignore_index=True)


def test_far_island_is_labelled_not_tested():
    areas = with_far_island()
    values = pd.Series(np.arange(1.0, 11.0), index=[*GRID_IDS, "FAR"], name="x")
    hot = find_hotspots(areas, values, permutations=99)
    row = hot.frame.loc["FAR"]
    assert hot.islands == ("FAR",)
    assert hot.missing == ()
    assert row["n_neighbours"] == 0
    assert row[column("x", "gi_label")] == row[column("x", "moran_label")] == NO_NEIGHBOUR
    assert row[[column("x", m) for m in ("moran_i", "moran_p", "gi_z", "gi_p")]].isna().all()
    assert hot.frame.loc[GRID_IDS, column("x", "gi_p")].notna().all()
    assert any("Långt bort (FAR)" in note and NO_NEIGHBOUR in note for note in hot.notes())
    assert any("delar" in note for note in hot.notes())  # two components reported


def test_knn_weights_give_the_island_neighbours():
    areas = with_far_island()
    values = pd.Series(np.arange(1.0, 11.0), index=[*GRID_IDS, "FAR"], name="x")
    hot = find_hotspots(areas, values, permutations=99, weights="knn")
    assert hot.islands == ()
    assert (hot.frame["n_neighbours"] == 4).all()
    assert hot.frame[column("x", "gi_p")].notna().all()
    assert "närmaste" in hot.weights_text


def test_missing_values_are_labelled_and_excluded():
    areas = grid_frame()
    values = pd.DataFrame({"a": np.arange(1.0, 10.0), "b": np.arange(9.0, 0.0, -1.0)},
                          index=GRID_IDS)
    values.loc["A5", "a"] = np.nan
    values.loc["ZZ9"] = [1.0, 1.0]  # a value without an area
    hot = find_hotspots(areas, values, permutations=99)
    assert hot.variables == ("a", "b")
    assert hot.missing == ("A5",)
    assert hot.frame.loc["A5", column("a", "gi_label")] == MISSING_VALUE
    assert hot.frame.loc["A5", column("a", "moran_label")] == MISSING_VALUE
    assert np.isnan(hot.frame.loc["A5", column("a", "gi_p")])
    assert hot.frame.loc["A5", column("b", "gi_label")] != MISSING_VALUE
    assert hot.frame[column("a", "gi_p")].notna().sum() == 8
    assert "ZZ9" not in hot.frame.index
    notes = " ".join(hot.notes())
    assert "ZZ9" in notes and "Ruta 5 (A5)" in notes and MISSING_VALUE in notes


def test_area_whose_neighbours_all_lack_values_has_no_neighbour():
    areas = grid_frame()
    values = pd.Series(np.arange(1.0, 10.0), index=GRID_IDS, name="x")
    values[["A2", "A4", "A5"]] = np.nan  # A1's only neighbours
    hot = find_hotspots(areas, values, permutations=99)
    assert hot.frame.loc["A1", column("x", "gi_label")] == NO_NEIGHBOUR
    assert hot.islands == ("A1",)
    assert hot.missing == ("A2", "A4", "A5")
    assert hot.frame.loc["A1", "n_neighbours"] == 3  # in the layer it has neighbours
    assert any("ingen granne med värde" in d and "A1" in d for d in hot.details)
    assert hot.frame[column("x", "gi_p")].notna().sum() == 5


def test_constant_and_too_small_variables_are_not_tested():
    areas = grid_frame()
    values = pd.DataFrame({"same": 1.0, "few": np.nan}, index=GRID_IDS)
    values.loc[["A1", "A2", "A3"], "few"] = [1.0, 2.0, 3.0]
    hot = find_hotspots(areas, values, permutations=99)
    assert (hot.frame[column("same", "gi_label")] == NOT_SIGNIFICANT).all()
    assert hot.frame[column("same", "gi_p")].isna().all()
    assert hot.frame[column("few", "gi_p")].isna().all()
    assert any("samma värde" in d for d in hot.details)
    assert any("bara 3 område" in d for d in hot.details)


def test_labels_are_plain_text_from_the_fixed_sets():
    areas, values = planted()
    hot = find_hotspots(areas, values.to_frame("x").assign(y=-values))
    for var in hot.variables:
        assert set(hot.frame[column(var, "gi_label")]) <= set(GI_LABELS)
        assert set(hot.frame[column(var, "moran_label")]) <= set(MORAN_LABELS)
    # the mirror image of a hot block is a cold block
    assert hot.frame.loc["R1C1", column("y", "gi_label")] == COLD
    assert not any(ch in "".join(hot.notes()) for ch in "<>&")
    assert list(hot.for_variable("y").columns) == ["area_name", *MEASURES]


def test_bad_input_is_refused_in_swedish():
    areas = grid_frame()
    values = pd.Series(np.arange(1.0, 10.0), index=GRID_IDS)
    with pytest.raises(HotspotError, match="okända vikter"):
        find_hotspots(areas, values, weights="rook")
    with pytest.raises(HotspotError, match="alpha"):
        find_hotspots(areas, values, alpha=5)
    with pytest.raises(HotspotError, match="permutationer"):
        find_hotspots(areas, values, permutations=10)
    with pytest.raises(HotspotError, match="inte numeriska"):
        find_hotspots(areas, values.astype(str))
    with pytest.raises(HotspotError, match="mer än en gång"):
        find_hotspots(areas, pd.concat([values, values]))


def test_seeded_runs_repeat_and_leave_numpy_random_state_alone():
    areas, values = planted()
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    # without FDR: the permutations' p on 100 areas (with it, the normal approximation's)
    first = find_hotspots(areas, values, permutations=199, seed=1, fdr=False)
    assert (np.random.get_state()[1] == before).all()
    again = find_hotspots(areas, values, permutations=199, seed=1, fdr=False)
    other = find_hotspots(areas, values, permutations=199, seed=2, fdr=False)
    pd.testing.assert_frame_equal(first.frame, again.frame)
    assert not first.frame[column("x", "gi_p_raw")].equals(other.frame[column("x", "gi_p_raw")])


def test_values_from_ranking_feed_find_hotspots(grid_table, grid_catalogue, grid_settings):
    result = RankingResult(grid_table, grid_catalogue, grid_settings)
    values = values_from_ranking(result)
    assert values.columns[0] == SCORE
    assert set(values.columns[1:]) <= set(DOMAINS)
    hot = find_hotspots(grid_frame(), values, permutations=99)
    assert hot.variables == tuple(values.columns)
    # A5's neighbourhood is the whole 3x3 grid, so its Gi* z is undefined (and said so)
    assert list(hot.frame.index[hot.frame[column(SCORE, "gi_z")].isna()]) == ["A5"]
    assert any("Gi* z kan inte beräknas för A5" in d for d in hot.details)


# -- the real Huddinge RegSO ---------------------------------------------------------------
def test_huddinge_regso_weights_and_reproducible_run():
    areas = read_areas(shared("huddinge", "regso_2025_0126_epsg3006.gpkg"))
    assert len(areas) == 22
    values = noise(areas.frame[AREA_ID], 2026, name=SCORE)
    hot = find_hotspots(areas, values)
    frame = hot.frame
    # every area has a neighbour or is reported as an island
    assert all(n >= 1 or i in hot.islands for i, n in frame["n_neighbours"].items())
    assert hot.islands == () and frame["n_neighbours"].min() == 1
    assert frame["n_neighbours"].sum() == 88  # 44 shared borders or corners, counted twice
    assert frame[column(SCORE, "gi_p")].notna().all()
    again = find_hotspots(areas, values)
    pd.testing.assert_frame_equal(frame, again.frame)
    knn = find_hotspots(areas, values, weights="knn")
    assert (knn.frame["n_neighbours"] == 4).all()


# -- speed without changing a result: the Queen graph, its cache and the permutations -----
def _assert_same_graph(fast: AreaGraph, strict: AreaGraph | Graph) -> None:
    """The same links, weights and order, down to the MultiIndex levels and codes."""
    pd.testing.assert_series_equal(fast.adjacency, strict.adjacency, check_exact=True)
    index, expected = fast.adjacency.index, strict.adjacency.index
    for level, other in zip(index.levels, expected.levels, strict=True):
        pd.testing.assert_index_equal(level, other, exact=True)
    for codes, other in zip(index.codes, expected.codes, strict=True):
        assert np.array_equal(codes, other)
    assert fast.transformation == strict.transformation
    pd.testing.assert_index_equal(fast.isolates, strict.isolates)


def hand_made_coverage() -> gpd.GeoDataFrame:
    """The 3x3 grid, ids out of order, plus: a box touching A9 at a corner only, a far
    island, a ring with a hole and the polygon filling the hole, and a two-part area
    whose second part touches A1 at an edge (and A2 at a corner)."""
    grid = grid_frame()
    x0, y0 = ORIGIN
    s = SIDE
    ring = Polygon([(x0 + 5 * s, y0), (x0 + 8 * s, y0), (x0 + 8 * s, y0 + 3 * s),
                    (x0 + 5 * s, y0 + 3 * s)],
                   [[(x0 + 6 * s, y0 + s), (x0 + 7 * s, y0 + s), (x0 + 7 * s, y0 + 2 * s),
                     (x0 + 6 * s, y0 + 2 * s)]])
    extra = gpd.GeoDataFrame(
        {AREA_ID: ["CORNER", "ISLAND", "RING", "HOLE", "TWO"],
         "area_name": ["Hörn", "Ö", "Ring", "Hål", "Två delar"]},
        geometry=[box(x0 + 3 * s, y0 + 3 * s, x0 + 4 * s, y0 + 4 * s),
                  box(x0 + 50 * s, y0, x0 + 51 * s, y0 + s),
                  ring,
                  box(x0 + 6 * s, y0 + s, x0 + 7 * s, y0 + 2 * s),
                  MultiPolygon([box(x0 + 20 * s, y0, x0 + 21 * s, y0 + s),
                                box(x0, y0 - s, x0 + s, y0)])],
        crs=3006)
    frame = pd.concat([grid, extra], ignore_index=True)
    return frame.iloc[[4, 0, 13, 8, 1, 2, 3, 9, 5, 10, 6, 7, 11, 12]].reset_index(drop=True)


def _hand_bh(values: np.ndarray) -> np.ndarray:
    """The step-up adjustment as prevmap wrote it by hand before scipy's."""
    m = len(values)
    order = np.argsort(values, kind="stable")
    scaled = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q = np.empty(m)
    q[order] = adjusted
    return q


@pytest.mark.parametrize("seed", range(20))
def test_scipy_bh_is_the_hand_computation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    p = np.concatenate([rng.uniform(0, 1, n), rng.uniform(0, 0.01, n // 4),
                        np.round(rng.uniform(0, 1, n // 4), 2)])     # ties too
    ours, hand = benjamini_hochberg(p), _hand_bh(p)
    np.testing.assert_allclose(ours, hand, rtol=4e-16, atol=0)
    for alpha in (0.01, 0.05, 0.1):
        assert ((ours <= alpha) == (hand <= alpha)).all()


def test_queen_graph_equals_strict_contiguity_on_a_hand_made_coverage():
    geoms, _ = _geometries(hand_made_coverage())
    fast = queen_graph(geoms)
    _assert_same_graph(fast, Graph.build_contiguity(geoms, rook=False, strict=True))
    assert list(fast.isolates) == ["ISLAND"]
    assert set(fast["CORNER"].index) == {"A9"}                # a shared corner only
    assert set(fast["HOLE"].index) == {"RING"}
    assert set(fast["TWO"].index) == {"A1", "A2"}               # an edge and a corner


def test_queen_graph_equals_strict_contiguity_on_the_embedded_huddinge_areas():
    geoms, _ = _geometries(read_areas(DEFAULT_AREAS))
    _assert_same_graph(queen_graph(geoms),
                       Graph.build_contiguity(geoms, rook=False, strict=True))


def test_queen_graph_counts_overlapping_areas_as_neighbours():
    # Not a coverage: B is drawn over half of A. The strict builder (touches) has no link;
    # the intersects test makes them neighbours, as documented.
    x0, y0 = ORIGIN
    frame = gpd.GeoDataFrame({AREA_ID: ["A", "B", "C"]},
                             geometry=[box(x0, y0, x0 + 2, y0 + 2), box(x0 + 1, y0, x0 + 3, y0 + 2),
                                       box(x0 + 3, y0, x0 + 4, y0 + 2)], crs=3006)
    geoms, _ = _geometries(frame)
    assert set(queen_graph(geoms)["A"].index) == {"B"}
    assert "A" in Graph.build_contiguity(geoms, rook=False, strict=True).isolates


def test_queen_graph_refuses_what_build_contiguity_refuses():
    frame = gpd.GeoDataFrame({AREA_ID: ["P", "Q"]}, geometry=[Point(ORIGIN), box(0, 0, 1, 1)],
                             crs=3006)
    geoms, _ = _geometries(frame)
    with pytest.raises(ValueError, match="only well-defined"):
        queen_graph(geoms)
    with pytest.raises(ValueError, match="only well-defined"):
        Graph.build_contiguity(geoms, rook=False, strict=True)


def test_queen_graph_is_cached_per_area_set():
    weights.clear_graph_cache()
    geoms, _ = _geometries(hand_made_coverage())
    first = build_weights(geoms, "queen")
    assert build_weights(geoms.copy(), "queen") is first            # same ids and shapes
    moved = geoms.copy()
    moved.loc["ISLAND", "geometry"] = box(*moved.loc["A9", "geometry"].bounds).buffer(0)
    other = build_weights(moved, "queen")                           # ISLAND now overlaps A9
    assert other is not first and "ISLAND" not in other.isolates
    renamed = geoms.rename(index={"ISLAND": "ÖN"})
    assert list(build_weights(renamed, "queen").isolates) == ["ÖN"]
    weights.clear_graph_cache()
    again = build_weights(geoms, "queen")
    assert again is not first
    _assert_same_graph(again, first)
    # knn is not cached: it is rebuilt per variable on the areas with values
    grid, _ = _geometries(grid_frame())
    assert build_weights(grid, "knn") is not build_weights(grid, "knn")


def test_graph_cache_keeps_only_the_last_few_area_sets():
    weights.clear_graph_cache()
    geoms, _ = _geometries(square_grid(3))
    graphs = [build_weights(geoms.set_axis([f"{k}-{i}" for i in geoms.index]), "queen")
              for k in range(weights.GRAPH_CACHE_SIZE + 2)]
    assert len(weights._graph_cache) == weights.GRAPH_CACHE_SIZE
    last = geoms.set_axis([f"{weights.GRAPH_CACHE_SIZE + 1}-{i}" for i in geoms.index])
    assert build_weights(last, "queen") is graphs[-1]
    first = geoms.set_axis([f"0-{i}" for i in geoms.index])
    assert build_weights(first, "queen") is not graphs[0]          # dropped, built again
    weights.clear_graph_cache()


def test_fingerprint_tells_geometries_apart():
    geoms, _ = _geometries(grid_frame())
    key = _fingerprint(geoms)
    assert _fingerprint(geoms.copy()) == key
    nudged = geoms.copy()
    nudged.loc["A5", "geometry"] = affinity.translate(nudged.loc["A5", "geometry"], 1e-9)
    assert _fingerprint(nudged) != key
    assert _fingerprint(geoms.iloc[::-1]) != key                  # order counts
    empty, missing = geoms.copy(), geoms.copy()
    empty.loc["A5", "geometry"] = Polygon()
    missing.loc["A5", "geometry"] = None
    assert len({_fingerprint(empty), _fingerprint(missing), key}) == 3
    mixed = geoms.copy()
    mixed.loc["A5", "geometry"] = LineString([ORIGIN, (ORIGIN[0] + 1, ORIGIN[1])])
    assert _fingerprint(mixed) not in (key, _fingerprint(empty))   # falls back to WKB


def test_subgraph_of_all_ids_is_the_graph_itself():
    geoms, _ = _geometries(hand_made_coverage())
    graph = queen_graph(geoms)
    assert _subgraph(graph, graph.unique_ids) is graph
    assert _subgraph(graph, list(graph.unique_ids)) is graph
    _assert_same_graph(graph.subgraph(graph.unique_ids), graph)   # why that is exact
    some = list(graph.unique_ids[:6])
    _assert_same_graph(_subgraph(graph, some), graph.subgraph(some))


def _run_with_esda(y: np.ndarray, graph: AreaGraph, permutations: int, seed: int) -> dict:
    """The reference: esda's own conditional randomisation (the code before _simulations)."""
    graph = as_libpysal(graph)
    row = graph.transform("r")
    star = graph.transform("b").assign_self_weight(1.0)
    gi_y = y - y.min() + 1.0 if y.min() <= 0 else y
    state = np.random.get_state()
    try:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", DeprecationWarning)
            lm = esda.Moran_Local(y, row, transformation="r", permutations=permutations,
                                  seed=seed, n_jobs=1, keep_simulations=True)
            gl = esda.G_Local(gi_y, star, transform="B", star=True, permutations=permutations,
                              seed=seed, n_jobs=1, keep_simulations=True)
    finally:
        np.random.set_state(state)
    covers_all = np.asarray(star.sparse.sum(axis=1)).ravel() >= len(y)
    return {"moran_i": np.asarray(lm.Is, dtype=float), "moran_q": np.asarray(lm.q),
            "moran_p_raw": two_sided_p(lm.Is, lm.rlisas),
            "gi_z": np.where(covers_all, np.nan, np.asarray(gl.Zs, dtype=float)),
            "gi_p_raw": two_sided_p(gl.Gs, gl.rGs), "rlisas": lm.rlisas, "rGs": gl.rGs}


@pytest.mark.parametrize(("case", "permutations", "seed"), [
    ("grid", 999, 20261123), ("grid", 99, 1), ("planted", 199, 7), ("huddinge", 999, 5),
    ("coverage", 999, 3)])
def test_run_gives_esdas_permutations_bit_for_bit(case, permutations, seed):
    if case == "grid":
        geoms, _ = _geometries(grid_frame())
        y = np.arange(1.0, 10.0) - 4.5                   # negative values: Gi* is shifted
    elif case == "planted":
        areas, values = planted()
        geoms, _ = _geometries(areas)
        y = values.to_numpy()
    elif case == "huddinge":
        geoms, _ = _geometries(read_areas(DEFAULT_AREAS))
        y = noise(geoms.index, 2026).to_numpy()
    else:                                               # cardinalities 1 to 8, no island
        geoms, _ = _geometries(hand_made_coverage().query("area_id != 'ISLAND'"))
        y = noise(geoms.index, 11).to_numpy() * 10
    graph = queen_graph(geoms)
    state = np.random.get_state()[1].copy()
    fast = hotspots._run(y, graph, permutations, seed)
    assert (np.random.get_state()[1] == state).all()
    slow = _run_with_esda(y, graph, permutations, seed)
    for name, values in fast.items():
        if PLAIN_ESDA or not name.endswith("_p_raw"):   # numba: esda's draws differ
            assert np.array_equal(values, slow[name], equal_nan=True), name
    if not PLAIN_ESDA:
        return
    # and the simulations themselves, draw by draw
    gi_y = y - y.min() + 1.0 if y.min() <= 0 else y
    with np.errstate(divide="ignore", invalid="ignore"):
        lm = esda.Moran_Local(y, as_libpysal(graph).transform("r"), transformation="r",
                              permutations=0)
        gl = esda.G_Local(gi_y, as_libpysal(hotspots._star(graph)), transform="B",
                          star=True, permutations=0)
    z = lm.z
    rlisas, r_gs = hotspots._simulations(
        [(z, graph.transform("r"), (len(z) - 1) / (z * z).sum(), True),
         (gl.y, hotspots._star(graph), gl.y.sum(), False)], permutations, seed)
    assert np.array_equal(rlisas, slow["rlisas"])
    assert np.array_equal(r_gs, slow["rGs"])


@pytest.mark.skipif(not PLAIN_ESDA, reason="with numba esda draws its own")
@pytest.mark.parametrize(("max_card", "n", "seed"), [(3, 9, 1), (8, 22, 20261123), (12, 500, 7)])
def test_permutations_are_esdas_and_leave_the_global_generator_alone(max_card, n, seed):
    np.random.seed(99)
    before = np.random.get_state()[1].copy()
    ids = hotspots._permutations(max_card, n, 199, seed)
    assert (np.random.get_state()[1] == before).all()
    assert not ids.flags.writeable
    assert hotspots._permutations(max_card, n, 199, seed) is ids      # kept
    state = np.random.get_state()
    try:
        assert np.array_equal(ids, esda.crand.vec_permutations(max_card, n, 199, seed))
    finally:
        np.random.set_state(state)


# -- the power check: "går inte att avgöra" where a clear cluster could not be found ------
def _tested_graph(frame: gpd.GeoDataFrame) -> AreaGraph:
    geoms, _ = _geometries(frame)
    layer = build_weights(geoms)
    return _subgraph(layer, layer.unique_ids[~layer.unique_ids.isin(layer.isolates)])


def test_planted_cluster_is_the_hub_and_its_most_connected_neighbours():
    # 3x3 grid: A5 touches all eight; of its neighbours the edge middles A2, A4, A6, A8
    # have five neighbours each, the corners three: a plus.
    graph = _tested_graph(grid_frame())
    ids = graph.unique_ids[hotspots.planted_cluster(graph, 5)]
    assert list(ids) == ["A5", "A2", "A4", "A6", "A8"]
    assert list(graph.unique_ids[hotspots.planted_cluster(graph, 2)]) == ["A5", "A2"]


def test_power_simulation_uses_the_p_values_find_hotspots_computes():
    """The simulated test is the real one: for the same values the p-values of the power
    check's permutations are find_hotspots' Gi* p. They may differ by one draw where a
    permutation draws the area's own neighbours: the sums are then equal but for
    rounding, which esda's shifted and scaled values round the other way."""
    frame = read_areas(DEFAULT_AREAS).frame
    graph = _tested_graph(frame)
    y = np.random.default_rng(5).normal(size=len(graph.unique_ids))
    hot = find_hotspots(frame, pd.Series(y, index=graph.unique_ids, name="x"),
                        permutations=199, seed=11, min_power=0, fdr=False)   # permutations
    indptr, _ = hotspots._links(graph)
    cards = np.diff(indptr)
    draws = hotspots._permutations(int(cards.max()), len(y), 199, 11)
    p = hotspots._gi_star_p(y, hotspots._star(graph).lag(y), cards, draws, 199)
    expected = hot.frame.loc[graph.unique_ids, column("x", "gi_p_raw")].to_numpy()
    assert np.abs(p - expected).max() <= 2 / 200 + 1e-12
    assert (p == expected).sum() >= len(p) - 1


def test_22_demo_areas_cannot_decide_and_state_the_power():
    areas = read_areas(DEFAULT_AREAS)
    assert len(areas.frame) == 22
    hot = find_hotspots(areas, noise(areas.frame[AREA_ID], 2026, name=SCORE))
    power = hot.power[SCORE]
    assert power.share < hotspots.MIN_POWER and not power.decidable
    assert power.cluster == 5 and 20 <= power.simulations <= hotspots.POWER_SIMULATIONS
    assert hot.normal == ()          # 22 areas: the permutations reach BH's threshold
    assert (hot.frame[column(SCORE, "gi_label")] == UNDECIDABLE).all()
    assert (hot.counts(SCORE)[NOT_SIGNIFICANT]) == 0
    shown = f"{round(100 * power.share)} %"
    assert any(f"en tydlig klunga om 5 områden skulle hittas i {shown} av fallen" in note
               and UNDECIDABLE in note for note in hot.notes())
    assert hot.nothing_found() == ("Inga signifikanta kluster, men det går inte att avgöra "
                                   "med så få områden: en tydlig klunga om 5 områden skulle "
                                   f"hittas i {shown} av fallen.")
    # The check is the switch: without it the same areas are "Ej signifikant".
    plain = find_hotspots(areas, noise(areas.frame[AREA_ID], 2026, name=SCORE), min_power=0)
    assert (plain.frame[column(SCORE, "gi_label")] == NOT_SIGNIFICANT).all()
    assert plain.power == {}
    assert plain.nothing_found() == ("Inga signifikanta kluster efter korrektion för många "
                                     "test (FDR).")


def test_a_significant_area_keeps_its_label_when_the_power_is_low():
    areas, values = planted()
    hot = find_hotspots(areas, values)          # 100 areas, FDR, 999 permutations
    frame = hot.for_variable("x")
    assert not hot.power["x"].decidable
    assert frame.loc["R1C1", "gi_label"] == HOT
    assert set(frame["gi_label"]) == {HOT, UNDECIDABLE_WEAK}


def test_400_cells_have_the_power_and_a_planted_cluster_is_found():
    """On a 20 x 20 grid the test finds a clear cluster often enough: not-significant areas
    are "Ej signifikant", and a planted 3 x 3 block is a hot spot. Without the FDR
    correction here; with it see test_400_cells_with_fdr_find_the_planted_block."""
    areas = square_grid(20)
    values = noise(areas[AREA_ID], 8)
    block = [f"R{r}C{c}" for r in range(8, 11) for c in range(8, 11)]
    values[block] += 3.0
    hot = find_hotspots(areas, values, fdr=False)
    frame = hot.for_variable("x")
    assert hot.power["x"].decidable and hot.power["x"].share >= hotspots.MIN_POWER
    assert frame.loc["R9C9", "gi_label"] == HOT
    assert set(frame["gi_label"]) <= {HOT, COLD, NOT_SIGNIFICANT}
    assert (frame["gi_label"] == NOT_SIGNIFICANT).sum() > 300
    assert hot.normal == ()


def test_power_is_computed_once_per_area_set():
    areas, values = planted()
    hotspots.clear_power_cache()
    cache = hotspots._power_cache
    misses = cache.misses
    find_hotspots(areas, pd.concat([values, (-values).rename("y")], axis=1))
    find_hotspots(areas, (values * 2).rename("z"))
    assert cache.misses == misses + 1 and cache.hits >= 2
    find_hotspots(areas, values.drop("R5C5"))   # another set of tested areas
    assert cache.misses == misses + 2


def test_too_few_areas_are_undecidable_without_simulation():
    values = pd.Series([1.0, 2.0, 3.0, 4.0], index=["A1", "A2", "A4", "A5"], name="x")
    hot = find_hotspots(grid_frame(), values, permutations=99)
    labels = hot.frame[column("x", "gi_label")]
    assert set(labels[["A1", "A2", "A4", "A5"]]) == {UNDECIDABLE}
    assert hot.power == {}


# -- the normal approximation where FDR over many areas outruns the permutations ----------
@pytest.mark.parametrize(("permutations", "alpha"),
                         [(999, 0.05), (99, 0.05), (199, 0.05), (999, 0.1), (9999, 0.01)])
def test_the_switch_is_where_one_area_at_the_smallest_p_cannot_pass_bh(permutations, alpha):
    from fractions import Fraction

    last = clusters.most_areas_with_permutations(permutations, alpha)
    for n in range(1, 3 * last + 5):
        beyond = Fraction(2, permutations + 1) > Fraction(str(alpha)) / n    # exactly
        assert clusters.uses_normal_p(n, permutations=permutations, alpha=alpha) == beyond
        assert (n > last) == beyond
        assert not clusters.uses_normal_p(n, permutations=permutations, alpha=alpha,
                                          fdr=False)
        # one area at the smallest permutation p passes BH exactly where it is used
        p = np.r_[clusters.smallest_p(permutations), np.ones(n - 1)]
        assert bool(benjamini_hochberg(p)[0] <= alpha) == (not beyond)
    assert clusters.needed_at_smallest(last, permutations, alpha) == 1
    assert clusters.needed_at_smallest(last + 1, permutations, alpha) == 2


def test_gi_star_z_is_esdas_zs_and_normal_p_twice_its_p_norm():
    graph = _tested_graph(square_grid(8))
    y = np.random.default_rng(3).lognormal(size=len(graph.unique_ids))
    with np.errstate(divide="ignore", invalid="ignore"):
        gl = esda.G_Local(y, as_libpysal(graph).transform("b").assign_self_weight(1.0),
                          transform="B", star=True, permutations=0)
    star = hotspots._star(graph)
    width = star.row_sums()
    z = gi_star_z(y, star.lag(y), width)
    assert z == pytest.approx(gl.Zs, rel=1e-9)
    assert normal_p(z) == pytest.approx(2 * gl.p_norm, rel=1e-9)
    # rows are separate draws, and a shift and scale of the values change nothing
    rows = np.vstack([y, 2 * y - 5])
    assert gi_star_z(rows, star.lag(rows.T).T, width) == pytest.approx(np.vstack([gl.Zs] * 2))
    assert normal_p(np.array([np.nan, 0.0, -1.959963984540054])) == pytest.approx([1, 1, 0.05])


def test_moran_normal_p_has_the_moments_of_the_permutations():
    """The normal approximation of local Moran's I uses the exact mean and variance of its
    conditional permutation distribution: against esda's 19 999 permutations (its z from
    their mean and sd, ``p_z_sim``), the p differ only by the simulations' own noise."""
    graph = _tested_graph(square_grid(6))
    y = np.random.default_rng(4).lognormal(size=len(graph.unique_ids))
    state = np.random.get_state()
    try:
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The alternative hypothesis",
                                    category=DeprecationWarning)
            lm = esda.Moran_Local(y, as_libpysal(graph).transform("r"), transformation="r",
                                  permutations=19_999, seed=3, n_jobs=1)
    finally:
        np.random.set_state(state)
    row = graph.transform("r")
    p = moran_normal_p(lm.z, row)
    assert np.abs(p - 2 * lm.p_z_sim).max() < 0.01
    # esda's analytical EIc / VIc are for I without the (n - 1) / n of its Is: not these
    z_c = (lm.Is - lm.EIc) / np.sqrt(lm.VIc)
    assert np.abs(normal_p(z_c) - 2 * lm.p_z_sim).max() > 0.01
    # an area at the mean (z = 0) has I = 0 whatever its neighbours: p = 1
    z0 = lm.z.copy()
    z0[0] = 0.0
    assert moran_normal_p(z0, row)[0] == 1.0


def test_many_areas_with_fdr_use_the_normal_p_and_say_so():
    areas, values = planted()
    hot = find_hotspots(areas, values, min_power=0)
    frame = hot.for_variable("x")
    assert hot.normal == ("x",)
    graph = _tested_graph(areas)
    y = values[graph.unique_ids].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        lm = esda.Moran_Local(y, as_libpysal(graph).transform("r"), transformation="r",
                              permutations=0)
    assert np.array_equal(frame.loc[graph.unique_ids, "moran_p_raw"],
                          moran_normal_p(lm.z, graph.transform("r")))
    assert np.array_equal(frame["gi_p_raw"], normal_p(frame["gi_z"].to_numpy()))
    method = hot.notes()[0]
    assert "normalapproximationen" in method and "villkorade permutationer" not in method
    needed = clusters.needed_at_smallest(100)
    assert needed == 4
    assert any(f"först när minst {needed} områden nått det" in d for d in hot.details)
    # without FDR the permutations reach alpha: they are used, and the notes say so
    plain = find_hotspots(areas, values, fdr=False, min_power=0)
    assert plain.normal == ()
    assert "999 villkorade permutationer" in plain.notes()[0]
    assert "normalapproximationen" not in " ".join(plain.notes())
    # one variable on 20 areas (permutations), one on 100 (normal): the notes say which
    mixed = find_hotspots(areas, pd.concat(
        [values, values.iloc[:20].rename("few")], axis=1), min_power=0)
    assert mixed.normal == ("x",)
    assert mixed.notes()[0].count("För x: p-värden från normalapproximationen") == 1
    assert "Övriga variabler: p-värden från 999 villkorade permutationer" in mixed.notes()[0]


def test_power_on_the_normal_branch_is_find_hotspots_on_each_simulation():
    """The power check simulates the test find_hotspots runs: rerunning find_hotspots on each
    of its simulated value sets (same seed, same noise) finds the cluster as often."""
    areas = square_grid(10)
    graph = _tested_graph(areas)
    hotspots.clear_power_cache()
    power = hotspots.detection_power(graph, simulations=30)
    assert clusters.uses_normal_p(len(graph.unique_ids))
    planted_ids = graph.unique_ids[hotspots.planted_cluster(graph)]
    rng = np.random.default_rng(20261123)
    found = 0
    for _ in range(power.simulations):
        y = rng.normal(size=len(graph.unique_ids))
        y[hotspots.planted_cluster(graph)] += clusters.POWER_LIFT
        labels = find_hotspots(areas, pd.Series(y, index=graph.unique_ids, name="x"),
                               min_power=0).frame[column("x", "gi_label")]
        found += bool((labels[planted_ids] == HOT).any())
    assert power.simulations == 30        # cheap: no early stop on the normal branch
    assert found / power.simulations == power.share
    assert 0 < power.share < 1


def test_400_cells_with_fdr_find_the_planted_block():
    """With FDR on 400 areas the permutations' smallest p (0.002) would have to be reached
    by 16 areas before any is significant; the normal approximation finds a planted 3 x 3
    block at +3 sd, and nothing far from it."""
    areas = square_grid(20)
    values = noise(areas[AREA_ID], 8)
    block = [f"R{r}C{c}" for r in range(8, 11) for c in range(8, 11)]
    values[block] += 3.0
    assert clusters.needed_at_smallest(400) == 16
    hot = find_hotspots(areas, values)
    frame = hot.for_variable("x")
    assert hot.fdr and hot.normal == ("x",)
    assert frame.loc["R9C9", "gi_label"] == HOT
    assert frame.loc["R9C9", "moran_label"] == HIGH_HIGH
    hot_ids = frame.index[frame["gi_label"] == HOT]
    assert all(7 <= int(i[1:i.index("C")]) <= 11 and 7 <= int(i[i.index("C") + 1:]) <= 11
               for i in hot_ids)
    assert (frame["gi_label"] != COLD).all()
    assert hot.power["x"].share > 0
    undecided = UNDECIDABLE_WEAK if not hot.power["x"].decidable else NOT_SIGNIFICANT
    assert set(frame["gi_label"]) == {HOT, undecided}


def _clear_hotspot_caches() -> None:
    weights.clear_graph_cache()
    hotspots._test_weights_cache.clear()
    hotspots.clear_power_cache()


def _counted(monkeypatch, module, name: str) -> list[int]:
    calls = [0]
    original = getattr(module, name)

    def counting(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    monkeypatch.setattr(module, name, counting)
    return calls


@pytest.mark.parametrize("n", [4, 7])          # permutations (16 areas), normal p (49)
def test_a_weight_change_neither_hashes_the_geometry_nor_builds_the_graph(monkeypatch, n):
    _clear_hotspot_caches()
    frame = square_grid(n)
    hashed = _counted(monkeypatch, weights, "_geometry_fingerprint")
    built = _counted(monkeypatch, weights, "queen_graph")
    derived = _counted(monkeypatch, hotspots, "_test_weights")
    first = find_hotspots(frame, noise(frame[AREA_ID], 1), permutations=99)
    # A weight change: new values on the same area frame, as run_analysis hands it.
    second = find_hotspots(frame, noise(frame[AREA_ID], 2), permutations=99)
    assert (hashed[0], built[0], derived[0]) == (1, 1, 2)
    assert len(hotspots._test_weights_cache) == 1
    # Bit for bit what the same call gives with every cache empty.
    _clear_hotspot_caches()
    fresh = find_hotspots(frame, noise(frame[AREA_ID], 2), permutations=99)
    pd.testing.assert_frame_equal(second.frame, fresh.frame, check_exact=True)
    assert second.details == fresh.details
    assert not first.frame.equals(second.frame)
    _clear_hotspot_caches()


def test_kept_fingerprint_is_the_hash_and_follows_the_objects():
    weights.clear_graph_cache()
    geoms, _ = _geometries(grid_frame())
    key = _fingerprint(geoms)
    assert key == weights._geometry_fingerprint(geoms)
    assert _fingerprint(geoms.set_axis([f"X{i}" for i in geoms.index])) == \
        weights._geometry_fingerprint(geoms.set_axis([f"X{i}" for i in geoms.index])) != key
    # Frames made and dropped one after another: none gets a fingerprint of another one,
    # whatever memory its geometry objects reuse (the kept entries hold their objects).
    for k in range(2 * weights.FINGERPRINT_CACHE_SIZE):
        moved = gpd.GeoSeries(geoms.geometry.to_numpy()).translate(k + 1.0).to_numpy()
        frame = gpd.GeoDataFrame(geometry=moved, index=geoms.index, crs=geoms.crs)
        assert _fingerprint(frame) == weights._geometry_fingerprint(frame)
        del frame, moved
    assert len(weights._fingerprint_cache) == weights.FINGERPRINT_CACHE_SIZE
    weights.clear_graph_cache()
