"""Area- and population-weighted interpolation between boundaries that do not nest.

Most tests use boxes checkable by hand; the last ones use Huddinge's 22 RegSO.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from shared_data import shared

from geo.spatial.interpolate import interpolate_counts
from indicators.errors import AreaFileError
from indicators.levels import Rate


def sources() -> gpd.GeoDataFrame:
    """Two 1 km boxes side by side: 100 children (10 % poor) and 300 children (20 % poor)."""
    return gpd.GeoDataFrame({"barn": [100, 300], "lag_pct": [10.0, 20.0]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
                            crs=3006)


def targets() -> gpd.GeoDataFrame:
    """One box over the left half of the left source and one straddling both, half outside."""
    return gpd.GeoDataFrame({"area_id": ["T1", "T2"], "area_name": ["Väst", "Mitt"]},
                            geometry=[box(0, 0, 500, 1000), box(500, 0, 1500, 2000)], crs=3006)


def test_counts_follow_the_shares_of_area_and_rates_follow_the_counts():
    result = interpolate_counts(sources(), targets(), counts=["barn"],
                                rates=[Rate("lag_pct", "barn")])
    frame = result.frame.set_index("area_id")
    # T1: half of source 1 -> 50 children, 5 poor. T2: half of 1 and half of 2 -> 50 + 150.
    assert frame["barn"].tolist() == pytest.approx([50.0, 200.0])
    assert frame["lag_pct"].tolist() == pytest.approx([10.0, (5 + 30) / 200 * 100])
    assert frame["coverage"].tolist() == pytest.approx([1.0, 0.5])


@pytest.mark.parametrize("weights", ["area", "population"])
def test_a_missing_count_is_never_read_as_zero(weights):
    src = sources().assign(barn=[np.nan, 300.0], area_id=["S1", "S2"])
    people = gpd.GeoDataFrame({"folk": [10.0, 10.0]}, geometry=list(src.geometry), crs=3006)
    result = interpolate_counts(src, targets(), counts=["barn"], rates=[Rate("lag_pct", "barn")],
                                weights=weights, population=people, population_column="folk")
    frame = result.frame.set_index("area_id")
    # Both targets take a share of S1, whose count is missing: no value, not 0 or 150.
    assert frame["barn"].isna().all() and frame["lag_pct"].isna().all()
    assert "'barn': värde saknas i källområdena 'S1'; målområden som får en del av dem får " \
           "inget värde: 'T1', 'T2'." in result.messages()
    only_right = targets().iloc[[1]].set_geometry([box(1200, 0, 1800, 1000)], crs=3006)
    moved = interpolate_counts(src, only_right, counts=["barn"], weights=weights,
                               population=people, population_column="folk").frame
    assert moved["barn"].tolist() == pytest.approx([180.0])   # untouched by S1


def test_partial_coverage_is_reported():
    messages = interpolate_counts(sources(), targets(), counts=["barn"]).messages()
    assert messages[0].startswith("Ytviktad interpolation (tobler)")
    assert messages[1:] == ["T2 (Mitt): bara 50% av ytan täcks av källområdena; antalen gäller "
                            "den delen."]


def test_targets_in_another_crs_are_reprojected():
    wgs = targets().to_crs(4326)
    frame = interpolate_counts(sources(), wgs, counts=["barn"]).frame
    assert frame["barn"].tolist() == pytest.approx([50.0, 200.0], rel=1e-6)


def test_missing_crs_and_columns_are_one_error():
    src = sources().set_crs(None, allow_override=True)
    with pytest.raises(AreaFileError, match=r"källområdena saknar koordinatsystem \(CRS\)") \
            as info:
        interpolate_counts(src, targets(), counts=["finns_inte"], source_name="deso.gpkg")
    text = str(info.value)
    assert "fil 'deso.gpkg': källområdena saknar koordinatsystem (CRS)." in text
    assert "kolumner saknas i källområdena. Värden: 'finns_inte'." in text


def test_degrees_are_refused():
    with pytest.raises(AreaFileError, match=re.escape(
            "ytor kan inte mätas i grader. Värden: 'EPSG:4326'.")):
        interpolate_counts(sources().to_crs(4326), targets(), counts=["barn"])


def test_nested_boundaries_give_the_same_sums_as_aggregation():
    """Interpolating onto unions of whole source areas equals summing them."""
    whole = gpd.GeoDataFrame({"area_id": ["A"], "area_name": ["Allt"]},
                             geometry=[box(0, 0, 2000, 1000)], crs=3006)
    frame = interpolate_counts(sources(), whole, counts=["barn"]).frame
    assert frame["barn"].tolist() == pytest.approx([400.0])
    assert isinstance(frame, pd.DataFrame)


# --- Population weights -------------------------------------------------------------------


def named_sources() -> gpd.GeoDataFrame:
    return sources().assign(area_id=["S1", "S2"])


def zones(*people: float) -> gpd.GeoDataFrame:
    """Ancillary population zones: the four 500 m halves of the sources, then a zone above.

    A = box(0, 0, 500, 1000), B = box(500, 0, 1000, 1000) (the halves of S1), C and D (the
    halves of S2), E = box(500, 1000, 1500, 2000) (outside the sources, inside T2).
    """
    shapes = [box(0, 0, 500, 1000), box(500, 0, 1000, 1000), box(1000, 0, 1500, 1000),
              box(1500, 0, 2000, 1000), box(500, 1000, 1500, 2000)]
    return gpd.GeoDataFrame({"folk": list(people)}, geometry=shapes[:len(people)], crs=3006)


def by_population(source=None, target=None, population=None, **kwargs):
    return interpolate_counts(
        named_sources() if source is None else source,
        targets() if target is None else target, counts=["barn"],
        rates=[Rate("lag_pct", "barn")], weights="population",
        population=zones(30, 10, 5, 15, 40) if population is None else population,
        population_column="folk", population_name="rutor.gpkg", **kwargs)


def test_one_square_split_by_population_not_by_area():
    """90 people in the left half and 10 in the right: 90 % / 10 %, where area gives 50/50."""
    square = gpd.GeoDataFrame({"barn": [200], "lag_pct": [15.0]},
                              geometry=[box(0, 0, 1000, 1000)], crs=3006)
    halves = gpd.GeoDataFrame({"area_id": ["V", "O"], "area_name": ["Väst", "Öst"]},
                              geometry=[box(0, 0, 500, 1000), box(500, 0, 1000, 1000)],
                              crs=3006)
    frame = by_population(square, halves, zones(90, 10)).frame
    assert frame["barn"].tolist() == pytest.approx([180.0, 20.0])
    assert frame["lag_pct"].tolist() == pytest.approx([15.0, 15.0])
    assert frame["population_coverage"].tolist() == pytest.approx([1.0, 1.0])
    by_area = interpolate_counts(square, halves, counts=["barn"]).frame
    assert by_area["barn"].tolist() == pytest.approx([100.0, 100.0])


def test_population_weights_move_counts_and_recompute_rates_by_hand():
    # S1 has 40 people: T1 holds A (30) -> 75 %, T2 holds B (10) -> 25 %.
    # S2 has 20 people: T2 holds C (5) -> 25 %; D (15) lies in no target and stays out.
    # T1: 75 children, 7.5 poor. T2: 25 + 75 = 100 children, 2.5 + 15 = 17.5 poor.
    frame = by_population().frame.set_index("area_id")
    assert frame["barn"].tolist() == pytest.approx([75.0, 100.0])
    assert frame["lag_pct"].tolist() == pytest.approx([10.0, 17.5])
    assert frame["coverage"].tolist() == pytest.approx([1.0, 0.5])
    # T2's 55 people: B 10 and C 5 inside the sources, E 40 outside.
    assert frame["population_coverage"].tolist() == pytest.approx([1.0, 15 / 55])


def test_population_weights_report_the_layer_and_the_coverage():
    result = by_population()
    assert result.weights == "population"
    assert result.fallback == ()
    assert result.messages() == [
        "Befolkningsviktad interpolation: ett antal antas vara fördelat som befolkningen inom "
        "sitt ursprungsområde och fördelas efter hur stor del av ursprungsområdets befolkning "
        "som bor i varje målområde, efter befolkningen i rutor.gpkg (kolumn 'folk'). "
        "Befolkningen i en del av ett område uppskattas ur befolkningsytorna efter yta.",
        "T2 (Mitt): källområdena täcker 50% av ytan och 27% av befolkningen i rutor.gpkg; "
        "antalen gäller den delen."]


def test_totals_are_kept_when_the_targets_cover_the_sources():
    # T1 = box(0, 0, 700, 1000) holds A (30) and 2/5 of B (4): 34 of S1's 40 people.
    cut = gpd.GeoDataFrame({"area_id": ["T1", "T2"], "area_name": ["Väst", "Öst"]},
                           geometry=[box(0, 0, 700, 1000), box(700, 0, 2000, 1000)], crs=3006)
    frame = by_population(target=cut, population=zones(30, 10, 5, 15)).frame
    assert frame["barn"].tolist() == pytest.approx([85.0, 15.0 + 300.0])
    assert frame["barn"].sum() == pytest.approx(400.0)
    poor = frame["lag_pct"] / 100 * frame["barn"]
    assert poor.tolist() == pytest.approx([8.5, 1.5 + 60.0])
    assert frame["lag_pct"].tolist() == pytest.approx([10.0, 61.5 / 315 * 100])


def test_even_population_gives_the_area_weighted_result():
    everywhere = gpd.GeoDataFrame({"folk": [1234]}, geometry=[box(-1000, -1000, 3000, 3000)],
                                  crs=3006)
    people = by_population(population=everywhere).frame
    area = interpolate_counts(sources(), targets(), counts=["barn"],
                              rates=[Rate("lag_pct", "barn")]).frame
    assert people["barn"].tolist() == pytest.approx(area["barn"].tolist())
    assert people["lag_pct"].tolist() == pytest.approx(area["lag_pct"].tolist())


@pytest.mark.parametrize("population", [zones(30, 10), zones(30, 10, 0, 0)],
                         ids=["no zone", "zones with 0 people"])
def test_a_source_without_population_falls_back_to_area(population):
    # S1 by population as before (75 / 25); S2 by area: half of its 300 children in T2.
    result = by_population(population=population)
    frame = result.frame.set_index("area_id")
    assert frame["barn"].tolist() == pytest.approx([75.0, 25.0 + 150.0])
    assert frame["lag_pct"].tolist() == pytest.approx([10.0, (2.5 + 30) / 175 * 100])
    assert result.fallback == ("S2",)
    assert result.messages()[1] == (
        "Befolkningsviktad interpolation: 1 källområde saknar befolkning i rutor.gpkg och "
        "fördelas i stället efter yta: 'S2'.")


def test_fallback_names_the_index_when_sources_have_no_area_id():
    result = by_population(source=sources(), population=zones(30, 10))
    assert result.fallback == ("1",)


def test_a_target_without_population_is_reported():
    result = by_population(population=zones(30, 10, 5, 15))  # no zone E above the sources
    assert result.frame["population_coverage"].tolist() == pytest.approx([1.0, 1.0])
    empty = gpd.GeoDataFrame({"area_id": ["X"], "area_name": ["Utanför"]},
                             geometry=[box(0, 1500, 2000, 2500)], crs=3006)
    result = by_population(target=empty, population=zones(30, 10, 5, 15))
    assert result.frame["barn"].tolist() == [0.0]
    assert result.frame["population_coverage"].isna().all()
    assert result.messages()[1] == ("X (Utanför): källområdena täcker 0% av ytan och "
                                    "målområdet saknar befolkning i rutor.gpkg; antalen gäller "
                                    "den delen.")


def test_population_layer_in_another_crs_is_reprojected():
    # RT 90 -> SWEREF 99 TM bends the zone edges a little: equal to about 1e-5.
    frame = by_population(population=zones(30, 10, 5, 15, 40).to_crs(3021)).frame
    assert frame["barn"].tolist() == pytest.approx([75.0, 100.0], rel=1e-4)


def test_area_weights_ignore_a_population_layer():
    result = interpolate_counts(sources(), targets(), counts=["barn"],
                                population=zones(90, 10), population_column="folk")
    assert result.messages()[0].startswith("Ytviktad interpolation (tobler)")
    assert "population_coverage" not in result.frame.columns
    assert result.frame["barn"].tolist() == pytest.approx([50.0, 200.0])


def test_unknown_weights_are_refused():
    with pytest.raises(AreaFileError, match=re.escape(
            "okänd viktning. Värden: 'befolkning'. Förväntat: 'area' (efter yta) eller "
            "'population' (efter befolkning).")):
        interpolate_counts(sources(), targets(), counts=["barn"], weights="befolkning")


def test_population_weights_need_a_layer_and_a_column():
    with pytest.raises(AreaFileError, match="befolkningsviktning kräver ett befolkningslager") \
            as info:
        interpolate_counts(sources(), targets(), counts=["barn"], weights="population")
    assert "fil 'befolkningslagret': befolkningsviktning kräver ett befolkningslager." in str(
        info.value)
    with pytest.raises(AreaFileError, match=re.escape(
            "kolumnen med folkmängd är inte angiven. Åtgärd: ange population_column=, en av: "
            "'folk'.")):
        interpolate_counts(sources(), targets(), counts=["barn"], weights="population",
                           population=zones(90, 10))


def test_every_problem_with_the_population_layer_is_one_error():
    layer = zones(30, 10).set_crs(None, allow_override=True)
    with pytest.raises(AreaFileError, match=r"^Fel i områdesfilen: 3 problem\.\n") as info:
        interpolate_counts(sources().to_crs(4326), targets(), counts=["barn"],
                           weights="population", population=layer, population_column="pop",
                           population_name="rutor.gpkg")
    text = str(info.value)
    assert text.startswith("Fel i områdesfilen: 3 problem.")
    assert "ytor kan inte mätas i grader. Värden: 'EPSG:4326'." in text
    assert "fil 'rutor.gpkg': befolkningslagret saknar koordinatsystem (CRS)." in text
    assert ("fil 'rutor.gpkg', kolumn 'pop': kolumnen saknas i befolkningslagret. Åtgärd: ange "
            "population_column= med en av: 'folk'.") in text


def test_bad_population_values_are_listed_with_the_fix():
    layer = gpd.GeoDataFrame({"folk": ["12", "många", None, "-5", "inf"]},
                             geometry=[box(i * 400, 0, i * 400 + 400, 1000) for i in range(5)],
                             crs=3006)
    with pytest.raises(AreaFileError, match="folkmängden är inte ett tal") as info:
        by_population(population=layer)
    problems = [str(p) for p in info.value.problems]
    assert problems == [
        "fil 'rutor.gpkg', kolumn 'folk': folkmängden är inte ett tal. Värden: 'många', 'inf'. "
        "Förväntat: antal personer, tal ≥ 0. Åtgärd: rätta värdena eller ta bort ytorna.",
        "fil 'rutor.gpkg', kolumn 'folk': 1 befolkningsytor saknar folkmängd. Förväntat: antal "
        "personer, tal ≥ 0. Åtgärd: ange 0 för ytor utan befolkning.",
        "fil 'rutor.gpkg', kolumn 'folk': folkmängden kan inte vara negativ. Värden: '-5'. "
        "Förväntat: antal personer, tal ≥ 0. Åtgärd: rätta värdena."]


def test_population_points_are_refused():
    points = gpd.GeoDataFrame({"folk": [5]}, geometry=gpd.points_from_xy([10], [10]), crs=3006)
    with pytest.raises(AreaFileError, match=re.escape(
            "1 befolkningsytor är inte polygoner. Värden: 'Point'.")):
        by_population(population=points)


# --- Real boundaries: Huddinge's 22 RegSO ---------------------------------------------------


def huddinge() -> gpd.GeoDataFrame:
    regso = gpd.read_file(shared("huddinge", "regso_2025_0126_epsg3006.gpkg"))
    return regso.rename(columns={"regsokod": "area_id", "regsonamn": "area_name"})


def grid(bounds, size: float, crs) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = bounds
    xs = np.arange(np.floor(x0 / size) * size, x1, size)
    ys = np.arange(np.floor(y0 / size) * size, y1, size)
    cells = [box(x, y, x + size, y + size) for y in ys for x in xs]
    return gpd.GeoDataFrame({"area_id": [f"R{i}" for i in range(len(cells))],
                             "area_name": [f"Ruta {i}" for i in range(len(cells))]},
                            geometry=cells, crs=crs)


def test_huddinge_population_moved_by_itself_returns_the_population_grid():
    """RegSO populations estimated from a 250 m grid, moved back by that grid, give the grid.

    The RegSO populations are summed independently (geopandas overlay), so a cell wholly
    inside Huddinge gets back exactly its own population, and the total is kept.
    """
    regso = huddinge()
    rng = np.random.default_rng(7)
    people = grid(regso.total_bounds, 250, regso.crs)
    people["folk"] = rng.integers(0, 400, len(people)) * (rng.random(len(people)) < 0.6)
    pieces = gpd.overlay(people, regso[["area_id", "geometry"]].rename(
        columns={"area_id": "regso"}), how="intersection")
    pieces["bit"] = pieces["folk"] * pieces.area / 250 ** 2
    regso["folk"] = regso["area_id"].map(pieces.groupby("regso")["bit"].sum())
    result = interpolate_counts(regso, people, counts=["folk"], weights="population",
                                population=people, population_column="folk",
                                population_name="rutor 250 m")
    frame = result.frame
    inside = frame["coverage"] > 0.999999
    assert inside.sum() > 1500
    assert frame.loc[inside, "folk"].to_numpy() == pytest.approx(
        people.loc[inside.to_numpy(), "folk"].to_numpy(float), abs=1e-6)
    assert frame["folk"].sum() == pytest.approx(regso["folk"].sum(), rel=1e-9)
    assert result.fallback == ()


def test_huddinge_population_weights_differ_from_area_weights_but_keep_the_totals():
    regso = huddinge()
    regso["barn"] = np.arange(1, len(regso) + 1) * 100.0
    regso["lag_pct"] = np.linspace(5, 30, len(regso))
    cells = grid(regso.total_bounds, 1000, regso.crs)
    rng = np.random.default_rng(11)
    people = grid(regso.total_bounds, 250, regso.crs)
    people["folk"] = rng.gamma(0.5, 200, len(people))
    rates = [Rate("lag_pct", "barn")]
    area = interpolate_counts(regso, cells, counts=["barn"], rates=rates).frame
    pop = interpolate_counts(regso, cells, counts=["barn"], rates=rates, weights="population",
                             population=people, population_column="folk").frame
    total = regso["barn"].sum()
    poor = (regso["lag_pct"] / 100 * regso["barn"]).sum()
    for frame in (area, pop):
        assert frame["barn"].sum() == pytest.approx(total, rel=1e-5)
        assert (frame["lag_pct"] / 100 * frame["barn"]).sum() == pytest.approx(poor, rel=1e-5)
    assert np.abs(pop["barn"] - area["barn"]).max() > 100
