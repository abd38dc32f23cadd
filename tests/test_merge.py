"""Merging small neighbouring areas until each reaches a minimum population (geo.spatial.merge).

Hand-made layouts in EPSG:3006 (``x0, y0`` = geo_fixtures.ORIGIN, boxes in metres):

* ``layout()``: T (tiny) is a 1 km box; E east of it shares 1 000 m of border, N north of
  it only 600 m, C touches T at its south-west corner only, and I is an island 5 km away::

        N
        T E
      C           I (far away)

* the 3x3 grid of geo_fixtures (A1 south-west, A9 north-east), where every shared edge is
  1 000 m, so ties on border length are broken by population, then id.

Populations come from two denominators (``unga`` for andel, ``invanare`` for brott, see
small_catalogue): an area's population is the smaller of the two known ones.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geo_fixtures import GRID_IDS, GRID_NAMES, ORIGIN, grid_boxes
from shapely.geometry import box
from small_catalogue import small_catalogue

from geo.inputs import Inputs, list_profiles, load_inputs
from geo.io.areas import areas_from_frame
from geo.io.files import SourceInfo
from geo.spatial.merge import TITLE, Merge, merge_small_areas
from indicators.columns import youth_population
from indicators.disclosure import apply_disclosure
from indicators.errors import SettingsError
from indicators.levels import FROM_ID
from indicators.table import derive_values

NAN = math.nan
RATES = ["andel", "brott"]
SOURCE = SourceInfo("Testområden", "testdata", "2026-01-01")
TABLE_SOURCE = SourceInfo("Testtabell", "testdata", "2026-01-02")


def make_inputs(ids, names, geoms, unga, invanare, antal=None, brott=None) -> Inputs:
    frame = gpd.GeoDataFrame({"area_id": ids, "area_name": names}, geometry=geoms, crs=3006)
    n = len(ids)
    table = pd.DataFrame({
        "area_id": ids,
        "antal": antal if antal is not None else [NAN if math.isnan(u) else 5.0 for u in unga],
        "unga": [float(u) for u in unga],
        "brott_antal": brott if brott is not None else [
            NAN if math.isnan(v) else 5.0 for v in invanare],
        "invanare": [float(v) for v in invanare],
        "poang": [1.0] * n})
    return Inputs(areas=areas_from_frame(frame, SOURCE), table=table,
                           table_source=TABLE_SOURCE, table_name="tabell.csv",
                           catalogue=small_catalogue())


def layout() -> Inputs:
    x0, y0 = ORIGIN
    geoms = [box(x0, y0, x0 + 1000, y0 + 1000),                 # T
             box(x0 + 1000, y0, x0 + 2000, y0 + 1000),          # E: 1 000 m border with T
             box(x0, y0 + 1000, x0 + 600, y0 + 1600),           # N: 600 m border with T
             box(x0 - 1000, y0 - 1000, x0, y0),                 # C: a corner of T only
             box(x0 + 5000, y0 + 5000, x0 + 6000, y0 + 6000)]   # I: island
    return make_inputs(["T", "E", "N", "C", "I"], ["Liten", "Öst", "Norr", "Hörn", "Ön"], geoms,
                       unga=[10, 400, 100, 60, 5], invanare=[100, 4000, 1000, 600, 50],
                       antal=[6.0, 40.0, 10.0, 6.0, 1.0],
                       brott=[7.0, 12.0, 5.0, 5.0, 1.0])


def grid(unga, invanare=None) -> Inputs:
    invanare = invanare if invanare is not None else [10 * u for u in unga]
    return make_inputs(GRID_IDS, GRID_NAMES, grid_boxes(), unga=unga, invanare=invanare)


def groups_of(merge: Merge) -> dict[str, str]:
    return dict(zip(merge.grouping[FROM_ID], merge.grouping["area_id"], strict=True))


# -- the constructed cases -----------------------------------------------------------------
def test_tiny_area_merges_with_its_longest_border_neighbour_and_the_island_stays():
    inputs = layout()
    merge = merge_small_areas(inputs, RATES, 50)
    # Not N (smaller, 600 m border) nor C (smallest, a corner only): E shares 1 000 m.
    assert merge.merged == (("E", "T"),)
    assert merge.unresolved == ("I",)
    assert groups_of(merge) == {"T": "E", "E": "E", "N": "N", "C": "C", "I": "I"}
    names = dict(zip(merge.grouping["area_id"], merge.grouping["area_name"], strict=True))
    assert names == {"E": "Öst + Liten", "N": "Norr", "C": "Hörn", "I": "Ön"}
    frame = merge.inputs.areas.frame.set_index("area_id")
    assert sorted(frame.index) == ["C", "E", "I", "N"]
    assert frame.at["E", "area_name"] == "Öst + Liten"
    assert frame.at["E", "geometry"].area == pytest.approx(2_000_000)
    assert merge.inputs.areas.source.title == f"{TITLE} (av Testområden)"
    assert merge.notes() == [
        "Sammanslagning: 2 områden har slagits samman till 1 större område så att "
        "målgruppen om möjligt är minst 50 personer. Antalen har summerats och andelarna "
        "räknats om: Öst + Liten (E, T).",
        "1 område har fortfarande färre än 50 personer i målgruppen eftersom det "
        "saknar granne att slås samman med (t.ex. en ö, eller grannar utan data): Ön (I).",
        "Indikatorer utan täljare och nämnare kan inte räknas om till kommundelar och är "
        "utelämnade: Poäng."]


def test_counts_are_summed_so_rates_are_recomputed_not_averaged():
    inputs = layout()
    merge = merge_small_areas(inputs, RATES, 50)
    table = merge.inputs.table.set_index("area_id")
    assert table.loc["E", ["antal", "unga", "brott_antal", "invanare"]].tolist() == [
        46.0, 410.0, 19.0, 4100.0]
    assert "poang" not in table.columns                  # a plain value cannot be summed
    values = derive_values(table, small_catalogue(), RATES)
    assert values.at["E", "andel"] == pytest.approx(46 / 410 * 100)       # not (60 + 10) / 2
    assert values.at["E", "brott"] == pytest.approx(19 / 4100 * 1000)     # not (70 + 3) / 2
    assert table.loc["N"].tolist() == inputs.table.set_index("area_id").loc[
        "N", table.columns].tolist()
    for col in ["antal", "unga", "brott_antal", "invanare"]:
        assert table[col].sum() == inputs.table[col].sum()


def test_a_corner_is_enough_queen_contiguity():
    x0, y0 = ORIGIN
    inputs = make_inputs(["T", "C"], ["Liten", "Hörn"],
                         [box(x0, y0, x0 + 1000, y0 + 1000), box(x0 - 1000, y0 - 1000, x0, y0)],
                         unga=[10, 100], invanare=[100, 1000])
    merge = merge_small_areas(inputs, RATES, 50)
    assert merge.merged == (("C", "T"),)
    assert merge.unresolved == ()


def test_an_overlapping_area_is_a_neighbour_as_in_hotspots():
    """One rule for both (geo.spatial.weights): areas drawn over each other are neighbours.
    libpysal's strict contiguity made T an island here, left unresolved."""
    x0, y0 = ORIGIN
    inputs = make_inputs(["T", "O"], ["Liten", "Över"],
                         [box(x0, y0, x0 + 1000, y0 + 1000),
                          box(x0 + 500, y0 + 500, x0 + 1500, y0 + 1500)],
                         unga=[10, 100], invanare=[100, 1000])
    merge = merge_small_areas(inputs, RATES, 50)
    assert merge.merged == (("O", "T"),)
    assert merge.unresolved == ()


