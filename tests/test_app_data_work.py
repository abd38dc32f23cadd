"""The data work the app's data page asks for, without Streamlit: which kommundel file
holds polygons, the grouping shipped for a kommun, the demo summed to its kommundelar, a
population layer without a recorded CRS, and the fetches refusing to go online offline."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import sources
from geo.inputs import DEMO_INDICATORS, load_inputs
from geo.spatial.levels import (
    DEFAULT_GROUPING,
    default_grouping,
    grouped_inputs,
    is_polygon_file,
    read_population_layer,
)
from indicators.errors import OfflineError


@pytest.mark.parametrize(("name", "polygons"), [
    ("kommundelar.gpkg", True), ("Ytor.GeoJSON", True), ("delar.JSON", True),
    ("shape.zip", True), ("delar.parquet", True), ("gruppering.csv", False),
    ("gruppering.xlsx", False), ("utan_suffix", False)])
def test_a_kommundel_file_holds_polygons_by_its_suffix(name: str, polygons: bool) -> None:
    assert is_polygon_file(name) is polygons


def test_only_huddinge_has_a_grouping_shipped() -> None:
    assert default_grouping("0126") == DEFAULT_GROUPING
    assert default_grouping("0180") is None
    assert default_grouping(sources.SWEDEN) is None


def test_the_demo_summed_to_huddinges_kommundelar() -> None:
    """Each kommundel's children are the sum over its RegSO, read here from the demo file
    and the grouping file themselves."""
    grouping = pd.read_csv(DEFAULT_GROUPING, dtype=str)
    raw = pd.read_csv(DEMO_INDICATORS, dtype={"area_id": str}).merge(
        grouping, left_on="area_id", right_on="regsokod")
    expected = raw.groupby("kommundel")["barn_0_17"].sum()
    inputs, _ = grouped_inputs(load_inputs(), DEFAULT_GROUPING)
    names = dict(zip(inputs.areas.frame["area_id"], inputs.areas.frame["area_name"],
                     strict=True))
    children = {names[a]: v for a, v in zip(inputs.table["area_id"], inputs.table["barn_0_17"],
                                            strict=True)}
    assert sorted(children) == sorted(expected.index)
    assert children == pytest.approx(expected.to_dict())


def test_a_population_layer_without_crs_gets_the_one_its_coordinates_show(tmp_path) -> None:
    path = tmp_path / "befolkning.gpkg"
    gpd.GeoDataFrame({"folkmangd": [120, 80]},
                     geometry=[box(674_000, 6_570_000, 675_000, 6_571_000),
                               box(675_000, 6_570_000, 676_000, 6_571_000)],
                     crs=None).to_file(path)
    frame, title = read_population_layer(path)
    assert frame.crs.to_epsg() == 3006
    assert frame["folkmangd"].tolist() == [120, 80]
    assert title == "befolkning.gpkg"    # no sidecar: the file's name


def test_the_fetches_go_nowhere_offline_without_a_saved_answer(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PREVMAP_CACHE", str(tmp_path))
    with pytest.raises(OfflineError, match="inget sparat svar"):
        sources.fetch_kolada("0126", url="http://127.0.0.1:9/", offline=True)
    with pytest.raises(OfflineError, match="inget sparat svar"):
        sources.fetch_scb("0126", "RegSO", url="http://127.0.0.1:9/", offline=True)
