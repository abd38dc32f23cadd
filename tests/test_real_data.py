"""Integration tests on the real SCB files in ../shared/data (skipped when the folder is absent).

They check that the embedded Huddinge RegSO 2025 polygons are the published SCB
ones, that ``read_areas`` reads SCB's own files (columns ``regsokod``/``regsonamn``)
without help, and that the demo indicator table uses the real RegSO codes.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.analysis import run_analysis
from geo.inputs import DEFAULT_AREAS, DEMO_INDICATORS, load_inputs
from geo.io.areas import Areas, read_areas
from geo.io.files import read_indicator_table
from indicators.columns import AREA_ID, AREA_NAME, SCORE
from indicators.settings import AnalysisSettings

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
HUDDINGE = SHARED_DATA / "huddinge"
GPKG_3006 = HUDDINGE / "regso_2025_0126_epsg3006.gpkg"
GEOJSON_WGS84 = HUDDINGE / "regso_2025_0126_wgs84.geojson"
LINK_TABLE = HUDDINGE / "koppling_deso2018_regso2020_0126.csv"
N_REGSO = 22


def shared_file(path: Path) -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared data folder {SHARED_DATA} is absent (it sits beside the "
                    "repository in the developer and CI setup)")
    if not path.is_file():
        pytest.skip(f"{path.relative_to(SHARED_DATA)} is absent from {SHARED_DATA}")
    return path


@pytest.fixture(scope="module")
def embedded() -> Areas:
    return read_areas(DEFAULT_AREAS)


def by_id(areas: Areas) -> gpd.GeoDataFrame:
    return areas.frame.set_index(AREA_ID).sort_index()


def test_embedded_areas_are_huddinges_22_regso(embedded: Areas) -> None:
    assert len(embedded) == N_REGSO
    assert embedded.frame[AREA_ID].str.fullmatch(r"0126R0\d\d").all()
    assert embedded.frame.crs.to_epsg() == 3006
    assert embedded.repairs == ()


@pytest.mark.parametrize("path", [GPKG_3006, GEOJSON_WGS84], ids=["gpkg_3006", "geojson_wgs84"])
def test_scb_file_has_the_embedded_ids_and_names(embedded: Areas, path: Path) -> None:
    areas = read_areas(shared_file(path))

    assert areas.notes == ()            # regsokod and regsonamn are found without help
    assert areas.repairs == ()
    assert by_id(areas)[AREA_NAME].to_dict() == by_id(embedded)[AREA_NAME].to_dict()


def test_scb_geopackage_geometry_equals_the_embedded(embedded: Areas) -> None:
    areas = read_areas(shared_file(GPKG_3006))
    assert areas.frame.crs.to_epsg() == 3006

    scb, ours = by_id(areas).geometry, by_id(embedded).geometry
    difference = scb.symmetric_difference(ours, align=True).area

    assert list(scb.index) == list(ours.index)
    assert (difference < 1.0).all(), difference[difference >= 1.0].to_dict()


def test_scb_geojson_in_wgs84_is_the_same_shape(embedded: Areas) -> None:
    areas = read_areas(shared_file(GEOJSON_WGS84))
    assert areas.frame.crs.to_epsg() == 4326

    scb = by_id(areas).geometry.to_crs(3006)
    ours = by_id(embedded).geometry
    # GeoJSON keeps ~7 decimals of a degree (about 1 cm); allow a few decimetres after
    # the round trip through WGS 84.
    distance = scb.hausdorff_distance(ours, align=True)

    assert (distance < 0.5).all(), distance[distance >= 0.5].to_dict()


def test_demo_table_uses_the_real_regso_codes_and_names() -> None:
    link = pd.read_csv(shared_file(LINK_TABLE), dtype=str, encoding="utf-8-sig")
    assert {"Kommun", "RegSOkod_2020", "RegSO_2020"} <= set(link.columns)
    huddinge = link[link["Kommun"] == "0126"]
    real = dict(zip(huddinge["RegSOkod_2020"], huddinge["RegSO_2020"], strict=True))

    demo = read_indicator_table(DEMO_INDICATORS)

    assert len(real) == N_REGSO
    assert sorted(demo[AREA_ID]) == sorted(real)
    assert dict(zip(demo[AREA_ID], demo[AREA_NAME], strict=True)) == real


def test_pipeline_on_the_scb_geopackage_joins_every_area() -> None:
    inputs = load_inputs(areas=shared_file(GPKG_3006))
    settings = AnalysisSettings.create({"barn_lag_ek_standard": 1.0, "valdsbrott": 1.0})

    analysis = run_analysis(inputs, settings)

    assert analysis.join_report.complete
    assert len(analysis.join_report.matched) == N_REGSO
    assert analysis.joined[SCORE].notna().all()