GRID_UNGA = [100, 300, 200, 400, 10, 20, 500, 250, 150]   # A1..A9


def test_two_tiny_neighbours_merge_together_then_with_a_third():
    merge = merge_small_areas(grid(GRID_UNGA), RATES, 50)
    # A5 (10) is smallest: of its edge neighbours A2, A4, A6, A8 (1 000 m each) A6 (20) is
    # smallest. A6+A5 (30) is still small: of A2, A3, A4, A8, A9 (1 000 m each) A9 (150) is
    # smallest; A1 (100) touches only at corners. A9+A6+A5 = 180.
    assert merge.merged == (("A9", "A6", "A5"),)
    assert merge.unresolved == ()
    table = merge.inputs.table.set_index("area_id")
    assert table.at["A9", "unga"] == 180
    assert sorted(table.index) == ["A1", "A2", "A3", "A4", "A7", "A8", "A9"]
    assert merge.inputs.areas.frame.set_index("area_id").at["A9", "area_name"] == \
        "Ruta 9 + Ruta 6 + Ruta 5"


def test_two_tiny_neighbours_that_reach_the_minimum_together_stop():
    unga = [100, 300, 200, 400, 30, 25, 500, 250, 150]
    merge = merge_small_areas(grid(unga), RATES, 50)
    # A6 (25) first: its edge neighbours A3 (200), A5 (30), A9 (150) -> A5; 55 >= 50.
    assert merge.merged == (("A5", "A6"),)
    assert merge_small_areas(grid(unga), RATES, 56).merged != (("A5", "A6"),)


