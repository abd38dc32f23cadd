"""Resources in the areas (geo/maps/resources.py): counts per area and per 1 000, "högt behov, få
resurser", and the resources on the analysis map.

Points on the 3x3 grid of ``geo_fixtures`` (SWEREF 99 TM, 1 km boxes from x 600 000,
y 6 560 000; A1 south-west, A9 north-east; the centre of box (col, row) is
600 500 + 1 000·col, 6 560 500 + 1 000·row)::

    Skolor          A1 ×2 (one at the centre, one at 600 200, 6 560 200), A1|A2 border
                    (601 000, 6 560 500) -> A1, A5, A6, A7, A8, A9, and one outside
                    (610 000, 6 570 000)
    Fritidsgårdar   A3, A5 ×2, A9

    counts   A1  A2  A3  A4  A5  A6  A7  A8  A9
    Skolor    3   0   0   0   1   1   1   1   1
    Fritidsg. 0   0   1   0   2   0   0   0   1
    all       3   0   1   0   3   1   1   1   2      median 1

Population (children 0–17) 100, 200, 100, 50, 100, 200, 100, 50, 100 gives per 1 000:
30, 0, 10, 0, 30, 5, 10, 20, 20 (median 10).
"""

from __future__ import annotations

import dataclasses as dc
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from geo_fixtures import GRID_IDS, grid_frame
from map_pages import page_data
from test_maps import INJECTIONS, geojson_layers, shown

from geo.analysis import TIER, Analysis, robustness_columns, run_analysis
from geo.inputs import Inputs
from geo.io.areas import areas_from_frame
from geo.io.files import SourceInfo
from geo.io.points import points_from_table
from geo.maps.choropleth import render_map_html
from geo.maps.resources import (
    TOTAL_COLUMN,
    analysis_resource_counts,
    find_gaps,
    gap_overlay,
    resource_counts,
    resource_details,
    resource_gaps,
    resource_map,
    resource_overlays,
    youth_population,
)
from geo.spatial.comparisons import PointLayer
from indicators.errors import PointFileError
from indicators.tiers import HIGH, OTHER, RAISED

CREATED = dt.date(2026, 2, 1)
POPULATION = pd.Series([100.0, 200, 100, 50, 100, 200, 100, 50, 100], index=GRID_IDS)


