"""The overview of a län or of Sweden per kommun, and the drill-down to one kommun."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import shapely
from geo_fixtures import write_duva_wheel
from map_pages import geojson_layers, page_data

from geo import sources
from geo.analysis import TIER, Analysis, robustness_columns, run_analysis
from geo.inputs import list_profiles, load_inputs
from geo.maps.analysis_map import build_analysis_map
from geo.maps.choropleth import render_map_html
from geo.maps.mapview import area_display_geometry, decoded
from geo.maps.overview import (
    BEST_RANK,
    KOMMUN_CODE,
    KOMMUN_NAME,
    N_AREAS,
    N_HIGH,
    N_RAISED,
    SHARE_HIGH,
    _share_class,
    build_overview_map,
    kommun_codes,
    kommun_overview,
)
from indicators.columns import AREA_ID, RANK
from indicators.errors import AreaFileError


@pytest.fixture(scope="module")
def lan(tmp_path_factory) -> Analysis:
    """Stockholms län in a stand-in wheel: 0126 (two RegSO), 0127 and 0128 (one each)."""
    wheel = write_duva_wheel(tmp_path_factory.mktemp("wheel"))
    areas = sources.region_areas("01", wheel=wheel)
    inputs = sources.demo_inputs(areas, "01", "national")
    return run_analysis(inputs, list_profiles()["Bred prevention"])


@pytest.fixture(scope="module")
def huddinge() -> Analysis:
    return run_analysis(load_inputs(),
                                 list_profiles()["Bred prevention"])


def test_kommun_code_is_the_first_four_digits_of_the_area_code():
    assert kommun_codes(pd.Series(["0126R002", "0180C1010"])).tolist() == ["0126", "0180"]
    with pytest.raises(AreaFileError, match="börjar med kommunkoden; dessa gör det inte: "
                                            "Norra, X1"):
        kommun_codes(pd.Series(["0126R002", "Norra", "X1"]))


def test_share_classes_are_fixed_limits():
    assert _share_class(pd.Series([0.0, 0.1, 10.0, 10.1, 25.0, 50.0, 50.1, 100.0])
                        .to_numpy()).tolist() == [0, 1, 1, 2, 2, 3, 4, 4]


def test_overview_counts_every_area_once_by_tier(lan):
    overview = kommun_overview(lan)
    assert overview.crs.to_epsg() == 4326
    assert list(overview[KOMMUN_CODE]) == ["0126", "0127", "0128"]
    assert list(overview[KOMMUN_NAME]) == ["Huddinge", "Botkyrka", "Salem"]
    assert list(overview[N_AREAS]) == [2, 1, 1]
    tiers = robustness_columns(lan)[TIER]
    for _, row in overview.iterrows():
        mine = tiers[tiers.index.str.startswith(row[KOMMUN_CODE])]
        assert row[N_HIGH] == (mine == "Hög prioritet").sum()
        assert row[N_RAISED] == (mine == "Förhöjd").sum()
        assert row[SHARE_HIGH] == round(100 * row[N_HIGH] / row[N_AREAS], 1)
        ranks = lan.joined.set_index(AREA_ID)[RANK]
        assert row[BEST_RANK] == ranks[ranks.index.str.startswith(row[KOMMUN_CODE])].min()


def test_a_kommun_is_the_union_of_its_areas_display_borders(huddinge):
    overview = kommun_overview(huddinge)
    assert list(overview[KOMMUN_CODE]) == ["0126"] and overview[N_AREAS].item() == 22
    shown = area_display_geometry(huddinge.joined).geometry
    union = shapely.union_all(shown.to_numpy())
    assert shapely.equals(overview.geometry.item(), union)   # nothing lost, nothing added


def test_overview_map_carries_the_kommun_code_for_the_drill_down(lan):
    html = render_map_html(build_overview_map(lan, kommun_overview(lan)))
    layer = geojson_layers(html)[0]           # row i is the overview's row i (the app's click)
    assert [f["properties"]["idx"] for f in layer["features"]] == [0, 1, 2]
    assert decoded(page_data(html)[0]["columns"][1]) == ["0126", "0127", "0128"]
    tip = layer["features"][0]["properties"]["tooltip"]
    assert tip.startswith("<b>Huddinge</b> (0126)<br>2 områden, varav ")
    assert "Klicka för kommunens områden" in tip
    assert "Andel områden med hög prioritet" in html and "över 50 %" in html
    assert "Översikt per kommun – Behov av förebyggande arbete" in html
    assert "RegSO 2025, Stockholms län" in html


def test_drill_down_maps_one_kommun_with_the_ranks_of_the_whole_lan(lan):
    html = render_map_html(build_analysis_map(lan, kommun="0126"))
    (areas,) = [g for g in geojson_layers(html)
                if g["features"] and "tooltip" in g["features"][0]["properties"]]
    tips = [f["properties"]["tooltip"] for f in areas["features"]]
    assert len(tips) == 2 and all("(0126R00" in t for t in tips)
    assert all(re.search(r"Rang \d av 4 ", t) for t in tips)   # ranked among all four
    assert "Huddinge (0126), rangordnad inom RegSO 2025, Stockholms län" in html
    with pytest.raises(AreaFileError, match="inga områden i analysen hör till kommun 0180"):
        build_analysis_map(lan, kommun="0180")


def test_drill_down_colours_with_the_class_limits_of_the_whole_lan(lan):
    whole = geojson_layers(render_map_html(build_analysis_map(lan)))
    fill = {f["properties"]["tooltip"].split("(")[1][:8]: f["properties"]["fill"]
            for g in whole if g["features"] and "fill" in g["features"][0]["properties"]
            for f in g["features"]}
    html = render_map_html(build_analysis_map(lan, kommun="0126"))
    drilled = {f["properties"]["tooltip"].split("(")[1][:8]: f["properties"]["fill"]
               for g in geojson_layers(html)
               if g["features"] and "fill" in g["features"][0]["properties"]
               for f in g["features"]}
    assert drilled == {code: fill[code] for code in ("0126R001", "0126R002")}
    assert "Klasser: fjärdedelar av alla områden i analysen." in html   # four RegSO