def test_the_smallest_group_goes_first():
    # A row of 1 km wide boxes on a common base, X Z Y W, with borders X|Z 500 m,
    # Z|Y 800 m and Y|W 1 000 m (heights 500, 800, 1 000, 1 000).
    x0, y0 = ORIGIN
    heights = [500, 800, 1000, 1000]
    geoms = [box(x0 + 1000 * i, y0, x0 + 1000 * (i + 1), y0 + h) for i, h in enumerate(heights)]
    inputs = make_inputs(["X", "Z", "Y", "W"], ["Ix", "Zeta", "Ypsilon", "Wé"], geoms,
                         unga=[10, 45, 40, 100], invanare=[1000] * 4)
    # X (10) first: Z is its only neighbour, X+Z = 55. Then Y (40): W shares more border
    # than the group Z. (Starting from Z, the largest small area, Z would take Y.)
    merge = merge_small_areas(inputs, RATES, 50)
    assert merge.merged == (("W", "Y"), ("Z", "X"))


def test_missing_denominators_are_not_zero():
    unga = [NAN, 200, NAN, 200, 100, 150, 300, 10, NAN]
    invanare = [2000, 2000, 20, 2000, 1000, 1500, 3000, 100, NAN]
    merge = merge_small_areas(grid(unga, invanare), RATES, 50)
    # A1 lacks unga but has 2 000 inhabitants: not small. A9 knows nothing: not small, and
    # never a partner (it would hide the data). A8 (10): A5, A7, A9 share 1 000 m; A5 (100)
    # is the smallest eligible one. A3 lacks unga but has 20 inhabitants: small; A2 and A6
    # share 1 000 m, A6 (150) is smaller; A5's group touches A3 at a corner only.
    assert merge.merged == (("A5", "A8"), ("A6", "A3"))
    assert merge.unresolved == ()
    table = merge.inputs.table.set_index("area_id")
    assert np.isnan(table.at["A6", "unga"])          # unknown for A3, so for the group
    assert table.at["A6", "invanare"] == 1520
    assert "A6, 'unga': värde saknas för 1 av 2 delområden (A3); summan lämnas tom." in \
        merge.notes()


def test_a_group_whose_only_neighbours_lack_data_is_unresolved():
    x0, y0 = ORIGIN
    inputs = make_inputs(["T", "E"], ["Liten", "Tom"],
                         [box(x0, y0, x0 + 1000, y0 + 1000),
                          box(x0 + 1000, y0, x0 + 2000, y0 + 1000)],
                         unga=[10, NAN], invanare=[NAN, 1000])
    # Merged, neither denominator would be known for both: T would vanish from the analysis.
    merge = merge_small_areas(inputs, RATES, 50)
    assert merge.merged == ()
    assert merge.unresolved == ("T",)
    assert merge.inputs is inputs


def test_only_the_selected_indicators_define_the_population():
    unga = [100, 300, 200, 400, 10, 20, 500, 250, 150]
    inputs = grid(unga, invanare=[1000] * 9)
    assert merge_small_areas(inputs, ["brott"], 50).merged == ()
    assert merge_small_areas(inputs, ["andel", "poang"], 50).merged == (("A9", "A6", "A5"),)


def test_nothing_small_leaves_the_inputs_unchanged():
    inputs = grid([100 + i for i in range(9)])
    for minimum in (50, 0):
        merge = merge_small_areas(inputs, RATES, minimum)
        assert merge.inputs is inputs
        assert merge.merged == () and merge.unresolved == ()
        assert groups_of(merge) == {a: a for a in GRID_IDS}
        assert merge.notes() == [
            f"Sammanslagning: inget område har färre än {minimum} personer i "
            "målgruppen; inga områden har slagits samman."]