def centre(area: str) -> tuple[float, float]:
    k = int(area[1:]) - 1
    return 600_500 + 1000 * (k % 3), 6_560_500 + 1000 * (k // 3)


def layer(name: str, points: list[tuple[str, float, float]]) -> PointLayer:
    table = pd.DataFrame(points, columns=["namn", "x", "y"]).astype(str)
    return PointLayer(name, points_from_table(table, f"{name}.csv"),
                      SourceInfo(name, "test", "2025-01-01"))


def skolor() -> PointLayer:
    return layer("Skolor", [("Skola 1", *centre("A1")), ("Skola 1b", 600_200, 6_560_200),
                            ("Gränsskolan", 601_000, 6_560_500),
                            *[(f"Skola {a}", *centre(a)) for a in ("A5", "A6", "A7", "A8",
                                                                    "A9")],
                            ("Långt borta", 610_000, 6_570_000)])


def fritid() -> PointLayer:
    x5, y5 = centre("A5")
    return layer("Fritidsgårdar", [("Gård 3", *centre("A3")), ("Gård 5", x5, y5),
                                   ("Gård 5b", x5 + 100, y5 + 100), ("Gård 9", *centre("A9"))])


def test_counts_per_area_and_layer_with_the_notes():
    counts = resource_counts(grid_frame(), [skolor(), fritid()])
    assert counts.index.tolist() == GRID_IDS
    assert counts.columns.tolist() == ["Antal: Skolor", "Antal: Fritidsgårdar", TOTAL_COLUMN]
    assert counts["Antal: Skolor"].tolist() == [3, 0, 0, 0, 1, 1, 1, 1, 1]
    assert counts["Antal: Fritidsgårdar"].tolist() == [0, 0, 1, 0, 2, 0, 0, 0, 1]
    assert counts[TOTAL_COLUMN].tolist() == [3, 0, 1, 0, 3, 1, 1, 1, 2]
    notes = counts.attrs["notes"]
    assert "Skolor: 1 av 9 punkter ligger utanför alla områden och räknas inte: Långt borta." \
        in notes
    assert any("Gränsskolan" in n and "först i områdestabellen" in n for n in notes)
    assert counts.attrs["population_label"] is None


def test_counts_per_1000_young_people():
    population = POPULATION.copy()
    population["A4"] = 0.0                                  # no population: no rate
    counts = resource_counts(grid_frame(), [skolor(), fritid()], population=population)
    per = "Per 1 000 barn 0–17 år: "
    assert counts[per + "Skolor"].tolist()[:3] == [30.0, 0.0, 0.0]
    assert counts[per + "Fritidsgårdar"]["A5"] == 20.0
    expected = [30.0, 0.0, 10.0, np.nan, 30.0, 5.0, 10.0, 20.0, 20.0]
    np.testing.assert_array_equal(counts[per + "alla resurser"].to_numpy(), expected)
    assert counts["Befolkning (barn 0–17 år)"]["A2"] == 200.0
    assert counts.attrs["notes"][-1] == ("Befolkning (barn 0–17 år) saknas eller är 0 för 1 "
                                         "område(n), så resurserna per 1 000 saknas där: A4.")
    # A population column of the areas works too.
    frame = grid_frame().assign(barn=POPULATION.to_numpy())
    by_column = resource_counts(frame, [skolor()], population="barn")
    assert by_column[per + "Skolor"].tolist() == [30.0, 0, 0, 0, 10, 5, 10, 20, 10]


def test_youth_population_from_the_indicator_table(grid_table):
    assert youth_population(grid_table) is None           # the grid has 'barn', not 0–17
    table = grid_table.rename(columns={"barn": "barn_0_17"})
    values, label = youth_population(table)
    assert label == "barn 0–17 år" and values.name == "Befolkning (barn 0–17 år)"
    assert values.to_dict() == dict(zip(GRID_IDS, POPULATION.tolist(), strict=True))


def test_layers_with_the_same_name_are_refused():
    with pytest.raises(PointFileError, match="samma namn"):
        resource_counts(grid_frame(), [skolor(), skolor()])


# -- high need, few resources ----------------------------------------------------------

TIERS = pd.Series([HIGH, HIGH, OTHER, RAISED, OTHER, HIGH, OTHER, OTHER, HIGH], index=GRID_IDS)


def test_gaps_by_number_below_the_median():
    counts = resource_counts(grid_frame(), [skolor(), fritid()])
    gaps = find_gaps(TIERS, counts, {"A2": "Tvåan"})
    # median of 3, 0, 1, 0, 3, 1, 1, 1, 2 is 1: A2 and A4 (0) are below, A6 (1) is not.
    assert gaps["Områdeskod"].tolist() == ["A2", "A4"]
    assert gaps["Område"].tolist() == ["Tvåan", "A4"]
    assert gaps["Prioritet"].tolist() == [HIGH, RAISED]
    assert gaps["Resurser"].tolist() == [0.0, 0.0] and gaps["Median för alla områden"][0] == 1
    assert gaps["Motivering"][0] == ("Hög prioritet men 0,0 resurser, under medianen 1,0 för "
                                     "alla områden (Skolor 0, Fritidsgårdar 0).")


def test_gaps_per_1000_ordered_by_tier_then_fewest():
    counts = resource_counts(grid_frame(), [skolor(), fritid()], population=POPULATION)
    gaps = find_gaps(TIERS, counts)
    # per 1 000: 30, 0, 10, 0, 30, 5, 10, 20, 20 -> median 10; below: A2 0, A4 0, A6 5.
    assert gaps["Områdeskod"].tolist() == ["A2", "A6", "A4"]
    assert gaps["Resurser"].tolist() == [0.0, 5.0, 0.0]
    assert gaps["Mått"][0] == "resurser per 1 000 barn 0–17 år"
    assert gaps["Motivering"][1] == ("Hög prioritet men 5,0 resurser per 1 000 barn 0–17 år, "
                                     "under medianen 10,0 för alla områden (Skolor 1, "
                                     "Fritidsgårdar 0).")
    assert find_gaps(TIERS, counts, gap_tiers=[HIGH])["Områdeskod"].tolist() == ["A2", "A6"]
    with pytest.raises(ValueError, match="okända prioritetsnivåer"):
        find_gaps(TIERS, counts, gap_tiers=["Högst"])


def test_an_area_without_population_is_not_judged_but_named():
    population = POPULATION.copy()
    population["A2"] = np.nan
    counts = resource_counts(grid_frame(), [skolor(), fritid()], population=population)
    gaps = find_gaps(TIERS, counts)
    assert "A2" not in gaps["Områdeskod"].tolist()
    assert gaps.attrs["notes"] == ["1 område(n) med hög prioritet kunde inte bedömas eftersom "
                                   "resurser per 1 000 barn 0–17 år saknas: A2."]


def test_no_area_is_below_a_median_of_zero():
    counts = resource_counts(grid_frame(), [layer("Fältverksamhet", [("Fält", *centre("A1"))])])
    assert find_gaps(TIERS, counts).empty


@pytest.fixture
def analysis(grid_table, grid_catalogue, grid_settings) -> Analysis:
    areas = areas_from_frame(grid_frame(), SourceInfo("Rutnät", "test", "2025-01-01"))
    inputs = Inputs(areas=areas, table=grid_table,
                             table_source=SourceInfo("Indikatorer", "test", "2025-01-02"),
                             table_name="tabell.csv", catalogue=grid_catalogue)
    return run_analysis(inputs, grid_settings)


def test_resource_gaps_of_an_analysis_use_its_tiers_and_names(analysis):
    counts = resource_counts(analysis.inputs.areas, [skolor(), fritid()], population=POPULATION)
    gaps = resource_gaps(analysis, counts)
    tiers = robustness_columns(analysis)[TIER]
    pd.testing.assert_frame_equal(gaps, find_gaps(tiers, counts, dict(zip(
        grid_frame()["area_id"], grid_frame()["area_name"], strict=True))))
    per = counts["Per 1 000 barn 0–17 år: alla resurser"]
    expected = [a for a in GRID_IDS if tiers[a] in (HIGH, RAISED) and per[a] < per.median()]
    assert sorted(gaps["Områdeskod"]) == sorted(expected)
    assert all(name.startswith("Ruta ") for name in gaps["Område"])


def test_analysis_counts_are_per_1000_children_when_the_table_has_them(analysis):
    assert analysis_resource_counts(analysis, [skolor()]).attrs["population_label"] is None
    table = analysis.inputs.table.rename(columns={"barn": "barn_0_17"})
    renamed = dc.replace(analysis, inputs=dc.replace(analysis.inputs, table=table))
    counts = analysis_resource_counts(renamed, [skolor()])
    assert counts["Per 1 000 barn 0–17 år: Skolor"].tolist() == [30.0, 0, 0, 0, 10, 5, 10, 20,
                                                                 10]


# -- the map ----------------------------------------------------------------------------

def test_resource_details_are_tooltip_lines():
    counts = resource_counts(grid_frame(), [skolor(), fritid()], population=POPULATION)
    details = resource_details(counts)
    assert details.columns.tolist() == ["Skolor", "Fritidsgårdar", "Resurser"]
    assert details.loc["A5"].tolist() == ["1", "2", "3 (30,0 per 1 000 barn 0–17 år)"]
    plain = resource_details(resource_counts(grid_frame(), [skolor()]))
    assert plain.loc["A1"].tolist() == ["3", "3"]


def test_map_has_circles_by_type_counts_in_tooltips_and_gaps_outlined(analysis):
    layers = [skolor(), fritid()]
    counts = resource_counts(analysis.inputs.areas, layers, population=POPULATION)
    gaps = find_gaps(TIERS, counts)
    html = render_map_html(resource_map(analysis, layers, counts, gaps=gaps, created=CREATED))
    points = [g for g in geojson_layers(html)
              if (g["features"][0]["geometry"] or {}).get("type") == "Point"]
    assert [len(g["features"]) for g in points] == [8, 4]       # the point outside is left out
    assert [o["colour"] for o in page_data(html)[0]["overlays"]] == ["#1b7837", "#2166ac"]
    (areas,) = [g for g in geojson_layers(html) if "tooltip" in g["features"][0]["properties"]]
    tips = {f["properties"]["idx"]: shown(f["properties"]["tooltip"])[0]
            for f in areas["features"]}
    assert tips[0].endswith("Skolor: 3Fritidsgårdar: 0Resurser: 3 (30,0 per 1 000 barn 0–17 år)")
    # The gap areas (A2, A4, A6) are outlined with their own borders (by position).
    (outlined,) = [g for g in page_data(html)[1]["outlines"]
                   if "Hög prioritet men" in " ".join(shown(t)[0] for t in g["labels"])]
    assert outlined["idx"] == [1, 3, 5]
    assert "Högt behov, få resurser" in html



def test_gap_overlay_is_none_without_gaps(analysis):
    counts = resource_counts(analysis.inputs.areas, [skolor()])
    assert gap_overlay(analysis, find_gaps(TIERS, counts).iloc[0:0]) is None


@pytest.mark.parametrize("evil", INJECTIONS)
def test_point_names_are_escaped_on_the_map(analysis, evil):
    layers = [layer("Skolor", [(evil, *centre("A1"))])]
    assert len(resource_overlays(analysis.inputs.areas, layers)) == 1
    html = render_map_html(resource_map(analysis, layers, created=CREATED))
    assert "<img src=x" not in html and "</script><b>" not in html
    assert "{{ 7*7 }}" not in html and "{% raw %}" not in html