def test_the_result_does_not_depend_on_row_order():
    inputs = grid(GRID_UNGA)
    frame = inputs.areas.frame.iloc[::-1].reset_index(drop=True)
    shuffled = Inputs(areas=areas_from_frame(frame, SOURCE),
                               table=inputs.table.iloc[[3, 8, 0, 5, 1, 7, 2, 6, 4]],
                               table_source=TABLE_SOURCE, table_name="tabell.csv",
                               catalogue=small_catalogue())
    a, b = merge_small_areas(inputs, RATES, 50), merge_small_areas(shuffled, RATES, 50)
    assert a.merged == b.merged and a.unresolved == b.unresolved
    assert groups_of(a) == groups_of(b)


def test_the_rule_is_stated_in_swedish():
    merge = merge_small_areas(layout(), RATES, 50)
    assert "minst 50 personer" in merge.rule
    for part in ("minsta nämnaren", "aldrig som 0", "längst gräns", "lägst områdeskod",
                 "Queen", "folkrikaste", "' + '", "ö"):
        assert part in merge.rule


@pytest.mark.parametrize("bad", [-1, 2.5, True, "50"])
def test_a_bad_minimum_is_a_settings_error(bad):
    with pytest.raises(SettingsError, match="minsta befolkning ska vara ett heltal"):
        merge_small_areas(layout(), RATES, bad)


def test_an_unknown_indicator_is_a_settings_error():
    with pytest.raises(SettingsError, match="okända indikatorer"):
        merge_small_areas(layout(), ["finns_inte"], 50)


# -- the real demo ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> tuple[Inputs, tuple[str, ...], Merge]:
    inputs = load_inputs()
    indicators = list_profiles()["Bred prevention"].indicators
    return inputs, indicators, merge_small_areas(inputs, indicators, DEMO_MINIMUM)


DEMO_MINIMUM = 450
"""Above the three smallest young populations of the demo (barn 0–17 år: 362, 375, 439)."""


def smallest_denominator(table: pd.DataFrame, inputs: Inputs,
                         indicators) -> pd.Series:
    """The population merging reads: the young population (issue 16), not the smallest
    denominator."""
    return youth_population(table)[0]


def test_demo_groups_reach_the_minimum(demo):
    inputs, indicators, merge = demo
    before = smallest_denominator(inputs.table, inputs, indicators)
    assert (before < DEMO_MINIMUM).sum() == 3               # the demo has small areas
    after = smallest_denominator(merge.inputs.table, inputs, indicators)
    assert merge.merged
    for area, population in after.items():
        assert population >= DEMO_MINIMUM or area in merge.unresolved
    # Disclosure control, on the merged table, flags no other area as small.
    flagged = apply_disclosure(merge.inputs.table, inputs.catalogue, indicators,
                               min_population=DEMO_MINIMUM).small_areas["area_id"]
    assert set(flagged) <= set(merge.unresolved)
    # Every RegSO is in exactly one group; the groups are the areas of the new inputs.
    assert sorted(merge.grouping[FROM_ID]) == sorted(inputs.areas.frame["area_id"])
    assert sorted(merge.inputs.areas.frame["area_id"]) == sorted(set(merge.grouping["area_id"]))
    assert len(merge.inputs.areas.frame) == len(inputs.areas.frame) - sum(
        len(g) - 1 for g in merge.merged)


def test_demo_totals_are_unchanged(demo):
    inputs, _, merge = demo
    link = groups_of(merge)
    for original, merged in [(inputs.table, merge.inputs.table),
                             *zip((t for _, t in inputs.history),
                                  (t for _, t in merge.inputs.history), strict=True)]:
        merged = merged.set_index("area_id")
        counts = [c for c in merged.columns if c != "area_name"]
        assert counts
        for col in counts:
            values = original.set_index("area_id")[col]
            if values.notna().all():
                assert merged[col].sum() == pytest.approx(values.sum()), col
            else:   # a group with a member that lacks the count is left missing, not too low
                group = values.index.map(link)
                lacking = set(group[values.isna().to_numpy()])
                assert set(merged.index[merged[col].isna()]) == lacking, col
                assert merged[col].sum() == pytest.approx(
                    values[~group.isin(lacking)].sum()), col
